#!/bin/sh
# tests/t7003-pkg-mk-hostile.sh - a hostile package (build.yml values,
# directory names, Dockerfile links, build args) runs nothing on the host
# and reads nothing outside the package (recording stand-in builders)
test_description='pkg.mk: hostile packages run and read nothing on the host'
. "$(dirname "$0")/lib.sh"

GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES

# Stand-ins for docker and buildah: each call's arguments, one a line, in
# calls/N; buildah copies the Dockerfile it is given to calls/N.df, writes
# an image id, and pushes a one-platform OCI tar.
mkdir -p bin calls
python3 "$HELPERS/ocitest.py" gen out standin:1 --platforms linux/amd64 \
    >/dev/null && (cd out && tar -cf "$TRASH/out.tar" .)
cat >bin/standin <<EOF
#!/bin/sh
n=\$(ls "$TRASH/calls" | grep -c '^[0-9]*\$')
f="$TRASH/calls/\$((n + 1))"
printf '%s\n' "\$(basename "\$0")" "\$@" >"\$f"
case \$(basename "\$0") in
docker) cat >"\$f.stdin"; cat "$TRASH/out.tar" ;;
buildah)
	case \$1 in
	build)	while [ \$# -gt 0 ]; do
			case \$1 in
			-f) cat "\$2" >"\$f.df" || exit 1 ;;
			--iidfile) echo standin-id >"\$2" ;;
			esac
			shift
		done ;;
	push)	eval "o=\\\${\$#}"; cat "$TRASH/out.tar" >"\${o#oci-archive:}" ;;
	esac ;;
esac
EOF
chmod +x bin/standin
ln -s standin bin/docker
ln -s standin bin/buildah
PATH=$TRASH/bin:$PATH

ncalls () {
	ls calls | grep -c '^[0-9]*$'
}
mk () {
	make -C r --no-print-directory PKG_CACHE="$TRASH/cache" "$@"
}
commit () {
	git -C r add -A && git -C r commit -q -m "$1"
}
# nothing ran: no PWNED file anywhere under the trash directory
not_pwned () {
	test -z "$(find "$TRASH" -name "PWNED*")"
}

test_expect_success 'setup: one good package, a secret outside it' '
	git init -q r && git -C r config user.email t@example.com &&
	git -C r config user.name t &&
	mkdir -p r/pkg/a secret &&
	printf "FROM scratch\nTOPSECRET-LINE\n" >secret/Dockerfile &&
	printf "image: a\norg: 127.0.0.1:1/t7003\narches: [amd64]\n" \
	    >r/pkg/a/build.yml &&
	printf "FROM scratch\nCOPY f /f\n" >r/pkg/a/Dockerfile &&
	echo f >r/pkg/a/f &&
	printf "PKGS := \$(wildcard pkg/*)\ninclude $T/../mk/pkg.mk\n" \
	    >r/Makefile &&
	commit packages && mk -s pkg-show-tag >tags && test -s tags
'

test_expect_success 'image: with $(shell): pkg-tag names build.yml and image' '
	printf "image: a\$(shell id >PWNED)\n" >r/pkg/a/build.yml &&
	test_expect_code 1 pkg-tag --json r/pkg/a >plan 2>err &&
	test ! -s plan &&
	grep "pkg/a/build.yml: image: .a\$(shell id >PWNED). is not a valid" err &&
	test_expect_code 2 mk PKG_NOBUILD=1 pkg-build 2>err &&
	test_expect_code 2 mk PKG_FORCE=1 PKG_BUILDER=buildx pkg/a.build-amd64 &&
	test_expect_code 2 mk pkg-show-tag &&
	not_pwned && test "$(ncalls)" = 0 && test ! -e cache
'

test_expect_success 'org: with "@@" and make text: refused, nothing runs' '
	printf "image: a\norg: \"x@@PKG_X := \$\$(shell id >PWNED)\"\n" \
	    >r/pkg/a/build.yml &&
	test_expect_code 1 pkg-tag r/pkg/a 2>err &&
	grep "pkg/a/build.yml: org: .* is not a valid registry" err &&
	test_expect_code 2 mk PKG_NOBUILD=1 pkg-build 2>err &&
	not_pwned && test "$(ncalls)" = 0 && test ! -e cache
