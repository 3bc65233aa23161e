#!/bin/sh
test_description='oci-rm: reference-counted removal, --published-only, --all, concurrency'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

check () {
	python3 "$HELPERS/cachecheck.py" "$@"
}

registry_start || exit 1

# x:1 is an index (amd64, arm64, attestations); y:1 names x's amd64
# manifest: the two share that manifest, its config and its layers
test_expect_success 'setup: two images sharing layers' '
	$OCITEST gen src x:1 --platforms linux/amd64,linux/arm64 --layers 2 \
	    --layer-size 20000 --attest >/dev/null &&
	amd=$(jq -c ".manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"x:1\")" \
	    src/index.json) &&
	idx=$(jq -r .digest <<-EOF
	$amd
	EOF
	) &&
	child=$(jq -c ".manifests[] | select(.platform.architecture == \"amd64\")
	    | .annotations = {\"org.opencontainers.image.ref.name\": \"y:1\"}" \
	    src/blobs/sha256/${idx#sha256:}) &&
	jq -c ".manifests += [$child]" src/index.json >idx.new &&
	mv idx.new src/index.json &&
	(cd src && tar -cf ../xy.tar .) &&
	$OCITEST blobs src y:1 all | sort >y.blobs &&
	$OCITEST blobs src x:1 all | sort >x.blobs &&
	test $(comm -12 x.blobs y.blobs | wc -l) -ge 4 &&
	test $(comm -23 x.blobs y.blobs | wc -l) -ge 4
'

test_expect_success 'usage errors (2): no name, --all with names, a bad option' '
	test_expect_code 2 oci-rm -C c 2>err && grep "^usage: oci-rm" err &&
	test_expect_code 2 oci-rm -C c --all x:1 2>err &&
	grep "^usage: oci-rm" err &&
	test_expect_code 2 oci-rm --bogus x:1 2>err &&
	grep "^usage: oci-rm" err
'

test_expect_success 'no cache: not found (3)' '
	test_expect_code 3 oci-rm -C nocache x:1 2>err &&
	test_one_line_error err nocache && test ! -e nocache
'

test_expect_success 'removing one of two images keeps the shared blobs, removes the rest' '
	oci-import -C c xy.tar >/dev/null &&
	check c --no-garbage &&
	oci-rm -C c x:1 >out 2>err &&
	test_one_line_error err "removing image docker.io/library/x:1 from cache" &&
	test "$(jq -r .ref out)" = docker.io/library/x:1 &&
	test "$(jq -r .digest out)" = "$($OCITEST blobs src x:1 root)" &&
	ls c/blobs/sha256 | sed "s/^/sha256:/" | sort >left &&
	test_cmp y.blobs left &&
	check c --no-garbage &&
	test "$(oci-ls -C c | jq -r .ref)" = docker.io/library/y:1
'

test_expect_success 'an unknown name is exit 3, the others are still removed' '
	rm -rf c && oci-import -C c xy.tar >/dev/null &&
	test_expect_code 3 oci-rm -C c nope:1 y:1 >out 2>err &&
	grep "^oci-rm: cannot remove '"'"'nope:1'"'"': not in the cache\$" err &&
	test "$(jq -r .ref out)" = docker.io/library/y:1 &&
	test "$(oci-ls -C c | jq -r .ref)" = docker.io/library/x:1 &&
	check c --no-garbage
'

test_expect_success '-q hides the message, not the record' '
	oci-rm -C c -q x:1 >out 2>err &&
	test ! -s err && test "$(jq -r .ref out)" = docker.io/library/x:1 &&
	test -z "$(ls c/blobs/sha256)" &&
	test "$(jq ".manifests | length" c/index.json)" = 0
'

test_expect_success 'a name without a tag finds name:latest; every entry of a name goes' '
	rm -rf c && oci-import -C c xy.tar >/dev/null &&
	jq -c ".manifests += [.manifests[0]]" c/index.json >i &&
	mv i c/index.json &&
	test "$(jq "[.manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"docker.io/library/x:1\")] | length" c/index.json)" = 2 &&
	oci-rm -C c x:1 >/dev/null 2>&1 &&
	test "$(jq ".manifests | length" c/index.json)" = 1 &&
	check c --no-garbage &&
	$OCITEST gen src2 plain:1 --single >/dev/null &&
	(cd src2 && tar -cf ../plain.tar .) &&
	oci-import -C c --ref plain plain.tar >/dev/null &&
	oci-rm -C c plain >out 2>/dev/null &&
	test "$(jq -r .ref out)" = docker.io/library/plain:latest &&
	check c --no-garbage
'

test_expect_success 'a name whose manifest cannot be read keeps every blob' '
	rm -rf c && oci-import -C c xy.tar >/dev/null &&
	idx=$($OCITEST blobs src x:1 root) &&
	printf "{" >c/blobs/sha256/${idx#sha256:} &&
	n=$(ls c/blobs/sha256 | wc -l) &&
	oci-rm -C c y:1 >/dev/null 2>err &&
	grep "blobs kept" err &&
	test $(ls c/blobs/sha256 | wc -l) = $n
'

test_expect_success '--all empties the cache but keeps it, its layout and its lock' '
	rm -rf c && oci-import -C c xy.tar >/dev/null &&
	touch c/.lock && ino=$(stat -c %i c/.lock) &&
	oci-rm -C c --all >out 2>err &&
	test_one_line_error err "Cache emptied: c" && test ! -s out &&
	test "$(stat -c %i c/.lock)" = "$ino" &&
	test -f c/oci-layout && test -d c/blobs/sha256 &&
	test -z "$(ls c/blobs/sha256)" &&
	test "$(jq -c .manifests c/index.json)" = "[]" &&
	oci-ls -C c >out && test ! -s out &&
	oci-import -C c xy.tar >/dev/null && check c --no-garbage
'

test_expect_success '--published-only removes a name only when the registry has its digest' '
	rm -rf c &&
	$OCITEST gen src3 other:1 --single --seed 2 >/dev/null &&
	(cd src3 && tar -cf ../other.tar .) &&
	oci-import -C c --ref other:1 other.tar >/dev/null &&
	oci-put -q -C c other:1 $REG/t/diff:1 >/dev/null &&
	# named in the cache after the push, so the cache differs
	for n in pub diff absent; do
		oci-import -C c --ref $REG/t/$n:1 plain.tar >/dev/null || return 1
	done &&
	oci-put -q -C c $REG/t/pub:1 >/dev/null &&
	oci-rm -C c --published-only $REG/t/pub:1 $REG/t/diff:1 $REG/t/absent:1 \
	    >out 2>err &&
	test "$(jq -r .ref out)" = $REG/t/pub:1 &&
	grep "removing image $REG/t/pub:1 from cache" err &&
	local_d=$(oci-ls -C c $REG/t/diff:1 | jq -r .digest) &&
	remote_d=$(oci-ls -C c other:1 | jq -r .digest) &&
	grep "image $REG/t/diff:1 has mismatched hashes, cache $local_d vs remote registry $remote_d, leaving in cache" err &&
	grep "image $REG/t/absent:1 not found in remote registry, leaving in cache" err &&
	test $(wc -l <err) = 3 &&
	oci-ls -C c | jq -r .ref >names &&
	printf "%s\n" $REG/t/absent:1 $REG/t/diff:1 docker.io/library/other:1 \
	    >expect &&
	test_cmp expect names &&
	check c --no-garbage
'

test_expect_success '--all --published-only removes every published name, only those' '
	# no name of another registry: the tests talk to 127.0.0.1 only
	oci-rm -C c -q other:1 >/dev/null &&
	oci-put -q -C c $REG/t/absent:1 >/dev/null &&
	oci-rm -C c --all --published-only >out 2>err &&
	test "$(jq -r .ref out)" = $REG/t/absent:1 &&
	grep "image $REG/t/diff:1 has mismatched hashes" err &&
	test $(wc -l <err) = 2 &&
	oci-ls -C c | jq -r .ref >names &&
	printf "%s\n" $REG/t/diff:1 >expect &&
	test_cmp expect names &&
	check c --no-garbage
'

test_expect_success '--published-only: an unreachable registry keeps the name, exit 1' '
	oci-import -C c --ref 127.0.0.1:1/t/x:1 plain.tar >/dev/null &&
	test_expect_code 1 env OCIKIT_HTTP_DEADLINE=1 \
	    oci-rm -C c --published-only 127.0.0.1:1/t/x:1 2>err &&
	grep "cannot resolve .127.0.0.1:1/t/x:1., leaving it in the cache" err &&
	oci-ls -C c 127.0.0.1:1/t/x:1 >/dev/null
'

# a remover takes par:0 away and puts it back, over and over, while
# importers name par:1... from the same tar: an importer that found the
# blobs present must not record a name after the remover deleted them
test_expect_success 'setup: an image of a few MB' '
	$OCITEST gen srcp par:1 --single --layers 4 --layer-size 3000000 >/dev/null &&
	(cd srcp && tar -cf ../par.tar .) &&
	oci-import -C cc --ref par:0 par.tar >/dev/null
'

test_expect_success 'oci-rm under 8 concurrent oci-import runs: every name resolves' '
	{
	(
		while ! test -e stop && kill -0 $$ 2>/dev/null; do
			oci-rm -C cc -q par:0 >/dev/null 2>&1
			oci-import -C cc --ref par:0 par.tar >/dev/null 2>&1
		done
	) &
	} &&
	remover=$! &&
	test_atexit "touch $TRASH/stop" &&
	pids= &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		oci-import -C cc --ref par:$i par.tar >/dev/null 2>err.$i &
		pids="$pids $!"
		if test $i = 8; then
			for p in $pids; do wait $p; done
			pids=
		fi
	done &&
	for p in $pids; do wait $p; done &&
	touch stop && wait $remover &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		test ! -s err.$i ||
		grep -E "no longer in the cache|is not in the cache" err.$i ||
		exit 1
	done &&
	echo "$(cat err.* | wc -l) imports lost the race and said so" &&
	check cc --complete &&
	oci-rm -C cc -q --all && oci-import -C cc --ref par:9 par.tar >/dev/null &&
	check cc --no-garbage
'

# the same race, made certain: the importer has read every blob (all
# present, so none staged) when oci-rm deletes them; it must not name them
test_expect_success 'an import whose blobs were removed meanwhile fails and names nothing' '
	rm -rf cc && oci-import -C cc --ref par:0 par.tar >/dev/null &&
	# everything before the last member: the blobs are read, not the end
	cut=$(python3 -c "import tarfile; print(tarfile.open(\"par.tar\").getmembers()[-1].offset)") &&
	mkfifo feed &&
	{
		{ oci-import -C cc --ref par:late - <feed >out 2>err &&
		    echo 0 >rc.new || echo $? >rc.new; mv rc.new rc; } &
	} &&
	{
		head -c $cut par.tar &&
		sleep 0.5 &&
		oci-rm -C cc -q par:0 >/dev/null &&
		# the importer may stop reading once it fails
		{ tail -c +$((cut + 1)) par.tar || :; }
	} >feed &&
	n=0 && while ! test -s rc && test $n -lt 1200; do
		sleep 0.05; n=$((n + 1))
	done &&
	# 1, or 3 as oci-import now says when a cached blob it used is gone
	{ test "$(cat rc)" = 1 || test "$(cat rc)" = 3; } &&
	test "$(wc -l <err)" = 1 &&
	grep -E "no longer in the cache|is not in the cache" err &&
	test ! -s out &&
	test "$(jq ".manifests | length" cc/index.json)" = 0 &&
	check cc --complete
'

test_done
