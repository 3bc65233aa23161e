#!/bin/sh
test_description='messages: one line of the shape TOOL: cannot VERB '"'"'SUBJECT'"'"': REASON, the status by kind (ocikit(7), DIAGNOSTICS)'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES

# shape TOOL FILE: exactly one line, TOOL: cannot VERB 'SUBJECT': REASON,
# with no full stop at the end
shape () {
	test "$(wc -l <"$2")" -eq 1 &&
	grep -E "^$1: cannot [a-z][a-z -]*[a-z] '[^']+': [^ ].*[^.]\$" "$2" \
	    >/dev/null || { echo "bad shape:"; cat "$2"; return 1; }
}
# loose TOOL FILE: one line, TOOL: cannot ...: REASON (what oci-put and
# oci-index-merge print today)
loose () {
	test "$(wc -l <"$2")" -eq 1 &&
	grep -E "^$1: cannot .+: .*[^.]\$" "$2" >/dev/null ||
	{ echo "bad shape:"; cat "$2"; return 1; }
}
# once FILE TEXT: TEXT occurs exactly once
once () {
	test "$(grep -oF -- "$2" "$1" | wc -l)" -eq 1 ||
	{ echo "'$2' not exactly once:"; cat "$1"; return 1; }
}
# usage TOOL FILE: the usage line, and every other line is TOOL: ...
usage () {
	grep "^usage: $1 " "$2" >/dev/null &&
	! grep -v -e "^usage: $1 " -e "^ " -e "^$1: " "$2" ||
	{ echo "bad usage:"; cat "$2"; return 1; }
}

make_image multi/app:1 --platforms linux/amd64,linux/arm64 >/dev/null
mock_start || exit 1
DEAD=127.0.0.1:1
# nothing listens on $DEAD: a tool retries for about 7 s before it gives
# up. The first test below waits that out; the others cut it short with
# a deadline of 1 s (ocikit(7)), which fails the same way, sooner.
QUICK="env OCIKIT_HTTP_DEADLINE=1"

test_expect_success 'oci-fetch: usage errors are 2 with the usage' '
	test_expect_code 2 oci-fetch 2>err && usage oci-fetch err &&
	test_expect_code 2 oci-fetch -j 0 x 2>err && usage oci-fetch err &&
	grep "^oci-fetch: cannot use -j .0.: " err &&
	test_expect_code 2 oci-fetch -p nonsense x 2>err &&
	usage oci-fetch err && grep "^oci-fetch: cannot use -p .nonsense.: " err
'

test_expect_success 'oci-fetch: not found is 3 in every mode, the subject once' '
	for m in "" --resolve --manifest; do
		test_expect_code 3 oci-fetch -C c $m $MOCK/multi/app:nope \
		    >out 2>err || return 1
		shape oci-fetch err && once err multi/app:nope || return 1
	done &&
	test_expect_code 3 oci-fetch -C c -p linux/s390x $MOCK/multi/app:1 2>err &&
	shape oci-fetch err && once err multi/app:1 && once err linux/s390x
'

test_expect_success 'oci-fetch: an unreachable registry is 1 in every mode' '
	test_expect_code 1 oci-fetch -C c $DEAD/a/b:1 2>err &&
	shape oci-fetch err && once err "$DEAD/a/b:1" &&
	grep -F "cannot reach '"'"'$DEAD'"'"': " err &&
	! grep -F "no complete answer within" err &&
	for m in "" --resolve --manifest; do
		test_expect_code 1 $QUICK oci-fetch -C c $m $DEAD/a/b:1 \
		    2>err || return 1
		shape oci-fetch err && once err "$DEAD/a/b:1" || return 1
	done
'

