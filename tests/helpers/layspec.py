#!/usr/bin/env python3
"""tests/helpers/layspec.py - an OCI layout of one image from a layer spec.

  layspec.py DIR NAME SPEC|@FILE [--gnu]

Writes an OCI image layout to DIR (created), one image named NAME in
index.json. SPEC is JSON: a list of layers, bottom first, each a list of
[name, type, arg] with type f (a file, arg its content), d (a directory),
l (a symlink to arg) or h (a hard link to arg). A name's characters
U+DC80..U+DCFF stand for the single bytes 0x80..0xff (surrogateescape),
so a name need not be UTF-8. Layers are pax tars, or GNU tars with raw
name bytes under --gnu. Prints the manifest digest.
"""
import gzip, hashlib, io, json, os, sys, tarfile

def layer(entries, fmt):
    raw = io.BytesIO()
    kinds = {"f": tarfile.REGTYPE, "d": tarfile.DIRTYPE,
             "l": tarfile.SYMTYPE, "h": tarfile.LNKTYPE}
    with tarfile.open(fileobj=raw, mode="w", format=fmt, encoding="utf-8",
                      errors="surrogateescape") as t:
        for e in entries:
            name, kind = e[0], e[1]
            arg = e[2] if len(e) > 2 else ""
            ti = tarfile.TarInfo(name)
            ti.type, ti.mtime = kinds[kind], 1700000000
            ti.mode = 0o755 if kind == "d" else 0o644
            if kind == "f":
                data = arg.encode()
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                ti.linkname = arg
                t.addfile(ti)
    return raw.getvalue()

def main():
    args = sys.argv[1:]
    fmt = tarfile.PAX_FORMAT
    if "--gnu" in args:
        args.remove("--gnu")
        fmt = tarfile.GNU_FORMAT
    out, name, spec = args[0], args[1], args[2]
    if spec.startswith("@"):
        with open(spec[1:]) as f:
            spec = f.read()
    spec = json.loads(spec)
    os.makedirs(out + "/blobs/sha256")

    def put(b):
        d = hashlib.sha256(b).hexdigest()
        with open(out + "/blobs/sha256/" + d, "wb") as f:
            f.write(b)
        return "sha256:" + d

    layers, diffs = [], []
    for entries in spec:
        r = layer(entries, fmt)
        diffs.append("sha256:" + hashlib.sha256(r).hexdigest())
        g = gzip.compress(r, mtime=0)
        layers.append({"mediaType":
                       "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": put(g), "size": len(g)})
    cfg = json.dumps({"architecture": os.environ.get("ARCH", "amd64"),
                      "os": "linux", "config": {},
                      "rootfs": {"type": "layers",
                                 "diff_ids": diffs}}).encode()
    man = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put(cfg), "size": len(cfg)},
        "layers": layers}).encode()
    md = put(man)
    idx = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": md, "size": len(man),
        "annotations": {"org.opencontainers.image.ref.name": name}}]}
    with open(out + "/index.json", "w") as f:
        json.dump(idx, f)
    with open(out + "/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    print(md)

main()
