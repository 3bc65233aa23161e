/* tests/unit/t-ref.c - reference grammar and LinuxKit canonical names */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ref.h"
#include "tap.h"

static void
canon(const char *in, int tag, const char *want)
{
	char *got = ref_canonical(in, tag);

	is(got, want, "canonical%s '%s'", tag ? "+tag" : "", in);
	free(got);
}

static void
bad(const char *in)
{
	char *got = ref_canonical(in, 1);

	ok(got == NULL, "'%s' refused", in);
	free(got);
}

/* the part grammars, for values that come from indexes and registries */
static void
grammars(void)
{
	static const char *good_tags[] = { "latest", "v1.2_3-rc", "_x", "A",
	    "abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789"
	    "abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789"
	    "abcdefgh" };
	static const char *bad_tags[] = { "", "-x", ".x", "a/b", "a:b", "a@b",
	    "..", "x\n", "caf\xc3\xa9", "/../../../prod/manifests/pwned",
	    "abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789"
	    "abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789"
	    "abcdefghi", "a b", "a\tb" };
	static const char *good_repos[] = { "a", "library/alpine", "a/b/c",
	    "foo/bar-baz__q.x", "a--b" };
	static const char *bad_repos[] = { "", "/a", "a/", "a//b", "../a",
	    "a/../b", "a/./b", ".", "A", "a_", "a___b", "a/b:c", "a@b",
	    "a\nb", "a b", "prod/manifests/../x" };
	char long_repo[300];
	size_t i;

	for (i = 0; i < sizeof(good_tags) / sizeof(*good_tags); i++)
		ok(ref_tag_valid(good_tags[i]), "tag '%.20s' valid", good_tags[i]);
	for (i = 0; i < sizeof(bad_tags) / sizeof(*bad_tags); i++)
		ok(!ref_tag_valid(bad_tags[i]) && errno == EINVAL &&
		    strstr(err_msg(), "not a valid tag"),
		    "tag '%.20s' refused", bad_tags[i]);
	ok(!ref_tag_valid(NULL), "NULL tag refused");
	for (i = 0; i < sizeof(good_repos) / sizeof(*good_repos); i++)
		ok(ref_repo_valid(good_repos[i]), "repo '%s' valid",
		    good_repos[i]);
	for (i = 0; i < sizeof(bad_repos) / sizeof(*bad_repos); i++)
		ok(!ref_repo_valid(bad_repos[i]), "repo '%s' refused",
		    bad_repos[i]);
	memset(long_repo, 'a', sizeof(long_repo) - 1);
	long_repo[sizeof(long_repo) - 1] = '\0';
	ok(!ref_repo_valid(long_repo), "repo of 299 bytes refused");
	long_repo[255] = '\0';
	ok(ref_repo_valid(long_repo), "repo of 255 bytes valid");
	ok(ref_digest_valid("sha256:ba7816bf8f01cfea414140de5dae2223b00361a3"
	    "96177a9cb410ff61f20015ad"), "digest valid");
	ok(!ref_digest_valid("sha256:../../../etc/passwd"), "digest with a "
	    "path refused");
	ok(!ref_digest_valid("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A3"
	    "96177A9CB410FF61F20015AD"), "upper-case digest refused");
	ok(!ref_digest_valid("md5:d41d8cd98f00b204e9800998ecf8427e"),
	    "unknown algorithm refused");
	ok(!ref_digest_valid(NULL), "NULL digest refused");
	/* bytes above 0x7f are no letters, whatever the locale says */
	bad("caf\xc3\xa9/x");
	bad("alpine:caf\xc3\xa9");
	bad("h\xc3\xa9st.io/x");
}

int
main(void)
{
	struct ref r;

	/* doc/linuxkit-compat.md §5 */
	canon("alpine", 0, "docker.io/library/alpine");
	canon("alpine", 1, "docker.io/library/alpine:latest");
	canon("alpine:3.19", 1, "docker.io/library/alpine:3.19");
	canon("linuxkit/foo:abc", 1, "docker.io/linuxkit/foo:abc");
	canon("localhost/b", 1, "localhost/b:latest");
	canon("my.reg/b:1", 1, "my.reg/b:1");
	canon("host:5000/b", 1, "host:5000/b:latest");
	canon("a/b/c", 1, "a/b/c:latest");
	canon("docker.io/alpine", 0, "docker.io/alpine");
	canon("127.0.0.1:5555/bench/big", 1, "127.0.0.1:5555/bench/big:latest");
	canon("127.0.0.1:5555/bench/big", 0, "127.0.0.1:5555/bench/big");
	canon("[::1]:5000/x/y:t", 1, "[::1]:5000/x/y:t");
	canon("alpine@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    1, "docker.io/library/alpine@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	canon("a/b:t@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    1, "docker.io/a/b:t@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	canon("foo/bar-baz__q.x:v1.2_3-rc", 1, "docker.io/foo/bar-baz__q.x:v1.2_3-rc");

	bad("");
	bad("Alpine");
	bad("alpine:");
	bad("alpine:-bad");
	bad("a//b");
	bad("a/b/");
	bad("a/b_");
	bad("a/b___c");
	bad("alpine@sha256:abc");
	bad("host:port/x");
	bad("../etc/passwd");
	bad("-host.io/x");

	ok(ref_parse(&r, "localhost:5000/app/x:1.2") == 0, "parse a local ref");
	is(r.domain, "localhost:5000", "domain");
	is(r.path, "app/x", "path");
	is(r.tag, "1.2", "tag");
	ok(r.digest == NULL, "no digest");
	ref_release(&r);
	ok(ref_parse(&r, "busybox") == 0, "parse a short ref");
	is(r.domain, "docker.io", "short ref is on docker.io");
	is(r.path, "library/busybox", "short ref gets library/");
	ok(r.tag == NULL, "no default tag from ref_parse");
	ref_release(&r);
	grammars();
	return tap_done();
}
