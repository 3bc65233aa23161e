#!/bin/sh
# tests/t4002-pkg-tag-json.sh - the build plan of pkg-tag --json (doc/linuxkit-compat.md §4.12, §6)
test_description='pkg-tag --json: build args, labels, @lkt: values'
. "$(dirname "$0")/lib.sh"

GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES
unset USER

commit () {
	git -C "$1" add -A && git -C "$1" commit -q -m "${2:-c}"
}

test_expect_success 'setup: a repository with three packages' '
	git init -q r && git -C r config user.email t@example.com &&
	git -C r config user.name t &&
	mkdir -p r/pkg/main r/pkg/hashes-one r/pkg/hashes-two r/pkg/.hidden &&
	printf "image: hashes-one\n" >r/pkg/hashes-one/build.yml &&
	printf "image: hashes-two\norg: other\ntag: t-{{.Hash}}\n" \
		>r/pkg/hashes-two/build.yml &&
	printf "image: hidden\n" >r/pkg/.hidden/build.yml &&
	touch r/pkg/not-a-dir &&
	cat >r/pkg/main/build.yml <<-\EOF &&
	image: main
	gitrepo: https://example.com/repo
	arches: [amd64]
	network: true
	buildArgs:
	  - ZED=1
	  - ONE=@lkt:pkg:../hashes-one
	  - HASH_%=@lkt:pkgs:../hashes-*
	  - EMPTY=
	  - EQ=a=b
	  - PKG_IMAGE=mine
	config:
	  pid: host
	EOF
	commit r &&
	GIT_COMMITTER_DATE="2026-03-27T12:26:05Z" git -C r commit -q --amend \
		--no-edit &&
	git -C r status --short >st && test ! -s st
'

test_expect_success 'plan shape and build args in LinuxKit order' '
	(cd r && pkg-tag --json pkg/main) >plan &&
	test "$(wc -l <plan)" -eq 1 &&
	h=$(git -C r rev-parse HEAD:pkg/main) &&
	one=$(git -C r rev-parse HEAD:pkg/hashes-one) &&
	two=$(git -C r rev-parse HEAD:pkg/hashes-two) &&
	head=$(git -C r rev-parse HEAD) &&
	jq -r "[.kind, .ref, .canonical, .org, .image, .tag, .hash, .dirty, .git, .network, .disableCache, .dockerfile] | @tsv" plan >actual &&
	printf "package\tlinuxkit/main:%s\tdocker.io/linuxkit/main:%s\tlinuxkit\tmain\t%s\t%s\tfalse\ttrue\ttrue\tfalse\tDockerfile\n" \
		$h $h $h $h >expect &&
	test_cmp expect actual &&
	jq -r ".buildArgs | to_entries[] | \"\(.key)=\(.value)\"" plan >actual &&
	cat >expect <<-EOF &&
	ZED=1
	ONE=linuxkit/hashes-one:$one
	HASH_LINUXKIT_HASHES_ONE=linuxkit/hashes-one:$one
	HASH_OTHER_HASHES_TWO=other/hashes-two:t-$two
	EMPTY=
	EQ=a=b
	PKG_IMAGE=mine
	SOURCE=https://example.com/repo
	REVISION=$head
	GOPKGVERSION=v0.0.0-20260327122605-$(echo $head | cut -c1-12)
	PKG_HASH=$h
	EOF
	test_cmp expect actual &&
	jq -c .labels plan >actual &&
	printf "{\"org.opencontainers.image.source\":\"https://example.com/repo\",\"org.opencontainers.image.revision\":\"%s\",\"org.mobyproject.config\":\"{\\\\\"pid\\\\\":\\\\\"host\\\\\"}\"}\n" \
		$head >expect &&
	test_cmp expect actual &&
	test "$(jq -c .arches plan)" = "[\"amd64\"]" &&
	test "$(jq -r "[.revision, .head] | @tsv" plan)" = "$head	$head" &&
	jq -r ".buildYmlArgs | keys_unsorted | join(\",\")" plan >actual &&
	echo ZED,ONE,HASH_LINUXKIT_HASHES_ONE,HASH_OTHER_HASHES_TWO,EMPTY,EQ,PKG_IMAGE >expect &&
	test_cmp expect actual &&
	test "$(jq -r .path plan)" = "$PWD/r/pkg/main"
'

test_expect_success 'GOPKGVERSION: a matching tag at HEAD, then after it' '
	git -C r tag v1.2.3 &&
	git -C r tag -a -m annotated v1.2 &&
	(cd r && pkg-tag --json pkg/main) >plan &&
	test "$(jq -r .gopkgversion plan)" = v1.2.3 &&
	echo x >r/extra && commit r &&
	git -C r tag -a -m ten v10.0.0 &&
	(cd r && pkg-tag --json pkg/main) >plan &&
	head=$(git -C r rev-parse HEAD | cut -c1-12) &&
	jq -r .gopkgversion plan | grep "^v1\.2\.3-[0-9]\{14\}-$head\$"
