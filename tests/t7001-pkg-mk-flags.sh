#!/bin/sh
# tests/t7001-pkg-mk-flags.sh - pkg.mk settings, checks and the command
# lines of buildx and buildctl (recording stand-ins: no daemon here)
test_description='pkg.mk: settings, conflicts, buildx and buildctl command lines'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES
registry_start

# Stand-ins: each call's arguments, one a line, in calls/N; stdin saved;
# the output is a one-platform OCI layout tar with an attestation, as
# buildkit writes with SBOM on. `docker info` answers when DOCKER_UP=1.
mkdir -p bin calls
for a in amd64 arm64; do
	python3 "$HELPERS/ocitest.py" gen out-$a standin:1 \
	    --platforms linux/$a --attest --seed $a >/dev/null &&
	(cd out-$a && tar -cf "$TRASH/out-$a.tar" .)
done
cat >bin/standin <<EOF
#!/bin/sh
n=\$(ls "$TRASH/calls" | wc -l)
f="$TRASH/calls/\$((n + 1))"
printf '%s\n' "\$(basename "\$0")" "\$@" >"\$f"
case \$1 in info) test "\${DOCKER_UP:-}" = 1; exit ;; esac
for a in "\$@"; do
	case \$a in context=*) ls "\${a#context=}" >"\$f.ctx" ;; esac
done
case \$(basename "\$0") in docker) cat >"\$f.stdin" ;; esac
test -z "\${STANDIN_FAIL:-}" || exit 1
case "\$*" in *linux/arm64*) cat "$TRASH/out-arm64.tar" ;;
*) cat "$TRASH/out-amd64.tar" ;; esac
EOF
chmod +x bin/standin
ln -s standin bin/docker
ln -s standin bin/buildctl
PATH=$TRASH/bin:$PATH

ncalls () {
	ls calls | grep -c '^[0-9]*$'
}
mk () {
	make -C r --no-print-directory PKG_CACHE="$TRASH/${CACHE:-cache}" "$@"
}

test_expect_success 'setup: two packages and a base image in the registry' '
	python3 "$HELPERS/ocitest.py" gen lay lib/base:1 \
	    --platforms linux/amd64,linux/arm64 >/dev/null &&
	registry_push lay lib/base:1 &&
	git init -q r && git -C r config user.email t@example.com &&
	git -C r config user.name t &&
	mkdir -p r/pkg/one r/pkg/two &&
	printf "image: one\norg: $REG/t7001\narches: [amd64, arm64]\n" \
	    >r/pkg/one/build.yml &&
	printf "buildArgs:\n  - A=1\n" >>r/pkg/one/build.yml &&
	printf "FROM scratch\nCOPY f /f\n" >r/pkg/one/Dockerfile &&
	echo f >r/pkg/one/f &&
	printf "image: two\norg: $REG/t7001\narches: [amd64]\n" \
	    >r/pkg/two/build.yml &&
	printf "network: true\ndisable-cache: true\n" >>r/pkg/two/build.yml &&
	printf "FROM $REG/lib/base:1 AS b\nFROM b\nRUN true\n" \
	    >r/pkg/two/Dockerfile &&
	printf "PKGS := \$(wildcard pkg/*)\ninclude $T/../mk/pkg.mk\n" \
	    >r/Makefile &&
	git -C r add -A && git -C r commit -q -m packages &&
	pkg-tag --json r/pkg/one >one.json && pkg-tag --json r/pkg/two >two.json &&
	ONE=$(jq -r .canonical one.json) && test -n "$ONE"
'
ONE=$(jq -r .canonical one.json) TWO=$(jq -r .canonical two.json)

