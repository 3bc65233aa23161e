# mk/rules.mk - objects, the static library, and flag tracking.
# Every lib/*.c is part of the library: adding a module needs no edit here.
.SUFFIXES:
.DELETE_ON_ERROR:
# keep intermediate objects (unit tests), so a second make rebuilds nothing
.SECONDARY:

LIB_SRCS = $(sort $(wildcard lib/*.c))
LIB_OBJS = $(LIB_SRCS:%.c=$(B)/%.o)
LIB      = $(B)/libocikit.a

$(B)/%.o: %.c $(B)/.flags
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	$(QUIET_AR)rm -f $@ && $(AR) rcs $@ $^

# Rebuild everything when the compiler or its flags change. -Werror is
# left out: it changes no output, and `make check` must not rebuild what
# `make` built (nor a test's `make install` what `make check` built).
$(B)/.flags: FORCE
	@mkdir -p $(@D); \
	f='$(CC) $(ALL_CPPFLAGS) $(filter-out -Werror,$(ALL_CFLAGS)) $(ALL_LDFLAGS)'; \
	test "$$f" = "$$(cat $@ 2>/dev/null)" || echo "$$f" >$@

clean:
	rm -rf $(B)

FORCE:
.PHONY: FORCE clean
-include $(wildcard $(B)/*/*.d $(B)/*/*/*.d)
