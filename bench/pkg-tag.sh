#!/bin/sh
# bench/pkg-tag.sh - pkg-tag over 60 packages of one repository, against
# the git commands LinuxKit runs per package (ls-tree, diff --quiet,
# ls-files --others). Target: all 60 tags in under 100 ms.
set -eu
B=${B:-$(cd "$(dirname "$0")/.." && pwd)/build}
PATH=$B/bin:$PATH
W=$B/trash/bench-pkg-tag
N=${N:-60}
RUNS=${RUNS:-5}
rm -rf "$W" && mkdir -p "$W" && cd "$W"
GIT_CEILING_DIRECTORIES=$W
export GIT_CEILING_DIRECTORIES

git init -q repo
git -C repo config user.email bench@example.com
git -C repo config user.name bench
i=1
while [ $i -le $N ]; do
	d=repo/pkg/p$i
	mkdir -p $d/src
	printf 'image: p%d\nextra-sources:\n  - ../../common:/common\n' $i >$d/build.yml
	printf 'FROM scratch\nCOPY . /\n' >$d/Dockerfile
	j=1
	while [ $j -le 20 ]; do
		printf 'package %d file %d\n' $i $j >$d/src/f$j.c
		j=$((j + 1))
	done
	i=$((i + 1))
done
mkdir -p repo/common && echo shared >repo/common/README
printf '*.o\n' >repo/.gitignore
git -C repo add -A && git -C repo commit -q -m bench
# a few dirty packages, so the content hash is exercised too
echo change >>repo/pkg/p1/Dockerfile
echo new >repo/pkg/p2/untracked
echo obj >repo/pkg/p3/src/x.o

now_ms () { echo $(($(date +%s%N) / 1000000)); }

pkgs=
i=1
while [ $i -le $N ]; do pkgs="$pkgs pkg/p$i"; i=$((i + 1)); done

best_tool=999999
best_git=999999
r=0
cd repo
while [ $r -lt $RUNS ]; do
	t0=$(now_ms)
	pkg-tag $pkgs >../tags
	t1=$(now_ms)
	for p in $pkgs; do
		git ls-tree HEAD -- "$p" >/dev/null
		git ls-tree HEAD -- common >/dev/null
		git diff --quiet HEAD -- "$p" || :
		git ls-files --others --exclude-standard -- "$p" >/dev/null
	done
	t2=$(now_ms)
	[ $((t1 - t0)) -lt $best_tool ] && best_tool=$((t1 - t0))
	[ $((t2 - t1)) -lt $best_git ] && best_git=$((t2 - t1))
	r=$((r + 1))
done
cd ..
test "$(wc -l <tags)" -eq $N
grep -q 'p1:[0-9a-f]\{40\}-dirty-' tags
grep -q 'p2:[0-9a-f]\{40\}-dirty-' tags
grep -q 'p3:[0-9a-f]\{40\}$' tags

printf 'pkg-tag, %d packages in one repository (best of %d runs):\n' $N $RUNS
printf '  pkg-tag (one process, libgit2)        %5d ms\n' $best_tool
printf '  git ls-tree/diff/ls-files per package %5d ms\n' $best_git
if [ $best_tool -lt 100 ]; then
	echo '  target (< 100 ms): met'
else
	echo '  target (< 100 ms): MISSED'
fi
rm -rf "$W"
