#!/usr/bin/env bash
# The published package holds the sources, the docs and only the data the build and the
# doc examples read (Cargo.toml `include`); no test corpus. Then `cargo publish
# --dry-run` builds the packaged crate on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
list=$(cargo package --list --allow-dirty --locked 2>/dev/null)
unexpected=$(printf '%s\n' "$list" | grep -Ev '^(src/.*\.rs|docs/[^/]*\.md|README\.md|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|\.cargo_vcs_info\.json|testdata/README\.md|testdata/trust/sigstore_trusted_root\.json|testdata/tuf/sigstore-root-v16\.json|testdata/tuf/sigstage-root-v14\.json|testdata/real/bundle_v03\.json|testdata/offline/.*)$' || true)
if [ -n "$unexpected" ]; then
  echo "files in the package that Cargo.toml's include list should not ship:"
  printf '%s\n' "$unexpected"
  exit 1
fi
n=$(printf '%s\n' "$list" | wc -l)
echo "package: $n files, none outside the include list"
log=$(mktemp)
if ! cargo publish --dry-run --allow-dirty --locked >"$log" 2>&1; then
  cat "$log"; rm -f "$log"; exit 1
fi
# Tests, benches and examples stay in the repository with the corpora they read.
grep -v '^warning: ignoring \(test\|benchmark\|example\)' "$log" | tail -3
rm -f "$log"
