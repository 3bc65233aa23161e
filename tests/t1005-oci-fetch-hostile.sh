#!/bin/sh
test_description='oci-fetch: hostile registries and token services cannot hang it, inject headers or write to the terminal'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
. "$HELPERS/fetch.sh"

make_image small/app:1 --single --layers 3 --layer-size 2000 >/dev/null

pull () {
	# a hung oci-fetch fails the test instead of holding it
	timeout 60 oci-fetch -C "$1" -p linux/amd64 $MOCK/small/app:1
}

# the seconds one command takes, into $took
timed () {
	_t0=$(date +%s)
	"$@"
	_rc=$?
	took=$(($(date +%s) - _t0))
	return $_rc
}

no_escape () {
	! grep -q "$(printf '\033')" "$1" &&
	! grep -q "$(printf '\007')" "$1"
}

mock_start --quirk endless-error=400 || exit 1
test_expect_success 'an error body that never ends: read up to its cap, then exit 1' '
	timed test_expect_code 1 pull c1 >out 2>err &&
	test $took -lt 20 &&
	test_one_line_error err "status 400" &&
	jq -e ".manifests == []" c1/index.json &&
	cache_valid c1
'

mock_start --quirk endless-error=503 || exit 1
test_expect_success 'an endless 503, retried: the overall deadline ends it' '
	timed test_expect_code 1 timeout 60 env OCIKIT_HTTP_DEADLINE=3 oci-fetch -C c2 \
	    -p linux/amd64 $MOCK/small/app:1 >out 2>err &&
	test $took -lt 15 &&
	test_one_line_error err "within 3s" &&
	cache_valid c2
'

mock_start --quirk trickle-error=400 || exit 1
test_expect_success 'an error body trickling above the low-speed limit: the deadline ends it' '
	timed test_expect_code 1 timeout 60 env OCIKIT_HTTP_DEADLINE=2 oci-fetch -C c3 \
	    -p linux/amd64 $MOCK/small/app:1 >out 2>err &&
	test $took -lt 10 &&
	test_one_line_error err "no complete answer within 2s" &&
	cache_valid c3
'

mock_start --quirk auth=bearer --quirk token-inject || exit 1
test_expect_success 'a token with CR LF is refused; no request carries the injected header' '
	test_expect_code 1 pull c4 >out 2>err &&
	test_one_line_error err "control character" &&
	test $(mock_requests ".injected") = 0 &&
	jq -e ".manifests == []" c4/index.json &&
	cache_valid c4
'

mock_start --quirk auth=bearer || exit 1
test_expect_success 'a registrytoken with CR LF in config.json is never sent' '
	mkdir -p "$DOCKER_CONFIG" &&
	printf "{\"auths\":{\"%s\":{\"registrytoken\":\"t\\\\r\\\\nX-Injected: yes\"}}}" \
	    "$MOCK" >"$DOCKER_CONFIG/config.json" &&
	pull c5 >out 2>err &&
	grep -F "control character" err &&
	test $(mock_requests ".injected") = 0 &&
	cache_valid c5 &&
	rm "$DOCKER_CONFIG/config.json"
'

test_expect_success 'an empty config.json is an empty config: anonymous, no error' '
	mkdir -p "$DOCKER_CONFIG" &&
	: >"$DOCKER_CONFIG/config.json" &&
	pull c5b >out 2>err &&
	test ! -s err &&
	cache_valid c5b &&
	rm "$DOCKER_CONFIG/config.json"
'

test_expect_success 'OCIKIT_HTTP_DEADLINE that is not a number: warned about, default kept' '
	env OCIKIT_HTTP_DEADLINE=soon oci-fetch -C c5c -p linux/amd64 \
	    $MOCK/small/app:1 >out 2>err &&
	grep -F "ignoring OCIKIT_HTTP_DEADLINE" err &&
	cache_valid c5c
'

# the token requests a pull makes when tokens live 300 s: the baseline
mock_log_reset
pull c6 >/dev/null 2>&1
TOKENS=$(mock_requests '.path == "/token"')

for n in 4611686018427387904 9223372036854775807 1e300 -9223372036854775808
do
	mock_start --quirk auth=bearer --quirk expires-in=$n || exit 1
	test_expect_success "expires_in $n: the token is reused, not refetched" '
		pull c7-$n >out 2>err &&
		test $(mock_requests ".path == \"/token\"") = $TOKENS &&
		cache_valid c7-$n
	'
done

mock_start --quirk hostile-error || exit 1
test_expect_success 'registry error text: bounded and escaped in the message' '
	test_expect_code 1 pull c8 >out 2>err &&
	test "$(wc -l <err)" = 1 &&
	test "$(wc -c <err)" -lt 1024 &&
	no_escape err &&
	grep -F "\\x1b" err
'

mock_start --quirk no-length --quirk manifest-size=8388608 || exit 1
test_expect_success 'a manifest past 8 MiB without Content-Length: refused' '
	test_expect_code 1 pull c9 >out 2>err &&
	test_one_line_error err "larger than 8 MiB" &&
	jq -e ".manifests == []" c9/index.json &&
	cache_valid c9
'

mock_start --quirk no-length || exit 1
test_expect_success 'a manifest without Content-Length within the cap: fetched' '
	pull c10 >out &&
	cache_valid c10 &&
	jq -e ".manifests | length == 1" c10/index.json
'

for url in file:///etc/passwd ftp://127.0.0.1/x gopher://127.0.0.1:70/
do
	mock_start --quirk blob-redirect-to=$url || exit 1
	test_expect_success "a redirect to $url is refused" '
		test_expect_code 1 pull c11 >out 2>err &&
		test_one_line_error err "redirect" &&
		cache_valid c11 &&
		rm -rf c11
	'
done

test_done