test_expect_success 'oci-fetch: a bad reference is 1; control characters escaped' '
	test_expect_code 1 oci-fetch -C c "UPPER/Case:1" 2>err &&
	shape oci-fetch err && once err UPPER/Case:1 &&
	test_expect_code 1 oci-fetch -C c "$(printf "a\033[2Jb")" 2>err &&
	shape oci-fetch err && grep -F "a\\x1b[2Jb" err
'

test_expect_success 'oci-import: usage 2, a missing file 3, a bad tar 1' '
	test_expect_code 2 oci-import -C c --ref a/b:1 x y 2>err &&
	usage oci-import err && grep "^oci-import: cannot use --ref " err &&
	test_expect_code 3 oci-import -C c nosuch.tar 2>err &&
	shape oci-import err && once err nosuch.tar &&
	echo garbage >bad.tar &&
	test_expect_code 1 oci-import -C c bad.tar 2>err &&
	shape oci-import err && once err bad.tar &&
	test_expect_code 3 oci-import -C c "$(printf "new\nline.tar")" 2>err &&
	shape oci-import err && grep -F "new\\x0aline.tar" err
'

test_expect_success 'setup: packages' '
	mkdir -p pk bad && printf "image: pk\n" >pk/build.yml &&
	touch pk/Dockerfile && printf "image: b\nnope: 1\n" >bad/build.yml &&
	touch bad/Dockerfile && mkdir -p dep && touch dep/Dockerfile &&
	printf "image: dep\ndepends:\n  docker-images:\n    target: d.tar\n    list: [%s/a/b@sha256:%064d]\n" \
	    "$DEAD" 0 >dep/build.yml
'

test_expect_success 'pkg-tag: usage 2 (-j is not --json), not found 3, bad build.yml 1' '
	test_expect_code 2 pkg-tag -j pk 2>err && usage pkg-tag err &&
	test_expect_code 3 pkg-tag nosuch 2>err &&
	shape pkg-tag err && once err "'"'"'nosuch'"'"'" &&
	test_expect_code 1 pkg-tag bad 2>err &&
	shape pkg-tag err && once err "'"'"'bad'"'"'" && grep "build.yml:2" err
'

test_expect_success 'pkg-buildctx: usage 2, not found 3, bad input 1, unreachable 1' '
	test_expect_code 2 pkg-buildctx a b 2>err && usage pkg-buildctx err &&
	test_expect_code 3 pkg-buildctx nosuch >out 2>err &&
	shape pkg-buildctx err && once err nosuch &&
	test_expect_code 1 pkg-buildctx bad >out 2>err &&
	shape pkg-buildctx err && grep "build.yml:2" err &&
	test_expect_code 1 $QUICK pkg-buildctx -C c dep >out 2>err &&
	test ! -s out && shape pkg-buildctx err && once err "$DEAD/a/b@"
'

test_expect_success '-q: the expected "not found" of an exit 3 is silent' '
	test_expect_code 3 oci-fetch -q -C c $MOCK/multi/app:nope 2>err &&
	test ! -s err &&
	test_expect_code 3 oci-import -q -C c nosuch.tar 2>err && test ! -s err &&
	test_expect_code 3 pkg-tag -q nosuch 2>err && test ! -s err &&
	test_expect_code 3 pkg-buildctx -q nosuch >out 2>err && test ! -s err &&
	test_expect_code 1 $QUICK oci-fetch -q -C c $DEAD/a/b:1 2>err &&
	shape oci-fetch err
'

test_expect_success 'oci-put: usage 2, not in the cache 3, unreachable 1 (shape)' '
	test_expect_code 2 oci-put --bogus x 2>err && usage oci-put err &&
	test_expect_code 3 oci-put -C c $DEAD/no/such:1 2>err &&
	loose oci-put err &&
	oci-fetch -C c -p linux/amd64 $MOCK/multi/app:1 >/dev/null &&
	test_expect_code 1 $QUICK oci-put -C c $MOCK/multi/app:1 $DEAD/x/y:1 \
	    2>err &&
	loose oci-put err
'

test_expect_success 'oci-index-merge: usage 2, not in the cache 3, bad records 1 (shape)' '
	test_expect_code 2 oci-index-merge -C c x 2>err &&
	usage oci-index-merge err &&
	test_expect_code 3 oci-index-merge -C c --ref $DEAD/x:1 $DEAD/no:1 2>err &&
	loose oci-index-merge err &&
	echo garbage >records &&
	test_expect_code 1 oci-index-merge -C c --ref $DEAD/x:1 - <records 2>err &&
	loose oci-index-merge err
'

test_expect_success 'cache tools: not found is 3, one line, the subject once' '
	for t in "oci-ls" "oci-rm" "oci-export -o x.tar" "oci-put" \
	    "oci-index-merge --ref idx/x:1"; do
		tool=${t%% *}
		test_expect_code 3 $t -C c nosuch/img:1 >out 2>err || return 1
		shape $tool err && once err nosuch/img:1 || return 1
		test_expect_code 3 $t -q -C c nosuch/img:1 >out 2>err &&
		test ! -s err || { echo "$tool -q is not quiet"; return 1; }
	done &&
	test ! -e x.tar
'

test_expect_success 'cache tools: usage errors are 2 with the usage' '
	for t in oci-ls oci-rm oci-export oci-fsck; do
		test_expect_code 2 $t --bogus 2>err && usage $t err || return 1
	done &&
	test_expect_code 2 oci-rm -C c 2>err && usage oci-rm err &&
	test_expect_code 2 oci-export -C c 2>err && usage oci-export err
'

test_done
