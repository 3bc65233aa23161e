#!/bin/sh
test_description='oci-put: two machines publish one tag (the registry index
merges), releases and arch tags named in the cache, --mount-from references,
hostile platforms'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

registry_start || exit 1

raw () { skopeo inspect --tls-verify=false --raw "docker://$1"; }
exists () { skopeo inspect --tls-verify=false --raw "docker://$1" >/dev/null 2>&1; }
platforms () {
	raw "$1" | jq -r "[.manifests[].platform.architecture] | join(\",\")"
}
# the names of cache $1
names () {
	jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' \
	    "$1/index.json" | sort
}
mark () { wc -l <"$REG_DIR/log" >mark; }
since_mark () {
	tail -n +$(( $(cat mark) + 1 )) "$REG_DIR/log" | grep -cE "$1" || true
}

# build ARCH SEED: what a builder writes for one arch, an OCI archive of an
# index holding the image and its attestation, as out-ARCH.tar
build () {
	$OCITEST gen "$TRASH/src" "b:$1-$2" --attest --seed "$2" \
	    --platforms "linux/$1" >/dev/null &&
	skopeo copy -q --all "oci:$TRASH/src:b:$1-$2" \
	    "oci-archive:$TRASH/out-$1.tar:x/b:$1"
}

# the README recipe, word for word but for the names, on machine $1
machine () {
	(
	export LINUXKIT_CACHE="$TRASH/$1"
	oci-import --ref $REG/foo:abc-$2 "$TRASH/out-$2.tar" &&
	oci-index-merge --ref $REG/foo:abc --arch-tags 2>/dev/null &&
	oci-put --arch-tags $REG/foo:abc
	)
}

# the index a machine holds under foo:abc, its manifests compact
local_entries () {
	d=$(jq -r --arg n "$REG/foo:abc" '.manifests[] | select(.annotations
	    ["org.opencontainers.image.ref.name"] == $n) | .digest' \
	    "$1/index.json" | cut -d: -f2) &&
	jq -c .manifests "$1/blobs/sha256/$d"
}

test_expect_success 'machine A pushes amd64 (README recipe)' '
	build amd64 1 && machine ma amd64 >a.out &&
	test "$(platforms $REG/foo:abc)" = amd64,unknown &&
	exists $REG/foo:abc-amd64
'

test_expect_success 'machine B pushes arm64: the registry index lists both' '
	build arm64 2 && machine mb arm64 >b.out &&
	test "$(platforms $REG/foo:abc)" = arm64,unknown,amd64,unknown &&
	exists $REG/foo:abc-amd64 && exists $REG/foo:abc-arm64
'

test_expect_success 'the merged index: B first, then A, serialised as LinuxKit does' '
	local_entries mb >b.json && local_entries ma >a.json &&
	jq -cn --slurpfile a a.json --slurpfile b b.json "{schemaVersion: 2,
	    mediaType: \"application/vnd.oci.image.index.v1+json\",
	    manifests: (\$b[0] + \$a[0])}" | tr -d "\n" >expect &&
	raw $REG/foo:abc >got &&
	test_cmp expect got &&
	jq -r "select(.ref == \"$REG/foo:abc\") | .digest" b.out | tail -1 >rec &&
	test "$(cat rec)" = "$(test_sha256 got)"
'

test_expect_success 'each machine named only its own arch tag and no merged index' '
	names mb >n && grep -x "$REG/foo:abc-arm64" n &&
	! grep -x "$REG/foo:abc-amd64" n &&
	python3 "$HELPERS/cachecheck.py" mb --complete
'

test_expect_success 'the pkg manifest recipe from a third machine: the index stands' '
	before=$(raw $REG/foo:abc | sha256sum) &&
	mark &&
	LINUXKIT_CACHE=$TRASH/mc oci-index-merge --ref $REG/foo:abc --arch-tags \
	    --remote 2>/dev/null | jq -r .ref |
	    LINUXKIT_CACHE=$TRASH/mc xargs oci-put >c.out &&
	test "$(raw $REG/foo:abc | sha256sum)" = "$before" &&
	test "$(since_mark "\"PUT /v2/foo/manifests/abc ")" = 0
'

test_expect_success 'a new amd64 build replaces amd64 and keeps arm64' '
	old=$(jq -r ".[0].digest" a.json) &&
	build amd64 3 && machine ma amd64 >a2.out &&
	test "$(platforms $REG/foo:abc)" = amd64,unknown,arm64,unknown &&
	! raw $REG/foo:abc | grep "$old" &&
	test "$(raw $REG/foo:abc-amd64 >r && test_sha256 r)" = \
	    "$(local_entries ma | jq -r ".[0].digest")"
