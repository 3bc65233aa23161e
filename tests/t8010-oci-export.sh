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

# layspec.py's image of SPEC as fs/N:1, exported, extracted into N.ours
spec_export () {
	n=$1 spec=$2; shift 2
	python3 "$HELPERS/layspec.py" "$n" t "$spec" "$@" >/dev/null &&
	(cd "$n" && tar -cf "../$n.tar" .) &&
	oci-import -C cache --ref "fs/$n:1" "$n.tar" >/dev/null &&
	oci-export -C cache --format filesystem -o "$n.fs.tar" "fs/$n:1" &&
	mkdir "$n.ours" && tar -xf "$n.fs.tar" -C "$n.ours" 2>/dev/null
}

# umoci unpacks layout N to the same tree as N.ours
same_as_umoci () {
	umoci unpack --image "$1:t" "$1.umoci" >/dev/null &&
	diff -r --no-dereference "$1.ours" "$1.umoci/rootfs" &&
	tree_list "$1.ours" >"$1.ours.list" &&
	tree_list "$1.umoci/rootfs" >"$1.umoci.list" &&
	test_cmp "$1.umoci.list" "$1.ours.list"
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

test_expect_success 'filesystem: a name that is not UTF-8 keeps its bytes' '
	spec="[[[\"ok\",\"f\",\"x\"],[\"caf\\udce9\",\"f\",\"y\"],[\"l\",\"l\",\"caf\\udce9\"]]]" &&
	spec_export raw "$spec" --gnu && same_as_umoci raw &&
	test "$(cat "raw.ours/caf$(printf "\351")")" = y &&
	spec_export rawp "$spec" && same_as_umoci rawp &&
	test "$(cat rawp.ours/l)" = y
'

test_expect_success 'filesystem: a hard link keeps the bytes of a target deleted above' '
	spec_export hlw "[[[\"t\",\"f\",\"keep me\"],[\"l\",\"h\",\"t\"]],
		[[\".wh.t\",\"f\"]]]" &&
	same_as_umoci hlw && test "$(cat hlw.ours/l)" = "keep me" &&
	test ! -e hlw.ours/t &&
	spec_export hlo "[[[\"d\",\"d\"],[\"d/t\",\"f\",\"keep me\"],
		[\"l\",\"h\",\"d/t\"],[\"m\",\"h\",\"d/t\"]],
		[[\"d\",\"d\"],[\"d/.wh..wh..opq\",\"f\"]]]" &&
	same_as_umoci hlo && test "$(cat hlo.ours/m)" = "keep me" &&
	test "$(stat -c %h hlo.ours/l)" = 2 &&
	spec_export hlp "[[[\"d\",\"d\"],[\"d/t\",\"f\",\"keep me\"],
		[\"l\",\"h\",\"d/t\"]],[[\"d\",\"f\",\"now a file\"]]]" &&
	same_as_umoci hlp && test "$(cat hlp.ours/l)" = "keep me"
'

test_expect_success 'filesystem: an opaque whiteout at the root hides every lower path' '
	spec_export ropq "[[[\"old\",\"f\",\"x\"],[\"dir\",\"d\"]],
		[[\".wh..wh..opq\",\"f\"],[\"new\",\"f\",\"y\"]]]" &&
	same_as_umoci ropq && test "$(ls ropq.ours)" = new
'

test_expect_success 'filesystem: of one path twice in a layer the last copy wins' '
	spec_export dup "[[[\"a\",\"f\",\"first\"],[\"a\",\"f\",\"second\"],
		[\"b\",\"l\",\"x\"],[\"b\",\"f\",\"file\"]]]" &&
	same_as_umoci dup && test "$(cat dup.ours/a)" = second &&
	test -f dup.ours/b && test "$(tar -tf dup.fs.tar | grep -c "^a$")" = 1
'

test_expect_success 'filesystem: a path under a lower symlink is refused, no file' '
	python3 "$HELPERS/layspec.py" sym t "[[[\"etc\",\"d\"],[\"d\",\"l\",\"/etc\"]],
		[[\"d/x\",\"f\",\"hi\"]]]" >/dev/null &&
	(cd sym && tar -cf ../sym.tar .) &&
	oci-import -C cache --ref fs/sym:1 sym.tar >/dev/null &&
	test_expect_code 1 oci-export -C cache --format filesystem -o s.tar fs/sym:1 2>err &&
	test_one_line_error err "cannot flatten" && grep -F "symbolic link" err &&
	test ! -e s.tar && ! ls s.tar.tmp-* 2>/dev/null
'

test_expect_success 'filesystem: a name over 4096 bytes or 256 MiB of names is refused' '
	long=$(printf "%05000d" 0) &&
	python3 "$HELPERS/layspec.py" long t "[[[\"$long\",\"f\",\"x\"]]]" >/dev/null &&
	(cd long && tar -cf ../long.tar .) &&
	oci-import -C cache --ref fs/long:1 long.tar >/dev/null &&
	test_expect_code 1 oci-export -C cache --format filesystem -o l.tar fs/long:1 2>err &&
	test_one_line_error err "longer than 4096 bytes" && test ! -e l.tar &&
	python3 -c "import json; d=\"a/\" * 2040
print(json.dumps([[[\"%d/%sf\" % (i, d), \"f\", \"\"] for i in range(80)]]))" >deep.json &&
	python3 "$HELPERS/layspec.py" deep t @deep.json >/dev/null &&
	(cd deep && tar -cf ../deep.tar .) &&
	oci-import -C cache --ref fs/deep:1 deep.tar >/dev/null &&
	{ /usr/bin/time -f %M -o rss \
		oci-export -C cache --format filesystem -o l.tar fs/deep:1 2>err
		test $? = 1; } &&
	grep "bytes of path names" err && test ! -e l.tar &&
	{
		# AddressSanitizer (make SANITIZE=1) doubles the memory
		ldd "$(command -v oci-export)" | grep -q libasan ||
		test "$(tail -n 1 rss)" -lt 524288
	}
'

test_expect_success 'a 1 GiB image exports with flat memory' '
	import_fsimage big fs/big:1 --big 1073741824 &&
	/usr/bin/time -f %M -o rss oci-export -C cache --format filesystem fs/big:1 |
		tar -tvf - | grep -q "1073741824.*big.bin" &&
	test "$(cat rss)" -lt 65536
'

test_expect_success 'an export killed midway leaves no file, named or not' '
	oci-export -C cache --format filesystem -o k.tar fs/big:1 &
	pid=$! && i=0 &&
	while ! ls -l /proc/$pid/fd 2>/dev/null | grep -q "(deleted)" &&
		test $i -lt 300; do
		i=$((i + 1)) && sleep 0.1
	done &&
	test $i -lt 300 &&
	kill -9 $pid && ! wait $pid &&
	test ! -e k.tar && ! ls k.tar.tmp-* 2>/dev/null
'

test_done
