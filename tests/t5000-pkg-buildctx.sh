#!/bin/sh
# tests/t5000-pkg-buildctx.sh - the build context stream (§7, §14.4)
test_description='pkg-buildctx writes the context LinuxKit streams to the builder'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES
unset SOURCE_DATE_EPOCH

# list a tar as "type mode uid:gid name[ -> target]", sorted
tar_list () {
	tar -tvf "$1" | awk '{ n = $6; for (i = 7; i <= NF; i++) n = n " " $i;
		print substr($1, 1, 1), $1, $2, n }' | sort
}
# the names in a tar, cleaned of ./ and trailing /, sorted
tar_names () {
	tar -tf "$1" | sed 's,^\./,,; s,/$,,' | grep -v '^\.\{0,1\}$' | sort
}

test_expect_success 'setup: dummy and dummy-x (§14.3)' '
	git init -q r && git -C r config user.email t@example.com &&
	git -C r config user.name t &&
	mkdir -p r/pkg/dummy r/pkg/dummy-x &&
	printf "image: dummy\n" >r/pkg/dummy/build.yml &&
	printf "FROM scratch\nCOPY infile infile\n" >r/pkg/dummy/Dockerfile &&
	printf "This is a silly input file for testing." >r/pkg/dummy/infile &&
	printf "image: dummy-x\nextra-sources:\n  - ../dummy:/dummy\n" \
		>r/pkg/dummy-x/build.yml &&
	printf "FROM scratch\nCOPY dummy/infile /infile\n" \
		>r/pkg/dummy-x/Dockerfile &&
	git -C r add -A && git -C r commit -q -m c
'

test_expect_success 'dummy-x: the package at the root, the extra source at its dst' '
	pkg-buildctx r/pkg/dummy-x >ctx.tar &&
	tar_names ctx.tar >actual &&
	printf "%s\n" Dockerfile build.yml dummy dummy/Dockerfile \
		dummy/build.yml dummy/infile >expect &&
	test_cmp expect actual &&
	rm -rf x && mkdir x && tar -xf ctx.tar -C x &&
	cmp x/dummy/infile r/pkg/dummy/infile
'

test_expect_success '.dockerignore is shipped, not applied; untracked files too' '
	printf "*\n" >r/pkg/dummy-x/.dockerignore &&
	echo junk >r/pkg/dummy-x/untracked &&
	pkg-buildctx r/pkg/dummy-x >ctx.tar &&
	tar_names ctx.tar >actual &&
	printf "%s\n" .dockerignore Dockerfile build.yml dummy dummy/Dockerfile \
		dummy/build.yml dummy/infile untracked >expect &&
	test_cmp expect actual &&
	rm r/pkg/dummy-x/.dockerignore r/pkg/dummy-x/untracked
'

test_expect_success 'symlinks are kept as links and never followed' '
	mkdir -p sl && printf "image: sl\n" >sl/build.yml && touch sl/Dockerfile &&
	ln -s /etc/shadow sl/abs && ln -s ../../outside sl/up &&
	mkdir sl/realdir && ln -s realdir sl/dirlink &&
	echo secret >outside &&
	pkg-buildctx sl >ctx.tar &&
	tar_list ctx.tar >list &&
	grep "^l .* abs -> /etc/shadow$" list &&
	grep "^l .* up -> ../../outside$" list &&
	grep "^l .* dirlink -> realdir$" list &&
	! grep -q secret ctx.tar
'

test_expect_success 'headers: modes and owners from lstat' '
	mkdir -p md && printf "image: md\n" >md/build.yml && touch md/Dockerfile &&
	echo x >md/exe && chmod 755 md/exe && chown 123:456 md/exe &&
	pkg-buildctx md >ctx.tar &&
	tar_list ctx.tar >list &&
	grep "^- -rwxr-xr-x 123/456 exe$" list
'

test_expect_success '--reproducible and SOURCE_DATE_EPOCH: same tree, same bytes' '
	pkg-buildctx --reproducible md >a.tar &&
	touch md/exe md/build.yml &&
	pkg-buildctx --reproducible md >b.tar &&
	cmp a.tar b.tar &&
	tar_list a.tar >list && grep "^- -rwxr-xr-x 0/0 exe$" list &&
	tar -tvf a.tar | grep -v " 1970-01-01 00:00 " >late || : &&
	test ! -s late &&
	touch -d @1000 md/Dockerfile &&
	SOURCE_DATE_EPOCH=5000 pkg-buildctx md >c.tar &&
	TZ=UTC tar -tvf c.tar >list &&
	grep " 1970-01-01 00:16 Dockerfile$" list &&
	grep " 1970-01-01 01:23 exe$" list
'

