#!/bin/sh
test_description='oci-index-merge: LinuxKit merge rules, arch tags, the remote index'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

registry_start || exit 1

# gen NAME:TAG [ocitest options]: an image in $TRASH/images and in the cache
gen () {
	$OCITEST gen "$TRASH/images" "$@" >/dev/null &&
	skopeo copy -q --all "oci:$TRASH/images:$1" \
	    "oci-archive:$TRASH/$(echo "$1" | tr :/ --).tar:localhost/$1" &&
	oci-import -C cache "$TRASH/$(echo "$1" | tr :/ --).tar" >/dev/null
}

# the manifests of the index named $1 in cache $2 (default: cache)
entries () {
	_d=$(jq -r --arg n "$1" '.manifests[] | select(.annotations
	    ["org.opencontainers.image.ref.name"] == $n) | .digest' \
	    "${2:-cache}/index.json" | cut -d: -f2)
	jq -c '.manifests[]' "${2:-cache}/blobs/sha256/$_d"
}

# platform/arch of each entry, one per line ("unknown" for attestations)
arches () {
	entries "$@" | jq -r '.platform | .architecture + (if .variant then
	    "/" + .variant else "" end)'
}

# every manifest the index lists is in the cache (its layers need not be)
manifests_present () {
	python3 "$HELPERS/cachecheck.py" "$2" &&
	for d in $(entries "$1" "$2" | jq -r .digest | cut -d: -f2); do
		test -f "$2/blobs/sha256/$d" || { echo "missing $d"; return 1; }
	done
}

digest_of () {
	jq -r --arg n "$1" '.manifests[] | select(.annotations
	    ["org.opencontainers.image.ref.name"] == $n) | .digest' cache/index.json
}

test_expect_success 'setup: single-platform images and a multi-arch one' '
	gen a:amd64 --single --seed 1 &&
	gen a:arm64 --single --seed 2 --platforms linux/arm64 &&
	gen a:amd64new --single --seed 3 &&
	gen a:armv6 --single --seed 4 --platforms linux/arm/v6 &&
	gen a:armv7 --single --seed 5 --platforms linux/arm/v7 &&
	gen att:1 --attest --seed 6 --platforms linux/amd64,linux/arm64
'

test_expect_success 'usage errors (2)' '
	test_expect_code 2 oci-index-merge -C cache localhost/a:amd64 &&
	test_expect_code 2 oci-index-merge -C cache --ref x --arches amd64 &&
	test_expect_code 2 oci-index-merge -C cache --ref x --arch-tags y &&
	test_expect_code 2 oci-index-merge -C cache --ref "x@sha256:$(printf %064d 0)" &&
	test_expect_code 2 oci-index-merge -C cache --ref "Bad Name" 2>err &&
	grep "Bad Name" err &&
	test_expect_code 2 oci-index-merge --bogus 2>err && grep "^usage:" err
'

test_expect_success 'a ref not in the cache: not found (3), nothing written' '
	cp cache/index.json before &&
	test_expect_code 3 oci-index-merge -C cache --ref localhost/m:0 \
	    localhost/a:amd64 localhost/nope:1 >out 2>err &&
	test_one_line_error err localhost/nope:1 && test ! -s out &&
	test_cmp before cache/index.json
'

test_expect_success 'no records on stdin: not found (3), nothing written' '
	test_expect_code 3 oci-index-merge -C cache --ref localhost/m:0 </dev/null &&
	test_cmp before cache/index.json
'

test_expect_success 'a new index: one record, stored, readable by skopeo' '
	oci-index-merge -C cache --ref localhost/m:1 localhost/a:amd64 \
	    localhost/a:arm64 >out &&
	jq -e ".ref == \"localhost/m:1\" and .mediaType ==
	    \"application/vnd.oci.image.index.v1+json\" and .size > 0" out &&
	d=$(jq -r .digest out) &&
	test "$(test_sha256 cache/blobs/sha256/${d#sha256:})" = "$d" &&
	test "$(digest_of localhost/m:1)" = "$d" &&
	printf "amd64\narm64\n" >expect && arches localhost/m:1 >got &&
	test_cmp expect got &&
	skopeo inspect --raw oci:cache:localhost/m:1 | jq -e ".manifests | length == 2"
'

test_expect_success 'platforms come from the config when records have none' '
	entries localhost/m:1 | jq -e "select(.platform.os == \"linux\")" >/dev/null &&
	test "$(entries localhost/m:1 | jq -s "map(.platform.os) | unique")" = "[
  \"linux\"
]"
'

