#!/bin/sh
# bench/oci-fsck.sh - check a 150 MB cache: oci-fsck (every blob re-hashed
# on every core, every name walked) against sha256sum of the same blobs.
. "$(dirname "$0")/lib.sh"

# two images of three 25 MB layers each, so the cores have blobs to share
python3 "$HELPERS/ocitest.py" gen layout big:1 --single --layers 3 \
    --layer-size 25000000 >/dev/null
python3 "$HELPERS/ocitest.py" gen layout big:2 --single --layers 3 \
    --layer-size 25000000 >/dev/null
(cd layout && tar -cf ../big.tar .)
oci-import -C c big.tar >/dev/null
size=$(du -sb c/blobs | cut -f1)
n=$(ls c/blobs/sha256 | wc -l)

measure fsck '' 'oci-fsck -C c'
measure sha '' 'cd c/blobs/sha256 && sha256sum * >/dev/null'

header "oci-fsck: a cache of $n blobs, $((size / 1000000)) MB (median of $RUNS)"
row fsck 'oci-fsck'
row sha 'sha256sum of every blob'
echo "  oci-fsck / sha256sum wall:         $(ratio fsck sha)x  (target <= 1)"
echo "  oci-fsck cpu / wall:               $(awk -v c="$fsck_cpu" -v w="$fsck_wall" 'BEGIN { printf "%.2f", c / (w > 0 ? w : 0.001) }')  (near 2 when both cores are free)"
