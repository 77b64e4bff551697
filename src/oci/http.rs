//! The registry client: blocking HTTPS with `ureq` + `rustls` (ring), feature `online`.
//!
//! - Redirects are followed here, not by ureq, at most
//!   [`crate::limits::MAX_HTTP_REDIRECTS`]; `Authorization` is sent only to the origin
//!   (`scheme://host:port`) of the registry endpoint, so a redirect to blob storage or a
//!   pagination link to another host never sees credentials (`src/limits.rs`; the Docker token-auth spec).
//! - Bodies are read through `take(limit + 1)`: the caps of `src/limits.rs` are enforced while
//!   reading, whatever `Content-Length` says.
//! - Plain HTTP only for registries listed in [`ClientOptions::insecure_registries`], or
//!   for an endpoint override (mirror) on a loopback address.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::auth::{self, Challenge, Credentials};
use super::deadline::Deadline;
use super::error::RegistryError;
use super::manifest::{
    bare_media_type, is_index_type, parse_manifest, Descriptor, Manifest, MANIFEST_ACCEPT,
    OCI_INDEX,
};
use super::reference::{split_host_port, Digest, Reference};
use super::{fallback_tag, filter_artifact_type, ArtifactSource};
use crate::limits::{
    DEFAULT_JOBS, FIRST_CONTACT_WAIT_MS, HTTP_CONNECT_TIMEOUT_SECS, HTTP_REQUEST_TIMEOUT_SECS,
    HTTP_RETRY_BACKOFF_MS, MAX_HTTP_REDIRECTS, MAX_HTTP_RETRIES, MAX_MANIFEST_BYTES, MAX_REFERRERS,
    MAX_REFERRER_PAGES, MAX_RETRY_AFTER_SECS, MAX_SMALL_HTTP_BODY_BYTES,
};

/// How the registry client connects and authenticates.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Registries (normalized `host[:port]`) that may be reached over plain HTTP.
    /// Empty by default: plain HTTP is never used unless named here.
    pub insecure_registries: Vec<String>,
    /// A PEM CA bundle used **instead of** the compiled-in Mozilla roots
    /// (`webpki-roots`), like `SSL_CERT_FILE` for OpenSSL and curl.
    pub ca_file: Option<PathBuf>,
    /// Endpoint overrides: logical registry (`ghcr.io`) → base URL of a mirror
    /// (`https://mirror.corp:5000`). References keep their logical name.
    pub mirrors: HashMap<String, String>,
    /// Directory holding the Docker `config.json` with `auths`; `None` = anonymous.
    pub docker_config_dir: Option<PathBuf>,
    /// Honour `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY`.
    pub use_env_proxy: bool,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout (connect, send, headers and body), per request and per
    /// redirect hop; cut to the time left when a [`Deadline`] applies.
    pub request_timeout: Duration,
    /// How long a request waits for the registry's first answer (sent by another
    /// request, it tells how the registry authenticates) or for a token another
    /// request is fetching, before it goes ahead on its own. A registry that does not
    /// answer holds nobody up for longer than this.
    pub first_contact_wait: Duration,
    /// Idle connections kept per host for reuse. Connections in use are bounded by the
    /// caller's concurrency (one request in flight per job).
    pub idle_connections_per_host: usize,
}

impl Default for ClientOptions {
    /// No environment is read: anonymous, no proxy, compiled-in roots, the default timeouts of `src/limits.rs`.
    fn default() -> Self {
        Self {
            insecure_registries: Vec::new(),
            ca_file: None,
            mirrors: HashMap::new(),
            docker_config_dir: None,
            use_env_proxy: false,
            connect_timeout: Duration::from_secs(HTTP_CONNECT_TIMEOUT_SECS),
            request_timeout: Duration::from_secs(HTTP_REQUEST_TIMEOUT_SECS),
            first_contact_wait: Duration::from_millis(FIRST_CONTACT_WAIT_MS),
            idle_connections_per_host: DEFAULT_JOBS,
        }
    }
}

impl ClientOptions {
    /// The defaults plus the environment: `SSL_CERT_FILE` (CA bundle), `DOCKER_CONFIG`
    /// or `~/.docker` (credentials), and the proxy variables.
    pub fn from_env() -> Self {
        Self {
            ca_file: std::env::var_os("SSL_CERT_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            docker_config_dir: auth::default_docker_config_dir(),
            use_env_proxy: true,
            ..Self::default()
        }
    }
}

/// `scheme://authority` plus path and query.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Url {
    https: bool,
    /// `host[:port]`, host lowercased.
    authority: String,
    /// Starts with `/`; includes the query.
    path: String,
}

impl Url {
    fn parse(s: &str) -> Option<Self> {
        let (https, rest) = if let Some(r) = s.strip_prefix("https://") {
            (true, r)
        } else {
            (false, s.strip_prefix("http://")?)
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (rest.get(..i)?, rest.get(i..)?),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        if authority.contains('@') || path.contains('#') || path.chars().any(char::is_whitespace) {
            return None;
        }
        let (host, _) = split_host_port(authority)?;
        if host.is_empty() {
            return None;
        }
        Some(Self {
            https,
            authority: authority.to_ascii_lowercase(),
            path,
        })
    }

    /// RFC 3986 §5.2 for the forms registries send: absolute URLs and absolute paths.
    fn join(&self, reference: &str) -> Option<Self> {
        if reference.starts_with("https://") || reference.starts_with("http://") {
            Self::parse(reference)
        } else if reference.starts_with("//") {
            Self::parse(&format!(
                "{}:{reference}",
                if self.https { "https" } else { "http" }
            ))
        } else if reference.starts_with('/') {
            Self::parse(&format!("{}{reference}", self.origin()))
        } else {
            None
        }
    }

    /// The origin, with the default port made explicit so `h` and `h:443` compare equal.
    fn origin_key(&self) -> String {
        let has_port = split_host_port(&self.authority).is_some_and(|(_, p)| p.is_some());
        match (self.https, has_port) {
            (true, false) => format!("https://{}:443", self.authority),
            (false, false) => format!("http://{}:80", self.authority),
            (true, true) => format!("https://{}", self.authority),
            (false, true) => format!("http://{}", self.authority),
        }
    }

    fn origin(&self) -> String {
        format!(
            "{}://{}",
            if self.https { "https" } else { "http" },
            self.authority
        )
    }

    fn host(&self) -> &str {
        split_host_port(&self.authority).map_or(self.authority.as_str(), |(h, _)| h)
    }
}

impl core::fmt::Display for Url {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}{}", self.origin(), self.path)
    }
}

/// RFC 3986 §2.3: percent-encode everything but unreserved characters.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

use super::is_loopback_host as is_loopback;

/// A response whose body was read within its cap.
struct Fetched {
    status: u16,
    headers: HashMap<&'static str, String>,
    body: Vec<u8>,
    url: Url,
}

impl Fetched {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// This 429 answer for `r`'s repository, with its `Retry-After` (at most 64
    /// characters of it).
    fn rate_limited(&self, r: &Reference) -> RegistryError {
        RegistryError::RateLimited {
            registry: r.registry().to_owned(),
            repository: r.repository().to_owned(),
            retry_after: self
                .header("retry-after")
                .map(|s| s.chars().take(64).collect()),
        }
    }
}

