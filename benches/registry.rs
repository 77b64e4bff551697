//! Registry latency benchmark: `rulepack-verify verify --config` and `pull --config`
//! over N = 1, 10 and 50 signed packs served by a loopback registry that waits a fixed
//! delay (default 50 ms, the injected round-trip time) before every answer.
//!
//! Each pack has its own repository (`acme/rules/p<i>`, one token scope each) and is
//! signed by the test-only virtual Sigstore (`tests/common/vsig.rs`); the registry
//! (`benches/common/loopback.rs`) wants a Bearer token per scope, as ghcr.io does, and
//! serves the referrers API. Every run must verify every pack.
//!
//! Reported per case, the median of `RULEPACK_BENCH_RUNS` runs (default 3): wall time
//! (exec to exit) in ms and in units of the delay; how far N packs are above one pack,
//! in delays; requests in all, per pack, and per pack after the first challenge and
//! token; 401 challenges; token requests; accepted TCP connections; and the most
//! connections open at once (HTTP/1.1 keep-alive, so a reused connection counts once).
//!
//! `cargo bench --bench registry [-- verify|pull]`. Environment:
//! - `RULEPACK_BENCH_DELAY_MS` (default 50), `RULEPACK_BENCH_RUNS` (default 3),
//!   `RULEPACK_BENCH_PACKS` (default `1,10,50`);
//! - `RULEPACK_BENCH_BIN`: another `rulepack-verify` binary (an older build, for a
//!   before/after comparison; default: the one cargo builds for this bench);
//! - `RULEPACK_BENCH_ARGS`: extra arguments for both commands (e.g. `--jobs 8`);
//! - `RULEPACK_BENCH_TSV`: also append `registry <cmd> N=<n><TAB>wall_ns` lines.

mod common;
#[path = "../tests/common/e2e.rs"]
mod e2e;
#[path = "common/loopback.rs"]
mod loopback;
#[path = "../tests/common/vsig.rs"]
mod vsig;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use loopback::{Counts, Loopback, Store};
use serde_json::{json, Value};

