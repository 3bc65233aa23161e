#!/bin/sh
test_description='oci-put: push images and indexes from the cache to a registry'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

registry_start || exit 1

# requests the registry logged that match an ERE, since the last mark
mark () { wc -l <"$REG_DIR/log" >mark; }
since_mark () {
	tail -n +$(( $(cat mark) + 1 )) "$REG_DIR/log" | grep -cE "$1" || true
}
raw () { skopeo inspect --tls-verify=false --raw "docker://$1"; }

test_expect_success 'setup: an image and a multi-arch index in a cache' '
	$OCITEST gen src app:1 --single --layers 3 --layer-size 300000 >/dev/null &&
	$OCITEST gen src multi:1 --attest --layers 2 --layer-size 200000 \
	    --platforms linux/amd64,linux/arm64 >/dev/null &&
	$OCITEST gen src big:1 --single --layers 1 --layer-size 12000000 >/dev/null &&
	for i in app:1 multi:1 big:1; do
		skopeo copy -q --all oci:src:$i oci-archive:${i%%:*}.tar:localhost/$i &&
		oci-import -C cache ${i%%:*}.tar >/dev/null || exit 1
	done
'

test_expect_success 'usage errors (2)' '
	test_expect_code 2 oci-put -C cache 2>err && grep "^usage: oci-put" err &&
	test_expect_code 2 oci-put -C cache -j 0 localhost/app:1 &&
	test_expect_code 2 oci-put -C cache localhost/app:1 "Bad Dest" &&
	test_expect_code 2 oci-put --bogus
'

test_expect_success 'a ref not in the cache: not found (3), nothing sent' '
	mark &&
	test_expect_code 3 oci-put -C cache localhost/nope:1 $REG/nope:1 \
	    >out 2>err &&
	test_one_line_error err localhost/nope:1 && test ! -s out &&
	test "$(since_mark "")" = 0
'

test_expect_success 'no cache at all: not found (3)' '
	test_expect_code 3 oci-put -C nocache localhost/app:1 $REG/x:1 2>err &&
	test_one_line_error err nocache
'

test_expect_success 'push an image: one record, the same bytes in the registry' '
	oci-put -C cache localhost/app:1 $REG/app:1 >out &&
	test "$(wc -l <out)" = 1 &&
	jq -e ".ref == \"$REG/app:1\" and .mediaType ==
	    \"application/vnd.oci.image.manifest.v1+json\"" out &&
	raw $REG/app:1 >got &&
	test "$(test_sha256 got)" = "$(jq -r .digest out)" &&
	test "$(jq -r .digest out)" = "$(skopeo inspect oci:cache:localhost/app:1 | jq -r .Digest)"
'

test_expect_success 'oci-fetch reads it back with the same digests' '
	oci-fetch -C back $REG/app:1 >fetched &&
	test "$(jq -r .digest fetched | head -1)" = "$(jq -r .digest out)" &&
	python3 "$HELPERS/cachecheck.py" back --complete
'

test_expect_success 'a re-push uploads nothing and puts no manifest' '
	mark &&
	oci-put -C cache localhost/app:1 $REG/app:1 >out2 &&
	test_cmp out out2 &&
	test "$(since_mark "\"(POST|PUT|PATCH) /v2/")" = 0
'

test_expect_success 'a large blob goes up as one PATCH and a closing PUT' '
	mark &&
	oci-put -C cache localhost/big:1 $REG/big:1 >out &&
	test "$(since_mark "\"PATCH /v2/big/blobs/uploads/")" = 1 &&
	raw $REG/big:1 | jq -e ".layers[0].size > 12000000"
'

test_expect_success 'an index with --arch-tags: the index and one tag per platform' '
	oci-put -C cache --arch-tags localhost/multi:1 $REG/multi:1 >out &&
	jq -r .ref out >refs &&
	printf "%s\n" $REG/multi:1 $REG/multi:1-amd64 $REG/multi:1-arm64 >expect &&
	test_cmp expect refs &&
	raw $REG/multi:1 | jq -r "[.manifests[].platform.architecture] | join(\",\")" >plat &&
	echo amd64,arm64,unknown,unknown >expect && test_cmp expect plat &&
	test "$(raw $REG/multi:1-arm64 | jq -r .config.digest)" = \
	    "$(raw $REG/multi:1 | jq -r ".manifests[1].digest" | xargs -I{} skopeo inspect --tls-verify=false --raw docker://$REG/multi@{} | jq -r .config.digest)" &&
	jq -e "select(.ref == \"$REG/multi:1-arm64\") | .platform.architecture == \"arm64\"" out