const KEPT_HEADERS: [&str; 7] = [
    "content-type",
    "docker-content-digest",
    "link",
    "oci-filters-applied",
    "retry-after",
    "www-authenticate",
    "location",
];

/// Work done once per key by the first caller (the leader); the others wait for its
/// result, but at most their patience, then do the work themselves. So concurrent packs
/// share one challenge per registry and one token per scope, and a leader whose
/// request stalls holds nobody up for longer than the patience.
struct Flights<V> {
    slots: Mutex<HashMap<String, Slot<V>>>,
    changed: Condvar,
}

enum Slot<V> {
    Running,
    Ready(V),
}

/// What a caller of [`Flights::join`] does next.
enum Turn<'a, V> {
    /// The result is known.
    Ready(V),
    /// Do the work and [`Leading::finish`] with its result (dropping the guard without
    /// a result lets the next caller lead).
    Lead(Leading<'a, V>),
    /// The leader is taking too long: do the work without waiting further.
    Alone,
}

struct Leading<'a, V> {
    flights: &'a Flights<V>,
    key: String,
}

impl<V: Clone + PartialEq> Flights<V> {
    fn new() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot<V>>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, key: &str) -> Option<V> {
        match self.lock().get(key) {
            Some(Slot::Ready(v)) => Some(v.clone()),
            _ => None,
        }
    }

    /// Records a result (whoever found it) and wakes the waiters.
    fn set(&self, key: &str, v: V) {
        self.lock().insert(key.to_owned(), Slot::Ready(v));
        self.changed.notify_all();
    }

    /// Records a result unless one is known already.
    fn set_if_unknown(&self, key: &str, v: V) {
        let mut slots = self.lock();
        if !matches!(slots.get(key), Some(Slot::Ready(_))) {
            slots.insert(key.to_owned(), Slot::Ready(v));
            drop(slots);
            self.changed.notify_all();
        }
    }

    /// Forgets a result that turned out to be stale (a token the registry rejected).
    fn forget(&self, key: &str, stale: &V) {
        let mut slots = self.lock();
        if matches!(slots.get(key), Some(Slot::Ready(v)) if v == stale) {
            slots.remove(key);
        }
    }

    /// The known result, or the lead, or (after `patience`) leave to do it alone.
    /// `Err` when the deadline passes while waiting.
    fn join(
        &self,
        key: &str,
        patience: Duration,
        dl: Option<Deadline>,
    ) -> Result<Turn<'_, V>, Deadline> {
        let give_up = Instant::now().checked_add(patience);
        let mut slots = self.lock();
        loop {
            match slots.get(key) {
                Some(Slot::Ready(v)) => return Ok(Turn::Ready(v.clone())),
                None => {
                    slots.insert(key.to_owned(), Slot::Running);
                    return Ok(Turn::Lead(Leading {
                        flights: self,
                        key: key.to_owned(),
                    }));
                }
                Some(Slot::Running) => {}
            }
            let now = Instant::now();
            if let Some(d) = dl.filter(|d| now >= d.at()) {
                return Err(d);
            }
            let until = match (give_up, dl) {
                (Some(g), Some(d)) => g.min(d.at()),
                (Some(g), None) => g,
                (None, Some(d)) => d.at(),
                (None, None) => return Ok(Turn::Alone),
            };
            if now >= until {
                return Ok(Turn::Alone);
            }
            slots = self
                .changed
                .wait_timeout(slots, until.saturating_duration_since(now))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl<V> Leading<'_, V> {
    fn finish(self, v: V) {
        let mut slots = self
            .flights
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slots.insert(self.key.clone(), Slot::Ready(v));
        drop(slots);
        self.flights.changed.notify_all();
    }
}

impl<V> Drop for Leading<'_, V> {
    /// A leader that failed (or returned early) leaves no result: the next caller leads.
    fn drop(&mut self) {
        let mut slots = self
            .flights
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if matches!(slots.get(&self.key), Some(Slot::Running)) {
            slots.remove(&self.key);
        }
        drop(slots);
        self.flights.changed.notify_all();
    }
}

/// What is known of an origin's liveness.
#[derive(Default)]
struct Health {
    /// When it last answered anything.
    last_answer: Option<Instant>,
    /// Set when a request got no answer and nothing else was answered meanwhile
    /// either: for one request timeout from then, later requests fail at once with
    /// this error instead of each waiting for its own timeout.
    down: Option<(RegistryError, Instant)>,
}

/// The registry endpoint a request belongs to (credentials go only to its origin) and
/// the deadline it runs under.
#[derive(Clone, Copy)]
struct Target<'a> {
    endpoint: &'a Url,
    registry: &'a str,
    dl: Option<Deadline>,
}

/// An OCI distribution client (OCI 1.1 referrers with tag fallback, token auth).
///
/// Safe to share between threads; one client serves a whole run. Concurrent requests
/// to a registry share its first challenge and each scope's token, without waiting
/// for a stalled request for longer than [`ClientOptions::first_contact_wait`].
pub struct RegistryClient {
    agent: ureq::Agent,
    opts: ClientOptions,
    creds: Credentials,
    /// One token per (endpoint origin, scope), reused for the whole run; fetched once
    /// by concurrent requests.
    tokens: Flights<String>,
    /// Endpoint origins that asked for Basic auth.
    basic: Mutex<HashSet<String>>,
    /// How each endpoint origin answered a request without credentials: with a
    /// challenge (scope dropped), else `None`. A known Bearer realm is asked for
    /// another repository's token directly, without a 401 round trip first.
    contact: Flights<Option<Challenge>>,
    /// Liveness per origin (endpoints, token realms, redirect targets).
    health: Mutex<HashMap<String, Health>>,
}