/// One pack, signed, with what the registry must store for it.
struct Pack {
    reference_tail: String,
    tag: String,
    manifest: Vec<u8>,
    digest: String,
    rego: Vec<u8>,
    referrer: vsig::ReferrerManifest,
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn build_packs(n: usize, vs: &mut vsig::VirtualSigstore) -> Vec<Pack> {
    let opts = e2e::gha_sign_options("acme/rules", "refs/tags/v1.0.0", e2e::T0);
    (0..n)
        .map(|i| {
            let tag = format!("1.0.{i}");
            let rego = format!("package p{i}\n").into_bytes();
            let pack = e2e::BuiltPack::new(&tag, &[("p.rego", &rego)]);
            let signed = pack.sign(vs, &opts);
            Pack {
                reference_tail: format!("acme/rules/p{i}:{tag}"),
                tag,
                digest: pack.digest.clone(),
                manifest: pack.manifest.clone(),
                rego,
                referrer: signed.referrer,
            }
        })
        .collect()
}

fn store_of(packs: &[Pack]) -> Store {
    let mut s = Store::default();
    for p in packs {
        let m = (e2e::OCI_MANIFEST.to_owned(), p.manifest.clone());
        s.manifests.insert(p.tag.clone(), m.clone());
        s.manifests.insert(p.digest.clone(), m);
        s.blobs.insert(vsig::oci_digest(b"{}"), b"{}".to_vec());
        s.blobs.insert(vsig::oci_digest(&p.rego), p.rego.clone());
        let r = &p.referrer;
        s.blobs.insert(r.layer_digest.clone(), r.layer.clone());
        s.blobs
            .insert(r.config_digest.clone(), r.config_blob.clone());
        s.manifests.insert(
            r.manifest_digest.clone(),
            (e2e::OCI_MANIFEST.to_owned(), r.manifest.clone()),
        );
        s.referrers.insert(
            p.digest.clone(),
            vec![json!({
                "mediaType": e2e::OCI_MANIFEST,
                "digest": r.manifest_digest,
                "size": r.manifest.len(),
                "artifactType": vsig::BUNDLE_MEDIA_TYPE,
            })],
        );
    }
    s
}

/// One measured run.
struct Sample {
    wall: Duration,
    counts: Counts,
}

#[allow(clippy::too_many_arguments)]
fn run_once(
    bin: &Path,
    cmd: &str,
    packs: &[Pack],
    delay: Duration,
    dir: &Path,
    extra: &[String],
    run: usize,
) -> Sample {
    let reg = Loopback::start(store_of(packs), delay);
    let mut extras = String::new();
    for p in packs {
        extras.push_str(&format!(
            "    - oci://{}/{}\n",
            reg.addr(),
            p.reference_tail
        ));
    }
    let values = dir.join(format!("values-{cmd}-{}-{run}.yaml", packs.len()));
    std::fs::write(
        &values,
        format!(
            "rulePacks:\n  trustedRoot: trusted_root.json\n  trustedIdentities:\n    - issuer: {}\n      identityRegexp: ^https://github\\.com/acme/rules/\\.github/workflows/release\\.yml@refs/tags/.+$\n  extras:\n{extras}",
            e2e::GITHUB_ISSUER
        ),
    )
    .unwrap();
    let out_dir = dir.join(format!("out-{}-{run}", packs.len()));
    let _ = std::fs::remove_dir_all(&out_dir);
    let mut c = Command::new(bin);
    c.env_clear()
        .env("HOME", dir)
        .args([
            cmd,
            "--config",
            values.to_str().unwrap(),
            "--insecure-registry",
            reg.addr(),
            "--output",
            "json",
        ])
        .args(extra);
    if cmd == "pull" {
        c.args(["--out", out_dir.to_str().unwrap()]);
    }
    let t = Instant::now();
    let out = c.output().expect("run rulepack-verify");
    let wall = t.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ok = out.status.success()
        && serde_json::from_str::<Value>(stdout.trim())
            .ok()
            .and_then(|v| v["packs"].as_array().cloned())
            .is_some_and(|ps| {
                ps.len() == packs.len() && ps.iter().all(|p| p["status"] == "verified")
            });
    assert!(
        ok,
        "{cmd} over {} packs did not verify every pack:\n{stdout}\n{}",
        packs.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    Sample {
        wall,
        counts: reg.counts(),
    }
}

fn main() {
    common::print_machine();
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let delay = Duration::from_millis(env_num("RULEPACK_BENCH_DELAY_MS", 50));
    let runs = env_num("RULEPACK_BENCH_RUNS", 3).max(1) as usize;
    let sizes: Vec<usize> = std::env::var("RULEPACK_BENCH_PACKS")
        .unwrap_or_else(|_| "1,10,50".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let bin = std::env::var_os("RULEPACK_BENCH_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_rulepack-verify")),
        PathBuf::from,
    );
    let extra: Vec<String> = std::env::var("RULEPACK_BENCH_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut vs = vsig::VirtualSigstore::new(7_000_007);
    let dir = e2e::temp_dir("bench-registry");
    std::fs::write(dir.join("trusted_root.json"), vs.trusted_root_json()).unwrap();
    let packs = build_packs(sizes.iter().copied().max().unwrap_or(1), &mut vs);
    println!(
        "binary: {}{}; delay per request: {} ms; median of {runs} runs",
        bin.display(),
        if extra.is_empty() {
            String::new()
        } else {
            format!(" {}", extra.join(" "))
        },
        delay.as_millis()
    );
    println!(
        "{:<8} {:>4} {:>9} {:>8} {:>9} {:>8} {:>8} {:>10} {:>6} {:>6} {:>9} {:>9}",
        "command",
        "N",
        "wall ms",
        "delays",
        "over N=1",
        "requests",
        "per pack",
        "after 1st",
        "401s",
        "tokens",
        "accepted",
        "peak conn"
    );
    for cmd in ["verify", "pull"] {
        if filter.as_deref().is_some_and(|f| !cmd.contains(f)) {
            continue;
        }
        let mut one: Option<f64> = None;
        for &n in &sizes {
            let mut samples: Vec<Sample> = (0..runs)
                .map(|r| run_once(&bin, cmd, &packs[..n], delay, &dir, &extra, r))
                .collect();
            samples.sort_by_key(|s| s.wall);
            let m = &samples[samples.len() / 2];
            let d = m.wall.as_secs_f64() / delay.as_secs_f64();
            if n == 1 {
                one = Some(d);
            }
            let c = m.counts;
            // The first 401 and the first token are the run's fixed cost.
            let after_first = c.total.saturating_sub(2) as f64 / n as f64;
            println!(
                "{:<8} {:>4} {:>9.0} {:>8.1} {:>9} {:>8} {:>8.2} {:>10.2} {:>6} {:>6} {:>9} {:>9}",
                cmd,
                n,
                m.wall.as_secs_f64() * 1e3,
                d,
                one.map_or_else(|| "-".into(), |o| format!("{:+.1}", d - o)),
                c.total,
                c.total as f64 / n as f64,
                after_first,
                c.challenges,
                c.tokens,
                c.accepted,
                c.peak_open
            );
            common::record(&format!("registry {cmd} N={n}"), &[m.wall]);
        }
    }
}
