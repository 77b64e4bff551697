//! A local TUF repository for tests, modelled on python-tuf's
//! `tests/repository_simulator.py`: in-memory roles signed with our own deterministic
//! P-256 and Ed25519 keys, every published `N.root.json` kept, served by a tiny std-only
//! HTTP/1.1 server on `127.0.0.1:0` that logs requests and can be told to answer with a
//! status, an endless body or a slow body.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// OLPC canonical JSON, written independently of the crate's implementation.
pub fn canonical(v: &Value) -> Vec<u8> {
    fn s(x: &str) -> String {
        format!("\"{}\"", x.replace('\\', "\\\\").replace('"', "\\\""))
    }
    fn go(v: &Value) -> String {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let parts: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{}:{}", s(k), go(&m[*k])))
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
            Value::Array(a) => format!("[{}]", a.iter().map(go).collect::<Vec<_>>().join(",")),
            Value::String(x) => s(x),
            other => other.to_string(),
        }
    }
    go(v).into_bytes()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

/// A signing key with its TUF key object and keyid.
#[derive(Clone)]
pub struct Key {
    pub id: String,
    pub public: Value,
    kind: KeyKind,
}

#[derive(Clone)]
enum KeyKind {
    P256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
    RsaPss(Box<rsa::RsaPrivateKey>),
}

impl Key {
    /// A P-256 key from a fixed seed, published as PEM with keytype `ecdsa` (Sigstore v10+).
    pub fn p256(seed: u8) -> Self {
        use p256::pkcs8::{EncodePublicKey as _, LineEnding};
        let sk = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        let pem = sk
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let public = json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256",
                            "keyval": {"public": pem}});
        Self::with(public, KeyKind::P256(sk))
    }

    /// A P-256 key published as a hex SEC1 point with keytype `ecdsa-sha2-nistp256`
    /// (Sigstore roots v1–v8).
    pub fn p256_hex(seed: u8) -> Self {
        let sk = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        let point = sk.verifying_key().to_encoded_point(false);
        let public = json!({"keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256",
                            "keyval": {"public": hex(point.as_bytes())}});
        Self::with(public, KeyKind::P256(sk))
    }

    /// [`Key::p256_hex`] with the point compressed (SEC 1 §2.3.3): the same key, another
    /// encoding and so another keyid.
    pub fn p256_hex_compressed(seed: u8) -> Self {
        let sk = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        let point = sk.verifying_key().to_encoded_point(true);
        let public = json!({"keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256",
                            "keyval": {"public": hex(point.as_bytes())}});
        Self::with(public, KeyKind::P256(sk))
    }

    /// An Ed25519 key from a fixed seed.
    pub fn ed25519(seed: u8) -> Self {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let public = json!({"keytype": "ed25519", "scheme": "ed25519",
                            "keyval": {"public": hex(sk.verifying_key().as_bytes())}});
        Self::with(public, KeyKind::Ed25519(sk))
    }

    /// The test-only RSA-2048 key of `testdata/rsa/` (`rsa2048-test-only.pk8.der`), as
    /// TUF §4.2 writes RSA keys: keytype `rsa`, scheme `rsassa-pss-sha256`, PEM SPKI. It
    /// signs like securesystemslib: PSS, SHA-256, a digest-length salt.
    pub fn rsa() -> Self {
        use rsa::pkcs8::DecodePrivateKey as _;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rsa");
        let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
        let sk = rsa::RsaPrivateKey::from_pkcs8_der(&read("rsa2048-test-only.pk8.der")).unwrap();
        let b64 = rulepack_verify::encoding::base64_encode(&read("rsa2048.spki.der"));
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        );
        let public = json!({"keytype": "rsa", "scheme": "rsassa-pss-sha256",
                            "keyval": {"public": pem}});
        Self::with(public, KeyKind::RsaPss(Box::new(sk)))
    }

    fn with(public: Value, kind: KeyKind) -> Self {
        Self {
            id: sha256_hex(&canonical(&public)),
            public,
            kind,
        }
    }

    /// The same key under another keyid (duplicate-key attacks).
    pub fn alias(&self, id: &str) -> Self {
        Self {
            id: id.to_string(),
            ..self.clone()
        }
    }

    pub fn sign(&self, msg: &[u8]) -> String {
        match &self.kind {
            KeyKind::P256(sk) => {
                use p256::ecdsa::signature::Signer as _;
                let sig: p256::ecdsa::Signature = sk.sign(msg);
                hex(sig.to_der().as_bytes())
            }
            KeyKind::Ed25519(sk) => {
                use ed25519_dalek::Signer as _;
                hex(&sk.sign(msg).to_bytes())
            }
            KeyKind::RsaPss(sk) => {
                use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
                let signer = rsa::pss::SigningKey::<Sha256>::new((**sk).clone());
                hex(&signer.sign_with_rng(&mut rand_core::OsRng, msg).to_vec())
            }
        }
    }
}

