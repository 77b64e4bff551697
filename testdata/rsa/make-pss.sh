#!/bin/sh
# RSASSA-PSS vectors (RFC 8017 §8.1) for `src/crypto/rsa_pss_tests.rs`, made with OpenSSL
# (any 3.x) from the test-only key of this directory, `rsa2048-test-only.pk8.der` (the
# private half of `rsa2048.spki.der`, made by make.sh), over `message.txt`: SHA-256,
# MGF1-SHA-256, with the salt lengths a TUF signer may use. Run from the repository root:
# `sh testdata/rsa/make-pss.sh`. PSS is randomized, so the signatures change on every run;
# the tests read only what is here.
#   rsa2048.pss-sha256-salt32.sig   salt = digest length (securesystemslib's default)
#   rsa2048.pss-sha256-salt0.sig    no salt
#   rsa2048.pss-sha256-saltmax.sig  the largest salt: emLen - hLen - 2 = 222 bytes
set -eu
out=$(cd "$(dirname "$0")" && pwd)
for salt in 32:salt32 0:salt0 max:saltmax; do
  openssl dgst -sha256 -keyform DER -sign "$out/rsa2048-test-only.pk8.der" \
    -sigopt rsa_padding_mode:pss -sigopt "rsa_pss_saltlen:${salt%%:*}" \
    -sigopt rsa_mgf1_md:sha256 \
    -out "$out/rsa2048.pss-sha256-${salt#*:}.sig" "$out/message.txt"
done
