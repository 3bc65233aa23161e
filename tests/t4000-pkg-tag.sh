#!/bin/sh
# tests/t4000-pkg-tag.sh - package tags: the dummy vectors of
# linuxkit-compat.md §14.2 and §14.3, org/dev/template precedence
test_description='pkg-tag tags, as linuxkit pkg show-tag prints them'
. "$(dirname "$0")/lib.sh"

TREE=ceead45e5315b226edbe2922b0b49f669f6da976
unset USER
# the trash directory may itself lie in a work tree (this repository)
GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES

# the §14.1 fixture: a repository with pkg/dummy
make_dummy () {
	mkdir -p "$1" &&
	printf 'image: dummy\n' >"$1/build.yml" &&
	cat >"$1/Dockerfile" <<-\EOF &&
	FROM linuxkit/alpine:7f3944798557de5518a56e3437d7ed982701f224 AS build
	RUN apk add --no-cache --initdb make

	FROM scratch
	ENTRYPOINT []
	CMD []
	WORKDIR /
	COPY --from=build /usr/bin/make /usr/bin/
	COPY infile infile
	EOF
	printf 'This is a silly input file for testing.' >"$1/infile"
}
git_init () {
	git init -q "$1" &&
	git -C "$1" config user.email t@example.com &&
	git -C "$1" config user.name t
}
commit () {
	git -C "$1" add -A && git -C "$1" commit -q -m "${2:-c}"
}
# a fresh copy of the committed fixture in directory $1
fresh () {
	rm -rf "$1" && cp -a tmpl "$1"
}
# expect_tag DIR WANT pkg-tag-args...: run in DIR, compare one line
expect_tag () {
	_d=$1 _want=$2
	shift 2
	(cd "$_d" && pkg-tag "$@") >actual &&
	echo "$_want" >expect &&
	test_cmp expect actual
}

test_expect_success 'setup: the dummy repository' '
	git_init tmpl &&
	make_dummy tmpl/pkg/dummy &&
	test "$(wc -c <tmpl/pkg/dummy/Dockerfile)" -eq 214 &&
	test "$(wc -c <tmpl/pkg/dummy/infile)" -eq 39 &&
	commit tmpl &&
	test "$(git -C tmpl rev-parse HEAD:pkg/dummy)" = $TREE
'

test_expect_success 'clean package' '
	fresh r && expect_tag r linuxkit/dummy:$TREE pkg/dummy
'

test_expect_success 'modified tracked file' '
	fresh r && echo "# modified" >>r/pkg/dummy/Dockerfile &&
	expect_tag r linuxkit/dummy:$TREE-dirty-418787e pkg/dummy
'

test_expect_success 'untracked file' '
	fresh r && echo hello >r/pkg/dummy/newfile &&
	expect_tag r linuxkit/dummy:$TREE-dirty-7ba2eca pkg/dummy
'

test_expect_success 'modified and untracked' '
	fresh r && echo "# modified" >>r/pkg/dummy/Dockerfile &&
	echo hello >r/pkg/dummy/newfile &&
	expect_tag r linuxkit/dummy:$TREE-dirty-807c7c6 pkg/dummy
'

test_expect_success '--force-dirty on a clean tree' '
	fresh r && expect_tag r linuxkit/dummy:$TREE-dirty-3fc3290 \
		--force-dirty pkg/dummy
'

test_expect_success 'staged change' '
	fresh r && echo "# staged" >>r/pkg/dummy/Dockerfile &&
	git -C r add pkg/dummy/Dockerfile &&
	expect_tag r linuxkit/dummy:$TREE-dirty-3875c76 pkg/dummy
'

test_expect_success 'deleted file' '
	fresh r && rm r/pkg/dummy/infile &&
	expect_tag r linuxkit/dummy:$TREE-dirty-d9462f7 pkg/dummy
'

test_expect_success 'chmod +x' '
	fresh r && chmod +x r/pkg/dummy/infile &&
	expect_tag r linuxkit/dummy:$TREE-dirty-3fc3290 pkg/dummy
'

