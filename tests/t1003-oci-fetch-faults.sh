#!/bin/sh
test_description='oci-fetch: retries, resumes and refusals; nothing corrupt lands in the cache'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
. "$HELPERS/fetch.sh"

make_image big/app:1 --single --layers 1 --layer-size 300000 >/dev/null
make_image multi/app:1 --platforms linux/amd64,linux/arm64 --layers 2 >/dev/null
make_image big/arm:1 --single --platforms linux/arm64 --layers 1 \
    --layer-size 300000 >/dev/null
ARM_LAYER=$(src_all big/arm:1 | tail -1)
make_image many/app:1 --single --layers 70 --layer-size 8000 >/dev/null
make_image attest/app:1 --platforms linux/amd64,linux/arm64 --attest >/dev/null
LAYER=$(src_all big/app:1 | tail -1)
SIZE=$(stat -c %s "$TRASH/images/blobs/sha256/${LAYER#sha256:}")

layer_gets () {
	mock_requests ".method == \"GET\" and (.path | endswith(\"$LAYER\"))"
}
pull_big () {
	oci-fetch -C "$1" -p linux/amd64 $MOCK/big/app:1
}

mock_start --quirk status=429:2 --quirk retry-after=1 || exit 1
test_expect_success '429 with Retry-After: waits, then succeeds' '
	start=$(date +%s) &&
	pull_big c1 >out &&
	end=$(date +%s) &&
	test $(mock_requests ".status == 429") = 2 &&
	test $((end - start)) -ge 1 &&
	cache_valid c1 &&
	test -e c1/blobs/sha256/${LAYER#sha256:}
'

mock_start --quirk status=500:3 || exit 1
test_expect_success '500s are retried with backoff' '
	pull_big c2 >out &&
	test $(mock_requests ".status == 500") = 3 &&
	cache_valid c2 &&
	jq -e ".manifests | length == 1" c2/index.json
'

mock_start --quirk status=503 || exit 1
test_expect_success 'a registry that keeps failing: 5 attempts, exit 1, nothing named' '
	test_expect_code 1 pull_big c3 >out 2>err &&
	test ! -s out &&
	test_one_line_error err "status 503" &&
	test $(mock_requests ".status == 503") = 5 &&
	jq -e ".manifests == []" c3/index.json &&
	cache_valid c3
'

mock_start --quirk cut-after=100000:1 || exit 1
test_expect_success 'a connection reset mid-blob resumes with Range' '
	pull_big c4 >out &&
	cache_valid c4 &&
	test -e c4/blobs/sha256/${LAYER#sha256:} &&
	test $(layer_gets) = 2 &&
	test $(mock_requests "(.range // \"\" | test(\"^bytes=[1-9][0-9]*-$\")) and .status == 206") = 1
'

mock_start --quirk cut-after=100000:1 --quirk range=ignore || exit 1
test_expect_success 'a registry ignoring Range: the blob starts again from 0' '
	pull_big c5 >out &&
	cache_valid c5 &&
	test -e c5/blobs/sha256/${LAYER#sha256:} &&
	test $(mock_requests ".range != null and .status == 200") = 1
'

mock_start --quirk blob=corrupt:1 || exit 1
test_expect_success 'wrong bytes once: downloaded again, verified' '
	pull_big c6 >out &&
	cache_valid c6 &&
	test $(layer_gets) = 2
'

mock_start --quirk blob=corrupt || exit 1
test_expect_success 'wrong bytes twice: exit 1 naming the blob, nothing stored' '
	test_expect_code 1 pull_big c7 >out 2>err &&
	test_one_line_error err "does not match its digest" &&
	grep -F "${LAYER}" err &&
	test ! -e c7/blobs/sha256/${LAYER#sha256:} &&
	jq -e ".manifests == []" c7/index.json &&
	cache_valid c7
'

mock_start --quirk blob=truncated || exit 1
test_expect_success 'a short blob: exit 1, nothing stored' '
	test_expect_code 1 pull_big c8 >out 2>err &&
	test_one_line_error err "$LAYER" &&
	test ! -e c8/blobs/sha256/${LAYER#sha256:} &&
	cache_valid c8
'

mock_start --quirk manifest-size=8388608 || exit 1
test_expect_success 'a manifest over 8 MiB is refused' '
	test_expect_code 1 pull_big c9 2>err &&
	test_one_line_error err "larger than 8 MiB" &&
	jq -e ".manifests == []" c9/index.json
'

mock_start --quirk dcd=wrong || exit 1
test_expect_success 'a wrong Docker-Content-Digest is a hint: the content decides' '
	pull_big c10 >out 2>err &&
	jq -e ".digest == \"$(src_root big/app:1)\"" out &&
	grep "Docker-Content-Digest" err
'

mock_start --quirk warning=deprecated-registry || exit 1
test_expect_success 'a registry Warning is shown once per run, not with -q' '
	oci-fetch --pull -C c10 -p linux/amd64 $MOCK/big/app:1 \
	    $MOCK/big/app:1 >out 2>err &&
	test_one_line_error err "registry warning: deprecated-registry" &&
	oci-fetch -q --pull -C c10 -p linux/amd64 $MOCK/big/app:1 >out 2>err &&
	test ! -s err
'

mock_start --quirk blob-redirect=307 --quirk cut-after=100000:1 || exit 1
test_expect_success 'a break on the CDN: the retry asks the registry again' '
	pull_big c14 >out &&
	cache_valid c14 &&
	test $(mock_requests ".listener == \"reg\" and (.path | endswith(\"$LAYER\"))") = 2
'

mock_start --quirk blob-redirect=307 --quirk cdn-expired=1 || exit 1
test_expect_success 'an expired storage URL: the registry is asked again' '
	pull_big c15 >out &&
	cache_valid c15 &&
	test $(mock_requests ".listener == \"cdn\" and .status == 403") = 1 &&
	# the config and the layer, and one of them once more
	test $(mock_requests ".listener == \"reg\" and (.path | test(\"/blobs/\"))") = 3
'

mock_start --quirk dcd=absent || exit 1
test_expect_success 'no Docker-Content-Digest at all: the content is hashed' '
	pull_big c16 >out &&
	jq -e ".digest == \"$(src_root big/app:1)\"" out &&
	oci-fetch --resolve $MOCK/big/app:1 >out &&
	jq -e ".digest == \"$(src_root big/app:1)\"" out
'

mock_start --quirk schema1 || exit 1
test_expect_success 'schema1 manifests are refused' '
	test_expect_code 1 pull_big c17 2>err &&
	test_one_line_error err "schema1 manifests are not supported" &&
	jq -e ".manifests == []" c17/index.json
'

mock_start --quirk content-type-params || exit 1
test_expect_success 'media type parameters (Quay) are ignored' '
	oci-fetch -C c18 -p linux/amd64 $MOCK/multi/app:1 >out &&
	jq -e -s ".[0].mediaType == \"application/vnd.oci.image.index.v1+json\"" out &&
	cache_valid c18
'

mock_start --quirk redirect-loop || exit 1
test_expect_success 'a redirect loop stops after 10 hops' '
	test_expect_code 1 pull_big c11 2>err &&
	test_one_line_error err "too many redirects" &&
	jq -r "select(.status == 307) | .path" "$MOCK_LOG" | sort | uniq -c |
	    awk "{ print \$1 }" | sort -u >hops &&
	echo 11 >expect && test_cmp expect hops &&
	cache_valid c11
'

# a single image's layers start while its config is in flight, and wait
# for it: published only once it says the platform is right
mock_start --quirk small-delay=1 || exit 1
test_expect_success 'a late config: the layer comes first, and waits for it' '
	pull_big c19 >out &&
	jq -r "select(.method == \"GET\" and (.path | contains(\"/blobs/\"))) |
	    .path" "$MOCK_LOG" >gets &&
	test $(wc -l <gets) = 2 &&
	head -1 gets | grep -q "${LAYER#sha256:}\$" &&
	cache_valid c19 &&
	test -e c19/blobs/sha256/${LAYER#sha256:} &&
	jq -e ".manifests | length == 1" c19/index.json
'

test_expect_success 'a late config for another platform: nothing is stored (3)' '
	mock_log_reset &&
	test_expect_code 3 oci-fetch -C c20 -p linux/amd64 $MOCK/big/arm:1 \
	    >out 2>err &&
	test ! -s out &&
	test_one_line_error err "linux/arm64" &&
	test $(mock_requests ".status == 200 and
	    (.path | endswith(\"$ARM_LAYER\"))") = 1 &&
	jq -e ".manifests == []" c20/index.json &&
	find c20/blobs c20/tmp -type f >left &&
	test ! -s left
'

# the config of 70 layers lists 70 diff_ids: bigger than 1024 bytes
mock_start --quirk small-delay=1 --quirk fault-min=7000 || exit 1
test_expect_success 'at most 64 layers wait at the gate, the rest wait to start' '
	oci-fetch -C c21 -p linux/amd64 $MOCK/many/app:1 >out &&
	cache_valid c21 &&
	for d in $(src_all many/app:1); do
		test -e c21/blobs/sha256/${d#sha256:} || return 1
	done &&
	jq -r "select(.method == \"GET\" and (.path | contains(\"/blobs/\"))) |
	    .path" "$MOCK_LOG" >gets &&
	test $(wc -l <gets) = 71 &&
	root=$(src_root many/app:1) &&
	cfg=$(jq -r .config.digest "$TRASH/images/blobs/sha256/${root#sha256:}") &&
	n=$(grep -n "$cfg" gets | cut -d: -f1) &&
	test $n -gt 64 && test $n -lt 71
'

# an index's platform manifests and attestations are asked for together
mock_start --quirk digest-manifest-delay=0.5 || exit 1
test_expect_success 'the child manifests of an index are fetched at once' '
	oci-fetch -C c23 -p linux/amd64 -p linux/arm64 $MOCK/attest/app:1 \
	    >out &&
	cache_valid c23 &&
	jq -s "map(select(.method == \"GET\" and
	    (.path | test(\"/manifests/sha256:\"))))" "$MOCK_LOG" >kids &&
	jq -e "length == 4 and (map(.end) | min) > (map(.start) | max)" kids
'

mock_start --quirk slow=100000 || exit 1
test_expect_success 'refused while a layer trickles in: it stops there, nothing kept (3)' '
	test_expect_code 3 oci-fetch -C c22 -p linux/amd64 $MOCK/big/arm:1 \
	    >out 2>err &&
	test_one_line_error err "linux/arm64" &&
	find c22/blobs c22/tmp -type f >left &&
	test ! -s left &&
	size=$(stat -c %s "$TRASH/images/blobs/sha256/${ARM_LAYER#sha256:}") &&
	q=".method == \"GET\" and (.path | endswith(\"$ARM_LAYER\"))" &&
	n=0 &&
	while test $(mock_requests "$q") = 0 && test $n -lt 100; do
		sleep 0.1; n=$((n + 1))
	done &&
	test $(mock_requests "$q and .sent < $size") = 1
'

test_expect_success 'killed mid-download: no partial blob; only its partial in tmp/' '
	oci-fetch -C c12 -p linux/amd64 $MOCK/big/app:1 >out 2>&1 &
	pid=$! &&
	sleep 1 &&
	kill -9 $pid &&
	wait $pid || : &&
	test ! -e c12/blobs/sha256/${LAYER#sha256:} &&
	! ls c12/tmp 2>/dev/null | grep -v "^partial-sha256-${LAYER#sha256:}$" &&
	rm -rf c12/tmp &&
	cache_valid c12
'

mock_start --quirk auth=bearer --quirk realm=169.254.169.254 || exit 1
test_expect_success 'a token realm on a link-local address is refused unasked' '
	test_expect_code 1 pull_big c13 2>err &&
	test_one_line_error err "169.254.169.254"
'

test_done
