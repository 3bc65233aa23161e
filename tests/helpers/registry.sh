# tests/helpers/registry.sh - registries for the shell tests (sourced).
#
# After tests/lib.sh:
#
#   . "$HELPERS/registry.sh"
#   registry_start [--tls [--client-certs]] [--htpasswd USER:PASS]
#       Debian's docker-registry (distribution 2.8) on a free 127.0.0.1
#       port with its own storage under $TRASH. Sets
#         REG        127.0.0.1:PORT (what references use)
#         REG_URL    http://127.0.0.1:PORT or https://...
#         REG_DIR    its directory (config.yml, storage/, log)
#         REG_CA     the test CA (with --tls); also installed as
#                    $XDG_CONFIG_HOME/containers/certs.d/$REG/ca.crt
#         REG_USER   USER:PASS (with --htpasswd)
#         REG_CLIENT_CERT, REG_CLIENT_KEY   with --client-certs, which makes
#                    the registry demand a client certificate signed by
#                    the test CA (not installed in certs.d)
#       It is stopped when the script exits.
#   registry_push LAYOUT NAME:TAG
#       push an image made by ocitest.py gen into the registry above
#   mock_start [--user U:P] [--quirk Q]... [LAYOUT]   (no spaces in Q)
#       tests/helpers/mockreg.py serving LAYOUT (default $TRASH/images).
#       Sets MOCK (127.0.0.1:PORT), MOCK_CDN_PORT and MOCK_LOG (one JSON
#       line per request); stopped when the script exits. A second call
#       stops the first mock.
#   mock_requests [JQ-FILTER]   the number of logged requests (matching)
#   mock_log_reset              forget the requests logged so far
#   make_image NAME:TAG [ocitest.py gen options]   add to $TRASH/images
#
# Call the start functions at the top level of a script (not inside
# test_expect_success): the servers watch their parent process.

OCITEST="python3 $HELPERS/ocitest.py"

_wait_for_file () {
	_i=0
	while ! test -s "$1"; do
		_i=$((_i + 1))
		test $_i -gt 100 && return 1
		sleep 0.05
	done
}

make_image () {
	_n=$1
	shift
	$OCITEST gen "$TRASH/images" "$_n" "$@"
}

registry_start () {
	_tls= _ccert= REG_USER=
	while test $# -gt 0; do
		case $1 in
		--tls) _tls=1 ;;
		--client-certs) _ccert=1 ;;
		--htpasswd) REG_USER=$2; shift ;;
		*) echo "registry_start: bad option $1" >&2; return 2 ;;
		esac
		shift
	done
	REG_DIR=$TRASH/registry
	mkdir -p "$REG_DIR/storage"
	_port=$(test_free_port)
	REG=127.0.0.1:$_port
	{
		echo 'version: 0.1'
		echo 'log: {level: warn, accesslog: {disabled: false}}'
		echo 'storage:'
		echo "  filesystem: {rootdirectory: $REG_DIR/storage}"
		echo '  delete: {enabled: true}'
		echo 'http:'
		echo "  addr: $REG"
		if test -n "$_tls"; then
			echo "  tls:"
			echo "    certificate: $REG_DIR/server.crt"
			echo "    key: $REG_DIR/server.key"
			test -n "$_ccert" && echo "    clientcas: [$REG_DIR/ca.crt]"
		fi
		if test -n "$REG_USER"; then
			echo 'auth:'
			echo "  htpasswd: {realm: test-realm, path: $REG_DIR/htpasswd}"
		fi
	} >"$REG_DIR/config.yml"
	if test -n "$REG_USER"; then
		htpasswd -Bbn "${REG_USER%%:*}" "${REG_USER#*:}" \
		    >"$REG_DIR/htpasswd" 2>/dev/null || return 1
	fi
	REG_URL=http://$REG
	REG_CA=
	if test -n "$_tls"; then
		REG_URL=https://$REG
		REG_CA=$REG_DIR/ca.crt
		_registry_certs || return 1
		REG_CLIENT_CERT=$REG_DIR/client.cert
		REG_CLIENT_KEY=$REG_DIR/client.key
		mkdir -p "$XDG_CONFIG_HOME/containers/certs.d/$REG"
		cp "$REG_CA" "$XDG_CONFIG_HOME/containers/certs.d/$REG/ca.crt"
	fi
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
	_pid=$!
	test_atexit "kill $_pid 2>/dev/null; wait $_pid 2>/dev/null"
	_i=0
	while :; do
		_code=$(curl -s -o /dev/null -w '%{http_code}' \
		    ${REG_CA:+--cacert "$REG_CA"} \
		    ${_ccert:+--cert "$REG_CLIENT_CERT" --key "$REG_CLIENT_KEY"} \
		    "$REG_URL/v2/")
		case $_code in 200|401) break ;; esac
		_i=$((_i + 1))
		if test $_i -gt 200 || ! kill -0 $_pid 2>/dev/null; then
			echo "registry_start: docker-registry did not start" >&2
			cat "$REG_DIR/log" >&2
			return 1
		fi
		sleep 0.05
	done
	export REG REG_URL REG_DIR REG_CA REG_USER REG_CLIENT_CERT REG_CLIENT_KEY
}

# a CA and a server certificate for 127.0.0.1 and localhost
_registry_certs () {
	(
	cd "$REG_DIR" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=ocikit test CA' \
	    -keyout ca.key -out ca.crt \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign &&
	openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' \
	    -keyout server.key -out server.csr &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >ext &&
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile ext -out server.crt &&
	openssl req -newkey rsa:2048 -nodes -subj '/CN=ocikit test client' \
	    -keyout client.key -out client.csr &&
	printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >cext &&
	openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile cext -out client.cert
	) >/dev/null 2>&1
}

registry_push () {
	$OCITEST push "$1" "$2" "$REG_URL" ${REG_USER:+--user "$REG_USER"} \
	    ${REG_CA:+--cacert "$REG_CA"} \
	    ${_ccert:+--cert "$REG_CLIENT_CERT" --key "$REG_CLIENT_KEY"}
}

mock_start () {
	if test -n "${_mock_pid:-}"; then
		kill "$_mock_pid" 2>/dev/null
		wait "$_mock_pid" 2>/dev/null
	fi
	_args=
	_root=$TRASH/images
	while test $# -gt 0; do
		case $1 in
		--user|--quirk) _args="$_args $1 $2"; shift ;;
		*) _root=$1 ;;
		esac
		shift
	done
	MOCK_LOG=$TRASH/mock.log
	: >"$MOCK_LOG"
	rm -f "$TRASH/mock.port"
	python3 "$HELPERS/mockreg.py" --root "$_root" \
	    --port-file "$TRASH/mock.port" --log "$MOCK_LOG" $_args &
	_mock_pid=$!
	test_atexit "kill $_mock_pid 2>/dev/null"
	_wait_for_file "$TRASH/mock.port" || {
		echo "mock_start: mockreg.py did not start" >&2
		return 1
	}
	read -r _p MOCK_CDN_PORT <"$TRASH/mock.port"
	MOCK=127.0.0.1:$_p
	export MOCK MOCK_CDN_PORT MOCK_LOG
}

mock_requests () {
	jq -c "select(${1:-true})" "$MOCK_LOG" | wc -l | tr -d ' '
}

mock_log_reset () {
	: >"$MOCK_LOG"
}