test_expect_success 'untracked symlink' '
	fresh r && ln -s Dockerfile r/pkg/dummy/link &&
	expect_tag r linuxkit/dummy:$TREE-dirty-3fc3290 pkg/dummy
'

test_expect_success 'untracked .gitignore, with and without the ignored file' '
	fresh r && echo ignored.txt >r/pkg/dummy/.gitignore &&
	expect_tag r linuxkit/dummy:$TREE-dirty-ef3f84c pkg/dummy &&
	echo x >r/pkg/dummy/ignored.txt &&
	expect_tag r linuxkit/dummy:$TREE-dirty-ef3f84c pkg/dummy
'

test_expect_success 'touch, empty directory and info/exclude leave it clean' '
	fresh r && touch -d "2001-01-01" r/pkg/dummy/Dockerfile &&
	mkdir r/pkg/dummy/empty &&
	echo secret >>r/.git/info/exclude &&
	echo x >r/pkg/dummy/secret &&
	expect_tag r linuxkit/dummy:$TREE pkg/dummy
'

test_expect_success 'a change in another package is not seen' '
	fresh r && mkdir r/pkg/other && echo x >r/pkg/other/f &&
	echo x >r/pkg/dummy-sibling &&
	expect_tag r linuxkit/dummy:$TREE pkg/dummy
'

test_expect_success 'modified with --hash: no suffix, still dirty' '
	fresh r && echo "# modified" >>r/pkg/dummy/Dockerfile &&
	expect_tag r linuxkit/dummy:abc --hash abc pkg/dummy &&
	(cd r && pkg-tag --json --hash abc pkg/dummy) >out &&
	test "$(jq -r .dirty out)" = true &&
	test "$(jq -r .buildArgs.PKG_HASH out)" = abc &&
	test "$(jq -r ".buildArgs.REVISION // \"none\"" out)" = none
'

test_expect_success 'modified with --org, --canonical and --tag' '
	fresh r && echo "# modified" >>r/pkg/dummy/Dockerfile &&
	expect_tag r myorg/dummy:$TREE-dirty-418787e --org myorg pkg/dummy &&
	expect_tag r docker.io/linuxkit/dummy:$TREE-dirty-418787e \
		--canonical pkg/dummy &&
	expect_tag r linuxkit/dummy:v1-$TREE-dirty-418787e \
		--tag "v1-{{.Hash}}" pkg/dummy &&
	expect_tag r linuxkit/dummy:v1-$TREE-dirty-418787e \
		--tag "v1-{{ .Hash }}" pkg/dummy
'

test_expect_success 'modified with --hash-commit other than HEAD: never dirty' '
	fresh r && echo "# modified" >>r/pkg/dummy/Dockerfile &&
	expect_tag r linuxkit/dummy:$TREE --hash-commit HEAD~0 pkg/dummy &&
	expect_tag r linuxkit/dummy:$TREE \
		--hash-commit "$(git -C r rev-parse HEAD)" pkg/dummy
'

test_expect_success 'org precedence: --org, LINUXKIT_PKG_ORG, --dev, build.yml' '
	fresh r &&
	expect_tag r bob/dummy:dev --dev --org bob pkg/dummy &&
	(USER=alice && export USER && expect_tag r alice/dummy:dev --dev pkg/dummy) &&
	expect_tag r /dummy:dev --dev pkg/dummy &&
	(LINUXKIT_PKG_ORG=envorg && export LINUXKIT_PKG_ORG &&
	 USER=alice && export USER &&
	 expect_tag r envorg/dummy:dev --dev pkg/dummy &&
	 expect_tag r envorg/dummy:$TREE pkg/dummy &&
	 expect_tag r cli/dummy:$TREE --org cli pkg/dummy &&
	 expect_tag r /dummy:$TREE --org "" pkg/dummy) &&
	(LINUXKIT_PKG_ORG= && export LINUXKIT_PKG_ORG &&
	 expect_tag r linuxkit/dummy:$TREE pkg/dummy) &&
	expect_tag r linuxkit/dummy:h1 --dev --hash h1 --org linuxkit pkg/dummy
'

