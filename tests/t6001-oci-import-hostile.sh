#!/bin/sh
test_description='oci-import: hostile tars fail cleanly and leave the cache as it was'
. "$(dirname "$0")/lib.sh"

# every file of the cache, hidden ones included, with its content hash
snapshot () {
	(cd "$1" && find . -type f -o -type l | LC_ALL=C sort |
	    while read -r f; do echo "$f $(sha256sum <"$f")"; done)
}

test_expect_success 'setup: a good image and a cache holding another' '
	python3 "$HELPERS/ocitest.py" gen src app:1 --single --layers 2 \
	    --layer-size 30000 >/dev/null &&
	python3 "$HELPERS/ocitest.py" gen other other:1 --single >/dev/null &&
	skopeo copy -q oci:src:app:1 oci:good:localhost/app:1 &&
	skopeo copy -q oci:other:other:1 oci-archive:other.tar:localhost/other:1 &&
	oci-import -C cache other.tar >/dev/null &&
	snapshot cache >before
'

for kind in dotdot absolute symlink-out symlink-up hardlink-out device fifo \
    blob-link wrong-bytes missing-blob truncated big-index bad-json dup-keys \
    bad-manifest size-lie bad-name empty
do
	test_expect_success "hostile tar ($kind): exit 1, one line, cache untouched" "
		python3 \"\$HELPERS/badtar.py\" $kind good $kind.tar &&
		test_expect_code 1 oci-import -C cache $kind.tar >out 2>err &&
		test_one_line_error err $kind.tar &&
		test ! -s out &&
		snapshot cache >after &&
		test_cmp before after
	"
done

test_expect_success 'the messages say what is wrong' '
	oci-import -C cache dotdot.tar 2>&1 | grep "unsafe name .\.\./evil." &&
	oci-import -C cache symlink-out.tar 2>&1 | grep "points outside" &&
	oci-import -C cache device.tar 2>&1 | grep "device" &&
	oci-import -C cache wrong-bytes.tar 2>&1 | grep "does not match its digest" &&
	oci-import -C cache missing-blob.tar 2>&1 | grep "not in the archive" &&
	oci-import -C cache truncated.tar 2>&1 | grep -i "truncated" &&
	oci-import -C cache big-index.tar 2>&1 | grep "larger than" &&
	oci-import -C cache bad-json.tar 2>&1 | grep "index.json:1:" &&
	oci-import -C cache dup-keys.tar 2>&1 | grep "duplicate" &&
	oci-import -C cache size-lie.tar 2>&1 | grep "descriptor says" &&
	oci-import -C cache empty.tar 2>&1 | grep "neither an OCI image layout"
'

# costtar.py KIND LAYOUT OUT: tars that are cheap to make and costly to read
cat >costtar.py <<\EOF
import hashlib, io, json, os, sys, tarfile
kind, d, out = sys.argv[1:4]
def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()
ents = []
for root, _, files in os.walk(d):
    for f in sorted(files):
        p = os.path.join(root, f)
        ents.append((os.path.relpath(p, d), open(p, "rb").read()))
index = json.loads(dict(ents)["index.json"])
ents = [e for e in ents if e[0] != "index.json"]
def blob(b):
    ents.append(("blobs/sha256/" + sha(b)[7:], b))
    return b
if kind == "repeat-bad":
    # a blob entry met a second time with other bytes
    n, b = max(ents, key=lambda e: len(e[1]))
    ents.append((n, b"x" + b[1:]))
elif kind == "fanout":
    # indexes listing one child 400 times, 4 deep: 400^4 paths
    child = index["manifests"][0]
    for level in range(4):
        body = blob(json.dumps({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [child] * 400}).encode())
        child = {"mediaType": "application/vnd.oci.image.index.v1+json",
                 "digest": sha(body), "size": len(body)}
    index["manifests"] = [child]
elif kind == "big-configs":
    # docker save listing one config of 7 MiB twelve times
    cfg = json.dumps({"rootfs": {"type": "layers", "diff_ids": []},
                      "pad": "x" * (7 << 20)}).encode()
    ents = [("c.json", cfg), ("manifest.json", json.dumps(
        [{"Config": "c.json", "RepoTags": ["big:%d" % i], "Layers": []}
         for i in range(12)]).encode())]
    index = None
if index is not None:
    ents.append(("index.json", json.dumps(index).encode()))
with tarfile.open(out, "w") as t:
    for name, data in ents:
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
EOF

test_expect_success 'a blob entry repeated with other bytes: exit 1, untouched' '
	python3 costtar.py repeat-bad good repeat-bad.tar &&
	test_expect_code 1 oci-import -C cache repeat-bad.tar >out 2>err &&
	test_one_line_error err "does not match its digest" && test ! -s out &&
	snapshot cache >after && test_cmp before after
'

test_expect_success 'an index naming one child many times, nested: checked once' '
	python3 costtar.py fanout good fanout.tar &&
	timeout 20 oci-import -C fan fanout.tar >out &&
	python3 "$HELPERS/cachecheck.py" fan --complete
'

test_expect_success 'manifests and configs past 64 MiB in all: exit 1, untouched' '
	python3 costtar.py big-configs good big-configs.tar &&
	test_expect_code 1 oci-import -C cache big-configs.tar >out 2>err &&
	test_one_line_error err "more than 64 MiB" && test ! -s out &&
	snapshot cache >after && test_cmp before after
'

test_expect_success 'a tar that is not a tar at all' '
	echo "just text" >text.tar &&
	test_expect_code 1 oci-import -C cache text.tar 2>err &&
	test_one_line_error err text.tar &&
	snapshot cache >after && test_cmp before after
'

test_expect_success 'a bad file among good ones: the good ones land, exit 1' '
	skopeo copy -q oci:src:app:1 oci-archive:app.tar:localhost/app:1 &&
	test_expect_code 1 oci-import -C mixed wrong-bytes.tar app.tar >out 2>err &&
	jq -e ".ref == \"localhost/app:1\"" out &&
	test_one_line_error err wrong-bytes.tar
'

test_expect_success 'nothing temporary is left in the cache after failures' '
	test -z "$(find cache -name ".tmp*" -o -name "*.tmp")"
'

test_done
