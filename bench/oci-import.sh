#!/bin/sh
# bench/oci-import.sh - import a 150 MB single-platform image tar into an
# empty cache: oci-import against skopeo and against hashing the tar alone.
. "$(dirname "$0")/lib.sh"

python3 "$HELPERS/ocitest.py" gen layout big:1 --single --layers 3 \
    --layer-size 50000000 >/dev/null
(cd layout && tar -cf ../big.tar .)
size=$(wc -c <big.tar)

measure ocikit 'rm -rf c1' 'oci-import -C c1 big.tar'
measure skopeo 'rm -rf c2' 'skopeo copy -q oci-archive:big.tar oci:c2:big'
measure dgst '' 'openssl dgst -sha256 big.tar'

header "oci-import: $((size / 1000000)) MB single-platform image tar into an empty cache (median of $RUNS)"
row ocikit 'oci-import'
row skopeo 'skopeo copy oci-archive: oci:'
row dgst 'openssl dgst -sha256 (hash only)'
echo "  skopeo / oci-import wall:          $(ratio skopeo ocikit)x  (target >= 5)"
echo "  oci-import / openssl dgst wall:    $(ratio ocikit dgst)x  (target <= 1.5)"
echo "  oci-import peak RSS:               $((ocikit_rss / 1024)) MiB  (target < 16)"
python3 "$HELPERS/cachecheck.py" c1 --complete >/dev/null &&
    echo "  cache verified by cachecheck.py:   ok"
