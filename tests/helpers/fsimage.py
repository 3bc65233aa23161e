#!/usr/bin/env python3
"""tests/helpers/fsimage.py - an OCI layout whose layers exercise flattening.

  fsimage.py DIR NAME [--big BYTES] [--docker] [--evil]

Writes an OCI image layout to DIR (created) holding one image, named NAME
in index.json, of three gzip'd layers:

  1. bin/ with a file, a symlink and a hard link to it; etc/ with files;
     old/ with files; gone (a file); a file whose name is not ASCII
  2. .wh.gone deletes gone; old/.wh..wh..opq empties old/ and adds
     old/new; etc/passwd replaced; lib -> bin (a symlink to a directory)
  3. bin/tool replaced by a new file (the hard link below keeps the old
     content); a file deleted and re-created in one layer
     (etc/.wh.hosts, then etc/hosts); a directory replaced by a file
     (old2 was a directory in layer 1)

--evil puts an entry named ../../evil into layer 3. --big adds a file of BYTES zero bytes to layer 1, written in constant
memory (the export must stream it); --docker uses Docker media types. Prints the manifest digest.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

OCI = {
    "manifest": "application/vnd.oci.image.manifest.v1+json",
    "config": "application/vnd.oci.image.config.v1+json",
    "layer": "application/vnd.oci.image.layer.v1.tar+gzip",
}
DOCKER = {
    "manifest": "application/vnd.docker.distribution.manifest.v2+json",
    "config": "application/vnd.docker.container.image.v1+json",
    "layer": "application/vnd.docker.image.rootfs.diff.tar.gzip",
}


def add(t, name, data=b"", kind=tarfile.REGTYPE, link="", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = 0o755 if kind == tarfile.DIRTYPE else mode
    ti.mtime = 1700000000
    ti.linkname = link
    if kind == tarfile.REGTYPE:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)


class Hashing:
    """A file object that hashes what passes through it on the way out."""

    def __init__(self, out):
        self.out, self.h = out, hashlib.sha256()

    def write(self, b):
        self.h.update(b)
        return self.out.write(b)

    def tell(self):
        return self.out.tell()


class Zeros:
    """size zero bytes, read in pieces: a large file in constant memory."""

    def __init__(self, size):
        self.left = size

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return bytes(n)


def layer(d, build):
    """Stream a gzip'd tar into d/blobs: (diff_id, digest, size)."""
    tmp = os.path.join(d, "layer.tmp")
    with open(tmp, "wb") as raw:
        gz = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0)
        h = Hashing(gz)
        with tarfile.open(fileobj=h, mode="w", format=tarfile.PAX_FORMAT) as t:
            build(t)
        gz.close()
    dg = hashlib.sha256()
    with open(tmp, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            dg.update(b)
    dg = "sha256:" + dg.hexdigest()
    os.rename(tmp, os.path.join(d, "blobs", "sha256", dg[7:]))
    return "sha256:" + h.h.hexdigest(), dg, os.path.getsize(
        os.path.join(d, "blobs", "sha256", dg[7:]))


def l1(big):
    def build(t):
        add(t, "bin", kind=tarfile.DIRTYPE)
        add(t, "bin/tool", b"tool v1\n", mode=0o755)
        add(t, "bin/tool-link", kind=tarfile.SYMTYPE, link="tool")
        add(t, "bin/tool-hard", kind=tarfile.LNKTYPE, link="bin/tool")
        add(t, "etc", kind=tarfile.DIRTYPE)
        add(t, "etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        add(t, "etc/hosts", b"127.0.0.1 localhost\n")
        add(t, "old", kind=tarfile.DIRTYPE)
        add(t, "old/a", b"a\n")
        add(t, "old/sub", kind=tarfile.DIRTYPE)
        add(t, "old/sub/b", b"b\n")
        add(t, "old2", kind=tarfile.DIRTYPE)
        add(t, "old2/c", b"c\n")
        add(t, "gone", b"gone\n")
        add(t, "caf\u00e9.txt", b"accent\n")
        add(t, "./dot/slash", b"a name with ./ in front\n")
        if big:
            ti = tarfile.TarInfo("big.bin")
            ti.size, ti.mode, ti.mtime = big, 0o644, 1700000000
            t.addfile(ti, Zeros(big))
    return build


def l2(t):
    add(t, ".wh.gone")
    add(t, "old", kind=tarfile.DIRTYPE)
    add(t, "old/.wh..wh..opq")
    add(t, "old/new", b"new\n")
    add(t, "etc/passwd", b"root:x:0:0::/root:/bin/bash\n")
    add(t, "lib", kind=tarfile.SYMTYPE, link="bin")


def l3(t):
    if EVIL:
        add(t, "../../evil", b"outside\n")
    add(t, "bin/tool", b"tool v2\n", mode=0o755)
    add(t, "etc/.wh.hosts")
    add(t, "etc/hosts", b"10.0.0.1 other\n")
    add(t, "old2", b"now a file\n")


EVIL = False


def put(d, data):
    dg = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(os.path.join(d, "blobs", "sha256", dg[7:]), "wb") as f:
        f.write(data)
    return dg


def main():
    args = sys.argv[1:]
    big = 0
    mt = OCI
    if "--big" in args:
        i = args.index("--big")
        big = int(args[i + 1])
        del args[i:i + 2]
    if "--evil" in args:
        args.remove("--evil")
        global EVIL
        EVIL = True
    if "--docker" in args:
        args.remove("--docker")
        mt = DOCKER
    d, name = args
    os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(d, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    layers, diffs = [], []
    for build in (l1(big), l2, l3):
        diff, dg, size = layer(d, build)
        diffs.append(diff)
        layers.append({"mediaType": mt["layer"], "digest": dg, "size": size})
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": diffs},
                      "config": {}}).encode()
    man = json.dumps({"schemaVersion": 2, "mediaType": mt["manifest"],
                      "config": {"mediaType": mt["config"],
                                 "digest": put(d, cfg), "size": len(cfg)},
                      "layers": layers}).encode()
    mdg = put(d, man)
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": mt["manifest"], "digest": mdg, "size": len(man),
        "annotations": {"org.opencontainers.image.ref.name": name}}]}
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(index, f)
    print(mdg)


if __name__ == "__main__":
    main()
