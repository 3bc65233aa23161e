# bench/lib.sh - shared by the benchmarks: measure commands side by side.
# Not a test: it prints figures and ratios, and asserts nothing.
#
# Every job is timed beside its floor: the cheapest command that does the
# work no tool can avoid (one hash pass over the input for an import, one
# raw upload of the largest blob for a push). The ratio tool/floor says how
# far from the physical limit of this machine a tool is; tool/peer compares
# it with skopeo or LinuxKit where they are installed. The machine is
# shared and noisy: the figures are medians of $RUNS runs (at least 7),
# and the commands of one comparison are run in turns (round robin), so a
# burst of load hits all of them alike. Wall times come from the clock in
# nanoseconds (GNU time rounds to 10 ms), less the cost of timing an empty
# command; CPU and peak RSS from GNU time.
T=$(cd "$(dirname "$0")/../tests" && pwd)
B=${B:-$T/../build}
B=$(cd "$B" && pwd)
PATH="$B/bin:$PATH"
HELPERS=$T/helpers
WORK=$B/bench/$(basename "$0" .sh)
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
trap 'cd / && rm -rf "$WORK"' EXIT
RUNS=${RUNS:-7}
[ "$RUNS" -ge 7 ] 2>/dev/null || RUNS=7

# one timed run of CMD, appending "wall user sys maxrss" to the file $1
_run1 () {
	_out=$1 _cmd=$2
	_t0=$(date +%s%N)
	/usr/bin/time -f '%U %S %M' -o time.out sh -c "$_cmd" \
	    >/dev/null 2>cmd.err ||
	    { cat cmd.err >&2; echo "bench: '$_cmd' failed" >&2; exit 1; }
	_t1=$(date +%s%N)
	echo "$(awk -v a="$_t0" -v b="$_t1" -v o="${_overhead:-0}" \
	    'BEGIN { w = (b - a) / 1e9 - o; printf "%.4f", (w > 0 ? w : 0) }') $(cat time.out)" >>"$_out"
}

# the cost of timing a command that does nothing (GNU time, sh, date: a
# few ms), taken off every wall time so that short commands compare fairly
: >runs.overhead
_i=0
while [ $_i -lt 7 ]; do
	_i=$((_i + 1))
	_run1 runs.overhead :
done
_overhead=$(sort -n runs.overhead | sed -n 4p | cut -d' ' -f1)

# _summarise NAME FILE: NAME_wall and NAME_cpu (s) of the run with the
# median wall time, NAME_rss (KiB) the largest seen in any run
_summarise () {
	read -r _w _u _s _m <<-EOF
	$(sort -n "$2" | sed -n "$(( ($(wc -l <"$2") + 1) / 2 ))p")
	EOF
	eval "${1}_wall=$_w ${1}_cpu=$(awk "BEGIN{print $_u + $_s}")"
	eval "${1}_rss=$(sort -n -k4 "$2" | tail -1 | cut -d' ' -f4)"
}

# measure NAME SETUP CMD: run SETUP then CMD $RUNS times (SETUP untimed)
measure () {
	: >"runs.$1"
	_i=0
	while [ $_i -lt "$RUNS" ]; do
		_i=$((_i + 1))
		sh -c "$2" >/dev/null 2>&1
		_run1 "runs.$1" "$3"
	done
	_summarise "$1" "runs.$1"
}

# measure_turns NAME SETUP CMD [NAME SETUP CMD ...]: like measure for each
# triple, but in $RUNS rounds that each run every command once, in turn
measure_turns () {
	_i=0
	while [ $_i -lt "$RUNS" ]; do
		_i=$((_i + 1))
		set -- "$@" --
		while [ "$1" != -- ]; do
			[ $_i -gt 1 ] || : >"runs.$1"
			sh -c "$2" >/dev/null 2>&1
			_run1 "runs.$1" "$3"
			set -- "$@" "$1" "$2" "$3"
			shift 3
		done
		shift
	done
	while [ $# -ge 3 ]; do
		_summarise "$1" "runs.$1"
		shift 3
	done
}

row () {
	eval "printf '  %-38s %8.3f s %8.3f s %9d KiB\n' \"\$2\" \"\$${1}_wall\" \"\$${1}_cpu\" \"\$${1}_rss\""
}

header () {
	printf '%s\n' "$1"
	printf '  %-38s %10s %10s %13s\n' command wall cpu 'peak RSS'
}

# ratio A B: A's wall time over B's
ratio () {
	eval "_a=\$${1}_wall _b=\$${2}_wall"
	awk -v a="$_a" -v b="$_b" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.001) }'
}

# verdict A B LIMIT: "A/B = R x (target <= LIMIT)" with "ok" or "MISSED"
verdict () {
	_r=$(ratio "$1" "$2")
	printf '%sx  (target <= %s: %s)' "$_r" "$3" \
	    "$(awk -v r="$_r" -v l="$3" 'BEGIN { print (r <= l) ? "ok" : "MISSED" }')"
}

# rss_verdict NAME: peak RSS in MiB against the 16 MiB budget
rss_verdict () {
	eval "_k=\$${1}_rss"
	printf '%s MiB  (target < 16: %s)' "$((_k / 1024))" \
	    "$([ "$_k" -lt 16384 ] && echo ok || echo MISSED)"
}
