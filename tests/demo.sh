#!/bin/sh
# tests/demo.sh - `make demo`: make a sample image, import it into a cache
# in a temporary directory, and list what the cache holds.
set -eu
B=$(cd "${1:-build}" && pwd)
T=$(cd "$(dirname "$0")" && pwd)
PATH="$B/bin:$PATH"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocikit-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cache=$tmp/cache

echo "== a sample two-platform image, as an OCI layout tar"
python3 "$T/helpers/ocitest.py" gen "$tmp/layout" demo/hello:1.0 \
    --platforms linux/amd64,linux/arm64 --layers 2 --layer-size 65536 \
    --attest >/dev/null
(cd "$tmp/layout" && tar -cf "$tmp/hello.tar" .)
ls -l "$tmp/hello.tar" | awk '{ print "   ", $5, "bytes" }'

echo "== oci-import -C \$cache hello.tar"
oci-import -v -C "$cache" "$tmp/hello.tar" | tee "$tmp/records" |
    jq -c '{ref, mediaType, digest: .digest[0:19]}'

echo "== imported again: nothing new to store"
oci-import -v -C "$cache" "$tmp/hello.tar" >/dev/null

echo "== oci-ls -l -C \$cache: the cache holds"
oci-ls -l -C "$cache" | sed 's/^/    /'
echo "== $(find "$cache/blobs" -type f | wc -l) blobs, all verified on the way in"
if command -v skopeo >/dev/null 2>&1; then
	echo "== skopeo reads it back (oci: transport)"
	skopeo inspect --override-arch arm64 "oci:$cache:docker.io/demo/hello:1.0" |
	    jq -c '{Name, Architecture, Layers: (.Layers | length)}'
fi