# each conflict stops make before any work: no builder, no cache
for c in \
    "PKG_NOBUILD=1 PKG_FORCE=1|flags -force and -nobuild conflict" \
    "PKG_PULL=1 PKG_FORCE=1|flags -force and -pull conflict" \
    "PKG_SKIP_PLATFORMS=amd64|invalid target platform specification 'amd64'" \
    "PKG_SKIP_PLATFORMS=linux/arm64 PKG_PLATFORMS=linux/amd64|--skip-platforms and --platforms may not be used together" \
    "PKG_PLATFORMS=amd64|invalid target platform specification 'amd64'" \
    "PKG_BUILDERS=linux/arm64|invalid platform=builder specification 'linux/arm64'" \
    "PKG_BUILDERS=arm64=tcp://b:1234|invalid platform specification 'arm64'" \
    "PKG_BUILDER=podman|unknown builder 'podman'"
do
	test_expect_success "conflict: ${c%%|*}" '
		test_expect_code 2 mk ${c%%|*} pkg-build 2>err &&
		grep -F -- "${c#*|}" err &&
		test ! -e cache && test "$(ncalls)" = 0
	'
done

test_expect_success 'a bad build.yml: file:line, and nothing is built' '
	mkdir r/pkg/bad && printf "image: bad\nimagee: x\n" >r/pkg/bad/build.yml &&
	test_expect_code 2 mk PKG_BUILDER=buildx pkg-build 2>err &&
	grep "pkg/bad/build.yml:2" err &&
	test ! -e cache && test "$(ncalls)" = 0 &&
	rm -r r/pkg/bad
'

test_expect_success 'pkg-show-tag, DIR.show-tag, PKG_ORG, PKG_HASH, PKG_DEV' '
	make -s -C r pkg-show-tag >tags &&
	test "$(cat tags)" = "$(pkg-tag r/pkg/one r/pkg/two)" &&
	test "$(make -s -C r PKG_ORG=x/y pkg/one.show-tag)" = \
	    "x/y/one:$(jq -r .tag one.json)" &&
	test "$(make -s -C r PKG_HASH=abc pkg/one.show-tag)" = "$REG/t7001/one:abc" &&
	test "$(USER=me make -s -C r PKG_DEV=1 pkg/two.show-tag)" = me/two:dev
'

# the expected argument list, from the plan pkg-tag prints
expect_args () {	# planfile argopt argprefix labelopt labelprefix
	jq -r --arg o "$2" --arg a "$3" --arg lo "$4" --arg l "$5" '
	    (.buildArgs | to_entries[] | $o, "\($a)\(.key)=\(.value)"),
	    (.labels | to_entries[] | $lo, "\($l)\(.key)=\(.value)")' "$1"
}

