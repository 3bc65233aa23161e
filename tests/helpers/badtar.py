#!/usr/bin/env python3
"""tests/helpers/badtar.py - hostile variants of a good OCI layout tar.

  badtar.py KIND LAYOUT_DIR OUT.tar

Builds OUT.tar from the OCI layout LAYOUT_DIR, damaged as KIND says:

  dotdot        an extra entry named ../evil
  absolute      an extra entry named /tmp/evil
  symlink-out   blobs/evil, a symlink to /etc/passwd
  symlink-up    a symlink climbing out: x -> ../../etc/passwd
  hardlink-out  a hard link to ../../etc/passwd
  device        a character device entry
  fifo          a FIFO entry
  blob-link     a blob entry that is a symlink to another blob
  wrong-bytes   a blob whose bytes do not match its name
  missing-blob  index.json names a blob the tar lacks
  truncated     the tar cut short in the middle of the largest blob
  big-index     an index.json of more than 8 MiB
  bad-json      index.json that is not JSON
  dup-keys      index.json with a duplicate key
  bad-manifest  a manifest blob that is not a manifest
  size-lie      a descriptor whose size is not the blob's
  bad-name      a blob named blobs/sha256/XYZ (not a digest)
  empty         no index.json and no manifest.json
"""
import hashlib
import io
import json
import os
import sys
import tarfile


def entries(d):
    """(name, bytes) of every file of the layout, index.json last."""
    out = []
    for root, _, files in os.walk(d):
        for f in sorted(files):
            p = os.path.join(root, f)
            rel = os.path.relpath(p, d)
            with open(p, "rb") as fh:
                out.append((rel, fh.read()))
    out.sort(key=lambda e: (e[0] == "index.json", e[0]))
    return out


def add(t, name, data=b"", kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    ti.mode = 0o644
    t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def main():
    kind, d, out = sys.argv[1:4]
    files = entries(d)
    index = json.loads(dict(files)["index.json"])
    blobs = [(n, b) for n, b in files if n.startswith("blobs/")]
    man = index["manifests"][0]
    mpath = "blobs/sha256/" + man["digest"][7:]

    def replace(name, data):
        return [(n, data if n == name else b) for n, b in files]

    extra = []
    if kind == "wrong-bytes":
        n, b = max(blobs, key=lambda e: len(e[1]))
        files = replace(n, b[:-1] + bytes([b[-1] ^ 1]))
    elif kind == "missing-blob":
        n, _ = max(blobs, key=lambda e: len(e[1]))
        files = [(m, b) for m, b in files if m != n]
    elif kind == "big-index":
        index["annotations"] = {"pad": "x" * (9 << 20)}
        files = replace("index.json", json.dumps(index).encode())
    elif kind == "bad-json":
        files = replace("index.json", b'{"schemaVersion": 2, "manifests": [')
    elif kind == "dup-keys":
        files = replace("index.json", b'{"schemaVersion":2,"schemaVersion":2,'
                        b'"manifests":[]}')
    elif kind == "bad-manifest":
        bad = b'{"schemaVersion":2,"hello":"world"}'
        dg = "sha256:" + hashlib.sha256(bad).hexdigest()
        files = [(n, b) for n, b in files if n != mpath]
        files.insert(0, ("blobs/sha256/" + dg[7:], bad))
        man["digest"], man["size"] = dg, len(bad)
        files = replace("index.json", json.dumps(index).encode())
    elif kind == "size-lie":
        man["size"] += 1
        files = replace("index.json", json.dumps(index).encode())
    elif kind == "empty":
        files = [(n, b) for n, b in files if n.startswith("blobs/")]
    elif kind == "dotdot":
        extra = [("../evil", b"x", tarfile.REGTYPE, "")]
    elif kind == "absolute":
        extra = [("/tmp/evil", b"x", tarfile.REGTYPE, "")]
    elif kind == "symlink-out":
        extra = [("blobs/evil", b"", tarfile.SYMTYPE, "/etc/passwd")]
    elif kind == "symlink-up":
        extra = [("x", b"", tarfile.SYMTYPE, "../../etc/passwd")]
    elif kind == "hardlink-out":
        extra = [("x", b"", tarfile.LNKTYPE, "../../etc/passwd")]
    elif kind == "device":
        extra = [("dev", b"", tarfile.CHRTYPE, "")]
    elif kind == "fifo":
        extra = [("fifo", b"", tarfile.FIFOTYPE, "")]
    elif kind == "blob-link":
        n, _ = blobs[0]
        files = [(m, b) for m, b in files if m != n]
        extra = [(n, b"", tarfile.SYMTYPE, os.path.basename(blobs[1][0]))]
    elif kind == "bad-name":
        extra = [("blobs/sha256/XYZ", b"x", tarfile.REGTYPE, "")]
    elif kind != "truncated":
        sys.exit("badtar: unknown kind " + kind)

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for n, data, k, link in extra:
            add(t, n, data, k, link)
        for n, b in files:
            add(t, n, b)
    data = buf.getvalue()
    if kind == "truncated":
        n, b = max(blobs, key=lambda e: len(e[1]))
        data = data[:data.index(b[:512]) + len(b) // 2]
    with open(out, "wb") as f:
        f.write(data)


main()
