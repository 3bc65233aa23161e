#!/bin/sh
# tests/demo.sh - `make demo`: the main job. The sample project in
# examples/ (its own Makefile includes mk/pkg.mk) is built for linux/amd64
# and linux/arm64 with buildah into a temporary cache, pushed to a
# docker-registry started on 127.0.0.1, its index shown, and built once
# more to show that nothing is rebuilt.
set -eu
B=$(cd "${1:-build}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PATH="$B/bin:$PATH"
if [ "$(id -u)" != 0 ]; then
	echo "demo: buildah runs here as root (vfs storage, chroot isolation)" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocikit-demo.XXXXXX")
reg_pid=
trap '[ -z "$reg_pid" ] || kill "$reg_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cache=$tmp/cache

# buildah with its storage in the temporary directory; every call counted
mkdir -p "$tmp/bin"
cat >"$tmp/bin/buildah" <<EOF
#!/bin/sh
echo "\$1" >>"$tmp/buildah.calls"
exec env -u DOCKER_CONFIG "$(command -v buildah)" --root "$tmp/storage" \\
    --runroot "$tmp/run" --storage-driver vfs "\$@"
EOF
chmod +x "$tmp/bin/buildah"
PATH=$tmp/bin:$PATH
: >"$tmp/buildah.calls"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
printf '%s\n' 'version: 0.1' 'log: {level: error}' 'storage:' \
    "  filesystem: {rootdirectory: $tmp/registry}" 'http:' \
    "  addr: $reg" >"$tmp/registry.yml"
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
reg_pid=$!
i=0
until curl -fs "http://$reg/v2/" >/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$tmp/registry.log"; exit 1; }
	sleep 0.1
done
echo "== a docker-registry on $reg"

echo "== examples/ as a project of its own, its org pointed at that registry"
cp -r "$ROOT/examples" "$tmp/proj"
sed -i "s|^org: localhost:5000/|org: $reg/|" "$tmp/proj"/pkg/*/build.yml
git -C "$tmp/proj" init -q
git -C "$tmp/proj" add -A
git -C "$tmp/proj" -c user.name=demo -c user.email=demo@example.com \
    commit -q -m 'the example packages'
mk() { make -C "$tmp/proj" --no-print-directory OCIKIT="$ROOT" \
    PKG_BIN="$B/bin" PKG_CACHE="$cache" PKG_BUILDER=buildah "$@"; }
mk -s pkg-show-tag | sed 's/^/    /'

echo "== make -j4 pkg-push: build amd64 and arm64, index, push"
start=$(date +%s)
mk -j4 pkg-push >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
grep -E '^(Building for|Pushing local|Build and)' "$tmp/log" |
    sed 's/^/    /'
echo "   $(grep -cx build "$tmp/buildah.calls") buildah builds in" \
    "$(( $(date +%s) - start )) s"

ref=$(mk -s pkg/hello-plus.show-tag)
echo "== oci-fetch --manifest $ref | jq"
oci-fetch --manifest "$ref" | jq '{mediaType, manifests: [.manifests[] |
    {platform: "\(.platform.os)/\(.platform.architecture)",
     digest: .digest[0:19]}]}'

echo "== oci-ls -l: the cache holds"
oci-ls -l -C "$cache" | sed "s/^/    /"

echo "== make pkg-build again"
: >"$tmp/buildah.calls"
mk pkg-build >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
sed "s/^/    /" "$tmp/log"
echo "   $(grep -cx build "$tmp/buildah.calls") buildah builds: nothing rebuilt"
