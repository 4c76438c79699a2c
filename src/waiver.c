/*
 * waiver.c — the waiver file (--waivers FILE): parsing with every error
 * naming the file, the entry and the problem; matching a waiver to a rule.
 * Matching is used by the engine (policy_eval.c), which also decides live /
 * expired / stale.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sg_json.h"
#include "sg_util.h"
#include "sg_waiver.h"

static void
waiver_dispose(struct sg_waiver *w)
{
	free(w->policy_id);
	free(w->group_id);
	free(w->account_id);
	free(w->region);
	free(w->source);
	free(w->reason);
	free(w->owner);
	free(w->ticket);
	free(w->expires_text);
	free(w->label);
}

void
sg_waiver_set_free(struct sg_waiver_set *ws)
{
	size_t i;

	if (ws == NULL)
		return;
	for (i = 0; i < ws->n; i++)
		waiver_dispose(&ws->items[i]);
	free(ws->items);
	free(ws->path);
	free(ws);
}

bool
sg_waiver_is_live(const struct sg_waiver *w, time_t now)
{
	return now < w->expires;
}

/* "2027-01-31" (valid through that UTC day) or a full ISO 8601 timestamp. */
static bool
parse_expiry(const char *s, time_t *out)
{
	char buf[40];
	time_t t;

	if (strlen(s) == 10) {
		long y, m, d;
		if (s[4] != '-' || s[7] != '-' ||
		    !sg_parse_long((struct sg_str){ s, 4 }, 1970, 9999, &y) ||
		    !sg_parse_long((struct sg_str){ s + 5, 2 }, 1, 12, &m) ||
		    !sg_parse_long((struct sg_str){ s + 8, 2 }, 1, 31, &d))
			return false;
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		if (!sg_time_parse_iso8601(buf, &t))
			return false;
		/* Reject 2027-02-31 and friends: the date must round-trip. */
		{
			char back[32];
			sg_time_iso8601(t, back, sizeof(back));
			if (strncmp(back, s, 10) != 0)
				return false;
		}
		*out = t + 86400;
		return true;
	}
	if (!sg_time_parse_iso8601(s, &t))
		return false;
	*out = t;
	return true;
}

static enum sg_status
get_str(const cJSON *obj, const char *key, bool required, const char *where, char **out,
        struct sg_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL || cJSON_IsNull(v)) {
		if (required)
			return sg_err_set(err, SG_ECONFIG, "%s: missing '%s'", where, key);
		return SG_OK;
	}
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return sg_err_set(err, SG_ECONFIG, "%s: '%s' must be a non-empty string", where, key);
	if (strlen(v->valuestring) > 4096)
		return sg_err_set(err, SG_ECONFIG, "%s: '%s' is longer than 4096 bytes", where, key);
	if ((*out = strdup(v->valuestring)) == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	return SG_OK;
}

static enum sg_status
get_port(const cJSON *obj, const char *key, const char *where, bool *has, int *out,
         struct sg_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL || cJSON_IsNull(v))
		return SG_OK;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
	    v->valuedouble < -1 || v->valuedouble > 65535)
		return sg_err_set(err, SG_ECONFIG, "%s: Rule.%s must be an integer in -1..65535",
		    where, key);
	*has = true;
	*out = (int)v->valuedouble;
	return SG_OK;
}

