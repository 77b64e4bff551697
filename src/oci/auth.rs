//! Registry credentials and the token-auth challenge (OCI distribution-spec and the Docker registry token-auth spec;
//! distribution `docs/content/spec/auth/token.md`).
//!
//! Credentials come only from a Docker config file: `$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`, its `auths` map (`auth` = base64 `user:password`, or
//! `username` + `password`). Credential helpers (`credsStore`, `credHelpers`) and
//! `identitytoken` are not supported and are ignored.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::RegistryError;
use super::reference::normalize_registry;
use crate::limits::{MAX_CONFIG_BYTES, MAX_SMALL_HTTP_BODY_BYTES};

/// A user name and password for one registry.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct BasicCredentials {
    pub(crate) username: String,
    pub(crate) password: String,
}

impl BasicCredentials {
    /// The `Authorization` header value (RFC 7617 §2).
    pub(crate) fn header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!("Basic {}", crate::encoding::base64_encode(raw.as_bytes()))
    }
}

// Never print secrets, even in debug output.
impl core::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "BasicCredentials({}, <redacted>)", self.username)
    }
}

/// Credentials by normalized registry (`host[:port]`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Credentials {
    by_registry: HashMap<String, BasicCredentials>,
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
}

#[derive(Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// `$DOCKER_CONFIG`, else `$HOME/.docker` (the docker CLI's `config.Dir()`).
pub(crate) fn default_docker_config_dir() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")),
    }
}

/// Normalizes an `auths` key: `https://index.docker.io/v1/` → `registry-1.docker.io`,
/// `https://ghcr.io` → `ghcr.io`, `GHCR.io:443` → `ghcr.io`.
pub(crate) fn normalize_auth_key(key: &str) -> Option<String> {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = k.split('/').next().unwrap_or(k);
    normalize_registry(host)
}

impl Credentials {
    /// Reads `dir/config.json`; a missing file means no credentials.
    pub(crate) fn load(dir: &Path) -> Result<Self, RegistryError> {
        let path = dir.join("config.json");
        let bad = |detail: String| RegistryError::InvalidCredentialsFile {
            path: path.display().to_string(),
            detail,
        };
        let f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(bad(e.to_string())),
        };
        let limit = u64::try_from(MAX_CONFIG_BYTES).unwrap_or(u64::MAX);
        let mut buf = Vec::new();
        f.take(limit.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| bad(e.to_string()))?;
        if buf.len() > MAX_CONFIG_BYTES {
            return Err(bad(format!("larger than {MAX_CONFIG_BYTES} bytes")));
        }
        Self::parse(&buf).map_err(bad)
    }

    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        let cfg: DockerConfig =
            serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
        let mut by_registry = HashMap::new();
        for (key, entry) in cfg.auths {
            let Some(registry) = normalize_auth_key(&key) else {
                continue;
            };
            let creds = match (entry.auth, entry.username, entry.password) {
                (Some(a), _, _) if !a.is_empty() => {
                    let raw = crate::encoding::base64_decode(&a)
                        .map_err(|_| format!("the auth value for {key} is not base64"))?;
                    let text = String::from_utf8(raw)
                        .map_err(|_| format!("the auth value for {key} is not UTF-8"))?;
                    let (u, p) = text
                        .split_once(':')
                        .ok_or_else(|| format!("the auth value for {key} is not user:password"))?;
                    BasicCredentials {
                        username: u.to_owned(),
                        password: p.to_owned(),
                    }
                }
                (_, Some(u), Some(p)) if !u.is_empty() => BasicCredentials {
                    username: u,
                    password: p,
                },
                // identitytoken-only or empty entries: not supported, ignored.
                _ => continue,
            };
            by_registry.insert(registry, creds);
        }
        Ok(Self { by_registry })
    }

    pub(crate) fn get(&self, registry: &str) -> Option<&BasicCredentials> {
        self.by_registry.get(registry)
    }
}

/// A parsed `WWW-Authenticate` challenge (RFC 7235 §4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Bearer realm=…,service=…,scope=…`
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    /// `Basic realm=…`
    Basic,
}

/// Parses the first challenge of a `WWW-Authenticate` value.
pub(crate) fn parse_challenge(h: &str) -> Option<Challenge> {
    if h.len() > MAX_SMALL_HTTP_BODY_BYTES {
        return None;
    }
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let params = parse_params(rest)?;
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(Challenge::Bearer {
            realm: get("realm")?,
            service: get("service"),
            scope: get("scope"),
        })
    } else if scheme.eq_ignore_ascii_case("basic") {
        Some(Challenge::Basic)
    } else {
        None
    }
}

