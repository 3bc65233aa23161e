# tests/helpers/fetch.sh - checks shared by the oci-fetch tests (sourced,
# after registry.sh). Images are those make_image put in $TRASH/images.

# every blob in the cache matches its name; index.json parses; nothing
# but the layout's own files lies in the cache (no partial downloads)
cache_valid () {
	jq -e '.manifests | type == "array"' "$1/index.json" >/dev/null || return 1
	for b in "$1"/blobs/sha256/*; do
		test -e "$b" || continue
		test "$(sha256sum <"$b" | cut -d" " -f1)" = "$(basename "$b")" ||
		{ echo "corrupt blob $b"; return 1; }
	done
	_stray=$(find "$1" -type f ! -path "$1/blobs/sha256/*" \
	    ! -name index.json ! -name oci-layout ! -name .lock)
	test -z "$_stray" || { echo "stray files: $_stray"; return 1; }
}

# the digests in a cache, sorted
cache_blobs () {
	ls "$1/blobs/sha256" 2>/dev/null | sed 's/^/sha256:/' | sort
}

# digests of a source image: src_root NAME, src_all NAME,
# src_blobs NAME PLATFORM|attestations
src_root () { $OCITEST blobs "$TRASH/images" "$1" root; }
src_all () { $OCITEST blobs "$TRASH/images" "$1" all; }
src_blobs () { $OCITEST blobs "$TRASH/images" "$1" "$2"; }

# lk_accepts CACHE NAME OS/ARCH[/VARIANT]...: the check LinuxKit makes
# before it uses a cached image (its cache's ValidateImage walk), written
# apart from the C code: NAME resolves in index.json; for an index, each
# platform has an entry whose manifest, config and layers are present, and
# so has every entry without a real platform; for an image manifest, its
# config and layers are present.
lk_accepts () {
	python3 - "$@" <<'PY'
import json, os, sys
cache, name, plats = sys.argv[1], sys.argv[2], sys.argv[3:]
def blob(d):
    return os.path.join(cache, "blobs", *d["digest"].split(":", 1))
def present(d):
    p = blob(d)
    return os.path.isfile(p) and os.path.getsize(p) == d["size"]
def image_ok(d):
    if not present(d):
        return "manifest %s missing" % d["digest"]
    m = json.load(open(blob(d)))
    if "manifests" in m:
        return index_ok(m)
    for x in [m["config"]] + m["layers"]:
        if not present(x):
            return "blob %s missing" % x["digest"]
    return None
def index_ok(ix):
    for e in ix["manifests"]:
        p = e.get("platform") or {}
        if p.get("os", "unknown") == "unknown" or p.get("architecture", "unknown") == "unknown":
            err = image_ok(e)
            if err:
                return "attestation: " + err
    for want in plats:
        w = want.split("/")
        hits = [e for e in ix["manifests"]
                if (e.get("platform") or {}).get("os") == w[0]
                and e["platform"].get("architecture") == w[1]
                and (len(w) < 3 or e["platform"].get("variant") == w[2])]
        if not hits:
            return "no entry for " + want
        if all(image_ok(e) for e in hits):
            return "%s: %s" % (want, image_ok(hits[0]))
    return None
roots = [m for m in json.load(open(os.path.join(cache, "index.json")))["manifests"]
         if (m.get("annotations") or {}).get("org.opencontainers.image.ref.name") == name]
if len(roots) != 1:
    sys.exit("%d entries named %s" % (len(roots), name))
err = image_ok(roots[0])
if err:
    sys.exit(err)
PY
}