static enum sg_status
parse_rule(const cJSON *rule, struct sg_waiver *w, const char *where, struct sg_error *err)
{
	static const char *const allowed[] = {
		"Direction", "Protocol", "FromPort", "ToPort", "Source", NULL
	};
	const cJSON *v;
	enum sg_status st;

	if (!cJSON_IsObject(rule))
		return sg_err_set(err, SG_ECONFIG, "%s: 'Rule' must be an object", where);
	if ((st = sg_json_only_keys(rule, allowed, where, err)) != SG_OK)
		return st;
	v = cJSON_GetObjectItemCaseSensitive(rule, "Direction");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) || (strcmp(v->valuestring, "ingress") != 0 &&
		    strcmp(v->valuestring, "egress") != 0))
			return sg_err_set(err, SG_ECONFIG,
			    "%s: Rule.Direction must be \"ingress\" or \"egress\"", where);
		w->has_direction = true;
		w->direction = strcmp(v->valuestring, "ingress") == 0 ? SG_INGRESS : SG_EGRESS;
	}
	v = cJSON_GetObjectItemCaseSensitive(rule, "Protocol");
	if (v != NULL && !cJSON_IsNull(v)) {
		char num[16];
		const char *text = NULL;
		if (cJSON_IsString(v)) {
			text = v->valuestring;
		} else if (cJSON_IsNumber(v)) {
			snprintf(num, sizeof(num), "%d", (int)v->valuedouble);
			text = num;
		}
		if (text == NULL || !sg_protocol_parse(text, &w->protocol))
			return sg_err_set(err, SG_ECONFIG,
			    "%s: Rule.Protocol must be tcp, udp, icmp, icmpv6, -1 or a number 0..255",
			    where);
		w->has_protocol = true;
	}
	if ((st = get_port(rule, "FromPort", where, &w->has_from, &w->from_port, err)) != SG_OK ||
	    (st = get_port(rule, "ToPort", where, &w->has_to, &w->to_port, err)) != SG_OK)
		return st;
	if ((st = get_str(rule, "Source", false, where, &w->source, err)) != SG_OK)
		return st;
	if (w->source != NULL && strchr(w->source, '/') != NULL &&
	    strncmp(w->source, "pl-", 3) != 0 && strncmp(w->source, "sg-", 3) != 0) {
		if (!sg_cidr_parse(sg_str_from(w->source), 0, &w->source_cidr))
			return sg_err_set(err, SG_ECONFIG, "%s: Rule.Source '%.60s' is not a valid CIDR",
			    where, w->source);
		w->source_is_cidr = true;
	}
	return SG_OK;
}

static enum sg_status
parse_entry(const cJSON *e, struct sg_waiver *w, const char *where, struct sg_error *err)
{
	static const char *const allowed[] = {
		"PolicyID", "GroupId", "Rule", "Account", "Region", "Reason", "Owner", "Ticket",
		"Expires", NULL
	};
	const cJSON *v;
	enum sg_status st;

	if (!cJSON_IsObject(e))
		return sg_err_set(err, SG_ECONFIG, "%s: must be an object", where);
	if ((st = sg_json_only_keys(e, allowed, where, err)) != SG_OK)
		return st;
	if ((st = get_str(e, "PolicyID", true, where, &w->policy_id, err)) != SG_OK ||
	    (st = get_str(e, "GroupId", true, where, &w->group_id, err)) != SG_OK ||
	    (st = get_str(e, "Reason", true, where, &w->reason, err)) != SG_OK ||
	    (st = get_str(e, "Owner", true, where, &w->owner, err)) != SG_OK ||
	    (st = get_str(e, "Ticket", true, where, &w->ticket, err)) != SG_OK ||
	    (st = get_str(e, "Expires", true, where, &w->expires_text, err)) != SG_OK ||
	    (st = get_str(e, "Account", false, where, &w->account_id, err)) != SG_OK ||
	    (st = get_str(e, "Region", false, where, &w->region, err)) != SG_OK)
		return st;
	if (!parse_expiry(w->expires_text, &w->expires))
		return sg_err_set(err, SG_ECONFIG,
		    "%s: Expires '%.40s' is not a date (YYYY-MM-DD) or an ISO 8601 time", where,
		    w->expires_text);
	v = cJSON_GetObjectItemCaseSensitive(e, "Rule");
	if (v != NULL && !cJSON_IsNull(v) && (st = parse_rule(v, w, where, err)) != SG_OK)
		return st;
	return SG_OK;
}

enum sg_status
sg_waiver_set_parse(const char *name, const char *data, size_t len, struct sg_waiver_set **out,
                    struct sg_error *err)
{
	cJSON *root = NULL;
	const cJSON *arr, *e;
	struct sg_waiver_set *ws;
	enum sg_status st = SG_OK;
	size_t n, i = 0;

