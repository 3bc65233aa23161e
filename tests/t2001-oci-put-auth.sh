#!/bin/sh
test_description='oci-put: basic auth over TLS, credentials from config.json'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

registry_start --tls --htpasswd pusher:s3cret || exit 1

test_expect_success 'setup: an image in the cache' '
	$OCITEST gen src app:1 --single --layers 2 --layer-size 100000 >/dev/null &&
	skopeo copy -q oci:src:app:1 oci-archive:app.tar:localhost/app:1 &&
	oci-import -C cache app.tar >/dev/null
'

test_expect_success 'without credentials: exit 1, one line, nothing pushed' '
	test_expect_code 1 oci-put -C cache localhost/app:1 $REG/app:1 >out 2>err &&
	test_one_line_error err "$REG/app:1" && test ! -s out &&
	! grep s3cret err
'

test_expect_success 'with credentials in config.json: pushed over TLS' '
	mkdir -p "$DOCKER_CONFIG" &&
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}" "$REG" \
	    "$(printf pusher:s3cret | base64)" >"$DOCKER_CONFIG/config.json" &&
	oci-put -v -C cache localhost/app:1 $REG/app:1 >out 2>err &&
	jq -e ".ref == \"$REG/app:1\"" out &&
	! grep s3cret err &&
	skopeo inspect --cert-dir "$XDG_CONFIG_HOME/containers/certs.d/$REG" \
	    --creds pusher:s3cret \
	    --raw docker://$REG/app:1 >raw &&
	test "$(test_sha256 raw)" = "$(jq -r .digest out)"
'

test_expect_success 'wrong credentials: exit 1 saying authentication failed' '
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}" "$REG" \
	    "$(printf pusher:wrong | base64)" >"$DOCKER_CONFIG/config.json" &&
	test_expect_code 1 oci-put -C cache localhost/app:1 $REG/app:2 2>err &&
	test_one_line_error err "$REG/app:2" && grep -i "auth\|denied\|401" err
'

test_done
