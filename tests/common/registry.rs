//! A real test registry (`scripts/test-registry.sh start`) and a small push helper:
//! blob upload (POST + PUT, distribution-spec "Pushing a blob monolithically") and
//! manifest PUT, over TLS with the test CA and Basic auth.
#![allow(dead_code, unreachable_pub)]

use std::io::Read;
use std::path::PathBuf;

use rulepack_verify::oci::Digest;

/// The registry's coordinates from the environment.
pub struct TestRegistry {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The test CA (PEM).
    pub ca: PathBuf,
    pub user: String,
    pub password: String,
}

/// The test registry, or `None` after a skip notice (a failure when
/// `RULEPACK_REQUIRE_ALL=1`).
pub fn test_registry(test: &str) -> Option<TestRegistry> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match var("RULEPACK_TEST_REGISTRY") {
        Some(addr) => Some(TestRegistry {
            addr,
            ca: PathBuf::from(var("RULEPACK_TEST_REGISTRY_CA").expect("RULEPACK_TEST_REGISTRY_CA")),
            user: var("RULEPACK_TEST_REGISTRY_USER").expect("RULEPACK_TEST_REGISTRY_USER"),
            password: var("RULEPACK_TEST_REGISTRY_PASSWORD")
                .expect("RULEPACK_TEST_REGISTRY_PASSWORD"),
        }),
        None => {
            assert!(
                std::env::var("RULEPACK_REQUIRE_ALL").as_deref() != Ok("1"),
                "{test}: RULEPACK_TEST_REGISTRY is unset but RULEPACK_REQUIRE_ALL=1 \
                 (run scripts/test-registry.sh start and source target/test-registry/env)"
            );
            // Direct to the stderr handle so libtest's capture cannot hide the notice.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("SKIPPED {test}: run scripts/test-registry.sh start and source target/test-registry/env\n").as_bytes(),
            );
            None
        }
    }
}

/// Pushes blobs and manifests with its own ureq agent (not the client under test).
pub struct Pusher {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

impl Pusher {
    pub fn new(reg: &TestRegistry) -> Self {
        let pem = std::fs::read(&reg.ca).expect("read test CA");
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        assert!(!certs.is_empty(), "no certificate in the test CA file");
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .proxy(None)
            .build();
        let auth = format!(
            "Basic {}",
            rulepack_verify::encoding::base64_encode(
                format!("{}:{}", reg.user, reg.password).as_bytes()
            )
        );
        Self {
            agent: ureq::Agent::new_with_config(config),
            base: format!("https://{}", reg.addr),
            auth,
        }
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with("https://") {
            location.to_owned()
        } else {
            format!("{}{location}", self.base)
        }
    }

    /// POST an upload session, then PUT the bytes with `?digest=`.
    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> Digest {
        let digest = Digest::of(bytes);
        let resp = self
            .agent
            .post(&format!("{}/v2/{repo}/blobs/uploads/", self.base))
            .header("Authorization", &self.auth)
            .send_empty()
            .expect("POST blob upload");
        assert_eq!(resp.status().as_u16(), 202, "POST blob upload");
        let loc = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("upload Location")
            .to_owned();
        let url = self.absolute(&loc);
        let sep = if url.contains('?') { '&' } else { '?' };
        let resp = self
            .agent
            .put(&format!("{url}{sep}digest={digest}"))
            .header("Authorization", &self.auth)
            .header("Content-Type", "application/octet-stream")
            .send(bytes)
            .expect("PUT blob");
        assert_eq!(resp.status().as_u16(), 201, "PUT blob {digest}");
        digest
    }

    /// PUT a manifest at a tag or at its digest.
    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Digest {
        let resp = self
            .agent
            .put(&format!("{}/v2/{repo}/manifests/{reference}", self.base))
            .header("Authorization", &self.auth)
            .header("Content-Type", media_type)
            .send(bytes)
            .expect("PUT manifest");
        let status = resp.status().as_u16();
        let mut body = String::new();
        let _ = resp
            .into_body()
            .into_reader()
            .take(4096)
            .read_to_string(&mut body);
        assert_eq!(status, 201, "PUT manifest {reference}: {body}");
        Digest::of(bytes)
    }
}
