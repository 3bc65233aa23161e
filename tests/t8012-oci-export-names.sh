#!/bin/sh
# tests/t8012-oci-export-names.sh - layer entry names that are not UTF-8
test_description='oci-export refuses layer names and links it cannot write (found by fuzz-flatten)'
. "$(dirname "$0")/lib.sh"

# layout_tar OUT NAME: an OCI layout tar of one image whose one layer
# holds "ok" and NAME (raw bytes, \x escapes; "L>" before it: a symlink
# named "link" pointing at it instead)
layout_tar () {
	python3 - "$@" <<-\EOF
	import hashlib, io, json, sys, tarfile
	out, name = sys.argv[1], sys.argv[2]
	raw = name.encode().decode("unicode_escape").encode("latin-1")
	def sha(b): return "sha256:" + hashlib.sha256(b).hexdigest()
	def add(t, n, data=b"", link=None):
	    ti = tarfile.TarInfo(n.decode("utf-8", "surrogateescape"))
	    if link is not None:
	        ti.type = tarfile.SYMTYPE
	        ti.linkname = link.decode("utf-8", "surrogateescape")
	    ti.size = len(data)
	    t.addfile(ti, io.BytesIO(data))
	lb = io.BytesIO()
	with tarfile.open(fileobj=lb, mode="w", format=tarfile.GNU_FORMAT,
	                  encoding="utf-8", errors="surrogateescape") as t:
	    add(t, b"ok", b"x")
	    if raw.startswith(b"L>"):
	        add(t, b"link", link=raw[2:])
	    else:
	        add(t, raw, b"y")
	layer = lb.getvalue()
	cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs":
	    {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
	man = json.dumps({"schemaVersion": 2,
	    "mediaType": "application/vnd.oci.image.manifest.v1+json",
	    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
	               "digest": sha(cfg), "size": len(cfg)},
	    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
	                "digest": sha(layer), "size": len(layer)}]}).encode()
	idx = json.dumps({"schemaVersion": 2, "manifests": [{
	    "mediaType": "application/vnd.oci.image.manifest.v1+json",
	    "digest": sha(man), "size": len(man)}]}).encode()
	with tarfile.open(out, mode="w") as t:
	    for n, d in [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')] + \
	            [("blobs/sha256/" + sha(b)[7:], b) for b in (layer, cfg, man)] + \
	            [("index.json", idx)]:
	        ti = tarfile.TarInfo(n)
	        ti.size = len(d)
	        t.addfile(ti, io.BytesIO(d))
	EOF
}

test_expect_success 'setup: layers with a Latin-1 name, a bad link, a UTF-8 name' '
	layout_tar latin1.tar "caf\\xe9" &&
	layout_tar bytes.tar "a\\xc9\\xfe" &&
	layout_tar badlink.tar "L>t\\xff" &&
	layout_tar utf8.tar "caf\\xc3\\xa9" &&
	for t in latin1 bytes badlink utf8; do
		oci-import -C cache --ref localhost/$t:1 $t.tar >/dev/null || exit 1
	done
'

for t in latin1 bytes badlink; do
	test_expect_success "a layer name or link that is not UTF-8 ($t) fails cleanly" "
		test_expect_code 1 oci-export -C cache --format filesystem \
		    -o $t-fs.tar localhost/$t:1 2>err &&
		test_one_line_error err 'is not UTF-8' &&
		grep 'localhost/$t:1' err &&
		test ! -e $t-fs.tar
	"
done

test_expect_success 'a UTF-8 name exports as it is' '
	oci-export -C cache --format filesystem -o utf8-fs.tar localhost/utf8:1 &&
	python3 -c "import sys, tarfile
names = tarfile.open(sys.argv[1], encoding=\"utf-8\").getnames()
assert sorted(names) == [\"caf\u00e9\", \"ok\"], names" utf8-fs.tar
'

test_done
