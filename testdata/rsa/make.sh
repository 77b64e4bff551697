#!/bin/sh
# Generates the RSA test vectors of this directory with OpenSSL (any 3.x). Run from the
# repository root: `sh testdata/rsa/make.sh`. Keys are fresh on every run, so the output
# changes; the tests read only what is here, never a fixed value derived elsewhere.
# Private keys stay in a temporary directory, except `rsa2048-test-only.pk8.der`, the
# private half of `rsa2048.spki.der`, which tests use to sign synthetic SCTs (test-only,
# never trusted anywhere).
set -eu
out=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# Keys: accepted sizes (2048, 3072, 4096; 2048 also with e = 3) and rejected ones.
for bits in 1024 2048 3072 4096 8192; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$bits -out k$bits.pem 2>/dev/null
  openssl pkey -in k$bits.pem -pubout -outform DER -out "$out/rsa$bits.spki.der"
done
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 \
  -out k2048e3.pem 2>/dev/null
openssl pkey -in k2048e3.pem -pubout -outform DER -out "$out/rsa2048-e3.spki.der"
openssl rsa -in k2048.pem -RSAPublicKey_out -outform DER -out "$out/rsa2048.pkcs1.der" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in k2048.pem -outform DER -out "$out/rsa2048-test-only.pk8.der"

# RSASSA-PKCS1-v1_5 signatures (RFC 8017 §8.2.1) over message.txt.
printf 'rulepack-verify RSA known-answer test\n' > "$out/message.txt"
for h in sha256 sha384 sha512; do
  openssl dgst -$h -sign k2048.pem -out "$out/rsa2048.$h.sig" "$out/message.txt"
done
openssl dgst -sha256 -sign k2048e3.pem -out "$out/rsa2048-e3.sha256.sig" "$out/message.txt"
openssl dgst -sha256 -sign k4096.pem -out "$out/rsa4096.sha256.sig" "$out/message.txt"

# An RSA time-stamping authority: a self-signed RSA-4096 root (sha256WithRSAEncryption)
# issuing an RSA-2048 TSA certificate (critical EKU timeStamping), and an RFC 3161
# response over message.txt from `openssl ts` (CMS signatureAlgorithm rsaEncryption,
# ESS signingCertificateV2).
cat > ca.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = rulepack-verify test RSA TSA root
[root]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[tsa]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa_config]
default_tsa = tsa_section
[tsa_section]
serial = serial.txt
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
ess_cert_id_alg = sha256
ess_cert_id_chain = no
accuracy = secs:1
ordering = no
tsa_name = no
CNF
openssl req -x509 -new -key k4096.pem -sha256 -days 3650 -config ca.cnf -extensions root \
  -set_serial 1 -out root.pem
openssl req -new -key k2048.pem -subj "/CN=rulepack-verify test RSA TSA" -out tsa.csr
openssl x509 -req -in tsa.csr -CA root.pem -CAkey k4096.pem -sha256 -days 3650 \
  -extfile ca.cnf -extensions tsa -set_serial 2 -out tsa.pem
echo 01 > serial.txt
openssl ts -query -data "$out/message.txt" -sha256 -cert -out req.tsq
openssl ts -reply -config ca.cnf -section tsa_section -queryfile req.tsq -signer tsa.pem \
  -inkey k2048.pem -out "$out/tsa-response.tsr" 2>/dev/null
openssl x509 -in root.pem -outform DER -out "$out/tsa-root.der"
openssl x509 -in tsa.pem -outform DER -out "$out/tsa-leaf.der"
# Self-check with OpenSSL itself.
openssl ts -verify -in "$out/tsa-response.tsr" -data "$out/message.txt" -CAfile root.pem \
  -untrusted tsa.pem >/dev/null
