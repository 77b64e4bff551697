//! Whole-process benchmark: `rulepack-verify verify-bundle` on the cosign v3
//! bundle `testdata/real/bundle_v03.json` with `--trusted-root
//! testdata/trust/sigstore_trusted_root.json`, as a user runs it: exec, read and parse
//! the trust root and the bundle, verify, print, exit.
//!
//! Wall time: `Instant` around `Command::output()` (fork + exec + wait), warm-up then
//! `RULEPACK_PROCESS_RUNS` runs (default 200), median / p10 / p90. Peak RSS: the same
//! command under `/usr/bin/time -f %M` (GNU time, Debian package `time`; maxrss of the
//! child in KiB), median of 21 runs; skipped with a notice when `/usr/bin/time` is
//! missing. The binary is the one cargo builds for this bench (bench profile = release
//! settings, with the features given to `cargo bench`).
//!
//! `cargo bench --bench process`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{children_cpu, fmt, print_machine, record};

const BIN: &str = env!("CARGO_BIN_EXE_rulepack-verify");
const DIGEST: &str = "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172";
const IDENTITY: &str =
    "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn args() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = |p: &str| dir.join(p).display().to_string();
    vec![
        "verify-bundle".into(),
        "--bundle".into(),
        path("testdata/real/bundle_v03.json"),
        "--certificate-identity".into(),
        IDENTITY.into(),
        "--certificate-oidc-issuer".into(),
        ISSUER.into(),
        "--trusted-root".into(),
        path("testdata/trust/sigstore_trusted_root.json"),
        DIGEST.into(),
    ]
}

fn run_once(args: &[String]) -> Duration {
    let t = Instant::now();
    let out = Command::new(BIN).args(args).output().unwrap();
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "verify-bundle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

fn quantiles<T: Ord + Copy>(mut v: Vec<T>) -> (T, T, T) {
    v.sort();
    let q = |p: usize| v[(v.len() - 1) * p / 100];
    (q(50), q(10), q(90))
}

fn main() {
    print_machine();
    println!("binary: {BIN}");
    let args = args();
    let runs: usize = std::env::var("RULEPACK_PROCESS_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);

    // `true` (a trivial exec) as the floor of fork + exec + wait on this machine.
    let floor = Command::new("true").output().is_ok().then(|| {
        let v: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let _ = Command::new("true").output();
                t.elapsed()
            })
            .collect();
        quantiles(v)
    });

    for _ in 0..10 {
        run_once(&args);
    }
    let cpu_start = children_cpu();
    let (median, p10, p90) = quantiles((0..runs).map(|_| run_once(&args)).collect());
    let cpu_mean = cpu_start
        .zip(children_cpu())
        .map(|(a, b)| b.saturating_sub(a) / u32::try_from(runs).unwrap_or(u32::MAX));
    record(
        "process verify-bundle bundle_v03.json",
        &[median, p10, p90, cpu_mean.unwrap_or_default()],
    );
    println!(
        "whole process verify-bundle bundle_v03.json: median {} (p10 {}, p90 {}, {runs} runs); \
         CPU (user+sys) mean {}",
        fmt(median),
        fmt(p10),
        fmt(p90),
        cpu_mean.map_or_else(|| "-".into(), fmt)
    );
    if let Some((m, p10, p90)) = floor {
        record("process exec of true (floor)", &[m, p10, p90]);
        println!(
            "  floor, exec of `true`:                     median {} (p10 {}, p90 {})",
            fmt(m),
            fmt(p10),
            fmt(p90)
        );
    }

    let time = Path::new("/usr/bin/time");
    if !time.is_file() {
        println!("notice: /usr/bin/time missing (apt-get install time): peak RSS not measured");
        return;
    }
    let mut rss = Vec::new();
    for _ in 0..21 {
        let out = Command::new(time)
            .args(["-f", "%M"])
            .arg(BIN)
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success());
        // GNU time prints its report as the last line of stderr.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let kib: u64 = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected /usr/bin/time output: {stderr}"));
        rss.push(kib);
    }
    let (m, lo, hi) = quantiles(rss);
    // Recorded in the TSV as "nanoseconds" = KiB, under an explicit name.
    record(
        "process peak RSS KiB",
        &[m, lo, hi].map(Duration::from_nanos),
    );
    println!(
        "peak RSS (maxrss): median {m} KiB = {:.2} MiB (p10 {lo} KiB, p90 {hi} KiB, 21 runs)",
        m as f64 / 1024.0
    );
}
