#!/bin/sh
# mk/pkg-build.sh - the steps of mk/pkg.mk, one small function each.
#
#   pkg-build.sh plan DIR...      check the flags, resolve every package,
#                                 print the plan as make text (one line,
#                                 "@@" between assignments)
#   pkg-build.sh arch DIR ARCH    one platform: cache, registry, or build
#   pkg-build.sh index DIR ARCH.. the index NAME:TAG of what is now cached
#   pkg-build.sh push DIR         push NAME:TAG and its arch tags; release
#   pkg-build.sh release DIR      the same, but a release is required
#   pkg-build.sh manifest DIR     the index of the arch tags in the registry
#   pkg-build.sh show-tag DIR...  the tags
#
# Every step is one of the ocikit tools; this file only chooses which and
# passes what one prints to the next (doc/architecture.md §2 and §7,
# man/ocikit-pkg.7; the § below are those of doc/linuxkit-compat.md).
# Settings come from the PKG_* variables that pkg.mk exports. Messages
# are LinuxKit's, one line each, on stderr.
set -u

PKG_BIN=${PKG_BIN:-}
[ -n "$PKG_BIN" ] && PATH=$PKG_BIN:$PATH

say() { printf '%s\n' "$*" >&2; }
die() { say "pkg.mk: $*"; exit 1; }
# a PKG_* switch is on when set to anything but "", 0, no or false
on() { case ${1:-} in ''|0|no|false) return 1 ;; esac; return 0; }

cache_opt() { [ -n "${PKG_CACHE:-}" ] && printf '%s\n' "-C" "$PKG_CACHE"; }
cache_dir() {
	if [ -n "${PKG_CACHE:-}" ]; then echo "$PKG_CACHE"
	elif [ -n "${LINUXKIT_CACHE:-}" ]; then echo "$LINUXKIT_CACHE"
	else echo "$HOME/.linuxkit/cache"; fi
}
insecure_opts() {
	for h in ${PKG_INSECURE:-}; do printf '%s\n' "--insecure" "$h"; done
}

# pkg-tag with the options the PKG_* variables ask for
pkgtag() {
	set -- ${PKG_ORG+--org "$PKG_ORG"} ${PKG_HASH:+--hash "$PKG_HASH"} \
	    ${PKG_BUILD_ARGS:+--build-arg-file "$PKG_BUILD_ARGS"} "$@"
	if on "${PKG_DEV:-}"; then set -- --dev "$@"; fi
	pkg-tag "$@"
}

# ---- §8.1: conflicting settings stop everything, before any work ----

