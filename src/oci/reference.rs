//! `oci://` references and `sha256:` digests.
//!
//! Grammar (distribution-spec `spec.md`, "Pulling manifests"):
//! - name: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`
//! - tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
//!
//! A reference here is `oci://host[:port]/path[:tag][@sha256:hex]`. The first path
//! component is always the registry (no Docker-style guessing). Normalization: the host
//! is lowercased, port 443 is dropped (`ghcr.io:443` is `ghcr.io`), and Docker Hub
//! (`docker.io`, `index.docker.io`) becomes `registry-1.docker.io` with `library/` for
//! one-component names.

use core::fmt;

use super::error::ReferenceError;
use crate::encoding::{hex_decode_lower, hex_encode};
use crate::limits::MAX_REFERENCE_LEN;

/// A SHA-256 content digest, `sha256:<64 lowercase hex>`, the only form accepted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

impl Digest {
    /// Parses `sha256:<64 lowercase hex>`; anything else (other algorithms, uppercase,
    /// wrong length) is rejected.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let bad = || ReferenceError::InvalidDigest {
            digest: s.chars().take(100).collect(),
        };
        // OCI image-spec descriptor.md "Digests": algorithm ":" encoded; for sha256
        // the encoded part is [a-f0-9]{64}.
        let hex = s.strip_prefix("sha256:").ok_or_else(bad)?;
        if hex.len() != 64 {
            return Err(bad());
        }
        let raw = hex_decode_lower(hex).ok_or_else(bad)?;
        let arr: [u8; 32] = raw.try_into().map_err(|_| bad())?;
        Ok(Self(arr))
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(crate::crypto::sha256(bytes))
    }

    /// True when `bytes` hash to this digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        crate::crypto::sha256(bytes) == self.0
    }

    /// The 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        hex_encode(&self.0)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A normalized `oci://` reference to a rule pack.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

const DOCKER_HUB: &str = "registry-1.docker.io";

impl Reference {
    /// Parses and normalizes `oci://host[:port]/path[:tag][@sha256:hex]`.
    pub fn parse(input: &str) -> Result<Self, ReferenceError> {
        if input.len() > MAX_REFERENCE_LEN {
            return Err(ReferenceError::TooLong {
                limit: MAX_REFERENCE_LEN,
            });
        }
        let rest = input
            .strip_prefix("oci://")
            .ok_or_else(|| ReferenceError::MissingScheme {
                input: input.to_owned(),
            })?;
        let (host, path) =
            rest.split_once('/')
                .ok_or_else(|| ReferenceError::MissingRepository {
                    input: input.to_owned(),
                })?;
        let registry = normalize_registry(host).ok_or_else(|| ReferenceError::InvalidRegistry {
            input: input.to_owned(),
            registry: host.to_owned(),
        })?;
        let (name_tag, digest) = match path.split_once('@') {
            Some((nt, d)) => (nt, Some(Digest::parse(d)?)),
            None => (path, None),
        };
        // Name components cannot contain ':', so a ':' can only start the tag.
        let (name, tag) = match name_tag.split_once(':') {
            Some((n, t)) => (n, Some(t)),
            None => (name_tag, None),
        };
        if name.is_empty() {
            return Err(ReferenceError::MissingRepository {
                input: input.to_owned(),
            });
        }
        if !valid_name(name) {
            return Err(ReferenceError::InvalidRepository {
                input: input.to_owned(),
                repository: name.to_owned(),
            });
        }
        if let Some(t) = tag {
            if !valid_tag(t) {
                return Err(ReferenceError::InvalidTag {
                    input: input.to_owned(),
                    tag: t.to_owned(),
                });
            }
        }
        if tag.is_none() && digest.is_none() {
            return Err(ReferenceError::MissingTagOrDigest {
                input: input.to_owned(),
            });
        }
        let repository = if registry == DOCKER_HUB && !name.contains('/') {
            format!("library/{name}")
        } else {
            name.to_owned()
        };
        // distribution-spec: the name the registry sees is the normalized one, so Docker
        // Hub's implicit `library/` counts toward the 255-character bound (else the
        // reference's own normalized form would not parse).
        if !valid_name(&repository) {
            return Err(ReferenceError::InvalidRepository {
                input: input.to_owned(),
                repository,
            });
        }
        Ok(Self {
            registry,
            repository,
            tag: tag.map(str::to_owned),
            digest,
        })
    }

