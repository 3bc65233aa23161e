#!/bin/sh
# mk/deps.sh - install what ocikit needs to build and test on Debian.
#
#   sh mk/deps.sh          install what is missing (root), or print the command
#   sh mk/deps.sh --check  install nothing: say what is missing and how to
#                          get it, exit 1 (make check, demo, bench)
#   sh mk/deps.sh --list   print the package list
#
# One package per line below; say in the comment which part needs it.
# Then the arm64 build setup of the pkg.mk tests: the arm64 architecture
# in dpkg, the static busybox of busybox-static for amd64 and arm64
# (apt-get download, kept in $OCIKIT_DEPS_DIR, default /var/cache/ocikit)
# and qemu-aarch64 registered with binfmt_misc; --check only says what of
# it is missing.
set -u

PACKAGES='
build-essential         # cc, make
pkg-config              # finds the libraries below
libcurl4-openssl-dev    # lib/http
libssl-dev              # lib/digest (EVP), TLS
libjansson-dev          # lib/json
libyaml-dev             # lib/buildyml
libarchive-dev          # lib/tarx
zlib1g-dev              # lib/gzip: docker save layers gzipped on import
libgit2-dev             # lib/gittree
jq                      # run time: pkg.mk; tests read records with it
perl                    # prove, the TAP harness
python3                 # the mock registry in tests/helpers
git                     # tests build git repositories
docker-registry         # tests: a real registry on 127.0.0.1
skopeo                  # tests and bench: independent reader and peer
umoci                   # tests and bench: unpacks images to compare oci-export with
buildah                 # tests: a real builder (root, chroot isolation, vfs)
mandoc                  # make check-man
openssl                 # tests: CA and certificates; bench: openssl dgst
apache2-utils           # tests: htpasswd for basic auth
zstd                    # tests: zstd-compressed tars
time                    # bench: peak RSS through /usr/bin/time
qemu-user-static        # tests: pkg.mk builds arm64 images under emulation
binfmt-support          # tests: update-binfmts registers qemu-aarch64
clang                   # make fuzz, check-fuzz: compiles the harnesses
libclang-rt-14-dev      # make fuzz: libFuzzer, ASan, UBSan runtimes (clang 14)
'
DEPS_DIR=${OCIKIT_DEPS_DIR:-/var/cache/ocikit}
BINFMT=/proc/sys/fs/binfmt_misc

list() { printf '%s\n' "$PACKAGES" | sed 's/#.*//; s/[[:space:]]//g; /^$/d'; }

case ${1:-} in
--list) list; exit 0 ;;
--check) check=1 ;;
'') check=0 ;;
*) echo "usage: sh mk/deps.sh [--check | --list]" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	# not Debian: nothing to check against; the build names what it lacks
	[ "$check" = 1 ] && exit 0
	echo "deps.sh: not a Debian system; install the equivalents of:" >&2
	list | sed 's/^/  /' >&2
	exit 1
fi

# the arm64 setup: what is missing, one command per line
arm64_missing() {
	for a in amd64 arm64; do
		test -x "$DEPS_DIR/busybox-$a" && continue
		case $a in arm64)
			dpkg --print-foreign-architectures | grep -qx arm64 ||
			    echo "dpkg --add-architecture arm64 && apt-get update" ;;
		esac
		echo "apt-get download busybox-static:$a (into $DEPS_DIR/busybox-$a)"
	done
	test -e "$BINFMT/register" ||
	    echo "mount -t binfmt_misc binfmt_misc $BINFMT"
	grep -qx enabled "$BINFMT/qemu-aarch64" 2>/dev/null ||
	    echo "update-binfmts --enable qemu-aarch64"
}

arm64_setup() {
	mkdir -p "$DEPS_DIR" || return 1
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64 && apt-get update -qq >&2 ||
		    return 1
	fi
	for a in amd64 arm64; do
		test -x "$DEPS_DIR/busybox-$a" && continue
		t=$(mktemp -d) && chmod 755 "$t" || return 1
		(cd "$t" && apt-get download -q "busybox-static:$a" >&2 &&
		    dpkg-deb -x busybox-static_*_"$a".deb x) &&
		    install -m 755 "$t/x/bin/busybox" "$DEPS_DIR/busybox-$a"
		rc=$?
		rm -rf "$t"
		[ $rc = 0 ] || return 1
	done
	test -e "$BINFMT/register" ||
	    mount -t binfmt_misc binfmt_misc "$BINFMT" || return 1
	update-binfmts --enable qemu-aarch64 >&2
}

missing=
for p in $(list); do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case $st in *" installed") ;; *) missing="$missing $p" ;; esac
done

if [ -n "$missing" ]; then
	if [ "$check" = 1 ]; then
		echo "deps.sh: missing packages:$missing" >&2
		echo "deps.sh: install them with 'make deps' (as root), or:" >&2
		echo "  apt-get update && apt-get install -y$missing" >&2
		exit 1
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing packages; run as root:" >&2
		echo "  apt-get update && apt-get install -y$missing" >&2
		exit 1
	fi
	echo "deps.sh: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 || exit 1
fi

todo=$(arm64_missing)
if [ -n "$todo" ]; then
	if [ "$check" = 1 ] || [ "$(id -u)" != 0 ]; then
		echo "deps.sh: the arm64 builds of the pkg.mk tests need" \
		    "('make deps' as root does it):" >&2
		echo "$todo" | sed 's/^/  /' >&2
		exit 1
	fi
	arm64_setup || { echo "deps.sh: the arm64 setup failed" >&2; exit 1; }
fi
[ "$check" = 1 ] || echo "deps.sh: all present"
