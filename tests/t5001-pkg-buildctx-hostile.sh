#!/bin/sh
test_description='pkg-buildctx: sources outside git refused as pkg-tag refuses them; any file name; no leak on a write error'
. "$(dirname "$0")/lib.sh"

GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES

# the names in a tar, as bytes, one per line with \n escaped, sorted
tar_names () {
	python3 -c '
import sys, tarfile
with tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as t:
    for m in t.getmembers():
        n = m.name.encode("utf-8", "surrogateescape")
        if n in (b".", b"./"):
            continue
        sys.stdout.buffer.write(n.replace(b"\\", b"\\\\").replace(b"\n", b"\\n") + b"\n")
' "$1" | LC_ALL=C sort
}

test_expect_success 'setup: a repository with a package' '
	git init -q r && git -C r config user.email t@example.com &&
	git -C r config user.name t &&
	mkdir -p r/p r/other && printf "image: p\n" >r/p/build.yml &&
	echo "FROM scratch" >r/p/Dockerfile && echo o >r/other/f &&
	git -C r add -A && git -C r commit -q -m c
'

# both tools refuse build.yml $1: exit 1, one line naming $2, no output
both_refuse () {
	printf "image: p\nextra-sources:\n  - %s\n" "$1" >r/p/build.yml &&
	test_expect_code 1 pkg-tag r/p >out 2>err &&
	test_one_line_error err "$2" &&
	test_expect_code 1 pkg-buildctx r/p >out 2>err &&
	test_one_line_error err "$2" && test ! -s out
}

test_expect_success 'an extra source outside git (/etc) is refused by both tools' '
	both_refuse /etc:etc "not in a git repository" &&
	both_refuse /etc/passwd:x "not in a git repository"
'
test_expect_success 'a source reached through a link out of the repository is refused' '
	ln -s /etc r/p/etclink &&
	both_refuse etclink/passwd:x "etclink" &&
	rm r/p/etclink
'
test_expect_success 'a source in another repository reached through a link is refused' '
	git init -q r2 && echo s >r2/s && git -C r2 add s &&
	git -C r2 -c user.email=t@e -c user.name=t commit -q -m c &&
	ln -s "$TRASH/r2" r/p/r2link &&
	both_refuse r2link/s:s "r2link" &&
	rm r/p/r2link
'
test_expect_success 'a source in .git is refused' '
	both_refuse ../.git/config:c ".git"
'
test_expect_success 'an untracked source is refused by both tools alike' '
	echo u >r/untracked &&
	both_refuse ../untracked:u "untracked"
'
test_expect_success 'a committed source in the repository is streamed' '
	printf "image: p\nextra-sources:\n  - ../other:other\n" >r/p/build.yml &&
	pkg-tag r/p >out &&
	pkg-buildctx r/p >ctx.tar &&
	tar_names ctx.tar >names && grep -x other/f names
'

test_expect_success 'odd names: non-ASCII, not UTF-8, newline, leading dash, long' '
	mkdir odd && printf "image: odd\n" >odd/build.yml && touch odd/Dockerfile &&
	echo c >odd/café.txt &&
	echo l >"odd/$(printf "lat\351n1")" &&
	echo n >"odd/$(printf "new\nline")" &&
	echo d >odd/-dash && echo t >"odd/	tab" &&
	long=$(printf "%0150d" 0 | tr 0 L) && echo x >"odd/$long" &&
	deep=$(printf "%060d" 0 | tr 0 d) &&
	mkdir -p "odd/$deep/$deep/$deep/$deep/$deep" &&
	echo y >"odd/$deep/$deep/$deep/$deep/$deep/file" &&
	pkg-buildctx odd >odd.tar &&
	tar_names odd.tar >actual &&
	(cd odd && find . -mindepth 1 -print0 | python3 -c "
import sys
for n in sys.stdin.buffer.read().split(b\"\0\"):
    if n:
        sys.stdout.buffer.write(n[2:].replace(b\"\\\\\", b\"\\\\\\\\\").replace(b\"\n\", b\"\\\\n\") + b\"\n\")
") | LC_ALL=C sort >expect &&
	test_cmp expect actual &&
	grep -x "café.txt" actual && grep -x "new\\\\nline" actual &&
	test $(wc -c <odd.tar) -gt 0
'
test_expect_success 'the same names under a UTF-8 locale give the same bytes' '
	LC_ALL=C.UTF-8 pkg-buildctx --reproducible odd >u.tar &&
	LC_ALL=C pkg-buildctx --reproducible odd >c.tar &&
	cmp u.tar c.tar
'

test_expect_success 'a write error fails with one line and leaks nothing' '
	head -c 1000000 /dev/urandom >odd/big &&
	test_expect_code 1 pkg-buildctx odd >/dev/full 2>err &&
	test_one_line_error err "No space left on device" &&
	if test_have valgrind; then
		test_expect_code 1 valgrind -q --leak-check=full \
		    --errors-for-leak-kinds=definite,indirect \
		    --error-exitcode=99 pkg-buildctx odd >/dev/full 2>vg &&
		! grep "definitely lost\|indirectly lost" vg
	fi
'

test_done
