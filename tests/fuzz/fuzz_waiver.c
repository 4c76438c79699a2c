/* fuzz_waiver.c — the waiver file parser, then matching against a small group. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sg_record_json.h"
#include "sg_waiver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char group[] =
	"{\"GroupId\": \"sg-1\", \"OwnerId\": \"1\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\","
	" \"FromPort\": 22, \"ToPort\": 22, \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}],"
	" \"PrefixListIds\": [{\"PrefixListId\": \"pl-1\"}], \"UserIdGroupPairs\": [{\"GroupId\": \"sg-2\"}]}]}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_waiver_set *ws = NULL;
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_error err;
	size_t i, k;

	if (inv == NULL)
		return 0;
	sg_err_init(&err);
	if (sg_record_json_groups("g", group, strlen(group), "us-east-1", inv, &err) == SG_OK &&
	    sg_waiver_set_parse("fuzz.json", (const char *)data, size, &ws, &err) == SG_OK) {
		for (i = 0; i < ws->n; i++) {
			(void)sg_waiver_is_live(&ws->items[i], 0);
			for (k = 0; k < inv->groups[0].n_rules; k++)
				(void)sg_waiver_matches(&ws->items[i], ws->items[i].policy_id,
				    &inv->groups[0], &inv->groups[0].rules[k]);
		}
	}
	sg_waiver_set_free(ws);
	sg_inventory_free(inv);
	return 0;
}
