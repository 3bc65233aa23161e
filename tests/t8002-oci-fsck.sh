#!/bin/sh
test_description='oci-fsck: damaged caches found, repaired, collected, refetched'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

registry_start || exit 1

check () {
	python3 "$HELPERS/cachecheck.py" "$@"
}

blob () {
	echo "c/blobs/sha256/${1#sha256:}"
}

# the problems of a run, one "kind digest-or-path" line each, sorted
kinds () {
	jq -r '.problem + " " + (.digest // .path)' "$1" | sort
}

old () {
	touch -d '2 hours ago' "$@"
}

test_expect_success 'setup: two images in the registry, fetched into a cache' '
	$OCITEST gen src app:1 --single --layers 3 --layer-size 50000 >/dev/null &&
	$OCITEST gen src multi:1 --platforms linux/amd64,linux/arm64 --layers 2 \
	    --layer-size 30000 --attest >/dev/null &&
	registry_push src app:1 >/dev/null &&
	registry_push src multi:1 >/dev/null &&
	oci-fetch -q -C c -p linux/amd64 $REG/app:1 $REG/multi:1 >/dev/null &&
	check c
'

test_expect_success 'usage errors (2), no cache (3)' '
	test_expect_code 2 oci-fsck -C c extra 2>err && grep "^usage: oci-fsck" err &&
	test_expect_code 2 oci-fsck --bogus 2>err && grep "^usage: oci-fsck" err &&
	test_expect_code 3 oci-fsck -C nocache 2>err &&
	test_one_line_error err nocache && test ! -e nocache
'

test_expect_success 'a sound cache checks clean: exit 0, no record, no message' '
	oci-fsck -C c >out 2>err && test ! -s out && test ! -s err &&
	oci-fsck -v -C c 2>err && grep "blobs checked" err
'

test_expect_success 'a pull of one platform is sound: the absent arm64 manifest is no problem' '
	arm=$($OCITEST blobs src multi:1 linux/arm64 | head -1) &&
	test ! -e $(blob $arm) &&
	oci-fsck -C c >out && test ! -s out
'

test_expect_success 'setup: damage the cache on purpose' '
	l=$($OCITEST blobs src app:1 all | sed -n 3p) &&
	printf "X" | dd of=$(blob $l) bs=1 seek=100 conv=notrunc 2>/dev/null &&
	echo $l >flipped &&
	t=$($OCITEST blobs src multi:1 linux/amd64 | sed -n 3p) &&
	truncate -s 1000 $(blob $t) && echo $t >truncated &&
	d=$($OCITEST blobs src app:1 all | sed -n 4p) &&
	rm $(blob $d) && echo $d >deleted &&
	echo stray >c/.tmp-blob-abc123 && echo ggcr >c/blobs/sha256/abc4711 &&
	mkdir -p c/tmp && echo partial >c/tmp/partial &&
	old c/.tmp-blob-abc123 c/blobs/sha256/abc4711 c/tmp/partial &&
	echo fresh >c/.tmp-blob-fresh &&
	echo garbage >g && u=$(test_sha256 g) && mv g $(blob $u) &&
	old $(blob $u) && echo $u >unreachable &&
	echo young >y && v=$(test_sha256 y) && mv y $(blob $v) && echo $v >young
'

test_expect_success 'each problem is found, one record and one line each, exit 1' '
	test_expect_code 1 oci-fsck -C c >out 2>err &&
	kinds out >got &&
	{
		echo "corrupt $(cat flipped)"
		echo "corrupt $(cat truncated)"
		echo "missing $(cat deleted)"
		echo "temporary .tmp-blob-abc123"
		echo "temporary blobs/sha256/abc4711"
		echo "temporary tmp/partial"
		echo "unreachable $(cat unreachable)"
	} | sort >expect &&
	test_cmp expect got &&
	test $(wc -l <err) = 7 &&
	grep "blob .$(cat flipped). is corrupt" err &&
	grep "blob .$(cat deleted). (.*) is missing; reached by .$REG/app:1." err
'

test_expect_success 'the records: digests, sizes, contents and the names reaching them' '
	f=$(cat flipped) &&
	test "$(jq -r "select(.digest == \"$f\") | .refs | join(\",\")" out)" = $REG/app:1 &&
	test "$(jq -r "select(.digest == \"$f\") | .size" out)" = $(wc -c <$(blob $f)) &&
	test "$(jq -r "select(.digest == \"$f\") | .content" out)" = "$(test_sha256 $(blob $f))" &&
	t=$(cat truncated) &&
	test "$(jq -r "select(.digest == \"$t\") | .size" out)" = 1000 &&
	# oci-fetch named the amd64 manifest NAME-amd64 too
	test "$(jq -r "select(.digest == \"$t\") | .refs | join(\" \")" out)" = \
	    "$REG/multi:1 $REG/multi:1-amd64" &&
	d=$(cat deleted) &&
	test "$(jq -r "select(.problem == \"missing\") | .refs[]" out)" = $REG/app:1 &&
	test "$(jq -r "select(.problem == \"missing\") | .mediaType" out)" = \
	    application/vnd.oci.image.layer.v1.tar+gzip &&
	test "$(jq -r "select(.problem == \"unreachable\") | .size" out)" = 8 &&
	test "$(jq -s "map(select(.action)) | length" out)" = 0
'

