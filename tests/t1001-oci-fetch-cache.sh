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

# nest NAME:TAG K D [N]: an index whose entries without a platform list one
# child index K times, D levels deep, each level also holding the amd64
# manifest of amp/base:1 (and N more unplatformed copies at the top)
nest () {
	python3 - "$TRASH/images" "$@" <<-'PY'
	import hashlib, json, os, sys
	root, name, k, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
	extra = int(sys.argv[5]) if len(sys.argv) > 5 else 0
	IX = "application/vnd.oci.image.index.v1+json"
	def put(doc):
	    b = json.dumps(doc, separators=(",", ":")).encode()
	    dg = hashlib.sha256(b).hexdigest()
	    open(os.path.join(root, "blobs", "sha256", dg), "wb").write(b)
	    return {"mediaType": IX, "digest": "sha256:" + dg, "size": len(b)}
	index = json.load(open(os.path.join(root, "index.json")))
	ref = "org.opencontainers.image.ref.name"
	base = [m for m in index["manifests"]
	        if m.get("annotations", {}).get(ref) == "amp/base:1"][0]
	top = json.load(open(os.path.join(root, "blobs", "sha256",
	                                  base["digest"].split(":")[1])))
	amd = [m for m in top["manifests"]
	       if m.get("platform", {}).get("architecture") == "amd64"][0]
	child = put({"schemaVersion": 2, "mediaType": IX, "manifests": [amd]})
	for level in range(d):
	    n = k + (extra if level == d - 1 else 0)
	    child = put({"schemaVersion": 2, "mediaType": IX,
	                 "manifests": [amd] + [child] * n})
	child["annotations"] = {ref: name}
	index["manifests"] = [m for m in index["manifests"]
	                      if m.get("annotations", {}).get(ref) != name]
	index["manifests"].append(child)
	json.dump(index, open(os.path.join(root, "index.json"), "w"))
	PY
}

manifest_gets () {
	mock_requests '.method == "GET" and (.path | test("/manifests/"))'
}

test_expect_success 'setup: indexes that list one child many times, nested' '
	make_image amp/base:1 --platforms linux/amd64 --layers 2 >/dev/null &&
	nest amp/wide:1 8 3 &&
	nest amp/deep:1 2 5 &&
	nest amp/huge:1 1 1 1100
'

test_expect_success 'a child listed K times at D levels is fetched once, not K^D times' '
	mock_log_reset &&
	oci-fetch -C amp -p linux/amd64 $MOCK/amp/wide:1 >out &&
	test $(wc -l <out) = 2 &&
	jq -e -s ".[1].platform.architecture == \"amd64\"" out &&
	# the root, three nested indexes, the innermost one, the amd64 image
	test $(manifest_gets) -le 6 &&
	cache_valid amp
'

test_expect_success 'the warm check reads each cached manifest once, asks nothing' '
	mock_log_reset &&
	oci-fetch -C amp -p linux/amd64 $MOCK/amp/wide:1 >out &&
	test $(mock_requests) = 0 &&
	test $(wc -l <out) = 2
'

test_expect_success 'indexes nested too deeply are refused (1), nothing named' '
	mock_log_reset &&
	test_expect_code 1 oci-fetch -C amp -p linux/amd64 $MOCK/amp/deep:1 \
	    >out 2>err &&
	test ! -s out &&
	test_one_line_error err "nested more than 4 deep" &&
	test $(manifest_gets) -le 8 &&
	! grep -F "amp/deep:1" amp/index.json
'

test_expect_success 'an index of more than 1024 entries is refused (1)' '
	test_expect_code 1 oci-fetch -C amp -p linux/amd64 $MOCK/amp/huge:1 \
	    >out 2>err &&
	test_one_line_error err "more than 1024" &&
	! grep -F "amp/huge:1" amp/index.json
'

test_done
