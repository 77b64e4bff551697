//! In-process benchmarks: parsing and complete `Verifier::verify` of each real
//! bundle shape, the verifier's component checks on the cosign v3 bundle, and the
//! signature and hash primitives alone, so the overhead above the primitives is visible.
//!
//! `cargo bench --no-default-features --bench verify [-- FILTER]`. The Rekor v2 and
//! v0.1 cases need the shared corpus (`RULEPACK_CORPUS`); without it they are skipped
//! with a notice. Results and their interpretation: `docs/benchmarks.md`.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{fmt, print_machine, record, Bench};
use ecdsa::signature::hazmat::PrehashSigner;
use ed25519_dalek::Signer as _;
use rulepack_verify::bundle::{Bundle, Content};
use rulepack_verify::crypto::{sha256, HashAlgorithm, PublicKey};
use rulepack_verify::policy::{Matcher, Policy};
use rulepack_verify::rekor::{leaf_hash, verify_checkpoint, verify_inclusion, verify_set};
use rulepack_verify::timestamp::verify_timestamp;
use rulepack_verify::trust_root::TrustedRoot;
use rulepack_verify::verify::{ArtifactDigests, Verifier};
use rulepack_verify::x509::{
    verify_chain, verify_embedded_scts, ParsedCertificate, SigningCertificate, EKU_CODE_SIGNING,
};

/// Fixed verification time (2026-11-26T00:00:00Z), after every recorded signing.
const NOW: i64 = 1_795_651_200;

/// The cosign v3 bundle of the performance targets.
const V03_DIGEST: &str = "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172";
const V03_IDENTITY: &str =
    "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0";
const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// `corpus/real/index.json` entry of `npm_slsa_bundle_v03.json`.
const NPM_DIGEST: &str = "sha512:849a897e81bf7b8a8541a6ae40bd3473a27a16b1cb0462ad905bd6dc96d34881053a12eb4a375233f81677fc9439f628fe0b0445e8535c60b5559597fbd5f80e";
const NPM_IDENTITY: &str =
    "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main";
/// `corpus/conformance/cases.json`: identity of `happy-path-v0.1` and `rekor2-happy-path`.
const BEACON_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";

/// Signature verifications one `verify` performs on `bundle_v03.json` with a trusted
/// root already loaded and used (counted by reading `src/verify`, `src/x509`,
/// `src/rekor`, `src/timestamp`, and confirmed with callgrind call counts of
/// `p256_vt::verify_prehash` / `p384_vt::verify_prehash`; see `docs/benchmarks.md`):
/// P-256: DSSE signature (leaf key), SET, checkpoint, SCT;
/// P-384: TSA CMS signature, Fulcio leaf <- intermediate. The trusted root's own links
/// (TSA leaf <- TSA root, Fulcio intermediate <- root) are verified once per loaded
/// root (the verifier's `x509::ChainMemo`), so a one-shot process does 4 x P-384.
const V03_P256_OPS: u32 = 4;
/// Primitive case names (the ratio below needs them).
const P256_TABLE: &str = "primitive P-256 ECDSA verify, key with a fixed-base table";
const P256_FRESH: &str = "primitive P-256 ECDSA verify, key new to the process (wNAF)";
const P384_TABLE: &str = "primitive P-384 ECDSA verify, key with a fixed-base table";
const P384_FRESH: &str = "primitive P-384 ECDSA verify, key new to the process (wNAF)";
const V03_P384_OPS: u32 = 2;

fn data(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn corpus() -> Option<PathBuf> {
    match std::env::var_os("RULEPACK_CORPUS") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            println!("notice: RULEPACK_CORPUS unset: skipping the Rekor v2 and v0.1 cases");
            None
        }
    }
}

fn identities(issuer: &str, identity: &str) -> Policy {
    Policy::identity(Matcher::exact(issuer), Matcher::exact(identity))
}

/// One real bundle with everything `verify` needs.
struct Case {
    name: &'static str,
    json: Vec<u8>,
    artifact: ArtifactDigests,
    root: TrustedRoot,
    policy: Policy,
}