/// What the server answers for a path.
#[derive(Clone, Debug)]
pub enum Reply {
    Body(Vec<u8>),
    Status(u16),
    /// 200 with a body that never ends (capped at 64 MiB so the thread stops).
    Endless,
    /// 200 after sleeping.
    Slow(Duration, Vec<u8>),
}

pub const DAY: i64 = 86_400;
/// The fixed "now" of the simulated world: 2026-01-01T00:00:00Z.
pub const NOW: i64 = 1_767_225_600;

pub fn rfc3339(t: i64) -> String {
    rulepack_verify::time::format_rfc3339(t)
}

/// The simulated repository.
pub struct Repo {
    pub root: Value,
    pub timestamp: Value,
    pub snapshot: Value,
    pub targets: Value,
    pub delegated: BTreeMap<String, Value>,
    /// Keys that sign each role (may differ from what the root lists, for attacks).
    pub signers: BTreeMap<String, Vec<Key>>,
    /// Extra `{keyid, sig}` entries appended to a role's signatures.
    pub extra_signatures: BTreeMap<String, Vec<Value>>,
    /// Every published root, index = version - 1.
    pub published_roots: Vec<Vec<u8>>,
    /// Served target files by URL path (`targets/<hex>.<name>`).
    pub target_files: BTreeMap<String, Vec<u8>>,
    /// Whether timestamp/snapshot meta carry length and hashes.
    pub hashes_in_meta: bool,
    /// Forced replies by path (`/metadata/timestamp.json`).
    pub overrides: BTreeMap<String, Reply>,
    next_seed: u8,
}

impl Repo {
    /// Root v1 (published), timestamp/snapshot/targets v1; root and targets P-256,
    /// timestamp and snapshot Ed25519; everything expires in a year.
    pub fn new() -> Self {
        let keys = [
            ("root", Key::p256(1)),
            ("timestamp", Key::ed25519(2)),
            ("snapshot", Key::ed25519(3)),
            ("targets", Key::p256(4)),
        ];
        let mut root_keys = serde_json::Map::new();
        let mut roles = serde_json::Map::new();
        let mut signers = BTreeMap::new();
        for (role, k) in keys {
            root_keys.insert(k.id.clone(), k.public.clone());
            roles.insert(
                role.into(),
                json!({"keyids": [k.id.clone()], "threshold": 1}),
            );
            signers.insert(role.to_string(), vec![k]);
        }
        let exp = rfc3339(NOW + 365 * DAY);
        let mut repo = Self {
            root: json!({"_type": "root", "spec_version": "1.0", "version": 1, "expires": exp,
                         "consistent_snapshot": true, "keys": root_keys, "roles": roles,
                         "x-custom": "kept\nin canonical form"}),
            timestamp: json!({"_type": "timestamp", "spec_version": "1.0", "version": 1,
                              "expires": exp, "meta": {"snapshot.json": {"version": 1}}}),
            snapshot: json!({"_type": "snapshot", "spec_version": "1.0", "version": 1,
                             "expires": exp, "meta": {"targets.json": {"version": 1}}}),
            targets: json!({"_type": "targets", "spec_version": "1.0", "version": 1,
                            "expires": exp, "targets": {}}),
            delegated: BTreeMap::new(),
            signers,
            extra_signatures: BTreeMap::new(),
            published_roots: Vec::new(),
            target_files: BTreeMap::new(),
            hashes_in_meta: false,
            overrides: BTreeMap::new(),
            next_seed: 10,
        };
        repo.publish_root();
        repo
    }

    /// Signs `signed` with `keys` (plus configured extra signatures for `role`).
    pub fn sign_with(&self, role: &str, signed: &Value, keys: &[Key]) -> Vec<u8> {
        let msg = canonical(signed);
        let mut sigs: Vec<Value> = keys
            .iter()
            .map(|k| json!({"keyid": k.id, "sig": k.sign(&msg)}))
            .collect();
        if let Some(extra) = self.extra_signatures.get(role) {
            sigs.extend(extra.iter().cloned());
        }
        serde_json::to_vec_pretty(&json!({"signatures": sigs, "signed": signed})).unwrap()
    }

