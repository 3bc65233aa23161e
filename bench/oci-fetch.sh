#!/bin/sh
# bench/oci-fetch.sh - pull from docker-registry on 127.0.0.1 into an empty
# cache: a 150 MB single-platform image and a 40-layer image, oci-fetch
# against skopeo copy, and against the floor measured in the same run:
# curl --parallel of the same manifest and blobs to /dev/null, openssl
# dgst of the big blob alone (a client that verifies cannot finish before
# the larger of these two), and curl to files plus openssl dgst over them,
# or synced to disk (sync -d) without it; then the warm (cache-first) run.
. "$(dirname "$0")/lib.sh"

# what tests/helpers/registry.sh needs from tests/lib.sh
TRASH=$WORK
HOME=$WORK/home
XDG_CONFIG_HOME=$HOME/.config
DOCKER_CONFIG=$HOME/.docker
export HOME XDG_CONFIG_HOME DOCKER_CONFIG
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
mkdir -p "$HOME"
_cleanups=
test_atexit () { _cleanups="$1
$_cleanups"; }
trap 'eval "$_cleanups"; cd / && rm -rf "$WORK"' EXIT
test_free_port () {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
. "$HELPERS/registry.sh"

make_image bench/big:1 --single --layers 1 --layer-size 150000000 >/dev/null
make_image bench/many:1 --single --layers 40 --layer-size 500000 >/dev/null
registry_start || exit 1
registry_push "$TRASH/images" bench/big:1 || exit 1
registry_push "$TRASH/images" bench/many:1 || exit 1
BIG=$($OCITEST blobs "$TRASH/images" bench/big:1 all | tail -1)
size=$(stat -c %s "$TRASH/images/blobs/sha256/${BIG#sha256:}")

# curl configs for the floor: the manifest by tag, then every other blob
# (config and layers) of NAME, to /dev/null (NAME.null) or to files f.N
# (NAME.files), all in parallel as oci-fetch does
floor_cfg () {
	_repo=${1%:*} _tag=${1#*:} _root=$($OCITEST blobs "$TRASH/images" "$1" root)
	_n=0
	for _out in null files; do
		{
		echo 'header = "Accept: application/vnd.oci.image.manifest.v1+json"'
		echo "url = \"$REG_URL/v2/$_repo/manifests/$_tag\""
		echo 'output = "/dev/null"'
		for _d in $($OCITEST blobs "$TRASH/images" "$1" all); do
			test "$_d" = "$_root" && continue
			_n=$((_n + 1))
			echo "url = \"$REG_URL/v2/$_repo/blobs/$_d\""
			if test $_out = null; then
				echo 'output = "/dev/null"'
			else
				echo "output = \"f.$_n\""
			fi
		done
		} >"$WORK/$2.$_out"
	done
}
floor_cfg bench/big:1 big
floor_cfg bench/many:1 many
PAR='curl -s -f --parallel --parallel-max 4'

# in turns: a burst of load hits oci-fetch and its floor alike
measure_turns \
    big 'rm -rf c1' "oci-fetch -C c1 $REG/bench/big:1" \
    bigsk 'rm -rf s1' "skopeo copy -q --src-tls-verify=false docker://$REG/bench/big:1 oci:s1:big" \
    curl 'rm -f blob' "curl -s -o blob $REG_URL/v2/bench/big/blobs/$BIG && openssl dgst -sha256 blob" \
    bignull '' "$PAR -K $WORK/big.null" \
    bighash '' "openssl dgst -sha256 $TRASH/images/blobs/sha256/${BIG#sha256:}" \
    bigfiles 'rm -f f.*' "$PAR -K $WORK/big.files && openssl dgst -sha256 f.* >/dev/null" \
    bigsync 'rm -f f.*' "$PAR -K $WORK/big.files && sync -d f.*"
measure_turns \
    many 'rm -rf c2' "oci-fetch -C c2 $REG/bench/many:1" \
    manysk 'rm -rf s2' "skopeo copy -q --src-tls-verify=false docker://$REG/bench/many:1 oci:s2:many" \
    manynull '' "$PAR -K $WORK/many.null" \
    manyfiles 'rm -f f.*' "$PAR -K $WORK/many.files && openssl dgst -sha256 f.* >/dev/null" \
    manysync 'rm -f f.*' "$PAR -K $WORK/many.files && sync -d f.*"
oci-fetch -C c1 $REG/bench/big:1 >/dev/null
measure warm '' "oci-fetch -C c1 $REG/bench/big:1"
# /usr/bin/time counts in 10 ms steps: time 100 warm runs instead, and
# beside them 100 runs of curl --version, which only loads libcurl and
# the libraries it needs: the floor of any program linked with it
nruns () {
	_t0=$(date +%s%N)
	_i=0
	while [ $_i -lt 100 ]; do
		"$@" >/dev/null || exit 1
		_i=$((_i + 1))
	done
	echo $(( ($(date +%s%N) - _t0) / 100 ))
}
t_warm=$(nruns oci-fetch -C c1 $REG/bench/big:1) || exit 1
t_load=$(nruns curl --version) || exit 1

header "oci-fetch: $((size / 1000000)) MB single-layer image from docker-registry on 127.0.0.1 into an empty cache (median of $RUNS)"
row big 'oci-fetch'
row bigsk 'skopeo copy docker:// oci:'
row curl 'curl -o + openssl dgst -sha256'
row bignull 'floor: curl --parallel >/dev/null'
row bighash 'floor: openssl dgst of the blob alone'
row bigfiles 'floor: curl --parallel files + dgst'
row bigsync 'floor: curl --parallel files, synced'
echo "  skopeo / oci-fetch wall:           $(ratio bigsk big)x  (target >= 2.5)"
echo "  oci-fetch / (curl + dgst) wall:    $(ratio big curl)x  (target <= 1.3)"
echo "  oci-fetch / floor (/dev/null):     $(verdict big bignull 1.5)"
# received and hashed at once on two cores, the larger of the two is the
# work no verifying client can avoid
bigboth_wall=$(awk "BEGIN { print ($bignull_wall > $bighash_wall) ? $bignull_wall : $bighash_wall }")
echo "  oci-fetch / floor (max of both):   $(ratio big bigboth)x"
echo "  oci-fetch / floor (files + dgst):  $(ratio big bigfiles)x"
echo "  oci-fetch / floor (files, synced): $(ratio big bigsync)x"
echo "  oci-fetch peak RSS:                $((big_rss / 1024)) MiB  (target < 16)"
header "oci-fetch: 40-layer image (40 x 0.5 MB) into an empty cache (median of $RUNS)"
row many 'oci-fetch'
row manysk 'skopeo copy docker:// oci:'
row manynull 'floor: curl --parallel >/dev/null'
row manyfiles 'floor: curl --parallel files + dgst'
row manysync 'floor: curl --parallel files, synced'
echo "  skopeo / oci-fetch wall:           $(ratio manysk many)x  (target >= 2)"
echo "  oci-fetch / floor (/dev/null):     $(verdict many manynull 1.1)"
echo "  oci-fetch / floor (files + dgst):  $(ratio many manyfiles)x"
echo "  oci-fetch / floor (files, synced): $(ratio many manysync)x"
echo "  oci-fetch peak RSS:                $((many_rss / 1024)) MiB  (target < 16)"
header "oci-fetch: warm run, everything cached (median of $RUNS)"
row warm 'oci-fetch (no request made)'
echo "  warm wall, mean of 100 runs:       $(awk "BEGIN{printf \"%.2f\", $t_warm / 1000000}") ms  (target < 10)"
echo "  floor: curl --version, mean of 100: $(awk "BEGIN{printf \"%.2f\", $t_load / 1000000}") ms  (loading libcurl alone)"
echo "  warm run / floor:                  $(awk "BEGIN{printf \"%.2f\", $t_warm / $t_load}")x"
