#!/bin/sh
# tests/fuzz/mkcorpus.sh - (re)write the seed corpora tests/fuzz/corpus/*
#
#   sh tests/fuzz/mkcorpus.sh BUILD_FUZZ_DIR
#
# Seeds come from the test fixtures (tests/helpers/ocitest.py images,
# tests/helpers/badtar.py variants, skopeo's docker-archive writer) and
# small inputs written here. The structured harnesses print the digests
# of their fixed blobs (OCIKIT_FUZZ_PRINT), so their seeds match them.
# Inputs found by fuzzing are added by hand as NAME/crash-WHAT and kept.
set -eu
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
helpers=$here/../helpers
c=$here/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

seed() { mkdir -p "$c/$1" && cat >"$c/$1/$2"; }
lines() { n=0; while IFS= read -r l; do n=$((n + 1)); printf '%s' "$l" | seed "$1" "seed-$n"; done; }

# ---- references and challenges, from tests/unit/t-ref.c, t-auth.c ----
lines ref <<'EOF'
alpine
alpine:3.19
linuxkit/foo:abc
localhost/b
my.reg/b:1
host:5000/b
a/b/c
127.0.0.1:5555/bench/big
[::1]:5000/x/y:t
alpine@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
a/b:t@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
foo/bar-baz__q.x:v1.2_3-rc
Alpine
alpine:-bad
a//b
a/b___c
alpine@sha256:abc
../etc/passwd
-host.io/x
localhost:5000/app/x:1.2
docker.io/library/alpine@sha512:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
EOF
lines auth-challenge <<'EOF'
Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"
Basic realm="reg", Bearer realm="https://a/t"
bearer realm=https://a/t,error="invalid_token"
Bearer realm="a\"b"
Negotiate abc==, Basic realm="r"
Bearer realm="a",realm="b"
Bearer service="x"
Basic realm="Registry Realm", charset="UTF-8"
EOF
lines auth-token <<'EOF'
{"token":"abc","expires_in":300}
{"access_token":"xyz","expires_in":30,"issued_at":"2024-01-01T00:00:00Z"}
{"token":"","access_token":"x"}
{"token":"t","expires_in":9223372036854775807}
{"token":"t","expires_in":-9223372036854775808}
{"token":1}
[]
EOF
printf '120' | seed http-headers retry-delta
printf 'Wed, 21 Oct 2015 07:28:00 GMT\nWed, 21 Oct 2015 07:27:00 GMT' |
    seed http-headers retry-date
printf '99999999999999999999' | seed http-headers retry-huge
printf '</v2/a/b/tags/list?n=10&last=x>; rel="next"' | seed http-headers link
printf 'https://auth.example/token?x=1' | seed http-headers location-abs
printf '//other.example/x' | seed http-headers location-netpath
printf '../../blobs/sha256:abc\nx\nhttp://[::1]:5000/v2/' |
    seed http-headers location-rel

# ---- images from the generator: manifests, indexes, configs, tars ----
python3 "$helpers/ocitest.py" gen "$tmp/oci" app:1 --single --layers 1 \
    --layer-size 200 >/dev/null
python3 "$helpers/ocitest.py" gen "$tmp/oci" multi:1 --attest --layers 1 \
    --layer-size 100 --platforms linux/amd64,linux/arm/v7 >/dev/null
python3 "$helpers/ocitest.py" gen "$tmp/dk" dk:1 --single --docker \
    --layers 1 --layer-size 100 >/dev/null
