#!/bin/sh
test_description='oci-index-merge: records checked against the cache, hostile
platforms refused, tens of thousands of records in linear time'
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

# blob CACHE FILE: store FILE as a blob of CACHE (as a crafted cache
# would hold it) and print its descriptor fields digest and size
blob () {
	_h=$(sha256sum "$2" | cut -d" " -f1) &&
	cp "$2" "$1/blobs/sha256/$_h" &&
	echo "sha256:$_h $(wc -c <"$2")"
}

# the record of the image named $1 in cache
record_of () {
	jq -c --arg n "$1" '.manifests[] | select(.annotations
	    ["org.opencontainers.image.ref.name"] == $n) | {ref: $n} + .' \
	    cache/index.json
}

test_expect_success 'setup: two images' '
	gen a:amd64 --single --seed 1 &&
	gen a:arm64 --single --seed 2 --platforms linux/arm64 &&
	record_of localhost/a:amd64 |
	    jq -c ".platform = {architecture: \"amd64\", os: \"linux\"}" >amd64.rec &&
	test -s amd64.rec
'

test_expect_success 'a record with a platform for a manifest the cache lacks: refused' '
	cp cache/index.json before &&
	jq -c ".digest = \"sha256:$(printf %064d 7)\"" amd64.rec >missing.rec &&
	test_expect_code 1 oci-index-merge -C cache --ref localhost/m:1 \
	    <missing.rec >out 2>err &&
	test_one_line_error err "sha256:$(printf %064d 7)" &&
	grep "line 1" err && grep "not in the cache" err &&
	test ! -s out && test_cmp before cache/index.json
'

test_expect_success 'a record with the wrong size: refused, nothing written' '
	jq -c ".size += 1" amd64.rec >size.rec &&
	test_expect_code 1 oci-index-merge -C cache --ref localhost/m:1 \
	    <size.rec 2>err &&
	test_one_line_error err "bytes" && test_cmp before cache/index.json
'

test_expect_success 'a record with the wrong media type: refused' '
	jq -c ".mediaType = \"application/vnd.docker.distribution.manifest.v2+json\"" \
	    amd64.rec >type.rec &&
	test_expect_code 1 oci-index-merge -C cache --ref localhost/m:1 \
	    <type.rec 2>err &&
	test "$(wc -l <err)" = 1 && test_cmp before cache/index.json
'

test_expect_success 'one bad record among good ones: nothing written' '
	cat amd64.rec missing.rec >mixed.rec &&
	test_expect_code 1 oci-index-merge -C cache --ref localhost/m:1 \
	    <mixed.rec 2>err &&
	grep "line 2" err && test_cmp before cache/index.json
'

test_expect_success 'an index record whose entry the cache lacks: refused' '
	d=$(jq -r .digest amd64.rec) && s=$(jq -r .size amd64.rec) &&
	printf "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%s,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%064d\",\"size\":5,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}" \
	    "$d" "$s" 9 >idx.json &&
	set -- $(blob cache idx.json) &&
	printf "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"%s\",\"size\":%s}\n" \
	    "$1" "$2" >idx.rec &&
	test_expect_code 1 oci-index-merge -C cache --ref localhost/m:1 \
	    <idx.rec 2>err &&
	test_one_line_error err "sha256:$(printf %064d 9)" &&
	grep "entry 1" err && test_cmp before cache/index.json
'

test_expect_success 'a hostile architecture in a record: refused, nothing written' '
	jq -c ".platform = {architecture: \"/../../../prod/manifests/pwned\",
	    os: \"linux\"}" amd64.rec >evil.rec &&
	test_expect_code 1 oci-index-merge -C cache --ref localhost/m:1 \
	    <evil.rec 2>err &&
	test_one_line_error err "architecture" &&
	test_cmp before cache/index.json
'

test_expect_success 'variants: a hostile variant or os, upper case, too long' '
	for p in "{architecture: \"arm\", os: \"linux\", variant: \"v7/../x\"}" \
	    "{architecture: \"amd64\", os: \"../linux\"}" \
	    "{architecture: \"AMD64\", os: \"linux\"}" \
	    "{architecture: \"$(printf %070d 0)\", os: \"linux\"}" \
	    "{architecture: \"amd64\u001b[2J\", os: \"linux\"}"; do
		jq -c ".platform = $p" amd64.rec >v.rec &&
		test_expect_code 1 oci-index-merge -C cache --ref localhost/m:1 \
		    <v.rec 2>err && test "$(wc -l <err)" = 1 &&
		! grep "$(printf "\033")" err || return 1
	done &&
	test_cmp before cache/index.json