impl core::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// Builds the client: loads the CA bundle and the Docker config (both optional).
    pub fn new(opts: ClientOptions) -> Result<Self, RegistryError> {
        let cfg_err = |detail: String| RegistryError::ClientConfig { detail };
        let roots = match &opts.ca_file {
            None => ureq::tls::RootCerts::WebPki,
            Some(path) => {
                let mut pem = Vec::new();
                std::fs::File::open(path)
                    .and_then(|f| {
                        f.take(u64::try_from(MAX_MANIFEST_BYTES).unwrap_or(u64::MAX))
                            .read_to_end(&mut pem)
                    })
                    .map_err(|e| cfg_err(format!("cannot read CA file {}: {e}", path.display())))?;
                let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                        _ => None,
                    })
                    .collect();
                if certs.is_empty() {
                    return Err(cfg_err(format!(
                        "the CA file {} contains no PEM certificate",
                        path.display()
                    )));
                }
                ureq::tls::RootCerts::new_with_certs(&certs)
            }
        };
        // The crypto provider is chosen here, not by feature unification: ring.
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .root_certs(roots)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .build();
        let proxy = if opts.use_env_proxy {
            ureq::Proxy::try_from_env()
        } else {
            None
        };
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .max_idle_connections_per_host(opts.idle_connections_per_host.max(1))
            .max_idle_connections(opts.idle_connections_per_host.max(1).saturating_mul(4))
            .proxy(proxy)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .https_only(false)
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_global(Some(opts.request_timeout))
            .user_agent(concat!("rulepack-verify/", env!("CARGO_PKG_VERSION")))
            .build();
        let creds = match &opts.docker_config_dir {
            Some(dir) => Credentials::load(dir)?,
            None => Credentials::default(),
        };
        for (registry, base) in &opts.mirrors {
            let u = Url::parse(base.trim_end_matches('/')).ok_or_else(|| {
                cfg_err(format!("the mirror URL {base:?} for {registry} is invalid"))
            })?;
            // `--insecure-registry` may name the logical registry or the mirror itself.
            if !u.https
                && !super::plain_http_mirror_allowed(
                    &u.authority,
                    registry,
                    &opts.insecure_registries,
                )
            {
                return Err(RegistryError::InsecureNotAllowed { url: base.clone() });
            }
        }
        Ok(Self {
            agent: ureq::Agent::new_with_config(config),
            opts,
            creds,
            tokens: Flights::new(),
            basic: Mutex::new(HashSet::new()),
            contact: Flights::new(),
            health: Mutex::new(HashMap::new()),
        })
    }

    /// The endpoint that serves `registry` (a logical, normalized `host[:port]`): its
    /// mirror override, else `https://registry` (`http://` when marked insecure).
    pub fn endpoint(&self, registry: &str) -> String {
        if let Some(m) = self.opts.mirrors.get(registry) {
            return m.trim_end_matches('/').to_owned();
        }
        if self.opts.insecure_registries.iter().any(|r| r == registry) {
            format!("http://{registry}")
        } else {
            format!("https://{registry}")
        }
    }

    fn endpoint_url(&self, r: &Reference) -> Result<Url, RegistryError> {
        let e = self.endpoint(r.registry());
        Url::parse(&e).ok_or_else(|| RegistryError::ClientConfig {
            detail: format!("the endpoint {e:?} for {} is invalid", r.registry()),
        })
    }

    /// Plain HTTP is allowed for hosts the user marked insecure (a redirect target or
    /// token realm included), and for the endpoint of an insecure registry or of a
    /// loopback mirror.
    fn http_allowed(&self, url: &Url, endpoint: &Url, registry: &str) -> bool {
        url.https
            || self.opts.insecure_registries.contains(&url.authority)
            || (url.origin_key() == endpoint.origin_key()
                && (self.opts.insecure_registries.iter().any(|r| r == registry)
                    || (self.opts.mirrors.contains_key(registry) && is_loopback(url.host()))))
    }

    fn scope(r: &Reference) -> String {
        format!("repository:{}:pull", r.repository())
    }

    /// The token cache key of `scope` at `endpoint`.
    fn token_key(endpoint: &Url, scope: &str) -> String {
        format!("{} {scope}", endpoint.origin_key())
    }

    fn lock_health(&self) -> MutexGuard<'_, HashMap<String, Health>> {
        self.health.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The error that marked `origin` down, if it is (still: the mark lasts one
    /// request timeout, so a long-lived client tries again later).
    fn down(&self, origin: &str) -> Option<RegistryError> {
        let mut health = self.lock_health();
        let h = health.get_mut(origin)?;
        match &h.down {
            Some((e, at)) if at.elapsed() < self.opts.request_timeout => Some(e.clone()),
            Some(_) => {
                h.down = None;
                None
            }
            None => None,
        }
    }

    /// `origin` answered: it is up, whatever an earlier request concluded.
    fn answered(&self, origin: &str) {
        let mut health = self.lock_health();
        let h = health.entry(origin.to_owned()).or_default();
        h.last_answer = Some(Instant::now());
        h.down = None;
    }

    /// A request sent at `sent` got no answer: `origin` is down unless it answered
    /// something else since (then only this request was unlucky).
    fn no_answer(&self, origin: &str, sent: Instant, e: &RegistryError) {
        let mut health = self.lock_health();
        let h = health.entry(origin.to_owned()).or_default();
        if h.down.is_none() && h.last_answer.is_none_or(|t| t < sent) {
            h.down = Some((e.clone(), Instant::now()));
        }
    }

    fn lock_basic(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.basic.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `Authorization` value for the endpoint, if any is known.
    fn auth_header(&self, r: &Reference, endpoint: &Url) -> Option<String> {
        if let Some(t) = self.tokens.get(&Self::token_key(endpoint, &Self::scope(r))) {
            return Some(format!("Bearer {t}"));
        }
        if self.lock_basic().contains(&endpoint.origin_key()) {
            return self
                .credentials_for(r, endpoint)
                .map(auth::BasicCredentials::header);
        }
        None
    }

    /// The Docker-config credentials that belong to the endpoint serving `r`. When a
    /// mirror serves the registry, only the mirror's own entry (its `host[:port]`) is
    /// used: credentials for the logical registry are never sent to another host.
    fn credentials_for(&self, r: &Reference, endpoint: &Url) -> Option<&auth::BasicCredentials> {
        if self.opts.mirrors.contains_key(r.registry()) {
            auth::normalize_auth_key(&endpoint.authority).and_then(|k| self.creds.get(&k))
        } else {
            self.creds.get(r.registry())
        }
    }

    /// Who answered: the registry, or "mirror (for registry)".
    fn served_by(&self, r: &Reference, endpoint: &Url) -> String {
        if self.opts.mirrors.contains_key(r.registry()) {
            format!("{} (mirror for {})", endpoint.authority, r.registry())
        } else {
            r.registry().to_owned()
        }
    }

    /// A transport error as a registry error. `cut` tells which of the request's
    /// timeouts (global, connect) were shortened to the deadline: when one of those
    /// fires, the deadline is what passed.
    fn transport_error(
        &self,
        url: &Url,
        e: ureq::Error,
        dl: Option<Deadline>,
        (cut, connect_cut): (bool, bool),
    ) -> RegistryError {
        match e {
            ureq::Error::Timeout(t) => {
                let connect = t == ureq::Timeout::Connect;
                match dl {
                    Some(d) if (connect && connect_cut) || (!connect && cut) => {
                        d.exceeded(&url.authority)
                    }
                    _ => RegistryError::Timeout {
                        registry: url.authority.clone(),
                        seconds: if connect {
                            self.opts.connect_timeout
                        } else {
                            self.opts.request_timeout
                        }
                        .as_secs()
                        .max(1),
                    },
                }
            }
            ureq::Error::BodyExceedsLimit(n) => RegistryError::TooLarge {
                what: format!("the response from {url}"),
                limit: n,
            },
            other => RegistryError::Network {
                registry: url.authority.clone(),
                detail: other.to_string(),
            },
        }
    }

    /// The timeouts of one request: the configured ones, cut to the time left before
    /// the deadline (and whether they were cut). `Err` once the deadline has passed.
    fn timeouts(
        &self,
        url: &Url,
        dl: Option<Deadline>,
    ) -> Result<(Duration, Duration, (bool, bool)), RegistryError> {
        let (total, connect) = (self.opts.request_timeout, self.opts.connect_timeout);
        let Some(d) = dl else {
            return Ok((total, connect, (false, false)));
        };
        let left = d.left();
        if left.is_zero() {
            return Err(d.exceeded(&url.authority));
        }
        Ok((
            total.min(left),
            connect.min(left),
            (left < total, left < connect),
        ))
    }

    /// One request, following redirects by hand. `Authorization` goes only to the
    /// endpoint's origin. Each hop gets the request timeout, cut to the deadline; an
    /// origin marked down (see [`Health`]) fails at once.
    fn send(
        &self,
        method: &str,
        start: Url,
        t: Target<'_>,
        accept: Option<&str>,
        auth: Option<&str>,
        max: u64,
    ) -> Result<Fetched, RegistryError> {
        let Target {
            endpoint,
            registry,
            dl,
        } = t;
        let mut url = start;
        let mut redirects = 0u32;
        loop {
            if !self.http_allowed(&url, endpoint, registry) {
                return Err(RegistryError::InsecureNotAllowed {
                    url: url.to_string(),
                });
            }
            let origin = url.origin_key();
            if let Some(e) = self.down(&origin) {
                return Err(e);
            }
            let (total, connect, cut) = self.timeouts(&url, dl)?;
            let text = url.to_string();
            let mut req = match method {
                "HEAD" => self.agent.head(&text),
                _ => self.agent.get(&text),
            };
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            // Credentials: "Authorization is never sent to a host other than the one that
            // issued the challenge": origin = scheme, host and port.
            if let Some(a) = auth {
                if origin == endpoint.origin_key() {
                    req = req.header("Authorization", a);
                }
            }
            let req = req
                .config()
                .timeout_global(Some(total))
                .timeout_connect(Some(connect))
                .build();
            let sent = Instant::now();
            let resp = match req.call() {
                Ok(resp) => {
                    self.answered(&origin);
                    resp
                }
                Err(e) => {
                    // No answer in time (connect, TLS or response): what would make every
                    // later request wait its own timeout too. A fast failure (refused,
                    // reset, no such host) costs the next request nothing, and is not
                    // taken as the registry being down.
                    let silent = matches!(e, ureq::Error::Timeout(_));
                    let err = self.transport_error(&url, e, dl, cut);
                    // A deadline cutting the request short says nothing about the host.
                    if silent && !matches!(err, RegistryError::DeadlineExceeded { .. }) {
                        self.no_answer(&origin, sent, &err);
                    }
                    return Err(err);
                }
            };
            let status = resp.status().as_u16();
            let mut headers = HashMap::new();
            for name in KEPT_HEADERS {
                if let Some(v) = resp.headers().get(name).and_then(|v| v.to_str().ok()) {
                    headers.insert(name, v.to_owned());
                }
            }
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let loc = headers.get("location").cloned().unwrap_or_default();
                let next = url.join(&loc).ok_or_else(|| RegistryError::BadRedirect {
                    from: url.to_string(),
                    detail: format!("the Location {loc:?} is not a usable URL"),
                })?;
                redirects = redirects.saturating_add(1);
                if redirects > MAX_HTTP_REDIRECTS {
                    return Err(RegistryError::BadRedirect {
                        from: url.to_string(),
                        detail: format!("more than {MAX_HTTP_REDIRECTS} redirects"),
                    });
                }
                if url.https && !next.https {
                    return Err(RegistryError::BadRedirect {
                        from: url.to_string(),
                        detail: format!("it downgrades to plain HTTP ({next})"),
                    });
                }
                url = next;
                continue;
            }
            let cap = if status == 200 {
                max
            } else {
                u64::try_from(MAX_SMALL_HTTP_BODY_BYTES).unwrap_or(u64::MAX)
            };
            let mut body = Vec::new();
            if method != "HEAD" {
                // Content-Length is only a hint; the cap is enforced while reading.
                resp.into_body()
                    .into_with_config()
                    .reader()
                    .take(cap.saturating_add(1))
                    .read_to_end(&mut body)
                    .map_err(|e| match e.into_inner() {
                        Some(inner) => match inner.downcast::<ureq::Error>() {
                            Ok(ue) => self.transport_error(&url, *ue, dl, cut),
                            Err(other) => RegistryError::Network {
                                registry: url.authority.clone(),
                                detail: other.to_string(),
                            },
                        },
                        None => RegistryError::Network {
                            registry: url.authority.clone(),
                            detail: "the connection failed while reading".into(),
                        },
                    })?;
                if u64::try_from(body.len()).unwrap_or(u64::MAX) > cap && status == 200 {
                    return Err(RegistryError::TooLarge {
                        what: format!("the response from {url}"),
                        limit: cap,
                    });
                }
            }
            return Ok(Fetched {
                status,
                headers,
                body,
                url,
            });
        }
    }

    /// [`Self::send`], retried when the answer is 429 or 503 (every request here is an
    /// idempotent GET or HEAD; RFC 9110 §9.2.2): at most [`MAX_HTTP_RETRIES`] times,
    /// after `Retry-After` (RFC 9110 §10.2.3) when it asks for at most
    /// [`MAX_RETRY_AFTER_SECS`], else after a short backoff, and only when the wait
    /// ends before the deadline. Otherwise the 429/503 answer itself is returned.
    fn send_retrying(
        &self,
        method: &str,
        start: &Url,
        t: Target<'_>,
        accept: Option<&str>,
        auth: Option<&str>,
        max: u64,
    ) -> Result<Fetched, RegistryError> {
        let mut attempt = 0u32;
        loop {
            let f = self.send(method, start.clone(), t, accept, auth, max)?;
            if !matches!(f.status, 429 | 503) || attempt >= MAX_HTTP_RETRIES {
                return Ok(f);
            }
            let backoff = Duration::from_millis(
                HTTP_RETRY_BACKOFF_MS.saturating_mul(1u64 << attempt.min(16)),
            );
            let wait = match f.header("retry-after") {
                Some(v) => retry_after(v, unix_now()).unwrap_or(backoff),
                None => backoff,
            };
            if wait > Duration::from_secs(MAX_RETRY_AFTER_SECS)
                || t.dl.is_some_and(|d| d.left() <= wait)
            {
                return Ok(f);
            }
            std::thread::sleep(wait);
            attempt = attempt.saturating_add(1);
        }
    }

    /// GET/HEAD `path` (or an absolute URL on a later page) on `r`'s registry with
    /// the token flow; 401/403/429 become errors, every other status is returned.
    fn request(
        &self,
        method: &str,
        r: &Reference,
        target: Result<&str, Url>,
        accept: Option<&str>,
        max: u64,
        dl: Option<Deadline>,
    ) -> Result<Fetched, RegistryError> {
        let endpoint = self.endpoint_url(r)?;
        let url = match target {
            Ok(path) => endpoint
                .join(path)
                .ok_or_else(|| RegistryError::ClientConfig {
                    detail: format!("cannot build a URL for {path}"),
                })?,
            Err(u) => u,
        };
        let scope = Self::scope(r);
        let origin = endpoint.origin_key();
        let t = Target {
            endpoint: &endpoint,
            registry: r.registry(),
            dl,
        };
        let mut auth = self.auth_header(r, &endpoint);
        // With nothing to send yet, the first request to an origin finds out how it
        // authenticates; concurrent ones wait for that answer (not for the rest of
        // that request), at most `first_contact_wait`, then go ahead on their own.
        let mut _first_contact = None;
        if auth.is_none() {
            let patience = self.opts.first_contact_wait;
            match self
                .contact
                .join(&origin, patience, dl)
                .map_err(|d| d.exceeded(&endpoint.authority))?
            {
                Turn::Lead(lead) => _first_contact = Some(lead),
                Turn::Alone | Turn::Ready(None) => {}
                // token.md: the realm and service come from the registry's challenge;
                // the scope is this request's `repository:<name>:pull`.
                Turn::Ready(Some(challenge)) => {
                    auth = match self.authenticate(r, &endpoint, &challenge, &scope, dl, None) {
                        Ok(a) => Some(a),
                        // The realm refused this scope: the registry's own challenge
                        // (below) decides.
                        Err(RegistryError::Unauthorized { .. }) => None,
                        Err(e) => return Err(e),
                    };
                }
            }
        }
        let mut tried_auth = false;
        loop {
            let f = self.send_retrying(method, &url, t, accept, auth.as_deref(), max)?;
            let denied = || RegistryError::Unauthorized {
                registry: r.registry().to_owned(),
                repository: r.repository().to_owned(),
                scope: scope.clone(),
            };
            match f.status {
                401 => {
                    if tried_auth {
                        return Err(denied());
                    }
                    tried_auth = true;
                    // Only the registry endpoint may ask for credentials: a 401 from a
                    // redirect target or another host's pagination link must not make
                    // us send the registry's credentials to a token realm it names.
                    if f.url.origin_key() != origin {
                        return Err(denied());
                    }
                    // token.md: the 401 carries the challenge.
                    let challenge = f
                        .header("www-authenticate")
                        .and_then(auth::parse_challenge)
                        .ok_or_else(denied)?;
                    // How the origin authenticates is known now: waiting requests go on
                    // (each to its own scope's token) while this one gets its token.
                    let known = match &challenge {
                        Challenge::Bearer { realm, service, .. } => Challenge::Bearer {
                            realm: realm.clone(),
                            service: service.clone(),
                            scope: None,
                        },
                        Challenge::Basic => Challenge::Basic,
                    };
                    self.contact.set(&origin, Some(known));
                    auth = Some(self.authenticate(
                        r,
                        &endpoint,
                        &challenge,
                        &scope,
                        dl,
                        auth.as_deref(),
                    )?);
                }
                403 => {
                    return Err(RegistryError::Forbidden {
                        registry: r.registry().to_owned(),
                        repository: r.repository().to_owned(),
                        scope,
                    })
                }
                429 => return Err(f.rate_limited(r)),
                _ => {
                    // Only the endpoint itself, answering without credentials, shows
                    // that it needs none (not a redirect target or a pagination host).
                    if auth.is_none() && f.url.origin_key() == origin {
                        self.contact.set_if_unknown(&origin, None);
                    }
                    return Ok(f);
                }
            }
        }
    }

    /// Answers a challenge: Basic with the configured credentials, or Bearer through
    /// the token service (anonymous when there are no credentials). A scope's token is
    /// fetched once for concurrent requests; `rejected` is an `Authorization` value
    /// the registry just refused, which is not reused.
    fn authenticate(
        &self,
        r: &Reference,
        endpoint: &Url,
        challenge: &Challenge,
        scope: &str,
        dl: Option<Deadline>,
        rejected: Option<&str>,
    ) -> Result<String, RegistryError> {
        let creds = self.credentials_for(r, endpoint);
        let served_by = self.served_by(r, endpoint);
        let unauthorized = || RegistryError::Unauthorized {
            registry: served_by.clone(),
            repository: r.repository().to_owned(),
            scope: scope.to_owned(),
        };
        let (realm, service, ch_scope) = match challenge {
            Challenge::Basic => {
                let c = creds.ok_or_else(unauthorized)?;
                self.lock_basic().insert(endpoint.origin_key());
                return Ok(c.header());
            }
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => (realm, service, scope),
        };
        let key = Self::token_key(endpoint, scope);
        if let Some(stale) = rejected.and_then(|a| a.strip_prefix("Bearer ")) {
            self.tokens.forget(&key, &stale.to_owned());
        }
        let lead = match self
            .tokens
            .join(&key, self.opts.first_contact_wait, dl)
            .map_err(|d| d.exceeded(&endpoint.authority))?
        {
            Turn::Ready(token) => return Ok(format!("Bearer {token}")),
            Turn::Lead(lead) => Some(lead),
            Turn::Alone => None,
        };
        let auth_failed = |detail: String| RegistryError::AuthFailed {
            registry: r.registry().to_owned(),
            detail,
        };
        let realm_url = Url::parse(realm)
            .ok_or_else(|| auth_failed(format!("the token realm {realm:?} is not a URL")))?;
        // The realm receives the registry's Basic credentials, so it must be HTTPS
        // unless it is the (explicitly insecure) registry itself.
        if !self.http_allowed(&realm_url, endpoint, r.registry()) {
            return Err(RegistryError::InsecureNotAllowed {
                url: realm_url.to_string(),
            });
        }
        let use_scope = ch_scope.as_deref().unwrap_or(scope);
        let mut q = vec![format!("scope={}", query_escape(use_scope))];
        if let Some(s) = service {
            q.push(format!("service={}", query_escape(s)));
        }
        let sep = if realm_url.path.contains('?') {
            '&'
        } else {
            '?'
        };
        let token_url = Url {
            path: format!("{}{sep}{}", realm_url.path, q.join("&")),
            ..realm_url.clone()
        };
        let cap = u64::try_from(MAX_SMALL_HTTP_BODY_BYTES).unwrap_or(u64::MAX);
        let basic = creds.map(auth::BasicCredentials::header);
        // Credentials go to the realm's origin only (send() checks origins).
        let t = Target {
            endpoint: &realm_url,
            registry: r.registry(),
            dl,
        };
        let f = self.send_retrying("GET", &token_url, t, None, basic.as_deref(), cap)?;
        match f.status {
            200 => {}
            401 | 403 => return Err(unauthorized()),
            429 => return Err(f.rate_limited(r)),
            s => return Err(auth_failed(format!("the token service answered HTTP {s}"))),
        }
        let token = auth::parse_token(&f.body).map_err(auth_failed)?;
        match lead {
            Some(lead) => lead.finish(token.clone()),
            None => self.tokens.set(&key, token.clone()),
        }
        Ok(format!("Bearer {token}"))
    }

    fn unexpected(r: &Reference, f: &Fetched) -> RegistryError {
        RegistryError::HttpStatus {
            registry: r.registry().to_owned(),
            path: f.url.path.chars().take(200).collect(),
            status: f.status,
        }
    }

    /// GET a manifest by tag or digest; returns (bytes, computed digest, media type).
    fn get_manifest(
        &self,
        r: &Reference,
        tag_or_digest: &str,
        what: &str,
        dl: Option<Deadline>,
    ) -> Result<Option<(Vec<u8>, Digest, String)>, RegistryError> {
        let path = format!("/v2/{}/manifests/{tag_or_digest}", r.repository());
        let max = u64::try_from(MAX_MANIFEST_BYTES).unwrap_or(u64::MAX);
        let f = self.request("GET", r, Ok(&path), Some(MANIFEST_ACCEPT), max, dl)?;
        match f.status {
            200 => {}
            404 => return Ok(None),
            _ => return Err(Self::unexpected(r, &f)),
        }
        // Digest over the exact bytes received (OCI distribution-spec "Pulling manifests").
        let actual = Digest::of(&f.body);
        // distribution-spec: "Docker-Content-Digest ... MUST match the body".
        if let Some(h) = f.header("docker-content-digest") {
            let claimed = Digest::parse(h.trim()).map_err(|_| RegistryError::InvalidDigest {
                what: format!("the Docker-Content-Digest header for {what}"),
                value: h.chars().take(100).collect(),
            })?;
            if claimed != actual {
                return Err(RegistryError::DigestMismatch {
                    what: format!("{what} (Docker-Content-Digest header)"),
                    expected: claimed.to_string(),
                    actual: actual.to_string(),
                });
            }
        }
        let m = parse_manifest(&f.body, f.header("content-type"), what)?;
        let media_type = match m {
            Manifest::Image(i) => i.media_type,
            Manifest::Index(i) => i.media_type,
        };
        Ok(Some((f.body, actual, media_type)))
    }

    fn not_found(r: &Reference, what: String) -> RegistryError {
        RegistryError::NotFound {
            registry: r.registry().to_owned(),
            repository: r.repository().to_owned(),
            what,
        }
    }
}

