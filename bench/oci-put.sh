#!/bin/sh
# bench/oci-put.sh - push a 150 MB single-platform image to an empty
# loopback registry: oci-put against skopeo and against raw curl uploads
# of the same blobs; then an unchanged re-push.
#
# The floor is one raw `curl -T` PUT of the largest blob (its upload
# session opened untimed): the registry hashes and writes what it
# receives, and no client can make that faster. "curl per blob" is the raw
# upload of every blob and the manifest, one after the other.
. "$(dirname "$0")/lib.sh"

# the pieces of tests/lib.sh that tests/helpers/registry.sh uses
TRASH=$WORK
XDG_CONFIG_HOME=$WORK/config
test_free_port () {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
test_atexit () {
	_bench_cleanup="$1; ${_bench_cleanup:-:}"
	trap 'eval "$_bench_cleanup"; cd / && rm -rf "$WORK"' EXIT
}
. "$HELPERS/registry.sh"
registry_start || exit 1

python3 "$HELPERS/ocitest.py" gen layout big:1 --single --layers 3 \
    --layer-size 50000000 >/dev/null
(cd layout && tar -cf ../big.tar .)
oci-import -C cache --ref localhost/big:1 big.tar >/dev/null
empty="rm -rf $REG_DIR/storage/docker"

# raw: per blob a POST and one PUT -T of the whole blob, then the manifest
man=$(jq -r '.manifests[0].digest' layout/index.json | cut -d: -f2)
{
	echo 'set -e'
	echo "for d in \$(jq -r '.config.digest, .layers[].digest' layout/blobs/sha256/$man); do"
	echo "	loc=\$(curl -sf -X POST -D - -o /dev/null $REG_URL/v2/raw/blobs/uploads/ |"
	echo "	    tr -d '\\r' | sed -n 's/^[Ll]ocation: //p')"
	echo "	case \$loc in http*) ;; *) loc=$REG_URL\$loc ;; esac"
	echo "	curl -sf -T layout/blobs/sha256/\${d#sha256:} \\"
	echo "	    -H 'Content-Type: application/octet-stream' \"\$loc&digest=\$d\" -o /dev/null"
	echo 'done'
	echo "curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \\"
	echo "    --data-binary @layout/blobs/sha256/$man $REG_URL/v2/raw/manifests/1 -o /dev/null"
} >raw.sh

# the floor: the largest blob alone, its upload session opened untimed
big=$(jq -r '.layers | max_by(.size) | .digest' layout/blobs/sha256/$man)
{
	echo "$empty"
	echo "curl -sf -X POST -D - -o /dev/null $REG_URL/v2/floor/blobs/uploads/ |"
	echo "    tr -d '\\r' | sed -n 's/^[Ll]ocation: //p' >loc"
} >floor-setup.sh
{
	echo 'set -e'
	echo 'loc=$(cat loc)'
	echo "case \$loc in http*) ;; *) loc=$REG_URL\$loc ;; esac"
	echo "curl -sf -T layout/blobs/sha256/${big#sha256:} \\"
	echo "    -H 'Content-Type: application/octet-stream' \"\$loc&digest=$big\" -o /dev/null"
} >floor.sh

measure_turns \
    ocikit "$empty" "oci-put -C cache localhost/big:1 $REG/big:1" \
    skopeo "$empty" "skopeo copy -q --dest-tls-verify=false oci:layout:big:1 docker://$REG/sk:1" \
    raw "$empty" "sh raw.sh" \
    floor "sh floor-setup.sh" "sh floor.sh"
oci-put -C cache localhost/big:1 $REG/big:1 >/dev/null
measure again '' "oci-put -C cache localhost/big:1 $REG/big:1"

header "oci-put: 150 MB single-platform image to an empty loopback registry (median of $RUNS)"
row ocikit 'oci-put'
row skopeo 'skopeo copy oci: docker://'
row raw 'curl POST + PUT -T per blob'
row floor 'curl PUT -T of the largest blob (floor)'
row again 'oci-put again (unchanged)'
echo "  oci-put / floor:                       $(ratio ocikit floor)x"
echo "  oci-put / curl per blob:               $(verdict ocikit raw 1.1)"
echo "  oci-put / skopeo:                      $(ratio ocikit skopeo)x"
echo "  peak RSS oci-put:                      $(rss_verdict ocikit)"
echo "  unchanged re-push:                     $(awk "BEGIN{print $again_wall * 1000}") ms  (target < 20)"
