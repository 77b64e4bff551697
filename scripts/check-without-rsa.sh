#!/bin/sh
# Checks a rulepack-verify binary built WITHOUT the `rsa` cargo feature (the default build)
# on RSA inputs: each must fail with its stage's code and a message naming the feature,
# while a trusted root that merely lists RSA logs still loads. `cargo test` cannot do this
# (test builds always have the feature); `.ci/run` runs it on the release binary.
#
#   scripts/check-without-rsa.sh target/release/rulepack-verify
#
# Needs python3 (to edit JSON) and the repository's testdata/.
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-without-rsa: $*"; exit 1; }

# Inputs: the RSA-2048 test key as PEM; the production bundle of testdata/real turned into a
# key bundle; the public-good trusted root with RSA CT logs.
python3 - "$tmp" <<'PY'
import base64, json, sys
tmp = sys.argv[1]
der = open("testdata/rsa/rsa2048.spki.der", "rb").read()
b64 = base64.b64encode(der).decode()
pem = "-----BEGIN PUBLIC KEY-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
open(f"{tmp}/rsa.pem", "w").write(pem + "\n-----END PUBLIC KEY-----\n")
b = json.load(open("testdata/real/a.txt.sigstore"))
b["verificationMaterial"] = {"publicKey": {"hint": "rsa-test"},
                             "tlogEntries": b["verificationMaterial"]["tlogEntries"]}
json.dump(b, open(f"{tmp}/key-bundle.json", "w"))
r = json.load(open("testdata/trust/sigstore_trusted_root.json"))
for log in r["ctlogs"]:
    log["publicKey"]["keyDetails"] = "PKIX_RSA_PKCS1V15_2048_SHA256"
    log["publicKey"]["rawBytes"] = base64.b64encode(der).decode()
json.dump(r, open(f"{tmp}/rsa-ctlogs.json", "w"))
PY

# expect STATUS CODE COMMAND...: the command exits with STATUS and its last line is
# `error[CODE]: …` naming the `rsa` cargo feature.
expect() {
    status=$1 code=$2
    shift 2
    set +e
    "$@" >"$tmp/out" 2>&1
    got=$?
    set -e
    last=$(tail -n 1 "$tmp/out")
    echo "  exit $got: $last"
    [ "$got" = "$status" ] || fail "expected exit $status from: $*"
    case "$last" in
        "error[$code]:"*'`rsa` cargo feature'*) ;;
        *) fail "expected error[$code] naming the rsa cargo feature from: $*" ;;
    esac
}

tr=testdata/trust/sigstore_trusted_root.json

echo "an RSA --key"
expect 1 signature.unsupported-key "$bin" verify-bundle --bundle "$tmp/key-bundle.json" \
    --key "$tmp/rsa.pem" --trusted-root "$tr" testdata/real/a.txt

echo "a trusted root listing RSA CT logs loads; a certificate whose SCT needs one is refused"
"$bin" trust-root show --trusted-root "$tmp/rsa-ctlogs.json" >"$tmp/show" ||
    fail "trust-root show refused a trusted root that lists RSA CT logs"
grep -q 'RSA-2048 (unusable: this build lacks the `rsa` feature)' "$tmp/show" ||
    fail "trust-root show does not say the RSA CT log keys are unusable"
expect 1 sct.log-key-unsupported "$bin" verify-bundle --bundle testdata/real/a.txt.sigstore \
    --certificate-identity-regexp '.*' --certificate-oidc-issuer-regexp '.*' \
    --trusted-root "$tmp/rsa-ctlogs.json" testdata/real/a.txt

echo "a TUF root signed by an rsa (rsassa-pss-sha256) key, refused before any network access"
export XDG_CACHE_HOME="$tmp/cache"
expect 3 tuf.key-type-not-enabled "$bin" trust-root update \
    --tuf-url http://127.0.0.1:9/ --tuf-root testdata/tuf/rsa-root.json

# A real sigstore-conformance case whose (test) Fulcio CA is RSA-4096, when the shared
# corpus is there (RULEPACK_CORPUS, as .ci/run sets it).
case_dir=${RULEPACK_CORPUS:-}/conformance/bundle-verify/bundle-with-sct-with-extensions
if [ -n "${RULEPACK_CORPUS:-}" ] && [ -d "$case_dir" ]; then
    echo "a conformance bundle whose Fulcio CA is RSA-4096"
    expect 1 certificate.unsupported-key "$bin" verify-bundle \
        --bundle "$case_dir/bundle.sigstore.json" \
        --certificate-identity https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main \
        --certificate-oidc-issuer https://token.actions.githubusercontent.com \
        --trusted-root "$case_dir/trusted_root.json" "$RULEPACK_CORPUS/conformance/bundle-verify/a.txt"
elif [ "${RULEPACK_REQUIRE_ALL:-}" = 1 ]; then
    fail "RULEPACK_CORPUS is unset or lacks $case_dir, but RULEPACK_REQUIRE_ALL=1"
else
    echo "SKIPPED the conformance case: set RULEPACK_CORPUS=../shared/corpus to run it"
fi

echo "check-without-rsa: ok"
