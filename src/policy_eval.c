/*
 * policy_eval.c — the evaluation engine: every enabled policy on every group,
 * waivers, the PCI DSS 1.2.1 verdict.
 *
 * Pure: no I/O and no clock (`now` is a parameter). Linear in rules: groups
 * are visited once per policy in (account, region, group id) order through a
 * sorted index, each check walks the group's rules, and the findings of one
 * (group, policy) are put in rule order locally — no global sort.
 *
 * All strings of the result are copied into an arena owned by the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"
#include "sg_arena.h"
#include "sg_check.h"
#include "sg_policy.h"
#include "sg_waiver.h"

/* ---- engine state ---- */

struct policy_strings {
	const char *id, *title, *fix, *pci_v321, *pci_v4, *mitre;
	bool pci_mapped;
};

struct group_strings {
	const char *account, *region, *vpc, *id, *name, *attachment;
};

struct sg_eval_state {
	struct sg_policy_result *res;
	struct sg_arena *arena;
	size_t findings_cap;
	struct policy_strings *cur_policy;
	struct group_strings cur_group;
	bool oom;
};

#define OOM(st) ((st)->oom = true)

static const char *
join_list(struct sg_arena *a, const struct sg_strlist *l)
{
	size_t i, n = 0;
	char *p, *q;

	if (l->n == 0)
		return NULL;
	for (i = 0; i < l->n; i++)
		n += strlen(l->items[i]) + 2;
	p = sg_arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	q = p;
	for (i = 0; i < l->n; i++) {
		size_t k = strlen(l->items[i]);
		if (i) {
			memcpy(q, ", ", 2);
			q += 2;
		}
		memcpy(q, l->items[i], k);
		q += k;
	}
	*q = '\0';
	return p;
}

enum sg_status
sg_check_emit(const struct sg_check_env *env, const struct sg_check_draft *d,
              struct sg_error *err)
{
	struct sg_eval_state *st = env->state;
	struct sg_policy_result *res = st->res;
	struct sg_finding *f;
	const struct policy_strings *ps = st->cur_policy;
	char buf[SG_CIDR_TEXT_MAX + 200], ports[48], proto[8], rule[700];

