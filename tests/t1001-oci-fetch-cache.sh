#!/bin/sh
test_description='oci-fetch: cache first, --pull, no blob fetched twice (requests counted at the mock)'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
. "$HELPERS/fetch.sh"

make_image multi/app:1 --platforms linux/amd64,linux/arm64 --layers 3 \
    --attest >/dev/null
make_image multi/app:2 --platforms linux/amd64,linux/arm64 --layers 3 \
    --attest >/dev/null
make_image single/app:1 --single --layers 2 >/dev/null
mock_start --quirk auth=bearer || exit 1

blob_gets () {
	mock_requests '.method == "GET" and (.path | test("/blobs/"))'
}

test_expect_success 'cold pull: each needed blob is fetched once' '
	oci-fetch -C c -p linux/amd64 $MOCK/multi/app:1 >out1 &&
	cache_valid c &&
	want=$( (src_blobs multi/app:1 linux/amd64; src_blobs multi/app:1 attestations) |
	    sort -u | wc -l) &&
	# three manifests (amd64 and two attestations) come by the manifests
	# endpoint: configs and layers here
	test $(blob_gets) = $((want - 3)) &&
	test $(mock_requests ".method == \"GET\" and (.path | test(\"/blobs/\")) and
	    .status != 200") = 0
'

test_expect_success 'only the requested platform: no arm64 blob was asked for' '
	for b in $(src_blobs multi/app:1 linux/arm64); do
		test $(mock_requests ".path | endswith(\"$b\")") = 0 || return 1
	done
'

test_expect_success 'a tag absent from the cache: one GET, no HEAD; the token is fetched once' '
	jq -r "select(.path | test(\"/manifests/1$\")) | .method" "$MOCK_LOG" >methods &&
	echo GET >expect &&
	test_cmp expect methods &&
	test $(mock_requests ".path == \"/token\"") = 1
'

test_expect_success 'warm: a cached ref makes no request at all' '
	mock_log_reset &&
	oci-fetch -C c -p linux/amd64 $MOCK/multi/app:1 >out2 &&
	test $(mock_requests) = 0 &&
	test_cmp out1 out2
'

test_expect_success 'warm: the same platform twice is still warm' '
	mock_log_reset &&
	oci-fetch -C c -p linux/amd64 -p linux/amd64 $MOCK/multi/app:1 >out3 &&
	test $(mock_requests) = 0
'

test_expect_success 'a missing platform is not warm: the registry is asked' '
	mock_log_reset &&
	oci-fetch -C c -p linux/arm64 $MOCK/multi/app:1 >out &&
	test $(mock_requests) -gt 0 &&
	jq -e -s ".[1].platform.architecture == \"arm64\"" out
'

test_expect_success 'a deleted layer makes the ref incomplete: only it is fetched' '
	l=$(src_blobs multi/app:1 linux/amd64 | tail -1) &&
	rm c/blobs/sha256/${l#sha256:} &&
	mock_log_reset &&
	oci-fetch -C c -p linux/amd64 $MOCK/multi/app:1 >out &&
	test $(blob_gets) = 1 &&
	test $(mock_requests ".path | endswith(\"$l\")") = 1 &&
	cache_valid c
'

test_expect_success '--pull asks the registry (HEAD) and fetches nothing present' '
	mock_log_reset &&
	oci-fetch -C c --pull -p linux/amd64 $MOCK/multi/app:1 >out &&
	test $(blob_gets) = 0 &&
	test $(mock_requests ".method == \"HEAD\" and (.path | endswith(\"/manifests/1\"))") = 1 &&
	test $(mock_requests ".method == \"GET\" and (.path | test(\"/manifests/\"))") = 0
'

test_expect_success 'a second tag fetches only the blobs the cache lacks' '
	cache_blobs c >before &&
	mock_log_reset &&
	oci-fetch -C c -p linux/amd64 $MOCK/multi/app:2 >out &&
	(src_blobs multi/app:2 linux/amd64; src_blobs multi/app:2 attestations) |
	    sort -u >needed &&
	want=$(comm -23 needed before | wc -l) &&
	test $(blob_gets) = $((want - 3)) &&
	jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" \
	    c/index.json | sort >names &&
	printf "%s\n" $MOCK/multi/app:1 $MOCK/multi/app:1-amd64 \
	    $MOCK/multi/app:1-arm64 $MOCK/multi/app:2 $MOCK/multi/app:2-amd64 |
	    sort >expect &&
	test_cmp expect names
'

test_expect_success 'the same image under another name reuses every blob' '
	cp -r c c2 &&
	mock_log_reset &&
	oci-fetch -C c2 --pull -p linux/amd64 $MOCK/multi/app:1 >/dev/null &&
	test $(blob_gets) = 0
'

test_expect_success 'parallel transfers: -j 1 and -j 8 give the same cache' '
	oci-fetch -C j1 -j 1 --all-platforms $MOCK/multi/app:1 >o1 &&
	oci-fetch -C j8 -j 8 --all-platforms $MOCK/multi/app:1 >o8 &&
	test_cmp o1 o8 &&
	cache_blobs j1 >b1 && cache_blobs j8 >b8 && test_cmp b1 b8 &&
	cache_valid j8
'

test_expect_success 'two pulls into one cache at once: both succeed, no name lost' '
	oci-fetch -C par -p linux/amd64 $MOCK/multi/app:1 >p1 &
	oci-fetch -C par -p linux/arm64 $MOCK/multi/app:2 >p2 &
	oci-fetch -C par $MOCK/single/app:1 >p3 &&
	wait &&
	test -s p1 && test -s p2 && test -s p3 &&
	cache_valid par &&
	jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" \
	    par/index.json | sort >names &&
	printf "%s\n" $MOCK/multi/app:1 $MOCK/multi/app:1-amd64 \
	    $MOCK/multi/app:2 $MOCK/multi/app:2-arm64 $MOCK/single/app:1 |
	    sort >expect &&
	test_cmp expect names
'

test_expect_success 'a single image is warm too' '
	oci-fetch -C s $MOCK/single/app:1 >s1 &&
	mock_log_reset &&
	oci-fetch -C s $MOCK/single/app:1 >s2 &&
	test $(mock_requests) = 0 &&
	test_cmp s1 s2
'

test_expect_success '--resolve asks with HEAD first; a single image needs no GET' '
	mock_log_reset &&
	oci-fetch --resolve $MOCK/single/app:1 >out &&
	jq -r "select(.path | test(\"/manifests/\")) | .method" "$MOCK_LOG" >methods &&
	echo HEAD >expect &&
	test_cmp expect methods &&
	test $(blob_gets) = 0
'

test_expect_success '--resolve of an index: HEAD, then the index by digest' '
	mock_log_reset &&
	oci-fetch --resolve -p linux/arm64 $MOCK/multi/app:2 >out &&
	jq -r "select(.path | test(\"/manifests/\")) | .method + \" \" + (.path | sub(\".*/manifests/\"; \"\"))" \
	    "$MOCK_LOG" >methods &&
	printf "HEAD 2\nGET %s\n" "$(src_root multi/app:2)" >expect &&
	test_cmp expect methods &&
	test $(blob_gets) = 0
'

test_expect_success 'a moved tag: the cache answers until --pull' '
	old=$(src_root single/app:1) &&
	make_image single/app:1 --single --layers 2 --seed moved >/dev/null &&
	new=$(src_root single/app:1) &&
	test "$old" != "$new" &&
	mock_log_reset &&
	oci-fetch -C s $MOCK/single/app:1 >out &&
	test $(mock_requests) = 0 &&
	jq -e ".digest == \"$old\"" out &&
	oci-fetch -C s --pull $MOCK/single/app:1 >out &&
	jq -e ".digest == \"$new\"" out &&
	jq -e "[.manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"$MOCK/single/app:1\")] | length == 1 and .[0].digest == \"$new\"" s/index.json &&
	cache_valid s
'

test_done