test_expect_success '--canonical with registry hosts' '
	fresh r &&
	expect_tag r localhost:5000/dummy:$TREE --canonical \
		--org localhost:5000 pkg/dummy &&
	expect_tag r my.registry/dummy:$TREE --canonical \
		--org my.registry pkg/dummy &&
	expect_tag r a/b/dummy:$TREE --canonical --org a/b pkg/dummy &&
	expect_tag r docker.io/bob/dummy:$TREE --canonical --org bob pkg/dummy
'

test_expect_success 'templates: fixed, empty, unsupported, unclosed' '
	fresh r &&
	expect_tag r linuxkit/dummy:fixed --tag fixed pkg/dummy &&
	expect_tag r linuxkit/dummy:$TREE --tag "" pkg/dummy &&
	# LinuxKit prints "a}}b<hash>"; a tag outside the tag grammar is refused
	(cd r && test_expect_code 1 pkg-tag --tag "a}}b{{.Hash}}" pkg/dummy) \
		>out 2>err &&
	test ! -s out && test_one_line_error err "not a valid tag" &&
	(cd r && test_expect_code 1 pkg-tag --tag "{{.Foo}}" pkg/dummy) \
		>out 2>err &&
	test ! -s out && test_one_line_error err "{{.Foo}}" &&
	(cd r && test_expect_code 1 pkg-tag --tag "{{-.Hash}}" pkg/dummy) 2>err &&
	grep "only {{.Hash}}" err &&
	(cd r && test_expect_code 1 pkg-tag --tag "{{.Hash | printf \"%.7s\"}}" \
		pkg/dummy) 2>err && grep "printf" err &&
	(cd r && test_expect_code 1 pkg-tag --tag "x{{.Hash" pkg/dummy) 2>err &&
	test_one_line_error err "unclosed action"
'

test_expect_success 'build.yml tag: key, overridden by --tag' '
	fresh r && printf "image: dummy\ntag: file\n" >r/pkg/dummy/build.yml &&
	commit r &&
	expect_tag r linuxkit/dummy:file pkg/dummy &&
	expect_tag r linuxkit/dummy:cli --tag cli pkg/dummy
'

test_expect_success 'outside any repository: latest' '
	mkdir -p outside && cp -a tmpl/pkg/dummy outside/ &&
	expect_tag outside linuxkit/dummy:latest dummy &&
	expect_tag outside docker.io/linuxkit/dummy:latest --canonical dummy &&
	expect_tag outside linuxkit/dummy:xy --tag "x{{.Hash}}y" dummy &&
	expect_tag outside linuxkit/dummy:latest --force-dirty dummy &&
	expect_tag outside linuxkit/dummy:dev --dev --org linuxkit dummy &&
	(cd outside && pkg-tag --json --force-dirty dummy) >j &&
	test "$(jq -r "[.dirty, .git, .revision] | @tsv" j)" = "false	false	" &&
	test "$(jq -r ".buildArgs | keys_unsorted | join(\",\")" j)" = \
		SOURCE,PKG_IMAGE
'

test_expect_success 'package at the top of its repository' '
	git_init top && make_dummy top && commit top &&
	expect_tag top linuxkit/dummy:$TREE . &&
	expect_tag top/ linuxkit/dummy:$TREE "$PWD/top"
'

test_expect_success '--build-yml is always joined to the package' '
	fresh r && cp r/pkg/dummy/build.yml r/pkg/dummy/alt.yml &&
	sed -i s/dummy/alt/ r/pkg/dummy/alt.yml &&
	(cd r && pkg-tag --build-yml alt.yml pkg/dummy) >actual &&
	grep "^linuxkit/alt:$TREE-dirty-[0-9a-f]\{7\}\$" actual &&
	(cd r && test_expect_code 1 pkg-tag --build-yml /abs/alt.yml pkg/dummy) \
		2>err &&
	test_one_line_error err "$PWD/r/pkg/dummy/abs/alt.yml"
'

