#!/bin/sh
# mk/check-layers.sh - fail on an upward #include in lib/ (mk/layers) and on
# a lib/ module that mk/layers does not place.
set -u
cd "$(dirname "$0")/.."

layer_of() {
	awk -v m="$1" '!/^#/ { for (i = 2; i <= NF; i++) if ($i == m) print $1 }' mk/layers
}

bad=0
for f in lib/*.c lib/*.h; do
	m=$(basename "$f"); m=${m%.?}
	l=$(layer_of "$m")
	if [ -z "$l" ]; then
		echo "check-layers: $f: module '$m' has no layer in mk/layers" >&2
		bad=1
		continue
	fi
	for h in $(sed -n 's/^#include "\([a-z0-9_]*\)\.h".*/\1/p' "$f"); do
		hl=$(layer_of "$h")
		if [ -z "$hl" ]; then
			echo "check-layers: $f: includes '$h.h', which is no lib/ module" >&2
			bad=1
		elif [ "$hl" -gt "$l" ]; then
			echo "check-layers: $f: layer $l module includes '$h.h' of layer $hl" >&2
			bad=1
		fi
	done
done
[ "$bad" = 0 ] && echo 'library layers: ok'
exit "$bad"