	if (res->n_findings == st->findings_cap) {
		size_t ncap = st->findings_cap ? st->findings_cap * 2 : 256;
		struct sg_finding *nf = realloc(res->findings, ncap * sizeof(*nf));
		if (nf == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory (findings)");
		res->findings = nf;
		st->findings_cap = ncap;
	}
	f = &res->findings[res->n_findings];
	memset(f, 0, sizeof(*f));
	f->policy_id = ps->id;
	f->policy_title = ps->title;
	f->severity = d->severity;
	f->risk = d->risk;
	f->state = d->state;
	f->account_id = st->cur_group.account;
	f->region = st->cur_group.region;
	f->vpc_id = st->cur_group.vpc;
	f->group_id = st->cur_group.id;
	f->group_name = st->cur_group.name;
	f->eni_count = env->group->eni_count;
	f->attachment = st->cur_group.attachment;
	f->in_scope = env->in_scope;
	f->fix = ps->fix;
	f->pci_v321 = ps->pci_v321;
	f->pci_v4 = ps->pci_v4;
	f->mitre = ps->mitre;
	f->ref_kind = d->ref_kind;
	f->waiver_index = -1;
	f->reason = sg_arena_strdup(st->arena, d->reason ? d->reason : "");
	f->sensitive_ports = sg_arena_strdup(st->arena, d->sensitive_ports);
	if (d->rule != NULL) {
		struct sg_rule shaped;
		const struct sg_rule *r = d->rule;
		const char *pn;
		if (d->has_shape) {
			/* Same rule identity, the range the check found. */
			shaped = *r;
			shaped.protocol = d->protocol;
			shaped.from_port = d->from_port;
			shaped.to_port = d->to_port;
			r = &shaped;
		}
		pn = sg_protocol_name(r->protocol, proto, sizeof(proto));
		f->has_rule = true;
		f->direction = r->direction;
		f->protocol = r->protocol;
		f->protocol_name = sg_arena_strdup(st->arena, pn);
		f->from_port = r->from_port;
		f->to_port = r->to_port;
		f->source_kind = r->source;
		f->rule_index = (uint32_t)(d->rule - env->group->rules);
		f->perm_index = r->perm_index;
		sg_check_ports_text(r, ports, sizeof(ports));
		f->ports = sg_arena_strdup(st->arena, ports);
		if (d->source != NULL) {
			f->source = sg_arena_strdup(st->arena, d->source);
		} else {
			sg_check_source_text(r, buf, sizeof(buf));
			f->source = sg_arena_strdup(st->arena, buf);
		}
		snprintf(rule, sizeof(rule), "%s %s %s %s %s",
		    r->direction == SG_INGRESS ? "ingress" : "egress", pn, ports,
		    r->direction == SG_INGRESS ? "from" : "to", f->source ? f->source : "?");
		f->rule_text = sg_arena_strdup(st->arena, rule);
		if (f->protocol_name == NULL || f->ports == NULL || f->source == NULL ||
		    f->rule_text == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory (findings)");
	} else {
		f->rule_text = "";
	}
	if (f->reason == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory (findings)");
	res->n_findings++;
	return SG_OK;
}

static bool
group_in_scope(const struct sg_group *g, const struct sg_policy_scope *scope)
{
	size_t i, k;

	if (scope == NULL || scope->n_tags == 0)
		return true;
	for (i = 0; i < scope->n_tags; i++)
		for (k = 0; k < g->n_tags; k++)
			if (g->tags[k].key != NULL && strcmp(g->tags[k].key, scope->tags[i].key) == 0 &&
			    strcmp(g->tags[k].value ? g->tags[k].value : "",
			    scope->tags[i].value ? scope->tags[i].value : "") == 0)
				return true;
	return false;
}

static int
cmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int
group_idx_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct sg_group *gs = ctx;
	const struct sg_group *a = &gs[*(const size_t *)pa], *b = &gs[*(const size_t *)pb];
	int c;

	if ((c = cmp0(a->account_id, b->account_id)) != 0)
		return c;
	if ((c = cmp0(a->region, b->region)) != 0)
		return c;
	if ((c = cmp0(a->group_id, b->group_id)) != 0)
		return c;
	return *(const size_t *)pa < *(const size_t *)pb ? -1 : 1;
}

/* Stable insertion sort of one (group, policy) slice: direction, rule index. */
static void
sort_slice(struct sg_finding *f, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct sg_finding t = f[i];
		unsigned kt = t.has_rule ? (unsigned)t.direction : 0;
		j = i;
		while (j > 0) {
			const struct sg_finding *p = &f[j - 1];
			unsigned kp = p->has_rule ? (unsigned)p->direction : 0;
			if (kp < kt || (kp == kt && p->rule_index <= t.rule_index))
				break;
			f[j] = f[j - 1];
			j--;
		}
		f[j] = t;
	}
}

/* Waivers indexed by group id so matching stays linear in findings. */
struct waiver_index {
	size_t *order;
	size_t n;
	const struct sg_waiver_set *ws;
	size_t *matched;
	bool *matched_live;
};

static int
waiver_ctx_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct sg_waiver_set *ws = ctx;
	const struct sg_waiver *a = &ws->items[*(const size_t *)pa];
	const struct sg_waiver *b = &ws->items[*(const size_t *)pb];
	int c = strcmp(a->group_id, b->group_id);

	if (c != 0)
		return c;
	return *(const size_t *)pa < *(const size_t *)pb ? -1 : 1;
}

