#!/bin/sh
# mk/deps.sh - install what ocikit needs to build and test on Debian.
#
#   sh mk/deps.sh          install what is missing (root), or print the command
#   sh mk/deps.sh --check  install nothing: say what is missing and how to
#                          get it, exit 1 (make check, demo, bench)
#   sh mk/deps.sh --list   print the package list
#
# One package per line below; say in the comment which part needs it.
set -u

PACKAGES='
build-essential         # cc, make
pkg-config              # finds the libraries below
libcurl4-openssl-dev    # lib/http
libssl-dev              # lib/digest (EVP), TLS
libjansson-dev          # lib/json
libyaml-dev             # lib/buildyml
libarchive-dev          # lib/tarx
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
'

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

missing=
for p in $(list); do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case $st in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && { [ "$check" = 1 ] || echo "deps.sh: all packages present"; exit 0; }

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
apt-get update -qq >&2 && apt-get install -y -qq $missing >&2