'

test_expect_success 'a re-push of entries the registry index lists: nothing PUT' '
	before=$(raw $REG/foo:abc | sha256sum) &&
	mark &&
	LINUXKIT_CACHE=$TRASH/mb oci-put --arch-tags $REG/foo:abc >out &&
	test "$(raw $REG/foo:abc | sha256sum)" = "$before" &&
	test "$(since_mark "\"PUT /v2/foo/manifests/abc ")" = 0 &&
	test "$(jq -r "select(.ref == \"$REG/foo:abc\") | .digest" out)" = \
	    "$(test_sha256 "$(raw $REG/foo:abc >r; echo r)")"
'

test_expect_success 'an image under the tag is replaced, not merged' '
	LINUXKIT_CACHE=$TRASH/ma oci-put $REG/foo:abc-amd64 $REG/img:1 >/dev/null &&
	LINUXKIT_CACHE=$TRASH/ma oci-put $REG/foo:abc $REG/img:1 >out &&
	test "$(platforms $REG/img:1)" = amd64,unknown
'

test_expect_success 'the same index already there: no arch tags (LinuxKit)' '
	LINUXKIT_CACHE=$TRASH/ma oci-put $REG/foo:abc $REG/eq:1 >/dev/null &&
	LINUXKIT_CACHE=$TRASH/ma oci-put --arch-tags $REG/foo:abc $REG/eq:1 >out &&
	test "$(wc -l <out)" = 1 && ! exists $REG/eq:1-amd64
'

