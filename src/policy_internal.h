/* policy_internal.h — shared between policy_eval.c and policy_tests.c only. */
#ifndef SG_POLICY_INTERNAL_H
#define SG_POLICY_INTERNAL_H

#include "sg_policy.h"
#include "sg_waiver.h"

/* sg_policy_eval over an explicit list of policies (enabled or not); ps may be NULL. */
enum sg_status sg_policy_eval_list(const struct sg_inventory *inv,
                                   const struct sg_policy *const *pols, size_t n_pols,
                                   const struct sg_policy_set *ps,
                                   const struct sg_waiver_set *waivers,
                                   const struct sg_policy_scope *scope, time_t now,
                                   struct sg_policy_result **out,
                                   struct sg_error *err) SG_MUST_USE;

#endif