test_expect_success 'buildx: the exact command line, the context on stdin' '
	mk PKG_BUILDER=buildx PKG_BUILDERS=linux/arm64=remote-arm \
	    pkg/one.build-arm64 2>err &&
	test "$(ncalls)" = 1 &&
	{ printf "%s\n" docker buildx build --builder remote-arm \
	    --platform linux/arm64 -f Dockerfile &&
	  expect_args one.json --build-arg "" --label "" &&
	  printf "%s\n" --network none --sbom=true --provenance=false \
	    --output "type=oci,name=$ONE-arm64,dest=-" - ; } >expect &&
	test_cmp expect calls/1 &&
	tar -tf calls/1.stdin | grep -x "./Dockerfile\|Dockerfile" &&
	jq -e --arg n "$ONE-arm64" "[.manifests[].annotations
	    [\"org.opencontainers.image.ref.name\"]] | index(\$n)" cache/index.json
'

test_expect_success 'PKG_BUILDER unset: buildx where a Docker daemon answers' '
	rm -f calls/* &&
	DOCKER_UP=1 mk PKG_PLATFORMS=linux/amd64 pkg/one.build 2>err &&
	printf "%s\n" docker info >expect && test_cmp expect calls/1 &&
	sed -n 1,5p calls/2 >actual &&
	printf "%s\n" docker buildx build --platform linux/amd64 >expect &&
	test_cmp expect actual
'

test_expect_success 'DIR.build indexes an arch built alone before, no build' '
	rm -f calls/* &&
	mk PKG_BUILDER=buildx pkg/one.build 2>err &&
	test "$(ncalls)" = 0 &&
	grep "found $ONE-arm64 in local cache, skipping build" err &&
	i=$(jq -r --arg n "$ONE" ".manifests[] | select(.annotations
	    [\"org.opencontainers.image.ref.name\"] == \$n) | .digest" \
	    cache/index.json) &&
	jq -e "[.manifests[].platform.architecture] | sort ==
	    [\"amd64\", \"arm64\", \"unknown\", \"unknown\"]" \
	    cache/blobs/sha256/${i#sha256:}
'

test_expect_success 'buildctl: the exact command line, --addr from PKG_BUILDERS' '
	rm -f calls/* &&
	mk PKG_BUILDER=buildctl PKG_FORCE=1 \
	    PKG_BUILDERS=linux/amd64=tcp://a:1,linux/arm64=tcp://b:2 \
	    pkg/one.build-arm64 2>err &&
	sed "s,^\(context\|dockerfile\)=.*,\1=CTX," calls/1 >actual &&
	{ printf "%s\n" buildctl --addr tcp://b:2 build \
	    --frontend dockerfile.v0 --local context=CTX --local dockerfile=CTX \
	    --oci-layout "linuxkit-cache=$TRASH/cache" \
	    --opt filename=Dockerfile --opt platform=linux/arm64 &&
	  expect_args one.json --opt build-arg: --opt label: &&
	  printf "%s\n" --opt force-network-mode=none --opt attest:sbom= \
	    --output "type=oci,name=$ONE-arm64,dest=-" ; } >expect &&
	test_cmp expect actual &&
	grep -x Dockerfile calls/1.ctx
'

test_expect_success 'PKG_PRECACHE=1: a FROM image is pulled into the cache first' '
	rm -f calls/* &&
	mk PKG_BUILDER=buildctl PKG_PRECACHE=1 pkg/two.build 2>err &&
	root=$(oci-fetch --cached -C cache -p linux/amd64 $REG/lib/base:1 |
	    jq -r "select(.platform == null) | .digest") &&
	grep -x "context:$REG/lib/base:1=oci-layout:linuxkit-cache@$root" calls/1 &&
	! grep -x "context:b=.*" calls/1 &&
	! grep -x force-network-mode=none calls/1 &&
	grep -x -- --no-cache calls/1
'

test_expect_success 'without PKG_PRECACHE a missing FROM image is left to buildx' '
	rm -f calls/* &&
	CACHE=cache-b mk PKG_BUILDER=buildx pkg/two.build 2>err &&
	! grep -- --build-context calls/1 &&
	test_expect_code 3 oci-fetch --cached -C cache-b $REG/lib/base:1 &&
	grep -x -- --no-cache calls/1 && ! grep -x none calls/1
'

test_expect_success 'PKG_BUILD_ARGS and proxy variables reach the builder' '
	rm -f calls/* &&
	printf " EXTRA = 42 \nA=2\n" >args &&
	CACHE=cache-c http_proxy=http://proxy.invalid:3128 mk \
	    PKG_BUILDER=buildx PKG_BUILD_ARGS="$TRASH/args" \
	    PKG_SKIP_PLATFORMS=linux/arm64 pkg-build 2>err &&
	grep -x "EXTRA=42" calls/1 && grep -x "A=2" calls/1 &&
	grep -x "http_proxy=http://proxy.invalid:3128" calls/1 &&
	! grep -x "A=1" calls/1 && ! grep linux/arm64 calls/*
'

test_expect_success 'a failed build says so, names the package and the binfmt hint' '
	rm -f calls/* &&
	test_expect_code 2 env STANDIN_FAIL=1 make -C r PKG_CACHE="$TRASH/cache-d" \
	    PKG_BUILDER=buildx pkg/one.build-arm64 2>err &&
	grep "error building \"$REG/t7001/one:" err &&
	grep "update-binfmts --enable qemu-aarch64" err &&
	test_expect_code 3 oci-fetch --cached -C cache-d "$ONE-arm64"
'

test_expect_success 'PKG_NOBUILD=1: no checks, no build; nothing to push' '
	rm -f calls/* &&
	CACHE=cache-e mk PKG_NOBUILD=1 PKG_INSECURE=$REG pkg-push 2>err &&
	test "$(ncalls)" = 0 &&
	test "$(grep -c "No new platforms to push, skipping." err)" = 2
'

test_expect_success 'PKG_NOBUILD=1 pushes what the cache has' '
	mk PKG_NOBUILD=1 pkg/one.push 2>err &&
	test "$(ncalls)" = 0 &&
	oci-fetch --resolve -p linux/arm64 "$ONE" >/dev/null
'

test_expect_success 'pkg-manifest with no arch tag in the registry: exit 3' '
	test_expect_code 2 mk pkg/two.manifest 2>err &&
	grep "Pushing index based on all arch-specific images" err
'

test_expect_success 'pkg-release without a release: refused, nothing pushed' '
	test_expect_code 2 mk PKG_NOBUILD=1 pkg-release 2>err &&
	grep "set PKG_RELEASE or tag HEAD pkg-vX.Y.Z" err
'

test_expect_success 'no platform left to build: said, not an error' '
	rm -f calls/* &&
	mk PKG_SKIP_PLATFORMS=linux/amd64 pkg/two.build 2>err &&
	grep "Skipping $REG/t7001/two:.* with no architectures to build" err &&
	test "$(ncalls)" = 0
'

test_expect_success 'PKG_BIN names the tools when they are not on PATH' '
	PATH=$(echo "$PATH" | sed "s,$B/bin:,,") &&
	! command -v pkg-tag &&
	PATH=$PATH make -s -C r PKG_BIN="$B/bin" pkg/one.show-tag >out &&
	test "$(cat out)" = "$(jq -r .ref one.json)"
'

test_expect_success 'pkg-help lists every target and setting' '
	make -s -C r pkg-help >out &&
	for w in pkg-build pkg-push pkg-release pkg-manifest pkg-show-tag \
	    PKG_PLATFORMS PKG_BUILDERS PKG_PRECACHE PKG_BUILD_ARGS PKG_INSECURE; do
		grep -q -- "$w" out || return 1
	done
'

# the tool options pkg.mk needs
test_expect_success 'oci-fetch --cached: records when present, no network' '
	oci-fetch --cached -C cache -p linux/arm64 "$ONE" >out &&
	jq -s -e "length == 2 and .[0].ref == \"$ONE\" and
	    .[1].platform.architecture == \"arm64\"" out &&
	test_expect_code 3 oci-fetch --cached -C cache 127.0.0.1:1/no/such:1 &&
	test_expect_code 3 oci-fetch --cached -C cache -p linux/s390x "$ONE" \
	    2>err && grep "cannot find in the cache" err &&
	test_expect_code 2 oci-fetch --cached --bogus x
'

test_expect_success 'pkg-tag --build-arg-file: trimmed, @lkt: from its directory' '
	mkdir -p sub && printf " B = @lkt:pkg:../r/pkg/two \nA=3\n" >sub/args &&
	pkg-tag --json --build-arg-file sub/args r/pkg/one >out &&
	jq -e --arg t "$(jq -r .ref two.json)" ".buildArgs.B == \$t and
	    .buildArgs.A == \"3\" and .buildYmlArgs == {\"A\": \"1\"}" out
'

test_expect_success 'pkg-tag --build-arg-file: bad lines name file and line' '
	printf "A=1\n\nB=2\n" >blank &&
	test_expect_code 1 pkg-tag --json --build-arg-file blank r/pkg/one 2>err &&
	grep "blank:2: invalid build-arg" err &&
	printf "# a comment\n" >comment &&
	test_expect_code 1 pkg-tag --json --build-arg-file comment r/pkg/one &&
	test_expect_code 1 pkg-tag --json --build-arg-file nope r/pkg/one 2>err &&
	grep "nope" err
'

test_done
