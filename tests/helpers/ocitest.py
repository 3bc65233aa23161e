#!/usr/bin/env python3
"""tests/helpers/ocitest.py - make test images and push them (stdlib only).

  ocitest.py gen DIR NAME:TAG [--platforms linux/amd64,linux/arm64]
             [--layers N] [--layer-size BYTES] [--attest] [--single]
             [--docker] [--seed S]
      Add an image to the OCI layout DIR (created if needed) and name it
      NAME:TAG in DIR/index.json. A multi-platform image is an index; with
      --single (one platform) a plain manifest. --attest adds a buildkit-style
      attestation entry (unknown/unknown) per platform. Layers are
      deterministic gzip'd tars (seeded by name, platform and index), so two
      runs give the same digests. Prints the root digest.

  ocitest.py push DIR NAME:TAG URL [--user U:P] [--cacert FILE]
             [--cert FILE --key FILE]
      Push the image NAME:TAG of DIR to the registry at URL
      (http://127.0.0.1:PORT) under NAME:TAG: blobs by monolithic upload,
      then children by digest, then the root by tag.

  ocitest.py blobs DIR NAME:TAG root|all|attestations|OS/ARCH[/VARIANT]
      Print the digests of the image's root, of everything, of its entries
      without a real platform, or of one platform (manifest, config,
      layers), one a line.

Everything is loopback; nothing here needs a daemon.
"""
import base64
import gzip
import hashlib
import io
import json
import os
import random
import ssl
import sys
import tarfile
import urllib.error
import urllib.request

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
D_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
D_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
D_CONFIG = "application/vnd.docker.container.image.v1+json"
D_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
REF_NAME = "org.opencontainers.image.ref.name"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def put_blob(d, data):
    dg = sha(data)
    p = os.path.join(d, "blobs", "sha256", dg[7:])
    if not os.path.exists(p):
        with open(p + ".tmp", "wb") as f:
            f.write(data)
        os.rename(p + ".tmp", p)
    return dg


def put_blob_file(d, path):
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
    dg = "sha256:" + h.hexdigest()
    dst = os.path.join(d, "blobs", "sha256", dg[7:])
    if os.path.exists(dst):
        os.unlink(path)
    else:
        os.rename(path, dst)
    return dg, n


def layout_init(d):
    os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
    p = os.path.join(d, "oci-layout")
    if not os.path.exists(p):
        with open(p, "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
    p = os.path.join(d, "index.json")
    if not os.path.exists(p):
        with open(p, "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX,
                       "manifests": []}, f)


def make_layer(d, seed, size):
    """A gzip'd tar with one file of `size` incompressible bytes."""
    rnd = random.Random(seed)
    tmp = os.path.join(d, "blobs", "layer.tmp")
    diff = hashlib.sha256()

    class Tee:
        """hash the uncompressed tar on its way into gzip: the diff_id"""
        def __init__(self, gz):
            self.gz = gz
            self.pos = 0

        def tell(self):
            return self.pos

        def write(self, b):
            diff.update(b)
            self.pos += len(b)
            return self.gz.write(b)

    with open(tmp, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                           compresslevel=1) as gz:
            with tarfile.open(fileobj=Tee(gz), mode="w",
                              format=tarfile.USTAR_FORMAT) as t:
                ti = tarfile.TarInfo("data/" + seed.replace("/", "_"))
                ti.size = size
                ti.mtime = 0
                ti.mode = 0o644
                # stream pseudo-random bytes without holding them all
                class Gen(io.RawIOBase):
                    left = size

                    def readable(self):
                        return True

                    def readinto(self, b):
                        n = min(len(b), self.left)
                        if n <= 0:
                            return 0
                        b[:n] = rnd.randbytes(n)
                        self.left -= n
                        return n
                t.addfile(ti, io.BufferedReader(Gen(), 1 << 20))
    dg, n = put_blob_file(d, tmp)
    return dg, n, "sha256:" + diff.hexdigest()


