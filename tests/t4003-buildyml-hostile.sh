#!/bin/sh
# tests/t4003-buildyml-hostile.sh - build.yml as an attacker writes it
test_description='pkg-tag: recursive aliases, alias bombs and links out of the package fail at once, echoing nothing they did not parse'
. "$(dirname "$0")/lib.sh"

GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES

# hostile NAME WORD: build.yml from stdin fails with exit 1 within 20 s
# (a regression recurses until SIGSEGV or spins), one line naming WORD
hostile () {
	rm -rf "p$1" && mkdir "p$1" && cat >"p$1/build.yml" &&
	test_expect_code 1 timeout 20 pkg-tag "p$1" >out 2>err &&
	test ! -s out &&
	test_one_line_error err "$PWD/p$1/build.yml" &&
	grep -F -- "$2" err >/dev/null
}

# merge keys listing one anchor ten times per level, $1 levels deep
laughs () {
	python3 -c '
import sys
n = int(sys.argv[1])
s = "&l0 {image: p}"
for i in range(1, n + 1):
    s = "&l%d {<<: [%s%s]}" % (i, s, ", *l%d" % (i - 1) * 9)
print("<<: [%s]" % s)' "$1"
}

test_expect_success 'a merge key that aliases its own mapping' '
	printf "<<: &a {image: p, <<: *a}\n" | hostile self "recursive alias"
'
test_expect_success 'a mapping of config that merges itself' '
	printf "image: p\nconfig: &c\n  <<: [*c]\n" |
	hostile selfcfg "build.yml:2: recursive alias"
'
test_expect_success 'ten levels of ten merges: small, refused at once' '
	laughs 10 >bomb.yml &&
	test $(wc -c <bomb.yml) -lt 700 &&
	hostile bomb "too large once aliases are expanded" <bomb.yml
'
test_expect_success 'a list of mounts that all alias one big list' '
	{
		printf "image: p\nconfig:\n  mounts:\n  - &m {destination: /x, options: [%s]}\n" \
		    "$(seq -s, 1 2000)" &&
		for i in $(seq 500); do echo "  - *m"; done
	} | hostile seqbomb "too large once aliases are expanded"
'
test_expect_success 'mappings nested 40 deep' '
	python3 -c "print(\"image: p\n\" + \"<<: {\" * 40 + \"org: o\" + \"}\" * 40)" |
	hostile deep "nested more than"
'
test_expect_success 'three levels of ten merges are still fine' '
	rm -rf pok && mkdir pok && laughs 3 >pok/build.yml &&
	pkg-tag pok >out && test -s out
'

test_expect_success 'a build.yml that links out of the package is not read' '
	printf "image: p\nSECRET-FIELD: SECRET-VALUE\n" >secret.yml &&
	rm -rf plink && mkdir plink && ln -s "$TRASH/secret.yml" plink/build.yml &&
	test_expect_code 1 pkg-tag plink >out 2>err &&
	test_one_line_error err "outside the package" &&
	! grep SECRET err &&
	rm plink/build.yml && ln -s ../secret.yml plink/build.yml &&
	test_expect_code 1 pkg-tag plink >out 2>err &&
	test_one_line_error err "outside the package" && ! grep SECRET err
'
test_expect_success 'a binary build.yml is not echoed' '
	rm -rf pbin && mkdir pbin &&
	printf "image: p\nx: \001\002SECRET\377\376\n" >pbin/build.yml &&
	test_expect_code 1 pkg-tag pbin >out 2>err &&
	test_one_line_error err pbin/build.yml && ! grep SECRET err
'
test_expect_success 'a FIFO build.yml fails at once' '
	rm -rf pfifo && mkdir pfifo && mkfifo pfifo/build.yml &&
	test_expect_code 1 timeout 20 pkg-tag pfifo >out 2>err &&
	test_one_line_error err "not a regular file"
'
test_expect_success 'a from-file linking out of the package is not read' '
	printf "root:\$6\$SECRET-HASH:19000:0:99999:7:::\n" >shadow &&
	rm -rf pff && mkdir pff &&
	printf "image: p\ndepends:\n  docker-images:\n    from-file: i.lst\n" >pff/build.yml &&
	ln -s "$TRASH/shadow" pff/i.lst &&
	test_expect_code 1 pkg-tag pff >out 2>err &&
	test_one_line_error err "outside the package" && ! grep SECRET err
'
test_expect_success 'a bad from-file line is named by file and line, not echoed' '
	rm pff/i.lst && cp shadow pff/i.lst &&
	test_expect_code 1 pkg-tag pff >out 2>err &&
	test_one_line_error err "i.lst:1:" && ! grep SECRET err
'

test_done
