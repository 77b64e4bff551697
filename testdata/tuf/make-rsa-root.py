#!/usr/bin/env python3
"""Writes testdata/tuf/rsa-root.json: a TUF root (TUF 1.0.34 §4.3) whose four roles are one
RSA key, keytype "rsa", scheme "rsassa-pss-sha256" (§4.2; PEM SubjectPublicKeyInfo), signed
by itself. The key is the test-only RSA-2048 key of testdata/rsa/ (rsa2048.spki.der and its
private half rsa2048-test-only.pk8.der); OpenSSL (any 3.x) makes the RSASSA-PSS signature
(SHA-256, MGF1-SHA-256, salt = digest length, as securesystemslib signs). The canonical
JSON encoder below is written independently of the crate's (securesystemslib/OLPC: keys
sorted, no whitespace, only backslash and double quote escaped).

Run from the repository root: python3 testdata/tuf/make-rsa-root.py
PSS is randomized, so the signature changes on every run.
"""
import base64, hashlib, json, os, subprocess, tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
rsa_dir = os.path.join(root, "testdata", "rsa")


def canonical(v):
    if isinstance(v, dict):
        return "{" + ",".join(canonical(k) + ":" + canonical(v[k]) for k in sorted(v)) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(type(v))


spki = open(os.path.join(rsa_dir, "rsa2048.spki.der"), "rb").read()
b64 = base64.b64encode(spki).decode()
pem = "-----BEGIN PUBLIC KEY-----\n" + "\n".join(
    b64[i : i + 64] for i in range(0, len(b64), 64)) + "\n-----END PUBLIC KEY-----\n"
key = {"keytype": "rsa", "scheme": "rsassa-pss-sha256", "keyval": {"public": pem}}
keyid = hashlib.sha256(canonical(key).encode()).hexdigest()
role = {"keyids": [keyid], "threshold": 1}
signed = {
    "_type": "root",
    "spec_version": "1.0",
    "version": 1,
    "expires": "2100-01-01T00:00:00Z",
    "consistent_snapshot": True,
    "keys": {keyid: key},
    "roles": {r: role for r in ("root", "timestamp", "snapshot", "targets")},
}
with tempfile.TemporaryDirectory() as tmp:
    msg = os.path.join(tmp, "signed")
    open(msg, "wb").write(canonical(signed).encode())
    sig = subprocess.run(
        ["openssl", "dgst", "-sha256", "-keyform", "DER",
         "-sign", os.path.join(rsa_dir, "rsa2048-test-only.pk8.der"),
         "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest",
         "-sigopt", "rsa_mgf1_md:sha256", msg],
        check=True, capture_output=True).stdout
doc = {"signed": signed, "signatures": [{"keyid": keyid, "sig": sig.hex()}]}
with open(os.path.join(root, "testdata", "tuf", "rsa-root.json"), "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