/// The registry client under a [`Deadline`]: what one pack fetches through. Every
/// request it makes (tokens, manifests, referrers, blobs, retries and their waits)
/// ends by the deadline, or fails with [`RegistryError::DeadlineExceeded`].
#[derive(Clone, Copy, Debug)]
pub struct BoundedClient<'a> {
    client: &'a RegistryClient,
    deadline: Deadline,
}

impl RegistryClient {
    /// This client, with every request bounded by `deadline`.
    pub fn until(&self, deadline: Deadline) -> BoundedClient<'_> {
        BoundedClient {
            client: self,
            deadline,
        }
    }
}

impl ArtifactSource for BoundedClient<'_> {
    fn resolve_manifest(&self, r: &Reference) -> Result<(Descriptor, Vec<u8>), RegistryError> {
        self.client.resolve_manifest_by(r, Some(self.deadline))
    }

    fn fetch_manifest(&self, r: &Reference, digest: &Digest) -> Result<Vec<u8>, RegistryError> {
        self.client
            .fetch_manifest_by(r, digest, Some(self.deadline))
    }

    fn fetch_blob(
        &self,
        r: &Reference,
        digest: &Digest,
        max: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        self.client
            .fetch_blob_by(r, digest, max, Some(self.deadline))
    }

    fn referrers(
        &self,
        r: &Reference,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>, RegistryError> {
        self.client
            .referrers_by(r, subject, artifact_type, Some(self.deadline))
    }

    fn tag_exists(&self, r: &Reference, tag: &str) -> Result<bool, RegistryError> {
        self.client.tag_exists_by(r, tag, Some(self.deadline))
    }
}