	if (name == NULL)
		name = "<waivers>";
	if ((st = sg_json_parse_capped(name, data, len, SG_WAIVER_FILE_MAX_BYTES, &root, err)) != SG_OK)
		return st;
	if (cJSON_IsArray(root)) {
		arr = root;
	} else if (cJSON_IsObject(root)) {
		const cJSON *it;
		cJSON_ArrayForEach(it, root)
			if (it->string == NULL || strcmp(it->string, "Waivers") != 0) {
				st = sg_err_set(err, SG_ECONFIG,
				    "%s: unknown top-level field '%.60s' (expected \"Waivers\")", name,
				    it->string ? it->string : "");
				cJSON_Delete(root);
				return st;
			}
		arr = cJSON_GetObjectItemCaseSensitive(root, "Waivers");
		if (!cJSON_IsArray(arr)) {
			cJSON_Delete(root);
			return sg_err_set(err, SG_ECONFIG, "%s: \"Waivers\" must be an array", name);
		}
	} else {
		cJSON_Delete(root);
		return sg_err_set(err, SG_ECONFIG,
		    "%s: expected {\"Waivers\": [...]} or an array of waivers", name);
	}
	n = (size_t)cJSON_GetArraySize(arr);
	if (n > SG_WAIVER_MAX_ENTRIES) {
		cJSON_Delete(root);
		return sg_err_set(err, SG_ECONFIG, "%s: more than %d waivers", name,
		    SG_WAIVER_MAX_ENTRIES);
	}
	ws = calloc(1, sizeof(*ws));
	if (ws == NULL || (ws->items = calloc(n ? n : 1, sizeof(*ws->items))) == NULL ||
	    (ws->path = strdup(name)) == NULL) {
		sg_waiver_set_free(ws);
		cJSON_Delete(root);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	cJSON_ArrayForEach(e, arr) {
		char where[300], label[400];
		struct sg_waiver *w = &ws->items[i];
		snprintf(where, sizeof(where), "%s: entry %zu", name, i + 1);
		ws->n = i + 1; /* so a half-built entry is freed */
		if ((st = parse_entry(e, w, where, err)) != SG_OK)
			break;
		snprintf(label, sizeof(label), "waiver %zu (ticket %s)", i + 1, w->ticket);
		if ((w->label = strdup(label)) == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			break;
		}
		i++;
	}
	cJSON_Delete(root);
	if (st != SG_OK) {
		sg_waiver_set_free(ws);
		return st;
	}
	ws->n = i;
	*out = ws;
	return SG_OK;
}

enum sg_status
sg_waiver_set_load(const char *path, struct sg_waiver_set **out, struct sg_error *err)
{
	struct sg_buf b;
	enum sg_status st;

	sg_buf_init(&b, SG_WAIVER_FILE_MAX_BYTES);
	st = sg_file_read(path, &b, false, err);
	if (st != SG_OK) {
		sg_buf_dispose(&b);
		if (st == SG_EPARSE || st == SG_ELIMIT)
			err->status = SG_ECONFIG;
		return err->status;
	}
	st = sg_waiver_set_parse(path, b.data ? b.data : "", b.len, out, err);
	sg_buf_dispose(&b);
	return st;
}

static int
cmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

bool
sg_waiver_matches(const struct sg_waiver *w, const char *policy_id, const struct sg_group *g,
                  const struct sg_rule *rule)
{
	if (cmp0(w->policy_id, policy_id) != 0 || cmp0(w->group_id, g->group_id) != 0)
		return false;
	if (w->account_id != NULL && cmp0(w->account_id, g->account_id) != 0)
		return false;
	if (w->region != NULL && cmp0(w->region, g->region) != 0)
		return false;
	if (rule == NULL)
		return !w->has_direction && !w->has_protocol && !w->has_from && !w->has_to &&
		    w->source == NULL;
	if (w->has_direction && w->direction != rule->direction)
		return false;
	if (w->has_protocol && w->protocol != rule->protocol)
		return false;
	if (w->has_from && w->from_port != rule->from_port)
		return false;
	if (w->has_to && w->to_port != rule->to_port)
		return false;
	if (w->source != NULL) {
		switch (rule->source) {
		case SG_SRC_CIDR4:
		case SG_SRC_CIDR6:
			if (!w->source_is_cidr || w->source_cidr.family != rule->cidr.family ||
			    w->source_cidr.prefix != rule->cidr.prefix ||
			    memcmp(w->source_cidr.addr, rule->cidr.addr, 16) != 0)
				return false;
			break;
		case SG_SRC_PREFIX_LIST:
			if (cmp0(w->source, rule->prefix_list_id) != 0)
				return false;
			break;
		case SG_SRC_GROUP:
			if (cmp0(w->source, rule->ref.group_id) != 0)
				return false;
			break;
		}
	}
	return true;
}
