#!/bin/sh
test_description='values that become tags or paths are checked against their grammar: an index naming /../ as an architecture never leaves the parser'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
. "$HELPERS/fetch.sh"

# hostile NAME:TAG FIELD VALUE: a copy of multi/app:1 under NAME:TAG whose
# index gives its first entry's platform FIELD the JSON value VALUE
hostile () {
	python3 - "$TRASH/images" "$@" <<-'EOF'
	import hashlib, json, os, sys
	root, name, field, value = sys.argv[1:5]
	idx = json.load(open(os.path.join(root, "index.json")))
	src = [m for m in idx["manifests"] if m["annotations"]
	       ["org.opencontainers.image.ref.name"] == "multi/app:1"][0]
	blob = lambda d: os.path.join(root, "blobs", *d.split(":"))
	doc = json.load(open(blob(src["digest"])))
	doc["manifests"][0]["platform"][field] = json.loads(value)
	body = json.dumps(doc).encode()
	dg = "sha256:" + hashlib.sha256(body).hexdigest()
	open(blob(dg), "wb").write(body)
	new = dict(src, digest=dg, size=len(body))
	new["annotations"] = {"org.opencontainers.image.ref.name": name}
	idx["manifests"].append(new)
	json.dump(idx, open(os.path.join(root, "index.json"), "w"))
	EOF
}

make_image multi/app:1 --platforms linux/amd64,linux/arm64 --layers 1 >/dev/null
hostile evil/arch:1 architecture '"/../../../prod/manifests/pwned"'
hostile evil/variant:1 variant '"v7/../../x"'
hostile evil/os:1 os '"linux\n"'
hostile evil/type:1 variant '7'
mock_start || exit 1

test_expect_success 'setup: the good image fetches' '
	oci-fetch -C c -p linux/amd64 $MOCK/multi/app:1 >out &&
	cp c/index.json before
'

for n in arch variant os type; do
	test_expect_success "an index with a bad platform $n is refused, nothing stored" "
		test_expect_code 1 oci-fetch -C c -p linux/amd64 \
		    \$MOCK/evil/$n:1 >out 2>err &&
		test_one_line_error err platform && test ! -s out &&
		test_cmp before c/index.json && cache_valid c
	"
done

test_expect_success 'with --all-platforms too' '
	test_expect_code 1 oci-fetch -C c --all-platforms $MOCK/evil/arch:1 \
	    >out 2>err &&
	test_one_line_error err architecture && test_cmp before c/index.json
'

test_expect_success 'a record whose platform is a path is refused by oci-index-merge' '
	d=$(jq -r ".manifests[] | select(.platform.architecture == \"amd64\") |
	    .digest" c/index.json | head -1) &&
	n=$(wc -c <c/blobs/sha256/${d#sha256:}) &&
	echo "{\"ref\":\"x\",\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$d\",\"size\":$n,\"platform\":{\"os\":\"linux\",\"architecture\":\"../../x\"}}" >rec &&
	test_expect_code 1 oci-index-merge -C c --ref localhost/m:1 <rec \
	    >out2 2>err &&
	grep architecture err && test_cmp before c/index.json
'

test_done
