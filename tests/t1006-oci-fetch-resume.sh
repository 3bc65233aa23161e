#!/bin/sh
test_description='oci-fetch: a download killed mid-blob resumes in the next run'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
. "$HELPERS/fetch.sh"

make_image big/app:1 --single --layers 1 --layer-size 4000000 >/dev/null
LAYER=$(src_all big/app:1 | tail -1)
HEX=${LAYER#sha256:}
SIZE=$(stat -c %s "$TRASH/images/blobs/sha256/$HEX")

pull_big () {
	oci-fetch -C "$1" -p linux/amd64 $MOCK/big/app:1
}

# the body bytes the mock sent for the layer, over all requests
layer_sent () {
	jq -s "map(select(.method == \"GET\" and (.path | endswith(\"$HEX\")))
	    | .sent) | add" "$MOCK_LOG"
}

# the mock logs a request once its handler returns, which may be after
# the client has all it wanted: wait (5 s at most) for N (default 1)
# requests matching the filter, then say whether there are exactly N
mock_wait () {
	_n=0
	while test $_n -lt 50 && test $(mock_requests "$1") -lt ${2:-1}; do
		sleep 0.1
		_n=$((_n + 1))
	done
	test $(mock_requests "$1") = ${2:-1}
}

# start a fetch into $1, wait until its partial holds at least $2 bytes,
# then kill -9 it (an interrupted run: nothing of it gets to clean up)
fetch_killed () {
	oci-fetch -C "$1" -p linux/amd64 $MOCK/big/app:1 >/dev/null 2>&1 &
	_pid=$!
	_n=0
	while test $_n -lt 200; do
		_sz=$(stat -c %s "$1/tmp/partial-sha256-$HEX" 2>/dev/null || echo 0)
		test "$_sz" -ge "$2" && break
		sleep 0.1
		_n=$((_n + 1))
	done
	kill -9 $_pid
	wait $_pid 2>/dev/null
	test "$_sz" -ge "$2" &&
	mock_wait ".status == 200 and (.path | endswith(\"$HEX\"))"
}

mock_start --quirk stall-after=3000000:1 || exit 1
test_expect_success 'killed mid-blob: the partials stay in tmp/, no blob' '
	fetch_killed c1 1000000 &&
	test ! -e c1/blobs/sha256/$HEX &&
	test -f c1/tmp/partial-sha256-$HEX &&
	ls c1/tmp >names &&
	! grep -v "^partial-sha256-[0-9a-f]\{64\}\$" names &&
	cmp -n $(stat -c %s c1/tmp/partial-sha256-$HEX) \
	    c1/tmp/partial-sha256-$HEX "$TRASH/images/blobs/sha256/$HEX" &&
	python3 "$HELPERS/cachecheck.py" c1
'

test_expect_success 'the next run asks for the rest with Range and verifies' '
	have=$(stat -c %s c1/tmp/partial-sha256-$HEX) &&
	pull_big c1 >out &&
	jq -e ".digest" out >/dev/null &&
	mock_wait ".range == \"bytes=$have-\" and .status == 206" &&
	mock_wait ".sent > 0 and (.path | endswith(\"$HEX\"))" 2 &&
	test "$(sha256sum <c1/blobs/sha256/$HEX | cut -d" " -f1)" = "$HEX" &&
	test ! -e c1/tmp/partial-sha256-$HEX &&
	sent=$(layer_sent) &&
	echo "served $sent bytes for a blob of $SIZE" &&
	test $sent -ge $SIZE &&
	test $sent -lt $((SIZE + SIZE / 4)) &&
	python3 "$HELPERS/cachecheck.py" c1 --no-garbage &&
	rmdir c1/tmp && cache_valid c1
'

mock_start --quirk stall-after=3000000:1 || exit 1
test_expect_success 'a partial with a wrong byte: found by the digest, from 0 once' '
	fetch_killed c2 1000000 &&
	printf "\\377" | dd of=c2/tmp/partial-sha256-$HEX bs=1 seek=1000 \
	    conv=notrunc 2>/dev/null &&
	mock_log_reset &&
	pull_big c2 >out 2>err &&
	mock_wait ".range != null and .status == 206 and (.path | endswith(\"$HEX\"))" &&
	mock_wait ".range == null and .status == 200 and (.path | endswith(\"$HEX\"))" &&
	test "$(sha256sum <c2/blobs/sha256/$HEX | cut -d" " -f1)" = "$HEX" &&
	test ! -e c2/tmp/partial-sha256-$HEX &&
	python3 "$HELPERS/cachecheck.py" c2 --no-garbage
'

test_expect_success 'a partial as long as the blob is not trusted: from 0' '
	mkdir -p c3/tmp &&
	cp "$TRASH/images/blobs/sha256/$HEX" c3/tmp/partial-sha256-$HEX &&
	mock_log_reset &&
	pull_big c3 >out &&
	mock_wait ".status == 200 and (.path | endswith(\"$HEX\"))" &&
	test $(mock_requests ".range != null") = 0 &&
	test ! -e c3/tmp/partial-sha256-$HEX &&
	python3 "$HELPERS/cachecheck.py" c3 --no-garbage
'

test_expect_success 'a partial that is a symlink is left alone' '
	mkdir -p c4/tmp &&
	echo secret >target &&
	ln -s "$PWD/target" c4/tmp/partial-sha256-$HEX &&
	pull_big c4 >out &&
	echo secret >expect && test_cmp expect target &&
	test -L c4/tmp/partial-sha256-$HEX &&
	python3 "$HELPERS/cachecheck.py" c4 --no-garbage
'

test_expect_success 'a partial locked by another writer: this one writes its own' '
	mkdir -p c5/tmp &&
	head -c 1000 "$TRASH/images/blobs/sha256/$HEX" >c5/tmp/partial-sha256-$HEX &&
	mock_log_reset &&
	flock c5/tmp/partial-sha256-$HEX sh -c "
		oci-fetch -C c5 -p linux/amd64 $MOCK/big/app:1 >out" &&
	mock_wait ".status == 200 and (.path | endswith(\"$HEX\"))" &&
	test $(mock_requests ".range != null") = 0 &&
	test $(stat -c %s c5/tmp/partial-sha256-$HEX) = 1000 &&
	test "$(sha256sum <c5/blobs/sha256/$HEX | cut -d" " -f1)" = "$HEX"
'

mock_start --quirk stall-after=3000000:1 || exit 1
test_expect_success 'oci-fsck --gc removes a stale partial, keeps a young one' '
	fetch_killed c6 1000000 &&
	test_expect_code 0 oci-fsck -C c6 >out 2>/dev/null &&
	touch -d "2 hours ago" c6/tmp/partial-sha256-$HEX &&
	test_expect_code 1 oci-fsck -C c6 >out 2>/dev/null &&
	jq -e "select(.problem == \"temporary\") |
	    .path == \"tmp/partial-sha256-$HEX\"" out &&
	test_expect_code 0 oci-fsck -C c6 --gc >out 2>/dev/null &&
	jq -e "select(.problem == \"temporary\") | .action == \"deleted\"" out &&
	test ! -e c6/tmp/partial-sha256-$HEX &&
	python3 "$HELPERS/cachecheck.py" c6
'

test_done
