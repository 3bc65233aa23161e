# mk/pkg.mk - `linuxkit pkg build`, `push`, `manifest`, `show-tag` and
# releases for any project's Makefile, composed from the ocikit tools.
#
#   PKGS := $(wildcard pkg/*)
#   include $(shell pkg-config --variable=pkgmk ocikit)
#
# gives pkg-build, pkg-push, pkg-release, pkg-manifest, pkg-show-tag and,
# per package, DIR.build, DIR.push, DIR.release, DIR.manifest,
# DIR.show-tag (and DIR.build-ARCH for one platform). man ocikit-pkg(7)
# lists the PKG_* settings. The steps themselves are in pkg-build.sh
# beside this file; make only orders them, so -j builds packages and
# platforms at once and a package naming a sibling waits for it.

PKG_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
PKG_SH     := sh $(PKG_MK_DIR)/pkg-build.sh

PKGS               ?=
PKG_PLATFORMS      ?=
PKG_SKIP_PLATFORMS ?=
PKG_BUILDER        ?=
PKG_BUILDERS       ?=
PKG_FORCE          ?=
PKG_PULL           ?=
PKG_NOBUILD        ?=
PKG_RELEASE        ?=
PKG_PRECACHE       ?=
PKG_CACHE          ?=
PKG_HASH           ?=
PKG_DEV            ?=
PKG_BUILD_ARGS     ?=
PKG_INSECURE       ?=
PKG_BIN            ?=
PKG__VARS := PKG_PLATFORMS PKG_SKIP_PLATFORMS PKG_BUILDER PKG_BUILDERS \
	PKG_FORCE PKG_PULL PKG_NOBUILD PKG_RELEASE PKG_PRECACHE PKG_CACHE \
	PKG_HASH PKG_DEV PKG_BUILD_ARGS PKG_INSECURE PKG_BIN
# PKG_ORG may be set to "" (no organisation), so it is passed only when set
ifneq ($(origin PKG_ORG),undefined)
PKG__VARS += PKG_ORG
endif
export $(PKG__VARS)
# $(shell) does not see exported variables (make 4.3): name them
PKG__ENV := $(foreach v,$(PKG__VARS),$(v)='$(subst ','\'',$($(v)))')

PKG__DIRS := $(patsubst %/,%,$(PKGS))

# A package directory's name becomes make targets, variable names and
# recipe words: only letters, digits and ._-/+@, are allowed, and no
# leading '-', checked here with make alone before anything expands it
# again (make cannot quote spaces, ':' or '%' in target names anyway).
PKG__COMMA := ,
PKG__SAFE := a b c d e f g h i j k l m n o p q r s t u v w x y z \
	A B C D E F G H I J K L M N O P Q R S T U V W X Y Z \
	0 1 2 3 4 5 6 7 8 9 . _ - / + @ $(PKG__COMMA)
PKG__strip = $(if $(2),$(call PKG__strip,$(subst $(firstword $(2)),,$(1)),$\
	$(wordlist 2,$(words $(2)),$(2))),$(1))
PKG__BADDIRS := $(strip $(foreach d,$(PKG__DIRS),$(if $(or $(filter -%,$(d)),$\
	$(call PKG__strip,$(d),$(PKG__SAFE))),$(d))))
ifneq ($(PKG__BADDIRS),)
$(error pkg.mk: cannot use package directory '$(firstword $(PKG__BADDIRS))': only letters, digits and ._-/+@$(PKG__COMMA) are allowed)
endif
PKG__ALL  := pkg-build pkg-push pkg-release pkg-manifest pkg-show-tag
PKG__ONE  := build push release manifest show-tag

# Goals that need no plan: tags, manifests, and make's own.
PKG__NOPLAN := pkg-show-tag pkg-manifest pkg-help \
	$(foreach d,$(PKG__DIRS),$(d).show-tag $(d).manifest)
PKG__PUSHGOALS := pkg-push pkg-release \
	$(foreach d,$(PKG__DIRS),$(d).push $(d).release)
export PKG__PUSHING := $(if $(filter $(PKG__PUSHGOALS),$(MAKECMDGOALS)),1)