i=0
for b in "$tmp"/oci/blobs/sha256/* "$tmp"/dk/blobs/sha256/*; do
	i=$((i + 1))
	mt=$(jq -r '.mediaType // empty' "$b" 2>/dev/null) || continue
	case $mt in
	*manifest*|*index*)
		# first byte 0: no Content-Type, no descriptor type
		{ printf '\000'; cat "$b"; } | seed manifest "fixture-$i"
		# first byte 2: the Content-Type says OCI index
		{ printf '\002'; cat "$b"; } | seed manifest "fixture-$i-ct" ;;
	'') jq -e .architecture "$b" >/dev/null 2>&1 && seed config "fixture-$i" <"$b" ;;
	esac
done
jq -c '.manifests[0]' "$tmp/oci/index.json" | seed config descriptor
jq -c '.manifests[]' "$tmp/oci/index.json" | seed records fixture-index
printf '{"ref":"a:1","mediaType":"m","digest":"sha256:%064d","size":1,"platform":{"os":"linux","architecture":"arm64"}}\r\n\n{}\n[1]\n' 0 |
    seed records hand-1
printf '{"a":1}\n{"a":1,"a":2}\n' | seed records dup-key
printf '{"ref":1,"a":2}\n{"ref":"x","b":[1,{"c":null}]}\n' | seed records ref-types

# the tar harnesses: an OCI layout, skopeo's docker save, hostile variants
python3 "$helpers/ocitest.py" gen "$tmp/small" s:1 --single --layers 1 \
    --layer-size 10 >/dev/null
(cd "$tmp/small" && tar --owner=0 --group=0 --numeric-owner --mtime=@0 \
    --sort=name -cf "$tmp/oci.tar" .)
seed import oci-layout <"$tmp/oci.tar"
seed tar oci-layout <"$tmp/oci.tar"
gzip -9n <"$tmp/oci.tar" | seed tar oci-layout.gz
zstd -q -19 <"$tmp/oci.tar" | seed tar oci-layout.zst
skopeo copy -q oci:"$tmp/small":s:1 docker-archive:"$tmp/docker.tar":dk:1
seed import docker-save <"$tmp/docker.tar"
for k in symlink-up hardlink-out blob-link size-lie missing-blob dup-keys \
    bad-manifest truncated; do
	python3 "$helpers/badtar.py" "$k" "$tmp/small" "$tmp/$k.tar"
	seed import "bad-$k" <"$tmp/$k.tar"
done
for k in symlink-up hardlink-out device fifo dotdot absolute; do
	python3 "$helpers/badtar.py" "$k" "$tmp/small" "$tmp/$k.tar"
	seed tar "bad-$k" <"$tmp/$k.tar"
done
printf 'fa\nd./\nfb/c\nlb/d\t../a\nhe\tb/c\n' | seed tar-names links
printf 'f./x//y/.\nlz\t./x/y\nly\t/etc/passwd\nlw\t../../x\n' | seed tar-names odd
printf 'dblobs/sha256/\nlblobs/sha256/aa\tbb\nfblobs/sha256/bb\npfifo\nh../up\ta\n' |
    seed tar-names blobs
printf 'la/b\t../../..\nlx\tx\nha\ta\n' | seed tar-names climb

# ---- the structured import harnesses, from their fixed blobs ----
OCIKIT_FUZZ_PRINT=1 "$dir/fuzz-import-index" >"$tmp/descs"
man=$(sed -n 3p "$tmp/descs") idx=$(sed -n 4p "$tmp/descs")
mi=$(printf '%s' "$man" | jq -c '. + {annotations: {"org.opencontainers.image.ref.name": "localhost/x:1"}}')
ii=$(printf '%s' "$idx" | jq -c '. + {annotations: {"io.containerd.image.name": "docker.io/library/y:2"}}')
printf '\000{"schemaVersion":2,"manifests":[%s]}' "$mi" | seed import-index manifest
printf '\000{"schemaVersion":2,"manifests":[%s,%s]}' "$ii" "$man" | seed import-index index
printf '\004{"schemaVersion":2,"manifests":[%s]}' "$idx" | seed import-index no-manifest-blob
printf '\040{"schemaVersion":2,"manifests":[%s]}' "$man" | seed import-index layer-link
OCIKIT_FUZZ_PRINT=1 "$dir/fuzz-dockersave" >"$tmp/paths"
cfg=$(sed -n 1p "$tmp/paths") pl=$(sed -n 2p "$tmp/paths")
gz=$(sed -n 3p "$tmp/paths") sh=$(sed -n 4p "$tmp/paths")
printf '\000[{"Config":"%s","RepoTags":["x:1","localhost:5000/y/z:2"],"Layers":["%s","%s"]}]' \
    "$cfg" "$pl" "$sh" | seed dockersave two-tags
printf '\000[{"Config":"%s","RepoTags":null,"Layers":["%s","%s"]}]' \
    "$cfg" "$gz" "$pl" | seed dockersave gzip-layer
printf '\000[{"Config":"%s","Layers":["%s","%s"]},{"Config":"%s","RepoTags":["a"],"Layers":["%s","%s"]}]' \
    "$cfg" "$pl" "$pl" "$cfg" "$pl" "$sh" | seed dockersave two-images
printf '\020[{"Config":"%s","Layers":["%s","%s"]}]' "$cfg" "$sh" "$sh" |
    seed dockersave link-loop

# ---- layers to flatten: whiteouts, opaque directories, links ----
printf 'dbin\nfbin/sh\nfetc/passwd\nletc/alt\tpasswd\n---\nfetc/.wh.passwd\nfbin/busybox\nhbin/sh2\tbin/busybox\n---\nfetc/.wh..wh..opq\nfetc/new\n' |
    seed flatten whiteouts
printf 'da\nfa/b\n---\nla\t/tmp\n---\nfa/c\n' | seed flatten dir-to-link
printf 'fx\n---\nhy\tx\n---\nfx/.wh.x\nf.wh.x\n' | seed flatten hardlink-whiteout
printf 'f./a//b\n---\nla/../c\t../d\n---\n' | seed flatten names

# ---- build.yml, from tests/t4001-pkg-tag-buildyml.sh ----
printf 'image: p\nnetwork: yes\norg: null\n' | seed buildyml y1
printf 'image: &n p\ngitrepo: *n\n---\nimage: other\n' | seed buildyml anchor
printf 'image: p\narches: [amd64\n' | seed buildyml syntax
printf 'image: p\ndepends:\n  docker-images:\n    target-dir: deps\n    list: [docker.io/library/alpine@sha256:%064d]\n' 0 |
    seed buildyml depends
printf 'image: p\ndepends:\n  docker-images:\n    target: i.tar\n    from-file: build.yml\n' |
    seed buildyml from-file
seed buildyml config <<'EOF'
image: p
org: o
tag: "{{.Hash}}"
dockerfile: Dockerfile.x
arches: [amd64, arm64]
extra-sources: ["../x:x"]
buildArgs: [A=1]
disable-cache: On
config:
  pid: host
  binds: [/var/log:/var/log]
  capabilities: [CAP_SYS_NICE]
  runtime:
    interfaces:
      - name: eth0
  annotations: {z: "1", a: "<&>"}
  uid: 0
  gid: "100"
  readonly: false
  oomScoreAdj: -500
  mounts:
    - destination: /tmp
      uidmappings: [{containerid: 0, hostid: 1000, size: 1}]
  resources:
    memory: {limit: 100}
    pids: {}
EOF
printf 'base: &b {image: p, org: o}\n<<: *b\n' | seed buildyml merge