impl Case {
    fn bench(&self, b: &mut Bench) {
        let names = [
            "parse    ",
            "verify   ",
            "verify 1-thread ",
            "parse+verify ",
        ]
        .map(|k| format!("{k}{}", self.name));
        if !names.iter().any(|n| b.enabled(n)) {
            return;
        }
        let [parse, verify_only, sequential, both] = names;
        // One verifier per trusted root, as a long-running user keeps it.
        let verifier = Verifier::new(self.root.clone());
        let one_thread = Verifier::new(self.root.clone()).sequential();
        b.run(&parse, || Bundle::from_json(&self.json).unwrap());
        let bundle = Bundle::from_json(&self.json).unwrap();
        // Fail loudly rather than time an error path.
        verifier
            .verify(&bundle, &self.artifact, &self.policy, NOW)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        b.run(&verify_only, || {
            verifier
                .verify(&bundle, &self.artifact, &self.policy, NOW)
                .unwrap()
        });
        b.run(&sequential, || {
            one_thread
                .verify(&bundle, &self.artifact, &self.policy, NOW)
                .unwrap()
        });
        b.run(&both, || {
            let bundle = Bundle::from_json(&self.json).unwrap();
            verifier
                .verify(&bundle, &self.artifact, &self.policy, NOW)
                .unwrap()
        });
    }
}

fn main() {
    print_machine();
    let mut b = Bench::from_env();
    let root_json = data("testdata/trust/sigstore_trusted_root.json");
    let root = TrustedRoot::from_json(&root_json).unwrap();

    // --- Parsing the trusted root (once per process in the CLI).
    b.run("parse    trusted root (public-good, 2 CAs, 1 TSA)", || {
        TrustedRoot::from_json(&root_json).unwrap()
    });

    // --- Complete verification of each real bundle shape.
    let v03 = Case {
        name: "v0.3 DSSE+SET+proof+TSA (bundle_v03.json)",
        json: data("testdata/real/bundle_v03.json"),
        artifact: ArtifactDigests::parse(V03_DIGEST).unwrap(),
        root: root.clone(),
        policy: identities(GITHUB_ISSUER, V03_IDENTITY),
    };
    v03.bench(&mut b);
    Case {
        name: "v0.2 messageSignature (a.txt.sigstore)",
        json: data("testdata/real/a.txt.sigstore"),
        artifact: ArtifactDigests::of_bytes(&data("testdata/real/a.txt")),
        root: root.clone(),
        policy: identities("https://github.com/login/oauth", "a@tny.town"),
    }
    .bench(&mut b);
    Case {
        name: "v0.3 npm SLSA DSSE (npm_slsa_bundle_v03.json)",
        json: data("testdata/real/npm_slsa_bundle_v03.json"),
        artifact: ArtifactDigests::parse(NPM_DIGEST).unwrap(),
        root: root.clone(),
        policy: identities(GITHUB_ISSUER, NPM_IDENTITY),
    }
    .bench(&mut b);
    if let Some(c) = corpus() {
        let bv = c.join("conformance/bundle-verify");
        let a_txt = ArtifactDigests::of_bytes(&std::fs::read(bv.join("a.txt")).unwrap());
        let staging = TrustedRoot::from_json(
            &std::fs::read(bv.join("rekor2-happy-path/trusted_root.json")).unwrap(),
        )
        .unwrap();
        Case {
            name: "v0.3 Rekor v2 + TSA (conformance rekor2-happy-path)",
            json: std::fs::read(bv.join("rekor2-happy-path/bundle.sigstore.json")).unwrap(),
            artifact: a_txt.clone(),
            root: staging.clone(),
            policy: identities(GITHUB_ISSUER, BEACON_IDENTITY),
        }
        .bench(&mut b);
        Case {
            name: "v0.1 chain+SET+proof (conformance happy-path-v0.1)",
            json: std::fs::read(bv.join("happy-path-v0.1/bundle.sigstore.json")).unwrap(),
            artifact: a_txt,
            root: root.clone(),
            policy: identities(GITHUB_ISSUER, BEACON_IDENTITY),
        }
        .bench(&mut b);
        rekor2_checkpoint(&mut b, &c, &staging);
    }

    // --- The component checks, on bundle_v03.json.
    components(&mut b, &root);

    // --- The primitives alone.
    primitives(&mut b);

    // --- Overhead of the complete verify above the primitives it performs.
    // `verify` of the same bundle again and again: every key it uses (the leaf key
    // too) has a fixed-base table, so its primitives are the table ones.
    let (p256, p384) = (P256_TABLE, P384_TABLE);
    // The 1-thread verify: the primitives are timed on one thread too.
    let v03 = format!("verify 1-thread {}", v03.name);
    println!();
    for (what, get) in [
        (
            "wall medians",
            Bench::median as fn(&Bench, &str) -> Option<Duration>,
        ),
        ("CPU means", Bench::cpu_mean),
    ] {
        let (Some(full), Some(p256), Some(p384)) = (get(&b, &v03), get(&b, p256), get(&b, p384))
        else {
            continue;
        };
        let sum = p256 * V03_P256_OPS + p384 * V03_P384_OPS;
        record(
            &format!("ratio primitives sum bundle_v03.json ({what})"),
            &[sum],
        );
        println!(
            "bundle_v03.json, {what}: full verify {} / primitives {} ({} x P-256 + {} x P-384) = {:.3} (overhead {:+.1}%)",
            fmt(full),
            fmt(sum),
            V03_P256_OPS,
            V03_P384_OPS,
            full.as_secs_f64() / sum.as_secs_f64(),
            (full.as_secs_f64() / sum.as_secs_f64() - 1.0) * 100.0
        );
    }
}