'

test_expect_success 'PKG_ORG with make text: refused like the build.yml org' '
	git -C r checkout -q -- pkg/a/build.yml &&
	test_expect_code 2 mk "PKG_ORG=x@@y := z" \
	    PKG_NOBUILD=1 pkg-build 2>err &&
	grep "org .* is not a valid reference" err &&
	not_pwned && test ! -e cache
'

test_expect_success 'a valid org with a registry port and a path still works' '
	test "$(pkg-tag --org 127.0.0.1:5000/a/b r/pkg/a)" = \
	    "127.0.0.1:5000/a/b/a:$(pkg-tag -q --json r/pkg/a | jq -r .tag)" &&
	test "$(pkg-tag --org "" r/pkg/a)" = "/a:$(pkg-tag --json r/pkg/a |
	    jq -r .tag)"
'

test_expect_success 'a directory named with a backquote: refused before any work' '
	mkdir "r/pkg/b\`id>PWNED\`" &&
	cp r/pkg/a/build.yml r/pkg/a/Dockerfile "r/pkg/b\`id>PWNED\`/" &&
	for g in pkg-build pkg-show-tag pkg-help; do
		test_expect_code 2 mk PKG_NOBUILD=1 $g 2>err || return 1
		grep "pkg.mk: cannot use package directory .pkg/b\`id>PWNED\`.: only letters" err ||
		    return 1
	done &&
	not_pwned && test "$(ncalls)" = 0 && test ! -e cache &&
	rm -r "r/pkg/b\`id>PWNED\`"
'

test_expect_success 'a directory named $(shell ...) or -x: refused, also by the script' '
	mkdir "r/pkg/c\$(shell" &&
	test_expect_code 2 mk PKG_NOBUILD=1 pkg-build 2>err &&
	grep "cannot use package directory .pkg/c\$(shell." err &&
	rm -r "r/pkg/c\$(shell" &&
	test_expect_code 1 sh "$T/../mk/pkg-build.sh" plan "pkg/d;id>PWNED" 2>err &&
	grep "cannot use package directory" err &&
	test_expect_code 1 sh "$T/../mk/pkg-build.sh" arch -x amd64 2>err &&
	grep "cannot use package directory .-x." err &&
	not_pwned
'

test_expect_success 'a Dockerfile linked out of the package: plan and context refuse' '
	rm r/pkg/a/Dockerfile && ln -s "$TRASH/secret/Dockerfile" r/pkg/a/Dockerfile &&
	commit link &&
	test_expect_code 1 pkg-tag --json r/pkg/a 2>err &&
	grep "dockerfile .Dockerfile.: not a regular file" err &&
	test_expect_code 1 pkg-buildctx -C cache r/pkg/a >ctx.tar 2>err &&
	grep "dockerfile .Dockerfile.: not a regular file" err &&
	test_expect_code 2 mk PKG_FORCE=1 PKG_BUILDER=buildah pkg-build >log 2>&1 &&
	! grep TOPSECRET log && test "$(ncalls)" = 0 && test ! -e cache/index.json
'

test_expect_success 'a Dockerfile under a linked directory: refused' '
	rm r/pkg/a/Dockerfile && ln -s "$TRASH/secret" r/pkg/a/sub &&
	printf "image: a\narches: [amd64]\ndockerfile: sub/Dockerfile\n" \
	    >r/pkg/a/build.yml && commit sublink &&
	test_expect_code 1 pkg-tag --json r/pkg/a 2>err &&
	grep "dockerfile .sub/Dockerfile.: .*sub. is not a directory" err &&
	test_expect_code 2 mk PKG_FORCE=1 PKG_BUILDER=buildah pkg-build >log 2>&1 &&
	! grep TOPSECRET log && test "$(ncalls)" = 0
'

