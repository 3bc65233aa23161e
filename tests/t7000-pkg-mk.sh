#!/bin/sh
# tests/t7000-pkg-mk.sh - pkg.mk with the real buildah, amd64 and arm64
test_description='pkg.mk builds, pushes, releases and indexes three packages'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES
DEPS_DIR=${OCIKIT_DEPS_DIR:-/var/cache/ocikit}
BINFMT=/proc/sys/fs/binfmt_misc
registry_start

# buildah as root, vfs, chroot, storage in the trash; every call logged
mkdir -p bin
cat >bin/buildah <<EOF
#!/bin/sh
echo "\$*" >>"$TRASH/buildah.calls"
exec env -u DOCKER_CONFIG /usr/bin/buildah --root "$TRASH/storage" \\
    --runroot "$TRASH/run" --storage-driver vfs "\$@"
EOF
chmod +x bin/buildah
PATH=$TRASH/bin:$PATH
: >buildah.calls

builds () {
	grep -c '^build ' "$TRASH/buildah.calls"
}
# make in the project; its stderr into err and the test's log
mk () {
	_rc=0
	make -C r --no-print-directory PKG_CACHE="$TRASH/${CACHE:-cache}" \
	    PKG_BUILDER=buildah "$@" 2>"$TRASH/err" || _rc=$?
	cat "$TRASH/err" >&2
	return $_rc
}
tag_of () {
	make -s -C r --no-print-directory "pkg/$1.show-tag"
}
# the name's manifest in a cache, and one file of its layers
named () {
	jq -r --arg n "$2" '.manifests[] | select(.annotations
	    ["org.opencontainers.image.ref.name"] == $n) | .digest' \
	    "$1/index.json"
}
layer_file () {
	m=$(named "$1" "$2") && test -n "$m" &&
	for l in $(jq -r '.layers[].digest' "$1/blobs/sha256/${m#sha256:}"); do
		tar -xzf "$1/blobs/sha256/${l#sha256:}" -O "$3" 2>/dev/null || :
	done
}
# the platforms listed by an index in the registry
reg_platforms () {
	oci-fetch --manifest "$1" | jq -r '[.manifests[].platform
	    | .os + "/" + .architecture] | sort | join(" ")'
}

test_expect_success 'arm64 emulation and the busybox base are available' '
	if ! grep -qx enabled $BINFMT/qemu-aarch64 2>/dev/null; then
		echo "arm64 builds need binfmt_misc: make deps, or as root:"
		echo "  mount -t binfmt_misc binfmt_misc $BINFMT;" \
		    "update-binfmts --enable qemu-aarch64"
		false
	fi &&
	for a in amd64 arm64; do
		test -x $DEPS_DIR/busybox-$a || {
			echo "no $DEPS_DIR/busybox-$a: run make deps"; false; }
	done
'

test_expect_success 'setup: a project of three packages, app on base' '
	git init -q r && git -C r config user.email t@example.com &&
	git -C r config user.name t &&
	mkdir -p r/pkg/base r/pkg/app r/pkg/other &&
	cp $DEPS_DIR/busybox-amd64 $DEPS_DIR/busybox-arm64 r/pkg/base/ &&
	printf "image: base\norg: $REG/t7000\narches: [amd64, arm64]\n" \
	    >r/pkg/base/build.yml &&
	printf "%s\n" "FROM scratch" "ARG TARGETARCH" \
	    "COPY busybox-\${TARGETARCH} /bin/busybox" >r/pkg/base/Dockerfile &&
	printf "image: app\norg: $REG/t7000\narches: [amd64, arm64]\n" \
	    >r/pkg/app/build.yml &&
	printf "buildArgs:\n  - BASE=@lkt:pkg:../base\n" >>r/pkg/app/build.yml &&
	printf "%s\n" "ARG BASE" "FROM \${BASE}" \
	    "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox uname -m >/arch; /bin/busybox cat /proc/net/dev >/netdev\"]" \
	    >r/pkg/app/Dockerfile &&
	printf "image: other\norg: $REG/t7000\narches: [amd64, arm64]\n" \
	    >r/pkg/other/build.yml &&
	printf "FROM scratch\nCOPY hello /hello\n" >r/pkg/other/Dockerfile &&
	echo hello >r/pkg/other/hello &&
	printf "PKGS := \$(wildcard pkg/*)\ninclude $T/../mk/pkg.mk\n" \
	    >r/Makefile &&
	git -C r add -A && git -C r commit -q -m packages &&
	tag_of base >base.tag && tag_of app >app.tag && tag_of other >other.tag &&
	grep "^$REG/t7000/base:[0-9a-f]\{40\}$" base.tag