'

test_expect_success '--arches outside the grammar: a usage error (2)' '
	test_expect_code 2 oci-index-merge -C cache --ref localhost/a:1 \
	    --arch-tags --arches "amd64,../../x" 2>err &&
	test_one_line_error err "architecture" &&
	test_expect_code 2 oci-index-merge -C cache --ref localhost/a:1 \
	    --arch-tags --arches "$(printf %0130d 0)" 2>err &&
	test_cmp before cache/index.json
'

test_expect_success 'a registry index with a hostile platform: refused (--remote)' '
	jq -c "{schemaVersion: 2, mediaType: \"application/vnd.oci.image.index.v1+json\",
	    manifests: [del(.ref) | del(.annotations) | .platform =
	    {architecture: \"/../../../prod/manifests/pwned\", os: \"linux\"}]}" \
	    amd64.rec >remote.json &&
	skopeo copy -q --dest-tls-verify=false oci:cache:localhost/a:amd64 \
	    docker://$REG/h:1-amd64 &&
	curl -s -o /dev/null -w "%{http_code}\n" -X PUT \
	    -H "Content-Type: application/vnd.oci.image.index.v1+json" \
	    --data-binary @remote.json "$REG_URL/v2/h/manifests/1" >code &&
	grep 201 code &&
	test_expect_code 1 oci-index-merge -C cache --ref $REG/h:1 --remote \
	    localhost/a:arm64 2>err &&
	test_one_line_error err "architecture" &&
	test_cmp before cache/index.json
'

# make_many N CACHE: N image manifests (one config, no layers needed) as
# blobs of CACHE, and N records on stdout: N/2 with os.version platforms,
# N/2 attestations of them
make_many () {
	python3 - "$1" "$2" <<-\EOF
	import hashlib, json, os, sys
	n, cache = int(sys.argv[1]), sys.argv[2]
	os.makedirs(os.path.join(cache, "blobs/sha256"), exist_ok=True)
	open(os.path.join(cache, "oci-layout"), "w").write(
	    "{\"imageLayoutVersion\":\"1.0.0\"}")
	open(os.path.join(cache, "index.json"), "w").write(
	    "{\"schemaVersion\":2,\"manifests\":[]}")
	def put(b):
	    h = hashlib.sha256(b).hexdigest()
	    open(os.path.join(cache, "blobs/sha256", h), "wb").write(b)
	    return "sha256:" + h
	cfg = b"{\"architecture\":\"amd64\",\"os\":\"linux\"}"
	c = put(cfg)
	mt = "application/vnd.oci.image.manifest.v1+json"
	out = sys.stdout
	half = n // 2
	digests = []
	for i in range(n):
	    m = json.dumps({"schemaVersion": 2, "mediaType": mt,
	        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
	                   "digest": c, "size": len(cfg)},
	        "layers": [], "annotations": {"n": str(i)}},
	        separators=(",", ":")).encode()
	    d = put(m)
	    rec = {"ref": "localhost/x:%d" % i, "mediaType": mt, "size": len(m), "digest": d}
	    if i < half:
	        rec["platform"] = {"architecture": "amd64", "os": "linux",
	                           "os.version": "1.%d" % i}
	        digests.append(d)
	    else:
	        rec["platform"] = {"architecture": "unknown", "os": "unknown"}
	        rec["annotations"] = {
	            "vnd.docker.reference.digest": digests[i - half],
	            "vnd.docker.reference.type": "attestation-manifest"}
	    out.write(json.dumps(rec, separators=(",", ":")) + "\n")
	EOF
}

test_expect_success '20,000 records: indexed, linear enough to finish' '
	make_many 20000 big >many.rec &&
	test "$(wc -l <many.rec)" = 20000 &&
	timeout 60 oci-index-merge -C big --ref localhost/many:1 <many.rec >out &&
	d=$(jq -r .digest out | cut -d: -f2) &&
	jq -e ".manifests | length == 20000" big/blobs/sha256/$d &&
	jq -e ".manifests[0].platform[\"os.version\"] == \"1.0\" and
	    .manifests[10000].annotations[\"vnd.docker.reference.type\"] ==
	    \"attestation-manifest\"" big/blobs/sha256/$d
'

test_expect_success 'and merged again into that index of 20,000: same entries' '
	timeout 60 oci-index-merge -C big --ref localhost/many:1 <many.rec >out2 &&
	test "$(jq -r .digest out2)" = "$(jq -r .digest out)"
'

test_done