/// `k=v, k="quoted \" value", …` (RFC 7230 §3.2.6 quoted-string).
fn parse_params(s: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let mut name = String::new();
        while let Some(c) = chars.peek().copied() {
            if c == '=' {
                break;
            }
            name.push(c);
            chars.next();
        }
        chars.next()?; // '='
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// token.md "Token Response Fields": `token`, or the OAuth2 alias `access_token`.
/// It is sent back as `Authorization: Bearer <token>`, so it must be an RFC 6750 §2.1
/// `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. Anything
/// else (a CR or LF above all, which would end the header line) is a bad answer from
/// the token service, not something to send.
pub(crate) fn parse_token(bytes: &[u8]) -> Result<String, String> {
    let t: TokenResponse = serde_json::from_slice(bytes)
        .map_err(|e| format!("the token response is not valid: {e}"))?;
    let token = t
        .token
        .filter(|s| !s.is_empty())
        .or(t.access_token.filter(|s| !s.is_empty()))
        .ok_or_else(|| "the token response has no token".to_owned())?;
    if !is_b64token(&token) {
        // The token itself is a secret: say what is wrong, never echo it.
        return Err(format!(
            "the token service returned a token of {} bytes that cannot be sent as a Bearer credential (RFC 6750 §2.1 allows letters, digits, - . _ ~ + / and trailing =){}",
            token.len(),
            if token.contains(['\r', '\n']) {
                "; it contains a line break"
            } else {
                ""
            }
        ));
    }
    Ok(token)
}

/// RFC 6750 §2.1 `b64token`.
fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:lithastra/rules:pull""#,
        )
        .unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://ghcr.io/token".into(),
                service: Some("ghcr.io".into()),
                scope: Some("repository:lithastra/rules:pull".into())
            }
        );
        let c = parse_challenge(r#"bearer realm="https://a/t?x=\"y\"", service=reg"#).unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://a/t?x=\"y\"".into(),
                service: Some("reg".into()),
                scope: None
            }
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None);
        assert_eq!(parse_challenge(r#"Bearer realm="unterminated"#), None);
        assert_eq!(parse_challenge("Negotiate"), None);
        let n = crate::testutil::mutate_all(
            br#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a:pull""#,
            |b| parse_challenge(&String::from_utf8_lossy(b)).ok_or(()),
        );
        assert!(n > 50);
    }

    #[test]
    fn docker_config() {
        let auth = crate::encoding::base64_encode(b"alice:s3cr:et");
        let cfg = format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}},
                "GHCR.io:443":{{"username":"bob","password":"pw"}},
                "http://127.0.0.1:5000":{{"auth":"{auth}"}},
                "quay.io":{{"identitytoken":"x"}}}},
               "credsStore":"desktop"}}"#
        );
        let c = Credentials::parse(cfg.as_bytes()).unwrap();
        let hub = c.get("registry-1.docker.io").unwrap();
        assert_eq!(
            (hub.username.as_str(), hub.password.as_str()),
            ("alice", "s3cr:et")
        );
        assert_eq!(c.get("ghcr.io").unwrap().username, "bob");
        assert_eq!(c.get("127.0.0.1:5000").unwrap().username, "alice");
        assert!(c.get("quay.io").is_none());
        assert_eq!(
            c.get("ghcr.io").unwrap().header(),
            format!("Basic {}", crate::encoding::base64_encode(b"bob:pw"))
        );
        assert!(!format!("{hub:?}").contains("s3cr"));
        assert!(Credentials::parse(br#"{"auths":{"a.io":{"auth":"!!"}}}"#).is_err());
        assert!(Credentials::parse(b"[").is_err());
        assert!(Credentials::parse(b"{}").unwrap().get("a.io").is_none());
    }

    #[test]
    fn tokens() {
        assert_eq!(
            parse_token(br#"{"token":"abc","expires_in":300}"#).unwrap(),
            "abc"
        );
        assert_eq!(parse_token(br#"{"access_token":"xyz"}"#).unwrap(), "xyz");
        assert!(parse_token(br#"{"token":""}"#).is_err());
        assert!(parse_token(b"<html>").is_err());
        // JWTs and base64 tokens pass; header-breaking or non-b64token ones do not.
        assert_eq!(
            parse_token(br#"{"token":"eyJh.eyJz-_~+/.c2ln=="}"#).unwrap(),
            "eyJh.eyJz-_~+/.c2ln=="
        );
        for bad in [
            r#"{"token":"abc\r\nX-Injected: 1"}"#,
            r#"{"token":"abc\n"}"#,
            r#"{"token":"a b"}"#,
            r#"{"token":"a=b"}"#,
            r#"{"token":"==="}"#,
            r#"{"access_token":"tok\u0000"}"#,
        ] {
            let e = parse_token(bad.as_bytes()).unwrap_err();
            assert!(e.contains("RFC 6750"), "{bad}: {e}");
            assert!(!e.contains("Injected") && !e.contains("abc"), "{e}");
        }
    }
}
