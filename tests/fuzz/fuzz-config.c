/* tests/fuzz/fuzz-config.c - image configs and descriptors (lib/json, lib/platform) */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "desc.h"
#include "jsonio.h"
#include "platform.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct platform p, want;
	struct buf out = BUF_INIT;
	char s[128];
	json_t *j, *again;

	if (!(j = jsonio_parse(data, size, "fuzz")))
		return 0;
	/* an image config names its platform at the top level */
	if (platform_from_json(&p, j) == 0) {
		platform_format(&p, s, sizeof(s));
		if (platform_parse(&want, s) == 0)
			(void)platform_match(&want, &p);
		json_decref(platform_to_json(&p));
	}
	(void)platform_is_real(j);
	(void)platform_is_real(json_object_get(j, "platform"));
	(void)desc_check(j, "fuzz");
	(void)desc_annotation(j, "org.opencontainers.image.ref.name");
	(void)jsonio_arr(jsonio_obj(j, "rootfs"), "diff_ids");
	/* what the tools write out parses back */
	jsonio_dump(j, &out);
	if (!(again = jsonio_parse(out.data, out.len, "dump")))
		abort();
	json_decref(again);
	buf_release(&out);
	json_decref(j);
	return 0;
}
