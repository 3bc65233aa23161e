#!/bin/sh
# tests/t8010-oci-export.sh - oci-export in its three formats, read back by
# skopeo, oci-import and umoci
test_description='oci-export writes docker, oci and filesystem tars of a cached image'
. "$(dirname "$0")/lib.sh"

# an OCI layout made by fsimage.py, tarred and imported as NAME
import_fsimage () {
	dir=$1 name=$2; shift 2
	python3 "$HELPERS/fsimage.py" "$dir" t "$@" >"$dir.digest" &&
	(cd "$dir" && tar -cf "../$dir.tar" .) &&
	oci-import -C cache --ref "$name" "$dir.tar" >/dev/null
}

# "type mode links path target" of every path under a directory, sorted
tree_list () {
	(cd "$1" && find . -printf '%y %m %n %p %l\n' | sort)
}

test_expect_success 'setup: whiteouts, opaque dirs, links, a non-ASCII name' '
	import_fsimage lay fs/test:1 &&
	import_fsimage dlay fs/docker:1 --docker
'

test_expect_success 'usage errors exit 2, --help exits 0' '
	test_expect_code 2 oci-export -C cache 2>err &&
	grep "^usage: oci-export" err &&
	test_expect_code 2 oci-export -C cache --format zip fs/test:1 2>err &&
	grep "zip" err &&
	test_expect_code 2 oci-export -C cache -o x fs/test:1 fs/test:1 &&
	oci-export --help >out && grep "^usage: oci-export" out
'

test_expect_success 'an unknown name or platform is not found (3), nothing written' '
	test_expect_code 3 oci-export -C cache -o x.tar fs/nosuch:1 2>err &&
	test_one_line_error err "fs/nosuch:1" &&
	test ! -e x.tar && ! ls x.tar.tmp-* 2>/dev/null &&
	test_expect_code 3 oci-export -C cache -q -o x.tar fs/nosuch:1 2>err &&
	test ! -s err
'

test_expect_success 'filesystem: the same tree as umoci unpack, file by file' '
	oci-export -C cache --format filesystem -o fs.tar fs/test:1 &&
	mkdir ours && tar -xf fs.tar -C ours &&
	umoci unpack --image lay:t bundle >/dev/null &&
	diff -r --no-dereference ours bundle/rootfs &&
	tree_list ours >ours.list && tree_list bundle/rootfs >umoci.list &&
	test_cmp umoci.list ours.list &&
	test ! -e ours/gone && test ! -e ours/old/a && test ! -e ours/old/sub &&
	test -f ours/old/new && test "$(cat ours/old2)" = "now a file" &&
	test "$(cat ours/etc/hosts)" = "10.0.0.1 other" &&
	test "$(readlink ours/lib)" = bin &&
	test "$(cat ours/bin/tool-hard)" = "tool v1" &&
	test -f "ours/caf$(printf "\303\251").txt"
'

test_expect_success 'filesystem: no entry of the stream leaves the root' '
	tar -tf fs.tar >names &&
	! grep -e "^/" -e "^\.\./" -e "/\.\./" -e "\.wh\." names
'

test_expect_success 'filesystem of a Docker-typed image, to stdout' '
	oci-export -C cache --format filesystem fs/docker:1 >dfs.tar &&
	mkdir dours && tar -xf dfs.tar -C dours &&
	tree_list dours >dours.list && test_cmp ours.list dours.list
'

test_expect_success 'docker: skopeo reads it back, same config, RepoTags set' '
	oci-export -C cache --format docker -o d.tar fs/test:1 &&
	tar -xOf d.tar manifest.json >m.json &&
	jq -e "length == 1 and .[0].RepoTags == [\"docker.io/fs/test:1\"] and
		(.[0].Layers | length) == 3" m.json &&
	skopeo inspect --config docker-archive:d.tar | jq -S .rootfs >got &&
	cfg=$(jq -r .config.digest "lay/blobs/sha256/$(sed s/sha256:// lay.digest)") &&
	jq -S .rootfs "lay/blobs/sha256/${cfg#sha256:}" >want &&
	test_cmp want got &&
	skopeo copy -q docker-archive:d.tar oci:back:x &&
	oci-export -C cache --format docker --name my/name:v2 -o d2.tar fs/test:1 &&
	tar -xOf d2.tar manifest.json | jq -e ".[0].RepoTags == [\"docker.io/my/name:v2\"]"
'

test_expect_success 'oci: re-imported with the same digests and name; skopeo reads it' '
	oci-export -C cache --format oci -o o.tar fs/test:1 &&
	oci-import -C cache2 o.tar >rec &&
	jq -e --arg d "$(cat lay.digest)" \
		".ref == \"docker.io/fs/test:1\" and .digest == \$d" rec &&
	mkdir o && tar -xf o.tar -C o &&
	jq -e ".manifests[0].mediaType == \"application/vnd.oci.image.manifest.v1+json\" and
		.manifests[0].annotations[\"io.containerd.image.name\"] == \"docker.io/fs/test:1\"" \
		o/index.json &&
	skopeo inspect --raw oci:o:docker.io/fs/test:1 | jq -e ".layers | length == 3"
'

test_expect_success 'a rotten layer fails the export, naming it, and leaves no file' '
	layer=$(jq -r ".layers[0].digest" "lay/blobs/sha256/$(sed s/sha256:// lay.digest)") &&
	cp -r cache rot && f=rot/blobs/sha256/${layer#sha256:} &&
	printf "X" | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null &&
	for fmt in filesystem oci docker; do
		test_expect_code 1 oci-export -C rot --format $fmt -o r.tar fs/test:1 2>err &&
		grep "$layer" err && test ! -e r.tar &&
		! ls r.tar.tmp-* 2>/dev/null || exit 1
	done
'

test_expect_success '-o into a FIFO or a device writes into it, never replaces it' '
	mkfifo fifo && { cat fifo >fifo.out & } &&
	oci-export -C cache --format oci -o fifo fs/test:1 && wait &&
	test -p fifo && tar -tf fifo.out | grep -x index.json &&
	oci-export -C cache --format oci -o /dev/null fs/test:1 &&
	test -c /dev/null &&
	mkdir dir && test_expect_code 1 oci-export -C cache -o dir fs/test:1 &&
	test -d dir
'

test_expect_success 'a layer entry that climbs out of the root fails the export' '
	import_fsimage evil fs/evil:1 --evil &&
	test_expect_code 1 oci-export -C cache --format filesystem -o e.tar fs/evil:1 2>err &&
	grep "evil" err && test ! -e e.tar
'

test_expect_success 'progress: one updating line on a terminal, nothing on a pipe' '
	script -qec "oci-export -C cache --format oci -o p.tar fs/test:1" \
		/dev/null >tty.out </dev/null &&
	tr "\r" "\n" <tty.out | grep "^docker.io/fs/test:1: .* / .*/s" &&
	oci-export -C cache --format oci -o p.tar fs/test:1 2>pipe.err &&
	test ! -s pipe.err &&
	script -qec "oci-export -q -C cache --format oci -o p.tar fs/test:1" \
		/dev/null >q.out </dev/null &&
	! grep "/s" q.out
'

test_expect_success 'a 1 GiB image exports with flat memory' '
	import_fsimage big fs/big:1 --big 1073741824 &&
	/usr/bin/time -f %M -o rss oci-export -C cache --format filesystem fs/big:1 |
		tar -tvf - | grep -q "1073741824.*big.bin" &&
	test "$(cat rss)" -lt 65536
'

test_done
