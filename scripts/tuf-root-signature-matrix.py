#!/usr/bin/env python3
"""Independent check of the signature counts pinned in src/tuf/metadata.rs
(ROOT_SIGNATURE_MATRIX): for every pair of the Sigstore public-good roots vendored in
testdata/tuf/, how many distinct keys of the first root's root role have a valid
signature on the second root. Uses Python's `cryptography` package (OpenSSL) and its
own securesystemslib-style canonical JSON, nothing from this crate.

    python3 scripts/tuf-root-signature-matrix.py
"""
import json
import pathlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

VERSIONS = [5, 7, 8, 9, 10, 12, 13, 14, 15, 16]
TUF = pathlib.Path(__file__).resolve().parent.parent / "testdata" / "tuf"


def canonical(o):
    """OLPC canonical JSON as securesystemslib writes it (ints, strings, no floats)."""
    if isinstance(o, dict):
        return "{" + ",".join(canonical(k) + ":" + canonical(o[k]) for k in sorted(o)) + "}"
    if isinstance(o, list):
        return "[" + ",".join(canonical(x) for x in o) + "]"
    if isinstance(o, str):
        return '"' + o.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if o is True:
        return "true"
    if o is False:
        return "false"
    if o is None:
        return "null"
    return str(o)


def public_key(k):
    pub = k["keyval"]["public"]
    assert k["scheme"] == "ecdsa-sha2-nistp256"
    if pub.strip().startswith("-----BEGIN"):
        return serialization.load_pem_public_key(pub.encode())
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(pub))


def count(doc, by):
    msg = canonical(doc["signed"]).encode()
    sigs = {s["keyid"]: s["sig"] for s in doc["signatures"]}
    keys, role = by["signed"]["keys"], by["signed"]["roles"]["root"]
    valid = set()
    for keyid in role["keyids"]:
        if keyid not in keys or not sigs.get(keyid):
            continue
        key = public_key(keys[keyid])
        try:
            key.verify(bytes.fromhex(sigs[keyid]), msg, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            continue
        valid.add(key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    return len(valid)


def main():
    roots = [json.loads((TUF / f"sigstore-root-v{v}.json").read_bytes()) for v in VERSIONS]
    print("// on: " + " ".join(f"{v:2}" for v in VERSIONS))
    for v, by in zip(VERSIONS, roots):
        row = ", ".join(str(count(on, by)) for on in roots)
        print(f"[{row}], // keys of v{v}")


if __name__ == "__main__":
    main()
