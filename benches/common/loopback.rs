//! A loopback OCI registry for latency benchmarks: HTTP/1.1 with keep-alive (so
//! connection reuse is visible), one thread per connection, a fixed delay before every
//! answer (the injected round-trip time), and counters for requests, accepted
//! connections and the peak number of connections open at once.
//!
//! It serves what it is given (manifests by tag and digest, blobs, the referrers API)
//! behind Bearer auth with one token per repository scope, as ghcr.io does: a `/v2/`
//! request without its scope's token gets `401` with a challenge naming
//! `repository:<repo>:pull`, and the realm `/token` on the same origin issues the token.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the registry stores.
#[derive(Default)]
pub(crate) struct Store {
    /// Tag or digest → (media type, bytes). Tags are unique across repositories.
    pub(crate) manifests: HashMap<String, (String, Vec<u8>)>,
    /// Digest → bytes.
    pub(crate) blobs: HashMap<String, Vec<u8>>,
    /// Subject digest → referrer descriptors (JSON objects).
    pub(crate) referrers: HashMap<String, Vec<serde_json::Value>>,
}

/// Request counts by kind.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    /// Every request.
    pub(crate) total: usize,
    /// Answered 401 (no or wrong token).
    pub(crate) challenges: usize,
    /// Token requests.
    pub(crate) tokens: usize,
    /// Accepted TCP connections.
    pub(crate) accepted: usize,
    /// Most TCP connections open at the same time.
    pub(crate) peak_open: usize,
}

#[derive(Default)]
struct Stats {
    total: AtomicUsize,
    challenges: AtomicUsize,
    tokens: AtomicUsize,
    accepted: AtomicUsize,
    open: AtomicUsize,
    peak_open: AtomicUsize,
}

/// The running registry; stops accepting on drop.
pub(crate) struct Loopback {
    addr: String,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
}

impl Loopback {
    /// Serves `store`, answering every request after `delay`.
    pub(crate) fn start(store: Store, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr").to_string();
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let store = Arc::new(store);
        let (st, sp) = (stats.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                st.accepted.fetch_add(1, Ordering::SeqCst);
                let open = st.open.fetch_add(1, Ordering::SeqCst) + 1;
                st.peak_open.fetch_max(open, Ordering::SeqCst);
                let (st2, store2) = (st.clone(), store.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &store2, &st2, delay);
                    st2.open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Self { addr, stats, stop }
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    /// The counts so far.
    pub(crate) fn counts(&self) -> Counts {
        let s = &self.stats;
        Counts {
            total: s.total.load(Ordering::SeqCst),
            challenges: s.challenges.load(Ordering::SeqCst),
            tokens: s.tokens.load(Ordering::SeqCst),
            accepted: s.accepted.load(Ordering::SeqCst),
            peak_open: s.peak_open.load(Ordering::SeqCst),
        }
    }

    /// Zeroes the counters (between runs; open connections stay counted).
    pub(crate) fn reset(&self) {
        let s = &self.stats;
        for c in [&s.total, &s.challenges, &s.tokens, &s.accepted] {
            c.store(0, Ordering::SeqCst);
        }
        s.peak_open
            .store(s.open.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
    }
}

/// The token the realm issues for a scope (as the client escapes it in the query).
fn token_for(escaped_scope: &str) -> String {
    format!("t-{}", escaped_scope.replace('%', "."))
}

/// Serves requests on one connection until the client closes it.
fn serve(conn: TcpStream, store: &Store, stats: &Stats, delay: Duration) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(60)))?;
    conn.set_nodelay(true)?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let header = |k: &str| {
            headers
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len.min(1 << 20)];
        reader.read_exact(&mut body)?;
        stats.total.fetch_add(1, Ordering::SeqCst);
        let host = header("host").unwrap_or_default().to_owned();
        let (status, extra, payload) = answer(store, stats, &path, header("authorization"), &host);
        std::thread::sleep(delay);
        let mut head = format!("HTTP/1.1 {status} X\r\n");
        for (k, v) in &extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", payload.len()));
        // One write per answer (and no Nagle delay): a head and a body written
        // separately would wait for the client's delayed ACK, adding about 40 ms.
        let mut answer = head.into_bytes();
        if method != "HEAD" {
            answer.extend_from_slice(&payload);
        }
        out.write_all(&answer)?;
        out.flush()?;
        if header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            return Ok(());
        }
    }
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);

fn answer(store: &Store, stats: &Stats, path: &str, auth: Option<&str>, host: &str) -> Answer {
    let route = path.split('?').next().unwrap_or(path);
    if route == "/token" {
        stats.tokens.fetch_add(1, Ordering::SeqCst);
        let scope = path
            .split_once('?')
            .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("scope=")))
            .unwrap_or_default();
        let body = serde_json::json!({"token": token_for(scope), "expires_in": 300});
        return (200, Vec::new(), body.to_string().into_bytes());
    }
    let Some(rest) = route.strip_prefix("/v2/") else {
        return (404, Vec::new(), Vec::new());
    };
    let Some((repo, kind, key)) =
        ["/manifests/", "/blobs/", "/referrers/"]
            .iter()
            .find_map(|sep| {
                rest.split_once(sep)
                    .map(|(repo, key)| (repo, sep.trim_matches('/'), key))
            })
    else {
        return (404, Vec::new(), Vec::new());
    };
    let want = token_for(&format!("repository%3A{}%3Apull", repo.replace('/', "%2F")));
    if auth != Some(format!("Bearer {want}").as_str()) {
        stats.challenges.fetch_add(1, Ordering::SeqCst);
        let challenge = format!(
            r#"Bearer realm="http://{host}/token",service="{host}",scope="repository:{repo}:pull""#
        );
        return (
            401,
            vec![("WWW-Authenticate".into(), challenge)],
            Vec::new(),
        );
    }
    match kind {
        "manifests" => match store.manifests.get(key) {
            Some((mt, b)) => (200, vec![("Content-Type".into(), mt.clone())], b.clone()),
            None => (404, Vec::new(), Vec::new()),
        },
        "blobs" => match store.blobs.get(key) {
            Some(b) => (200, Vec::new(), b.clone()),
            None => (404, Vec::new(), Vec::new()),
        },
        _ => {
            let list = store.referrers.get(key).cloned().unwrap_or_default();
            let index = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": list,
            });
            (
                200,
                vec![(
                    "Content-Type".into(),
                    "application/vnd.oci.image.index.v1+json".into(),
                )],
                index.to_string().into_bytes(),
            )
        }
    }
}
