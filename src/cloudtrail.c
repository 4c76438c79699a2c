/*
 * cloudtrail.c — score CloudTrail security-group events (sg-semantics.md §3, §9).
 *
 * Two scorers share the record plumbing:
 *   score_default  every permission, parsed CIDRs, the shared exposure scorer;
 *   score_seed     the original detection query, reproduced bug for bug.
 * Each difference between them is listed in docs/events.md and proved by a
 * test in tests/test_cloudtrail.c.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudtrail_internal.h"
#include "sg_util.h"

const char *const sg_ct_event_names[6] = {
	"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
	"RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress",
	"CreateSecurityGroup", "ModifySecurityGroupRules",
};

enum sg_ct_event
sg_ct_event_from_name(const char *name)
{
	static const enum sg_ct_event ev[6] = {
		SG_CT_EV_AUTHORIZE_INGRESS, SG_CT_EV_AUTHORIZE_EGRESS, SG_CT_EV_REVOKE_INGRESS,
		SG_CT_EV_REVOKE_EGRESS, SG_CT_EV_CREATE_GROUP, SG_CT_EV_MODIFY_RULES,
	};
	size_t i;

	if (name == NULL)
		return SG_CT_EV_NONE;
	for (i = 0; i < 6; i++)
		if (strcmp(name, sg_ct_event_names[i]) == 0)
			return ev[i];
	return SG_CT_EV_NONE;
}

void
sg_ct_options_init(struct sg_ct_options *o, const struct sg_exposure_params *params)
{
	memset(o, 0, sizeof(*o));
	o->params = params;
	o->min_risk = 1;
}

/* ---- eventID set ----------------------------------------------------------- */

