# mk/install.mk - install, uninstall, and the ocikit.pc that tells other
# projects' Makefiles where pkg.mk lives (pkg-config --variable=pkgmk ocikit).
$(B)/ocikit.pc: mk/install.mk $(B)/.flags
	@mkdir -p $(@D)
	$(QUIET_GEN)printf '%s\n' \
	    'prefix=$(PREFIX)' 'bindir=$(BINDIR)' 'datadir=$(DATADIR)' \
	    'pkgmk=$${datadir}/pkg.mk' '' \
	    'Name: ocikit' \
	    'Description: daemonless tools for LinuxKit image caches and packages' \
	    'Version: $(VERSION)' >$@

install: all $(B)/ocikit.pc
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1' \
	    '$(DESTDIR)$(MANDIR)/man7' '$(DESTDIR)$(DATADIR)' '$(DESTDIR)$(PCDIR)'
	install -m 755 $(BINS) '$(DESTDIR)$(BINDIR)'
	install -m 644 $(filter %.1,$(MANPAGES)) '$(DESTDIR)$(MANDIR)/man1'
	install -m 644 $(filter %.7,$(MANPAGES)) '$(DESTDIR)$(MANDIR)/man7'
	install -m 644 mk/pkg.mk mk/pkg-build.sh '$(DESTDIR)$(DATADIR)'
	install -m 644 $(B)/ocikit.pc '$(DESTDIR)$(PCDIR)'

uninstall:
	rm -f $(patsubst %,'$(DESTDIR)$(BINDIR)/%',$(TOOLS)) \
	    $(patsubst man/%,'$(DESTDIR)$(MANDIR)/man1/%',$(filter %.1,$(MANPAGES))) \
	    $(patsubst man/%,'$(DESTDIR)$(MANDIR)/man7/%',$(filter %.7,$(MANPAGES))) \
	    '$(DESTDIR)$(DATADIR)/pkg.mk' '$(DESTDIR)$(DATADIR)/pkg-build.sh' \
	    '$(DESTDIR)$(PCDIR)/ocikit.pc'

.PHONY: install uninstall
