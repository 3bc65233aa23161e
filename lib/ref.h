/* lib/ref.h - image references: grammar, canonical names, default tag
 *
 * A reference is [host[:port]/]path[:tag][@digest]. Canonical names are
 * LinuxKit's (doc/linuxkit-compat.md §5): "alpine" is docker.io/library/alpine,
 * "a/b" is docker.io/a/b unless "a" looks like a host, and anything with
 * three or more components is left as written.
 */
#ifndef REF_H
#define REF_H

struct ref {
	char	*domain;	/* "docker.io", "localhost:5000", "[::1]:5000" */
	char	*path;		/* "library/alpine" */
	char	*tag;		/* NULL when absent */
	char	*digest;	/* NULL when absent */
};
#define REF_INIT { NULL, NULL, NULL, NULL }

/*
 * Parse and validate s (after canonicalisation, so domain is never NULL).
 * -1, errno EINVAL and a message naming s when it is not a reference.
 */
int	ref_parse(struct ref *r, const char *s);
void	ref_release(struct ref *r);

/*
 * The canonical name of s, or NULL with errno EINVAL when s is not a valid
 * reference. With default_tag, ":latest" is added when the last path
 * component has neither ':' nor '@' (a registry port does not count).
 * The caller frees the result.
 */
char	*ref_canonical(const char *s, int default_tag);

/* "repo:tag" or "repo@digest" of a parsed ref, canonical; caller frees */
char	*ref_string(const struct ref *r);

/*
 * The grammars of the parts of a reference, for values that come from
 * outside (an index, a record, a registry) and become part of a URL path,
 * a tag or a file name. Each returns 1 when s is valid, else 0 with
 * errno EINVAL and a message naming s (escaped, cut to 80 bytes).
 *
 * tag:   [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 * repo:  a repository path without its domain, "a/b/c": components
 *        [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* joined by single '/', at most
 *        255 bytes in all (no "..", no empty component, no leading '/')
 * digest: "sha256:" + 64 or "sha512:" + 128 lower-case hex (digest_parse)
 */
int	ref_tag_valid(const char *s);
int	ref_repo_valid(const char *s);
int	ref_digest_valid(const char *s);

#endif