    /// The current bytes of a role (delegated roles by name).
    pub fn signed_bytes(&self, role: &str) -> Vec<u8> {
        let signed = match role {
            "root" => &self.root,
            "timestamp" => &self.timestamp,
            "snapshot" => &self.snapshot,
            "targets" => &self.targets,
            other => &self.delegated[other],
        };
        let keys = self.signers.get(role).cloned().unwrap_or_default();
        self.sign_with(role, signed, &keys)
    }

    /// Publishes the current root as `N.root.json`, signed by the root signers.
    pub fn publish_root(&mut self) {
        let bytes = self.signed_bytes("root");
        self.publish_root_bytes(bytes);
    }

    /// Publishes the current root signed by exactly `keys`.
    pub fn publish_root_signed_by(&mut self, keys: &[Key]) {
        let bytes = self.sign_with("root", &self.root.clone(), keys);
        self.publish_root_bytes(bytes);
    }

    fn publish_root_bytes(&mut self, bytes: Vec<u8>) {
        let v = self.root["version"].as_u64().unwrap() as usize;
        self.published_roots
            .resize(v.max(self.published_roots.len()), Vec::new());
        self.published_roots[v - 1] = bytes;
    }

    pub fn version(&self, role: &str) -> u64 {
        match role {
            "root" => self.root["version"].as_u64().unwrap(),
            "timestamp" => self.timestamp["version"].as_u64().unwrap(),
            "snapshot" => self.snapshot["version"].as_u64().unwrap(),
            "targets" => self.targets["version"].as_u64().unwrap(),
            other => self.delegated[other]["version"].as_u64().unwrap(),
        }
    }

    /// Bumps the root version and publishes it signed by the current root signers plus
    /// `also` (e.g. the previous root keys during a rotation).
    pub fn bump_root(&mut self, also: &[Key]) {
        self.root["version"] = json!(self.version("root") + 1);
        let mut keys = self.signers["root"].clone();
        keys.extend(also.iter().cloned());
        self.publish_root_signed_by(&keys);
    }

    /// A fresh deterministic key (P-256 for root/targets, Ed25519 otherwise).
    pub fn new_key(&mut self, role: &str) -> Key {
        self.next_seed += 1;
        if role == "root" || role == "targets" {
            Key::p256(self.next_seed)
        } else {
            Key::ed25519(self.next_seed)
        }
    }

    /// Replaces `role`'s keys in the root by one new key (not published).
    pub fn rotate_keys(&mut self, role: &str) -> Key {
        let k = self.new_key(role);
        self.root["keys"][k.id.as_str()] = k.public.clone();
        self.root["roles"][role] = json!({"keyids": [k.id.clone()], "threshold": 1});
        self.signers.insert(role.to_string(), vec![k.clone()]);
        k
    }

    /// Timestamp version + 1, listing the current snapshot.
    pub fn update_timestamp(&mut self) {
        let mut meta = json!({"version": self.version("snapshot")});
        if self.hashes_in_meta {
            let b = self.signed_bytes("snapshot");
            meta["length"] = json!(b.len());
            meta["hashes"] = json!({"sha256": sha256_hex(&b)});
        }
        self.timestamp["meta"]["snapshot.json"] = meta;
        self.timestamp["version"] = json!(self.version("timestamp") + 1);
    }

    /// Snapshot version + 1 listing current targets (and delegated roles), then timestamp.
    pub fn update_snapshot(&mut self) {
        let mut names = vec!["targets".to_string()];
        names.extend(self.delegated.keys().cloned());
        for name in names {
            let mut meta = json!({"version": self.version(&name)});
            if self.hashes_in_meta {
                let b = self.signed_bytes(&name);
                meta["length"] = json!(b.len());
                meta["hashes"] = json!({"sha256": sha256_hex(&b)});
            }
            self.snapshot["meta"][format!("{name}.json")] = meta;
        }
        self.snapshot["version"] = json!(self.version("snapshot") + 1);
        self.update_timestamp();
    }

    /// Adds a target to `role` (`targets` or a delegated role), served under its
    /// consistent-snapshot name. Bump the role's version and the snapshot yourself.
    pub fn add_target(&mut self, role: &str, name: &str, content: &[u8]) {
        let h = sha256_hex(content);
        let entry = json!({"length": content.len(), "hashes": {"sha256": h}});
        let doc = if role == "targets" {
            &mut self.targets
        } else {
            self.delegated.get_mut(role).unwrap()
        };
        doc["targets"][name] = entry;
        let (dir, base) = name
            .rsplit_once('/')
            .map_or((String::new(), name), |(d, b)| (format!("{d}/"), b));
        self.target_files
            .insert(format!("targets/{dir}{h}.{base}"), content.to_vec());
    }

