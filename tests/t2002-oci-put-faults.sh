#!/bin/sh
test_description='oci-put through faultproxy.py: bearer auth with push scope,
interrupted and refused uploads, a cross-repository mount, a wrong
Docker-Content-Digest'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
. "$HELPERS/faultproxy.sh"

registry_start || exit 1

CREDS=pusher:s3cret
CREDS64=$(printf %s "$CREDS" | base64)

# config.json with USER:PASS for HOST:PORT, or none
creds () {
	mkdir -p "$DOCKER_CONFIG" &&
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$1" \
	    "$(printf %s "$2" | base64)" >"$DOCKER_CONFIG/config.json"
}
nocreds () { rm -f "$DOCKER_CONFIG/config.json"; }

# the manifest under REPO:TAG, read straight from the registry
raw () { skopeo inspect --tls-verify=false --raw "docker://$REG/$1"; }

# the registry has no manifest under REPO TAG
untagged () {
	_c=$(curl -s -o /dev/null -w '%{http_code}' \
	    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	    "$REG_URL/v2/$1/manifests/$2") &&
	test "$_c" = 404 || { echo "$1:$2 answers $_c" >&2; return 1; }
}

# REPO:TAG reads back from the registry (skopeo checks every blob's
# digest on the way) with the digest of the record in FILE
reads_back () {
	rm -rf back got &&
	skopeo copy -q --src-tls-verify=false "docker://$REG/$1" oci:back:x &&
	raw "$1" >got &&
	test "$(test_sha256 got)" = "$(jq -r .digest "$2")" &&
	test "$(jq -r '.manifests[0].digest' back/index.json)" = \
	    "$(jq -r .digest "$2")"
}

# the number of blobs of an image in the cache (config and layers)
nblobs () {
	skopeo inspect --raw "oci:cache:localhost/$1" |
	    jq -r '.config.digest, .layers[].digest' | sort -u | wc -l
}

# no credentials in the files named
no_secrets () {
	! grep -F -e s3cret -e "$CREDS64" "$@"
}

test_expect_success 'setup: small, medium and large images in a cache' '
	$OCITEST gen src app:1 --single --layers 2 --layer-size 100000 >/dev/null &&
	$OCITEST gen src small:1 --single --layers 1 --layer-size 50000 >/dev/null &&
	$OCITEST gen src big:1 --single --layers 1 --layer-size 9000000 >/dev/null &&
	for i in app:1 small:1 big:1; do
		skopeo copy -q oci:src:$i oci-archive:${i%%:*}.tar:localhost/$i &&
		oci-import -C cache ${i%%:*}.tar >/dev/null || exit 1
	done &&
	test "$(nblobs app:1)" = 3 && test "$(nblobs small:1)" = 2 &&
	skopeo inspect --raw oci:cache:localhost/big:1 |
	    jq -e ".layers[0].size > $((8 << 20))"
'

# --- bearer auth: pull for anyone, push for pusher ---------------------
proxy_start --auth bearer --user "$CREDS" || exit 1

