/* tests/unit/t-ref.c - reference grammar and LinuxKit canonical names */
#include <stdlib.h>

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

int
main(void)
{
	struct ref r;

	/* linuxkit-compat.md §5 */
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
	return tap_done();
}