/// Without a deadline: each request is bounded by the request timeout only.
impl ArtifactSource for RegistryClient {
    fn resolve_manifest(&self, r: &Reference) -> Result<(Descriptor, Vec<u8>), RegistryError> {
        self.resolve_manifest_by(r, None)
    }

    fn fetch_manifest(&self, r: &Reference, digest: &Digest) -> Result<Vec<u8>, RegistryError> {
        self.fetch_manifest_by(r, digest, None)
    }

    fn fetch_blob(
        &self,
        r: &Reference,
        digest: &Digest,
        max: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        self.fetch_blob_by(r, digest, max, None)
    }

    fn referrers(
        &self,
        r: &Reference,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>, RegistryError> {
        self.referrers_by(r, subject, artifact_type, None)
    }

    fn tag_exists(&self, r: &Reference, tag: &str) -> Result<bool, RegistryError> {
        self.tag_exists_by(r, tag, None)
    }
}

/// [`ArtifactSource`], under an optional deadline.
impl RegistryClient {
    fn resolve_manifest_by(
        &self,
        r: &Reference,
        dl: Option<Deadline>,
    ) -> Result<(Descriptor, Vec<u8>), RegistryError> {
        // A digest in the reference wins over its tag (as in docker), and pins the
        // manifest: the bytes received must hash to it.
        let (target, what) = match (r.digest(), r.tag()) {
            (Some(d), _) => (d.to_string(), format!("the manifest {d}")),
            (None, Some(t)) => (t.to_owned(), format!("the manifest tagged {t}")),
            (None, None) => return Err(Self::not_found(r, "a tag or digest".into())),
        };
        let (body, actual, media_type) = self
            .get_manifest(r, &target, &what, dl)?
            .ok_or_else(|| Self::not_found(r, what.clone()))?;
        if let Some(pinned) = r.digest() {
            if pinned != &actual {
                return Err(RegistryError::DigestMismatch {
                    what,
                    expected: pinned.to_string(),
                    actual: actual.to_string(),
                });
            }
        }
        let desc = Descriptor {
            media_type,
            digest: actual,
            size: u64::try_from(body.len()).unwrap_or(u64::MAX),
            artifact_type: None,
            annotations: Default::default(),
        };
        Ok((desc, body))
    }

