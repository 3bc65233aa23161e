#!/bin/sh
test_description='oci-fetch: pull from docker-registry into the cache, one platform at a time'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
. "$HELPERS/fetch.sh"

make_image multi/app:1 --platforms linux/amd64,linux/arm64,linux/arm/v7 \
    --layers 2 --attest >/dev/null
make_image single/app:1 --single --platforms linux/amd64 --layers 2 >/dev/null
make_image single/arm:1 --single --platforms linux/arm64 >/dev/null
make_image docker/list:1 --docker --platforms linux/amd64,linux/arm64 >/dev/null
registry_start || exit 1
for i in multi/app:1 single/app:1 single/arm:1 docker/list:1; do
	registry_push "$TRASH/images" "$i" || exit 1
done

test_expect_success 'no operand is a usage error (2)' '
	test_expect_code 2 oci-fetch 2>err &&
	grep "^usage: oci-fetch" err
'

test_expect_success 'bad option and bad -j are usage errors (2)' '
	test_expect_code 2 oci-fetch --bogus x 2>err &&
	grep "^usage: oci-fetch" err &&
	test_expect_code 2 oci-fetch -j 0 x 2>err &&
	test_expect_code 2 oci-fetch -p nonsense x 2>err &&
	grep "not a platform" err
'

test_expect_success '-h prints the usage on stdout' '
	oci-fetch -h >out &&
	grep "^usage: oci-fetch" out
'