fn components(b: &mut Bench, root: &TrustedRoot) {
    let bundle = Bundle::from_json(&data("testdata/real/bundle_v03.json")).unwrap();
    let vm = &bundle.verification_material;
    let entry = vm.tlog_entries.first().unwrap();
    let proof = entry.inclusion_proof.as_ref().unwrap();
    let log = root.tlog_by_log_id(&entry.log_id).unwrap();
    let leaf = vm.signer.leaf_der().unwrap();
    let Content::Dsse(env) = &bundle.content else {
        panic!("bundle_v03.json is DSSE")
    };

    b.run(
        "component leaf certificate parse (SigningCertificate)",
        || SigningCertificate::from_der(leaf).unwrap(),
    );
    let cert = SigningCertificate::from_der(leaf).unwrap();
    b.run(
        "component inclusion proof (RFC 6962, 31 hashes + leaf)",
        || {
            let h = leaf_hash(&entry.canonicalized_body);
            verify_inclusion(
                &h,
                proof.log_index,
                proof.tree_size,
                &proof.hashes,
                &proof.root_hash,
            )
            .unwrap()
        },
    );
    let cp = proof.checkpoint.as_deref().unwrap();
    b.run("component checkpoint (Rekor v1, P-256)", || {
        verify_checkpoint(cp, log).unwrap()
    });
    b.run("component SET (JCS + P-256)", || {
        verify_set(entry, log).unwrap()
    });
    let at = entry.integrated_time;
    b.run("component Fulcio chain verify (2 x P-384)", || {
        verify_chain(
            &cert.cert,
            &[],
            &root.certificate_authorities,
            at,
            EKU_CODE_SIGNING,
        )
        .unwrap()
    });
    let chain = verify_chain(
        &cert.cert,
        &[],
        &root.certificate_authorities,
        at,
        EKU_CODE_SIGNING,
    )
    .unwrap();
    b.run("component SCT (embedded, P-256)", || {
        verify_embedded_scts(&cert.cert, &chain, &root.ctlogs).unwrap()
    });
    let ts = vm.rfc3161_timestamps.first().unwrap();
    b.run(
        "component RFC 3161 token verify (CMS + chain, 2 x P-384)",
        || verify_timestamp(ts, &env.signature.sig, &root.timestamp_authorities).unwrap(),
    );
    let key = cert.cert.public_key().unwrap();
    b.run("component DSSE PAE + signature (P-256)", || {
        let msg = rulepack_verify::bundle::pae(&env.payload_type, &env.payload);
        key.verify(HashAlgorithm::Sha256, &msg, &env.signature.sig)
            .unwrap()
    });
    let _ = ParsedCertificate::from_der(leaf).unwrap();
}

fn rekor2_checkpoint(b: &mut Bench, corpus: &Path, staging: &TrustedRoot) {
    let json = std::fs::read(
        corpus.join("conformance/bundle-verify/rekor2-happy-path/bundle.sigstore.json"),
    )
    .unwrap();
    let bundle = Bundle::from_json(&json).unwrap();
    let entry = bundle.verification_material.tlog_entries.first().unwrap();
    let log = staging.tlog_by_log_id(&entry.log_id).unwrap();
    let cp = entry
        .inclusion_proof
        .as_ref()
        .and_then(|p| p.checkpoint.as_deref())
        .unwrap();
    b.run("component checkpoint (Rekor v2, Ed25519)", || {
        verify_checkpoint(cp, log).unwrap()
    });
}

