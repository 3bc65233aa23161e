# mk/quiet.mk - short progress lines; V=1 shows the commands.
ifneq ($(V),1)
QUIET_CC   = @printf '  CC    %s\n' $@;
QUIET_AR   = @printf '  AR    %s\n' $@;
QUIET_LINK = @printf '  LINK  %s\n' $@;
QUIET_GEN  = @printf '  GEN   %s\n' $@;
Q          = @
endif
