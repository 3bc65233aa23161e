#!/bin/sh
test_description='oci-import: real builder output into the cache, read back by skopeo'
. "$(dirname "$0")/lib.sh"

# buildah wants $DOCKER_CONFIG/config.json to exist when the variable is set
bah () {
	env -u DOCKER_CONFIG buildah --root "$TRASH/storage" --runroot "$TRASH/run" \
	    --storage-driver vfs "$@"
}

# every blob in the cache matches its name, and index.json parses
cache_valid () {
	jq -e '.manifests | type == "array"' "$1/index.json" >/dev/null &&
	for b in "$1"/blobs/sha256/*; do
		test -e "$b" || continue
		test "$(sha256sum <"$b" | cut -d" " -f1)" = "$(basename "$b")" ||
		{ echo "corrupt blob $b"; return 1; }
	done
}

nblobs () {
	find "$1/blobs" -type f | wc -l
}

# skopeo reads image NAME of cache DIR back whole, gunzipping every layer
# (--dest-decompress) and checking every digest. skopeo 1.9 finds only
# OCI-typed entries of a layout by name, so a docker-typed image (what a
# docker save import is, as in LinuxKit's cache) is handed over as a dir:
# of its manifest and blobs.
skopeo_reads () {
	mt=$(jq -r --arg n "$2" '.manifests[] |
	    select(.annotations["org.opencontainers.image.ref.name"] == $n) |
	    .mediaType' "$1/index.json") &&
	rm -rf "$1.dir" "$1.copy" &&
	case $mt in
	application/vnd.oci.*)
		skopeo copy -q --dest-decompress "oci:$1:$2" "oci:$1.copy:x" ;;
	*)
		d=$(jq -r --arg n "$2" '.manifests[] |
		    select(.annotations["org.opencontainers.image.ref.name"] == $n) |
		    .digest' "$1/index.json") &&
		mkdir "$1.dir" &&
		cp "$1/blobs/sha256/${d#sha256:}" "$1.dir/manifest.json" &&
		for b in $(jq -r ".config.digest, .layers[].digest" "$1.dir/manifest.json")
		do
			ln -sf "$PWD/$1/blobs/sha256/${b#sha256:}" "$1.dir/${b#sha256:}" ||
			return 1
		done &&
		echo "Directory Transport Version: 1.1" >"$1.dir/version" &&
		skopeo copy -q --dest-decompress "dir:$1.dir" "oci:$1.copy:x" ;;
	esac &&
	test -s "$1.copy/index.json"
}

# every blob the names reach is present, and skopeo reads the image whole
reads_back () {
	python3 "$HELPERS/cachecheck.py" "$1" --complete &&
	skopeo_reads "$1" "$2"
}

# every layer of manifest $2 in cache $1 reads as its media type says:
# gzip magic and a sound gzip stream where it says gzip, and the bytes
# (decompressed) hash to the config's diff_id
layers_as_declared () {
	_man=$1/blobs/sha256/${2#sha256:} &&
	_cfg=$1/blobs/sha256/$(jq -r .config.digest "$_man" | cut -d: -f2) &&
	jq -r ".layers[] | .mediaType + \" \" + .digest" "$_man" >layers &&
	jq -r ".rootfs.diff_ids[]" "$_cfg" >diffs &&
	test "$(wc -l <layers)" = "$(wc -l <diffs)" &&
	i=0 &&
	while read -r mt d; do
		i=$((i + 1)) &&
		f=$1/blobs/sha256/${d#sha256:} &&
		case $mt in
		*gzip)
			test "$(od -An -tx1 -N2 "$f" | tr -d " ")" = 1f8b &&
			gzip -t <"$f" &&
			plain=sha256:$(gzip -dc <"$f" | sha256sum | cut -d" " -f1) ;;
		*.tar|*.diff.tar)
			plain=$(test_sha256 "$f") ;;
		*)
			echo "unexpected layer type $mt"; return 1 ;;
		esac &&
		test "$plain" = "$(sed -n "${i}p" diffs)" ||
		{ echo "layer $i ($d) is not what $mt and its diff_id say"; return 1; }
	done <layers
}

test_expect_success 'setup: images from the generator, copied by skopeo' '
	python3 "$HELPERS/ocitest.py" gen src app:1 --single --layers 2 \
	    --layer-size 20000 >/dev/null &&
	python3 "$HELPERS/ocitest.py" gen src multi:1 --attest \
	    --platforms linux/amd64,linux/arm64,linux/arm/v7 >/dev/null &&
	skopeo copy -q oci:src:app:1 oci-archive:app.tar:localhost/app:1 &&
	skopeo copy -q --all oci:src:multi:1 oci-archive:multi.tar:localhost/multi:1 &&
	skopeo copy -q oci:src:app:1 docker-archive:docker.tar:dk:1 &&
	skopeo copy -q oci:src:app:1 oci-archive:bare.tar:latest
'

test_expect_success 'bad option is a usage error (2)' '
	test_expect_code 2 oci-import --bogus 2>err &&
	grep "^usage: oci-import" err
'

test_expect_success '--ref with two files is a usage error (2)' '
	test_expect_code 2 oci-import -C c --ref x app.tar app.tar 2>err &&
	grep "usage:" err && test ! -e c
'

test_expect_success 'an invalid --ref is a usage error naming it (2)' '
	test_expect_code 2 oci-import -C c --ref "Not A/Ref" app.tar 2>err &&
	grep "Not A/Ref" err && test ! -e c
'

test_expect_success '--help prints the usage on stdout' '
	oci-import --help >out && grep "^usage: oci-import" out
'

test_expect_success 'a missing file is not found (3), named in one line' '
	test_expect_code 3 oci-import -C c nope.tar >out 2>err &&
	test_one_line_error err nope.tar && test ! -s out
'

test_expect_success 'skopeo oci-archive: one record with the canonical name' '
	oci-import -C cache app.tar >out &&
	test "$(wc -l <out)" = 1 &&
	jq -e ".ref == \"localhost/app:1\" and
	    .mediaType == \"application/vnd.oci.image.manifest.v1+json\" and
	    (.digest | test(\"^sha256:[0-9a-f]{64}$\")) and (.size > 0)" out &&
	jq -e ".manifests[0].annotations[\"org.opencontainers.image.ref.name\"]
	    == \"localhost/app:1\"" cache/index.json
'

test_expect_success 'skopeo reads the image back from the cache' '
	skopeo inspect oci:cache:localhost/app:1 >inspect &&
	test "$(jq -r .Digest inspect)" = "$(jq -r .digest out)" &&
	skopeo copy -q oci:cache:localhost/app:1 dir:copied &&
	test -s copied/manifest.json && cache_valid cache
'

test_expect_success 'the cache layout is standard (oci-layout, index.json)' '
	jq -e ".imageLayoutVersion == \"1.0.0\"" cache/oci-layout &&
	jq -e ".schemaVersion == 2" cache/index.json
'

test_expect_success 'importing again stores nothing new' '
	n=$(nblobs cache) &&
	oci-import -v -C cache app.tar >out2 2>err &&
	grep "0 blobs stored" err && test "$(nblobs cache)" = "$n" &&
	test_cmp out out2 &&
	test "$(jq ".manifests | length" cache/index.json)" = 1
'

test_expect_success '--ref renames the one image, canonically' '
	oci-import -C cache --ref foo/bar:2 app.tar >out &&
	jq -e ".ref == \"docker.io/foo/bar:2\"" out &&
	skopeo inspect oci:cache:docker.io/foo/bar:2 >/dev/null
'

test_expect_success '--ref without a tag gets :latest' '
	oci-import -C cache --ref localhost:5000/x app.tar >out &&
	jq -e ".ref == \"localhost:5000/x:latest\"" out
'

test_expect_success 'a bare tag in ref.name is no name: imported, not named' '
	oci-import -C bare bare.tar >out &&
	jq -e "has(\"ref\") | not" out &&
	test "$(jq ".manifests | length" bare/index.json)" = 0 &&
	test "$(nblobs bare)" -ge 4 && cache_valid bare
'

test_expect_success 'io.containerd.image.name wins and is canonicalised' '
	mkdir lay && tar -C lay -xf app.tar &&
	jq ".manifests[0].annotations[\"io.containerd.image.name\"] = \"myapp:7\"" \
	    lay/index.json >idx && mv idx lay/index.json &&
	(cd lay && tar -cf ../named.tar .) &&
	oci-import -C named named.tar >out &&
	jq -e ".ref == \"docker.io/library/myapp:7\" and
	    .annotations[\"io.containerd.image.name\"] == \"myapp:7\"" out &&
	skopeo inspect oci:named:docker.io/library/myapp:7 >/dev/null
'

test_expect_success 'gzip and zstd tars, from a file and from stdin' '
	gzip -c app.tar >app.tar.gz && zstd -q -c app.tar >app.tar.zst &&
	oci-import -C gz app.tar.gz >out.gz &&
	oci-import -C zst - <app.tar.zst >out.zst &&
	cat app.tar | oci-import -C plain >out.plain &&
	test_cmp out.gz out.zst && test_cmp out.gz out.plain &&
	skopeo inspect oci:zst:localhost/app:1 >/dev/null
'

test_expect_success 'a multi-platform index with attestations, whole' '
	oci-import -C cache multi.tar >out &&
	jq -e ".ref == \"localhost/multi:1\" and
	    .mediaType == \"application/vnd.oci.image.index.v1+json\"" out &&
	skopeo inspect --raw oci:cache:localhost/multi:1 >raw &&
	test "$(jq ".manifests | length" raw)" = 6 &&
	skopeo inspect --override-arch arm64 oci:cache:localhost/multi:1 |
	    jq -e ".Architecture == \"arm64\"" &&
	cache_valid cache
'

test_expect_success 'several files: one record each, in order' '
	oci-import -C several app.tar multi.tar >out &&
	jq -r .ref out >refs &&
	printf "localhost/app:1\nlocalhost/multi:1\n" >expect &&
	test_cmp expect refs
'

test_expect_success 'docker save tarball: a docker v2 schema2 manifest' '
	oci-import -C dk docker.tar >out &&
	jq -e ".ref == \"docker.io/library/dk:1\" and .mediaType ==
	    \"application/vnd.docker.distribution.manifest.v2+json\"" out &&
	m=$(jq -r .digest out | cut -d: -f2) &&
	jq -e ".schemaVersion == 2 and .config.mediaType ==
	    \"application/vnd.docker.container.image.v1+json\"" dk/blobs/sha256/$m &&
	mkdir dkx && tar -C dkx -xf docker.tar &&
	cfg=$(jq -r ".[0].Config" dkx/manifest.json) &&
	test "$(jq -r .config.digest dk/blobs/sha256/$m)" = "$(test_sha256 dkx/$cfg)" &&
	cache_valid dk
'

test_expect_success 'docker save: layers stored gzipped, as docker push does' '
	m=$(jq -r .digest out) &&
	jq -e "[.layers[].mediaType] | unique ==
	    [\"application/vnd.docker.image.rootfs.diff.tar.gzip\"]" \
	    dk/blobs/sha256/${m#sha256:} &&
	layers_as_declared dk $m &&
	cfg=$(jq -r ".[0].Config" dkx/manifest.json) &&
	for l in $(jq -r ".[0].Layers[]" dkx/manifest.json); do
		test_sha256 dkx/$l
	done >want &&
	jq -r ".rootfs.diff_ids[]" dkx/$cfg >diffs && test_cmp want diffs &&
	for l in $(jq -r ".[0].Layers[]" dkx/manifest.json); do
		test ! -e dk/blobs/sha256/$(sha256sum <dkx/$l | cut -d" " -f1) ||
		{ echo "plain layer $l stored"; exit 1; }
	done
'

test_expect_success 'docker save: skopeo reads the image back, every layer' '
	skopeo_reads dk docker.io/library/dk:1 &&
	python3 "$HELPERS/cachecheck.py" dk --complete
'

test_expect_success 'docker save: the gzip is deterministic, so a re-import stores nothing' '
	n=$(nblobs dk) &&
	oci-import -v -C dk docker.tar >out2 2>err &&
	test_cmp out out2 && grep ": 0 blobs stored" err &&
	test "$(nblobs dk)" = "$n"
'

test_expect_success 'docker save: incompressible and compressible layers alike' '
	mkdir mixed && head -c 3000000 /dev/urandom >mixed/random &&
	seq 1 400000 >mixed/text &&
	tar -C mixed -cf mixed-layer.tar random text &&
	python3 - <<-\EOF &&
	import hashlib, io, json, tarfile
	layer = open("mixed-layer.tar", "rb").read()
	d = "sha256:" + hashlib.sha256(layer).hexdigest()
	cfg = json.dumps({"architecture": "amd64", "os": "linux",
	    "rootfs": {"type": "layers", "diff_ids": [d, d]}}).encode()
	man = json.dumps([{"Config": "c.json", "RepoTags": ["mixed:1"],
	    "Layers": ["l/layer.tar", "l/layer.tar"]}]).encode()
	with tarfile.open("mixed.tar", "w") as t:
	    for n, b in (("l/layer.tar", layer), ("c.json", cfg),
	                 ("manifest.json", man)):
	        ti = tarfile.TarInfo(n); ti.size = len(b)
	        t.addfile(ti, io.BytesIO(b))
	EOF
	oci-import -C mixedc mixed.tar >out &&
	layers_as_declared mixedc $(jq -r .digest out) &&
	gz=$(jq -r ".layers[0].size" mixedc/blobs/sha256/$(jq -r .digest out | cut -d: -f2)) &&
	test "$gz" -lt $(wc -c <mixed-layer.tar) &&
	test "$gz" -gt 3000000 &&
	skopeo_reads mixedc docker.io/library/mixed:1
'

test_expect_success 'docker save: a gzipped layer whose content is not its diff_id' '
	gzip -n -c <mixed-layer.tar >gz-layer &&
	python3 - <<-\EOF &&
	import hashlib, io, json, tarfile
	gz = open("gz-layer", "rb").read()
	d = "sha256:" + hashlib.sha256(gz).hexdigest()
	cfg = json.dumps({"rootfs": {"type": "layers", "diff_ids": [d]}}).encode()
	man = json.dumps([{"Config": "c.json", "RepoTags": ["gzl:1"],
	    "Layers": ["l.tar.gz"]}]).encode()
	with tarfile.open("gz-bad.tar", "w") as t:
	    for n, b in (("l.tar.gz", gz), ("c.json", cfg), ("manifest.json", man)):
	        ti = tarfile.TarInfo(n); ti.size = len(b)
	        t.addfile(ti, io.BytesIO(b))
	EOF
	test_expect_code 1 oci-import -C gzbad gz-bad.tar 2>err &&
	test_one_line_error err "does not match diff_id" &&
	test -z "$(find gzbad/blobs -type f 2>/dev/null)"
'

test_expect_success 'docker save with --ref' '
	oci-import -C dk --ref localhost/dk:2 docker.tar >out &&
	jq -e ".ref == \"localhost/dk:2\"" out
'

# sharetar.py KIND IN OUT: IN rewritten so that entries share content
cat >sharetar.py <<\EOF
import hashlib, io, json, sys, tarfile
kind, src, out = sys.argv[1:4]
ents = []
with tarfile.open(src) as t:
    for m in t.getmembers():
        if m.isfile():
            ents.append((m.name, t.extractfile(m).read()))
        elif m.issym() or m.islnk():
            ents.append((m.name, m))
files = dict(e for e in ents if isinstance(e[1], bytes))
def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()
if kind.startswith("docker"):
    man = json.loads(files["manifest.json"])
    first = man[0]["Layers"][0]
    layer = files[first]
if kind == "docker-copy-first":
    # the exact case: an unreferenced copy of the layer before it
    ents.insert(0, ("junk/copy.tar", layer))
elif kind == "docker-same-layers":
    # two layers of the image are the same bytes under two names
    cfgname = man[0]["Config"]
    cfg = json.loads(files[cfgname])
    cfg["rootfs"]["diff_ids"] = [sha(layer), sha(layer)]
    cb = json.dumps(cfg).encode()
    man[0]["Config"] = sha(cb)[7:] + ".json"
    man[0]["Layers"] = ["one/layer.tar", "two/layer.tar"]
    ents = [e for e in ents if e[0] not in ("manifest.json", cfgname)]
    ents += [("one/layer.tar", layer), ("two/layer.tar", layer),
             (man[0]["Config"], cb), ("manifest.json", json.dumps(man).encode())]
elif kind == "docker-path-twice":
    # a layer name met twice: the later entry is the layer, as in tar
    ents.insert(0, (first, b"an earlier version of the layer"))
elif kind == "oci-two-entries":
    # the largest blob under another name first, and its own entry twice
    big = max((e for e in ents if e[0].startswith("blobs/")),
              key=lambda e: len(e[1]))
    ents.insert(0, ("extra/copy", big[1]))
    ents.append(big)
with tarfile.open(out, "w") as t:
    for name, data in ents:
        if isinstance(data, bytes):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        else:
            t.addfile(data)
EOF

for kind in docker-copy-first docker-same-layers docker-path-twice
do
	test_expect_success "entries sharing content ($kind): every blob stored once" "
		python3 sharetar.py $kind docker.tar $kind.tar &&
		oci-import -v -C $kind $kind.tar >out 2>err &&
		jq -e '.ref == \"docker.io/library/dk:1\"' out &&
		reads_back $kind docker.io/library/dk:1 &&
		m=\$(jq -r .digest out | cut -d: -f2) &&
		n=\$(jq '[.config, .layers[]] | map(.digest) | unique | length + 1' \
		    $kind/blobs/sha256/\$m) &&
		test \"\$(nblobs $kind)\" = \"\$n\" &&
		grep \": \$n blobs stored\" err
	"
done

test_expect_success 'entries sharing content (oci-two-entries): stored once' '
	python3 sharetar.py oci-two-entries app.tar shared.tar &&
	oci-import -v -C shared shared.tar >out 2>err &&
	reads_back shared localhost/app:1 &&
	oci-import -C plain-app app.tar >/dev/null &&
	test "$(nblobs shared)" = "$(nblobs plain-app)" &&
	grep ": $(nblobs plain-app) blobs stored" err
'

test_expect_success 'buildah: a real build, pushed as oci-archive, imported' '
	mkdir ctx && echo hello >ctx/hello &&
	printf "FROM scratch\nCOPY hello /hello\n" >ctx/Containerfile &&
	bah build -q --isolation chroot -t localhost/built:1 ctx >/dev/null &&
	bah push -q localhost/built:1 oci-archive:built.tar:localhost/built:1 &&
	oci-import -C cache built.tar >out &&
	jq -e ".ref == \"localhost/built:1\"" out &&
	skopeo copy -q oci:cache:localhost/built:1 oci:roundtrip:x &&
	skopeo inspect oci:roundtrip:x | jq -e ".Layers | length == 1"
'

test_expect_success 'buildah: docker-archive output imports too' '
	bah push -q localhost/built:1 docker-archive:built-d.tar:localhost/built:d &&
	oci-import -C cache built-d.tar >out &&
	jq -s -e "map(.ref) | sort == [\"localhost/built:1\", \"localhost/built:d\"]" out &&
	jq -s -e "map(.digest) | unique | length == 1" out &&
	cache_valid cache
'

test_expect_success 'LINUXKIT_CACHE and ~/.linuxkit/cache are the defaults' '
	LINUXKIT_CACHE=$PWD/envcache oci-import app.tar >/dev/null &&
	test -s envcache/index.json &&
	oci-import app.tar >/dev/null &&
	test -s "$HOME/.linuxkit/cache/index.json" &&
	LINUXKIT_CACHE=$PWD/envcache oci-import -C optcache app.tar >/dev/null &&
	test -s optcache/index.json
'

test_done
