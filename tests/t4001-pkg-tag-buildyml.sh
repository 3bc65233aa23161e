#!/bin/sh
# tests/t4001-pkg-tag-buildyml.sh - strict build.yml decoding (doc/linuxkit-compat.md §3.2, §3.5)
test_description='pkg-tag rejects invalid build.yml files, naming the line'
. "$(dirname "$0")/lib.sh"

# outside git: the tag is "latest", so only build.yml matters here
GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES

# bad NAME LINE WORD: build.yml from stdin must fail with exit 1 and one
# line naming the file, the line (when LINE is not -) and WORD
bad () {
	rm -rf "p$1" && mkdir "p$1" && cat >"p$1/build.yml" &&
	test_expect_code 1 pkg-tag "p$1" >out 2>err &&
	test ! -s out &&
	test_one_line_error err "$PWD/p$1/build.yml" &&
	{ test "$2" = - || grep -F "build.yml:$2:" err >/dev/null ||
	  { cat err; return 1; }; } &&
	grep -F -- "$3" err >/dev/null
}
# good NAME: prints the tag; the plan goes to plan.json
good () {
	rm -rf "p$1" && mkdir "p$1" && cat >"p$1/build.yml" &&
	pkg-tag --json "p$1" >plan.json
}

test_expect_success 'unknown top-level key (line 2)' '
	printf "image: p\nunknownField: abc\n" | bad unk 2 unknownField
'
test_expect_success 'unknown key in config' '
	printf "image: p\nconfig:\n  bogus: 1\n" | bad cfg 3 bogus
'
test_expect_success 'unknown key deep in config (runtime.bindNS)' '
	printf "image: p\nconfig:\n  runtime:\n    bindNS:\n      nope: x\n" |
	bad deep 5 nope
'
test_expect_success 'unknown key in depends and docker-images' '
	printf "image: p\ndepends:\n  what: 1\n" | bad dep 3 what &&
	printf "image: p\ndepends:\n  docker-images:\n    targetdir: x\n" |
	bad dep2 4 targetdir
'
test_expect_success 'duplicate key names both lines' '
	printf "image: p\nimage: q\n" | bad dup 2 "already defined at line 1" &&
	grep "\"image\"" err
'
test_expect_success 'duplicate key inside config.sysctl' '
	printf "image: p\nconfig:\n  sysctl:\n    a: 1\n    a: 2\n" |
	bad dup2 5 "\"a\""
'
test_expect_success 'keys are case-sensitive' '
	printf "Image: q\n" | bad case 1 Image
'
test_expect_success 'empty file and comments only: no YAML document' '
	: | bad empty - "no YAML document" &&
	printf "# nothing\n" | bad comment - "no YAML document"
'
test_expect_success 'top level must be a mapping' '
	printf -- "- image: p\n" | bad seq 1 "must be a mapping"
'
test_expect_success 'arches as a string' '
	printf "image: p\narches: amd64\n" | bad arches 2 arches
'
test_expect_success 'a quoted "true" is not a boolean' '
	printf "image: p\nnetwork: \"true\"\n" | bad qtrue 2 network
'
test_expect_success 'image is required' '
	printf "org: x\n" | bad noimage - "image field is required"
'
test_expect_success 'YAML syntax error names the line' '
	printf "image: p\narches: [amd64\n" | bad syntax 3 build.yml
'
test_expect_success 'network: yes and "yes" are true; null org keeps linuxkit' '
	printf "image: p\nnetwork: yes\norg: null\n" | good y1 &&
	test "$(jq -r "[.network, .org] | @tsv" plan.json)" = "true	linuxkit" &&
	printf "image: p\nnetwork: \"yes\"\ndisable-cache: On\n" | good y2 &&
	test "$(jq -r "[.network, .disableCache] | @tsv" plan.json)" = "true	true"
'
test_expect_success 'org: "" gives /p:latest; image: 123 keeps its text' '
	printf "image: 123\norg: \"\"\n" | good e1 &&
	test "$(pkg-tag pe1)" = /123:latest
'
test_expect_success 'arches: null means no arches; default is three' '
	printf "image: p\narches:\n" | good a1 &&
	test "$(jq -c .arches plan.json)" = "[]" &&
	printf "image: p\n" | good a2 &&
	test "$(jq -c .arches plan.json)" = "[\"amd64\",\"arm64\",\"riscv64\"]"
'
test_expect_success 'anchors and aliases are resolved; only the first document' '
	printf "image: &n p\ngitrepo: *n\n---\nimage: other\n" | good anc &&
	test "$(jq -r "[.image, .gitrepo] | @tsv" plan.json)" = "p	p"
'