static void
apply_waivers(struct sg_eval_state *st, struct waiver_index *wi, const struct sg_group *g,
              const char *policy_id, struct sg_finding *f, size_t n, time_t now)
{
	size_t lo = 0, hi = wi->n, i, k;

	if (wi->n == 0 || g->group_id == NULL)
		return;
	/* First waiver whose group id is >= ours. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(wi->ws->items[wi->order[mid]].group_id, g->group_id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= wi->n || strcmp(wi->ws->items[wi->order[lo]].group_id, g->group_id) != 0)
		return;
	for (i = 0; i < n; i++) {
		const struct sg_rule *rule;
		int live = -1, expired = -1;
		if (f[i].state != SG_FINDING_FAIL)
			continue;
		rule = f[i].has_rule ? &g->rules[f[i].rule_index] : NULL;
		for (k = lo; k < wi->n; k++) {
			size_t w = wi->order[k];
			const struct sg_waiver *wv = &wi->ws->items[w];
			if (strcmp(wv->group_id, g->group_id) != 0)
				break;
			if (!sg_waiver_matches(wv, policy_id, g, rule))
				continue;
			wi->matched[w]++;
			if (sg_waiver_is_live(wv, now)) {
				if (live < 0)
					live = (int)w;
			} else if (expired < 0) {
				expired = (int)w;
			}
		}
		if (live >= 0 || expired >= 0) {
			const struct sg_waiver *wv = &wi->ws->items[live >= 0 ? live : expired];
			char text[900];
			snprintf(text, sizeof(text), "%s: ticket %s, owner %s, %s %s: %s",
			    wv->label, wv->ticket, wv->owner, live >= 0 ? "expires" : "EXPIRED",
			    wv->expires_text, wv->reason);
			f[i].waiver = sg_arena_strdup(st->arena, text);
			if (f[i].waiver == NULL)
				OOM(st);
			f[i].waiver_index = live >= 0 ? live : expired;
			if (live >= 0) {
				f[i].state = SG_FINDING_WAIVED;
				f[i].waiver_state = SG_WAIVER_LIVE;
				wi->matched_live[live] = true;
			} else {
				f[i].waiver_state = SG_WAIVER_EXPIRED;
			}
		}
	}
}

static const char *
attachment_text(struct sg_arena *a, int eni)
{
	char buf[48];

	if (eni < 0)
		return "unknown";
	if (eni == 0)
		return "not attached";
	snprintf(buf, sizeof(buf), "attached (%d ENI%s)", eni, eni == 1 ? "" : "s");
	return sg_arena_strdup(a, buf);
}

static void
pci_decide(struct sg_policy_result *res, const struct sg_inventory *inv,
           const struct sg_policy_scope *scope, struct sg_arena *a)
{
	struct sg_pci *pci = &res->pci;
	char reason[1024], regions[600];
	size_t i, off = 0;

	regions[0] = '\0';
	for (i = 0; i < inv->n_regions; i++) {
		const struct sg_region_coverage *rc = &inv->regions[i];
		if (scope != NULL && scope->regions_all && rc->state == SG_REGION_NOT_OPTED_IN)
			continue;
		pci->regions_requested++;
		if (rc->state == SG_REGION_SCANNED)
			continue;
		pci->regions_incomplete++;
		if (off < sizeof(regions) - 80) {
			int w = snprintf(regions + off, sizeof(regions) - off, "%s%s %s%s%s%s",
			    off ? ", " : "", rc->region ? rc->region : "?",
			    sg_region_state_name(rc->state), rc->error_code ? " (" : "",
			    rc->error_code ? rc->error_code : "", rc->error_code ? ")" : "");
			if (w > 0)
				off += (size_t)w;
		}
	}
	pci->requirement = SG_PCI_REQUIREMENT;
	if (pci->regions_incomplete > 0) {
		pci->verdict = SG_PCIV_INCOMPLETE;
		snprintf(reason, sizeof(reason),
		    "%zu of %zu requested regions were not scanned (%s); %zu failing findings in "
		    "what was scanned.", pci->regions_incomplete, pci->regions_requested, regions,
		    pci->fail_findings);
	} else if (pci->unknown_findings > 0) {
		pci->verdict = SG_PCIV_INCOMPLETE;
		snprintf(reason, sizeof(reason),
		    "%zu in-scope rules use prefix lists that were not resolved, so their exposure "
		    "is unknown; %zu failing findings otherwise.", pci->unknown_findings,
		    pci->fail_findings);
	} else if (pci->fail_findings > 0) {
		pci->verdict = SG_PCIV_NOT_COMPLIANT;
		snprintf(reason, sizeof(reason),
		    "%zu of %zu in-scope groups fail a PCI-mapped policy (%zu failing findings, "
		    "%zu waived).", pci->groups_failing, pci->groups_in_scope, pci->fail_findings,
		    pci->waived_findings);
	} else {
		pci->verdict = SG_PCIV_COMPLIANT;
		snprintf(reason, sizeof(reason),
		    "All %zu in-scope groups pass every PCI-mapped policy or are waived (%zu waived "
		    "findings) in %zu scanned regions.", pci->groups_in_scope, pci->waived_findings,
		    pci->regions_requested);
	}
	pci->reason = sg_arena_strdup(a, reason);
	if (pci->reason == NULL)
		pci->reason = "";
}

static enum sg_status
waiver_reports(struct sg_eval_state *st, const struct waiver_index *wi, time_t now,
               struct sg_error *err)
{
	struct sg_policy_result *res = st->res;
	size_t i;

	if (wi->ws == NULL || wi->ws->n == 0)
		return SG_OK;
	res->waivers = calloc(wi->ws->n, sizeof(*res->waivers));
	if (res->waivers == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	for (i = 0; i < wi->ws->n; i++) {
		const struct sg_waiver *w = &wi->ws->items[i];
		struct sg_waiver_report *r = &res->waivers[i];
		char msg[700];
		r->index = (int)i;
		r->label = sg_arena_strdup(st->arena, w->label);
		r->policy_id = sg_arena_strdup(st->arena, w->policy_id);
		r->group_id = sg_arena_strdup(st->arena, w->group_id);
		r->expires = sg_arena_strdup(st->arena, w->expires_text);
		r->matched = wi->matched[i];
		if (!sg_waiver_is_live(w, now)) {
			r->state = SG_WAIVER_REPORT_EXPIRED;
			snprintf(msg, sizeof(msg),
			    "%s expired on %s and no longer waives anything (%zu finding%s would match); "
			    "renew it or fix the rule.", w->label, w->expires_text, r->matched,
			    r->matched == 1 ? "" : "s");
		} else if (!wi->matched_live[i]) {
			r->state = SG_WAIVER_REPORT_STALE;
			snprintf(msg, sizeof(msg),
			    "%s matches no failing finding (%s on %s); remove it.", w->label,
			    w->policy_id, w->group_id);
		} else {
			r->state = SG_WAIVER_REPORT_USED;
			snprintf(msg, sizeof(msg), "%s waives %zu finding%s until %s.", w->label,
			    r->matched, r->matched == 1 ? "" : "s", w->expires_text);
		}
		r->message = sg_arena_strdup(st->arena, msg);
		if (r->label == NULL || r->message == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		res->n_waivers++;
	}
	return SG_OK;
}

enum sg_status
sg_policy_eval_list(const struct sg_inventory *inv, const struct sg_policy *const *pols,
                    size_t n_pols, const struct sg_policy_set *ps,
                    const struct sg_waiver_set *waivers, const struct sg_policy_scope *scope,
                    time_t now, struct sg_policy_result **out, struct sg_error *err)
{
	struct sg_eval_state st;
	struct sg_policy_result *res;
	struct policy_strings *pstr = NULL;
	struct waiver_index wi;
	size_t *order = NULL, gi, pi, i;
	bool scope_given = scope != NULL && scope->n_tags > 0;
	enum sg_status status = SG_OK;

	memset(&st, 0, sizeof(st));
	memset(&wi, 0, sizeof(wi));
	res = calloc(1, sizeof(*res));
	st.arena = calloc(1, sizeof(*st.arena));
	if (res == NULL || st.arena == NULL) {
		free(res);
		free(st.arena);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	res->arena = st.arena;
	st.res = res;
	snprintf(res->catalogue_version, sizeof(res->catalogue_version), "%s",
	    ps ? ps->catalogue_version : SG_CATALOGUE_VERSION);
	if (ps != NULL)
		memcpy(res->catalogue_sha256, ps->catalogue_sha256, sizeof(res->catalogue_sha256));

	pstr = calloc(n_pols ? n_pols : 1, sizeof(*pstr));
	order = calloc(inv->n_groups ? inv->n_groups : 1, sizeof(*order));
	if (pstr == NULL || order == NULL) {
		status = sg_err_set(err, SG_ENOMEM, "out of memory");
		goto done;
	}
	for (pi = 0; pi < n_pols; pi++) {
		const struct sg_policy *p = pols[pi];
		pstr[pi].id = sg_arena_strdup(st.arena, p->id);
		pstr[pi].title = sg_arena_strdup(st.arena, p->display_name);
		pstr[pi].fix = sg_arena_strdup(st.arena, p->runbook);
		pstr[pi].pci_v321 = join_list(st.arena, &p->pci_v321);
		pstr[pi].pci_v4 = join_list(st.arena, &p->pci_v4);
		pstr[pi].mitre = join_list(st.arena, &p->mitre);
		pstr[pi].pci_mapped = p->pci_v321.n > 0 || p->pci_v4.n > 0;
		if (pstr[pi].id == NULL || pstr[pi].title == NULL || pstr[pi].fix == NULL) {
			status = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto done;
		}
	}
	for (gi = 0; gi < inv->n_groups; gi++)
		order[gi] = gi;
	qsort_r(order, inv->n_groups, sizeof(*order), group_idx_cmp, inv->groups);

	if (waivers != NULL && waivers->n > 0) {
		wi.ws = waivers;
		wi.n = waivers->n;
		wi.order = calloc(waivers->n, sizeof(*wi.order));
		wi.matched = calloc(waivers->n, sizeof(*wi.matched));
		wi.matched_live = calloc(waivers->n, sizeof(*wi.matched_live));
		if (wi.order == NULL || wi.matched == NULL || wi.matched_live == NULL) {
			status = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto done;
		}
		for (i = 0; i < waivers->n; i++)
			wi.order[i] = i;
		{
			/* qsort_r's context is not const; the comparator only reads. */
			void *ctx;
			memcpy(&ctx, &waivers, sizeof(ctx));
			qsort_r(wi.order, waivers->n, sizeof(*wi.order), waiver_ctx_cmp, ctx);
		}
	}

	res->checks = calloc(inv->n_groups * n_pols + 1, sizeof(*res->checks));
	if (res->checks == NULL) {
		status = sg_err_set(err, SG_ENOMEM, "out of memory");
		goto done;
	}
	res->policies_evaluated = n_pols;

	for (gi = 0; gi < inv->n_groups; gi++) {
		const struct sg_group *g = &inv->groups[order[gi]];
		bool in_scope = group_in_scope(g, scope);
		bool g_fail = false, g_waived = false;

		st.cur_group.account = sg_arena_strdup(st.arena, g->account_id ? g->account_id : inv->account_id);
		st.cur_group.region = sg_arena_strdup(st.arena, g->region);
		st.cur_group.vpc = sg_arena_strdup(st.arena, g->vpc_id);
		st.cur_group.id = sg_arena_strdup(st.arena, g->group_id ? g->group_id : "");
		st.cur_group.name = sg_arena_strdup(st.arena, g->group_name ? g->group_name : "");
		st.cur_group.attachment = attachment_text(st.arena, g->eni_count);
		if (st.cur_group.id == NULL || st.cur_group.name == NULL ||
		    st.cur_group.attachment == NULL) {
			status = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto done;
		}
		res->groups_evaluated++;
		res->rules_evaluated += g->n_rules;
		if (in_scope)
			res->pci.groups_in_scope++;

		for (pi = 0; pi < n_pols; pi++) {
			const struct sg_policy *p = pols[pi];
			struct sg_check_env env;
			struct sg_group_check *gc = &res->checks[res->n_checks++];
			size_t start = res->n_findings, k;
			bool applicable = true, any_fail = false, any_waived = false, any_unknown = false;

			env.inv = inv;
			env.group = g;
			env.policy = p;
			env.in_scope = in_scope;
			env.scope_given = scope_given;
			env.state = &st;
			st.cur_policy = &pstr[pi];
			status = p->check->eval(&env, p->params, &applicable, err);
			if (status != SG_OK) {
				sg_err_prefix(err, "policy %s on %s: ", p->id, st.cur_group.id);
				goto done;
			}
			sort_slice(res->findings + start, res->n_findings - start);
			apply_waivers(&st, &wi, g, p->id, res->findings + start,
			    res->n_findings - start, now);
			for (k = start; k < res->n_findings; k++) {
				const struct sg_finding *f = &res->findings[k];
				switch (f->state) {
				case SG_FINDING_FAIL: any_fail = true; res->n_fail++; break;
				case SG_FINDING_WAIVED: any_waived = true; res->n_waived++; break;
				case SG_FINDING_INFO: res->n_info++; break;
				case SG_FINDING_UNKNOWN: any_unknown = true; res->n_unknown++; break;
				}
				if (in_scope && pstr[pi].pci_mapped) {
					if (f->state == SG_FINDING_FAIL)
						res->pci.fail_findings++;
					else if (f->state == SG_FINDING_WAIVED)
						res->pci.waived_findings++;
					else if (f->state == SG_FINDING_UNKNOWN)
						res->pci.unknown_findings++;
				}
			}
			gc->policy_id = pstr[pi].id;
			gc->account_id = st.cur_group.account;
			gc->region = st.cur_group.region;
			gc->group_id = st.cur_group.id;
			gc->group_name = st.cur_group.name;
			gc->in_scope = in_scope;
			/* An undecidable rule never passes silently. */
			if (!applicable)
				gc->verdict = SG_VERDICT_NOT_APPLICABLE;
			else if (any_fail || any_unknown)
				gc->verdict = SG_VERDICT_FAIL;
			else if (any_waived)
				gc->verdict = SG_VERDICT_WAIVED;
			else
				gc->verdict = SG_VERDICT_PASS;
			if (in_scope && pstr[pi].pci_mapped) {
				g_fail |= any_fail;
				g_waived |= any_waived;
			}
		}
		if (g_fail)
			res->pci.groups_failing++;
		else if (g_waived)
			res->pci.groups_waived++;
	}
	if (st.oom) {
		status = sg_err_set(err, SG_ENOMEM, "out of memory");
		goto done;
	}
	if ((status = waiver_reports(&st, &wi, now, err)) != SG_OK)
		goto done;
	pci_decide(res, inv, scope, st.arena);
