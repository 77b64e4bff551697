//! A plain benchmark harness (no criterion): warm-up, then timed samples with
//! `std::time::Instant`, reported as median / p10 / p90 per iteration.
//!
//! Besides wall time, each case reports its mean CPU time per iteration, over the
//! whole sampling phase divided by the iterations run: the CPU time of the whole
//! process, all threads, exited ones included (`/proc/self/stat` `utime + stime`, clock
//! ticks of 10 ms; about 150 ticks per case, so within about 1%), because `verify`
//! runs part of its work on scoped threads.
//! On a shared machine the wall-time median of a multi-millisecond operation includes
//! time spent waiting for a CPU; the CPU time does not.
//!
//! Each sample times a batch of iterations sized so that one sample lasts at least
//! [`MIN_SAMPLE`]; the per-iteration time of a sample is the batch time divided by the
//! batch size. Environment:
//! - `RULEPACK_BENCH_SECS`: measuring time per case in seconds (default 1.5);
//! - `RULEPACK_BENCH_ITERS=N`: no timing; run each selected case exactly N times after
//!   one warm-up call (for `valgrind --tool=callgrind`, whose per-function call counts
//!   and inclusive instruction counts then divide by N + 1);
//! - `RULEPACK_BENCH_TSV=FILE`: also append `name<TAB>median_ns<TAB>p10_ns<TAB>p90_ns`
//!   lines to FILE (`benches/run.sh` combines repeated runs from them);
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
    /// Mean on-CPU time per iteration (`None` without `/proc/thread-self/schedstat`).
    pub(crate) cpu_mean: Option<Duration>,
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
            "{:<58} {:>12} {:>12} {:>12} {:>12} {:>9}",
            "case", "median", "p10", "p90", "cpu mean", "samples"
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
        let cpu_start = process_cpu();
        for _ in 0..samples {
            let t = Instant::now();
            for _ in 0..batch {
                std::hint::black_box(f());
            }
            times.push(t.elapsed() / u32::try_from(batch).unwrap_or(u32::MAX));
        }
        let iters = u32::try_from(samples as u64 * batch).unwrap_or(u32::MAX);
        let cpu_mean = cpu_start
            .zip(process_cpu())
            .map(|(a, b)| b.saturating_sub(a) / iters);
        times.sort();
        let q = |p: usize| times[(times.len() - 1) * p / 100];
        let s = Stats {
            median: q(50),
            p10: q(10),
            p90: q(90),
            cpu_mean,
            samples,
            batch,
        };
        println!(
            "{:<58} {:>12} {:>12} {:>12} {:>12} {:>9}",
            name,
            fmt(s.median),
            fmt(s.p10),
            fmt(s.p90),
            cpu_mean.map_or_else(|| "-".into(), fmt),
            if batch > 1 {
                format!("{samples}x{batch}")
            } else {
                samples.to_string()
            }
        );
        record(
            name,
            &[s.median, s.p10, s.p90, cpu_mean.unwrap_or_default()],
        );
        self.results.push((name.to_owned(), s));
        Some(s)
    }

    /// The mean CPU time of an earlier case.
    pub(crate) fn cpu_mean(&self, name: &str) -> Option<Duration> {
        self.results
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, s)| s.cpu_mean)
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

/// Appends one TSV line (name, then nanoseconds) to `$RULEPACK_BENCH_TSV`, if set.
pub(crate) fn record(name: &str, values: &[Duration]) {
    let Some(path) = std::env::var_os("RULEPACK_BENCH_TSV") else {
        return;
    };
    let mut line = name.to_owned();
    for v in values {
        line.push('\t');
        line.push_str(&v.as_nanos().to_string());
    }
    line.push('\n');
    use std::io::Write as _;
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!("warning: cannot append to {}: {e}", path.to_string_lossy());
    }
}

/// CPU time (user + system) of this whole process so far, all its threads included
/// (`/proc/self/stat` fields 14 and 15, `utime` and `stime`, in clock ticks of 10 ms).
pub(crate) fn process_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name, which may contain spaces.
    let rest = s.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so field k is f[k - 3].
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// On-CPU time of the calling thread so far (Linux `/proc/thread-self/schedstat`,
/// first field, nanoseconds).
pub(crate) fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// CPU time (user + system) of this process's waited-for children so far
/// (`/proc/self/stat` fields 16 and 17, `cutime` and `cstime`, in clock ticks of 10 ms).
pub(crate) fn children_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name, which may contain spaces.
    let rest = s.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): cutime is field 16 -> index 13, cstime index 14.
    let ticks: u64 = f.get(13)?.parse::<u64>().ok()? + f.get(14)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}