test_expect_success 'setup: dummy-x with an extra source' '
	fresh x && mkdir x/pkg/dummy-x &&
	printf "image: dummy-x\nextra-sources:\n  - ../dummy:/dummy\n" \
		>x/pkg/dummy-x/build.yml &&
	printf "FROM scratch\nCOPY dummy/infile /infile\n" \
		>x/pkg/dummy-x/Dockerfile &&
	commit x &&
	test "$(git -C x rev-parse HEAD:pkg/dummy-x)" = 84ab9de3e2c10df565fd851af050dd0e22076930 &&
	test "$(git -C x rev-parse HEAD:pkg)" = fdab5e9a872a8380dd397608f3e94e406ef26670
'

test_expect_success 'extra source and hash path (§14.3)' '
	expect_tag x linuxkit/dummy-x:abc6f25cfcb4c4484584f9a3bc23c2e7a9a0f8d4 \
		pkg/dummy-x &&
	expect_tag x linuxkit/dummy-x:58ab0096a1e2bf258c4ec73e44aab4181d22e333 \
		--hash-path pkg pkg/dummy-x &&
	expect_tag x linuxkit/dummy:fdab5e9a872a8380dd397608f3e94e406ef26670 \
		--hash-path pkg pkg/dummy &&
	expect_tag x linuxkit/dummy:5c8a9c03e3f4fef175a0d241ced9502352728913 \
		--hash-path . pkg/dummy
'

test_expect_success 'an edited extra source never makes the package dirty' '
	echo "# edit" >>x/pkg/dummy/Dockerfile &&
	expect_tag x linuxkit/dummy-x:abc6f25cfcb4c4484584f9a3bc23c2e7a9a0f8d4 \
		pkg/dummy-x &&
	expect_tag x linuxkit/dummy-x:58ab0096a1e2bf258c4ec73e44aab4181d22e333-dirty-6580d7b \
		--hash-path pkg pkg/dummy-x &&
	git -C x checkout -q pkg/dummy/Dockerfile
'

test_expect_success 'two extra sources: SHA-1 of hp + hq + hq' '
	fresh y && mkdir y/pkg/two &&
	printf "image: two\nextra-sources:\n  - ../dummy:/a\n  - ../dummy/:b/\n" \
		>y/pkg/two/build.yml &&
	commit y &&
	hp=$(git -C y rev-parse HEAD:pkg/two) &&
	want=$(printf "%s%s%s" $hp $TREE $TREE | sha1sum | cut -c1-40) &&
	expect_tag y linuxkit/two:$want pkg/two &&
	(cd y && pkg-tag --json pkg/two) >j &&
	jq -r ".extraSources[] | [.dst, .hash] | @tsv" j >actual &&
	printf "/a\t%s\nb\t%s\n" $TREE $TREE >expect &&
	test_cmp expect actual
'

test_expect_success 'a file as extra source gives its blob id' '
	fresh f && mkdir f/pkg/file &&
	printf "image: file\nextra-sources:\n  - ../dummy/infile:/infile\n" \
		>f/pkg/file/build.yml && commit f &&
	hp=$(git -C f rev-parse HEAD:pkg/file) &&
	hq=$(git -C f rev-parse HEAD:pkg/dummy/infile) &&
	want=$(printf "%s%s" $hp $hq | sha1sum | cut -c1-40) &&
	expect_tag f linuxkit/file:$want pkg/file
'

test_expect_success 'extra source outside git, bad format' '
	fresh e && mkdir e/pkg/bad &&
	printf "image: bad\nextra-sources:\n  - %s:/o\n" "$PWD/outside/dummy" \
		>e/pkg/bad/build.yml &&
	(cd e && test_expect_code 1 pkg-tag pkg/bad) 2>err &&
	test_one_line_error err "not in a git repository" &&
	printf "image: bad\nextra-sources:\n  - a:b:c\n" >e/pkg/bad/build.yml &&
	(cd e && test_expect_code 1 pkg-tag pkg/bad) 2>err &&
	test_one_line_error err "bad source format in a:b:c" &&
	printf "image: bad\nextra-sources:\n  - ../dummy\n" >e/pkg/bad/build.yml &&
	(cd e && test_expect_code 1 pkg-tag pkg/bad) 2>err &&
	test_one_line_error err "bad source format"
'

