#!/bin/sh
# bench/pkg-tag.sh - pkg-tag over 60 packages of one repository, and over
# one, against the floor: bench/pkg-tag-floor.c, which does only libgit2's
# init, open and status (of the whole work tree, or of one package), with
# and without the system CA parse Debian's libgit2 does in its init; and
# against the git commands LinuxKit runs per package (ls-tree, diff
# --quiet, ls-files --others). Medians of RUNS runs, wall and CPU.
set -eu
B=${B:-$(cd "$(dirname "$0")/.." && pwd)/build}
PATH=$B/bin:$PATH
W=$B/trash/bench-pkg-tag
N=${N:-60}
RUNS=${RUNS:-31}
SRC=$(cd "$(dirname "$0")" && pwd)
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

pkgs=
i=1
while [ $i -le $N ]; do pkgs="$pkgs pkg/p$i"; i=$((i + 1)); done

# the floor, built against the same libgit2
for v in floor floor-noca; do
	cc -O2 $([ $v = floor-noca ] && echo -DNO_CA) -o $v \
	    "$SRC/pkg-tag-floor.c" $(pkg-config --cflags --libs libgit2)
done

# time LABEL CMD...: median wall and CPU (user + sys) of RUNS runs, in ms
time_runs () {
	python3 - "$RUNS" "$@" <<-'PY'
	import os, statistics, sys, time
	runs, label, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
	null = os.open(os.devnull, os.O_WRONLY)
	wall, cpu = [], []
	for _ in range(runs):
	    t0 = time.perf_counter()
	    pid = os.fork()
	    if pid == 0:
	        os.dup2(null, 1)
	        os.execvp(cmd[0], cmd)
	    _, st, ru = os.wait4(pid, 0)
	    if st:
	        sys.exit("bench: %s failed" % " ".join(cmd))
	    wall.append((time.perf_counter() - t0) * 1000)
	    cpu.append((ru.ru_utime + ru.ru_stime) * 1000)
	print("%s %.2f %.2f" % (label, statistics.median(wall),
	    statistics.median(cpu)))
	PY
}

cd repo
pkg-tag $pkgs >../tags
{
	time_runs tag60 pkg-tag $pkgs
	time_runs floor60 ../floor
	time_runs nocafloor60 ../floor-noca
	time_runs tag1 pkg-tag pkg/p5
	time_runs floor1 ../floor pkg/p5
	time_runs nocafloor1 ../floor-noca pkg/p5
	time_runs gitstatus git status --porcelain
} >../times
t0=$(date +%s%N)
for p in $pkgs; do
	git ls-tree HEAD -- "$p" >/dev/null
	git ls-tree HEAD -- common >/dev/null
	git diff --quiet HEAD -- "$p" || :
	git ls-files --others --exclude-standard -- "$p" >/dev/null
done
t1=$(date +%s%N)
cd ..
test "$(wc -l <tags)" -eq $N
grep -q 'p1:[0-9a-f]\{40\}-dirty-' tags
grep -q 'p2:[0-9a-f]\{40\}-dirty-' tags
grep -q 'p3:[0-9a-f]\{40\}$' tags

get () { awk -v k="$1" -v f="$2" '$1 == k { print $f }' times; }
row () {
	printf '  %-44s %8.2f ms %8.2f ms\n' "$1" "$(get "$2" 2)" "$(get "$2" 3)"
}
ratio () {
	awk -v a="$(get "$1" "$3")" -v b="$(get "$2" "$3")" \
	    'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.001) }'
}
printf 'pkg-tag, %d packages in one repository (medians of %d runs):\n' \
    $N $RUNS
printf '  %-44s %11s %11s\n' command wall cpu
row "pkg-tag, $N packages" tag60
row "floor: init + open + status of the tree" floor60
row "floor without the CA parse" nocafloor60
row "pkg-tag, one package" tag1
row "floor: init + open + status of one package" floor1
row "floor without the CA parse" nocafloor1
row "git status --porcelain" gitstatus
printf '  %-44s %8d ms\n' "git ls-tree/diff/ls-files per package" \
    $(( (t1 - t0) / 1000000 ))
printf '  %d packages / floor: %s wall, %s cpu (without the CA parse: %s, %s)\n' \
    $N "$(ratio tag60 floor60 2)" "$(ratio tag60 floor60 3)" \
    "$(ratio tag60 nocafloor60 2)" "$(ratio tag60 nocafloor60 3)"
printf '  one package / floor: %s wall, %s cpu (without the CA parse: %s, %s)\n' \
    "$(ratio tag1 floor1 2)" "$(ratio tag1 floor1 3)" \
    "$(ratio tag1 nocafloor1 2)" "$(ratio tag1 nocafloor1 3)"
rm -rf "$W"
