#!/bin/sh
# tests/t7002-pkg-mk-keepgoing.sh - make -j4 -k with a failing package
test_description='pkg.mk: -j4 -k builds the others; the cache stays sound'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES
registry_start

mkdir -p bin tmp
cat >bin/buildah <<EOF
#!/bin/sh
echo "\$*" >>"$TRASH/buildah.calls"
exec env -u DOCKER_CONFIG /usr/bin/buildah --root "$TRASH/storage" \\
    --runroot "$TRASH/run" --storage-driver vfs "\$@"
EOF
chmod +x bin/buildah
# no Docker daemon here: the default builder is buildah
PATH=$TRASH/bin:$(echo "$PATH" | tr ':' '\n' | while read -r d; do
	test -x "$d/docker" || printf '%s:' "$d"; done)
TMPDIR=$TRASH/tmp
export TMPDIR
: >buildah.calls

named () {
	jq -r --arg n "$2" '.manifests[] | select(.annotations
	    ["org.opencontainers.image.ref.name"] == $n) | .digest' \
	    "$1/index.json"
}

test_expect_success 'setup: five packages, one failing, one on the failing one' '
	git init -q r && git -C r config user.email t@example.com &&
	git -C r config user.name t &&
	for p in p1 p2 p3 bad after-bad; do
		mkdir -p r/pkg/$p &&
		printf "image: $p\norg: $REG/t7002\n" >r/pkg/$p/build.yml &&
		printf "FROM scratch\nCOPY f /f-$p\n" >r/pkg/$p/Dockerfile &&
		echo $p >r/pkg/$p/f || return 1
	done &&
	printf "FROM scratch\nCOPY no-such-file /x\n" >r/pkg/bad/Dockerfile &&
	printf "*\n" >r/pkg/p3/.dockerignore &&
	printf "buildArgs:\n  - B=@lkt:pkg:../bad\n" >>r/pkg/after-bad/build.yml &&
	printf "ARG B\nFROM \${B}\nCOPY f /f2\n" >r/pkg/after-bad/Dockerfile &&
	printf "PKGS := \$(wildcard pkg/*)\ninclude $T/../mk/pkg.mk\n" \
	    >r/Makefile &&
	git -C r add -A && git -C r commit -q -m packages
'

test_expect_success 'make -j4 -k pkg-build: all but bad and after-bad are built' '
	test_expect_code 2 make -C r -j4 -k PKG_CACHE="$TRASH/cache" \
	    PKG_SKIP_PLATFORMS="linux/arm64 linux/riscv64" pkg-build 2>err &&
	grep "error building \"$REG/t7002/bad:" err &&
	for p in p1 p2 p3; do
		t=$(make -s -C r pkg/$p.show-tag) &&
		test -n "$(named cache "$t")" &&
		test -n "$(named cache "$t-amd64")" &&
		test -z "$(named cache "$t-arm64")" || return 1
	done &&
	test "$(grep -c "^build " buildah.calls)" = 4 &&
	! grep "^build .*f-after-bad\|PKG_IMAGE=$REG/t7002/after-bad" buildah.calls &&
	! grep "$REG/t7002/bad" cache/index.json
'

test_expect_success '.dockerignore was shipped, not applied (p3)' '
	grep -- "--ignorefile" buildah.calls &&
	t=$(make -s -C r pkg/p3.show-tag) &&
	m=$(named cache "$t-amd64") &&
	l=$(jq -r ".layers[-1].digest" cache/blobs/sha256/${m#sha256:}) &&
	tar -tzf cache/blobs/sha256/${l#sha256:} >files &&
	grep -x "f-p3" files
'

test_expect_success 'the cache passes the independent check; no temporary left' '
	python3 "$HELPERS/cachecheck.py" cache --complete &&
	test -z "$(ls tmp)" &&
	test -z "$(ls -a cache | grep -v "^\.\{1,2\}$\|^\.lock$\|^blobs$\|^index.json$\|^oci-layout$")"
'

test_expect_success 'the failed package is retried, the others are not' '
	: >buildah.calls &&
	test_expect_code 2 make -C r -k PKG_CACHE="$TRASH/cache" \
	    PKG_SKIP_PLATFORMS="linux/arm64 linux/riscv64" pkg-build 2>err &&
	test "$(grep -c "^build " buildah.calls)" = 1 &&
	test "$(grep -c "in local cache, skipping build" err)" = 3
'

test_done
