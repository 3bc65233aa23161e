# mk/config.mk - paths, flags and the libraries every program links with.
# Override on the command line or in an untracked config.mak.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/ocikit
PCDIR      ?= $(PREFIX)/lib/pkgconfig
B          ?= build
CFLAGS     ?= -O2 -g
PKG_CONFIG ?= pkg-config
VERSION    := 0.1.0

# Everything the library builds on, found through pkg-config.
PKGS = libcurl libcrypto jansson yaml-0.1 libarchive libgit2 zlib

# `make check` treats warnings as errors; a plain build does not, so a
# newer compiler's new warning never stops someone installing ocikit.
ifneq ($(filter check check-%,$(MAKECMDGOALS)),)
WERROR ?= -Werror
endif

# SANITIZE=1 builds with AddressSanitizer and UBSan; the flags file below
# notices the change and rebuilds everything.
ifeq ($(SANITIZE),1)
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
endif

WARNINGS = -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
	-Wshadow -Wpointer-arith -Wformat=2 -Wno-unused-parameter

ALL_CFLAGS   = -std=c99 -pthread $(WARNINGS) $(WERROR) $(SAN_FLAGS) $(CFLAGS)
ALL_CPPFLAGS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DOCIKIT_VERSION='"$(VERSION)"' -Ilib \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(CPPFLAGS)
# --as-needed keeps a tool from loading libraries it never calls (a warm
# oci-fetch must not pay for libgit2), with one LDLIBS for every tool.
AS_NEEDED   := $(shell printf 'int main(void){return 0;}' | \
	$(CC) -Wl,--as-needed -x c -o /dev/null - >/dev/null 2>&1 && \
	echo -Wl,--as-needed)
ALL_LDFLAGS  = -pthread $(SAN_FLAGS) $(LDFLAGS)
LDLIBS       = $(AS_NEEDED) $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