def gen(args):
    d = args[0]
    name = args[1]
    platforms = ["linux/amd64"]
    layers, lsize, attest, single, docker, seed = 1, 1024, False, False, False, ""
    i = 2
    while i < len(args):
        a = args[i]
        if a == "--platforms":
            platforms = args[i + 1].split(",")
            i += 1
        elif a == "--layers":
            layers = int(args[i + 1])
            i += 1
        elif a == "--layer-size":
            lsize = int(args[i + 1])
            i += 1
        elif a == "--seed":
            seed = args[i + 1]
            i += 1
        elif a == "--attest":
            attest = True
        elif a == "--single":
            single = True
        elif a == "--docker":
            docker = True
        else:
            sys.exit("ocitest: unknown option " + a)
        i += 1
    layout_init(d)
    mt_m, mt_c, mt_l, mt_i = ((D_MANIFEST, D_CONFIG, D_LAYER, D_LIST)
                              if docker else
                              (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER, OCI_INDEX))
    entries = []
    attests = []
    for p in platforms:
        parts = p.split("/")
        plat = {"architecture": parts[1], "os": parts[0]}
        if len(parts) > 2:
            plat["variant"] = parts[2]
        ldescs = []
        diffids = []
        for k in range(layers):
            dg, n, diffid = make_layer(d, "%s%s/%s/%d" % (seed, name, p, k),
                                       lsize)
            ldescs.append({"mediaType": mt_l, "digest": dg, "size": n})
            diffids.append(diffid)
        cfg = dict(plat)
        cfg.update({"config": {"Cmd": ["/bin/sh"]},
                    "rootfs": {"type": "layers", "diff_ids": diffids},
                    "created": "2024-01-01T00:00:00Z"})
        cb = json.dumps(cfg, separators=(",", ":")).encode()
        man = {"schemaVersion": 2, "mediaType": mt_m,
               "config": {"mediaType": mt_c, "digest": put_blob(d, cb),
                          "size": len(cb)},
               "layers": ldescs}
        mb = json.dumps(man, separators=(",", ":")).encode()
        mdg = put_blob(d, mb)
        entries.append({"mediaType": mt_m, "digest": mdg, "size": len(mb),
                        "platform": plat})
        if attest:
            sb = json.dumps({"_type": "https://in-toto.io/Statement/v0.1",
                             "subject": mdg}).encode()
            sdg = put_blob(d, sb)
            ac = b'{"architecture":"unknown","os":"unknown","config":{},' \
                 b'"rootfs":{"type":"layers","diff_ids":[]}}'
            am = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                  "config": {"mediaType": OCI_CONFIG,
                             "digest": put_blob(d, ac), "size": len(ac)},
                  "layers": [{"mediaType": "application/vnd.in-toto+json",
                              "digest": sdg, "size": len(sb)}]}
            amb = json.dumps(am, separators=(",", ":")).encode()
            attests.append({
                "mediaType": OCI_MANIFEST, "digest": put_blob(d, amb),
                "size": len(amb),
                "annotations": {
                    "vnd.docker.reference.digest": mdg,
                    "vnd.docker.reference.type": "attestation-manifest"},
                "platform": {"architecture": "unknown", "os": "unknown"}})
    if single:
        if len(entries) != 1 or attest:
            sys.exit("ocitest: --single takes one platform, no --attest")
        root = dict(entries[0])
        del root["platform"]
    else:
        idx = {"schemaVersion": 2, "mediaType": mt_i,
               "manifests": entries + attests}
        ib = json.dumps(idx, separators=(",", ":")).encode()
        root = {"mediaType": mt_i, "digest": put_blob(d, ib),
                "size": len(ib)}
    root["annotations"] = {REF_NAME: name}
    ip = os.path.join(d, "index.json")
    with open(ip) as f:
        top = json.load(f)
    top["manifests"] = [m for m in top["manifests"]
                        if m.get("annotations", {}).get(REF_NAME) != name]
    top["manifests"].append(root)
    with open(ip + ".tmp", "w") as f:
        json.dump(top, f)
    os.rename(ip + ".tmp", ip)
    print(root["digest"])


def blob_path(d, dg):
    return os.path.join(d, "blobs", dg.split(":")[0], dg.split(":")[1])


