#!/usr/bin/env bash
# Runs the benchmarks R times (default 3), recording the load before each run, and
# prints for every case the median over the runs of its per-run median (plus the
# smallest and largest per-run median, and the median of its per-run mean CPU time),
# the numbers docs/benchmarks.md reports.
#
#   RULEPACK_CORPUS=/work/shared/corpus benches/run.sh        # all, 3 runs
#   R=5 benches/run.sh verify                                 # only the in-process bench
#   R=1 benches/run.sh registry                               # only the registry latency bench
#
# Output: target/bench-results/<UTC time>/{log.txt,results.tsv}.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${R:-3}
which=${1:-all}
out="target/bench-results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
export RULEPACK_BENCH_TSV="$PWD/$out/results.tsv"
cargo bench --no-run 2>/dev/null
{
    echo "nproc: $(nproc); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
    for i in $(seq "$R"); do
        for b in verify process registry; do
            [ "$which" = all ] || [ "$which" = "$b" ] || continue
            echo "== run $i, bench $b, $(date -u +%H:%M:%SZ), uptime:$(uptime | sed 's/.*load/ load/')"
            cargo bench -q --bench "$b" 2>/dev/null
        done
    done
} | tee "$out/log.txt"
python3 - "$out/results.tsv" <<'PY' | tee "$out/summary.txt"
import sys, statistics
runs, cpus = {}, {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    runs.setdefault(f[0], []).append(int(f[1]))
    if len(f) > 4 and int(f[4]) > 0:
        cpus.setdefault(f[0], []).append(int(f[4]))
def fmt(name, ns):
    if name.startswith("process peak RSS"):
        return f"{ns} KiB"
    return f"{ns/1e3:.1f} µs" if ns < 1e6 else f"{ns/1e6:.3f} ms"
print(f"{'case':<62} {'median of medians':>18} {'min..max of medians':>26} {'CPU mean':>12} runs")
for name, v in runs.items():
    cpu = fmt(name, int(statistics.median(cpus[name]))) if name in cpus else "-"
    span = fmt(name, min(v)) + " .. " + fmt(name, max(v))
    print(f"{name:<62} {fmt(name, int(statistics.median(v))):>18} {span:>26} {cpu:>12} {len(v)}")
PY
echo "results in $out"