test_expect_success 'pull an index: the root and the host platform, one record each' '
	oci-fetch -C c1 -p linux/amd64 $REG/multi/app:1 >out &&
	test $(wc -l <out) = 2 &&
	jq -e -s ".[0].ref == \"$REG/multi/app:1\" and
	    .[0].mediaType == \"application/vnd.oci.image.index.v1+json\" and
	    (.[0] | has(\"platform\") | not) and
	    .[1].platform == {architecture: \"amd64\", os: \"linux\"} and
	    (.[0].digest | test(\"^sha256:[0-9a-f]{64}$\")) and
	    (.[1].size | type == \"number\")" out &&
	cache_valid c1
'

test_expect_success 'index.json names NAME and NAME-<arch>, as LinuxKit does' '
	jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" \
	    c1/index.json | sort >names &&
	printf "%s\n" "$REG/multi/app:1" "$REG/multi/app:1-amd64" >expect &&
	test_cmp expect names &&
	jq -e ".manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"$REG/multi/app:1-amd64\") | .platform.architecture == \"amd64\"" c1/index.json
'

test_expect_success 'only the requested platform was downloaded (plus attestations)' '
	src_blobs multi/app:1 linux/amd64 >want &&
	src_blobs multi/app:1 attestations >>want &&
	src_root multi/app:1 >>want &&
	sort -u want >want.s &&
	cache_blobs c1 >have &&
	test_cmp want.s have &&
	for b in $(src_blobs multi/app:1 linux/arm64) $(src_blobs multi/app:1 linux/arm/v7); do
		! test -e c1/blobs/sha256/${b#sha256:} || return 1
	done
'

test_expect_success 'LinuxKit would accept the cache for that platform, not another' '
	lk_accepts c1 $REG/multi/app:1 linux/amd64 &&
	! lk_accepts c1 $REG/multi/app:1 linux/arm64 2>err &&
	grep "missing" err
'

test_expect_success 'the default platform is the host one' '
	case $(uname -m) in
	x86_64) arch=amd64 ;;
	aarch64) arch=arm64 ;;
	*) arch= ;;
	esac &&
	if test -n "$arch"; then
		oci-fetch -C c2 $REG/multi/app:1 >out &&
		jq -e -s ".[1].platform.architecture == \"$arch\"" out
	fi
'

test_expect_success 'a second platform adds its blobs and its NAME-arch' '
	oci-fetch -C c1 -p linux/arm64 $REG/multi/app:1 >out &&
	jq -e -s ".[1].platform.architecture == \"arm64\"" out &&
	jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" \
	    c1/index.json | sort >names &&
	printf "%s\n" "$REG/multi/app:1" "$REG/multi/app:1-amd64" \
	    "$REG/multi/app:1-arm64" >expect &&
	test_cmp expect names &&
	for b in $(src_blobs multi/app:1 linux/arm64); do
		test -e c1/blobs/sha256/${b#sha256:} || return 1
	done &&
	cache_valid c1
'

test_expect_success 'several --platform at once, and arm variants' '
	oci-fetch -C c3 -p linux/amd64 -p linux/arm/v7 $REG/multi/app:1 >out &&
	jq -r .platform.variant out | tail -1 >v &&
	echo v7 >expect && test_cmp expect v &&
	jq -e ".manifests | length == 3" c3/index.json &&
	lk_accepts c3 $REG/multi/app:1 linux/amd64 linux/arm/v7
'

test_expect_success '--all-platforms stores every entry' '
	oci-fetch -C c4 --all-platforms $REG/multi/app:1 >out &&
	test $(wc -l <out) = 4 &&
	src_all multi/app:1 | sort -u >want &&
	cache_blobs c4 >have &&
	test_cmp want have
'

test_expect_success 'a single image: one record with the config platform' '
	oci-fetch -C c5 -p linux/amd64 $REG/single/app:1 >out &&
	test $(wc -l <out) = 1 &&
	jq -e ".mediaType == \"application/vnd.oci.image.manifest.v1+json\" and
	    .platform.architecture == \"amd64\" and .ref == \"$REG/single/app:1\"" out &&
	src_all single/app:1 | sort -u >want &&
	cache_blobs c5 >have &&
	test_cmp want have &&
	lk_accepts c5 $REG/single/app:1
'

test_expect_success 'a single image for another platform is not found (3), as with --resolve' '
	test_expect_code 3 oci-fetch -C c6 -p linux/amd64 $REG/single/arm:1 >out 2>err &&
	test ! -s out &&
	test_one_line_error err "linux/arm64" &&
	grep "^oci-fetch: cannot pull .$REG/single/arm:1." err &&
	jq -e ".manifests == []" c6/index.json &&
	find c6/blobs -type f >left &&
	test ! -s left &&
	test -z "$(ls c6/tmp 2>/dev/null)"
'

test_expect_success 'docker manifest lists are stored as served' '
	oci-fetch -C c7 -p linux/arm64 $REG/docker/list:1 >out &&
	jq -e -s ".[0].mediaType == \"application/vnd.docker.distribution.manifest.list.v2+json\" and
	    .[1].mediaType == \"application/vnd.docker.distribution.manifest.v2+json\"" out &&
	cache_valid c7
'

test_expect_success 'an unknown tag or repository is not found (3), cache untouched' '
	cp c5/index.json before &&
	test_expect_code 3 oci-fetch -C c5 $REG/multi/app:nope >out 2>err &&
	test ! -s out &&
	test_one_line_error err "$REG/multi/app:nope" &&
	test_expect_code 3 oci-fetch -C c5 $REG/no/such:1 2>err &&
	test_one_line_error err "not found" &&
	test_cmp before c5/index.json
'

test_expect_success 'a platform the index lacks is not found (3), naming it' '
	test_expect_code 3 oci-fetch -C c8 -p linux/s390x $REG/multi/app:1 >out 2>err &&
	test ! -s out &&
	test_one_line_error err "does not contain target platforms linux/s390x" &&
	jq -e ".manifests == []" c8/index.json
'

test_expect_success 'an unreachable registry is exit 1, not 3' '
	port=$(test_free_port) &&
	test_expect_code 1 oci-fetch -C c9 127.0.0.1:$port/a/b:1 2>err &&
	test_one_line_error err "127.0.0.1:$port"
'

test_expect_success 'an invalid reference is exit 1 with one line' '
	test_expect_code 1 oci-fetch -C c9 "UPPER/Case:1" 2>err &&
	test_one_line_error err "not a valid image reference"
'

test_expect_success 'several operands: the worst status wins, each is reported' '
	test_expect_code 3 oci-fetch -C c10 -p linux/amd64 $REG/multi/app:1 \
	    $REG/multi/app:nope >out 2>err &&
	test $(wc -l <out) = 2 &&
	test_one_line_error err "nope"
'

test_expect_success '--resolve: records from the registry, nothing stored' '
	oci-fetch -C c11 --resolve -p linux/arm64 $REG/multi/app:1 >out &&
	test $(wc -l <out) = 2 &&
	jq -e -s ".[0].digest == \"$(src_root multi/app:1)\" and
	    .[1].platform.architecture == \"arm64\"" out &&
	! test -d c11/blobs/sha256 || test -z "$(ls c11/blobs/sha256)"
'

test_expect_success '--resolve: a missing tag or platform is 3' '
	test_expect_code 3 oci-fetch --resolve $REG/multi/app:nope 2>err &&
	test_one_line_error err "not found" &&
	test_expect_code 3 oci-fetch --resolve -p linux/s390x $REG/multi/app:1 2>err &&
	test_one_line_error err "linux/s390x" &&
	test_expect_code 3 oci-fetch --resolve -p linux/amd64 $REG/single/arm:1 2>err &&
	test_one_line_error err "linux/arm64"
'

test_expect_success '--resolve creates no cache, even a named one' '
	oci-fetch -C nocache --resolve -p linux/arm64 $REG/multi/app:1 >out &&
	test $(wc -l <out) = 2 &&
	test_expect_code 3 oci-fetch -C nocache --resolve $REG/multi/app:nope &&
	! test -e nocache &&
	LINUXKIT_CACHE=$TRASH/nocache2 oci-fetch --resolve $REG/multi/app:1 >out &&
	! test -e nocache2
'

test_expect_success 'a missing manifest is 3 in every mode, named once' '
	for m in "" --resolve --manifest; do
		test_expect_code 3 oci-fetch -C c13 $m $REG/multi/app:nope \
		    >out 2>err || return 1
		test_one_line_error err "not found" || return 1
		test $(grep -o "multi/app:nope" err | wc -l) = 1 || return 1
	done
'

test_expect_success 'a single image for another platform is 3 in every mode' '
	for m in "" --resolve --manifest; do
		test_expect_code 3 oci-fetch -C c13 $m -p linux/amd64 \
		    $REG/single/arm:1 >out 2>err || return 1
		test ! -s out && test_one_line_error err "linux/arm64" || return 1
	done &&
	oci-fetch --manifest -p linux/arm64 $REG/single/arm:1 >out &&
	jq -e ".config.digest" out
'

test_expect_success '-q: the expected "not found" of an exit 3 is silent' '
	for m in "" --resolve --manifest; do
		test_expect_code 3 oci-fetch -q -C c13 $m $REG/multi/app:nope \
		    >out 2>err || return 1
		test ! -s err || return 1
	done &&
	test_expect_code 3 oci-fetch -q -C c13 -p linux/s390x $REG/multi/app:1 2>err &&
	test ! -s err &&
	port=$(test_free_port) &&
	test_expect_code 1 env OCIKIT_HTTP_DEADLINE=1 \
	    oci-fetch -q -C c13 127.0.0.1:$port/a/b:1 2>err &&
	test_one_line_error err "127.0.0.1:$port"
'

test_expect_success '--resolve of a single image' '
	oci-fetch --resolve $REG/single/app:1 >out &&
	jq -e ".digest == \"$(src_root single/app:1)\" and
	    .mediaType == \"application/vnd.oci.image.manifest.v1+json\"" out
'

test_expect_success '--manifest prints the exact bytes, and a platform child' '
	oci-fetch --manifest $REG/multi/app:1 >root &&
	test_cmp "$TRASH/images/blobs/sha256/$(src_root multi/app:1 | cut -d: -f2)" root &&
	oci-fetch --manifest -p linux/arm64 $REG/multi/app:1 >child &&
	d=$(jq -r ".manifests[] | select(.platform.architecture == \"arm64\") | .digest" root) &&
	test_cmp "$TRASH/images/blobs/sha256/${d#sha256:}" child &&
	test_expect_code 3 oci-fetch --manifest $REG/multi/app:nope
'

test_expect_success 'by digest: pulled and named by its digest' '
	d=$(src_root multi/app:1) &&
	oci-fetch -C c12 -p linux/amd64 "$REG/multi/app@$d" >out &&
	jq -e -s ".[0].ref == \"$REG/multi/app@$d\" and .[0].digest == \"$d\"" out &&
	jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" \
	    c12/index.json >names &&
	echo "$REG/multi/app@$d" >expect &&
	test_cmp expect names
'

test_expect_success 'LINUXKIT_CACHE is the default cache' '
	LINUXKIT_CACHE=$TRASH/lkc oci-fetch -p linux/amd64 $REG/single/app:1 >out &&
	jq -e ".manifests | length == 1" lkc/index.json
'

test_expect_success 'skopeo reads the pulled image back from the cache' '
	mkdir -p sk &&
	cp -r c5/blobs c5/oci-layout sk/ &&
	jq ".manifests[0].annotations[\"org.opencontainers.image.ref.name\"] = \"x\"" \
	    c5/index.json >sk/index.json &&
	skopeo inspect --raw oci:sk:x >raw &&
	test_cmp "$TRASH/images/blobs/sha256/$(src_root single/app:1 | cut -d: -f2)" raw &&
	skopeo copy -q oci:sk:x dir:out.dir
'

test_done
