/* fuzz_policy.c — the policy loader (and the embedded test runner) on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "sg_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_policy_set *ps = sg_policy_set_new();
	struct sg_error err;
	size_t passed, failed;

	if (ps == NULL)
		return 0;
	sg_err_init(&err);
	if (sg_policy_set_load_buffer(ps, "fuzz.json", (const char *)data, size, &err) == SG_OK) {
		sg_policy_set_hash(ps);
		/* A loaded policy's tests must run without crashing, whatever they hold. */
		(void)sg_policy_run_tests(ps, NULL, NULL, &passed, &failed, &err);
	}
	sg_policy_set_free(ps);
	return 0;
}
