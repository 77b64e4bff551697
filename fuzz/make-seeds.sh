#!/bin/sh
# Regenerates the seed corpora fuzz/corpus/<target>/ from testdata/ and, when
# RULEPACK_CORPUS is set (e.g. /work/shared/corpus), from the shared corpus of recorded
# real Sigstore material. fuzz/corpus is gitignored: this script is its only source.
#
#   fuzz/make-seeds.sh            # testdata only
#   RULEPACK_CORPUS=/work/shared/corpus fuzz/make-seeds.sh
#
# Seeds are named by their SHA-256, so rerunning adds nothing twice and never removes what
# a fuzzer added to the same directory. Needs python3 (standard library only).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
exec python3 - "$repo" "${RULEPACK_CORPUS:-}" <<'PY'
import base64, hashlib, json, os, sys

repo, shared = sys.argv[1], sys.argv[2]
out = os.path.join(repo, "fuzz", "corpus")
counts = {}

def seed(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, hashlib.sha256(data).hexdigest()[:32])
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1

def files(root, exts=None):
    for dp, _, fs in os.walk(root):
        for f in sorted(fs):
            if exts is None or any(f.endswith(e) for e in exts):
                yield os.path.join(dp, f)

def read(p):
    with open(p, "rb") as f:
        return f.read()

def b64(s):
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4))
    except Exception:
        return None

# RFC 6962 §3.3: SCT list extension 1.3.6.1.4.1.11129.2.4.2; its extnValue OCTET STRING
# holds an OCTET STRING holding the TLS list.
SCT_OID = bytes.fromhex("060a2b06010401d679020402")