check_platform() {	# os/arch, both non-empty, nothing else
	case $1 in */*/*|/*|*/|*' '*) return 1 ;; */*) return 0 ;; esac
	return 1
}

check_flags() {
	if on "${PKG_NOBUILD:-}" && on "${PKG_FORCE:-}"; then
		say "flags -force and -nobuild conflict"; return 1
	fi
	if on "${PKG_PULL:-}" && on "${PKG_FORCE:-}"; then
		say "flags -force and -pull conflict"; return 1
	fi
	if [ -n "${PKG_SKIP_PLATFORMS:-}" ] && [ -n "${PKG_PLATFORMS:-}" ]; then
		say "--skip-platforms and --platforms may not be used together"
		return 1
	fi
	for p in ${PKG_SKIP_PLATFORMS:-}; do
		case $p in linux/*) check_platform "$p" && continue ;; esac
		say "invalid target platform specification '$p'"; return 1
	done
	for p in ${PKG_PLATFORMS:-}; do
		check_platform "$p" && continue
		say "invalid target platform specification '$p'"; return 1
	done
	for e in $(echo "${PKG_BUILDERS:-}" | tr ',' ' '); do
		case $e in
		*=*) check_platform "${e%%=*}" || {
			say "invalid platform specification '${e%%=*}'"
			return 1; } ;;
		*) say "invalid platform=builder specification '$e'"; return 1 ;;
		esac
	done
	if [ -n "${PKG_RELEASE:-}" ] && [ "${PKG__PUSHING:-}" != 1 ]; then
		say "cannot release \"$PKG_RELEASE\" if not pushing"; return 1
	fi
	case ${PKG_BUILDER:-} in ''|buildah|buildx|buildctl) ;;
	*) say "unknown builder '$PKG_BUILDER': buildah, buildx or buildctl"
	   return 1 ;;
	esac
}

# ---- plan: every package resolved first (§8.2), then what to build ----

# FROM images of a Dockerfile, as "dockerfile<TAB>image" lines (for
# ordering); a Dockerfile's name holds no control character (pkg-tag)
from_lines() {	# < dockerfile paths, one per line
	# one awk for all: a process per package cost more than the rest of
	# a no-op plan; only readable files are named, as mawk stops at the
	# first it cannot open
	while IFS= read -r f; do
		[ -f "$f" ] && [ -r "$f" ] && printf '%s\0' "$f"
	done | xargs -0r awk 'toupper($1) == "FROM" { for (i = 2; i <= NF; i++)
		if ($i !~ /^--/) { print FILENAME "\t" $i; break } }' \
	    2>/dev/null
}

# a package directory names make targets and variables: pkg.mk refuses
# the unsafe ones before it runs this, and so does this
check_dirs() {
	for d in "$@"; do
		case $d in
		-*|*[!A-Za-z0-9._/+@,-]*|'') die "cannot use package directory" \
		    "'$d': only letters, digits and ._-/+@, are allowed" ;;
		esac
	done
}

# every value of the plans that becomes make text (pkg.mk evals the
# plan) has only the characters of a reference: no '$', space or "@@"
JQ_BAD='def bad: [.ref, .canonical, .arches[]] | map(strings
    | select((test("^[A-Za-z0-9._:/@+-]*$") | not) or test("@@")));'
bad_plan() {	# value
	die "cannot plan: '$1' is no valid reference"
}
check_plan() {	# planfile
	bad=$(jq -r "$JQ_BAD"' bad | .[0] // empty' "$1") || exit 1
	[ -z "$bad" ] || bad_plan "$bad"
}

plan() {
	check_flags || exit 2
	check_dirs "$@"
	tmp=$(workdir) || exit 1
	trap 'rm -rf "$tmp"' EXIT
	pkgtag --json "$@" >"$tmp/plan" || exit 1
	# one jq (its start costs more than its work) for three lists, in
	# order: "bad VALUE" for the first value that cannot become make
	# text (check_plan); "want ARCH REF" per platform to check, the
	# package's PKG_PLATFORMS, else arches - skipped; "df FILE" per
	# Dockerfile
	jq -n -r --arg plats "${PKG_PLATFORMS:-}" \
	    --arg skip "${PKG_SKIP_PLATFORMS:-}" "$JQ_BAD"'
	    [inputs] as $p
	    | ($skip | split(" ") | map(select(. != "") | split("/")[1])) as $s
	    | (first($p[] | bad | .[]) | "bad \(.)"),
	      ($p[] | .canonical as $c
	        | (if $plats != "" then $plats | split(" ") | map(select(. != "")
	          | split("/")[1]) else .arches - $s end)[] | "want \(.) \($c)"),
	      ($p[] | "df \(.path)/\(.dockerfile)")
	    ' "$tmp/plan" >"$tmp/lines" || exit 1
	arches=
	while IFS= read -r l; do
		case $l in
		'bad '*) bad_plan "${l#bad }" ;;
		'want '*) ;;
		*) continue ;;
		esac
		l=${l#want } a=${l%% *}
		echo "${l#* }" >>"$tmp/want.$a"
		case " $arches " in *" $a "*) ;; *) arches="$arches $a" ;; esac
	done <"$tmp/lines"
	sed -n 's/^df //p' "$tmp/lines" | from_lines >"$tmp/froms"
	# what the cache has (oci-fetch --cached: no network), one pass per
	# arch; a JSON string "@ARCH" before each pass's records
	: >"$tmp/present"
	if ! on "${PKG_FORCE:-}" && ! on "${PKG_NOBUILD:-}"; then
		for a in $arches; do
			echo "\"@$a\"" >>"$tmp/present"
			oci-fetch --cached -q $(cache_opt) -p "linux/$a" \
			    $(cat "$tmp/want.$a") >>"$tmp/present" 2>/dev/null
		done
	fi
	# what each package needs is looked up by name in objects built once
	# ($from, $want, $have, $named): a scan of every list per package made
	# this jq quadratic, 55 ms of a 200 ms no-op make of 60 packages
	jq -n -r --rawfile froms "$tmp/froms" --rawfile lines "$tmp/lines" \
	    --arg nobuild "$(on "${PKG_NOBUILD:-}" && echo 1)" \
	    --arg say " ${PKG__SAY:-} " \
	    --slurpfile plan "$tmp/plan" --slurpfile present "$tmp/present" '
	    ($froms | split("\n") | map(select(. != "") | split("\t"))
	        | reduce .[] as $l ({}; .[$l[0]] += [$l[1]])) as $from
	    | ($lines | split("\n") | map(select(startswith("want "))
	        | split(" ")) | reduce .[] as $w ({}; .[$w[2]] += [$w[1]]))
	        as $want
	    | (reduce $present[] as $x ({a: null, p: {}};
	        if ($x | type) == "string" then .a = $x[1:]
	        elif $x.platform == null and ($x.ref | type) == "string"
	        then .p[$x.ref] += [.a] else . end) | .p) as $have
	    | $ARGS.positional as $dirs
	    | [range(0; $dirs | length) | {dir: $dirs[.], p: $plan[.]}] as $pk
	    | (reduce range(0; $pk | length) as $i ({};
	        reduce ($pk[$i].p | .ref, .canonical | strings) as $n (.;
	          .[$n] += [$i]))) as $named
	    | $pk[] as $x
	    | $x.p.canonical as $c
	    | ($want[$c | strings] // []) as $arches
	    | ($x.p.path + "/" + $x.p.dockerfile) as $df
	    | ([$x.p.buildArgs[]] + $x.p.depends.images
	        + ($from[$df] // [])) as $uses
	    | ([$uses[] | strings | $named[.] // empty | .[]] | unique
	        | map($pk[.].dir) - [$x.dir]) as $deps
	    | (if $nobuild == "1" then [] else $arches - ($have[$c | strings]
	        // []) end) as $todo
	    | (if $nobuild != "1" and ($todo | length) == 0 and
	        ($arches | length) > 0 and ($say | contains(" \($x.dir) "))
	      then "M found \($x.p.canonical) in local cache, skipping build"
	      else empty end),
	      "PKG__REF_\($x.dir) := \($x.p.canonical)@@"
	      + "PKG__TAG_\($x.dir) := \($x.p.ref)@@"
	      + "PKG__PLATS_\($x.dir) := \($arches | join(" "))@@"
	      + "PKG__TODO_\($x.dir) := \($todo | join(" "))@@"
	      + "PKG__DEPS_\($x.dir) := \($deps | join(" "))@@"' \
	    --args "$@" >"$tmp/out" || exit 1
	while IFS= read -r l; do
		case $l in
		'M '*) printf '%s\n' "${l#M }" >&2 ;;
		*) printf '%s' "$l" ;;
		esac
	done <"$tmp/out"
}

# ---- one package, one platform (§8.3, §8.5) ----

# the Dockerfile's FROM images after build-arg substitution, skipping
# scratch and earlier stages: "raw expanded" lines
from_images() {	# dockerfile args-lines
	PKG__ARGS=$2 awk '
	function expand(s,   out, n, v) {
		out = ""
		while (match(s, /\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*/)) {
			v = substr(s, RSTART, RLENGTH); gsub(/[${}]/, "", v)
			out = out substr(s, 1, RSTART - 1) (v in val ? val[v] : "")
			s = substr(s, RSTART + RLENGTH)
		}
		return out s
	}
	BEGIN { n = split(ENVIRON["PKG__ARGS"], kv, "\n")
		for (i = 1; i <= n; i++) if ((j = index(kv[i], "=")) > 0)
			val[substr(kv[i], 1, j - 1)] = substr(kv[i], j + 1) }
	toupper($1) == "ARG" && !seen && (j = index($2, "=")) > 0 {
		k = substr($2, 1, j - 1); if (!(k in val)) val[k] = substr($2, j + 1) }
	toupper($1) == "FROM" { seen = 1
		for (i = 2; i <= NF && $i ~ /^--/; i++) ;
		img = expand($i)
		if (tolower(img) != "scratch" && !(img in stage))
			print $i, img
		if (toupper($(i + 1)) == "AS") stage[$(i + 2)] = 1 }' "$1"
}

