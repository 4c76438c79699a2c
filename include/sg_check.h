/*
 * sg_check.h — the check kinds behind policies (src/check_*.c), and what the
 * engine offers them.
 *
 * A check kind is a C implementation a policy file names in "Check". It
 * parses its own "Parameters" (rejecting unknown keys and wrong types with a
 * message naming the entry), and evaluates one group at a time, emitting
 * findings through sg_check_emit. Checks never do I/O and never read the
 * clock.
 */
#ifndef SG_CHECK_H
#define SG_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_err.h"
#include "sg_exposure.h"
#include "sg_policy.h"
#include "sg_record.h"

struct cJSON;
struct sg_eval_state; /* private to the engine */

/* What a check sees while evaluating one group for one policy. */
struct sg_check_env {
	const struct sg_inventory *inv;
	const struct sg_group *group;
	const struct sg_policy *policy;
	bool in_scope;        /* the group is in PCI scope */
	bool scope_given;     /* --scope-tag was given (scope is explicit) */
	struct sg_eval_state *state;
};

/* A finding as a check describes it; the engine fills in the rest. */
struct sg_check_draft {
	enum sg_finding_state state;    /* FAIL, INFO or UNKNOWN */
	enum sg_severity severity;
	int risk;
	const struct sg_rule *rule;     /* NULL for a group-level finding */
	const char *source;             /* NULL: the rule's own source text */
	enum sg_ref_kind ref_kind;
	const char *sensitive_ports;    /* may be NULL */
	const char *reason;             /* one sentence */
	/*
	 * The finding's protocol and ports differ from the rule's (an
	 * effectively-open range found across several rules): rule anchors it.
	 */
	bool has_shape;
	int protocol, from_port, to_port;
};

/* Copy a finding into the result (strings are copied). */
enum sg_status sg_check_emit(const struct sg_check_env *env, const struct sg_check_draft *d,
                             struct sg_error *err) SG_MUST_USE;

struct sg_check_kind {
	const char *name;     /* as written in "Check" */
	const char *summary;  /* one line for 'policies list' and docs */
	/*
	 * Parse Parameters (params may be NULL: all defaults). `where` names the
	 * file for errors ("policies/x.json: Parameters"). *out owned by the policy.
	 */
	enum sg_status (*parse)(const struct cJSON *params, const char *where, void **out,
	                        struct sg_error *err);
	void (*free_params)(void *params);
	/* Evaluate one group; *applicable false means NOT_APPLICABLE. */
	enum sg_status (*eval)(const struct sg_check_env *env, const void *params,
	                       bool *applicable, struct sg_error *err);
};

extern const struct sg_check_kind sg_check_inter_group_seed;
extern const struct sg_check_kind sg_check_inter_group_strict;
extern const struct sg_check_kind sg_check_internet_exposure;
extern const struct sg_check_kind sg_check_wide_public_source;
extern const struct sg_check_kind sg_check_default_group;
extern const struct sg_check_kind sg_check_unrestricted_egress;

/* The registry, sorted by name. */
const struct sg_check_kind *sg_check_find(const char *name);
const struct sg_check_kind *const *sg_check_kinds(size_t *n);

/* ---- helpers for check implementations (src/check_common.c) ---- */

/* Risk for a non-exposure finding of a given severity: 0 / 25 / 50 / 75 / 90. */
int sg_check_risk_for(enum sg_severity s);

/*
 * Emit the plain rule-level finding most checks produce: `state` and
 * `severity` on rule r, risk from sg_check_risk_for(severity), the rule's
 * own source and shape, no reference kind. `reason` is copied.
 */
enum sg_status sg_check_emit_rule(const struct sg_check_env *env, const struct sg_rule *r,
                                  enum sg_finding_state state, enum sg_severity severity,
                                  const char *reason, struct sg_error *err) SG_MUST_USE;

/*
 * Parameter parsing. Each takes the Parameters object (may be NULL), a key,
 * and fails with SG_ECONFIG naming `where` and the key on a wrong type.
 * Absent keys leave *out untouched (so callers preset defaults).
 */
enum sg_status sg_check_param_bool(const struct cJSON *params, const char *key,
                                   const char *where, bool *out, struct sg_error *err) SG_MUST_USE;
enum sg_status sg_check_param_int(const struct cJSON *params, const char *key, long min,
                                  long max, const char *where, long *out,
                                  struct sg_error *err) SG_MUST_USE;
/*
 * A port list: an array of numbers (22) or "from-to" strings ("8000-8100").
 * Calls add(set, port) for every port. *present set true when the key exists.
 */
enum sg_status sg_check_param_ports(const struct cJSON *params, const char *key,
                                    const char *where, struct sg_portset *set, bool *present,
                                    struct sg_error *err) SG_MUST_USE;
enum sg_status sg_check_param_severity(const struct cJSON *params, const char *key,
                                       const char *where, enum sg_severity *out,
                                       struct sg_error *err) SG_MUST_USE;
/* Reject keys not in `allowed` (NULL-terminated). */
enum sg_status sg_check_param_only(const struct cJSON *params, const char *const *allowed,
                                   const char *where, struct sg_error *err) SG_MUST_USE;

/*
 * How a parse with parameters starts: reject keys not in `allowed`
 * (sg_check_param_only), then allocate `size` zeroed bytes into *out, which
 * the caller fills with its defaults and then owns (free_params frees it).
 */
enum sg_status sg_check_params_new(const struct cJSON *params, const char *const *allowed,
                                   const char *where, size_t size, void **out,
                                   struct sg_error *err) SG_MUST_USE;

/*
 * Whether a rule's source is the internet: 0.0.0.0/0, ::/0, or a prefix list
 * (resolved from env->inv) holding one of them. *unresolved is set when the
 * rule names a prefix list the scan could not resolve; *pl (may be NULL)
 * receives the prefix list.
 */
bool sg_check_source_is_internet(const struct sg_check_env *env, const struct sg_rule *r,
                                 bool *unresolved, const struct sg_prefix_list **pl);

/* "0.0.0.0/0", "pl-… (name)", "sg-… (account)" into buf. */
void sg_check_source_text(const struct sg_rule *r, char *buf, size_t cap);
/* "22", "20-30", "all", "type 8 code 0" into buf. */
void sg_check_ports_text(const struct sg_rule *r, char *buf, size_t cap);
/* Ascending ports "20, 21, 22, 23" (+ "… (N in all)" when truncated) into buf. */
void sg_check_port_list_text(const uint16_t *ports, size_t listed, size_t total, char *buf,
                             size_t cap);

#endif
