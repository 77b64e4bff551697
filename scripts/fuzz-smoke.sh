#!/bin/sh
# Builds every cargo-fuzz target and runs each for a short, bounded time on its seed
# corpus, so the targets cannot rot. Exits non-zero if a build fails or a target finds a
# crash, a timeout or an out-of-memory (the reproducer is left in fuzz/artifacts/<target>/).
#
#   scripts/fuzz-smoke.sh            # 10 s per target
#   FUZZ_SECONDS=60 scripts/fuzz-smoke.sh [target...]
#
# Stable toolchain: cargo-fuzz needs nightly flags (-Zsanitizer), which RUSTC_BOOTSTRAP=1
# allows. Installs cargo-fuzz 0.13 when it is missing. Seeds come from fuzz/make-seeds.sh
# (testdata/, plus the shared corpus when RULEPACK_CORPUS is set); what a run discovers
# goes to a temporary directory, so the seed corpus is not changed.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
secs="${FUZZ_SECONDS:-10}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz --version '^0.13'
fi

targets="$*"
if [ -z "$targets" ]; then
    targets=$(cargo fuzz list)
fi

echo "fuzz-smoke: building $(echo $targets | wc -w) targets"
cargo fuzz build

sh "$root/fuzz/make-seeds.sh" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=""
passed=0
for t in $targets; do
    mkdir -p "$work/$t" "corpus/$t"
    log="$work/$t.log"
    dict=""
    case "$t" in
    bundle | verify | verify_structured | trusted_root | oci_manifest | tuf_metadata | jcs_roundtrip)
        dict="-dict=json.dict" ;;
    esac
    # -timeout: one input may take at most 10 s; -rss_limit_mb: 2 GiB; -max_len: room
    # for the largest real bundles.
    if cargo fuzz run "$t" "$work/$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
        -print_final_stats=1 $dict >"$log" 2>&1; then
        stats=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
        cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)
        echo "fuzz-smoke: $t ok (${stats:-?} runs, $cov)"
        passed=$((passed + 1))
    else
        echo "fuzz-smoke: $t FAILED; last lines of its log:"
        tail -40 "$log"
        failed="$failed $t"
    fi
done

nfailed=$(echo $failed | wc -w)
echo "fuzz-smoke: $passed passed, $nfailed failed"
if [ -n "$failed" ]; then
    echo "fuzz-smoke: failing targets:$failed (reproducers in fuzz/artifacts/)"
    exit 1
fi