test_expect_success 'a file extra source lands exactly at dst; / is the root' '
	mkdir -p r/pkg/fx &&
	printf "image: fx\nextra-sources:\n  - ../dummy/infile:/bin/tool\n" \
		>r/pkg/fx/build.yml && touch r/pkg/fx/Dockerfile &&
	git -C r add -A && git -C r commit -q -m fx &&
	pkg-buildctx r/pkg/fx >ctx.tar &&
	tar_names ctx.tar >actual &&
	printf "%s\n" Dockerfile bin/tool build.yml >expect &&
	test_cmp expect actual &&
	printf "image: fx\nextra-sources:\n  - ../dummy/infile:/\n" \
		>r/pkg/fx/build.yml &&
	test_expect_code 1 pkg-buildctx r/pkg/fx >out 2>err &&
	test ! -s out && test_one_line_error err "needs a file name"
'

test_expect_success 'an extra source whose dst climbs out is refused, no output' '
	mkdir -p esc && printf "image: esc\nextra-sources:\n  - ../md:../x\n" \
		>esc/build.yml && touch esc/Dockerfile &&
	test_expect_code 1 pkg-buildctx esc >out 2>err &&
	test ! -s out && test_one_line_error err "escapes the context"
'

test_expect_success 'Dockerfile checks (§7.4)' '
	mkdir -p nodf && printf "image: nodf\n" >nodf/build.yml &&
	test_expect_code 1 pkg-buildctx nodf >out 2>err &&
	test ! -s out && test_one_line_error err "does not exist" &&
	printf "image: nodf\ndockerfile: ../Dockerfile\n" >nodf/build.yml &&
	test_expect_code 1 pkg-buildctx nodf >out 2>err &&
	test ! -s out && test_one_line_error err "beyond root of context"
'

test_expect_success 'invalid build.yml exits 1 naming the line' '
	mkdir -p badyml && printf "image: b\nnope: 1\n" >badyml/build.yml &&
	test_expect_code 1 pkg-buildctx badyml >out 2>err &&
	test ! -s out && test_one_line_error err "build.yml:2:"
'

test_expect_success 'missing package exits 3; usage errors exit 2' '
	test_expect_code 3 pkg-buildctx nosuch >out 2>err &&
	test ! -s out && test_one_line_error err nosuch &&
	test_expect_code 2 pkg-buildctx 2>err && grep "^usage: pkg-buildctx" err &&
	test_expect_code 2 pkg-buildctx a b 2>err && grep "^usage:" err &&
	test_expect_code 2 pkg-buildctx --bogus md 2>err &&
	test_expect_code 2 pkg-buildctx -p nonsense md >out 2>err &&
	test ! -s out &&
	pkg-buildctx --help >out && grep "^usage: pkg-buildctx" out
'

# depends.docker-images from a cache made by the test image generator
test_expect_success 'setup: a cache holding a two-platform image' '
	$OCITEST gen cache docker.io/library/dep:1 \
		--platforms linux/amd64,linux/arm64 >root &&
	test_sha256 cache/oci-layout >/dev/null &&
	D=$(cat root) && echo "$D" | grep "^sha256:"
'

test_expect_success 'target-dir: one docker save tarball per image, in the stream only' '
	D=$(cat root) &&
	mkdir -p dp/deps && touch dp/Dockerfile && echo stale >dp/deps/old.tar &&
	printf "image: dp\ndepends:\n  docker-images:\n    target-dir: deps\n    list: [docker.io/library/dep@%s]\n" \
		"$D" >dp/build.yml &&
	pkg-buildctx -C cache -p linux/arm64 dp >ctx.tar 2>err &&
	grep "^Adding \"dep@$D\" as dependency$" err &&
	tar_names ctx.tar >actual &&
	printf "%s\n" Dockerfile build.yml deps "deps/dep@$D.tar" >expect &&
	test_cmp expect actual &&
	test ! -e "dp/deps/dep@$D.tar" &&
	rm -rf x && mkdir x && tar -xf ctx.tar -C x &&
	tar -xOf "x/deps/dep@$D.tar" manifest.json >m.json &&
	test "$(jq -r "length" m.json)" = 1 &&
	test "$(jq -c ".[0].RepoTags" m.json)" = null &&
	cfg=$(jq -r ".[0].Config" m.json) &&
	tar -xOf "x/deps/dep@$D.tar" "$cfg" >config.json &&
	test "$(jq -r .architecture config.json)" = arm64 &&
	test "sha256:$(sha256sum <config.json | cut -c1-64).json" = "sha256:$cfg" &&
	for l in $(jq -r ".[0].Layers[]" m.json); do
		tar -tf "x/deps/dep@$D.tar" "$l" || return 1
	done &&
	tar_list ctx.tar | grep "deps/dep@" | grep "^- -rw-r--r-- 0/0 "
'

