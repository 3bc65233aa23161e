#!/bin/sh
# bench/pkg-mk.sh - pkg.mk: a no-op `make pkg-build` over 60 packages
# whose images are all in the cache (target: under 200 ms; `linuxkit pkg
# build` of the same cached packages takes about 2 s), and a full build of
# 8 small packages with buildah, -j4 against -j1.
. "$(dirname "$0")/lib.sh"
MK=$T/../mk/pkg.mk
N=${N:-60}
GIT_CEILING_DIRECTORIES=$WORK
export GIT_CEILING_DIRECTORIES
if [ "$(id -u)" != 0 ]; then
	echo "bench/pkg-mk.sh: buildah runs here as root; skipped" >&2
	exit 0
fi

. "$HELPERS/registry.sh" 2>/dev/null
TRASH=$WORK
test_free_port () {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
test_atexit () { trap "$1; cd / && rm -rf '$WORK'" EXIT; }
XDG_CONFIG_HOME=$WORK/config
registry_start >/dev/null || exit 1

project () {	# dir count
	git init -q "$1"
	git -C "$1" config user.email bench@example.com
	git -C "$1" config user.name bench
	i=1
	while [ "$i" -le "$2" ]; do
		d=$1/pkg/p$i
		mkdir -p "$d"
		printf 'image: p%d\norg: %s/bench\narches: [amd64, arm64]\n' \
		    "$i" "$REG" >"$d/build.yml"
		printf 'FROM scratch\nCOPY f /f\n' >"$d/Dockerfile"
		echo "package $i" >"$d/f"
		i=$((i + 1))
	done
	printf 'PKGS := $(wildcard pkg/*)\ninclude %s\n' "$MK" >"$1/Makefile"
	git -C "$1" add -A && git -C "$1" commit -q -m bench
}

# 60 packages, each NAME:TAG cached for both arches (generated images)
project many "$N"
for t in $(pkg-tag many/pkg/*); do
	python3 "$HELPERS/ocitest.py" gen lay "$t" \
	    --platforms linux/amd64,linux/arm64 --layer-size 64 >/dev/null
done
(cd lay && tar -cf ../lay.tar .) && oci-import -q -C cache lay.tar >/dev/null
make -C many PKG_CACHE="$WORK/cache" pkg-build >/dev/null 2>make.err || {
	cat make.err; exit 1; }
! grep -q Building make.err || { echo "bench: not all cached" >&2; exit 1; }

header "make pkg-build, $N packages, all cached (no-op)"
measure noop : "make -C '$WORK/many' PKG_CACHE='$WORK/cache' pkg-build"
row noop "make pkg-build (no-op)"
measure tags : "pkg-tag --json '$WORK'/many/pkg/*"
row tags "of which pkg-tag --json, alone"

# 8 small packages, amd64 only, built for real with buildah
mkdir -p bin
cat >bin/buildah <<EOF
#!/bin/sh
exec env -u DOCKER_CONFIG /usr/bin/buildah --root "$WORK/storage" \\
    --runroot "$WORK/run" --storage-driver vfs "\$@"
EOF
chmod +x bin/buildah
PATH=$WORK/bin:$PATH
project eight 8
RUNS=${BUILD_RUNS:-3}
header "make pkg-build, 8 small packages built with buildah (linux/amd64)"
for j in 1 4; do
	measure j$j "rm -rf '$WORK/c$j'" "make -C '$WORK/eight' -j$j \
	    PKG_CACHE='$WORK/c$j' PKG_BUILDER=buildah \
	    PKG_PLATFORMS=linux/amd64 pkg-build"
	row j$j "make -j$j pkg-build"
done
echo "  -j4 is $(ratio j1 j4) times as fast as -j1"