    /// Adds a delegated role from `targets` (keys: one new P-256 key).
    pub fn add_delegation(&mut self, name: &str, paths: &[&str], terminating: bool) -> Key {
        self.add_delegation_from("targets", name, paths, terminating)
    }

    /// Adds a delegation from `parent` (`targets` or a delegated role) to `name`, with one
    /// new P-256 key. A role delegated a second time (from another parent) keeps its
    /// metadata and its first signer; the new delegation names only the new key.
    pub fn add_delegation_from(
        &mut self,
        parent: &str,
        name: &str,
        paths: &[&str],
        terminating: bool,
    ) -> Key {
        let k = self.new_key("targets");
        let doc = if parent == "targets" {
            &mut self.targets
        } else {
            self.delegated.get_mut(parent).unwrap()
        };
        let d = doc
            .as_object_mut()
            .unwrap()
            .entry("delegations")
            .or_insert(json!({"keys": {}, "roles": []}));
        d["keys"][k.id.as_str()] = k.public.clone();
        d["roles"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": name, "keyids": [k.id.clone()],
            "threshold": 1, "terminating": terminating, "paths": paths}));
        if !self.delegated.contains_key(name) {
            self.delegated.insert(
                name.to_string(),
                json!({"_type": "targets", "spec_version": "1.0", "version": 1,
                       "expires": rfc3339(NOW + 365 * DAY), "targets": {}}),
            );
            self.signers.insert(name.to_string(), vec![k.clone()]);
        }
        k
    }

    /// What the server answers for `path`.
    pub fn serve(&self, path: &str) -> Reply {
        if let Some(r) = self.overrides.get(path) {
            return r.clone();
        }
        let not_found = Reply::Status(404);
        if let Some(file) = path.strip_prefix("/metadata/") {
            if file == "timestamp.json" {
                return Reply::Body(self.signed_bytes("timestamp"));
            }
            let Some((v, rest)) = file.split_once('.') else {
                return not_found;
            };
            let Ok(v) = v.parse::<u64>() else {
                return not_found;
            };
            let role = rest.strip_suffix(".json").unwrap_or(rest);
            if role == "root" {
                return match self.published_roots.get(v as usize - 1) {
                    Some(b) if !b.is_empty() => Reply::Body(b.clone()),
                    _ => not_found,
                };
            }
            let exists =
                matches!(role, "snapshot" | "targets") || self.delegated.contains_key(role);
            if exists && self.version(role) == v {
                return Reply::Body(self.signed_bytes(role));
            }
            return not_found;
        }
        if let Some(file) = path.strip_prefix('/') {
            if let Some(b) = self.target_files.get(file) {
                return Reply::Body(b.clone());
            }
        }
        not_found
    }
}

impl Default for Repo {
    fn default() -> Self {
        Self::new()
    }
}

/// A loopback HTTP server answering from a shared [`Repo`].
pub struct Server {
    pub url: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(repo: Arc<Mutex<Repo>>) -> Self {
        Self::start_with(Arc::new(move |p: &str| repo.lock().unwrap().serve(p)))
    }

    pub fn start_with(handler: Arc<dyn Fn(&str) -> Reply + Send + Sync>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let handler = handler.clone();
                let log = log2.clone();
                std::thread::spawn(move || handle(stream, &*handler, &log));
            }
        });
        Self { url, log }
    }

    pub fn metadata_url(&self) -> String {
        format!("{}/metadata/", self.url)
    }

    pub fn targets_url(&self) -> String {
        format!("{}/targets/", self.url)
    }

    /// Paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }
}

fn handle(stream: TcpStream, handler: &dyn Fn(&str) -> Reply, log: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    // Drain headers (bounded).
    for _ in 0..100 {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
            break;
        }
    }
    log.lock().unwrap().push(path.clone());
    let mut out = stream;
    let body = |out: &mut TcpStream, status: &str, b: &[u8]| {
        let _ = write!(
            out,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            b.len()
        );
        let _ = out.write_all(b);
    };
    match handler(&path) {
        Reply::Body(b) => body(&mut out, "200 OK", &b),
        Reply::Status(s) => body(&mut out, &format!("{s} Status"), b"error"),
        Reply::Slow(d, b) => {
            std::thread::sleep(d);
            body(&mut out, "200 OK", &b);
        }
        Reply::Endless => {
            let _ = write!(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let chunk = vec![b' '; 64 * 1024];
            for _ in 0..1024 {
                if out.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
    }
}