/* The first 128 bits of SHA-256 (sg_util.h's digest; libcrypto stays in its modules). */
static struct ct_id
hash_id(const char *s)
{
	char hex[65];
	struct ct_id id = { 0, 0 };
	int i;

	sg_sha256_hex(s, strlen(s), hex);
	for (i = 0; i < 32; i++) {
		unsigned v = (unsigned)(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
		if (i < 16)
			id.a = (id.a << 4) | v;
		else
			id.b = (id.b << 4) | v;
	}
	if (id.a == 0 && id.b == 0)
		id.b = 1; /* keep "empty" unambiguous */
	return id;
}

static void
idset_dispose(struct ct_idset *set)
{
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

/* Insert; *seen says it was already there. */
static enum sg_status
idset_add(struct ct_idset *set, const char *text, bool *seen, struct sg_error *err)
{
	struct ct_id id = hash_id(text);
	size_t i, mask;

	if (set->n * 2 >= set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024, j;
		struct ct_id *slots = calloc(cap, sizeof(*slots));

		if (slots == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory growing the eventID set");
		for (j = 0; j < set->cap; j++) {
			struct ct_id x = set->slots[j];
			if (x.a == 0 && x.b == 0)
				continue;
			for (i = x.a & (cap - 1); slots[i].a != 0 || slots[i].b != 0; i = (i + 1) & (cap - 1))
				;
			slots[i] = x;
		}
		free(set->slots);
		set->slots = slots;
		set->cap = cap;
	}
	mask = set->cap - 1;
	for (i = id.a & mask; set->slots[i].a != 0 || set->slots[i].b != 0; i = (i + 1) & mask) {
		if (set->slots[i].a == id.a && set->slots[i].b == id.b) {
			*seen = true;
			return SG_OK;
		}
	}
	set->slots[i] = id;
	set->n++;
	*seen = false;
	return SG_OK;
}

static bool
idset_has(const struct ct_idset *set, const char *text)
{
	struct ct_id id;
	size_t i, mask;

	if (set->cap == 0)
		return false;
	id = hash_id(text);
	mask = set->cap - 1;
	for (i = id.a & mask; set->slots[i].a != 0 || set->slots[i].b != 0; i = (i + 1) & mask)
		if (set->slots[i].a == id.a && set->slots[i].b == id.b)
			return true;
	return false;
}

/* ---- scan lifetime ----------------------------------------------------------- */

enum sg_status
sg_ct_scan_new(struct sg_ct_scan **out, const struct sg_ct_options *o, struct sg_error *err)
{
	struct sg_ct_scan *s;

	if (o == NULL || o->params == NULL || o->emit == NULL)
		return sg_err_set(err, SG_EINVAL, "cloudtrail scan: params and emit are required");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	s->o = *o;
	s->st.max_risk = -1;
	*out = s;
	return SG_OK;
}

void
sg_ct_scan_free(struct sg_ct_scan *s)
{
	if (s == NULL)
		return;
	idset_dispose(&s->ids);
	idset_dispose(&s->rules_ingress);
	idset_dispose(&s->rules_egress);
	free(s->perms);
	free(s->srcs);
	free(s->cidr_ptrs);
	free(s);
}

const struct sg_ct_stats *
sg_ct_scan_stats(const struct sg_ct_scan *s)
{
	return &s->st;
}

bool
sg_ct_scan_incomplete(const struct sg_ct_scan *s)
{
	return s->incomplete || s->st.bad_files > 0 || s->st.bad_records > 0;
}

void
sg_ct_scan_mark_incomplete(struct sg_ct_scan *s)
{
	s->incomplete = true;
}

void
sg_ct_sanitize(const char *s, char *out, size_t cap)
{
	size_t i = 0, n = 0;

	if (cap == 0)
		return;
	for (; s != NULL && s[i] != '\0' && n + 1 < cap && i < 80; i++) {
		unsigned char c = (unsigned char)s[i];
		out[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (s != NULL && s[i] != '\0' && n + 4 < cap) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

void
sg_ct_warnf(struct sg_ct_scan *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (s->file_warnings >= SG_CT_MAX_WARNINGS_PER_FILE) {
		s->file_warnings_dropped++;
		return;
	}
	s->file_warnings++;
	if (s->o.warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o.warn(s->o.ctx, msg);
}

/* ---- small cJSON accessors ------------------------------------------------------ */

static const cJSON *
get(const cJSON *obj, const char *key)
{
	if (!cJSON_IsObject(obj))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static bool
absent(const cJSON *it)
{
	return it == NULL || cJSON_IsNull(it);
}

/*
 * A string field in default mode: absent/null -> *out NULL and true; a
 * string -> its value; any other type -> false (the record is malformed).
 */
static bool
str_field(const cJSON *obj, const char *key, const char **out)
{
	const cJSON *it = get(obj, key);

	*out = NULL;
	if (absent(it))
		return true;
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return false;
	*out = it->valuestring;
	return true;
}

/* An integer port/type field: absent -> has=false; a whole number in range -> value. */
static bool
int_field(const cJSON *obj, const char *key, bool *has, int *out)
{
	const cJSON *it = get(obj, key);
	double d;

	*has = false;
	if (absent(it))
		return true;
	if (!cJSON_IsNumber(it))
		return false;
	d = it->valuedouble;
	if (!isfinite(d) || d != floor(d) || d < -1000000.0 || d > 1000000.0)
		return false;
	*out = (int)d;
	*has = true;
	return true;
}

/*
 * EC2's XML-to-JSON list rendering: {"items": [...]}, {} for an empty list,
 * null/absent; a bare array is accepted too. *items gets the array (NULL
 * when empty). False when the shape is something else.
 */
static bool
item_list(const cJSON *it, const cJSON **items)
{
	const cJSON *x;

	*items = NULL;
	if (absent(it))
		return true;
	if (cJSON_IsArray(it)) {
		*items = it;
		return true;
	}
	if (!cJSON_IsObject(it))
		return false;
	x = get(it, "items");
	if (absent(x))
		return true;
	if (!cJSON_IsArray(x))
		return false;
	*items = x;
	return true;
}

/* ---- alerts ----------------------------------------------------------------------- */

struct ct_common {
	const char *event_name;
	const char *event_id;
	const char *time;
	const char *account;
	const char *group;
	const char *user;
	const char *source_ip;
	const char *region;
	char origin[600];
	char where[800]; /* warning prefix: origin + eventID */
};

static const char *
nz(const char *s)
{
	return s ? s : "";
}

static enum sg_status
emit(struct sg_ct_scan *s, struct sg_ct_alert *a, struct sg_error *err)
{
	enum sg_status st;

	if (a->risk < s->o.min_risk)
		return SG_OK;
	a->severity = sg_severity_from_risk(a->risk);
	st = s->o.emit(s->o.ctx, a, err);
	if (st != SG_OK)
		return st;
	s->st.alerts++;
	if (a->risk > s->st.max_risk)
		s->st.max_risk = a->risk;
	return SG_OK;
}

/* ---- seed-compatible scoring --------------------------------------------------------- */

/* The query's `AS string`: strings as they are, numbers and booleans as text, else null. */
static const char *
seed_str(const cJSON *it, char *buf, size_t cap)
{
	if (it == NULL)
		return NULL;
	if (cJSON_IsString(it))
		return it->valuestring;
	if (cJSON_IsNumber(it)) {
		double d = it->valuedouble;
		if (isfinite(d) && d == floor(d) && fabs(d) < 1e15)
			snprintf(buf, cap, "%lld", (long long)d);
		else
			snprintf(buf, cap, "%.17g", d);
		return buf;
	}
	if (cJSON_IsBool(it))
		return cJSON_IsTrue(it) ? "true" : "false";
	return NULL;
}

/* The query's `AS int`: whole numbers only (anything else is null). */
static bool
seed_int(const cJSON *it, long *out)
{
	double d;

	if (!cJSON_IsNumber(it))
		return false;
	d = it->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > 2147483647.0)
		return false;
	*out = (long)d;
	return true;
}

static const long seed_sensitive[] = {
	22, 23, 3389, 1433, 3306, 5432, 5984, 6379, 7000, 7001, 8020,
	8086, 8888, 9042, 9160, 9200, 9300, 11211, 27017, 27018, 27019, 50070,
};

static bool
seed_in_list(long p)
{
	size_t i;

	for (i = 0; i < sizeof(seed_sensitive) / sizeof(seed_sensitive[0]); i++)
		if (seed_sensitive[i] == p)
			return true;
	return false;
}

/*
 * The first permission as the query reads it: requestParameters.
 * ipPermissions[0]. CloudTrail renders the list as {"items": [...]}, so
 * "[0]" is taken to mean the first item (docs/events.md, "first permission").
 */
static const cJSON *
seed_first_perm(const cJSON *rp)
{
	const cJSON *ip = get(rp, "ipPermissions");

	if (cJSON_IsArray(ip))
		return cJSON_GetArrayItem(ip, 0);
	ip = get(ip, "items");
	if (cJSON_IsArray(ip))
		return cJSON_GetArrayItem(ip, 0);
	return NULL;
}

static enum sg_status
score_seed(struct sg_ct_scan *s, const cJSON *rec, const char *raw, size_t raw_len,
           const char *origin, struct sg_error *err)
{
	char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], b7[32], b8[32], b9[32], b10[32];
	char port_info[64], message[1024];
	const cJSON *ui = get(rec, "userIdentity"), *rp = get(rec, "requestParameters");
	const cJSON *perm;
	const char *name, *group_id, *group_name, *proto, *group;
	long from = 0, to = 0, v;
	bool sensitive, all, authorize;
	struct sg_ct_alert a;

	if (memmem(raw, raw_len, "0.0.0.0/0", 9) == NULL && memmem(raw, raw_len, "::/0", 4) == NULL)
		return SG_OK;
	name = seed_str(get(rec, "eventName"), b1, sizeof(b1));
	perm = seed_first_perm(rp);
	if (seed_int(get(perm, "fromPort"), &v))
		from = v;
	if (seed_int(get(perm, "toPort"), &v))
		to = v;
	proto = seed_str(get(perm, "ipProtocol"), b2, sizeof(b2));
	sensitive = seed_in_list(from) || seed_in_list(to) || (from <= 22 && to >= 22) ||
	    (from <= 3389 && to >= 3389);
	all = (proto != NULL && strcmp(proto, "-1") == 0) || (from == 0 && to == 65535);
	authorize = name != NULL && strstr(name, "Authorize") != NULL;

	memset(&a, 0, sizeof(a));
	a.seed = true;
	a.risk = authorize && all ? 100 : authorize && sensitive ? 90 : authorize ? 75 : 40;
	a.action = authorize ? "opened" : "closed";
	if (all)
		snprintf(port_info, sizeof(port_info), "all ports");
	else
		snprintf(port_info, sizeof(port_info), "port(s) %ld-%ld", from, to);
	group_id = seed_str(get(rp, "groupId"), b3, sizeof(b3));
	group_name = seed_str(get(rp, "groupName"), b4, sizeof(b4));
	group = group_id ? group_id : group_name;
	snprintf(message, sizeof(message), "Security group %s to internet: %s on group %s",
	    a.action, port_info, group ? group : "unknown");
	a.timestamp = nz(seed_str(get(rec, "eventTime"), b5, sizeof(b5)));
	a.event_id = nz(seed_str(get(rec, "eventID"), b6, sizeof(b6)));
	a.event_name = nz(name);
	a.account = nz(seed_str(get(ui, "accountId"), b7, sizeof(b7)));
	a.group = nz(group);
	a.user = nz(seed_str(get(ui, "arn"), b8, sizeof(b8)));
	a.source_ip = nz(seed_str(get(rec, "sourceIPAddress"), b9, sizeof(b9)));
	a.region = nz(seed_str(get(rec, "awsRegion"), b10, sizeof(b10)));
	a.protocol = nz(proto);
	a.port_info = port_info;
	a.message = message;
	a.direction = a.sources = a.kind = "";
	a.origin = origin;
	return emit(s, &a, err);
}

/* ---- default scoring ------------------------------------------------------------------ */

static enum sg_status
grow_perms(struct sg_ct_scan *s, struct sg_error *err)
{
	struct ct_perm *p;
	size_t cap;

	if (s->n_perms < s->perms_cap)
		return SG_OK;
	cap = s->perms_cap ? s->perms_cap * 2 : 16;
	p = realloc(s->perms, cap * sizeof(*p));
	if (p == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	s->perms = p;
	s->perms_cap = cap;
	return SG_OK;
}

static enum sg_status
grow_srcs(struct sg_ct_scan *s, struct sg_error *err)
{
	struct ct_src *p;
	const struct sg_cidr **q;
	size_t cap;

	if (s->n_srcs < s->srcs_cap)
		return SG_OK;
	cap = s->srcs_cap ? s->srcs_cap * 2 : 32;
	p = realloc(s->srcs, cap * sizeof(*p));
	if (p == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	s->srcs = p;
	q = realloc(s->cidr_ptrs, cap * sizeof(*q));
	if (q == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	s->cidr_ptrs = q;
	s->srcs_cap = cap;
	return SG_OK;
}

/* Outcome of reading a record's permissions. */
enum rd { RD_OK = 0, RD_BAD, RD_FATAL };

struct reader {
	struct sg_ct_scan *s;
	struct sg_error *err;      /* fatal errors (ENOMEM) */
	char bad[512];             /* what is wrong with the record */
};

static enum rd
bad(struct reader *r, const char *fmt, ...) SG_PRINTF(2, 3);

static enum rd
bad(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->bad, sizeof(r->bad), fmt, ap);
	va_end(ap);
	return RD_BAD;
}

static enum rd
add_src_cidr(struct reader *r, const char *text, int family, const char *field)
{
	struct ct_src *src;
	char shown[96];

	if (r->s->n_srcs >= SG_CT_MAX_SOURCES)
		return bad(r, "more than %d sources in one event", SG_CT_MAX_SOURCES);
	if (grow_srcs(r->s, r->err) != SG_OK)
		return RD_FATAL;
	src = &r->s->srcs[r->s->n_srcs];
	memset(src, 0, sizeof(*src));
	if (!sg_cidr_parse(sg_str_from(text), family, &src->cidr)) {
		sg_ct_sanitize(text, shown, sizeof(shown));
		return bad(r, "%s '%s' is not an IPv%d CIDR", field, shown, family);
	}
	src->kind = family == 4 ? SG_SRC_CIDR4 : SG_SRC_CIDR6;
	r->s->n_srcs++;
	return RD_OK;
}

static enum rd
add_src_pl(struct reader *r, const char *id)
{
	struct ct_src *src;

	if (r->s->n_srcs >= SG_CT_MAX_SOURCES)
		return bad(r, "more than %d sources in one event", SG_CT_MAX_SOURCES);
	if (grow_srcs(r->s, r->err) != SG_OK)
		return RD_FATAL;
	src = &r->s->srcs[r->s->n_srcs++];
	memset(src, 0, sizeof(*src));
	src->kind = SG_SRC_PREFIX_LIST;
	src->prefix_list = id;
	return RD_OK;
}

/* Start a permission: protocol and ports, validated and normalized. */
static enum rd
begin_perm(struct reader *r, const cJSON *obj, const char *k_proto, const char *k_from,
           const char *k_to, int index)
{
	struct ct_perm *p;
	const char *proto;
	char shown[64];
	bool has_from, has_to;
	int from = 0, to = 0;
	struct sg_error nerr;

	if (!str_field(obj, k_proto, &proto))
		return bad(r, "permission %d: %s is not a string", index, k_proto);
	if (proto == NULL)
		return bad(r, "permission %d: %s is missing", index, k_proto);
	if (!int_field(obj, k_from, &has_from, &from))
		return bad(r, "permission %d: %s is not a whole number", index, k_from);
	if (!int_field(obj, k_to, &has_to, &to))
		return bad(r, "permission %d: %s is not a whole number", index, k_to);
	if (grow_perms(r->s, r->err) != SG_OK)
		return RD_FATAL;
	p = &r->s->perms[r->s->n_perms];
	memset(p, 0, sizeof(*p));
	p->index = index;
	p->direction = "ingress";
	p->protocol_raw = proto;
	if (!sg_protocol_parse(proto, &p->rule.protocol)) {
		sg_ct_sanitize(proto, shown, sizeof(shown));
		return bad(r, "permission %d: %s '%s' is not a protocol", index, k_proto, shown);
	}
	/* One port without the other: treat the missing one as the same value. */
	p->rule.has_ports = has_from || has_to;
	p->rule.raw_from = has_from ? from : to;
	p->rule.raw_to = has_to ? to : from;
	sg_err_init(&nerr);
	if (!sg_rule_normalize(&p->rule, &nerr))
		return bad(r, "permission %d: %s", index, nerr.msg);
	p->src_first = r->s->n_srcs;
	return RD_OK;
}

static void
end_perm(struct reader *r)
{
	struct ct_perm *p = &r->s->perms[r->s->n_perms];

	p->n_src = r->s->n_srcs - p->src_first;
	r->s->n_perms++;
}

/* Walk {"items":[{key: value}]} sources of one kind. */
static enum rd
read_sources(struct reader *r, const cJSON *perm, int index, const char *list_key,
             const char *item_key, int family)
{
	const cJSON *items, *it;
	const char *v;
	enum rd rc;

	if (!item_list(get(perm, list_key), &items))
		return bad(r, "permission %d: %s is not a list", index, list_key);
	cJSON_ArrayForEach(it, items) {
		if (!cJSON_IsObject(it))
			return bad(r, "permission %d: an item of %s is not an object", index, list_key);
		if (!str_field(it, item_key, &v))
			return bad(r, "permission %d: %s.%s is not a string", index, list_key, item_key);
		if (v == NULL)
			continue;
		rc = family ? add_src_cidr(r, v, family, item_key) : add_src_pl(r, v);
		if (rc != RD_OK)
			return rc;
	}
	return RD_OK;
}

/* Authorize/Revoke request permissions: {"items": [{ipProtocol, fromPort, toPort, ...}]}. */
static enum rd
read_ip_permissions(struct reader *r, const cJSON *rp)
{
	const cJSON *items, *perm;
	int index = 0;
	enum rd rc;

	if (!item_list(get(rp, "ipPermissions"), &items))
		return bad(r, "requestParameters.ipPermissions is not a list");
	cJSON_ArrayForEach(perm, items) {
		if (!cJSON_IsObject(perm))
			return bad(r, "permission %d is not an object", index);
		if ((rc = begin_perm(r, perm, "ipProtocol", "fromPort", "toPort", index)) != RD_OK)
			return rc;
		if ((rc = read_sources(r, perm, index, "ipRanges", "cidrIp", 4)) != RD_OK ||
		    (rc = read_sources(r, perm, index, "ipv6Ranges", "cidrIpv6", 6)) != RD_OK ||
		    (rc = read_sources(r, perm, index, "prefixListIds", "prefixListId", 0)) != RD_OK)
			return rc;
		/* groups: never the internet; only checked for shape. */
		{
			const cJSON *g;
			if (!item_list(get(perm, "groups"), &g))
				return bad(r, "permission %d: groups is not a list", index);
		}
		end_perm(r);
		index++;
	}
	return RD_OK;
}

/* The legacy flat form: ipProtocol/fromPort/toPort/cidrIp at the top of requestParameters. */
static enum rd
read_flat(struct reader *r, const cJSON *rp)
{
	const char *cidr;
	enum rd rc;

	if (absent(get(rp, "ipProtocol")))
		return RD_OK;
	if ((rc = begin_perm(r, rp, "ipProtocol", "fromPort", "toPort", 0)) != RD_OK)
		return rc;
	if (!str_field(rp, "cidrIp", &cidr))
		return bad(r, "requestParameters.cidrIp is not a string");
	if (cidr != NULL && (rc = add_src_cidr(r, cidr, 4, "cidrIp")) != RD_OK)
		return rc;
	end_perm(r);
	return RD_OK;
}

/*
 * Rule-set items as in responseElements (securityGroupRuleSet,
 * revokedSecurityGroupRuleSet): one source each, isEgress per item.
 */
static enum rd
read_rule_set(struct reader *r, const cJSON *set, const char *name, bool want_egress)
{
	const cJSON *items, *it, *eg;
	const char *v;
	int index = 0;
	enum rd rc;

	if (!item_list(set, &items))
		return bad(r, "responseElements.%s is not a list", name);
	cJSON_ArrayForEach(it, items) {
		if (!cJSON_IsObject(it))
			return bad(r, "%s item %d is not an object", name, index);
		eg = get(it, "isEgress");
		if (!absent(eg) && !cJSON_IsBool(eg))
			return bad(r, "%s item %d: isEgress is not a boolean", name, index);
		if (cJSON_IsTrue(eg) != want_egress) {
			index++;
			continue;
		}
		if ((rc = begin_perm(r, it, "ipProtocol", "fromPort", "toPort", index)) != RD_OK)
			return rc;
		if (!str_field(it, "cidrIpv4", &v))
			return bad(r, "%s item %d: cidrIpv4 is not a string", name, index);
		if (v != NULL && (rc = add_src_cidr(r, v, 4, "cidrIpv4")) != RD_OK)
			return rc;
		if (!str_field(it, "cidrIpv6", &v))
			return bad(r, "%s item %d: cidrIpv6 is not a string", name, index);
		if (v != NULL && (rc = add_src_cidr(r, v, 6, "cidrIpv6")) != RD_OK)
			return rc;
		if (!str_field(it, "prefixListId", &v))
			return bad(r, "%s item %d: prefixListId is not a string", name, index);
		if (v != NULL && (rc = add_src_pl(r, v)) != RD_OK)
			return rc;
		end_perm(r);
		index++;
	}
	return RD_OK;
}

/*
 * ModifySecurityGroupRules: requestParameters.ModifySecurityGroupRulesRequest
 * .SecurityGroupRule is one object or an array; each holds
 * SecurityGroupRule{IpProtocol, FromPort, ToPort, CidrIpv4|CidrIpv6|PrefixListId|ReferencedGroupId}.
 */
static enum rd
read_modify(struct reader *r, const cJSON *req)
{
	const cJSON *list = get(req, "SecurityGroupRule"), *upd, *rule;
	const char *v;
	int index = 0;
	enum rd rc;

	if (absent(list))
		return RD_OK;
	if (!cJSON_IsObject(list) && !cJSON_IsArray(list))
		return bad(r, "ModifySecurityGroupRulesRequest.SecurityGroupRule is not an object or list");
	for (upd = cJSON_IsArray(list) ? list->child : list; upd != NULL;
	     upd = cJSON_IsArray(list) ? upd->next : NULL) {
		if (!cJSON_IsObject(upd))
			return bad(r, "rule update %d is not an object", index);
		rule = get(upd, "SecurityGroupRule");
		if (!cJSON_IsObject(rule))
			return bad(r, "rule update %d: SecurityGroupRule is not an object", index);
		if ((rc = begin_perm(r, rule, "IpProtocol", "FromPort", "ToPort", index)) != RD_OK)
			return rc;
		if (!str_field(upd, "SecurityGroupRuleId", &v))
			return bad(r, "rule update %d: SecurityGroupRuleId is not a string", index);
		/* The request names the rule only; its creation, if seen, said which way it goes. */
		r->s->perms[r->s->n_perms].direction = v == NULL ? "unknown"
		    : idset_has(&r->s->rules_egress, v) ? "egress"
		    : idset_has(&r->s->rules_ingress, v) ? "ingress" : "unknown";
		if (!str_field(rule, "CidrIpv4", &v))
			return bad(r, "rule update %d: CidrIpv4 is not a string", index);
		if (v != NULL && (rc = add_src_cidr(r, v, 4, "CidrIpv4")) != RD_OK)
			return rc;
		if (!str_field(rule, "CidrIpv6", &v))
			return bad(r, "rule update %d: CidrIpv6 is not a string", index);
		if (v != NULL && (rc = add_src_cidr(r, v, 6, "CidrIpv6")) != RD_OK)
			return rc;
		if (!str_field(rule, "PrefixListId", &v))
			return bad(r, "rule update %d: PrefixListId is not a string", index);
		if (v != NULL && (rc = add_src_pl(r, v)) != RD_OK)
			return rc;
		end_perm(r);
		index++;
	}
	return RD_OK;
}

static const char *
kind_name(enum sg_exposure_kind k)
{
	switch (k) {
	case SG_EXPOSE_ALL_TRAFFIC: return "all-traffic";
	case SG_EXPOSE_SENSITIVE: return "sensitive-port";
	case SG_EXPOSE_PORTS: return "port";
	case SG_EXPOSE_ICMP: return "icmp";
	case SG_EXPOSE_AUTHORIZED: return "authorized-port";
	case SG_EXPOSE_NONE: break;
	}
	return "none";
}

static void
format_port_info(const struct ct_perm *p, char *buf, size_t cap)
{
	const struct sg_rule *r = &p->rule;
	const char *icmp = r->protocol == SG_PROTO_ICMPV6 ? "ICMPv6" : "ICMP";

	if (sg_rule_is_all_traffic(r))
		snprintf(buf, cap, "all ports");
	else if (sg_protocol_has_ports(r->protocol))
		snprintf(buf, cap, "port(s) %d-%d", r->from_port, r->to_port);
	else if (sg_protocol_is_icmp(r->protocol) && (!r->has_ports || r->raw_from == -1))
		snprintf(buf, cap, "all %s types", icmp);
	else if (sg_protocol_is_icmp(r->protocol) && r->raw_to == -1)
		snprintf(buf, cap, "%s type %d, all codes", icmp, r->raw_from);
	else if (sg_protocol_is_icmp(r->protocol))
		snprintf(buf, cap, "%s type %d code %d", icmp, r->raw_from, r->raw_to);
	else
		snprintf(buf, cap, "all of protocol %d", r->protocol);
}

/* Append text to a fixed buffer, keeping it NUL-terminated and marking a cut. */
static void
cat(char *buf, size_t cap, const char *fmt, ...) SG_PRINTF(3, 4);

static void
cat(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;
	int w;

	if (n + 1 >= cap)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
	if (w >= 0 && (size_t)w >= cap - n && cap > 4)
		memcpy(buf + cap - 4, "...", 4);
}

/*
 * Which of a permission's sources are the internet: a parsed 0.0.0.0/0 or
 * ::/0, or IPv4 (IPv6) CIDRs whose union covers the whole family
 * (sg-semantics.md §2). Fills `text` and says whether any was found.
 */
static bool
internet_sources(struct sg_ct_scan *s, const struct ct_perm *p, char *text, size_t cap)
{
	static const int families[2] = { 4, 6 };
	char c[SG_CIDR_TEXT_MAX];
	size_t i, f, n;
	bool found = false;

	text[0] = '\0';
	for (i = p->src_first; i < p->src_first + p->n_src; i++) {
		const struct ct_src *src = &s->srcs[i];
		if (src->kind == SG_SRC_PREFIX_LIST || !sg_cidr_is_internet(&src->cidr))
			continue;
		sg_cidr_format(&src->cidr, c, sizeof(c));
		cat(text, cap, "%s%s", found ? ", " : "", c);
		found = true;
	}
	for (f = 0; f < 2; f++) {
		bool has_internet = false;
		enum sg_source_kind want = families[f] == 4 ? SG_SRC_CIDR4 : SG_SRC_CIDR6;

		n = 0;
		for (i = p->src_first; i < p->src_first + p->n_src; i++) {
			if (s->srcs[i].kind != want)
				continue;
			if (sg_cidr_is_internet(&s->srcs[i].cidr))
				has_internet = true;
			s->cidr_ptrs[n++] = &s->srcs[i].cidr;
		}
		if (has_internet || n < 2 || !sg_cidr_union_covers_all(s->cidr_ptrs, n, families[f]))
			continue;
		/* Effectively open: name every CIDR of the family. */
		cat(text, cap, "%s", found ? ", " : "");
		for (i = 0; i < n; i++) {
			sg_cidr_format(s->cidr_ptrs[i], c, sizeof(c));
			cat(text, cap, "%s%s", i ? " + " : "", c);
		}
		cat(text, cap, " (together all of IPv%d)", families[f]);
		found = true;
	}
	return found;
}

static bool
prefix_lists(struct sg_ct_scan *s, const struct ct_perm *p, char *text, size_t cap,
             bool after)
{
	char shown[96];
	size_t i;
	bool found = false;

	for (i = p->src_first; i < p->src_first + p->n_src; i++) {
		const struct ct_src *src = &s->srcs[i];
		if (src->kind != SG_SRC_PREFIX_LIST)
			continue;
		sg_ct_sanitize(src->prefix_list, shown, sizeof(shown));
		cat(text, cap, "%sprefix list %s (contents unknown)", after || found ? ", " : "",
		    shown);
		found = true;
	}
	return found;
}

/*
 * Remember the rule ids an Authorize created (responseElements.
 * securityGroupRuleSet items: securityGroupRuleId, isEgress). Optional
 * data: items of another shape are passed over, not reported.
 */
static enum sg_status
learn_rules(struct sg_ct_scan *s, const cJSON *rec, struct sg_error *err)
{
	const cJSON *items, *it;
	bool seen;
	enum sg_status st;

	if (!item_list(get(get(rec, "responseElements"), "securityGroupRuleSet"), &items))
		return SG_OK;
	cJSON_ArrayForEach(it, items) {
		const cJSON *id = get(it, "securityGroupRuleId"), *eg = get(it, "isEgress");
		if (!cJSON_IsString(id) || !cJSON_IsBool(eg))
			continue;
		st = idset_add(cJSON_IsTrue(eg) ? &s->rules_egress : &s->rules_ingress,
		    id->valuestring, &seen, err);
		if (st != SG_OK)
			return st;
	}
	return SG_OK;
}

static enum sg_status
score_default(struct sg_ct_scan *s, const cJSON *rec, enum sg_ct_event ev,
              struct ct_common *c, struct sg_error *err)
{
	const cJSON *rp = get(rec, "requestParameters"), *req = NULL;
	struct reader r = { s, err, "" };
	enum rd rc = RD_OK;
	bool revoke = ev == SG_CT_EV_REVOKE_INGRESS;
	size_t i;
	enum sg_status st;

	if (ev == SG_CT_EV_AUTHORIZE_INGRESS || ev == SG_CT_EV_AUTHORIZE_EGRESS) {
		if ((st = learn_rules(s, rec, err)) != SG_OK)
			return st;
	}
	/* Egress rules are not exposure to the internet; CreateSecurityGroup carries no rules. */
	if (ev == SG_CT_EV_AUTHORIZE_EGRESS || ev == SG_CT_EV_REVOKE_EGRESS ||
	    ev == SG_CT_EV_CREATE_GROUP)
		return SG_OK;
	if (!absent(rp) && !cJSON_IsObject(rp)) {
		rc = bad(&r, "requestParameters is not an object");
		goto done;
	}
	s->n_perms = 0;
	s->n_srcs = 0;
	if (ev == SG_CT_EV_MODIFY_RULES) {
		const char *gid;
		req = get(rp, "ModifySecurityGroupRulesRequest");
		if (!absent(req) && !cJSON_IsObject(req)) {
			rc = bad(&r, "ModifySecurityGroupRulesRequest is not an object");
			goto done;
		}
		if (!str_field(req, "GroupId", &gid)) {
			rc = bad(&r, "ModifySecurityGroupRulesRequest.GroupId is not a string");
			goto done;
		}
		if (gid != NULL)
			c->group = gid;
		rc = read_modify(&r, req);
	} else {
		rc = read_ip_permissions(&r, rp);
		if (rc == RD_OK && s->n_perms == 0)
			rc = read_flat(&r, rp);
		if (rc == RD_OK && s->n_perms == 0 && revoke)
			rc = read_rule_set(&r, get(get(rec, "responseElements"),
			    "revokedSecurityGroupRuleSet"), "revokedSecurityGroupRuleSet", false);
	}
done:
	if (rc == RD_FATAL)
		return err->status ? err->status : SG_ENOMEM;
	if (rc == RD_BAD) {
		s->st.bad_records++;
		sg_ct_warnf(s, "%s: %s; record skipped", c->where, r.bad);
		return SG_OK;
	}
	for (i = 0; i < s->n_perms; i++) {
		const struct ct_perm *p = &s->perms[i];
		char sources[1024], port_info[96], message[1536];
		struct sg_exposure x;
		struct sg_ct_alert a;
		bool inet, pl;

		/* A modified rule known to be egress is not exposure (its creation was seen). */
		if (strcmp(p->direction, "egress") == 0)
			continue;
		inet = internet_sources(s, p, sources, sizeof(sources));
		pl = prefix_lists(s, p, sources, sizeof(sources), inet);
		if (!inet && !pl)
			continue;
		memset(&a, 0, sizeof(a));
		format_port_info(p, port_info, sizeof(port_info));
		a.action = revoke ? "closed" : "opened";
		if (inet) {
			sg_exposure_score(s->o.params, p->rule.protocol, p->rule.from_port,
			    p->rule.to_port, &x);
			a.risk = revoke ? 40 : x.risk;
			a.kind = kind_name(x.kind);
			a.sensitive_ports = x.sensitive_ports;
			a.n_sensitive = x.n_sensitive < SG_MAX_LISTED_PORTS ? x.n_sensitive
			    : SG_MAX_LISTED_PORTS;
			a.n_sensitive_total = x.n_sensitive;
			snprintf(message, sizeof(message), "Security group %s to internet: %s on group %s",
			    a.action, port_info, c->group ? c->group : "unknown");
		} else {
			/* Prefix lists cannot be resolved offline: reported, not scored. */
			a.risk = 0;
			a.kind = "prefix-list-unknown";
			snprintf(message, sizeof(message),
			    "Security group rule with a prefix list (contents unknown, not scored) %s: "
			    "%s on group %s", revoke ? "revoked" : "added", port_info,
			    c->group ? c->group : "unknown");
		}
		a.timestamp = nz(c->time);
		a.event_id = nz(c->event_id);
		a.event_name = c->event_name;
		a.account = nz(c->account);
		a.group = nz(c->group);
		a.user = nz(c->user);
		a.source_ip = nz(c->source_ip);
		a.region = nz(c->region);
		a.protocol = nz(p->protocol_raw);
		a.port_info = port_info;
		a.message = message;
		a.direction = p->direction;
		a.sources = sources;
		a.perm_index = p->index;
		a.origin = c->origin;
		if ((st = emit(s, &a, err)) != SG_OK)
			return st;
	}
	return SG_OK;
}

/* ---- the record entry point ------------------------------------------------------------- */

static bool
region_wanted(const struct sg_ct_options *o, const char *region)
{
	size_t i;

	if (o->regions == NULL)
		return true;
	for (i = 0; region != NULL && i < o->n_regions; i++)
		if (strcmp(o->regions[i], region) == 0)
			return true;
	return false;
}

enum sg_status
sg_ct_scan_record(struct sg_ct_scan *s, const cJSON *rec, const char *raw, size_t raw_len,
                  const char *origin, long index, struct sg_error *err)
{
	struct ct_common c;
	const cJSON *ui, *name_it, *id_it, *ec;
	char idshown[96], b[32];
	enum sg_ct_event ev;
	bool seed = s->o.seed_compatible, seen;
	enum sg_status st;

	s->st.records++;
	/* Most records are not one of the six: decide that before any formatting. */
	name_it = cJSON_IsObject(rec) ? get(rec, "eventName") : NULL;
	if (cJSON_IsObject(rec) && (cJSON_IsString(name_it) || (seed && !absent(name_it)) ||
	    absent(name_it))) {
		c.event_name = seed ? seed_str(name_it, b, sizeof(b))
		    : cJSON_IsString(name_it) ? name_it->valuestring : NULL;
		if (sg_ct_event_from_name(c.event_name) == SG_CT_EV_NONE)
			return SG_OK;
	}
	memset(&c, 0, sizeof(c));
	if (index >= 0)
		snprintf(c.origin, sizeof(c.origin), "%s record %ld", origin, index);
	else
		snprintf(c.origin, sizeof(c.origin), "%s", origin);
	if (!cJSON_IsObject(rec)) {
		s->st.bad_records++;
		sg_ct_warnf(s, "%s: not a JSON object; record skipped", c.origin);
		return SG_OK;
	}
	id_it = get(rec, "eventID");
	sg_ct_sanitize(cJSON_IsString(id_it) ? id_it->valuestring : NULL, idshown, sizeof(idshown));
	snprintf(c.where, sizeof(c.where), "%s%s%s%s", c.origin, idshown[0] ? " (eventID " : "",
	    idshown, idshown[0] ? ")" : "");
	if (seed) {
		c.event_name = seed_str(name_it, b, sizeof(b));
	} else {
		if (!absent(name_it) && !cJSON_IsString(name_it)) {
			s->st.bad_records++;
			sg_ct_warnf(s, "%s: eventName is not a string; record skipped", c.where);
			return SG_OK;
		}
		c.event_name = cJSON_IsString(name_it) ? name_it->valuestring : NULL;
	}
	ev = sg_ct_event_from_name(c.event_name);
	if (ev == SG_CT_EV_NONE)
		return SG_OK;
	if (!seed) {
		const char *src;
		if (!str_field(rec, "eventSource", &src)) {
			s->st.bad_records++;
			sg_ct_warnf(s, "%s: eventSource is not a string; record skipped", c.where);
			return SG_OK;
		}
		/* The six names belong to EC2; the same name from elsewhere is not this event. */
		if (src != NULL && strcmp(src, "ec2.amazonaws.com") != 0)
			return SG_OK;
	}
	s->st.sg_events++;

	/* Duplicates: CloudTrail may deliver a record twice (aws-protocol.md §8.2). */
	if (cJSON_IsString(id_it) && id_it->valuestring[0] != '\0') {
		if ((st = idset_add(&s->ids, id_it->valuestring, &seen, err)) != SG_OK)
			return st;
		if (seen) {
			s->st.duplicates++;
			return SG_OK;
		}
	} else if (!seed && !absent(id_it) && !cJSON_IsString(id_it)) {
		s->st.bad_records++;
		sg_ct_warnf(s, "%s: eventID is not a string; record skipped", c.where);
		return SG_OK;
	}

	/* Successful events only: no errorCode (an empty one counts as none, as in the query). */
	ec = get(rec, "errorCode");
	if (seed) {
		/* coalesce(errorCode AS string, '') == '': numbers and booleans are text, objects null. */
		char eb[32];
		const char *e = seed_str(ec, eb, sizeof(eb));
		if (e != NULL && e[0] != '\0') {
			s->st.failed++;
			return SG_OK;
		}
	} else if (!absent(ec)) {
		if (cJSON_IsString(ec)) {
			if (ec->valuestring[0] != '\0') {
				s->st.failed++;
				return SG_OK;
			}
		} else {
			s->st.bad_records++;
			sg_ct_warnf(s, "%s: errorCode is not a string; record skipped", c.where);
			return SG_OK;
		}
	}

	if (!seed) {
		ui = get(rec, "userIdentity");
		if ((!absent(ui) && !cJSON_IsObject(ui)) || !str_field(rec, "eventTime", &c.time) ||
		    !str_field(rec, "awsRegion", &c.region) ||
		    !str_field(rec, "sourceIPAddress", &c.source_ip) ||
		    !str_field(rec, "recipientAccountId", &c.account)) {
			s->st.bad_records++;
			sg_ct_warnf(s, "%s: a top-level field has the wrong type; record skipped", c.where);
			return SG_OK;
		}
		{
			const char *acct, *arn, *uname, *inv, *pid, *gid, *gname;
			const cJSON *rp = get(rec, "requestParameters");
			if (!str_field(ui, "accountId", &acct) || !str_field(ui, "arn", &arn) ||
			    !str_field(ui, "userName", &uname) || !str_field(ui, "invokedBy", &inv) ||
			    !str_field(ui, "principalId", &pid) || !str_field(rp, "groupId", &gid) ||
			    !str_field(rp, "groupName", &gname)) {
				s->st.bad_records++;
				sg_ct_warnf(s, "%s: a userIdentity or requestParameters field has the wrong "
				    "type; record skipped", c.where);
				return SG_OK;
			}
			/* The account that owns the group; the caller's when that is absent. */
			if (c.account == NULL)
				c.account = acct;
			c.user = arn ? arn : uname ? uname : inv ? inv : pid;
			c.group = gid ? gid : gname;
		}
		c.event_id = cJSON_IsString(id_it) ? id_it->valuestring : NULL;
	} else {
		c.time = cJSON_IsString(get(rec, "eventTime")) ? get(rec, "eventTime")->valuestring : NULL;
		c.region = cJSON_IsString(get(rec, "awsRegion")) ? get(rec, "awsRegion")->valuestring
		    : NULL;
	}

	/* --since/--until/--regions select input; they apply in both modes. */
	if (s->o.since || s->o.until) {
		time_t t;
		if (c.time == NULL || !sg_time_parse_iso8601(c.time, &t)) {
			char shown[96];
			sg_ct_sanitize(c.time, shown, sizeof(shown));
			s->st.bad_records++;
			sg_ct_warnf(s, "%s: eventTime '%s' is not an ISO-8601 time; record skipped",
			    c.where, shown);
			return SG_OK;
		}
		if ((s->o.since && t < s->o.since) || (s->o.until && t > s->o.until)) {
			s->st.filtered++;
			return SG_OK;
		}
	}
	if (!region_wanted(&s->o, c.region)) {
		s->st.filtered++;
		return SG_OK;
	}
	s->st.scored++;
	if (seed)
		return score_seed(s, rec, raw, raw_len, c.origin, err);
	return score_default(s, rec, ev, &c, err);
}

enum sg_status
sg_ct_scan_record_json(struct sg_ct_scan *s, const char *json, size_t len, const char *origin,
                       struct sg_error *err)
{
	const char *end = NULL;
	cJSON *rec;
	enum sg_status st;

	if (len > SG_CT_MAX_RECORD_BYTES) {
		s->st.records++;
		s->st.bad_records++;
		sg_ct_warnf(s, "%s: record is %zu bytes, over the %zu-byte cap; skipped", origin, len,
		    SG_CT_MAX_RECORD_BYTES);
		return SG_OK;
	}
	s->st.bytes_json += len;
	rec = cJSON_ParseWithLengthOpts(json, len, &end, false);
	if (rec == NULL) {
		size_t depth = 0;
		s->st.records++;
		s->st.bad_records++;
		if (sg_ct_skip_value(json, json + len, &depth) != NULL && depth > CJSON_NESTING_LIMIT)
			sg_ct_warnf(s, "%s: JSON nested deeper than %d levels; record skipped", origin,
			    CJSON_NESTING_LIMIT);
		else
			sg_ct_warnf(s, "%s: invalid JSON at byte %td; record skipped", origin,
			    end ? end - json : 0);
		return SG_OK;
	}
	st = sg_ct_scan_record(s, rec, json, len, origin, -1, err);
	cJSON_Delete(rec);
	return st;
}

/* ---- NDJSON ------------------------------------------------------------------------------ */

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static enum sg_status
jstr(struct sg_buf *b, const char *s, struct sg_error *err)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s), *run;
	enum sg_status st;

	if ((st = sg_buf_append_char(b, '"', err)) != SG_OK)
		return st;
	while (p < end) {
		size_t n;
		run = p;
		while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
			p++;
		if (p > run && (st = sg_buf_append(b, run, (size_t)(p - run), err)) != SG_OK)
			return st;
		if (p >= end)
			break;
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };
			st = sg_buf_append(b, esc, 2, err);
			p++;
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			char esc[2] = { '\\', *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r' };
			st = sg_buf_append(b, esc, 2, err);
			p++;
		} else if (*p < 0x20) {
			st = sg_buf_appendf(b, err, "\\u%04x", *p);
			p++;
		} else if ((n = utf8_len(p, end)) > 0) {
			st = sg_buf_append(b, p, n, err);
			p += n;
		} else {
			st = sg_buf_append(b, "\xef\xbf\xbd", 3, err); /* U+FFFD */
			p++;
		}
		if (st != SG_OK)
			return st;
	}
	return sg_buf_append_char(b, '"', err);
}

/* "key": "value" with a leading comma unless first. */
static enum sg_status
kv(struct sg_buf *b, bool first, const char *k, const char *v, struct sg_error *err)
{
	enum sg_status st;

	if (!first && (st = sg_buf_append_char(b, ',', err)) != SG_OK)
		return st;
	if ((st = jstr(b, k, err)) != SG_OK || (st = sg_buf_append_char(b, ':', err)) != SG_OK)
		return st;
	return jstr(b, v, err);
}

static void
upper(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < cap; i++)
		out[i] = (in[i] >= 'a' && in[i] <= 'z') ? (char)(in[i] - 'a' + 'A') : in[i];
	out[i] = '\0';
}

enum sg_status
sg_ct_alert_ndjson(const struct sg_ct_alert *a, struct sg_buf *b, struct sg_error *err)
{
	char sev_up[16];
	const char *sev = sg_severity_name(a->severity);
	enum sg_status st = SG_OK;
	size_t i;

	upper(sev, sev_up, sizeof(sev_up));
#define T(x) do { if ((st = (x)) != SG_OK) return st; } while (0)
#define LIT(s) T(sg_buf_append(b, s, sizeof(s) - 1, err))
	LIT("{");
	T(kv(b, true, "timestamp", a->timestamp, err));
	LIT(",\"event\":{");
	T(kv(b, true, "start", a->timestamp, err));
	T(kv(b, false, "end", a->timestamp, err));
	if (!a->seed) {
		T(kv(b, false, "id", a->event_id, err));
		T(sg_buf_appendf(b, err, ",\"risk_score\":%d", a->risk));
	}
	LIT("}");
	T(kv(b, false, "message", a->message, err));
	LIT(",\"labels\":{");
	T(kv(b, true, "Severity", sev_up, err));
	T(kv(b, false, "Account", a->account, err));
	T(kv(b, false, "Security Group", a->group, err));
	T(kv(b, false, "User", a->user, err));
	T(kv(b, false, "Source IP", a->source_ip, err));
	T(kv(b, false, "Event", a->event_name, err));
	T(kv(b, false, "Region", a->region, err));
	T(kv(b, false, "Protocol", a->protocol[0] ? a->protocol : "unknown", err));
	T(kv(b, false, "Port Range", a->port_info, err));
	T(kv(b, false, "Action", a->action, err));
	T(kv(b, false, "Tactic", "Defense Evasion", err));
	T(kv(b, false, "Technique", "T1562.007", err));
	LIT("},\"host\":{");
	T(kv(b, true, "name", a->account, err));
	LIT("},\"user\":{");
	T(kv(b, true, "name", a->user, err));
	LIT("},\"source\":{");
	T(kv(b, true, "ip", a->source_ip, err));
	LIT("},\"cloud\":{");
	T(kv(b, true, "region", a->region, err));
	LIT(",\"service\":{\"name\":\"ec2\"}},\"network\":{");
	T(kv(b, true, "protocol", a->protocol, err));
	LIT("},\"rule\":{\"name\":\"AWS EC2 Security Group Permissive Changes\","
	    "\"description\":\"Detects modifications to EC2 security groups that allow "
	    "unrestricted access from the internet (0.0.0.0/0), especially on sensitive ports "
	    "commonly targeted by attackers.\","
	    "\"mitre_tactics\":[\"Defense Evasion\",\"Initial Access\"],"
	    "\"mitre_techniques\":[\"T1562.007\"],");
	T(kv(b, true, "severity", sev, err));
	LIT(",\"references\":[\"https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
	    "security-group-rules.html\",\"https://docs.aws.amazon.com/vpc/latest/userguide/"
	    "VPC_SecurityGroups.html\"]}");
	if (!a->seed) {
		LIT(",\"sg_audit\":{");
		T(kv(b, true, "kind", a->kind, err));
		T(kv(b, false, "direction", a->direction, err));
		T(kv(b, false, "sources", a->sources, err));
		LIT(",\"sensitive_ports\":[");
		for (i = 0; i < a->n_sensitive; i++)
			T(sg_buf_appendf(b, err, "%s%u", i ? "," : "", (unsigned)a->sensitive_ports[i]));
		T(sg_buf_appendf(b, err, "],\"sensitive_ports_total\":%zu,\"permission_index\":%d}",
		    a->n_sensitive_total, a->perm_index));
	}
	LIT("}\n");
#undef LIT
#undef T
	return st;
}

/* ---- --since / --until ------------------------------------------------------------------- */

bool
sg_ct_parse_time(const char *text, time_t now, time_t *out)
{
	size_t n;
	long v;
	char unit;
	long mult;
	char buf[64];

	if (text == NULL || (n = strlen(text)) == 0 || n >= sizeof(buf))
		return false;
	if (strcmp(text, "now") == 0) {
		*out = now;
		return true;
	}
	unit = text[n - 1];
	mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400
	    : unit == 'w' ? 7 * 86400 : 0;
	if (mult && n > 1) {
		struct sg_str num = { text, n - 1 };
		if (!sg_parse_long(num, 0, 100L * 365 * 86400 / mult, &v))
			return false;
		*out = now - (time_t)(v * mult);
		return true;
	}
	if (sg_parse_long(sg_str_from(text), 0, 253402300799L, &v)) {
		*out = (time_t)v;
		return true;
	}
	if (n == 10) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", text);
		return sg_time_parse_iso8601(buf, out);
	}
	return sg_time_parse_iso8601(text, out);
}
