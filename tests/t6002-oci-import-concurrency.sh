#!/bin/sh
test_description='oci-import: parallel importers and importers killed at random'
. "$(dirname "$0")/lib.sh"

check () {
	python3 "$HELPERS/cachecheck.py" "$1" --complete
}

test_expect_success 'setup: an image of several MB in a few layers' '
	python3 "$HELPERS/ocitest.py" gen src app:1 --single --layers 4 \
	    --layer-size 1500000 >/dev/null &&
	skopeo copy -q oci:src:app:1 oci-archive:app.tar:localhost/app:1
'

test_expect_success '8 importers into one cache at once: all 8 names land' '
	pids= &&
	for i in 1 2 3 4 5 6 7 8; do
		oci-import -C cache --ref localhost/par:$i app.tar >out.$i 2>err.$i &
		pids="$pids $!"
	done &&
	for p in $pids; do wait $p || exit 1; done &&
	jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" \
	    cache/index.json | sort >names &&
	for i in 1 2 3 4 5 6 7 8; do echo localhost/par:$i; done >expect &&
	test_cmp expect names &&
	check cache
'

test_expect_success '8 importers of different images at once' '
	for i in 1 2 3 4 5 6 7 8; do
		python3 "$HELPERS/ocitest.py" gen src img$i:1 --single \
		    --seed $i --layer-size 100000 >/dev/null &&
		skopeo copy -q oci:src:img$i:1 oci-archive:img$i.tar:localhost/img$i:1 ||
		exit 1
	done &&
	pids= &&
	for i in 1 2 3 4 5 6 7 8; do
		oci-import -C cache2 img$i.tar >/dev/null &
		pids="$pids $!"
	done &&
	for p in $pids; do wait $p || exit 1; done &&
	test "$(jq ".manifests | length" cache2/index.json)" = 8 &&
	check cache2
'

# kill -9 at a random moment, 50 times; the cache must stay valid each time
test_expect_success 'killed at random moments 50 times: the cache stays valid' '
	i=0 && killed=0 &&
	while test $i -lt 50; do
		i=$((i + 1))
		ms=$(( $(od -An -N2 -tu2 /dev/urandom) % 60 ))
		# a kill -9 during the exit scan of LeakSanitizer (SANITIZE=1) makes
		# it report its own lost threads: no leak check for the victims
		ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
		oci-import -C crash --ref localhost/crash:$i app.tar \
		    >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$(printf %02d $ms)"
		kill -9 $pid 2>/dev/null && killed=$((killed + 1))
		wait $pid 2>/dev/null
		check crash || { echo "invalid after kill $i at ${ms}ms"; exit 1; }
		# start over now and then, so kills also land in early phases
		if test $((i % 10)) = 0; then rm -rf crash; fi
	done &&
	echo "killed $killed of 50 while running" &&
	test "$killed" -gt 0
'

test_expect_success 'after the kills an import completes and nothing is left over' '
	oci-import -C crash --ref localhost/crash:final app.tar >out &&
	jq -e ".ref == \"localhost/crash:final\"" out &&
	check crash &&
	test -z "$(find crash -name ".tmp*")"
'

test_done