test_expect_success 'checking changed nothing' '
	test -e $(blob $(cat flipped)) && test -e c/tmp/partial &&
	test -e $(blob $(cat unreachable))
'

test_expect_success '--gc deletes garbage and stale temporaries, not young ones nor corrupt blobs' '
	cp -a c c.gc &&
	test_expect_code 1 oci-fsck -C c.gc --gc >out 2>/dev/null &&
	test "$(jq -r "select(.action == \"deleted\") | .digest // .path" out | sort)" = \
	    "$(printf "%s\n" .tmp-blob-abc123 blobs/sha256/abc4711 tmp/partial \
	    $(cat unreachable) | sort)" &&
	test ! -e c.gc/tmp/partial && test ! -e c.gc/.tmp-blob-abc123 &&
	test ! -e c.gc/blobs/sha256/abc4711 &&
	test -e c.gc/.tmp-blob-fresh && test -e c.gc/blobs/sha256/$(cat young | cut -d: -f2) &&
	test -e c.gc/blobs/sha256/$(cat flipped | cut -d: -f2)
'

test_expect_success '--repair --gc: corrupt blobs moved aside, garbage gone; missing ones remain (1)' '
	test_expect_code 1 oci-fsck -C c --repair --gc >out 2>err &&
	f=$(cat flipped) && t=$(cat truncated) &&
	test "$(jq -r "select(.problem == \"corrupt\" and .digest == \"$f\") |
	    .action + \" \" + .path" out)" = \
	    "moved tmp/corrupt-sha256-${f#sha256:}" &&
	test -f c/tmp/corrupt-sha256-${f#sha256:} &&
	test -f c/tmp/corrupt-sha256-${t#sha256:} &&
	test ! -e $(blob $f) && test ! -e $(blob $t) &&
	test ! -e $(blob $(cat unreachable)) &&
	# what the repair took away is now missing, with the names to fetch
	jq -r "select(.problem == \"missing\") | .digest" out | sort >missing &&
	printf "%s\n" $(cat deleted) $f $t | sort >expect &&
	test_cmp expect missing &&
	grep "moved to .tmp/corrupt-sha256-" err
'

test_expect_success 'what is left is exactly the missing blobs, until a fetch' '
	test_expect_code 1 oci-fsck -C c >out &&
	test "$(jq -r .problem out | sort -u)" = missing &&
	test $(wc -l <out) = 3
'

test_expect_success 'a warm oci-fetch notices the missing blobs and fetches them again' '
	oci-fetch -v -C c -p linux/amd64 $REG/app:1 $REG/multi:1 >/dev/null 2>err &&
	grep "blobs fetched" err &&
	! grep "in the cache" err &&
	for d in $(cat flipped deleted truncated); do
		test "$(test_sha256 $(blob $d))" = $d || exit 1
	done &&
	oci-fsck -C c >out && test ! -s out &&
	check c
'

test_expect_success 'quarantined blobs are temporaries: kept while young, then collected' '
	old c/tmp/corrupt-* &&
	test_expect_code 0 oci-fsck -C c --gc >out 2>/dev/null &&
	test "$(jq -r .problem out | sort -u)" = temporary &&
	test -z "$(ls c/tmp)" &&
	oci-fsck -C c >out && test ! -s out
'

test_expect_success 'a malformed manifest is reported, and keeps --gc from deleting' '
	printf "{\"schemaVersion\":2}" >m && md=$(test_sha256 m) &&
	mv m $(blob $md) &&
	jq -c ".manifests += [{\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",
	    \"digest\": \"$md\", \"size\": 18,
	    \"annotations\": {\"org.opencontainers.image.ref.name\": \"bad/img:1\"}}]" \
	    c/index.json >i && mv i c/index.json &&
	echo garbage2 >g && u=$(test_sha256 g) && mv g $(blob $u) && old $(blob $u) &&
	test_expect_code 1 oci-fsck -C c --gc >out 2>err &&
	test "$(jq -r "select(.problem == \"malformed\") | .digest + \" \" + .refs[0]" out)" = \
	    "$md bad/img:1" &&
	test "$(jq -r "select(.problem == \"unreachable\") | .error" out)" = \
	    "kept: a manifest that cannot be read might reach it" &&
	test -e $(blob $u)
'

test_expect_success 'an index.json entry that is no descriptor is malformed' '
	jq -c ".manifests += [{\"mediaType\": \"x\", \"digest\": \"nope\", \"size\": 1,
	    \"annotations\": {\"org.opencontainers.image.ref.name\": \"bad/entry:1\"}}]" \
	    c/index.json >i && mv i c/index.json &&
	test_expect_code 1 oci-fsck -C c >out 2>err &&
	jq -s -e "map(select(.problem == \"malformed\" and .refs == [\"bad/entry:1\"]))
	    | length == 1" out &&
	grep "root entry .* (.bad/entry:1.) cannot be used" err
'

test_expect_success '--repair and --gc take the lock; a plain check waits for it to read' '
	python3 -c "
import fcntl, os, time
fd = os.open(\"c/.lock\", os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(\"locked\", \"w\").close()
time.sleep(1)
" & pid=$! &&
	while ! test -e locked; do sleep 0.05; done &&
	start=$(date +%s%N) &&
	test_expect_code 1 oci-fsck -C c --gc >/dev/null 2>&1 &&
	end=$(date +%s%N) && wait $pid &&
	test $(( (end - start) / 1000000 )) -ge 500
'

test_done