test_expect_success 'a release names R in the cache as well as R-ARCH' '
	LINUXKIT_CACHE=$TRASH/ma oci-put --arch-tags --no-override \
	    $REG/foo:abc $REG/foo:v1 >out &&
	names ma >n &&
	grep -x "$REG/foo:v1" n && grep -x "$REG/foo:v1-amd64" n &&
	test "$(jq -r --arg n $REG/foo:v1 ".manifests[] | select(.annotations
	    [\"org.opencontainers.image.ref.name\"] == \$n) | .digest" \
	    ma/index.json)" = "$(raw $REG/foo:v1 >r && test_sha256 r)"
'

test_expect_success 'a release over another R: R left alone, not named locally' '
	LINUXKIT_CACHE=$TRASH/mb oci-put --no-override $REG/foo:abc-arm64 \
	    $REG/foo:v2 >/dev/null &&
	LINUXKIT_CACHE=$TRASH/ma oci-put --arch-tags --no-override \
	    $REG/foo:abc $REG/foo:v2 >out 2>err &&
	grep "already exists" err && test ! -s out &&
	! names ma | grep -x "$REG/foo:v2" && ! exists $REG/foo:v2-amd64
'

test_expect_success '--arch-tags skips (and names nothing for) partial manifests' '
	test -n "$(names mc | grep -x "$REG/foo:abc")" &&
	LINUXKIT_CACHE=$TRASH/mc oci-put --arch-tags $REG/foo:abc \
	    $REG/foo:p1 >out &&
	test "$(jq -r .ref out)" = "$REG/foo:p1" &&
	! names mc | grep -e "-amd64\$" -e "-arm64\$" &&
	! exists $REG/foo:p1-amd64 && ! exists $REG/foo:p1-arm64
'

test_expect_success 'setup: an image in a plain cache' '
	$OCITEST gen "$TRASH/src" app:1 --single --layers 3 --seed 9 >/dev/null &&
	skopeo copy -q oci:$TRASH/src:app:1 oci-archive:app.tar:localhost/app:1 &&
	oci-import -C cache app.tar >/dev/null &&
	oci-put -C cache localhost/app:1 $REG/app:1 >/dev/null
'

test_expect_success '--mount-from HOST:PORT/REPO mounts' '
	oci-put -v -C cache --mount-from $REG/app localhost/app:1 $REG/m1:1 \
	    >out 2>err &&
	grep "m1:1.*0 blobs uploaded.*[1-9] mounted" err
'

test_expect_success '--mount-from a repository of another registry: said, uploaded' '
	oci-put -v -C cache --mount-from other.example:5000/app localhost/app:1 \
	    $REG/m2:1 >out 2>err &&
	grep "cannot mount from .other.example:5000/app.*another registry" err &&
	grep "m2:1.*[1-9] blobs uploaded.*0 mounted" err &&
	test_expect_code 2 oci-put -C cache --mount-from "Bad Repo" \
	    localhost/app:1 $REG/m3:1 2>err &&
	test_one_line_error err "Bad Repo"
'

# evil CACHE NAME ARCH: name an index in CACHE whose one entry is the
# image localhost/app:1 with platform ARCH
evil () {
	m=$(jq -c '.manifests[] | select(.annotations
	    ["org.opencontainers.image.ref.name"] == "localhost/app:1") |
	    del(.annotations)' "$1/index.json") &&
	printf "%s" "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[$(echo "$m" |
	    jq -c --arg a "$3" ". + {platform: {architecture: \$a, os: \"linux\"}}")]}" >evil.json &&
	h=$(sha256sum evil.json | cut -d" " -f1) &&
	cp evil.json "$1/blobs/sha256/$h" &&
	jq -c --arg n "$2" --arg d "sha256:$h" --argjson s "$(wc -c <evil.json)" \
	    ".manifests |= map(select(.annotations
	    [\"org.opencontainers.image.ref.name\"] != \$n)) |
	    .manifests += [{mediaType: \"application/vnd.oci.image.index.v1+json\",
	    digest: \$d, size: \$s, annotations:
	    {\"org.opencontainers.image.ref.name\": \$n}}]" \
	    "$1/index.json" >ix && mv ix "$1/index.json"
}

test_expect_success 'an architecture with a path in it never becomes a tag' '
	evil cache $REG/evil:1 "/../../../prod/manifests/pwned" &&
	cp cache/index.json before &&
	test_expect_code 1 oci-put -C cache --arch-tags $REG/evil:1 >out 2>err &&
	test_one_line_error err "architecture" &&
	test ! -s out &&
	curl -s "$REG_URL/v2/_catalog" | jq -e ".repositories |
	    (index(\"prod\") == null and index(\"evil\") == null)" &&
	test_cmp before cache/index.json
'

test_expect_success 'variants: dots, upper case, too long, a tag too long' '
	for a in .. "AMD64" "amd64/x" "$(printf %070d 0)"; do
		evil cache $REG/evil:2 "$a" &&
		test_expect_code 1 oci-put -C cache --arch-tags $REG/evil:2 \
		    2>err >out && test ! -s out || return 1
	done &&
	t=$(printf %0100d 0) &&
	evil cache $REG/evil:$t "$(printf %040d 0)" &&
	test_expect_code 1 oci-put -C cache --arch-tags $REG/evil:$t 2>err &&
	test_one_line_error err "not a valid tag" &&
	curl -s "$REG_URL/v2/_catalog" | jq -e ".repositories |
	    index(\"evil\") == null"
'

# shape FILE TOOL VERB SUBJECT: one line "TOOL: cannot VERB 'SUBJECT': ..."
# naming the subject once
shape () {
	test "$(wc -l <"$1")" = 1 &&
	grep -q "^$2: cannot $3 '$4': [^ ]" "$1" &&
	test "$(grep -o -F "$4" "$1" | wc -l)" = 1 || { cat "$1" >&2; return 1; }
}

test_expect_success 'messages: the tool, the subject once, the status by kind' '
	port=$(test_free_port) &&
	test_expect_code 3 oci-put -C cache localhost/nope:1 2>err &&
	shape err oci-put push localhost/nope:1 &&
	test_expect_code 3 oci-put -C nocache localhost/app:1 2>err &&
	shape err oci-put push localhost/app:1 &&
	test_expect_code 1 env OCIKIT_HTTP_DEADLINE=1 oci-put -C cache \
	    localhost/app:1 127.0.0.1:$port/x:1 2>err &&
	shape err oci-put push 127.0.0.1:$port/x:1 &&
	test_expect_code 2 oci-put -C cache localhost/app:1 "Bad Dest" 2>err &&
	shape err oci-put push "Bad Dest" &&
	test_expect_code 3 oci-index-merge -C cache --ref localhost/i:1 \
	    localhost/nope:1 2>err &&
	shape err oci-index-merge index localhost/nope:1 &&
	test_expect_code 1 oci-index-merge -C cache --ref 127.0.0.1:$port/i:1 \
	    --remote localhost/app:1 2>err &&
	shape err oci-index-merge index 127.0.0.1:$port/i:1 &&
	printf "{\"mediaType\":\"x\"}\n" >bad.rec &&
	test_expect_code 1 oci-index-merge -C cache --ref localhost/i:1 \
	    <bad.rec 2>err &&
	shape err oci-index-merge index localhost/i:1
'

test_done