test_expect_success '--hash-commit other than HEAD reads the older tree' '
	fresh h && echo "# second" >>h/pkg/dummy/Dockerfile && commit h &&
	new=$(git -C h rev-parse HEAD:pkg/dummy) &&
	expect_tag h linuxkit/dummy:$new pkg/dummy &&
	expect_tag h linuxkit/dummy:$TREE --hash-commit HEAD~1 pkg/dummy &&
	git -C h tag old HEAD~1 &&
	expect_tag h linuxkit/dummy:$TREE --hash-commit old pkg/dummy &&
	expect_tag h linuxkit/dummy:$TREE \
		--hash-commit "$(git -C h rev-parse --short HEAD~1)" pkg/dummy &&
	(cd h && test_expect_code 1 pkg-tag --hash-commit nosuch pkg/dummy) \
		2>err && test_one_line_error err nosuch
'

test_expect_success 'hash path must be a prefix of the package path' '
	fresh r &&
	(cd r && test_expect_code 1 pkg-tag --hash-path pkg/other pkg/dummy) \
		2>err && test_one_line_error err "not a prefix"
'

test_expect_success 'uncommitted (even staged) package is not in git' '
	fresh r && make_dummy r/pkg/new && git -C r add pkg/new &&
	(cd r && test_expect_code 1 pkg-tag pkg/new) >out 2>err &&
	test ! -s out && test_one_line_error err "is not in git"
'

test_expect_success 'a package reached through a symlink is refused' '
	fresh r && ln -s r rlink &&
	test_expect_code 1 pkg-tag rlink/pkg/dummy 2>err &&
	test_one_line_error err "outside repository"
'

test_expect_success 'a path inside .git is refused' '
	fresh r && mkdir r/.git/pkg && cp tmpl/pkg/dummy/build.yml r/.git/pkg/ &&
	test_expect_code 1 pkg-tag r/.git/pkg 2>err &&
	test_one_line_error err ".git"
'

test_expect_success 'several packages: in order; failures named, the rest printed' '
	fresh r && make_dummy r/pkg/two && sed -i s/dummy/two/ r/pkg/two/build.yml &&
	commit r &&
	(cd r && pkg-tag pkg/two pkg/dummy) >actual &&
	printf "linuxkit/two:%s\nlinuxkit/dummy:%s\n" \
		"$(git -C r rev-parse HEAD:pkg/two)" $TREE >expect &&
	test_cmp expect actual &&
	(cd r && test_expect_code 1 pkg-tag pkg/two pkg/nosuch pkg/.. pkg/dummy) \
		>actual 2>err &&
	test_cmp expect actual &&
	test "$(wc -l <err)" -eq 2 && grep "pkg/nosuch" err
'

test_expect_success 'missing package directory exits 3' '
	fresh r &&
	(cd r && test_expect_code 3 pkg-tag pkg/nosuch) >out 2>err &&
	test ! -s out && test_one_line_error err "pkg/nosuch"
'

test_expect_success 'usage errors exit 2, --help exits 0' '
	test_expect_code 2 pkg-tag 2>err && grep "^usage: pkg-tag" err &&
	test_expect_code 2 pkg-tag --bogus r 2>err && grep "^usage:" err &&
	test_expect_code 2 pkg-tag --org 2>err &&
	test_expect_code 2 pkg-tag -org=x r 2>err &&
	pkg-tag --help >out && grep "^usage: pkg-tag" out &&
	pkg-tag -h >out && grep "PKGDIR" out
'

test_expect_success '-j is not --json: it means --jobs in every tool' '
	fresh r &&
	(cd r && test_expect_code 2 pkg-tag -j pkg/dummy) >out 2>err &&
	test ! -s out && grep "^usage: pkg-tag" err &&
	(cd r && pkg-tag --json pkg/dummy) >out &&
	jq -e ".kind == \"package\"" out
'

test_expect_success '-q: a missing package is exit 3 and silent' '
	fresh r &&
	(cd r && test_expect_code 3 pkg-tag -q pkg/nosuch) >out 2>err &&
	test ! -s out && test ! -s err &&
	(cd r && test_expect_code 3 pkg-tag -q pkg/dummy pkg/nosuch) >out 2>err &&
	test $(wc -l <out) = 1 && test ! -s err
'

test_done