'

test_expect_success 'arch tags are named in the cache too' '
	jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" \
	    cache/index.json | grep -x "$REG/multi:1-amd64"
'

test_expect_success '--no-override leaves an existing tag alone and says so' '
	oci-put -C cache localhost/app:1 $REG/rel:1 >/dev/null &&
	before=$(raw $REG/rel:1 | sha256sum) &&
	oci-put -C cache --no-override localhost/big:1 $REG/rel:1 >out 2>err &&
	grep "already exists" err && test ! -s out &&
	test "$(raw $REG/rel:1 | sha256sum)" = "$before"
'

test_expect_success 'without --no-override the tag moves' '
	oci-put -C cache localhost/big:1 $REG/rel:1 >out &&
	raw $REG/rel:1 >got &&
	test "$(test_sha256 got)" = "$(jq -r .digest out)" &&
	test "$(test_sha256 got)" != "$(jq -r .digest out2)"
'

test_expect_success 'several destinations; the second mounts from the first' '
	mark &&
	oci-put -v -C cache localhost/multi:1 $REG/d1:1 $REG/d2:1 >out 2>err &&
	test "$(jq -r .ref out | wc -l)" = 2 &&
	grep "d2:1.*0 blobs uploaded.*mounted" err &&
	test "$(since_mark "\"POST /v2/d2/blobs/uploads/\\?mount=")" -gt 0
'

test_expect_success '--mount-from mounts from a named repository' '
	oci-put -v -C cache --mount-from app localhost/app:1 $REG/m3:1 >out 2>err &&
	grep "m3:1.*0 blobs uploaded.*[1-9] mounted" err
'

test_expect_success 'amd64 and arm64 from two caches, indexed remotely, pushed' '
	$OCITEST gen src2 p:amd64 --single --seed 21 >/dev/null &&
	$OCITEST gen src2 p:arm64 --single --seed 22 --platforms linux/arm64 >/dev/null &&
	skopeo copy -q oci:src2:p:amd64 oci-archive:pa.tar:x/p:amd64 &&
	skopeo copy -q oci:src2:p:arm64 oci-archive:pb.tar:x/p:arm64 &&
	oci-import -C ca --ref $REG/pkg:h-amd64 pa.tar >/dev/null &&
	oci-import -C cb --ref $REG/pkg:h-arm64 pb.tar >/dev/null &&
	oci-put -C ca $REG/pkg:h-amd64 >/dev/null &&
	oci-put -C cb $REG/pkg:h-arm64 >/dev/null &&
	oci-index-merge -C cc --ref $REG/pkg:h --arch-tags --remote 2>/dev/null >idx &&
	oci-put -C cc $REG/pkg:h >out &&
	test "$(jq -r .digest out)" = "$(jq -r .digest idx)" &&
	raw $REG/pkg:h | jq -r "[.manifests[].platform.architecture] | join(\",\")" >plat &&
	echo amd64,arm64 >expect && test_cmp expect plat
'

test_expect_success 'an index whose children are nowhere is a clear error' '
	oci-index-merge -C cd --ref localhost/lone:1 localhost/app:1 2>/dev/null ||
	{ oci-import -C cd app.tar >/dev/null &&
	  oci-index-merge -C cd --ref localhost/lone:1 localhost/app:1 >/dev/null; } &&
	d=$(jq -r ".manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"localhost/app:1\") | .digest" cd/index.json) &&
	rm cd/blobs/sha256/${d#sha256:} &&
	test_expect_code 3 oci-put -C cd localhost/lone:1 $REG/lone:1 2>err &&
	test_one_line_error err "neither in the cache nor in the registry"
'

test_done
