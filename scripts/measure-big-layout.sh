#!/bin/sh
# A copy of the offline example's layout whose index.json also lists one valid 4 MiB image
# manifest 1,000 times; times `verify --config` over its 4 packs. Run from the repository
# root: scripts/measure-big-layout.sh [BINARY] (default target/release/rulepack-verify).
set -eu
BIN=${1:-target/release/rulepack-verify}
D=$(mktemp -d)
cp -r testdata/offline/layout testdata/offline/trusted_root.json testdata/offline/values.yaml "$D"/
python3 - "$D" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2},
     "layers": [], "annotations": {"pad": "x" * (4 * 1024 * 1024 - 400)}}
b = json.dumps(m).encode()
h = hashlib.sha256(b).hexdigest()
open(os.path.join(d, "layout/blobs/sha256", h), "wb").write(b)
idx = json.load(open(os.path.join(d, "layout/index.json")))
for i in range(1000):
    idx["manifests"].append({"mediaType": m["mediaType"], "digest": "sha256:" + h, "size": len(b),
                             "annotations": {"org.opencontainers.image.ref.name": "big-%d" % i}})
json.dump(idx, open(os.path.join(d, "layout/index.json"), "w"))
print("manifest %d bytes, index %d entries" % (len(b), len(idx["manifests"])))
PY
/usr/bin/time -f "%e s wall, %M KB max RSS" "$BIN" verify --config "$D/values.yaml" >"$D/out" 2>"$D/err" || true
grep "packs:" "$D/out"
tail -1 "$D/err"
rm -rf "$D"