def der_len(b, i):
    n = b[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k

def sct_list(cert):
    i = cert.find(SCT_OID)
    if i < 0:
        return None
    i += len(SCT_OID)
    if cert[i] == 0x01:  # critical BOOLEAN
        i += 3
    if cert[i] != 0x04:
        return None
    _, i = der_len(cert, i + 1)
    if cert[i] != 0x04:
        return None
    n, i = der_len(cert, i + 1)
    return cert[i:i + n]

def cert(der):
    seed("certificate", der)
    s = sct_list(der)
    if s:
        seed("sct", s)

def is_bundle(j):
    return isinstance(j, dict) and "verificationMaterial" in j

def bundle(raw, j):
    for t in ("bundle", "verify", "jcs_roundtrip"):
        seed(t, raw)
    vm = j.get("verificationMaterial") or {}
    for c in (vm.get("x509CertificateChain") or {}).get("certificates") or []:
        d = b64(c.get("rawBytes", ""))
        if d:
            cert(d)
    c = vm.get("certificate")
    if isinstance(c, dict) and b64(c.get("rawBytes", "")):
        cert(b64(c["rawBytes"]))
    for t in (vm.get("timestampVerificationData") or {}).get("rfc3161Timestamps") or []:
        d = b64(t.get("signedTimestamp", ""))
        if d:
            seed("rfc3161", d)
    for e in vm.get("tlogEntries") or []:
        cp = ((e.get("inclusionProof") or {}).get("checkpoint") or {}).get("envelope")
        if cp:
            seed("checkpoint", cp)
        body = b64(e.get("canonicalizedBody", ""))
        if body:
            seed("jcs_roundtrip", body)
    env = j.get("dsseEnvelope")
    if isinstance(env, dict):
        p = b64(env.get("payload", ""))
        if p:
            seed("jcs_roundtrip", p)
            t = env.get("payloadType", "").encode()
            if len(t) < 256:
                seed("pae_roundtrip", bytes([len(t)]) + t + p[:4096])

def trusted_root(raw, j):
    seed("trusted_root", raw)
    seed("jcs_roundtrip", raw)
    for ca in (j.get("certificateAuthorities") or []) + (j.get("timestampAuthorities") or []):
        for c in (ca.get("certChain") or {}).get("certificates") or []:
            d = b64(c.get("rawBytes", ""))
            if d:
                cert(d)

def json_file(p):
    raw = read(p)
    try:
        j = json.loads(raw)
    except Exception:
        return
    if is_bundle(j):
        bundle(raw, j)
    elif isinstance(j, dict) and "tlogs" in j and "certificateAuthorities" in j:
        trusted_root(raw, j)
    elif isinstance(j, dict) and "signed" in j and "signatures" in j:
        seed("tuf_metadata", raw)
        seed("jcs_roundtrip", raw)
    elif isinstance(j, dict) and ("manifests" in j or "layers" in j or "schemaVersion" in j):
        seed("oci_manifest", raw)
    elif isinstance(j, dict) and isinstance(j.get("https://tuf-repo-cdn.sigstore.dev"), dict):
        # npm @sigstore/tuf seeds.json: base64 TUF root and trusted root.
        for name, v in j["https://tuf-repo-cdn.sigstore.dev"].items():
            d = b64(v) if isinstance(v, str) else None
            if d:
                json_blob(d)

def json_blob(raw):
    try:
        j = json.loads(raw)
    except Exception:
        return
    if is_bundle(j):
        bundle(raw, j)
    elif isinstance(j, dict) and "tlogs" in j:
        trusted_root(raw, j)
    elif isinstance(j, dict) and "signed" in j:
        seed("tuf_metadata", raw)

# testdata/
for p in files(os.path.join(repo, "testdata")):
    if p.endswith((".json", ".sigstore")):
        json_file(p)
layout = os.path.join(repo, "testdata", "offline", "layout")
for p in files(layout):
    if "/blobs/" in p or p.endswith("index.json"):
        raw = read(p)
        try:
            j = json.loads(raw)
        except Exception:
            continue
        if is_bundle(j):
            bundle(raw, j)
        elif isinstance(j, dict):
            seed("oci_manifest", raw)
for p in files(os.path.join(repo, "testdata"), (".yaml", ".yml")):
    seed("values", read(p))
# The verify_structured mutator starts from this bundle.
seed("verify_structured", read(os.path.join(repo, "testdata", "real", "bundle_v03.json")))

# Hand-written seeds for the text targets.
for r in [
    "oci://ghcr.io/lithastra/rules/eks:0.1.0",
    "oci://ghcr.io/acme/rules/argo:0.2.0",
    "oci://registry.example:5000/a/b/c@sha256:" + "ab" * 32,
    "oci://localhost/rules:latest@sha256:" + "01" * 32,
    "oci://[::1]:5443/x/y:v1",
    "oci://docker.io/library/alpine:3",
    "oci://127.0.0.1:5443/rules/eks:0.1.0",
]:
    seed("oci_reference", r)
seed("values", "rulePacks:\n  verifySignature: true\n  packs:\n    - oci://ghcr.io/lithastra/rules/eks:0.1.0\n")
seed("pae_roundtrip", b"\x1capplication/vnd.in-toto+json{}")
# ecdsa_differential: [curve|mode, key seed, digest length, digest, r||s mask]
for curve, n in ((0, 32), (1, 48)):
    for dl in (n, 32, 48, 64, 20):
        seed("ecdsa_differential", bytes([curve, 7 + curve, dl]) + bytes(range(dl)))
        seed("ecdsa_differential", bytes([curve, 9, dl]) + bytes(range(dl)) + b"\x00" * (n - 1) + b"\x01")
seed("jcs_roundtrip", '{"b":[1,-2,"\\u0001é"],"a":{"\\ud83d\\ude00":null,"z":true}}')

# Shared corpus.
if shared:
    for p in files(shared):
        if p.endswith((".json", ".sigstore")):
            json_file(p)
        elif p.endswith((".yaml", ".yml")):
            seed("values", read(p))
        elif p.endswith((".crt", ".pem", ".der", ".cer")):
            raw = read(p)
            if raw.startswith(b"-----BEGIN"):
                for blk in raw.split(b"-----BEGIN CERTIFICATE-----")[1:]:
                    d = b64(blk.split(b"-----END")[0].decode(errors="ignore").replace("\n", ""))
                    if d:
                        cert(d)
            else:
                cert(raw)
        elif p.endswith(".tsr"):
            seed("rfc3161", read(p))

for t in sorted(set(list(counts)) | set(os.listdir(out))):
    n = len(os.listdir(os.path.join(out, t)))
    print(f"{t}: {counts.get(t, 0)} new, {n} total")
PY