'
BASE=$(cat base.tag) APP=$(cat app.tag) OTHER=$(cat other.tag)

test_expect_success 'make -j4 pkg-build: every package, both arches, in order' '
	mk -j4 pkg-build &&
	test "$(builds)" = 6 &&
	for n in "$BASE" "$APP" "$OTHER"; do
		test -n "$(named cache "$n-amd64")" &&
		test -n "$(named cache "$n-arm64")" &&
		i=$(named cache "$n") && test -n "$i" &&
		jq -e "[.manifests[].platform.architecture] | sort
		    == [\"amd64\", \"arm64\"]" cache/blobs/sha256/${i#sha256:} ||
		return 1
	done &&
	grep "Building for arch arm64 as $APP-arm64" err &&
	grep "$BASE amd64 not found, will build" err
'

test_expect_success 'app was built after base, from its tag, from the cache' '
	grep -n "^build .*BASE=$BASE" buildah.calls >app.lines &&
	test $(wc -l <app.lines) = 2 &&
	last_base=$(grep -n "^build .*PKG_IMAGE=$REG/t7000/base " buildah.calls |
	    tail -1 | cut -d: -f1) &&
	first_app=$(head -1 app.lines | cut -d: -f1) &&
	test "$last_base" -lt "$first_app" &&
	grep "^pull .*oci:/.*/cache:$BASE" buildah.calls &&
	test "$(layer_file cache "$APP-arm64" arch)" = aarch64 &&
	test "$(layer_file cache "$APP-amd64" arch)" = x86_64
'

test_expect_success 'the build had no network, the labels and args of pkg-tag' '
	layer_file cache "$APP-amd64" netdev >netdev &&
	grep "^ *lo:" netdev && test "$(grep -c ":" netdev)" = 1 &&
	grep "^build .* --label org.opencontainers.image.revision=" buildah.calls &&
	grep "^build .* --build-arg PKG_HASH=" buildah.calls &&
	grep "^build .*--pull=never --isolation chroot" buildah.calls
'

test_expect_success 'a second make pkg-build makes no builder call at all' '
	n=$(builds) &&
	mk pkg-build &&
	test "$(builds)" = "$n" &&
	test "$(grep -c "in local cache, skipping build" err)" = 3 &&
	python3 "$HELPERS/cachecheck.py" cache --complete
'

test_expect_success 'PKG_FORCE=1 rebuilds one package, both arches' '
	n=$(builds) &&
	mk PKG_FORCE=1 pkg/other.build &&
	test "$(builds)" = $((n + 2)) &&
	! grep "checking for" err
'

test_expect_success 'pkg-push: NAME:TAG and its arch tags in the registry' '
	mk pkg-push &&
	grep "Pushing local $APP as $APP" err &&
	grep "Build and push complete, not releasing, all done." err &&
	test "$(reg_platforms "$APP")" = "linux/amd64 linux/arm64" &&
	oci-fetch --resolve "$APP-arm64" >out &&
	jq -e "select(.platform == null) | .digest" out
'

test_expect_success 'an image the registry has is not rebuilt, nor pulled' '
	n=$(builds) &&
	CACHE=cache2 mk pkg-build &&
	test "$(builds)" = "$n" &&
	grep "$APP arm64 found on registry" err &&
	test ! -e cache2/index.json || test -z "$(named cache2 "$APP")"
'

test_expect_success 'PKG_PULL=1 pulls what the registry has instead' '
	n=$(builds) &&
	CACHE=cache3 mk PKG_PULL=1 pkg/other.build &&
	test "$(builds)" = "$n" &&
	grep "$OTHER pulled" err &&
	oci-fetch --cached -C cache3 -p linux/arm64 "$OTHER" >/dev/null
'

test_expect_success 'a dirty package is refused on push, nothing pushed' '
	echo more >r/pkg/other/untracked &&
	tag_of other >dirty.tag && grep -- "-dirty-" dirty.tag &&
	test_expect_code 2 mk pkg/other.push &&
	grep "build complete, refusing to push dirty package" err &&
	test_expect_code 3 oci-fetch --resolve "$(cat dirty.tag)" &&
	rm r/pkg/other/untracked
'

test_expect_success 'PKG_RELEASE releases; a release tag is never overwritten' '
	mk PKG_RELEASE=v1.0 pkg/other.release &&
	grep "Build, push and release of \"v1.0\" complete, all done." err &&
	oci-fetch --resolve "$REG/t7000/other:v1.0" | head -1 >v1 &&
	oci-fetch --resolve "$REG/t7000/other:v1.0-arm64" >/dev/null &&
	echo changed >r/pkg/other/hello && git -C r commit -q -am change &&
	mk PKG_RELEASE=v1.0 pkg/other.push &&
	test "$(tag_of other)" != "$OTHER" &&
	oci-fetch --resolve "$REG/t7000/other:v1.0" | head -1 >v1.again &&
	test_cmp v1 v1.again
'

test_expect_success 'a pkg-vX.Y.Z tag at HEAD releases vX.Y.Z on push' '
	git -C r tag pkg-v2.0 &&
	mk pkg/base.push &&
	grep "release of \"v2.0\" complete" err &&
	test "$(reg_platforms "$REG/t7000/base:v2.0")" = \
	    "linux/amd64 linux/arm64"
'

test_expect_success 'PKG_RELEASE without a push stops before any work' '
	test_expect_code 2 mk PKG_RELEASE=v3 pkg-build &&
	grep "cannot release \"v3\" if not pushing" err
'

# Two CI machines build one arch each of a new tag, a third joins them.
test_expect_success 'two machines push one arch each; pkg-manifest joins them' '
	echo two >r/pkg/other/hello && git -C r commit -q -am two &&
	T2=$(tag_of other) &&
	CACHE=ma mk PKG_PLATFORMS=linux/amd64 pkg/other.push &&
	CACHE=mb mk PKG_PLATFORMS=linux/arm64 pkg/other.push &&
	oci-fetch --resolve "$T2-amd64" >/dev/null &&
	oci-fetch --resolve "$T2-arm64" >/dev/null &&
	CACHE=mc mk pkg-manifest &&
	grep "Pushing index based on all arch-specific images in registry" err &&
	test "$(reg_platforms "$T2")" = "linux/amd64 linux/arm64"
'

# doc/linuxkit-compat.md §10.2: a push merges with the index the registry
# holds (oci-put; issue 10)
test_expect_success 'the second machine push alone keeps the first arch' '
	echo three >r/pkg/other/hello && git -C r commit -q -am three &&
	T3=$(tag_of other) &&
	CACHE=na mk PKG_PLATFORMS=linux/amd64 pkg/other.push &&
	CACHE=nb mk PKG_PLATFORMS=linux/arm64 pkg/other.push &&
	echo "linux/amd64 linux/arm64" >want &&
	reg_platforms "$T3" >got && test_cmp want got
'

test_expect_success 'every cache is sound' '
	for c in cache cache2 cache3 ma mb mc na nb; do
		test ! -d $c || python3 "$HELPERS/cachecheck.py" $c || return 1
	done
'

test_done
