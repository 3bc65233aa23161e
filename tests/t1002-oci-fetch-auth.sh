#!/bin/sh
test_description='oci-fetch: TLS, basic and bearer auth, config files, credential helpers'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
. "$HELPERS/fetch.sh"

PW=s3cr3t-pw-42
B64=$(printf 'tu:%s' "$PW" | base64)
make_image multi/app:1 --platforms linux/amd64,linux/arm64 --layers 2 >/dev/null
make_image other/app:1 --single --layers 1 >/dev/null
registry_start --tls --htpasswd "tu:$PW" || exit 1
registry_push "$TRASH/images" multi/app:1 || exit 1
CERTS=$XDG_CONFIG_HOME/containers/certs.d/$REG

# docker-credential-test: answers get from $TRASH/helper.json, logs its stdin
mkdir -p bin
cat >bin/docker-credential-test <<EOF
#!/bin/sh
test "\$1" = get || exit 3
cat >>"$TRASH/helper.stdin"
if test -s "$TRASH/helper.json"; then cat "$TRASH/helper.json"; exit 0; fi
echo 'credentials not found in native keychain'
exit 1
EOF
chmod +x bin/docker-credential-test
PATH=$TRASH/bin:$PATH

no_secret () {
	! grep -F -e "$PW" -e "$B64" "$@"
}

test_expect_success 'TLS with the CA from certs.d; no credentials: exit 1' '
	test_expect_code 1 oci-fetch -C c -p linux/amd64 $REG/multi/app:1 >out 2>err &&
	test ! -s out &&
	test_one_line_error err "user name and password"
'

test_expect_success 'config.json auths: basic auth over TLS' '
	mkdir -p "$DOCKER_CONFIG" &&
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}" "$REG" "$B64" \
	    >"$DOCKER_CONFIG/config.json" &&
	oci-fetch -C c -p linux/amd64 $REG/multi/app:1 >out &&
	jq -e -s "length == 2" out &&
	cache_valid c
'

test_expect_success 'credentials appear nowhere, even with -vv' '
	oci-fetch -vv -C c --pull -p linux/arm64 $REG/multi/app:1 >out 2>err &&
	grep -i "authorization: <redacted>" err &&
	no_secret out err c/index.json &&
	! grep -r -F -e "$PW" -e "$B64" c
'

test_expect_success 'a wrong password is exit 1 and says so' '
	printf "{\"auths\":{\"https://%s/v1/\":{\"auth\":\"%s\"}}}" "$REG" \
	    "$(printf tu:wrong | base64)" >"$DOCKER_CONFIG/config.json" &&
	test_expect_code 1 oci-fetch -C c2 $REG/multi/app:1 2>err &&
	test_one_line_error err "authentication failed"
'

test_expect_success 'without the CA: a certificate error pointing at certs.d' '
	mv "$CERTS" certs.saved &&
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}" "$REG" "$B64" \
	    >"$DOCKER_CONFIG/config.json" &&
	test_expect_code 1 oci-fetch -C c3 $REG/multi/app:1 2>err &&
	test_one_line_error err "certs.d" &&
	grep -e "--insecure" err
'

test_expect_success 'SSL_CERT_FILE supplies the CA (CURL_CA_BUNDLE would win)' '
	env -u CURL_CA_BUNDLE SSL_CERT_FILE=$REG_CA \
	    oci-fetch -C c3 -p linux/amd64 $REG/multi/app:1 >out &&
	jq -e -s "length == 2" out &&
	CURL_CA_BUNDLE=$REG_CA oci-fetch -C c3b -p linux/amd64 $REG/multi/app:1 >out &&
	jq -e -s "length == 2" out
'

test_expect_success '--insecure HOST:PORT skips verification, with a warning' '
	oci-fetch -C c4 --insecure $REG -p linux/amd64 $REG/multi/app:1 >out 2>err &&
	grep "TLS verification is off" err &&
	jq -e -s "length == 2" out &&
	mv certs.saved "$CERTS"
'

test_expect_success 'credHelpers: docker-credential-<name> get, key on stdin' '
	printf "{\"credHelpers\":{\"%s\":\"test\"}}" "$REG" \
	    >"$DOCKER_CONFIG/config.json" &&
	printf "{\"ServerURL\":\"%s\",\"Username\":\"tu\",\"Secret\":\"%s\"}" \
	    "$REG" "$PW" >helper.json &&
	: >helper.stdin &&
	oci-fetch -C c5 -p linux/amd64 $REG/multi/app:1 >out 2>err &&
	echo "$REG" >expect &&
	test_cmp expect helper.stdin &&
	no_secret out err
'

test_expect_success 'credsStore is used the same way' '
	echo "{\"credsStore\":\"test\"}" >"$DOCKER_CONFIG/config.json" &&
	: >helper.stdin &&
	oci-fetch -C c6 -p linux/amd64 $REG/multi/app:1 >out &&
	test_cmp expect helper.stdin
'

test_expect_success 'a missing helper: one warning, then anonymous (exit 1 here)' '
	printf "{\"credHelpers\":{\"%s\":\"absent\"}}" "$REG" \
	    >"$DOCKER_CONFIG/config.json" &&
	test_expect_code 1 oci-fetch -C c7 $REG/multi/app:1 2>err &&
	grep "docker-credential-absent" err &&
	test $(wc -l <err) = 2