    /// The normalized registry, `host[:port]` (lowercase host, no `:443`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path (`org/rules/eks`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest pinned by the reference, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The same repository pinned to `digest` (tag dropped).
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: None,
            digest: Some(digest),
        }
    }

    /// docs/verification.md "Trust policy": first-party packs live on `ghcr.io` (any case, port 443
    /// allowed) under `lithastra/`. The comparison is on the normalized host and whole
    /// path components, so `ghcr.io/lithastra-evil/x` and `evil.io/ghcr.io/lithastra/x`
    /// are third-party.
    pub fn is_first_party(&self) -> bool {
        self.registry == "ghcr.io" && self.repository.starts_with("lithastra/")
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci://{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `host[:port]` → normalized form, or `None` when invalid.
pub(crate) fn normalize_registry(hostport: &str) -> Option<String> {
    let (host, port) = split_host_port(hostport)?;
    let host = host.to_ascii_lowercase();
    if !valid_host(&host) {
        return None;
    }
    let port = match port {
        // The https default port names the same registry (docs/verification.md "Trust policy": default port allowed).
        Some(443) | None => None,
        Some(p) => Some(p),
    };
    let host = match (host.as_str(), port) {
        ("docker.io" | "index.docker.io", None) => DOCKER_HUB.to_owned(),
        _ => host,
    };
    Some(match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// Splits `host[:port]` / `[v6][:port]`; the port must be 1..=65535 in plain decimal.
pub(crate) fn split_host_port(s: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        // Keep the brackets in the host text.
        let host = s.get(..inner.len().checked_add(2)?)?;
        (host, port)
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty()
                || p.len() > 5
                || !p.bytes().all(|b| b.is_ascii_digit())
                || p.starts_with('0')
            {
                return None;
            }
            let n: u16 = p.parse().ok()?;
            Some(n)
        }
    };
    Some((host, port))
}

/// A DNS name (RFC 1123 labels), an IPv4 address, or a bracketed IPv6 address.
fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

/// distribution-spec name regex, component by component.
fn valid_name(name: &str) -> bool {
    name.len() <= 255 && name.split('/').all(valid_component)
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    if !alnum(*first) || !alnum(*last) {
        return false;
    }
    // Separators: a single '.', one or two '_', or any run of '-'.
    let mut prev_sep: Option<u8> = None;
    let mut run = 0usize;
    for &x in b {
        if alnum(x) {
            prev_sep = None;
            run = 0;
            continue;
        }
        match (x, prev_sep) {
            (b'.', None) | (b'_', None) | (b'-', None) => {}
            (b'_', Some(b'_')) if run < 2 => {}
            (b'-', Some(b'-')) => {}
            _ => return false,
        }
        prev_sep = Some(x);
        run = run.saturating_add(1);
    }
    true
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
pub(crate) fn valid_tag(t: &str) -> bool {
    let mut bytes = t.bytes();
    let Some(first) = bytes.next() else {
        return false;
    };
    t.len() <= 128
        && (first.is_ascii_alphanumeric() || first == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    #[test]
    fn digest_parse_and_of() {
        let d = Digest::parse(&format!("sha256:{HEX}")).unwrap();
        assert_eq!(d, Digest::of(b"{}"));
        assert!(d.matches(b"{}"));
        assert!(!d.matches(b"{} "));
        assert_eq!(d.to_string(), format!("sha256:{HEX}"));
        for bad in [
            String::new(),
            HEX.to_owned(),
            format!("sha256:{}", HEX.to_uppercase()),
            format!("sha512:{HEX}"),
            format!("sha256:{}", &HEX[1..]),
            format!("sha256:{HEX}0"),
            format!("SHA256:{HEX}"),
            format!("sha256:{}g", &HEX[1..]),
        ] {
            let e = Digest::parse(&bad).unwrap_err();
            assert_eq!(e.code(), "reference.invalid-digest", "{bad}");
        }
    }

    #[test]
    fn parses_and_normalizes() {
        let r = Reference::parse("oci://GHCR.io:443/lithastra/rules/eks:0.1.0").unwrap();
        assert_eq!(r.registry(), "ghcr.io");
        assert_eq!(r.repository(), "lithastra/rules/eks");
        assert_eq!(r.tag(), Some("0.1.0"));
        assert_eq!(r.digest(), None);
        assert_eq!(r.to_string(), "oci://ghcr.io/lithastra/rules/eks:0.1.0");

        let r = Reference::parse(&format!("oci://127.0.0.1:5000/a/b@sha256:{HEX}")).unwrap();
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.tag(), None);
        assert_eq!(r.digest(), Some(&Digest::of(b"{}")));
        assert_eq!(
            r.to_string(),
            format!("oci://127.0.0.1:5000/a/b@sha256:{HEX}")
        );

        let r = Reference::parse(&format!("oci://localhost:5000/a:v1@sha256:{HEX}")).unwrap();
        assert_eq!((r.tag(), r.digest().is_some()), (Some("v1"), true));

        let r = Reference::parse("oci://docker.io/alpine:3").unwrap();
        assert_eq!(r.registry(), "registry-1.docker.io");
        assert_eq!(r.repository(), "library/alpine");
        let r = Reference::parse("oci://index.docker.io/acme/x:3").unwrap();
        assert_eq!(
            (r.registry(), r.repository()),
            ("registry-1.docker.io", "acme/x")
        );
        let r = Reference::parse("oci://[::1]:5000/a:b").unwrap();
        assert_eq!(r.registry(), "[::1]:5000");
        let r = Reference::parse("oci://r.io/a__b/c--d/e.f_g:_x.Y-1").unwrap();
        assert_eq!(r.repository(), "a__b/c--d/e.f_g");
        let pinned = r.with_digest(Digest::of(b"x"));
        assert_eq!(
            (pinned.tag(), pinned.digest()),
            (None, Some(&Digest::of(b"x")))
        );
    }

    #[test]
    fn rejects_malformed() {
        let cases: &[(&str, &str)] = &[
            ("ghcr.io/a/b:1", "reference.missing-scheme"),
            ("OCI://ghcr.io/a/b:1", "reference.missing-scheme"),
            ("oci://ghcr.io", "reference.missing-repository"),
            ("oci://ghcr.io/:1", "reference.missing-repository"),
            ("oci://ghcr.io/a/b", "reference.missing-tag-or-digest"),
            ("oci://ghcr.io/A/b:1", "reference.invalid-repository"),
            ("oci://ghcr.io/a//b:1", "reference.invalid-repository"),
            ("oci://ghcr.io/a/b/:1", "reference.invalid-repository"),
            ("oci://ghcr.io/a.-b:1", "reference.invalid-repository"),
            ("oci://ghcr.io/a___b:1", "reference.invalid-repository"),
            ("oci://ghcr.io/a..b:1", "reference.invalid-repository"),
            ("oci://ghcr.io/-a:1", "reference.invalid-repository"),
            ("oci://ghcr.io/a:b:c", "reference.invalid-tag"),
            ("oci://ghcr.io/a:.b", "reference.invalid-tag"),
            ("oci://ghcr.io/a:", "reference.invalid-tag"),
            ("oci://ghcr.io/a:b c", "reference.invalid-tag"),
            ("oci://ghcr.io/a@sha256:00", "reference.invalid-digest"),
            ("oci://ghcr.io:0/a:1", "reference.invalid-registry"),
            ("oci://ghcr.io:65536/a:1", "reference.invalid-registry"),
            ("oci://ghcr.io:/a:1", "reference.invalid-registry"),
            ("oci://ghcr.io:0443/a:1", "reference.invalid-registry"),
            ("oci://gh_cr.io/a:1", "reference.invalid-registry"),
            ("oci://-ghcr.io/a:1", "reference.invalid-registry"),
            ("oci://ghcr..io/a:1", "reference.invalid-registry"),
            ("oci://user@ghcr.io/a:1", "reference.invalid-registry"),
            ("oci:///a:1", "reference.invalid-registry"),
            ("oci://[::g]/a:1", "reference.invalid-registry"),
        ];
        for (input, code) in cases {
            let e = Reference::parse(input).unwrap_err();
            assert_eq!(e.code(), *code, "{input}: {e}");
            assert!(!e.to_string().is_empty());
        }
        let long = format!("oci://r.io/{}:1", "a".repeat(MAX_REFERENCE_LEN));
        assert_eq!(
            Reference::parse(&long).unwrap_err().code(),
            "reference.too-long"
        );
        let tag129 = format!("oci://r.io/a:{}", "t".repeat(129));
        assert_eq!(
            Reference::parse(&tag129).unwrap_err().code(),
            "reference.invalid-tag"
        );
        let tag128 = format!("oci://r.io/a:{}", "t".repeat(128));
        assert!(Reference::parse(&tag128).is_ok());
    }

    #[test]
    fn normalized_form_reparses_at_the_name_length_bound() {
        // Found with fuzz target `oci_reference` (round-trip property): a 250-character
        // Docker Hub name parsed, but its normalized `library/` form (258 characters)
        // exceeded the 255-character bound and did not.
        let over = format!("oci://docker.io/{}:t", "a".repeat(250));
        assert_eq!(
            Reference::parse(&over).unwrap_err().code(),
            "reference.invalid-repository"
        );
        let at = format!("oci://docker.io/{}:t", "a".repeat(247));
        let r = Reference::parse(&at).unwrap();
        assert_eq!(r.repository().len(), 255);
        assert_eq!(Reference::parse(&r.to_string()).unwrap(), r);
        // Outside Docker Hub nothing is prefixed: 255 characters stay valid.
        let plain = format!("oci://ghcr.io/{}:t", "a".repeat(255));
        assert_eq!(Reference::parse(&plain).unwrap().repository().len(), 255);
    }

    #[test]
    fn first_party_is_exact() {
        let fp = |s: &str| Reference::parse(s).unwrap().is_first_party();
        assert!(fp("oci://ghcr.io/lithastra/rules/eks:0.1.0"));
        assert!(fp("oci://GHCR.IO/lithastra/x:1"));
        assert!(fp("oci://ghcr.io:443/lithastra/x:1"));
        assert!(fp(&format!("oci://ghcr.io/lithastra/x@sha256:{HEX}")));
        assert!(!fp("oci://ghcr.io/lithastra-evil/x:1"));
        assert!(!fp("oci://ghcr.io/lithastrax/x:1"));
        assert!(!fp("oci://ghcr.io:8443/lithastra/x:1"));
        assert!(!fp("oci://ghcr.io.evil.io/lithastra/x:1"));
        assert!(!fp("oci://evil.io/ghcr.io/lithastra/x:1"));
        assert!(!fp("oci://evilghcr.io/lithastra/x:1"));
        assert!(!fp("oci://docker.io/lithastra/x:1"));
        // A bare `lithastra` repository is not under `lithastra/`.
        assert!(!fp("oci://ghcr.io/lithastra:1"));
        // Uppercase org names are not valid OCI names at all.
        assert!(Reference::parse("oci://ghcr.io/Lithastra/x:1").is_err());
    }

    #[test]
    fn no_panic_on_mutations() {
        let input = format!("oci://ghcr.io:443/lithastra/rules/eks:0.1.0@sha256:{HEX}");
        let n = crate::testutil::mutate_all(input.as_bytes(), |b| {
            let s = String::from_utf8_lossy(b);
            Reference::parse(&s)
        });
        assert!(n > 100);
    }
}
