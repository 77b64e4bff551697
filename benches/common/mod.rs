//! A plain benchmark harness (no criterion): warm-up, then timed samples with
//! `std::time::Instant`, reported as median / p10 / p90 per iteration.
//!
//! Each sample times a batch of iterations sized so that one sample lasts at least
//! [`MIN_SAMPLE`]; the per-iteration time of a sample is the batch time divided by the
//! batch size. Environment:
//! - `RULEPACK_BENCH_SECS`: measuring time per case in seconds (default 1.5);
//! - `RULEPACK_BENCH_ITERS=N`: no timing; run each selected case exactly N times after
//!   one warm-up call (for `valgrind --tool=callgrind`, whose per-function call counts
//!   and inclusive instruction counts then divide by N + 1);
//! - the first non-flag command-line argument is a substring filter on case names
//!   (`cargo bench --bench verify -- p384`).

#![allow(dead_code)] // each bench binary uses a subset

use std::time::{Duration, Instant};

/// Shortest sample; faster operations are batched.
const MIN_SAMPLE: Duration = Duration::from_micros(200);
/// Warm-up time per case.
const WARM_UP: Duration = Duration::from_millis(200);
/// Fewest samples per case, whatever the time budget.
const MIN_SAMPLES: usize = 15;
/// Most samples per case.
const MAX_SAMPLES: usize = 2_000;

/// Timing summary of one case, per iteration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stats {
    pub(crate) median: Duration,
    pub(crate) p10: Duration,
    pub(crate) p90: Duration,
    pub(crate) samples: usize,
    pub(crate) batch: u64,
}

/// Runs cases, prints one line each, remembers the results.
pub(crate) struct Bench {
    filter: Option<String>,
    budget: Duration,
    fixed_iters: Option<u64>,
    pub(crate) results: Vec<(String, Stats)>,
}

impl Bench {
    /// Reads the filter from argv (skipping cargo's `--bench` flag) and the budget from
    /// the environment.
    pub(crate) fn from_env() -> Self {
        let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
        let secs = std::env::var("RULEPACK_BENCH_SECS")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .unwrap_or(1.5);
        println!(
            "{:<58} {:>12} {:>12} {:>12} {:>9}",
            "case", "median", "p10", "p90", "samples"
        );
        Bench {
            filter,
            budget: Duration::from_secs_f64(secs),
            fixed_iters: std::env::var("RULEPACK_BENCH_ITERS")
                .ok()
                .and_then(|s| s.parse().ok()),
            results: Vec::new(),
        }
    }

    /// Whether `name` passes the filter.
    pub(crate) fn enabled(&self, name: &str) -> bool {
        self.filter.as_deref().is_none_or(|f| name.contains(f))
    }

    /// Benchmarks `f` under `name` (skipped when filtered out).
    pub(crate) fn run<T>(&mut self, name: &str, mut f: impl FnMut() -> T) -> Option<Stats> {
        if !self.enabled(name) {
            return None;
        }
        if let Some(n) = self.fixed_iters {
            for _ in 0..=n {
                std::hint::black_box(f());
            }
            println!("{name:<58} ran 1 + {n} times (untimed)");
            return None;
        }
        // Warm-up, and a first estimate of one iteration's cost.
        let start = Instant::now();
        let mut n: u64 = 0;
        while start.elapsed() < WARM_UP || n == 0 {
            std::hint::black_box(f());
            n += 1;
        }
        let per_iter = start.elapsed() / u32::try_from(n).unwrap_or(u32::MAX);
        let batch = if per_iter >= MIN_SAMPLE {
            1
        } else {
            (MIN_SAMPLE.as_nanos() / per_iter.as_nanos().max(1)) as u64 + 1
        };
        let sample_time = per_iter * u32::try_from(batch).unwrap_or(u32::MAX);
        let samples = ((self.budget.as_nanos() / sample_time.as_nanos().max(1)) as usize)
            .clamp(MIN_SAMPLES, MAX_SAMPLES);
        let mut times = Vec::with_capacity(samples);
        for _ in 0..samples {
            let t = Instant::now();
            for _ in 0..batch {
                std::hint::black_box(f());
            }
            times.push(t.elapsed() / u32::try_from(batch).unwrap_or(u32::MAX));
        }
        times.sort();
        let q = |p: usize| times[(times.len() - 1) * p / 100];
        let s = Stats {
            median: q(50),
            p10: q(10),
            p90: q(90),
            samples,
            batch,
        };
        println!(
            "{:<58} {:>12} {:>12} {:>12} {:>9}",
            name,
            fmt(s.median),
            fmt(s.p10),
            fmt(s.p90),
            if batch > 1 {
                format!("{samples}x{batch}")
            } else {
                samples.to_string()
            }
        );
        self.results.push((name.to_owned(), s));
        Some(s)
    }

    /// The median of an earlier case.
    pub(crate) fn median(&self, name: &str) -> Option<Duration> {
        self.results
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.median)
    }
}

/// `123.4 µs`, `1.234 ms`, `56 ns`.
pub(crate) fn fmt(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.3} ms", ns as f64 / 1e6)
    }
}

/// Prints the machine and load the numbers were taken under.
pub(crate) fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "machine: {cores} cores, {cpu}; load average {}",
        load.trim()
    );
}
