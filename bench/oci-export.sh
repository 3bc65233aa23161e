#!/bin/sh
# bench/oci-export.sh - the root filesystem of a 150 MB image, written as a
# tar: oci-export --format filesystem against umoci unpack (which writes the
# tree to disk) and linuxkit cache export (where installed).
#
# The floor is one gunzip of every layer: each byte of each layer must be
# decompressed and its digest checked, and the output written; `zcat` of
# the layers to /dev/null is that work without the hashing or the tar.
# (ocitest.py lists a single image manifest first, then its config, then
# its layers.)
. "$(dirname "$0")/lib.sh"

python3 "$HELPERS/ocitest.py" gen layout big:1 --single --layers 3 \
    --layer-size 50000000 >/dev/null
(cd layout && tar -cf ../big.tar .)
oci-import -C c --ref big:1 big.tar >/dev/null
size=$(du -sb c/blobs | cut -f1)
layers=$(python3 "$HELPERS/ocitest.py" blobs layout big:1 all |
    tail -n +3 | sed 's,sha256:,layout/blobs/sha256/,' | tr '\n' ' ')

lk=
if command -v linuxkit >/dev/null 2>&1; then
	lk="lk '' 'linuxkit cache export --cache c --format filesystem --outfile - big:1 >/dev/null'"
fi
eval "measure_turns \
    ocikit '' 'oci-export -C c --format filesystem -o - big:1 >/dev/null' \
    umoci 'rm -rf bundle' 'umoci unpack --image layout:big:1 bundle' \
    zcat '' 'zcat $layers >/dev/null' $lk"

header "oci-export --format filesystem: $((size / 1000000)) MB of blobs (median of $RUNS)"
row ocikit 'oci-export --format filesystem'
row umoci 'umoci unpack (to disk)'
[ -z "$lk" ] || row lk 'linuxkit cache export'
row zcat 'zcat of the layers (floor)'
echo "  oci-export / umoci wall:           $(verdict ocikit umoci 0.5)"
[ -z "$lk" ] || echo "  oci-export / linuxkit wall:        $(verdict ocikit lk 0.5)"
echo "  oci-export / floor wall:           $(ratio ocikit zcat)x"
echo "  oci-export peak RSS:               $(rss_verdict ocikit)"