test_expect_success 'an absolute dockerfile: refused, never passed to -f' '
	rm r/pkg/a/sub &&
	printf "image: a\narches: [amd64]\ndockerfile: $TRASH/secret/Dockerfile\n" \
	    >r/pkg/a/build.yml && commit absolute &&
	test_expect_code 1 pkg-tag --json r/pkg/a 2>err &&
	grep "not a path inside the package" err &&
	test_expect_code 1 pkg-buildctx -C cache r/pkg/a >ctx.tar &&
	test_expect_code 2 mk PKG_FORCE=1 PKG_BUILDER=buildah pkg-build >log 2>&1 &&
	! grep TOPSECRET log && test "$(ncalls)" = 0
'

test_expect_success 'no Dockerfile: a tag and a plan, but no context' '
	printf "image: a\narches: [amd64]\n" >r/pkg/a/build.yml &&
	commit none &&
	pkg-tag --json r/pkg/a | jq -e ".dockerfile == \"Dockerfile\"" &&
	test_expect_code 1 pkg-buildctx -C cache r/pkg/a >ctx.tar 2>err &&
	grep "dockerfile .Dockerfile. does not exist" err
'

test_expect_success 'buildah gets the Dockerfile of the extracted context' '
	mkdir r/pkg/a/sub &&
	printf "FROM scratch\nCOPY f /f\n" >r/pkg/a/sub/Dockerfile &&
	printf "image: a\norg: 127.0.0.1:1/t7003\narches: [amd64]\n" \
	    >r/pkg/a/build.yml &&
	printf "dockerfile: sub/Dockerfile\n" >>r/pkg/a/build.yml &&
	commit subdir &&
	mk PKG_FORCE=1 PKG_BUILDER=buildah pkg/a.build-amd64 2>err &&
	f=$(sed -n "/^-f\$/{n;p;}" calls/1) &&
	case $f in */pkgmk-*/ctx/sub/Dockerfile) ;; *) false ;; esac &&
	test_cmp r/pkg/a/sub/Dockerfile calls/1.df
'

test_expect_success 'build args and labels with shell text reach the builder verbatim' '
	rm -f calls/* && cp r/pkg/a/sub/Dockerfile r/pkg/a/Dockerfile &&
	v="\$(id >PWNED1) \`id >PWNED2\`; id >PWNED3 '"'"'y'"'"' *" &&
	{ printf "image: a\norg: 127.0.0.1:1/t7003\narches: [amd64]\n" &&
	  printf "buildArgs:\n  - \"X=%s\"\n" "$v" &&
	  printf "config:\n  binds: [\"/a:/b \$(id >PWNED4)\"]\n"; } \
	    >r/pkg/a/build.yml &&
	commit args &&
	printf "W=\`id >PWNED5\` \$(id>PWNED6)\n" >args &&
	mk PKG_FORCE=1 PKG_BUILDER=buildx PKG_BUILD_ARGS="$TRASH/args" \
	    pkg/a.build-amd64 2>err &&
	grep -x -F -- "X=$v" calls/1 &&
	grep -x -F -- "W=\`id >PWNED5\` \$(id>PWNED6)" calls/1 &&
	grep -F -- "org.mobyproject.config=" calls/1 | grep -F "PWNED4" &&
	not_pwned
'

test_expect_success 'a build arg with a newline is refused, nothing is built' '
	rm -f calls/* &&
	{ printf "image: a\norg: 127.0.0.1:1/t7003\narches: [amd64]\n" &&
	  printf "buildArgs:\n  - \"N=a\\\\nb\"\n"; } >r/pkg/a/build.yml &&
	commit nl &&
	test_expect_code 2 mk PKG_FORCE=1 PKG_BUILDER=buildx pkg/a.build-amd64 2>err &&
	grep "newline" err && test "$(ncalls)" = 0
'

test_expect_success 'the plan refuses a make-unsafe value pkg-tag would print' '
	cat >bin/pkg-tag <<-EOF &&
	#!/bin/sh
	printf "%s\n" "{\"ref\": \"a/b:1@@X := \\\$(shell id >PWNED)\",
	    \"canonical\": null, \"arches\": [\"amd64\"]}"
	EOF
	chmod +x bin/pkg-tag &&
	test_expect_code 1 sh "$T/../mk/pkg-build.sh" plan pkg/a 2>err &&
	grep "cannot plan: .* is no valid reference" err &&
	rm bin/pkg-tag && not_pwned
'

test_done
