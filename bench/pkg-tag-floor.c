/* bench/pkg-tag-floor.c - the least pkg-tag can do: libgit2 init, open,
 * status (of the whole work tree, or of each PATH given). Built with
 * -DNO_CA it does not parse the system CA file, as lib/gittree.c arranges
 * for pkg-tag. */
#include <git2.h>

#ifdef NO_CA
int mbedtls_x509_crt_parse_file(void *c, const char *p);
int mbedtls_x509_crt_parse_file(void *c, const char *p)
{ (void)c; (void)p; return 0; }
#endif

int
main(int argc, char **argv)
{
	git_status_options o = GIT_STATUS_OPTIONS_INIT;
	git_repository *r;
	git_status_list *s;
	int i = 1;

	git_libgit2_init();
	if (git_repository_open_ext(&r, ".", 0, NULL) < 0)
		return 1;
	o.flags |= GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
	    GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
	do {
		o.pathspec.strings = i < argc ? &argv[i] : NULL;
		o.pathspec.count = i < argc;
		if (git_status_list_new(&s, r, &o) < 0)
			return 1;
		git_status_list_free(s);
	} while (++i < argc);
	git_repository_free(r);
	git_libgit2_shutdown();
	return 0;
}