    fn fetch_manifest_by(
        &self,
        r: &Reference,
        digest: &Digest,
        dl: Option<Deadline>,
    ) -> Result<Vec<u8>, RegistryError> {
        let what = format!("the manifest {digest}");
        let (body, actual, _) = self
            .get_manifest(r, &digest.to_string(), &what, dl)?
            .ok_or_else(|| Self::not_found(r, what.clone()))?;
        // Fetched by digest: SHA-256(body) must equal it (OCI distribution-spec "Pulling manifests").
        if &actual != digest {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(body)
    }

    fn fetch_blob_by(
        &self,
        r: &Reference,
        digest: &Digest,
        max: u64,
        dl: Option<Deadline>,
    ) -> Result<Vec<u8>, RegistryError> {
        let what = format!("the blob {digest}");
        let path = format!("/v2/{}/blobs/{digest}", r.repository());
        let f = self.request("GET", r, Ok(&path), None, max, dl)?;
        match f.status {
            200 => {}
            404 => return Err(Self::not_found(r, what)),
            _ => return Err(Self::unexpected(r, &f)),
        }
        // OCI distribution-spec "Pulling blobs": verify SHA-256(body) == digest.
        let actual = Digest::of(&f.body);
        if &actual != digest {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(f.body)
    }

    fn referrers_by(
        &self,
        r: &Reference,
        subject: &Digest,
        artifact_type: Option<&str>,
        dl: Option<Deadline>,
    ) -> Result<Vec<Descriptor>, RegistryError> {
        let mut path = format!("/v2/{}/referrers/{subject}", r.repository());
        if let Some(t) = artifact_type {
            path.push_str(&format!("?artifactType={}", query_escape(t)));
        }
        let max = u64::try_from(MAX_MANIFEST_BYTES).unwrap_or(u64::MAX);
        let mut out: Vec<Descriptor> = Vec::new();
        let mut next: Result<String, Url> = Ok(path);
        for page in 0..=MAX_REFERRER_PAGES {
            if page == MAX_REFERRER_PAGES {
                return Err(RegistryError::TooManyReferrerPages {
                    limit: MAX_REFERRER_PAGES,
                });
            }
            let f = self.request(
                "GET",
                r,
                next.as_deref().map_err(Clone::clone),
                None,
                max,
                dl,
            )?;
            match f.status {
                200 => {}
                // distribution-spec: a registry supporting the API MUST NOT 404; a 404
                // (on the first page only) means: use the tag schema.
                404 if page == 0 => return self.referrers_fallback(r, subject, artifact_type, dl),
                _ => return Err(Self::unexpected(r, &f)),
            }
            let what = format!("the referrers list of {subject}");
            let ct = f.header("content-type").map(bare_media_type);
            if ct.is_some_and(|c| c != OCI_INDEX) {
                return Err(RegistryError::UnsupportedMediaType {
                    what,
                    media_type: ct.unwrap_or_default().to_owned(),
                });
            }
            let Manifest::Index(idx) = parse_manifest(&f.body, Some(OCI_INDEX), &what)? else {
                return Err(RegistryError::InvalidManifest {
                    what,
                    detail: "not an image index".into(),
                });
            };
            if out.len().saturating_add(idx.manifests.len()) > MAX_REFERRERS {
                return Err(RegistryError::TooManyReferrers {
                    limit: MAX_REFERRERS,
                });
            }
            out.extend(idx.manifests);
            // RFC 8288 `Link: <url>; rel="next"`.
            match f.header("link").and_then(next_link) {
                Some(l) => {
                    let u = f
                        .url
                        .join(&l)
                        .ok_or_else(|| RegistryError::InvalidManifest {
                            what: "the referrers Link header".into(),
                            detail: format!("{l:?} is not a usable URL"),
                        })?;
                    next = Err(u);
                }
                None => break,
            }
        }
        // OCI-Filters-Applied tells whether the registry filtered; re-applying the
        // filter on the client is correct either way.
        Ok(filter_artifact_type(out, artifact_type))
    }

    fn tag_exists_by(
        &self,
        r: &Reference,
        tag: &str,
        dl: Option<Deadline>,
    ) -> Result<bool, RegistryError> {
        let path = format!("/v2/{}/manifests/{tag}", r.repository());
        let f = self.request("HEAD", r, Ok(&path), Some(MANIFEST_ACCEPT), 0, dl)?;
        match f.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(Self::unexpected(r, &f)),
        }
    }
}

impl RegistryClient {
    /// distribution-spec "Referrers tag schema": GET the `sha256-<hex>` tag; absent
    /// means no referrers; it must be an image index and must not be the subject.
    fn referrers_fallback(
        &self,
        r: &Reference,
        subject: &Digest,
        artifact_type: Option<&str>,
        dl: Option<Deadline>,
    ) -> Result<Vec<Descriptor>, RegistryError> {
        let tag = fallback_tag(subject);
        let what = format!("the referrers fallback tag {tag}");
        let Some((body, actual, media_type)) = self.get_manifest(r, &tag, &what, dl)? else {
            return Ok(Vec::new());
        };
        if &actual == subject {
            return Err(RegistryError::FallbackIsSubject { tag });
        }
        if !is_index_type(&media_type) {
            return Err(RegistryError::FallbackNotIndex { tag, media_type });
        }
        let Manifest::Index(idx) = parse_manifest(&body, Some(&media_type), &what)? else {
            return Err(RegistryError::FallbackNotIndex { tag, media_type });
        };
        Ok(filter_artifact_type(idx.manifests, artifact_type))
    }
}

/// The wall clock, Unix seconds (for `Retry-After` dates).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// RFC 9110 §10.2.3 `Retry-After = HTTP-date / delay-seconds`: the wait it asks for,
/// `None` when it is neither. HTTP-date in its preferred form, IMF-fixdate
/// (RFC 9110 §5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT`); a date in the past means now.
fn retry_after(value: &str, now: i64) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse().ok().map(Duration::from_secs);
    }
    let rest = v.get(3..)?.strip_prefix(", ")?;
    if !matches!(
        v.get(..3)?,
        "Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat" | "Sun"
    ) {
        return None;
    }
    let mut parts = rest.split(' ');
    let (day, month, year, clock, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || zone != "GMT" || day.len() != 2 || year.len() != 4 {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)?;
    let mut hms = clock.split(':');
    let num = |s: Option<&str>, len: usize| -> Option<u32> {
        s.filter(|s| s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))?
            .parse()
            .ok()
    };
    let (h, mi, sec) = (
        num(hms.next(), 2)?,
        num(hms.next(), 2)?,
        num(hms.next(), 2)?,
    );
    if hms.next().is_some() {
        return None;
    }
    let at = crate::time::from_civil(
        i64::from(num(Some(year), 4)?),
        u32::try_from(month).ok()?.checked_add(1)?,
        num(Some(day), 2)?,
        h,
        mi,
        sec,
    )?;
    Some(Duration::from_secs(
        u64::try_from(at.saturating_sub(now)).unwrap_or(0),
    ))
}

