# mk/pkg.mk - `linuxkit pkg build` / `pkg push` for any project's Makefile.
#
# Installed as $(pkg-config --variable=pkgmk ocikit). This is a placeholder:
# the targets (pkg-build, pkg-push, pkg-manifest, pkg-show-tag) arrive with
# pkg-tag, pkg-buildctx, oci-fetch, oci-index-merge and oci-put. Including
# it now defines nothing, so a Makefile can already refer to it.
