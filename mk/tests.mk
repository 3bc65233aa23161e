# mk/tests.mk - C unit tests (tests/unit/t-*.c) and shell tests
# (tests/tNNNN-*.sh), all TAP, all run through prove.
UNIT_SRCS   = $(sort $(wildcard tests/unit/t-*.c))
UNIT        = $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
SHELL_TESTS = $(sort $(wildcard tests/t[0-9][0-9][0-9][0-9]-*.sh))
MANPAGES    = $(sort $(wildcard man/*.[17]))
PROVE      ?= prove
PROVE_FLAGS ?= $(if $(filter 1,$(V)),-v)
JOBS       ?= 2

$(B)/tests/t-%: $(B)/tests/unit/t-%.o $(B)/tests/unit/tap.o $(LIB)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# Dependencies are checked, never installed (that is `make deps`), so a
# missing package is one clear message instead of a compiler error.
check:
	@sh mk/deps.sh --check
	@$(MAKE) --no-print-directory check-man check-layers check-tools \
	    check-unit check-shell check-fuzz

check-unit: $(UNIT)
	$(PROVE) $(PROVE_FLAGS) $(UNIT)

check-shell: all
	B='$(abspath $(B))' $(PROVE) $(PROVE_FLAGS) -j$(JOBS) -e sh \
	    $(or $(T),$(SHELL_TESTS))

# The library's layering (mk/layers) and the promise every tool keeps:
# a man page, a test, a --help.
check-layers:
	@sh mk/check-layers.sh

check-tools: all
	@sh mk/check-tools.sh '$(abspath $(B))/bin'

check-man:
	@for m in $(MANPAGES); do mandoc -Tlint -Wwarning $$m || exit 1; done
	@echo 'man pages: ok'

bench: all
	@sh mk/deps.sh --check
	@for b in $(or $(T),$(sort $(wildcard bench/*.sh))); do \
	    B='$(abspath $(B))' sh $$b || exit 1; done

.PHONY: check check-unit check-shell check-man check-layers check-tools bench
