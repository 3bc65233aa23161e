#!/bin/sh
test_description='a damaged cache: blobs damaged under their own name are repaired, and no cache file blocks or leads outside'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
. "$HELPERS/fetch.sh"

make_image single/app:1 --single --layers 2 >/dev/null
make_image multi/app:1 --platforms linux/amd64,linux/arm64 --layers 2 >/dev/null
mock_start || exit 1

# the biggest blob of single/app:1 (a layer), without "sha256:"
layer () {
	ls -S "$TRASH/c/blobs/sha256" | head -1
}

# a file in the cache is a regular file whose bytes match its name
good_blob () {
	test -f "$1/blobs/sha256/$2" && test ! -h "$1/blobs/sha256/$2" &&
	test "$(sha256sum <"$1/blobs/sha256/$2" | cut -d" " -f1)" = "$2"
}

test_expect_success 'setup: a cache with the image, and a docker-save-free tar of it' '
	oci-fetch -C c $MOCK/single/app:1 >out &&
	cache_valid c &&
	skopeo copy -q "oci:$TRASH/images:single/app:1" \
	    "oci-archive:$TRASH/app.tar:localhost/app:1"
'

test_expect_success 'fetch: a truncated layer is fetched again and replaces the damage' '
	l=$(layer) &&
	truncate -s 10 c/blobs/sha256/$l &&
	mock_log_reset &&
	oci-fetch -C c $MOCK/single/app:1 >out &&
	test $(mock_requests ".path | endswith(\"$l\")") = 1 &&
	good_blob c $l && cache_valid c
'

test_expect_success 'fetch: an empty file under the name is replaced' '
	l=$(layer) &&
	: >c/blobs/sha256/$l &&
	oci-fetch -C c $MOCK/single/app:1 >out &&
	good_blob c $l
'

test_expect_success 'fetch: a directory (with files) under the name is replaced' '
	l=$(layer) &&
	rm c/blobs/sha256/$l && mkdir -p c/blobs/sha256/$l/sub &&
	echo x >c/blobs/sha256/$l/sub/f &&
	oci-fetch -C c $MOCK/single/app:1 >out &&
	good_blob c $l && cache_valid c
'

test_expect_success 'fetch: a link to a file outside is replaced, the file untouched' '
	l=$(layer) &&
	cp c/blobs/sha256/$l outside && rm c/blobs/sha256/$l &&
	ln -s "$TRASH/outside" c/blobs/sha256/$l &&
	oci-fetch -C c $MOCK/single/app:1 >out &&
	good_blob c $l && cmp outside "$TRASH/images/blobs/sha256/$l"
'

test_expect_success 'import: a truncated blob is replaced by the verified copy' '
	oci-import -C imp app.tar >out &&
	l=$(layer) &&
	truncate -s 1 imp/blobs/sha256/$l &&
	oci-import -C imp app.tar >out &&
	good_blob imp $l && cache_valid imp
'

test_expect_success 'import: a FIFO under the name is replaced, and nothing blocks' '
	l=$(layer) &&
	rm imp/blobs/sha256/$l && mkfifo imp/blobs/sha256/$l &&
	timeout 30 oci-import -C imp app.tar >out &&
	good_blob imp $l && cache_valid imp
'

test_expect_success 'import: a dangling link under the name is replaced' '
	l=$(layer) &&
	rm imp/blobs/sha256/$l && ln -s /nonexistent/blob imp/blobs/sha256/$l &&
	oci-import -C imp app.tar >out &&
	good_blob imp $l
'

test_expect_success 'index-merge: a FIFO in place of a manifest fails at once, naming it' '
	oci-fetch -C m --all-platforms $MOCK/multi/app:1 >out &&
	src_blobs multi/app:1 linux/amd64 >list &&
	d=$(head -1 list | cut -d: -f2) &&
	rm m/blobs/sha256/$d && mkfifo m/blobs/sha256/$d &&
	n=$(wc -c <"$TRASH/images/blobs/sha256/$d") &&
	echo "{\"ref\":\"x\",\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$d\",\"size\":$n}" >rec &&
	cp m/index.json before &&
	test_expect_code 1 timeout 30 oci-index-merge -C m --ref localhost/m:2 \
	    <rec >out 2>err &&
	test_one_line_error err "$d" &&
	test_cmp before m/index.json
'

test_expect_success 'a tar written to a full disk fails, leaking nothing (every format)' '
	for f in docker oci filesystem; do
		test_expect_code 1 oci-export -C c --format $f \
		    $MOCK/single/app:1 >/dev/full 2>err &&
		test_one_line_error err "No space left on device" || return 1
		if test_have valgrind; then
			test_expect_code 1 valgrind -q --leak-check=full \
			    --errors-for-leak-kinds=definite,indirect \
			    --error-exitcode=99 oci-export -C c --format $f \
			    $MOCK/single/app:1 >/dev/full 2>vg || return 1
			! grep "lost in" vg || return 1
		fi
	done
'

test_expect_success 'a FIFO index.json or oci-layout is refused at once, naming it' '
	cp -r c f1 && rm f1/index.json && mkfifo f1/index.json &&
	test_expect_code 1 timeout 30 oci-fetch -C f1 $MOCK/single/app:1 >out 2>err &&
	test_one_line_error err index.json &&
	cp -r c f2 && rm f2/oci-layout && mkfifo f2/oci-layout &&
	test_expect_code 1 timeout 30 oci-fetch -C f2 $MOCK/single/app:1 >out 2>err &&
	test_one_line_error err oci-layout
'

test_expect_success 'an index.json that links outside is not read or replaced' '
	cp -r c s1 && mv s1/index.json real-index.json &&
	ln -s "$TRASH/real-index.json" s1/index.json &&
	cp real-index.json keep &&
	test_expect_code 1 oci-fetch -C s1 $MOCK/multi/app:1 >out 2>err &&
	test_one_line_error err index.json &&
	test_cmp keep real-index.json && test -h s1/index.json
'
test_expect_success 'a huge index.json is refused, naming it' '
	cp -r c h1 && head -c 70000000 /dev/zero | tr "\\0" " " >>h1/index.json &&
	jq -e .manifests h1/index.json >/dev/null &&
	test_expect_code 1 oci-fetch -C h1 --pull $MOCK/single/app:1 >out 2>err &&
	test_one_line_error err index.json
'

test_done
