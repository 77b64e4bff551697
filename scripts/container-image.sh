#!/usr/bin/env bash
# Builds and checks the container image (Containerfile) from a checkout, pulling no base
# image and needing no daemon: the static binary with cargo, then `buildah bud` with a
# private vfs storage under target/container (works without overlayfs or user namespaces).
#
#   scripts/container-image.sh build    # static binary + image localhost/rulepack-verify:dev
#   scripts/container-image.sh smoke    # run the image on testdata/offline (verify and pull)
#   scripts/container-image.sh rootfs   # print a directory holding the image's files
#
# buildah is installed from the Debian archive if missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${RULEPACK_IMAGE:-localhost/rulepack-verify:dev}
store=target/container
b() { buildah --root "$PWD/$store/storage" --runroot "$PWD/$store/run" --storage-driver vfs "$@"; }

need_buildah() {
  command -v buildah >/dev/null 2>&1 && return
  [ "$(id -u)" = 0 ] || { echo "buildah is not installed (apt-get install buildah)"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends buildah >/dev/null 2>&1 ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends buildah >/dev/null; }
}

case "${1:-}" in
build)
  need_buildah
  RUSTFLAGS='-C target-feature=+crt-static' \
    cargo build --release --locked --target x86_64-unknown-linux-gnu
  bin=target/x86_64-unknown-linux-gnu/release/rulepack-verify
  # A static binary: no interpreter, no shared libraries.
  if readelf -l "$bin" | grep -q 'INTERP' || readelf -d "$bin" | grep -q 'NEEDED'; then
    echo "$bin is not statically linked"; exit 1
  fi
  b bud --quiet --isolation chroot --layers=false -f Containerfile -t "$tag" . >/dev/null
  echo "built $tag"
  ;;
smoke)
  need_buildah
  c=$(b from "$tag")
  trap 'b rm "$c" >/dev/null' EXIT
  # Only the binary and /etc/{nsswitch.conf,passwd,group}: no shell to run anything else.
  files=$(cd "$(b mount "$c")" && find . -mindepth 1 ! -type d | sort | tr '\n' ' ')
  [ "$files" = "./etc/group ./etc/nsswitch.conf ./etc/passwd ./rulepack-verify " ] ||
    { echo "unexpected files in the image: $files"; exit 1; }
  tmp=$(mktemp -d); out=$tmp/rulepacks
  mkdir "$out"; chown 65532:65532 "$out" 2>/dev/null || chmod 0777 "$out"
  run() { b run --isolation chroot -v "$PWD/testdata/offline:/offline:ro" -v "$out:/rulepacks" "$c" -- /rulepack-verify "$@"; }
  # The offline example: two packs verify, two fail, so the exit status is 1.
  set +e
  run verify --config /offline/values.yaml >"$tmp/verify.txt" 2>&1; v=$?
  run pull --config /offline/values.yaml --out /rulepacks >"$tmp/pull.txt" 2>&1; p=$?
  set -e
  grep -q '^4 packs: 2 verified, 2 failed' "$tmp/verify.txt" && [ "$v" = 1 ] ||
    { cat "$tmp/verify.txt"; echo "verify in the image: exit $v"; exit 1; }
  grep -q 'FAILED      rule pack oci://ghcr.io/mallory/rules/backdoor:1.0.0@sha256:.*error\[policy.identity-mismatch\]' "$tmp/pull.txt" && [ "$p" = 1 ] ||
    { cat "$tmp/pull.txt"; echo "pull in the image: exit $p"; exit 1; }
  n=$(find "$out/current/packs" -mindepth 1 -maxdepth 1 -type d | wc -l)
  [ "$n" = 2 ] || { echo "pull in the image wrote $n packs, expected 2"; exit 1; }
  echo "image $tag: offline example verified (2 verified, 2 failed, exit 1); pull wrote the 2 verified packs"
  rm -rf "$tmp"
  ;;
rootfs)
  need_buildah
  c=$(b from "$tag")
  dir=target/container/rootfs
  rm -rf "$dir"; mkdir -p "$dir"
  cp -a "$(b mount "$c")/." "$dir/"
  b rm "$c" >/dev/null
  echo "$PWD/$dir"
  ;;
*)
  echo "usage: $0 build|smoke|rootfs"; exit 2
  ;;
esac
