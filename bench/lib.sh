# bench/lib.sh - shared by the benchmarks: measure commands side by side.
# Not a test: it prints figures and ratios, and asserts nothing.
T=$(cd "$(dirname "$0")/../tests" && pwd)
B=${B:-$T/../build}
B=$(cd "$B" && pwd)
PATH="$B/bin:$PATH"
HELPERS=$T/helpers
WORK=$B/bench/$(basename "$0" .sh)
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
trap 'cd / && rm -rf "$WORK"' EXIT
RUNS=${RUNS:-7}

# measure NAME SETUP CMD: run SETUP then CMD $RUNS times (SETUP untimed),
# keep the run with the median wall time (the machine is noisy); sets
# NAME_wall and NAME_cpu (s) of that run, NAME_rss (KiB) the largest seen
measure () {
	_name=$1 _setup=$2 _cmd=$3
	: >runs
	_i=0
	while [ $_i -lt "$RUNS" ]; do
		_i=$((_i + 1))
		sh -c "$_setup" >/dev/null 2>&1
		/usr/bin/time -f '%e %U %S %M' -o time.out sh -c "$_cmd" \
		    >/dev/null 2>cmd.err ||
		    { cat cmd.err >&2; echo "bench: '$_cmd' failed" >&2; exit 1; }
		cat time.out >>runs
	done
	read -r _w _u _s _m <<-EOF
	$(sort -n runs | sed -n "$(( (RUNS + 1) / 2 ))p")
	EOF
	eval "${_name}_wall=$_w ${_name}_cpu=$(awk "BEGIN{print $_u + $_s}")"
	eval "${_name}_rss=$(sort -n -k4 runs | tail -1 | cut -d' ' -f4)"
}

row () {
	eval "printf '  %-34s %8.3f s %8.3f s %9d KiB\n' \"\$2\" \"\$${1}_wall\" \"\$${1}_cpu\" \"\$${1}_rss\""
}

header () {
	printf '%s\n' "$1"
	printf '  %-34s %10s %10s %13s\n' command wall cpu 'peak RSS'
}

# ratio A B: A's wall time over B's
ratio () {
	eval "_a=\$${1}_wall _b=\$${2}_wall"
	awk -v a="$_a" -v b="$_b" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.001) }'
}
