#!/bin/sh
# mk/check-tools.sh BINDIR - every tool has a man page, a shell test that
# runs it, and a --help that prints its usage on stdout and exits 0.
set -u
cd "$(dirname "$0")/.."
bin=$1
bad=0
for src in tools/*.c; do
	t=$(basename "$src" .c)
	[ -f "man/$t.1" ] || { echo "check-tools: $t: no man/$t.1" >&2; bad=1; }
	grep -lw -- "$t" tests/t[0-9]*.sh >/dev/null 2>&1 ||
		{ echo "check-tools: $t: no tests/tNNNN-*.sh runs it" >&2; bad=1; }
	out=$("$bin/$t" --help 2>/dev/null); st=$?
	case $st:$out in
	0:"usage: $t"*) ;;
	*) echo "check-tools: $t: --help does not print 'usage: $t' and exit 0" >&2; bad=1 ;;
	esac
done
[ "$bad" = 0 ] && echo 'tools: man page, test and --help: ok'
exit "$bad"