test_expect_success 'config label: LinuxKit key order and escapes' '
	cat <<-\EOF | good cfg1 &&
	image: p
	config:
	  pid: host
	  binds:
	    - /var/log:/var/log
	  capabilities:
	    - CAP_AUDIT_CONTROL
	    - CAP_AUDIT_READ
	    - CAP_AUDIT_WRITE
	    - CAP_SYS_NICE
	EOF
	jq -r .config plan.json >actual &&
	echo "{\"capabilities\":[\"CAP_AUDIT_CONTROL\",\"CAP_AUDIT_READ\",\"CAP_AUDIT_WRITE\",\"CAP_SYS_NICE\"],\"binds\":[\"/var/log:/var/log\"],\"pid\":\"host\"}" >expect &&
	test_cmp expect actual &&
	jq -r ".labels[\"org.mobyproject.config\"]" plan.json >actual &&
	test_cmp expect actual
'
test_expect_success 'config label: empty values, types, sorted maps, runtime' '
	cat <<-\EOF | good cfg2 &&
	image: p
	config:
	  runtime:
	    interfaces:
	      - name: eth0
	  annotations:
	    z: "1"
	    a: "<&>"
	  uid: 0
	  gid: "100"
	  readonly: false
	  cwd: ""
	  capabilities: []
	  oomScoreAdj: -500
	  devices:
	    - path: /dev/null
	  mounts:
	    - destination: /tmp
	      uidmappings:
	        - containerid: 0
	          hostid: 1000
	          size: 1
	  resources:
	    memory: {limit: 100}
	    pids: {}
	EOF
	jq -r .config plan.json >actual &&
	cat >expect <<-\EOF &&
	{"capabilities":[],"mounts":[{"destination":"/tmp","uidMappings":[{"containerID":0,"hostID":1000,"size":1}]}],"devices":[{"path":"/dev/null","type":"","major":0,"minor":0}],"readonly":false,"uid":0,"gid":"100","oomScoreAdj":-500,"resources":{"memory":{"limit":100},"pids":{"limit":0}},"annotations":{"a":"\u003c\u0026\u003e","z":"1"},"runtime":{"interfaces":[{"name":"eth0","createInRoot":false}],"bindNS":{}}}
	EOF
	test_cmp expect actual
'
test_expect_success 'config: wrong type names the key and line' '
	printf "image: p\nconfig:\n  readonly: maybe\n" | bad ro 3 readonly &&
	printf "image: p\nconfig:\n  oomScoreAdj: x\n" | bad oom 3 oomScoreAdj
'

D=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
test_expect_success 'depends: target and target-dir are exclusive' '
	printf "image: p\ndepends:\n  docker-images:\n    target: a.tar\n    target-dir: d\n" |
	bad d1 - "mutually exclusive"
'
test_expect_success 'depends: list and from-file are exclusive' '
	printf "image: p\ndepends:\n  docker-images:\n    from-file: f\n    list: [docker.io/library/alpine@%s]\n" $D |
	bad d2 - "mutually exclusive"
'
test_expect_success 'depends: paths must be relative and within the package' '
	printf "image: p\ndepends:\n  docker-images:\n    target: /abs.tar\n" |
	bad d3 - "must be relative to package directory" &&
	printf "image: p\ndepends:\n  docker-images:\n    target-dir: .\n" |
	bad d4 - "must not be exactly the package directory" &&
	printf "image: p\ndepends:\n  docker-images:\n    target-dir: ../x\n" |
	bad d5 - "must be within package directory"
'
test_expect_success 'depends: a sibling with the package name as prefix passes' '
	printf "image: p\ndepends:\n  docker-images:\n    target-dir: ../pd6x\n" |
	good d6
'
test_expect_success 'depends: images need a host part and a valid digest' '
	printf "image: p\ndepends:\n  docker-images:\n    target: i.tar\n    list: [alpine:3.19]\n" |
	bad d7 - "alpine:3.19" &&
	printf "image: p\ndepends:\n  docker-images:\n    target: i.tar\n    list: [docker.io/library/alpine:3.19]\n" |
	bad d8 - "lacks a digest" &&
	printf "image: p\ndepends:\n  docker-images:\n    target: i.tar\n    list: [docker.io/library/alpine@sha256:ABC]\n" |
	bad d9 - "unable to validate digest"
'
test_expect_success 'depends: from-file skips blank and # lines' '
	mkdir -p pd10 &&
	printf "# c\n\ndocker.io/library/alpine:3.19@%s\n" $D >pd10/images &&
	printf "image: p\ndepends:\n  docker-images:\n    target-dir: deps\n    from-file: images\n" \
		>pd10/build.yml &&
	pkg-tag --json pd10 >plan.json &&
	test "$(jq -r ".depends.images[]" plan.json)" = "docker.io/library/alpine:3.19@$D" &&
	test "$(jq -r .depends.targetDir plan.json)" = deps &&
	test "$(jq -r .depends.target plan.json)" = null
'

test_done
