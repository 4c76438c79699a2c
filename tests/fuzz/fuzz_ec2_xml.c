/*
 * fuzz_ec2_xml.c — libFuzzer target for the EC2 XML parsers (src/ec2_xml.c).
 *
 * Each input goes through every parser (DescribeSecurityGroups from
 * memory and as a stream in odd-sized pieces, DescribeRegions,
 * GetManagedPrefixListEntries, DescribeNetworkInterfaces, DescribeManagedPrefixLists),
 * and what was parsed through the JSON
 * writer, so every record the parser can produce is also walked. A small
 * page cap makes the ELIMIT paths reachable.
 *
 *   make fuzz && build/fuzz/fuzz_ec2_xml -max_total_time=60 fixtures/xml \
 *       ../shared/reference/samples
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "sg_ec2.h"
#include "sg_inventory_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct piece {
	const uint8_t *p;
	size_t len, off;
};

static long
piece_read(void *arg, char *buf, size_t cap)
{
	struct piece *s = arg;
	size_t k = s->len - s->off;

	/* Odd-sized reads: the prolog check must cope with any split. */
	if (k > 13)
		k = 13;
	if (k > cap)
		k = cap;
	memcpy(buf, s->p + s->off, k);
	s->off += k;
	return (long)k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sg_ec2_where w = { "us-east-1", 1, "fuzz", (size_t)1 << 20 };
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_ec2_page pg;
	struct sg_ec2_region_list rl;
	struct sg_prefix_list pl;
	struct sg_ec2_eni_page eni;
	struct sg_ec2_pl_names names;
	struct sg_error err;
	struct piece pc = { data, size, 0 };
	char *next = NULL, *json = NULL;

	if (inv == NULL)
		return 0;
	sg_err_init(&err);
	(void)sg_ec2_parse_groups(&pg, inv, (const char *)data, size, &w, &err);
	sg_ec2_page_dispose(&pg);
	sg_err_init(&err);
	(void)sg_ec2_parse_groups_stream(&pg, inv, piece_read, &pc, &w, &err);
	sg_ec2_page_dispose(&pg);
	if (sg_inventory_to_json(&json, inv, false, &err) == SG_OK)
		free(json);
	sg_inventory_free(inv);

	sg_err_init(&err);
	if (sg_ec2_parse_regions(&rl, (const char *)data, size, &w, &err) == SG_OK)
		sg_ec2_region_list_dispose(&rl);

	memset(&pl, 0, sizeof(pl));
	sg_err_init(&err);
	if (sg_ec2_parse_prefix_list_entries(&next, &pl, (const char *)data, size, &w, &err) == SG_OK)
		free(next);
	free(pl.entries);

	sg_err_init(&err);
	if (sg_ec2_parse_network_interfaces(&eni, (const char *)data, size, &w, &err) == SG_OK)
		sg_ec2_eni_page_dispose(&eni);

	sg_err_init(&err);
	if (sg_ec2_parse_prefix_list_names(&names, (const char *)data, size, &w, &err) == SG_OK)
		sg_ec2_pl_names_dispose(&names);
	return 0;
}
