#!/bin/sh
test_description='progress: oci-fetch, oci-put and oci-import draw one line on a terminal only'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"

registry_start || exit 1
make_image big/app:1 --single --layers 2 --layer-size 3000000 >/dev/null
mock_start || exit 1

# CMD under a pseudo-terminal (script(1)): its terminal output in FILE
on_tty () {
	script -qec "$1" /dev/null >"$2" </dev/null
}
# the progress lines FILE shows for NAME: "NAME: DONE / TOTAL, RATE/s"
lines_for () {
	tr "\r" "\n" <"$1" | grep -c "^$2: .* / .*, .*/s" || :
}

test_expect_success 'setup: an image in a tar' '
	skopeo copy -q oci:"$TRASH/images":big/app:1 \
	    oci-archive:big.tar:localhost/big/app:1
'

test_expect_success 'oci-fetch: a line on a terminal, ending at the total' '
	on_tty "oci-fetch -C c1 -p linux/amd64 $MOCK/big/app:1" tty.out &&
	test $(lines_for tty.out "$MOCK/big/app") -ge 1 &&
	total=$(tr "\r" "\n" <tty.out | grep "^$MOCK/big/app: " | tail -1 |
	    sed "s/.* \\/ \\([^,]*\\),.*/\\1/") &&
	tr "\r" "\n" <tty.out | grep "^$MOCK/big/app: $total / $total, " &&
	jq -e ".manifests | length == 1" c1/index.json
'

test_expect_success 'oci-fetch: nothing on a file, nothing with -q' '
	oci-fetch -C c2 -p linux/amd64 $MOCK/big/app:1 >out 2>err &&
	test ! -s err &&
	on_tty "oci-fetch -q -C c3 -p linux/amd64 $MOCK/big/app:1" q.out &&
	! grep "/s" q.out
'

test_expect_success 'oci-import: a line on a terminal, nothing on a file' '
	on_tty "oci-import -C c4 big.tar" tty.out &&
	tr "\r" "\n" <tty.out | grep "^big.tar: .*, .*/s" &&
	oci-import -C c5 big.tar >out 2>err &&
	test ! -s err &&
	on_tty "oci-import -q -C c6 big.tar" q.out &&
	! grep "/s" q.out
'

test_expect_success 'oci-put: a line on a terminal, nothing on a file' '
	on_tty "oci-put -C c1 $MOCK/big/app:1 $REG/put/a:1" tty.out &&
	test $(lines_for tty.out "$REG/put/a") -ge 1 &&
	oci-put -C c1 $MOCK/big/app:1 $REG/put/b:1 >out 2>err &&
	test ! -s err &&
	on_tty "oci-put -q -C c1 $MOCK/big/app:1 $REG/put/c:1" q.out &&
	! grep "/s" q.out &&
	skopeo inspect --tls-verify=false docker://$REG/put/a:1 >/dev/null
'

test_done