'

test_expect_success 'a malformed config.json is an error naming it' '
	echo "{\"auths\":" >"$DOCKER_CONFIG/config.json" &&
	test_expect_code 1 oci-fetch -C c7 $REG/multi/app:1 2>err &&
	grep "config.json" err &&
	echo "{}" >"$DOCKER_CONFIG/config.json"
'

test_expect_success 'containers auth.json under XDG_RUNTIME_DIR' '
	mkdir -p "$XDG_RUNTIME_DIR/containers" &&
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}" "$REG" "$B64" \
	    >"$XDG_RUNTIME_DIR/containers/auth.json" &&
	oci-fetch -C c8 -p linux/amd64 $REG/multi/app:1 >out &&
	jq -e -s "length == 2" out &&
	rm "$XDG_RUNTIME_DIR/containers/auth.json"
'

# the mock: a token service with scopes, on this origin or another one
mock_start --user "tu:$PW" --quirk auth=bearer || exit 1

test_expect_success 'bearer: anonymous is refused by the token service (exit 1)' '
	test_expect_code 1 oci-fetch -C m1 $MOCK/multi/app:1 2>err &&
	test_one_line_error err "token service"
'

test_expect_success 'bearer: basic credentials go to the realm, a token to the registry' '
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}" "$MOCK" "$B64" \
	    >"$DOCKER_CONFIG/config.json" &&
	mock_log_reset &&
	oci-fetch -C m1 -p linux/amd64 $MOCK/multi/app:1 >out &&
	jq -e -s "length == 2" out &&
	test $(mock_requests ".path == \"/token\"") = 1 &&
	test $(mock_requests ".path == \"/token\" and .auth") = 1 &&
	test $(mock_requests "(.path | startswith(\"/v2/multi\")) and (.auth | not)") = 0 &&
	grep -F "scope=repository%3Amulti%2Fapp%3Apull" "$MOCK_LOG"
'

test_expect_success 'two repositories in one run: the scope set widens' '
	mock_log_reset &&
	oci-fetch -C m1b -p linux/amd64 $MOCK/multi/app:1 $MOCK/other/app:1 >out &&
	test $(wc -l <out) = 3 &&
	test $(mock_requests ".path == \"/token\"") = 2 &&
	jq -r "select(.path == \"/token\") | .query" "$MOCK_LOG" | tail -1 >q &&
	grep -F "scope=repository%3Amulti%2Fapp%3Apull" q &&
	grep -F "scope=repository%3Aother%2Fapp%3Apull" q
'

mock_start --user "tu:$PW" --quirk auth=bearer --quirk oauth=post || exit 1

test_expect_success 'an identity token is exchanged by OAuth2 POST' '
	printf "{\"auths\":{\"%s\":{\"identitytoken\":\"%s\"}}}" "$MOCK" "$PW" \
	    >"$DOCKER_CONFIG/config.json" &&
	oci-fetch -C m4 -p linux/amd64 $MOCK/multi/app:1 >out &&
	jq -e -s "length == 2" out &&
	test $(mock_requests ".path == \"/token\" and .method == \"POST\"") = 1 &&
	test $(mock_requests ".path == \"/token\" and .method == \"GET\"") = 0
'

test_expect_success 'proxy variables never apply to loopback' '
	http_proxy=http://127.0.0.1:1 HTTP_PROXY=http://127.0.0.1:1 \
	https_proxy=http://127.0.0.1:1 all_proxy=http://127.0.0.1:1 \
	    oci-fetch -C m5 -p linux/amd64 $MOCK/multi/app:1 >out &&
	jq -e -s "length == 2" out
'

mock_start --quirk auth=bearer --quirk realm=other-origin \
    --quirk token-fields=access_token --quirk blob-redirect=307 \
    --quirk cdn-reject-auth || exit 1

test_expect_success 'realm on another origin, access_token only, blobs on a CDN' '
	echo "{}" >"$DOCKER_CONFIG/config.json" &&
	oci-fetch -C m2 -p linux/amd64 $MOCK/multi/app:1 >out &&
	cache_valid m2 &&
	test $(mock_requests ".listener == \"cdn\" and (.path | startswith(\"/cdn/\"))") -gt 0
'

test_expect_success 'the CDN never receives the Authorization header' '
	test $(mock_requests ".listener == \"cdn\" and .auth") = 0 &&
	test $(mock_requests ".listener == \"reg\" and (.path | test(\"/blobs/\")) and .auth") -gt 0
'

mock_start --user "tu:$PW" --quirk auth=basic --quirk blob-redirect=302 || exit 1

test_expect_success 'basic registry (ECR style), blobs redirected' '
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}" "$MOCK" "$B64" \
	    >"$DOCKER_CONFIG/config.json" &&
	oci-fetch -C m3 -p linux/amd64 $MOCK/multi/app:1 >out &&
	cache_valid m3 &&
	test $(mock_requests ".listener == \"cdn\" and .auth") = 0 &&
	test $(mock_requests ".listener == \"reg\" and .status == 401") = 1
'

test_done
