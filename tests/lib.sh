# tests/lib.sh - the TAP harness every shell test sources (after git's
# test-lib.sh, cut down). Each script runs in its own trash directory with
# build/bin first in PATH, and only ever talks to 127.0.0.1.
#
#   test_description='...'
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'title' 'commands'
#   test_done

T=$(cd "$(dirname "$0")" && pwd)
B=${B:-$T/../build}
B=$(cd "$B" && pwd) || { echo "Bail out! no build directory $B"; exit 1; }
PATH="$B/bin:$PATH"
export PATH
FIXTURES=$T/fixtures
HELPERS=$T/helpers
TRASH=$B/trash/$(basename "$0" .sh)
rm -rf "$TRASH" && mkdir -p "$TRASH" && cd "$TRASH" || {
	echo "Bail out! cannot make $TRASH"
	exit 1
}
# Nothing a test runs may reach for the user's own cache or config.
HOME=$TRASH/home
LINUXKIT_CACHE=
DOCKER_CONFIG=$HOME/.docker
XDG_CONFIG_HOME=$HOME/.config
XDG_RUNTIME_DIR=$HOME/run
unset LINUXKIT_CACHE LINUXKIT_PKG_ORG REGISTRY_AUTH_FILE DOCKER_AUTH_CONFIG
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
# and only the CAs a test installs (certs.d) are trusted
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
export HOME DOCKER_CONFIG XDG_CONFIG_HOME XDG_RUNTIME_DIR
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
LC_ALL=C
export LC_ALL

test_count=0
test_failed=0
test_skipped=0
_cleanups=

# Run commands when the script exits (servers, background jobs).
test_atexit () {
	_cleanups="$1
$_cleanups"
}
_run_cleanups () {
	eval "$_cleanups"
}
trap '_run_cleanups' EXIT
trap 'exit 130' INT TERM

# Under SANITIZE=1, AddressSanitizer, LeakSanitizer and UBSan write their
# reports to files here instead of stderr, and the test that caused one
# fails, even a test that expected the tool to exit non-zero.
SANLOG=$B/trash/sanitizer.$(basename "$0" .sh)
rm -f "$SANLOG".*
ASAN_OPTIONS="log_path=$SANLOG${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="log_path=$SANLOG:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS

# 0 when no sanitizer report appeared; else print and clear them
sanitizer_clean () {
	set -- "$SANLOG".*
	test -e "$1" || return 0
	for f; do sed 's/^/#   /' "$f"; done
	rm -f "$@"
	return 1
}

test_expect_success () {
	test_count=$((test_count + 1))
	if (set -e; eval "$2") >"log.$test_count" 2>&1 </dev/null &&
	    sanitizer_clean >"san.$test_count"; then
		echo "ok $test_count - $1"
	else
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "log.$test_count"
		sanitizer_clean
		cat "san.$test_count" 2>/dev/null
		test_failed=$((test_failed + 1))
	fi
}

# test_skip 'title' 'reason'
test_skip () {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# test_expect_code CODE cmd args...: the command exits with exactly CODE
test_expect_code () {
	_want=$1
	shift
	_got=0
	"$@" || _got=$?
	if test "$_got" != "$_want"; then
		echo "exit $_got, wanted $_want: $*" >&2
		return 1
	fi
}

test_cmp () {
	diff -u "$1" "$2"
}

# compare two JSON documents (or JSON-lines files) after sorting keys
test_json_cmp () {
	jq -S -c . "$1" >"$1.norm" && jq -S -c . "$2" >"$2.norm" &&
	diff -u "$1.norm" "$2.norm"
}

# the output is exactly one line of stderr that names $2
test_one_line_error () {
	test "$(wc -l <"$1")" -eq 1 || { cat "$1" >&2; return 1; }
	grep -F -- "$2" "$1" >/dev/null || { cat "$1" >&2; return 1; }
}

# a free TCP port on 127.0.0.1
test_free_port () {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# sha256 of a file in OCI form
test_sha256 () {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

test_have () {
	command -v "$1" >/dev/null 2>&1
}

test_done () {
	echo "1..$test_count"
	if test "$test_failed" -eq 0; then
		rm -rf "$TRASH"
		exit 0
	fi
	echo "# failed $test_failed of $test_count (trash kept in $TRASH)"
	exit 1
}