/// The target of the `rel="next"` link in a `Link` header value.
fn next_link(h: &str) -> Option<String> {
    for part in h.split(',') {
        let mut segs = part.split(';');
        let target = segs.next()?.trim();
        let target = target.strip_prefix('<')?.strip_suffix('>')?;
        if segs.any(|p| {
            let p = p.trim();
            p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
        }) {
            return Some(target.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = Url::parse("https://GHCR.io/v2/a/manifests/1").unwrap();
        assert_eq!(u.authority, "ghcr.io");
        assert_eq!(
            u.origin_key(),
            Url::parse("https://ghcr.io:443/x").unwrap().origin_key()
        );
        assert_ne!(
            u.origin_key(),
            Url::parse("http://ghcr.io/x").unwrap().origin_key()
        );
        assert_ne!(
            u.origin_key(),
            Url::parse("https://ghcr.io:8443/x").unwrap().origin_key()
        );
        assert_eq!(
            u.join("/v2/x?last=a").unwrap().to_string(),
            "https://ghcr.io/v2/x?last=a"
        );
        assert_eq!(u.join("https://pkg.io/b").unwrap().authority, "pkg.io");
        assert_eq!(
            u.join("//pkg.io/b").unwrap().to_string(),
            "https://pkg.io/b"
        );
        assert!(u.join("relative").is_none());
        assert!(Url::parse("https://user:pw@ghcr.io/").is_none());
        assert!(Url::parse("ftp://x/").is_none());
        assert_eq!(Url::parse("http://127.0.0.1:5000?x").unwrap().path, "/?x");
        assert!(is_loopback("127.0.0.1") && is_loopback("[::1]") && is_loopback("localhost"));
        assert!(!is_loopback("10.0.0.1"));
        assert_eq!(
            query_escape("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }

    #[test]
    fn links() {
        assert_eq!(
            next_link(r#"</v2/a/referrers/sha256:x?n=2>; rel="next""#).as_deref(),
            Some("/v2/a/referrers/sha256:x?n=2")
        );
        assert_eq!(
            next_link(r#"<https://a/p1>; rel="prev", <https://a/p3>; rel=next"#).as_deref(),
            Some("https://a/p3")
        );
        assert_eq!(next_link(r#"<https://a/p1>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
    }

    #[test]
    fn retry_after_values() {
        // RFC 9110 §10.2.3 examples: a date and a number of seconds.
        let now = crate::time::from_civil(2026, 11, 27, 8, 0, 0).unwrap();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Fri, 27 Nov 2026 08:00:03 GMT", now),
            Some(Duration::from_secs(3))
        );
        // A date in the past: retry now.
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "99999999999",
            "soon",
            "Fri, 27 Nov 2026 08:00:03 UTC",
            "Fri, 27 Nov 2026 8:00:03 GMT",
            "Fri, 31 Nov 2026 08:00:03 GMT",
            "Xyz, 27 Nov 2026 08:00:03 GMT",
            "Fri, 27 Nov 2026 08:00:03 GMT extra",
            "Friday, 27-Nov-26 08:00:03 GMT",
        ] {
            assert_eq!(retry_after(bad, now), None, "{bad:?}");
        }
        let n = crate::testutil::mutate_all(b"Fri, 27 Nov 2026 08:00:03 GMT", |b| {
            retry_after(&String::from_utf8_lossy(b), now).ok_or(())
        });
        assert!(n > 10);
    }

    #[test]
    fn flights_lead_wait_and_let_go() {
        use crate::oci::DeadlineKind;
        let f: Flights<u32> = Flights::new();
        let long = Duration::from_secs(30);
        // The first caller leads; a result wakes and serves the waiters.
        let Ok(Turn::Lead(lead)) = f.join("a", long, None) else {
            panic!("first caller must lead")
        };
        std::thread::scope(|s| {
            let waiter = s.spawn(|| match f.join("a", long, None) {
                Ok(Turn::Ready(v)) => v,
                _ => 0,
            });
            std::thread::sleep(Duration::from_millis(50));
            lead.finish(7);
            assert_eq!(waiter.join().unwrap(), 7);
        });
        assert_eq!(f.get("a"), Some(7));
        // A leader that gives up without a result lets the next caller lead.
        let Ok(Turn::Lead(lead)) = f.join("b", long, None) else {
            panic!()
        };
        drop(lead);
        assert!(matches!(f.join("b", long, None), Ok(Turn::Lead(_))));
        // While a leader runs, a waiter goes alone after its patience, or fails when its
        // deadline passes first.
        let Ok(Turn::Lead(_held)) = f.join("c", long, None) else {
            panic!()
        };
        assert!(matches!(
            f.join("c", Duration::from_millis(20), None),
            Ok(Turn::Alone)
        ));
        let dl = Deadline::after(DeadlineKind::Pack, Duration::from_millis(20));
        assert_eq!(f.join("c", long, Some(dl)).err(), Some(dl));
        // Stale results are forgotten only when they are the stale value.
        f.set("d", 1);
        f.forget("d", &2);
        assert_eq!(f.get("d"), Some(1));
        f.forget("d", &1);
        assert_eq!(f.get("d"), None);
        f.set_if_unknown("d", 3);
        f.set_if_unknown("d", 4);
        assert_eq!(f.get("d"), Some(3));
    }

    #[test]
    fn a_host_is_down_only_when_nothing_answered_and_only_for_a_while() {
        let c = RegistryClient::new(ClientOptions {
            request_timeout: Duration::from_millis(300),
            ..ClientOptions::default()
        })
        .unwrap();
        let err = RegistryError::Timeout {
            registry: "r.io".into(),
            seconds: 1,
        };
        // Another request was answered after this one was sent: not down.
        let sent = Instant::now();
        c.answered("https://r.io:443");
        c.no_answer("https://r.io:443", sent, &err);
        assert_eq!(c.down("https://r.io:443"), None);
        // Nothing answered since: down, for one request timeout.
        c.no_answer("https://r.io:443", Instant::now(), &err);
        assert_eq!(c.down("https://r.io:443"), Some(err.clone()));
        assert_eq!(c.down("https://other.io:443"), None);
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(c.down("https://r.io:443"), None);
        // An answer (to a request already in flight) ends the mark at once.
        c.no_answer("https://r.io:443", Instant::now(), &err);
        assert_eq!(c.down("https://r.io:443"), Some(err.clone()));
        c.answered("https://r.io:443");
        assert_eq!(c.down("https://r.io:443"), None);
    }

    #[test]
    fn plain_http_mirror_needs_loopback_or_an_insecure_mark_on_the_mirror_or_registry() {
        let with = |insecure: &[&str]| {
            let mut o = ClientOptions::default();
            o.mirrors
                .insert("ghcr.io".into(), "http://mirror.corp:5000".into());
            o.insecure_registries = insecure.iter().map(|s| (*s).to_owned()).collect();
            RegistryClient::new(o).map(|_| ())
        };
        assert_eq!(
            with(&[]).unwrap_err().code(),
            "registry.insecure-not-allowed"
        );
        assert_eq!(
            with(&["mirror.corp"]).unwrap_err().code(),
            "registry.insecure-not-allowed"
        );
        assert!(with(&["mirror.corp:5000"]).is_ok());
        assert!(with(&["ghcr.io"]).is_ok());
    }

    #[test]
    fn options_and_endpoints() {
        let mut o = ClientOptions::default();
        o.mirrors
            .insert("ghcr.io".into(), "http://127.0.0.1:9/".into());
        let c = RegistryClient::new(o.clone()).unwrap();
        assert_eq!(c.endpoint("ghcr.io"), "http://127.0.0.1:9");
        assert_eq!(c.endpoint("quay.io"), "https://quay.io");
        o.mirrors
            .insert("ghcr.io".into(), "http://mirror.corp".into());
        assert_eq!(
            RegistryClient::new(o.clone()).unwrap_err().code(),
            "registry.insecure-not-allowed"
        );
        o.insecure_registries.push("ghcr.io".into());
        assert!(RegistryClient::new(o).is_ok());
        let bad_ca = ClientOptions {
            ca_file: Some(PathBuf::from("/nonexistent/ca.pem")),
            ..ClientOptions::default()
        };
        assert_eq!(
            RegistryClient::new(bad_ca).unwrap_err().code(),
            "registry.client-config"
        );
    }
}