# The plan: every package resolved (pkg-tag, once for all), the flags
# checked, and the platforms already cached found (oci-fetch --cached),
# before any work. One line of make text, "@@" between assignments.
ifneq ($(PKG__DIRS),)
ifneq ($(or $(if $(MAKECMDGOALS),,1),$(filter-out $(PKG__NOPLAN),$(MAKECMDGOALS))),)
# the packages whose "found in local cache" the plan says: all of them
# for an aggregate goal, else those named
PKG__SAY := $(if $(or $(if $(MAKECMDGOALS),,1),$(filter pkg-build pkg-push \
	pkg-release,$(MAKECMDGOALS))),$(PKG__DIRS),$(foreach d,$(PKG__DIRS),\
	$(if $(filter $(d).build $(d).push $(d).release,$(MAKECMDGOALS)),$(d))))
PKG__PLAN := $(shell $(PKG__ENV) PKG__SAY='$(strip $(PKG__SAY))' \
	PKG__PUSHING=$(PKG__PUSHING) $(PKG_SH) plan $(PKG__DIRS))
ifneq ($(.SHELLSTATUS),0)
$(error pkg.mk: stopped before any work)
endif
define PKG__NL


endef
$(eval $(subst @@,$(PKG__NL),$(PKG__PLAN)))
PKG__PLANNED := 1
endif
endif

# DIR.build: the platforms to build (DIR.build-ARCH, after the siblings
# the package names), then the index of what is cached. With nothing to
# build it has no recipe at all: the plan already said so.
define PKG__RULES
$(1).build-%: $(addsuffix .build,$(PKG__DEPS_$(1)))
	@$(PKG_SH) arch $(1) $$*

ifneq ($(PKG__PLANNED),)
ifneq ($(strip $(PKG__PLATS_$(1))),)
ifneq ($(strip $(PKG__TODO_$(1))),)
$(1).build: $(addprefix $(1).build-,$(PKG__TODO_$(1)))
	@$(PKG_SH) index $(1) $(PKG__TODO_$(1))
else
$(1).build: ;
endif
else
$(1).build:
	@echo 'Skipping $(PKG__TAG_$(1)) with no architectures to build' >&2
endif
else
$(1).build:
	@echo 'pkg.mk: $(1).build needs the plan; name it on the command line' >&2
	@false
endif

$(1).push: $(1).build
	@PKG__ARCHES='$(PKG__PLATS_$(1))' $(PKG_SH) push $(1)
$(1).release: $(1).build
	@PKG__ARCHES='$(PKG__PLATS_$(1))' $(PKG_SH) release $(1)
$(1).manifest:
	@$(PKG_SH) manifest $(1)
$(1).show-tag:
	@$(PKG_SH) show-tag $(1)
.PHONY: $(addprefix $(1).,$(PKG__ONE))
endef
$(foreach d,$(PKG__DIRS),$(eval $(call PKG__RULES,$(d))))

pkg-build: $(addsuffix .build,$(PKG__DIRS))
	@:
pkg-push: $(addsuffix .push,$(PKG__DIRS))
pkg-release: $(addsuffix .release,$(PKG__DIRS))
pkg-manifest: $(addsuffix .manifest,$(PKG__DIRS))
pkg-show-tag:
	@$(PKG_SH) show-tag $(PKG__DIRS)

pkg-help:
	@echo 'pkg.mk targets (PKGS = $(PKG__DIRS)):'
	@echo '  pkg-build       build what is not cached or in the registry'
	@echo '  pkg-push        build, then push NAME:TAG and its arch tags'
	@echo '  pkg-release     push, and release PKG_RELEASE or a pkg-vX.Y.Z tag'
	@echo '  pkg-manifest    index the arch tags in the registry, push it'
	@echo '  pkg-show-tag    print each package tag'
	@echo '  DIR.build DIR.push DIR.release DIR.manifest DIR.show-tag'
	@echo 'Variables: PKG_PLATFORMS PKG_SKIP_PLATFORMS PKG_BUILDER PKG_BUILDERS'
	@echo '  PKG_FORCE PKG_PULL PKG_NOBUILD PKG_RELEASE PKG_PRECACHE PKG_CACHE'
	@echo '  PKG_ORG PKG_HASH PKG_DEV PKG_BUILD_ARGS PKG_INSECURE PKG_BIN'
	@echo 'See ocikit-pkg(7).'

.PHONY: $(PKG__ALL) pkg-help
