#!/bin/sh
test_description='oci-ls: records sorted by name, canonical operands, a table on a terminal'
. "$(dirname "$0")/lib.sh"

OCITEST="python3 $HELPERS/ocitest.py"

test_expect_success 'setup: a multi-platform index and two single images' '
	$OCITEST gen src zeta/multi:1 --platforms linux/amd64,linux/arm64 \
	    --layers 2 --layer-size 20000 --attest >/dev/null &&
	$OCITEST gen src app:2 --single --layers 3 --layer-size 30000 >/dev/null &&
	$OCITEST gen src localhost:5000/alpha:1 --single --platforms linux/arm64 \
	    >/dev/null &&
	(cd src && tar -cf ../all.tar .) &&
	oci-import -C cache all.tar >imported &&
	test $(wc -l <imported) = 3
'

test_expect_success 'bad option, or -C without a value, is a usage error (2)' '
	test_expect_code 2 oci-ls --bogus 2>err && grep "^usage: oci-ls" err &&
	test_expect_code 2 oci-ls -C 2>err && grep "^usage: oci-ls" err
'

test_expect_success '--help prints the usage on stdout' '
	oci-ls --help >out && grep "^usage: oci-ls" out
'

test_expect_success 'one record per name, sorted by name, with the root descriptor' '
	oci-ls -C cache >out &&
	jq -r .ref out >names &&
	sort names >sorted && test_cmp sorted names &&
	printf "%s\n" docker.io/library/app:2 docker.io/zeta/multi:1 \
	    localhost:5000/alpha:1 >expect &&
	test_cmp expect names &&
	# the same descriptors index.json holds under those names
	jq -c "{ref: .annotations[\"org.opencontainers.image.ref.name\"],
	    mediaType, digest, size}" imported | sort >want &&
	jq -c "{ref, mediaType, digest, size}" out | sort >got &&
	test_cmp want got &&
	test "$(jq -r "select(.ref == \"docker.io/zeta/multi:1\") | .mediaType" out)" = \
	    application/vnd.oci.image.index.v1+json
'

test_expect_success 'operands are canonicalised, :latest looked up, output sorted' '
	$OCITEST gen src2 plain:1 --single >/dev/null &&
	(cd src2 && tar -cf ../plain.tar .) &&
	oci-import -C cache --ref plain plain.tar >/dev/null &&
	oci-ls -C cache zeta/multi:1 plain app:2 >out &&
	jq -r .ref out >names &&
	printf "%s\n" docker.io/library/app:2 docker.io/library/plain:latest \
	    docker.io/zeta/multi:1 >expect &&
	test_cmp expect names
'

test_expect_success 'an unknown name is not found (3); the others are still listed' '
	test_expect_code 3 oci-ls -C cache nope:1 app:2 >out 2>err &&
	test_one_line_error err "nope:1" &&
	grep "not in the cache" err &&
	test "$(jq -r .ref out)" = docker.io/library/app:2
'

test_expect_success 'an invalid name is exit 1, named' '
	test_expect_code 1 oci-ls -C cache "Not A/Ref" >out 2>err &&
	test_one_line_error err "Not A/Ref" && test ! -s out
'

test_expect_success 'no cache: nothing listed; a name asked for is not found (3)' '
	oci-ls -C nocache >out && test ! -s out && test ! -e nocache &&
	test_expect_code 3 oci-ls -C nocache app:2 2>err &&
	test_one_line_error err nocache
'

test_expect_success 'LINUXKIT_CACHE names the cache' '
	LINUXKIT_CACHE=$TRASH/cache oci-ls >out &&
	test $(wc -l <out) = 4
'

test_expect_success '-l prints a table: name, short digest, platforms, size' '
	oci-ls -C cache -l >out &&
	head -1 out | grep "^NAME  *DIGEST  *PLATFORMS  *SIZE$" &&
	test $(wc -l <out) = 5 &&
	d=$(jq -r "select(.ref == \"docker.io/zeta/multi:1\") | .digest" imported) &&
	grep "^docker.io/zeta/multi:1  *$(echo $d | cut -c1-19)  *linux/amd64,linux/arm64  *[0-9.]*kB$" out &&
	grep "^localhost:5000/alpha:1  .* linux/arm64  " out &&
	grep "^docker.io/library/app:2  .* linux/amd64  " out
'

test_expect_success 'the size counts each blob the name reaches once' '
	# app:2: manifest, config and three layers, all distinct
	want=$($OCITEST blobs src app:2 all | while read -r b; do
		wc -c <cache/blobs/sha256/${b#sha256:}; done |
	    awk "{ s += \$1 } END { printf \"%.1fkB\", s / 1000 }") &&
	grep "^docker.io/library/app:2 .* $want$" out
'

test_expect_success 'a table on a terminal, records on a pipe' '
	script -qc "oci-ls -C cache" /dev/null >tty &&
	grep "NAME.*DIGEST.*PLATFORMS.*SIZE" tty &&
	! grep "{" tty &&
	oci-ls -C cache | jq -e .ref >/dev/null
'

test_expect_success 'a name missing a blob is marked incomplete in the table' '
	b=$($OCITEST blobs src app:2 all | tail -1) &&
	mv cache/blobs/sha256/${b#sha256:} saved &&
	oci-ls -C cache -l app:2 >out &&
	grep "^docker.io/library/app:2 .*(incomplete)$" out &&
	mv saved cache/blobs/sha256/${b#sha256:}
'

test_expect_success 'oci-ls waits for the lock to read index.json' '
	# a writer holding the lock blocks oci-ls until it lets go
	python3 -c "
import fcntl, os, sys, time
fd = os.open(\"cache/.lock\", os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(\"locked\", \"w\").close()
time.sleep(1)
" & pid=$! &&
	while ! test -e locked; do sleep 0.05; done &&
	start=$(date +%s%N) &&
	oci-ls -C cache >out &&
	end=$(date +%s%N) &&
	wait $pid &&
	test $(( (end - start) / 1000000 )) -ge 500 &&
	test $(wc -l <out) = 4
'

test_done