class Pusher:
    def __init__(self, url, user, cacert, cert=None, key=None):
        self.url = url.rstrip("/")
        self.hdr = {}
        if user:
            self.hdr["Authorization"] = "Basic " + \
                base64.b64encode(user.encode()).decode()
        self.ctx = ssl.create_default_context(cafile=cacert) \
            if cacert else None
        if self.ctx and cert:
            self.ctx.load_cert_chain(cert, key)

    def req(self, method, path, data=None, headers=None, full=False):
        h = dict(self.hdr)
        h.update(headers or {})
        r = urllib.request.Request(path if full else self.url + path,
                                   data=data, method=method, headers=h)
        try:
            return urllib.request.urlopen(r, context=self.ctx)
        except urllib.error.HTTPError as e:
            if method == "HEAD" and e.code == 404:
                return None
            raise SystemExit("ocitest: %s %s: %d %s" %
                             (method, path, e.code, e.read()[:300]))

    def blob(self, d, repo, dg):
        if self.req("HEAD", "/v2/%s/blobs/%s" % (repo, dg)) is not None:
            return
        r = self.req("POST", "/v2/%s/blobs/uploads/" % repo, data=b"")
        loc = r.headers["Location"]
        if loc.startswith("/"):
            loc = self.url + loc
        loc += ("&" if "?" in loc else "?") + "digest=" + dg
        p = blob_path(d, dg)
        with open(p, "rb") as f:
            self.req("PUT", loc, data=f, full=True, headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(os.path.getsize(p))})

    def manifest(self, d, repo, ref, desc):
        with open(blob_path(d, desc["digest"]), "rb") as f:
            body = f.read()
        doc = json.loads(body)
        if "manifests" in doc:
            for c in doc["manifests"]:
                self.manifest(d, repo, c["digest"], c)
        else:
            self.blob(d, repo, doc["config"]["digest"])
            for l in doc["layers"]:
                self.blob(d, repo, l["digest"])
        self.req("PUT", "/v2/%s/manifests/%s" % (repo, ref), data=body,
                 headers={"Content-Type": desc["mediaType"]})


def push(args):
    d, name, url = args[0], args[1], args[2]
    user = cacert = cert = key = None
    i = 3
    while i < len(args):
        if args[i] == "--user":
            user = args[i + 1]
        elif args[i] == "--cacert":
            cacert = args[i + 1]
        elif args[i] == "--cert":
            cert = args[i + 1]
        elif args[i] == "--key":
            key = args[i + 1]
        else:
            sys.exit("ocitest: unknown option " + args[i])
        i += 2
    with open(os.path.join(d, "index.json")) as f:
        top = json.load(f)
    for m in top["manifests"]:
        if m.get("annotations", {}).get(REF_NAME) == name:
            repo, tag = name.rsplit(":", 1)
            Pusher(url, user, cacert, cert, key).manifest(d, repo, tag, m)
            return
    sys.exit("ocitest: no image " + name)


def blobs(args):
    """the digests an image NAME:TAG of DIR holds: WHICH is root, all,
    attestations (entries without a real platform, whole) or a platform
    os/arch[/variant] (its manifest, config and layers)"""
    d, name, which = args[0], args[1], args[2]
    with open(os.path.join(d, "index.json")) as f:
        top = json.load(f)
    root = [m for m in top["manifests"]
            if m.get("annotations", {}).get(REF_NAME) == name][0]
    if which == "root":
        print(root["digest"])
        return
    out = []

    def walk(desc):
        out.append(desc["digest"])
        with open(blob_path(d, desc["digest"]), "rb") as f:
            doc = json.load(f)
        if "manifests" in doc:
            for c in doc["manifests"]:
                walk(c)
        else:
            out.append(doc["config"]["digest"])
            out.extend(l["digest"] for l in doc["layers"])
    if which == "all":
        walk(root)
    else:
        with open(blob_path(d, root["digest"]), "rb") as f:
            doc = json.load(f)
        for c in doc.get("manifests", []):
            p = c.get("platform", {})
            real = p.get("os", "unknown") != "unknown"
            key = "/".join([p.get("os", ""), p.get("architecture", "")] +
                           ([p["variant"]] if "variant" in p else []))
            if (which == "attestations" and not real) or key == which:
                walk(c)
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("gen", "push", "blobs"):
        sys.exit(__doc__)
    {"gen": gen, "push": push, "blobs": blobs}[sys.argv[1]](sys.argv[2:])