/// Keys taken in turn so that none is verified often enough to get a fixed-base table
/// (more keys than `limits::MAX_KEYS_COUNTED_FOR_TABLES`, so each is forgotten before
/// its next turn): every verification takes the path of a key seen for the first time,
/// as a Fulcio leaf key or a one-shot process does.
const FRESH_KEYS: usize = 100;

fn primitives(b: &mut Bench) {
    use p256::pkcs8::EncodePublicKey as _;
    use std::cell::Cell;
    let msg = [0x5au8; 1024];
    let digest256 = sha256(&msg);
    b.run("primitive SHA-256 of 1 KiB", || {
        sha256(std::hint::black_box(&msg))
    });

    // Fixed, non-secret test keys: these only time verification.
    let key256 = |seed: u8| {
        let sk = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        let sig: p256::ecdsa::Signature = sk.sign_prehash(&digest256).unwrap();
        let pk =
            PublicKey::from_spki_der(sk.verifying_key().to_public_key_der().unwrap().as_bytes())
                .unwrap();
        (sk, sig, pk)
    };
    let (sk256, sig256, pk256) = key256(7);
    let der256 = sig256.to_der();
    b.run(P256_TABLE, || {
        pk256.verify_prehash(&digest256, der256.as_bytes()).unwrap()
    });
    let fresh256: Vec<_> = (0..FRESH_KEYS as u8)
        .map(|i| {
            let (_, sig, pk) = key256(i.wrapping_add(100));
            (pk, sig.to_der())
        })
        .collect();
    let turn = Cell::new(0usize);
    b.run(P256_FRESH, || {
        let (pk, sig) = &fresh256[turn.replace((turn.get() + 1) % FRESH_KEYS)];
        pk.verify_prehash(&digest256, sig.as_bytes()).unwrap()
    });
    let vk256 = *sk256.verifying_key();
    b.run(
        "primitive P-256 ECDSA verify (prehashed, p256 crate directly)",
        || {
            ecdsa::signature::hazmat::PrehashVerifier::verify_prehash(&vk256, &digest256, &sig256)
                .unwrap()
        },
    );

    let digest384 = HashAlgorithm::Sha384.digest(&msg);
    let key384 = |seed: u8| {
        let sk = p384::ecdsa::SigningKey::from_slice(&[seed; 48]).unwrap();
        let sig: p384::ecdsa::Signature = sk.sign_prehash(&digest384).unwrap();
        let pk = PublicKey::from_spki_der(
            p384::pkcs8::EncodePublicKey::to_public_key_der(sk.verifying_key())
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
        (sk, sig, pk)
    };
    let (sk384, sig384, pk384) = key384(9);
    let der384 = sig384.to_der();
    b.run(P384_TABLE, || {
        pk384.verify_prehash(&digest384, der384.as_bytes()).unwrap()
    });
    let fresh384: Vec<_> = (0..FRESH_KEYS as u8)
        .map(|i| {
            let (_, sig, pk) = key384(i.wrapping_add(100));
            (pk, sig.to_der())
        })
        .collect();
    let turn = Cell::new(0usize);
    b.run(P384_FRESH, || {
        let (pk, sig) = &fresh384[turn.replace((turn.get() + 1) % FRESH_KEYS)];
        pk.verify_prehash(&digest384, sig.as_bytes()).unwrap()
    });
    let vk384 = *sk384.verifying_key();
    b.run(
        "primitive P-384 ECDSA verify (prehashed, p384 crate directly)",
        || {
            ecdsa::signature::hazmat::PrehashVerifier::verify_prehash(&vk384, &digest384, &sig384)
                .unwrap()
        },
    );

    let sk_ed = ed25519_dalek::SigningKey::from_bytes(&[11u8; 32]);
    let sig_ed = sk_ed.sign(&msg);
    let pk_ed = PublicKey::from_ed25519_raw(sk_ed.verifying_key().as_bytes()).unwrap();
    b.run(
        "primitive Ed25519 verify (1 KiB message, crypto::PublicKey)",
        || {
            pk_ed
                .verify(HashAlgorithm::Sha256, &msg, &sig_ed.to_bytes())
                .unwrap()
        },
    );
}