done:
	free(pstr);
	free(order);
	free(wi.order);
	free(wi.matched);
	free(wi.matched_live);
	if (status != SG_OK) {
		sg_policy_result_free(res);
		return status;
	}
	*out = res;
	return SG_OK;
}

enum sg_status
sg_policy_eval(const struct sg_inventory *inv, const struct sg_policy_set *ps,
               const struct sg_waiver_set *waivers, const struct sg_policy_scope *scope,
               time_t now, struct sg_policy_result **out, struct sg_error *err)
{
	const struct sg_policy **list;
	size_t i, n = 0;
	enum sg_status st;

	if (inv == NULL || ps == NULL || out == NULL)
		return sg_err_set(err, SG_EINVAL, "sg_policy_eval: missing inventory or policies");
	list = calloc(ps->n ? ps->n : 1, sizeof(*list));
	if (list == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	for (i = 0; i < ps->n; i++)
		if (ps->policies[i].enabled)
			list[n++] = &ps->policies[i];
	st = sg_policy_eval_list(inv, list, n, ps, waivers, scope, now, out, err);
	free(list);
	return st;
}

void
sg_policy_result_free(struct sg_policy_result *res)
{
	if (res == NULL)
		return;
	free(res->findings);
	free(res->checks);
	free(res->waivers);
	sg_arena_free(res->arena);
	free(res->arena);
	free(res);
}
