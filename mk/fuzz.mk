# mk/fuzz.mk - libFuzzer harnesses (tests/fuzz/fuzz-*.c), one per parser of
# untrusted bytes. `make fuzz` builds the library and the harnesses with
# clang, libFuzzer, ASan and UBSan into $(B)/fuzz/ (a make of its own, with
# B=$(B)/fuzz, so the normal build is untouched) and runs each harness for
# FUZZ_SECONDS on a copy of its seed corpus tests/fuzz/corpus/NAME/; any
# crash, leak, timeout or OOM fails it. T=ref,tar runs only those;
# FUZZ_JOBS=2 runs two at a time.
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_NAMES     = $(sort $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c)))
FUZZ_SAN       = -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_COMMON    = tests/fuzz/fuzz.c tests/fuzz/cache.c
# a few seconds each inside `make check`, $(JOBS) at a time
CHECK_FUZZ_SECONDS ?= 3

# Can $(FUZZ_CC) link a libFuzzer harness with the sanitizers? (Debian:
# clang and libclang-rt-NN-dev; mk/deps.sh lists them.)
FUZZ_PROBE = printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }\n' | \
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -x c -o /dev/null - \
	>/dev/null 2>&1

ifeq ($(FUZZ_INNER),1)
# the inner make: B is the outer $(B)/fuzz, CC is clang
FUZZ_BINS = $(FUZZ_NAMES:%=$(B)/fuzz-%)
$(FUZZ_BINS): $(B)/fuzz-%: $(B)/tests/fuzz/fuzz-%.o $(FUZZ_COMMON:%.c=$(B)/%.o) $(LIB)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
fuzz-bins: $(FUZZ_BINS)
endif

fuzz-build:
	@$(FUZZ_PROBE) || { echo "fuzz: '$(FUZZ_CC)' cannot build libFuzzer" \
	    "harnesses; on Debian: sh mk/deps.sh (clang, libclang-rt-14-dev)" >&2; \
	    exit 1; }
	@$(MAKE) --no-print-directory B='$(B)/fuzz' CC='$(FUZZ_CC)' FUZZ_INNER=1 \
	    SAN_FLAGS='$(FUZZ_SAN)' CFLAGS='-O1 -g' WERROR='$(WERROR)' fuzz-bins

fuzz: fuzz-build
	@sh tests/fuzz/run.sh '$(B)/fuzz' '$(FUZZ_SECONDS)' \
	    $(or $(subst $(comma), ,$(T)),$(FUZZ_NAMES))

# part of `make check`: a short run of every harness. mk/deps.sh --check
# already asks for clang; a FUZZ_CC that cannot build harnesses gets a
# note saying how to get one, and the rest of the check still runs.
check-fuzz:
	@if $(FUZZ_PROBE); then \
	    FUZZ_JOBS=$(JOBS) $(MAKE) --no-print-directory fuzz \
	        WERROR='$(WERROR)' FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) T=; \
	else \
	    echo "check-fuzz: SKIPPED: '$(FUZZ_CC)' with libFuzzer not found;" \
	        "install clang and libclang-rt-14-dev (sh mk/deps.sh) to fuzz"; \
	fi

comma := ,
.PHONY: fuzz fuzz-build fuzz-bins check-fuzz
