#!/bin/sh
test_description='the build: install, ocikit.pc, uninstall, help'
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$T/.." && pwd)
mk () {
	make -C "$SRC" --no-print-directory B="$B" "$@"
}

test_expect_success 'make install puts tools, pages, pkg.mk and ocikit.pc' '
	mk install PREFIX=/usr DESTDIR="$TRASH/stage" >out 2>&1 &&
	for t in "$B"/bin/*; do
		test -x "stage/usr/bin/$(basename "$t")" || exit 1
		test -f "stage/usr/share/man/man1/$(basename "$t").1" || exit 1
	done &&
	test -f stage/usr/share/man/man7/ocikit.7 &&
	test -f stage/usr/share/ocikit/pkg.mk &&
	test -f stage/usr/lib/pkgconfig/ocikit.pc
'

test_expect_success 'pkg-config names the installed pkg.mk' '
	PKG_CONFIG_PATH="$TRASH/stage/usr/lib/pkgconfig" \
	    pkg-config --variable=pkgmk ocikit >got &&
	echo /usr/share/ocikit/pkg.mk >want &&
	test_cmp want got &&
	PKG_CONFIG_PATH="$TRASH/stage/usr/lib/pkgconfig" \
	    pkg-config --modversion ocikit
'

test_expect_success 'the installed tools run' '
	stage/usr/bin/oci-import --help | grep "^usage: oci-import"
'

test_expect_success 'make uninstall removes what install installed' '
	mk uninstall PREFIX=/usr DESTDIR="$TRASH/stage" >out 2>&1 &&
	test -z "$(find stage -type f)"
'

test_expect_success 'make help lists the targets the README names' '
	mk help >help &&
	for t in all deps demo check bench install; do
		grep "^  $t " help || exit 1
	done
'

test_expect_success 'every tool has a man page and a test' '
	for t in "$SRC"/tools/*.c; do
		n=$(basename "$t" .c)
		test -f "$SRC/man/$n.1" || { echo "no man/$n.1"; exit 1; }
		grep -l -- "$n" "$SRC"/tests/t[0-9]*.sh >/dev/null ||
		    { echo "no test mentions $n"; exit 1; }
	done
'

test_expect_success 'a sanitizer report fails the test that caused it' '
	printf "#include <stdlib.h>\nint main(void){ char *p = malloc(9); p[0] = 1; return p[0] - 1; }\n" >leak.c &&
	cc -fsanitize=address -o leak leak.c 2>/dev/null || { echo "no ASan here"; exit 0; } &&
	test_expect_code 1 ./leak &&
	! sanitizer_clean >report && grep -i "leak" report
'

test_done