'

test_expect_success 'dirty: no REVISION, no revision label, suffix in PKG_HASH' '
	echo "# change" >>r/pkg/main/build.yml &&
	(cd r && pkg-tag --json pkg/main) >plan &&
	test "$(jq -r .dirty plan)" = true &&
	test "$(jq -r ".buildArgs.REVISION // \"none\"" plan)" = none &&
	test "$(jq -r ".labels[\"org.opencontainers.image.revision\"] // \"none\"" plan)" = none &&
	test "$(jq -r ".revision // \"none\"" plan)" = none &&
	test "$(jq -r .head plan)" = "$(git -C r rev-parse HEAD)" &&
	jq -r .buildArgs.PKG_HASH plan | grep -- "-dirty-[0-9a-f]\{7\}$" &&
	git -C r checkout -q pkg/main/build.yml
'

test_expect_success 'proxy variables become build args, unless already set' '
	(cd r && http_proxy=http://p:3128 NO_PROXY=localhost PKG_IMAGE=x \
		HTTPS_PROXY= pkg-tag --json pkg/main) >plan &&
	test "$(jq -r .buildArgs.http_proxy plan)" = http://p:3128 &&
	test "$(jq -r .buildArgs.NO_PROXY plan)" = localhost &&
	test "$(jq -r ".buildArgs.HTTPS_PROXY // \"none\"" plan)" = none &&
	jq -r ".buildArgs | keys_unsorted | .[-2:] | join(\",\")" plan >actual &&
	echo http_proxy,NO_PROXY >expect && test_cmp expect actual
'

test_expect_success '--json honours --org, --hash, --dev and --canonical is implied' '
	(cd r && pkg-tag --json --org me --hash abc pkg/main pkg/hashes-one) >plan &&
	test "$(wc -l <plan)" -eq 2 &&
	jq -r ".ref" plan >actual &&
	printf "me/main:abc\nme/hashes-one:abc\n" >expect && test_cmp expect actual &&
	test "$(jq -r -s ".[0].buildArgs.ONE" plan)" = \
		"linuxkit/hashes-one:$(git -C r rev-parse HEAD:pkg/hashes-one)"
'

test_expect_success '@lkt: errors name the argument and the package' '
	mkdir -p r/pkg/bad &&
	printf "image: bad\nbuildArgs: [A=@lkt:pkgs:../nomatch-*]\n" >r/pkg/bad/build.yml &&
	(cd r && test_expect_code 1 pkg-tag --json --hash x pkg/bad) >out 2>err &&
	test ! -s out && test_one_line_error err "must contain a" &&
	grep "pkg/bad" err && grep "A=@lkt:pkgs" err &&
	printf "image: bad\nbuildArgs: [A_%%=@lkt:pkgs:../nomatch-*]\n" >r/pkg/bad/build.yml &&
	(cd r && test_expect_code 1 pkg-tag --json --hash x pkg/bad) 2>err &&
	test_one_line_error err "no packages found matching path" &&
	printf "image: bad\nbuildArgs: [A=@lkt:what:x]\n" >r/pkg/bad/build.yml &&
	(cd r && test_expect_code 1 pkg-tag --json --hash x pkg/bad) 2>err &&
	test_one_line_error err "unknown linuxkit build arg value" &&
	printf "image: bad\nbuildArgs: [NOEQUALS]\n" >r/pkg/bad/build.yml &&
	(cd r && test_expect_code 1 pkg-tag --json --hash x pkg/bad) 2>err &&
	test_one_line_error err "invalid build-arg" &&
	printf "image: bad\nbuildArgs: [A=@lkt:pkg:../nosuch]\n" >r/pkg/bad/build.yml &&
	(cd r && test_expect_code 1 pkg-tag --json --hash x pkg/bad) 2>err &&
	test_one_line_error err "nosuch"
'

test_expect_success 'an invalid Tag() has a null canonical name' '
	mkdir -p r/pkg/noorg &&
	printf "image: noorg\norg: \"\"\n" >r/pkg/noorg/build.yml &&
	(cd r && pkg-tag --json --hash h pkg/noorg) >plan &&
	test "$(jq -r "[.ref, .canonical] | @tsv" plan)" = "/noorg:h	" &&
	(cd r && test_expect_code 1 pkg-tag --canonical --hash h pkg/noorg) 2>err &&
	test_one_line_error err "/noorg:h"
'

test_done
