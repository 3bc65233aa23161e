#!/bin/sh
test_description='oci-fetch: a registry that wants a client certificate from certs.d'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
. "$HELPERS/fetch.sh"

make_image app:1 --single --layers 1 >/dev/null
registry_start --tls --client-certs || exit 1
registry_push "$TRASH/images" app:1 || exit 1
CERTS=$XDG_CONFIG_HOME/containers/certs.d/$REG

test_expect_success 'without a client certificate the registry refuses (exit 1)' '
	test_expect_code 1 oci-fetch -C c1 $REG/app:1 >out 2>err &&
	test ! -s out &&
	test_one_line_error err "$REG"
'

test_expect_success 'client.cert and client.key in certs.d are presented' '
	cp "$REG_CLIENT_CERT" "$CERTS/client.cert" &&
	cp "$REG_CLIENT_KEY" "$CERTS/client.key" &&
	oci-fetch -C c2 $REG/app:1 >out &&
	jq -e ".digest == \"$(src_root app:1)\"" out &&
	cache_valid c2
'

test_expect_success 'a .cert without its .key is an error naming the file' '
	mv "$CERTS/client.key" key.saved &&
	test_expect_code 1 oci-fetch -C c3 $REG/app:1 2>err &&
	test_one_line_error err "client.cert"
'

test_done
