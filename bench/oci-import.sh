#!/bin/sh
# bench/oci-import.sh - import a 150 MB single-platform image into an empty
# cache, from an OCI layout tar and from a docker save tarball.
#
# The floor of an OCI import is one `openssl dgst -sha256` pass over the
# tar: every byte must be hashed, and one SHA-256 stream cannot be split,
# so the largest layer's hash bounds the time however many cores there
# are. Writing and syncing the blobs is the other unavoidable work; ocikit
# does it on the other core while the hash runs (lib/digest.c), and
# `dd conv=fdatasync` of the tar shows what the disk alone needs for it:
# where that is longer than the hash, the disk is the floor. A docker
# save import must also gzip its layers (oci-import(1)); the hash pass is
# its floor too, since data that does not compress (these test layers are
# random bytes) is stored in the gzip stream, not deflated; `gzip -1` of
# the same layers, spread over the cores, shows what deflating would cost.
# skopeo copy docker-archive: oci: (which keeps the layers as they are) is
# the peer.
. "$(dirname "$0")/lib.sh"

python3 "$HELPERS/ocitest.py" gen layout big:1 --single --layers 3 \
    --layer-size 50000000 >/dev/null
(cd layout && tar -cf ../big.tar .)
size=$(wc -c <big.tar)
skopeo copy -q oci:layout:big:1 docker-archive:dk.tar:big:1
dsize=$(wc -c <dk.tar)
mkdir dkx && tar -C dkx -xf dk.tar
cores=$(nproc 2>/dev/null || echo 1)

lk=
if command -v linuxkit >/dev/null 2>&1; then
	lk="lk 'rm -rf c3' 'linuxkit cache import --cache c3 big.tar'"
fi
eval "measure_turns \
    ocikit 'rm -rf c1' 'oci-import -C c1 big.tar' \
    skopeo 'rm -rf c2' 'skopeo copy -q oci-archive:big.tar oci:c2:big' \
    dgst '' 'openssl dgst -sha256 big.tar' \
    dd 'rm -f copy' 'dd if=big.tar of=copy bs=1M conv=fdatasync status=none' $lk"

header "oci-import: $((size / 1000000)) MB single-platform OCI layout tar into an empty cache (median of $RUNS)"
row ocikit 'oci-import'
row skopeo 'skopeo copy oci-archive: oci:'
[ -z "$lk" ] || row lk 'linuxkit cache import'
row dgst 'openssl dgst -sha256 (floor)'
row dd 'dd conv=fdatasync (the disk'"'"'s floor)'
echo "  oci-import / floor:                    $(verdict ocikit dgst 1.08)"
echo "  oci-import / durable copy (dd):        $(ratio ocikit dd)x"
echo "  oci-import / skopeo:                   $(ratio ocikit skopeo)x"
[ -z "$lk" ] ||
echo "  oci-import / linuxkit:                 $(ratio ocikit lk)x"
echo "  peak RSS oci-import:                   $(rss_verdict ocikit)"
python3 "$HELPERS/cachecheck.py" c1 --complete >/dev/null &&
    echo "  cache verified by cachecheck.py:       ok"

rm -f copy
# the layers' gzip, split over the cores as oci-import splits them
gz="find dkx -type f -name '*.tar' | xargs -P $cores -n 1 sh -c 'gzip -1 -n <\"\$0\" >/dev/null'"
measure_turns \
    dkocikit 'rm -rf d1' 'oci-import -C d1 dk.tar' \
    dkskopeo 'rm -rf d2' 'skopeo copy -q docker-archive:dk.tar oci:d2:big' \
    dkdgst '' 'openssl dgst -sha256 dk.tar' \
    dkgzip '' "$gz"

header "oci-import: $((dsize / 1000000)) MB docker save tarball, layers gzipped on import (median of $RUNS)"
row dkocikit 'oci-import'
row dkskopeo 'skopeo copy docker-archive: oci:'
row dkdgst 'openssl dgst -sha256 (floor)'
row dkgzip "gzip -1 of the layers, $cores at a time"
echo "  oci-import / floor:                    $(ratio dkocikit dkdgst)x"
echo "  oci-import / skopeo:                   $(ratio dkocikit dkskopeo)x"
echo "  peak RSS oci-import:                   $(rss_verdict dkocikit)"