test_expect_success 'target: all images in one tarball, replacing the file in P' '
	D=$(cat root) &&
	mkdir -p dt && touch dt/Dockerfile && echo old >dt/images.tar &&
	printf "image: dt\ndepends:\n  docker-images:\n    target: images.tar\n    list:\n      - docker.io/library/dep:1@%s\n" \
		"$D" >dt/build.yml &&
	pkg-buildctx -C cache -p linux/amd64 dt >ctx.tar &&
	test "$(tar -tf ctx.tar | grep -c images.tar)" = 1 &&
	rm -rf x && mkdir x && tar -xf ctx.tar -C x &&
	tar -xOf x/images.tar manifest.json >m.json &&
	test "$(jq -c ".[0].RepoTags" m.json)" = "[\"docker.io/library/dep:1\"]" &&
	test "$(cat dt/images.tar)" = old
'

test_expect_success 'LINUXKIT_CACHE is the default cache' '
	LINUXKIT_CACHE=$PWD/cache pkg-buildctx -p linux/amd64 dt >ctx.tar &&
	tar -tf ctx.tar | grep images.tar
'

test_expect_success 'images without target or target-dir are an error' '
	D=$(cat root) && mkdir -p dn && touch dn/Dockerfile &&
	printf "image: dn\ndepends:\n  docker-images:\n    list: [docker.io/library/dep@%s]\n" \
		"$D" >dn/build.yml &&
	test_expect_code 1 pkg-buildctx -C cache dn >out 2>err &&
	test ! -s out && test_one_line_error err "without target"
'

# flip one byte in the middle of a file, keeping its size
flip () {
	python3 -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 1
open(p, "wb").write(bytes(b))' "$1"
}

test_expect_success 'a rotten layer in the cache fails the context, naming blob and cache' '
	D=$(cat root) &&
	rm -rf rot && cp -a cache rot &&
	$OCITEST blobs rot docker.io/library/dep:1 linux/amd64 >blobs &&
	layer=$(tail -1 blobs) &&
	chmod u+w rot/blobs/sha256/${layer#sha256:} &&
	flip rot/blobs/sha256/${layer#sha256:} &&
	test_expect_code 1 pkg-buildctx -C rot -p linux/amd64 dt >out 2>err &&
	test ! -s out &&
	test_one_line_error err "$layer" &&
	grep -F "rot" err && grep "corrupt" err &&
	pkg-buildctx -C cache -p linux/amd64 dt >out
'

test_expect_success 'a rotten config fails too; the message says which cache' '
	rm -rf rot && cp -a cache rot &&
	$OCITEST blobs rot docker.io/library/dep:1 linux/arm64 >blobs &&
	cfg=$(sed -n 2p blobs) &&
	jq -e ".config.digest == \"$cfg\"" rot/blobs/sha256/$(head -1 blobs | cut -d: -f2) &&
	chmod -R u+w rot/blobs &&
	flip rot/blobs/sha256/${cfg#sha256:} &&
	test_expect_code 1 pkg-buildctx -C rot -p linux/arm64 dp >out 2>err &&
	test ! -s out && test_one_line_error err "$cfg" &&
	grep -F "cache '"'"'rot'"'"'" err
'

mock_start
test_expect_success 'an image missing from the cache is fetched with oci-fetch' '
	D2=$($OCITEST gen "$TRASH/images" dep/two:1 --platforms linux/amd64) &&
	mkdir -p df && touch df/Dockerfile &&
	printf "image: df\ndepends:\n  docker-images:\n    target-dir: d\n    list: [%s/dep/two@%s]\n" \
		"$MOCK" "$D2" >df/build.yml &&
	pkg-buildctx -C fetched -p linux/amd64 df >ctx.tar 2>err &&
	tar -tf ctx.tar | grep "d/two@$D2.tar" &&
	test -d fetched/blobs
'

test_expect_success 'a platform in neither cache nor registry is not found' '
	test_expect_code 3 pkg-buildctx -C fetched -p linux/s390x df >out 2>err &&
	test ! -s out && grep "linux/s390x" err
'

test_expect_success 'an image in neither cache nor registry: exit 3 naming it' '
	Z=sha256:0000000000000000000000000000000000000000000000000000000000000000 &&
	printf "image: df\ndepends:\n  docker-images:\n    target-dir: d\n    list: [%s/dep/none@%s]\n" \
		"$MOCK" "$Z" >df/build.yml &&
	test_expect_code 3 pkg-buildctx -C fetched -p linux/amd64 df >out 2>err &&
	test ! -s out && grep "dep/none@$Z" err
'

test_expect_success 'buildah builds the context: FROM scratch, COPY from an extra source' '
	if ! test_have buildah; then echo "buildah missing"; exit 1; fi &&
	pkg-buildctx r/pkg/dummy-x >ctx.tar &&
	rm -rf bctx && mkdir bctx && tar -xf ctx.tar -C bctx &&
	buildah --root "$TRASH/storage" --runroot "$TRASH/run" \
		--storage-driver vfs build --isolation chroot -q \
		-f Dockerfile --output type=local,dest=built bctx >/dev/null &&
	cmp built/infile r/pkg/dummy/infile
'

test_done
