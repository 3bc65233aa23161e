#!/bin/sh
test_description='make fuzz: the runner fails on every kind of finding'
. "$(dirname "$0")/lib.sh"

# The harnesses themselves run in `make check-fuzz`; this checks that
# tests/fuzz/run.sh, which both use, cannot pass a crash, a leak, undefined
# behaviour or a hang. Each case is a one-line harness built with clang.
RUN=$T/fuzz/run.sh
CC=${FUZZ_CC:-clang}

# mk NAME BODY: DIR/fuzz-NAME from a harness whose body is BODY, and a seed
mk () {
	mkdir -p seeds/$1 &&
	printf 'seed' >seeds/$1/one &&
	printf '%s\n' '#include <stdlib.h>' '#include <string.h>' '#include <unistd.h>' \
	    'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);' \
	    'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)' \
	    "{ $2 return 0; }" >$1.c &&
	$CC -g -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -o dir/fuzz-$1 $1.c
}

run () {
	FUZZ_SEEDS=$TRASH/seeds FUZZ_SCRATCH=$TRASH/scratch FUZZ_TIMEOUT=2 \
	    sh "$RUN" dir 1 "$@"
}

if ! printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }\n' |
    $CC -fsanitize=fuzzer,address,undefined -x c -o /dev/null - >/dev/null 2>&1; then
	test_skip 'the fuzz runner' "no $CC with libFuzzer (sh mk/deps.sh)"
	test_done
fi

test_expect_success 'setup: harnesses that crash, leak, misbehave, hang' '
	mkdir dir &&
	mk good "volatile unsigned long s = 0; while (n--) s += d[n];" &&
	mk crash "if (n >= 4 && !memcmp(d, \"seed\", 4)) abort();" &&
	mk leak "if (n >= 4) { char *volatile p = malloc(n); p[0] = 1; }" &&
	mk ub "if (n >= 4) { volatile int i = 0x7fffffff; i += (int)n; }" &&
	mk hang "if (n >= 4) for (;;) sleep(1);"
'

test_expect_success 'a clean harness passes, with its figures' '
	run good >out 2>err &&
	grep "^fuzz-good: ok, [0-9]* runs, [0-9]*/s, cov: [0-9]* ft: [0-9]*" out
'

for k in crash leak ub hang; do
	test_expect_success "a harness that finds a $k fails the run" "
		test_expect_code 1 run good $k >out 2>err &&
		grep '^fuzz-good: ok' out &&
		grep '^fuzz-$k: FAILED' err &&
		grep '^fuzz: failed: $k\$' err &&
		ls dir/artifacts/$k-* >/dev/null
	"
done

test_expect_success 'a missing harness or seed directory fails too' '
	test_expect_code 1 run nosuch 2>err &&
	grep "^fuzz-nosuch: no harness" err
'

test_expect_success 'two at a time: the same verdicts, in the order given' '
	FUZZ_JOBS=2 test_expect_code 1 run crash good >out 2>err &&
	grep "^fuzz-good: ok" out && grep "^fuzz-crash: FAILED" err
'

test_expect_success 'the scratch directories are removed' '
	test -d scratch && test -z "$(ls -A scratch)"
'

test_done