test_expect_success 'bearer: the proxy wants a token, its realm says where' '
	curl -s -D hdr -o /dev/null "http://$PROXY/v2/" &&
	grep "^HTTP/1.1 401" hdr &&
	grep -i "^WWW-Authenticate: Bearer realm=\"http://$PROXY/token\",service=\"faultproxy\"" hdr &&
	curl -s -D hdr -o /dev/null -X POST "http://$PROXY/v2/x/blobs/uploads/" &&
	grep -i "scope=\"repository:x:pull,push\"" hdr &&
	curl -s -o tok "http://$PROXY/token?service=faultproxy&scope=repository:x:pull,push" &&
	jq -e ".expires_in == 300 and (.token | length > 0)" tok &&
	jq -e "select(.path | startswith(\"/token\")) |
	    .granted == [\"repository:x:pull\"]" "$PROXY_LOG"
'

test_expect_success 'bearer without credentials: exit 1, one line, nothing tagged' '
	nocreds &&
	proxy_log_reset &&
	test_expect_code 1 oci-put -C cache localhost/app:1 $PROXY/anon:1 \
	    >out 2>err &&
	test_one_line_error err "$PROXY/anon:1" && test ! -s out &&
	test "$(grep -o "sha256:" err | wc -l)" = 1 &&
	test "$(proxy_requests ".method == \"POST\" and .status == 401")" -ge 1 &&
	test "$(proxy_requests "(.method == \"PUT\" or .method == \"PATCH\")
	    and .status < 300")" = 0 &&
	test "$(proxy_requests ".granted and (.granted | any(endswith(\":push\")))")" = 0 &&
	untagged anon 1
'

test_expect_success 'bearer with credentials wrong: exit 1, one line' '
	creds $PROXY pusher:wrong &&
	test_expect_code 1 oci-put -C cache localhost/app:1 $PROXY/wrong:1 \
	    >out 2>err &&
	test_one_line_error err "$PROXY/wrong:1" && test ! -s out &&
	! grep -F -e pusher:wrong -e "$(printf pusher:wrong | base64)" \
	    err "$PROXY_LOG" &&
	untagged wrong 1
'

test_expect_success 'bearer with push scope: pushed, the same bytes in the registry' '
	creds $PROXY "$CREDS" &&
	proxy_log_reset &&
	oci-put -v -C cache localhost/app:1 $PROXY/app:1 >out 2>err &&
	jq -e ".ref == \"$PROXY/app:1\"" out &&
	test "$(proxy_requests ".scopes and (.scopes | index(\"repository:app:pull,push\"))
	    and (.granted | index(\"repository:app:push\"))")" -ge 1 &&
	test "$(proxy_requests ".method == \"PUT\" and .status == 201 and
	    (.path | startswith(\"/v2/app/manifests/1\"))")" = 1 &&
	raw app:1 >got &&
	test "$(test_sha256 got)" = "$(jq -r .digest out)" &&
	no_secrets err "$PROXY_LOG"
'

test_expect_success 're-push is a no-op: no POST, PUT or PATCH at the proxy' '
	creds $PROXY "$CREDS" &&
	oci-put -C cache localhost/small:1 $PROXY/again:1 >out &&
	proxy_log_reset &&
	oci-put -C cache localhost/small:1 $PROXY/again:1 >out2 &&
	test_cmp out out2 &&
	test "$(proxy_requests ".method == \"HEAD\" and
	    (.path | startswith(\"/v2/again/manifests/1\"))")" -ge 1 &&
	test "$(proxy_requests ".method == \"POST\" or .method == \"PUT\" or
	    .method == \"PATCH\"")" = 0
'

test_expect_success 'a cross-repository mount with bearer auth: from= and a pull token for the source' '
	creds $PROXY "$CREDS" &&
	oci-put -C cache localhost/app:1 $PROXY/msrc:1 >/dev/null &&
	proxy_log_reset &&
	oci-put -v -C cache --mount-from msrc localhost/app:1 $PROXY/mdst:1 \
	    >out 2>err &&
	grep "mdst:1.*0 blobs uploaded.*3 mounted" err &&
	test "$(proxy_requests ".method == \"POST\" and .status == 201 and
	    (.path | test(\"^/v2/mdst/blobs/uploads/[?]mount=sha256[^&]+&from=msrc$\"))")" = 3 &&
	test "$(proxy_requests ".method == \"PUT\" or .method == \"PATCH\"")" = 1 &&
	test "$(proxy_requests ".status == 401 and .method != \"GET\"")" = 0 &&
	test "$(proxy_requests ".scopes and (.scopes | index(\"repository:msrc:pull\"))
	    and (.granted | index(\"repository:msrc:pull\"))
	    and (.granted | index(\"repository:mdst:push\"))")" -ge 1 &&
	reads_back mdst:1 out &&
	no_secrets err "$PROXY_LOG"
'

# --- refused mounts: a plain upload instead (doc/registry-client.md §7.3)
proxy_start --auth bearer --user "$CREDS" --quirk mount=401 || exit 1

test_expect_success 'a mount refused with 401 (Harbor): a plain upload, exit 0' '
	creds $PROXY "$CREDS" &&
	oci-put -C cache localhost/app:1 $PROXY/hsrc:1 >/dev/null &&
	proxy_log_reset &&
	oci-put -v -C cache --mount-from hsrc localhost/app:1 $PROXY/hdst:1 \
	    >out 2>err &&
	grep "hdst:1.*3 blobs uploaded.*0 mounted" err &&
	test "$(proxy_requests ".quirk == \"mount\" and .status == 401")" = 6 &&
	test "$(proxy_requests ".method == \"POST\" and .status == 202 and
	    .path == \"/v2/hdst/blobs/uploads/\"")" = 3 &&
	reads_back hdst:1 out
'

proxy_start --quirk mount=401 || exit 1

test_expect_success 'a mount refused with 401 and no challenge: a plain upload' '
	nocreds &&
	oci-put -C cache localhost/small:1 $PROXY/nsrc:1 >/dev/null &&
	proxy_log_reset &&
	oci-put -v -C cache --mount-from nsrc localhost/small:1 $PROXY/ndst:1 \
	    >out 2>err &&
	grep "ndst:1.*2 blobs uploaded.*0 mounted" err &&
	test "$(proxy_requests ".quirk == \"mount\" and .status == 401")" = 2 &&
	test "$(proxy_requests ".method == \"POST\" and .status == 202")" = 2 &&
	reads_back ndst:1 out
'

# --- a reset PATCH (large blob), with bearer auth -----------------------
proxy_start --auth bearer --user "$CREDS" --quirk upload-reset=PATCH:1 || exit 1

test_expect_success 'a large blob whose PATCH is reset goes up again in a new session' '
	creds $PROXY "$CREDS" &&
	size=$(skopeo inspect --raw oci:cache:localhost/big:1 | jq .layers[0].size) &&
	oci-put -C cache localhost/big:1 $PROXY/rbig:1 >out 2>err &&
	test "$(proxy_requests ".quirk == \"upload-reset\" and .method == \"PATCH\"
	    and .status == 0 and .bytes > 0 and .bytes < $size")" = 1 &&
	test "$(proxy_requests ".method == \"PATCH\" and .status == 202
	    and .bytes == $size")" = 1 &&
	test "$(proxy_requests ".method == \"POST\" and .status == 202")" = 3 &&
	reads_back rbig:1 out &&
	no_secrets err "$PROXY_LOG"
'

# --- a reset monolithic PUT (small blob) --------------------------------
proxy_start --quirk upload-reset=PUT:1 || exit 1

test_expect_success 'a small blob whose monolithic PUT is reset goes up again' '
	nocreds &&
	oci-put -C cache localhost/small:1 $PROXY/rsmall:1 >out 2>err &&
	test "$(proxy_requests ".quirk == \"upload-reset\" and .method == \"PUT\"
	    and .status == 0 and .bytes > 0")" = 1 &&
	test "$(proxy_requests ".method == \"PATCH\"")" = 0 &&
	test "$(proxy_requests ".method == \"POST\" and .status == 202")" = 3 &&
	test "$(proxy_requests ".method == \"PUT\" and .status == 201 and
	    (.path | test(\"/blobs/uploads/\"))")" = 2 &&
	reads_back rsmall:1 out
'

# --- 500 and 404 on an upload -------------------------------------------
proxy_start --quirk upload-500=any:1 || exit 1

test_expect_success 'an upload answered 500 once: retried, pushed' '
	oci-put -C cache localhost/app:1 $PROXY/r500:1 >out 2>err &&
	test "$(proxy_requests ".quirk == \"upload-500\" and .status == 500")" = 1 &&
	test "$(proxy_requests ".method == \"POST\" and .status == 202")" = 4 &&
	reads_back r500:1 out
'

proxy_start --quirk upload-404=any:1 || exit 1

test_expect_success 'an upload session the registry lost (404): a new session, pushed' '
	oci-put -C cache localhost/app:1 $PROXY/r404:1 >out 2>err &&
	test "$(proxy_requests ".quirk == \"upload-404\" and .status == 404")" = 1 &&
	test "$(proxy_requests ".method == \"POST\" and .status == 202")" = 4 &&
	reads_back r404:1 out
'

# --- a registry that resets every upload --------------------------------
proxy_start --quirk upload-reset || exit 1

test_expect_success 'every upload reset: exit 1 naming a blob, a few sessions, no tag' '
	test_expect_code 1 timeout 60 oci-put -C cache localhost/small:1 \
	    $PROXY/dead:1 >out 2>err &&
	test_one_line_error err "$PROXY/dead:1" && test ! -s out &&
	test "$(grep -o "sha256:" err | wc -l)" = 1 &&
	named=$(grep -o "blob .sha256:[0-9a-f]*" err | cut -c7-) &&
	skopeo inspect --raw oci:cache:localhost/small:1 |
	    jq -r ".config.digest, .layers[].digest" | grep -x "$named" &&
	test "$(proxy_requests ".quirk == \"upload-reset\"")" = 8 &&
	test "$(proxy_requests ".method == \"POST\"")" = 8 &&
	test "$(proxy_requests ".method == \"PUT\" and .status != 0")" = 0 &&
	untagged dead 1
'

# --- a wrong Docker-Content-Digest on the manifest PUT ------------------
proxy_start --quirk manifest-dcd=wrong || exit 1

test_expect_success 'a manifest PUT answered with another digest: exit 1' '
	test_expect_code 1 oci-put -C cache localhost/small:1 $PROXY/dcd:1 \
	    >out 2>err &&
	test_one_line_error err "$PROXY/dcd:1" && grep "registry stored" err &&
	test ! -s out &&
	test "$(proxy_requests ".quirk == \"manifest-dcd\" and .method == \"PUT\"")" = 1
'

test_done
