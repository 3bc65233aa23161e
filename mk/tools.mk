# mk/tools.mk - one program per tools/*.c, linked against the library.
TOOLS = $(sort $(patsubst tools/%.c,%,$(wildcard tools/*.c)))
BINS  = $(TOOLS:%=$(B)/bin/%)

all: $(BINS)

$(B)/bin/%: $(B)/tools/%.o $(LIB)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

deps:
	@sh mk/deps.sh

# The quick start: build, then run the main job: examples/ built with
# pkg.mk and buildah for two platforms, pushed to a local registry.
demo:
	@sh mk/deps.sh --check
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(B)

help:
	@echo 'Targets:'
	@echo '  all (default)  build every tool into $(B)/bin/'
	@echo '  deps           install the Debian packages the build and tests need'
	@echo '  demo           build examples/ with pkg.mk for amd64 and arm64, push it to a local registry'
	@echo '  check          run every test (C unit tests and shell tests, TAP, via prove)'
	@echo '  check-unit     only the C unit tests'
	@echo '  check-shell    only the shell tests; T=tests/t6000-oci-import.sh runs one'
	@echo '  check-man      lint the man pages with mandoc'
	@echo '  check-layers   no lib/ module includes a higher layer (mk/layers)'
	@echo '  check-tools    every tool has a man page, a test and --help'
	@echo '  fuzz           libFuzzer harnesses (clang), FUZZ_SECONDS=60 each; T=ref,tar'
	@echo '  bench          time the tools against their peers (not a test)'
	@echo '  install        install tools, man pages, pkg.mk and ocikit.pc'
	@echo '  uninstall      remove what install installed'
	@echo '  clean          remove $(B)/'
	@echo 'Variables: PREFIX DESTDIR CC CFLAGS V=1 SANITIZE=1 B=builddir'

.PHONY: all deps demo help
