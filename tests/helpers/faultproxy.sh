# tests/helpers/faultproxy.sh - tests/helpers/faultproxy.py in front of the
# test registry (sourced, after tests/lib.sh and tests/helpers/registry.sh).
#
#   proxy_start [--auth bearer] [--user U:P] [--quirk Q]...
#       a new faultproxy.py forwarding to $REG_URL (call registry_start
#       first). Sets
#         PROXY      127.0.0.1:PORT (what references use)
#         PROXY_LOG  its log, one JSON line per request (method, path with
#                    query, status, auth, bytes, quirk; scopes and granted
#                    for token requests)
#       Earlier proxies keep running (save their PROXY and PROXY_LOG to
#       use them again); all are stopped when the script exits.
#   proxy_requests [JQ-FILTER]  the number of requests in $PROXY_LOG (matching)
#   proxy_log_reset             forget the requests logged so far
#
# Like the registries, call proxy_start at the top level of a script (not
# inside test_expect_success): the proxy watches its parent process.

_proxy_n=0

proxy_start () {
	_proxy_n=$((_proxy_n + 1))
	PROXY_LOG=$TRASH/proxy.$_proxy_n.log
	: >"$PROXY_LOG"
	rm -f "$TRASH/proxy.$_proxy_n.port"
	python3 "$HELPERS/faultproxy.py" --upstream "$REG_URL" \
	    --port-file "$TRASH/proxy.$_proxy_n.port" --log "$PROXY_LOG" "$@" &
	_proxy_pid=$!
	test_atexit "kill $_proxy_pid 2>/dev/null"
	_wait_for_file "$TRASH/proxy.$_proxy_n.port" || {
		echo "proxy_start: faultproxy.py did not start" >&2
		return 1
	}
	read -r _p <"$TRASH/proxy.$_proxy_n.port"
	PROXY=127.0.0.1:$_p
	export PROXY PROXY_LOG
}

proxy_requests () {
	jq -c "select(${1:-true})" "$PROXY_LOG" | wc -l | tr -d ' '
}

proxy_log_reset () {
	: >"$PROXY_LOG"
}
