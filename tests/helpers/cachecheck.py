#!/usr/bin/env python3
"""tests/helpers/cachecheck.py - is an OCI layout cache valid?

  cachecheck.py CACHE [--complete] [--no-garbage]

Valid means: oci-layout and index.json parse where present (a cache killed
while being created may lack them: nothing is named yet; one that exists
but does not parse is broken); every file under blobs/
is a regular file whose bytes hash to its name (so no partial blob was left
under a digest name); with --complete, every name in index.json reaches
only blobs that are present, walking indexes and manifests; with
--no-garbage (implies --complete), every blob is reached by a name. Prints one
line per problem; exit 1 if there is any. Written independently of the C
code so that it checks it rather than repeats it.
"""
import hashlib
import json
import os
import sys

INDEXES = ("application/vnd.oci.image.index.v1+json",
           "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFESTS = ("application/vnd.oci.image.manifest.v1+json",
             "application/vnd.docker.distribution.manifest.v2+json")


def main():
    cache = sys.argv[1]
    garbage = "--no-garbage" in sys.argv[2:]
    complete = garbage or "--complete" in sys.argv[2:]
    reached = set()
    bad = []
    for name in ("oci-layout", "index.json"):
        if not os.path.exists(os.path.join(cache, name)):
            continue
        try:
            with open(os.path.join(cache, name)) as f:
                json.load(f)
        except Exception as e:  # noqa: BLE001 - any failure is a finding
            bad.append("%s: %s" % (name, e))
    for alg in ("sha256", "sha512"):
        d = os.path.join(cache, "blobs", alg)
        if not os.path.isdir(d):
            continue
        for f in os.listdir(d):
            p = os.path.join(d, f)
            if os.path.islink(p) or not os.path.isfile(p):
                bad.append("blobs/%s/%s: not a regular file" % (alg, f))
                continue
            h = hashlib.new(alg)
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            if h.hexdigest() != f:
                bad.append("blobs/%s/%s: content is %s" % (alg, f,
                                                           h.hexdigest()))
    if complete and not bad and \
            os.path.exists(os.path.join(cache, "index.json")):
        with open(os.path.join(cache, "index.json")) as f:
            index = json.load(f)

        def walk(desc, ref):
            reached.add(desc["digest"])
            alg, hexd = desc["digest"].split(":", 1)
            p = os.path.join(cache, "blobs", alg, hexd)
            if not os.path.isfile(p):
                bad.append("%s: blob %s missing" % (ref, desc["digest"]))
                return
            if os.path.getsize(p) != desc["size"]:
                bad.append("%s: blob %s has the wrong size" % (ref,
                                                               desc["digest"]))
                return
            mt = desc.get("mediaType")
            if mt in INDEXES or mt in MANIFESTS:
                with open(p) as fh:
                    doc = json.load(fh)
                kids = (doc.get("manifests") or []) if mt in INDEXES else \
                    [doc["config"]] + doc.get("layers", [])
                for k in kids:
                    walk(k, ref)

        for m in index.get("manifests") or []:
            ref = m.get("annotations", {}).get(
                "org.opencontainers.image.ref.name", "(unnamed)")
            walk(m, ref)
        if garbage:
            for alg in ("sha256", "sha512"):
                d = os.path.join(cache, "blobs", alg)
                for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                    if "%s:%s" % (alg, f) not in reached:
                        bad.append("blobs/%s/%s: reached by no name" %
                                   (alg, f))
    for b in bad:
        print(b)
    sys.exit(1 if bad else 0)


main()