# buildah names an image pulled from an oci: layout after the layout's
# path, which must then be a valid lower-case repository name: the work
# directory has such a name, and a link to the cache in it
workdir() {
	base=${TMPDIR:-/tmp}
	case $base in *[!a-z0-9/._-]*|*/.*|*//*) base=/tmp ;; esac
	n=0
	until mkdir -m 700 "$base/pkgmk-$$-$n" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 100 ] || die "cannot make a directory in $base"
	done
	echo "$base/pkgmk-$$-$n"
}
cache_link() {	# workdir
	[ -L "$1/cache" ] || ln -s "$(cd "$(cache_dir)" && pwd -P)" \
	    "$1/cache" || return 1
	echo "$1/cache"
}

# make each cached FROM image of this platform available to the builder:
# buildah gets it in its storage (named by id), buildx/buildctl a named
# oci-layout context on the cache (§8.8); prints builder options
from_contexts() {	# ctxdir dockerfile argsfile arch builder
	from_images "$1/$2" "$(cat "$3")" >"$1.froms" || return 1
	while read -r raw img; do
		if ! oci-fetch --cached -q $(cache_opt) -p "linux/$4" "$img" \
		    >"$1.from" 2>/dev/null; then
			# buildah builds offline: it needs every base cached
			if [ "$5" = buildah ] || on "${PKG_PRECACHE:-}"; then
				oci-fetch -q $(cache_opt) $(insecure_opts) \
				    -p "linux/$4" "$img" >"$1.from" || return 1
			else
				continue
			fi
		fi
		name=$(jq -r 'select(.platform == null) | .ref' "$1.from")
		root=$(jq -r 'select(.platform == null) | .digest' "$1.from")
		case $5 in
		buildah)
			id=$(buildah pull -q --platform "linux/$4" \
			    "oci:$(cache_link "${1%/*}"):$name") || return 1
			printf '%s\n' "$raw" "$img" | sort -u |
			while IFS= read -r k; do
				printf '%s\n' --build-context \
				    "$k=container-image://$id"
			done ;;
		buildx)
			printf '%s\n' --build-context \
			    "$img=oci-layout://$(cache_dir)@$root" ;;
		buildctl)
			printf '%s\n' --opt \
			    "context:$img=oci-layout:linuxkit-cache@$root" ;;
		esac
	done <"$1.froms"
}

# the builder address for a platform from PKG_BUILDERS (linux/a=ADDR,...)
builder_for() {
	for e in $(echo "${PKG_BUILDERS:-}" | tr ',' ' '); do
		[ "${e%%=*}" = "linux/$1" ] && { echo "${e#*=}"; return; }
	done
}

choose_builder() {
	if [ -n "${PKG_BUILDER:-}" ]; then echo "$PKG_BUILDER"
	elif command -v docker >/dev/null 2>&1 &&
	    docker info >/dev/null 2>&1; then echo buildx
	else echo buildah; fi
}

# builder options for the plan's build args and labels, one per line:
# "$1" "$2K=V" for each build arg, "$3" "$4K=V" for each label
plan_opts() {	# argopt argprefix labelopt labelprefix planfile
	jq -r --arg o "$1" --arg a "$2" --arg lo "$3" --arg l "$4" '
	    if ([.buildArgs, .labels | to_entries[] | .key, .value
	        | test("\n")] | any) then error("a build arg or label "
	        + "holds a newline") else
	    (.buildArgs | to_entries[] | $o, "\($a)\(.key)=\(.value)"),
	    (.labels | to_entries[] | $lo, "\($l)\(.key)=\(.value)") end' "$5"
}

# one build: the context from pkg-buildctx, the OCI tar into $w/out.tar
# The context names its entries' bytes as they are on disk (pax
# hdrcharset=BINARY), which GNU tar extracts right but warns about.
untar() {	# tarfile dir
	case $(tar --version 2>/dev/null) in
	*GNU*) tar --warning=no-unknown-keyword -xf "$1" -C "$2" ;;
	*) tar -xf "$1" -C "$2" ;;
	esac
}

run_builder() {	# builder arch workdir planfile ref
	b=$1 a=$2 w=$3 pf=$4 ref=$5
	df=$(jq -r .dockerfile "$pf")
	case $df in /*|*..*|'') die "cannot build: dockerfile '$df'" ;; esac
	case $b in
	buildctl) plan_opts --opt build-arg: --opt label: "$pf" ;;
	*) plan_opts --build-arg '' --label '' "$pf" ;;
	esac >"$w/opts" || return 1
	jq -r '.buildArgs | to_entries[] | "\(.key)=\(.value)"' "$pf" \
	    >"$w/args"
	pkg-buildctx $(cache_opt) -p "linux/$a" "$(jq -r .path "$pf")" \
	    >"$w/ctx.tar" || return 1
	mkdir "$w/ctx" && untar "$w/ctx.tar" "$w/ctx" || return 1
	# the builder reads the Dockerfile of the context, never a link out
	[ -f "$w/ctx/$df" ] && [ ! -L "$w/ctx/$df" ] &&
	    case $(realpath -e -- "$w/ctx/$df") in
	    "$(realpath -e -- "$w/ctx")"/*) ;; *) false ;; esac ||
	    die "cannot build: dockerfile '$df' is not a file of the context"
	from_contexts "$w/ctx" "$df" "$w/args" "$a" "$b" >>"$w/opts" ||
	    return 1
	nonet= nocache=
	[ "$(jq -r .network "$pf")" = true ] || nonet=1
	[ "$(jq -r .disableCache "$pf")" = true ] && nocache=1
	addr=$(builder_for "$a")
	old=$IFS; IFS='
'
	set -f
	set -- $(cat "$w/opts")
	set +f
	IFS=$old
	case $b in
	buildah)
		# .dockerignore is shipped, never applied: an empty one wins
		: >"$w/noignore"
		${nonet:+unshare -n} buildah build -q --pull=never \
		    --isolation "${BUILDAH_ISOLATION:-chroot}" \
		    --ignorefile "$w/noignore" \
		    --platform "linux/$a" -f "$w/ctx/$df" ${nocache:+--no-cache} \
		    --iidfile "$w/iid" "$@" "$w/ctx" >&2 || return 1
		buildah push -q "$(cat "$w/iid")" "oci-archive:$w/out.tar" \
		    >&2 || return 1
		buildah rmi "$(cat "$w/iid")" >/dev/null 2>&1
		return 0 ;;
	buildx)
		docker buildx build ${addr:+--builder "$addr"} \
		    --platform "linux/$a" -f "$df" "$@" \
		    ${nonet:+--network none} ${nocache:+--no-cache} \
		    --sbom=true --provenance=false \
		    --output "type=oci,name=$ref-$a,dest=-" - \
		    <"$w/ctx.tar" >"$w/out.tar" ;;
	buildctl)
		buildctl ${addr:+--addr "$addr"} build \
		    --frontend dockerfile.v0 \
		    --local "context=$w/ctx" \
		    --local "dockerfile=$w/ctx" \
		    --oci-layout "linuxkit-cache=$(cache_dir)" \
		    --opt "filename=$df" --opt "platform=linux/$a" "$@" \
		    ${nonet:+--opt force-network-mode=none} \
		    ${nocache:+--no-cache} --opt attest:sbom= \
		    --output "type=oci,name=$ref-$a,dest=-" >"$w/out.tar" ;;
	esac
}

host_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;; aarch64) echo arm64 ;; *) uname -m ;;
	esac
}

# the plan of one package, into a file: pkg-tag --json
plan_file() {	# dir file
	check_dirs "$1"
	pkgtag --json "$1" >"$2" || exit 1
	check_plan "$2"
	ref=$(jq -r .canonical "$2")
	tag=$(jq -r .ref "$2")
	[ "$ref" != null ] || die "cannot build '$1': '$tag' is no valid reference"
}

arch_step() {	# dir arch
	d=$1 a=$2
	w=$(workdir) || exit 1
	trap 'rm -rf "$w"' EXIT
	plan_file "$d" "$w/plan"
	if ! on "${PKG_FORCE:-}"; then
		say "checking for $ref in local cache..."
		if oci-fetch --cached -q $(cache_opt) -p "linux/$a" "$ref" \
		    >/dev/null 2>&1; then
			say "found $ref in local cache, skipping build"
			return 0
		fi
		# built before (DIR.build-ARCH alone) but not yet indexed
		if oci-fetch --cached -q $(cache_opt) -p "linux/$a" "$ref-$a" \
		    >/dev/null 2>&1; then
			say "found $ref-$a in local cache, skipping build"
			return 0
		fi
		if on "${PKG_PULL:-}"; then
			say "$ref $a not found in local cache, trying to pull"
			if err=$(oci-fetch -q $(cache_opt) $(insecure_opts) \
			    -p "linux/$a" "$ref" 2>&1 >/dev/null); then
				say "$ref pulled"
				return 0
			fi
			say "$ref not found, will build: $err"
		else
			say "$ref $a not found in local cache, checking registry"
			if oci-fetch --resolve -q $(cache_opt) $(insecure_opts) \
			    -p "linux/$a" "$ref" >/dev/null 2>&1; then
				say "$ref $a found on registry"
				return 0
			fi
			say "$ref $a not found, will build"
		fi
	fi
	b=$(choose_builder)
	say "Building for arch $a as $ref-$a"
	# the output goes through a file: buildah cannot write to a pipe
	if ! run_builder "$b" "$a" "$w" "$w/plan" "$ref"; then
		say "error building \"$tag\": $b failed for linux/$a"
		[ "$a" = "$(host_arch)" ] || say "check binfmt support for" \
		    "linux/$a: update-binfmts --enable qemu-$(qemu_name "$a")"
		exit 1
	fi
	oci-import -q $(cache_opt) --ref "$ref-$a" "$w/out.tar" >/dev/null ||
	    die "cannot import the build of '$ref-$a'"
}

qemu_name() {
	case $1 in
	amd64) echo x86_64 ;; arm64) echo aarch64 ;; ppc64le) echo ppc64le ;;
	386) echo i386 ;; *) echo "$1" ;;
	esac
}

# after the platforms of a package: NAME:TAG indexes what is cached
index_step() {	# dir arch...
	d=$1; shift
	[ $# -gt 0 ] || return 0
	ref=$(pkgtag --canonical "$d") || exit 1
	arches=$(echo "$@" | tr ' ' ',')
	oci-index-merge -q $(cache_opt) --ref "$ref" --arch-tags \
	    --arches "$arches" >/dev/null
	case $? in 0|3) ;; *) die "cannot index '$ref'" ;; esac
	[ "${PKG__PUSHING:-}" = 1 ] ||
	    say "Build complete, not pushing, all done."
}

# the release name: PKG_RELEASE, else a pkg-vX.Y.Z tag at HEAD (§8.2, §10.4)
release_of() {	# dir
	if [ -n "${PKG_RELEASE:-}" ]; then echo "$PKG_RELEASE"; return; fi
	t=$(git -C "$1" tag --points-at HEAD 'pkg-v*' 2>/dev/null)
	case $t in
	'') ;;
	*'
'*) die "several pkg-v* tags at HEAD of '$1': set PKG_RELEASE" ;;
	*) echo "${t#pkg-}" ;;
	esac
}

push_step() {	# dir [required]
	d=$1
	w=$(workdir) || exit 1
	trap 'rm -rf "$w"' EXIT
	plan_file "$d" "$w/plan"
	rel=$(release_of "$d") || exit 1
	[ -n "$rel" ] || [ "${2:-}" != required ] ||
	    die "cannot release \"$tag\": set PKG_RELEASE or tag HEAD pkg-vX.Y.Z"
	have=
	for a in $PKG__ARCHES; do
		oci-fetch --cached -q $(cache_opt) -p "linux/$a" "$ref" \
		    >/dev/null 2>&1 && have=1
	done
	if [ -z "$have" ]; then
		say "No new platforms to push, skipping."
		[ -n "$rel" ] || return 0
		say "Skipping push of default tag \"$ref\""
	fi
	[ "$(jq -r .dirty "$w/plan")" = false ] ||
	    die "build complete, refusing to push dirty package"
	if [ -n "$have" ]; then
		say "Pushing local $ref as $ref"
		oci-put -q $(cache_opt) $(insecure_opts) --arch-tags "$ref" \
		    >/dev/null || die "cannot push '$ref'"
	fi
	if [ -z "$rel" ]; then
		say "Build and push complete, not releasing, all done."
		return 0
	fi
	rref=${ref%:*}:$rel
	if [ -z "$have" ]; then
		say "Pulling $ref into local cache for release..."
		oci-fetch -q $(cache_opt) $(insecure_opts) --all-platforms \
		    "$ref" >/dev/null || die "cannot pull '$ref' for release"
	fi
	say "Pushing local $ref as $rref"
	oci-put -q $(cache_opt) $(insecure_opts) --arch-tags --no-override \
	    "$ref" "$rref" >/dev/null || die "cannot release '$rref'"
	say "Build, push and release of \"$rel\" complete, all done."
}

# pkg manifest (§10.5): the index of the arch tags other machines pushed
manifest_step() {	# dir
	d=$1
	ref=$(pkgtag --canonical "$d") || exit 1
	rel=$(release_of "$d") || exit 1
	say "Pushing index based on all arch-specific images in registry $ref"
	oci-index-merge $(cache_opt) $(insecure_opts) --ref "$ref" \
	    --arch-tags --remote >/dev/null
	rc=$?
	[ $rc = 0 ] || exit $rc
	oci-put -q $(cache_opt) $(insecure_opts) "$ref" >/dev/null ||
	    die "cannot push '$ref'"
	[ -n "$rel" ] || return 0
	oci-put -q $(cache_opt) $(insecure_opts) --no-override "$ref" \
	    "${ref%:*}:$rel" >/dev/null || die "cannot release '${ref%:*}:$rel'"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
plan) plan "$@" ;;
arch) [ $# = 2 ] || die "usage: pkg-build.sh arch DIR ARCH"; arch_step "$@" ;;
index) index_step "$@" ;;
push) push_step "$1" ;;
release) push_step "$1" required ;;
manifest) manifest_step "$1" ;;
show-tag) pkgtag "$@" ;;
*) echo "usage: pkg-build.sh plan|arch|index|push|release|manifest|show-tag DIR..." >&2
   exit 2 ;;
esac