test_expect_success 'serialised as LinuxKit does: key order, no names' '
	d=$(digest_of localhost/m:1 | cut -d: -f2) &&
	grep "^{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":\[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":[0-9]*,\"digest\":\"sha256:[0-9a-f]*\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}" \
	    cache/blobs/sha256/$d &&
	! grep "ref.name" cache/blobs/sha256/$d
'

test_expect_success 'deterministic: the same input gives the same digest' '
	oci-index-merge -C cache --ref localhost/m:1b localhost/a:amd64 \
	    localhost/a:arm64 >out2 &&
	test "$(jq -r .digest out2)" = "$(jq -r .digest out)"
'

test_expect_success 'a new descriptor of a listed platform replaces it in place' '
	oci-index-merge -C cache --ref localhost/m:1 localhost/a:amd64new >out3 &&
	printf "amd64\narm64\n" >expect && arches localhost/m:1 >got &&
	test_cmp expect got &&
	test "$(entries localhost/m:1 | head -1 | jq -r .digest)" = \
	    "$(digest_of localhost/a:amd64new)"
'

test_expect_success 'the replaced index blob is removed when nothing reaches it' '
	old=$(jq -r .digest out | cut -d: -f2) &&
	test -f cache/blobs/sha256/$old &&
	oci-index-merge -C cache --ref localhost/m:1b localhost/a:amd64new >/dev/null &&
	test ! -f cache/blobs/sha256/$old
'

test_expect_success 'a replaced index another name still uses is kept' '
	oci-index-merge -C cache --ref localhost/m:2 localhost/a:amd64 >o1 &&
	d=$(jq -r .digest o1) &&
	oci-index-merge -C cache --ref localhost/m:2keep localhost/a:amd64 >o2 &&
	test "$(jq -r .digest o2)" = "$d" &&
	oci-index-merge -C cache --ref localhost/m:2 localhost/a:arm64 >/dev/null &&
	test -f cache/blobs/sha256/${d#sha256:} &&
	python3 "$HELPERS/cachecheck.py" cache --complete
'

test_expect_success 'new platforms are appended in input order; last one wins' '
	oci-index-merge -C cache --ref localhost/m:3 localhost/a:arm64 \
	    localhost/a:amd64 localhost/a:amd64new >out &&
	printf "arm64\namd64\n" >expect && arches localhost/m:3 >got &&
	test_cmp expect got &&
	test "$(entries localhost/m:3 | sed -n 2p | jq -r .digest)" = \
	    "$(digest_of localhost/a:amd64new)"
'

test_expect_success 'variants are kept apart: arm/v6 does not replace arm/v7' '
	oci-index-merge -C cache --ref localhost/m:4 localhost/a:armv7 >/dev/null &&
	oci-index-merge -C cache --ref localhost/m:4 localhost/a:armv6 >/dev/null &&
	printf "arm/v7\narm/v6\n" >expect && arches localhost/m:4 >got &&
	test_cmp expect got
'

test_expect_success 'duplicates by digest are dropped' '
	oci-index-merge -C cache --ref localhost/m:5 localhost/a:amd64 \
	    localhost/a:amd64 localhost/a:arm64 localhost/a:amd64 >/dev/null &&
	test "$(entries localhost/m:5 | wc -l)" = 2
'

test_expect_success 'an index record brings its entries, attestations too' '
	oci-index-merge -C cache --ref localhost/m:6 localhost/att:1 >/dev/null &&
	printf "amd64\narm64\nunknown\nunknown\n" >expect &&
	arches localhost/m:6 >got && test_cmp expect got
'

test_expect_success 'an attestation goes when the manifest it describes goes' '
	amd_att=$(entries localhost/m:6 | jq -r "select(.annotations
	    [\"vnd.docker.reference.digest\"] != null) | .annotations
	    [\"vnd.docker.reference.digest\"]" | head -1) &&
	oci-index-merge -C cache --ref localhost/m:6 localhost/a:amd64new >/dev/null &&
	printf "amd64\narm64\nunknown\n" >expect &&
	arches localhost/m:6 >got && test_cmp expect got &&
	! entries localhost/m:6 | grep "$amd_att" | grep attestation
'

test_expect_success 'records on stdin: oci-import | oci-index-merge' '
	oci-import -C cache "$TRASH/a-arm64.tar" "$TRASH/a-amd64.tar" |
	    oci-index-merge -C cache --ref localhost/m:7 >out &&
	printf "arm64\namd64\n" >expect && arches localhost/m:7 >got &&
	test_cmp expect got &&
	oci-import -C cache "$TRASH/a-armv6.tar" |
	    oci-index-merge -C cache --ref localhost/m:7 - >/dev/null &&
	printf "arm64\namd64\narm/v6\n" >expect && arches localhost/m:7 >got &&
	test_cmp expect got
'

test_expect_success 'a malformed record is an error naming its line (1)' '
	printf "{\"mediaType\":\"x\"}\n" >bad &&
	test_expect_code 1 oci-index-merge -C cache --ref localhost/m:8 <bad 2>err &&
	test_one_line_error err "line 1"
'

test_expect_success 'an image under the name is an error (1)' '
	test_expect_code 1 oci-index-merge -C cache --ref localhost/a:amd64 \
	    localhost/a:arm64 2>err &&
	test_one_line_error err "is not an index"
'

test_expect_success '--arch-tags collects NAME-<arch> from the cache' '
	oci-import -C cache --ref localhost/p:1-amd64 "$TRASH/a-amd64.tar" >/dev/null &&
	oci-import -C cache --ref localhost/p:1-arm64 "$TRASH/a-arm64.tar" >/dev/null &&
	oci-index-merge -C cache --ref localhost/p:1 --arch-tags >out 2>err &&
	printf "amd64\narm64\n" >expect && arches localhost/p:1 >got &&
	test_cmp expect got &&
	grep "p:1-riscv64.*skipping" err
'

test_expect_success '--arch-tags with none present: 3, nothing written' '
	cp cache/index.json before &&
	test_expect_code 3 oci-index-merge -C cache --ref localhost/p:1 \
	    --arch-tags --arches s390x,ppc64le 2>err &&
	test_cmp before cache/index.json
'

# --remote: per-arch images and an index pushed "from other machines"
test_expect_success 'setup: arch tags and an index in the registry' '
	$OCITEST gen remote x:1-amd64 --single --seed 11 >/dev/null &&
	$OCITEST gen remote x:1-arm64 --single --seed 12 --platforms linux/arm64 >/dev/null &&
	$OCITEST gen remote y:1 --seed 13 --platforms linux/amd64,linux/riscv64 >/dev/null &&
	registry_push remote x:1-amd64 && registry_push remote x:1-arm64 &&
	registry_push remote y:1
'

test_expect_success '--arch-tags --remote: the index of the registry arch tags' '
	oci-index-merge -C rc --ref $REG/x:1 --arch-tags --remote >out 2>err &&
	jq -e ".ref == \"$REG/x:1\"" out &&
	printf "amd64\narm64\n" >expect && arches $REG/x:1 rc >got &&
	test_cmp expect got &&
	grep "x:1-riscv64.*skipping" err &&
	test "$(find rc/blobs -type f | wc -l)" = 3 &&
	manifests_present $REG/x:1 rc
'

test_expect_success '--remote keeps platforms pushed from elsewhere' '
	oci-import -C rc2 --ref $REG/y:1-arm64 "$TRASH/a-arm64.tar" >/dev/null &&
	oci-index-merge -C rc2 --ref $REG/y:1 --remote $REG/y:1-arm64 >out &&
	printf "arm64\namd64\nriscv64\n" >expect && arches $REG/y:1 rc2 >got &&
	test_cmp expect got &&
	manifests_present $REG/y:1 rc2
'

test_expect_success '--remote with nothing new: the registry index as it is' '
	skopeo copy -q --all oci:remote:y:1 oci-archive:y.tar:localhost/y:1 &&
	oci-import -C rc3 y.tar >/dev/null &&
	oci-index-merge -C rc3 --ref $REG/y:1 --remote localhost/y:1 >out &&
	skopeo inspect --tls-verify=false --raw docker://$REG/y:1 >raw &&
	test "$(jq -r .digest out)" = "$(test_sha256 raw)"
'

test_expect_success 'merges of one name racing each other lose no platform' '
	rm -rf rc && mkdir rc &&
	$OCITEST gen rimg r:amd64 --single --seed 21 >/dev/null &&
	$OCITEST gen rimg r:arm64 --single --seed 22 --platforms linux/arm64 >/dev/null &&
	(cd rimg && tar -cf ../rimg.tar .) &&
	oci-import -C rc rimg.tar >/dev/null &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		oci-index-merge -q -C rc --ref r:m$i r:amd64 >/dev/null &
		oci-index-merge -q -C rc --ref r:m$i r:arm64 >/dev/null &
		wait
	done &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		oci-fetch --cached -q -C rc -p linux/amd64 r:m$i >/dev/null &&
		oci-fetch --cached -q -C rc -p linux/arm64 r:m$i >/dev/null ||
		return 1
	done
'

test_done
