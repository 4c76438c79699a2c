/*
 * sg_record_json.h — security groups in the DescribeSecurityGroups JSON shape
 * (boto3 / AWS CLI) into the record model.
 *
 * Used by the policies' embedded tests (their Resource is one group in this
 * shape), by unit tests that read fixture accounts, and by the benchmark.
 * Accepts what Panther-style resources carry: null for absent values, Tags as
 * a list [{"Key":..,"Value":..}] or a map {"environment": "pci"}, IpProtocol
 * as a string or a number. Ports are range-checked and rules normalized
 * (sg_rule_normalize); errors name the input and the element.
 */
#ifndef SG_RECORD_JSON_H
#define SG_RECORD_JSON_H

#include <stddef.h>

#include "sg_err.h"
#include "sg_record.h"

struct cJSON;

#define SG_RECORD_JSON_MAX_BYTES ((size_t)256 << 20)

/*
 * Append one group object to inv. region may be NULL. On failure nothing is
 * added. `where` names the input for errors ("policies/x.json: Tests[2]").
 */
enum sg_status sg_record_json_group(const struct cJSON *obj, const char *region,
                                    struct sg_inventory *inv, const char *where,
                                    struct sg_error *err) SG_MUST_USE;

/*
 * A prefix list {"PrefixListId": "pl-..", "PrefixListName": "..",
 * "Entries": [{"Cidr": ".."}]} (fixture / GetManagedPrefixListEntries
 * shape); "Resolved": false marks it unresolved.
 */
enum sg_status sg_record_json_prefix_list(const struct cJSON *obj, const char *region,
                                          struct sg_inventory *inv, const char *where,
                                          struct sg_error *err) SG_MUST_USE;

/* {"SecurityGroups": [...]}, a bare array, or one group object. */
enum sg_status sg_record_json_groups(const char *name, const char *data, size_t len,
                                     const char *region, struct sg_inventory *inv,
                                     struct sg_error *err) SG_MUST_USE;

/*
 * A fixture account file (fixtures/README.md): every region's groups, prefix
 * lists, ENI counts (from NetworkInterfaces), and coverage (not-opted-in ->
 * NOT_OPTED_IN, else SCANNED). *out is a new inventory.
 */
enum sg_status sg_record_json_account(const char *name, const char *data, size_t len,
                                      struct sg_inventory **out,
                                      struct sg_error *err) SG_MUST_USE;

#endif
