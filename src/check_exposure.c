/*
 * check_exposure.c — "internet_exposure": ingress reachable from the
 * internet, scored by the one scorer (sg_exposure_score, sg-semantics.md
 * §2–§4): 100 all traffic, 90 sensitive port, 75 other ports or a whole
 * non-port protocol, 40 ICMP, 0 (info) authorized internet ports.
 *
 * A source is the internet when it parses to 0.0.0.0/0 or ::/0, or is a
 * prefix list whose scanned entries hold one of them. A prefix list the scan
 * could not resolve is reported as UNKNOWN (never a silent pass). A group is
 * EFFECTIVELY OPEN on a (protocol, ports) when the union of its ingress
 * sources for exactly that protocol and port range covers the whole IPv4 or
 * IPv6 space (0.0.0.0/1 + 128.0.0.0/1): reported like an internet source,
 * naming the covering CIDRs.
 *
 * Parameters (all optional):
 *   Ports               only rules touching these ports (tcp/udp) or all traffic count
 *   UseCatalogue        (true) start from the built-in sensitive-port catalogue
 *   SensitivePortsAdd   ports added to the sensitive set
 *   SensitivePortsRemove ports removed from it
 *   AuthorizedTcpPorts  (80, 443) internet ports reported as info, not failing
 *   AuthorizedUdpPorts  (none)
 *   UsePolicySeverity   (false) findings take the policy's Severity instead of the risk's
 *   IncludeIcmp         (true)
 *   IncludeOtherProtocols (true) gre, esp, ...
 *   EffectivelyOpen     (true) union-of-CIDRs detection
 *   ReportAuthorized    (true) emit info findings for authorized ports
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sg_check.h"

struct exposure_params {
	struct sg_exposure_params score;
	struct sg_portset only;
	bool has_only;
	bool use_policy_severity;
	bool include_icmp;
	bool include_other;
	bool effectively_open;
	bool report_authorized;
	/*
	 * All traffic always scores the same (every sensitive port, 100), and
	 * scoring it walks all 65536 ports: scored once here, at parse time.
	 */
	struct sg_exposure all_traffic;
};

static enum sg_status
exposure_parse(const struct cJSON *params, const char *where, void **out, struct sg_error *err)
{
	static const char *const allowed[] = {
		"Ports", "UseCatalogue", "SensitivePortsAdd", "SensitivePortsRemove",
		"AuthorizedTcpPorts", "AuthorizedUdpPorts", "UsePolicySeverity", "IncludeIcmp",
		"IncludeOtherProtocols", "EffectivelyOpen", "ReportAuthorized", NULL
	};
	struct exposure_params *p;
	struct sg_portset *tmp = NULL;
	bool use_catalogue = true, present;
	enum sg_status st;
	unsigned port;

	if ((st = sg_check_param_only(params, allowed, where, err)) != SG_OK)
		return st;
	p = calloc(1, sizeof(*p));
	tmp = calloc(1, sizeof(*tmp));
	if (p == NULL || tmp == NULL) {
		free(p);
		free(tmp);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	sg_exposure_params_default(&p->score);
	p->include_icmp = p->include_other = p->effectively_open = p->report_authorized = true;
	if ((st = sg_check_param_bool(params, "UseCatalogue", where, &use_catalogue, err)) != SG_OK)
		goto fail;
	if (!use_catalogue) {
		memset(&p->score.sensitive, 0, sizeof(p->score.sensitive));
		memset(p->score.sensitive_origin, 0, sizeof(p->score.sensitive_origin));
	}
	present = false;
	memset(tmp, 0, sizeof(*tmp));
	if ((st = sg_check_param_ports(params, "SensitivePortsAdd", where, tmp, &present, err)) != SG_OK)
		goto fail;
	for (port = 0; present && port <= 65535; port++)
		if (sg_portset_has(tmp, port)) {
			sg_portset_add(&p->score.sensitive, port);
			p->score.sensitive_origin[port] |= SG_PORT_FROM_USER;
		}
	present = false;
	memset(tmp, 0, sizeof(*tmp));
	if ((st = sg_check_param_ports(params, "SensitivePortsRemove", where, tmp, &present, err)) != SG_OK)
		goto fail;
	for (port = 0; present && port <= 65535; port++)
		if (sg_portset_has(tmp, port)) {
			sg_portset_remove(&p->score.sensitive, port);
			p->score.sensitive_origin[port] = 0;
		}
	present = false;
	memset(tmp, 0, sizeof(*tmp));
	if ((st = sg_check_param_ports(params, "AuthorizedTcpPorts", where, tmp, &present, err)) != SG_OK)
		goto fail;
	if (present)
		p->score.authorized_tcp = *tmp;
	present = false;
	memset(tmp, 0, sizeof(*tmp));
	if ((st = sg_check_param_ports(params, "AuthorizedUdpPorts", where, tmp, &present, err)) != SG_OK)
		goto fail;
	if (present)
		p->score.authorized_udp = *tmp;
	if ((st = sg_check_param_ports(params, "Ports", where, &p->only, &p->has_only, err)) != SG_OK ||
	    (st = sg_check_param_bool(params, "UsePolicySeverity", where, &p->use_policy_severity, err)) != SG_OK ||
	    (st = sg_check_param_bool(params, "IncludeIcmp", where, &p->include_icmp, err)) != SG_OK ||
	    (st = sg_check_param_bool(params, "IncludeOtherProtocols", where, &p->include_other, err)) != SG_OK ||
	    (st = sg_check_param_bool(params, "EffectivelyOpen", where, &p->effectively_open, err)) != SG_OK ||
	    (st = sg_check_param_bool(params, "ReportAuthorized", where, &p->report_authorized, err)) != SG_OK)
		goto fail;
	free(tmp);
	sg_exposure_score(&p->score, SG_PROTO_ALL, -1, -1, &p->all_traffic);
	*out = p;
	return SG_OK;
fail:
	free(tmp);
	free(p);
	return st;
}

/* Whether the rule's protocol and ports are ones this policy looks at. */
static bool
rule_selected(const struct exposure_params *p, int protocol, int from, int to)
{
	int port;

	if (protocol == SG_PROTO_ALL)
		return true;
	if (sg_protocol_is_icmp(protocol))
		return p->include_icmp && !p->has_only;
	if (!sg_protocol_has_ports(protocol))
		return p->include_other && !p->has_only;
	if (!p->has_only)
		return true;
	for (port = from; port <= to; port++) {
		if ((port & 7) == 0 && port + 7 <= to && p->only.bits[port >> 3] == 0) {
			port += 7;
			continue;
		}
		if (sg_portset_has(&p->only, (unsigned)port))
			return true;
	}
	return false;
}

static enum sg_status
emit_exposure(const struct sg_check_env *env, const struct exposure_params *p,
              const struct sg_rule *r, const char *source, struct sg_error *err)
{
	struct sg_exposure x;
	struct sg_check_draft d = { 0 };
	char reason[512], ports[40], proto[8], plist[400];
	const char *pname = sg_protocol_name(r->protocol, proto, sizeof(proto));
	char src[SG_CIDR_TEXT_MAX + 8];

	if (sg_rule_is_all_traffic(r))
		x = p->all_traffic;
	else
		sg_exposure_score(&p->score, r->protocol, r->from_port, r->to_port, &x);
	if (x.kind == SG_EXPOSE_AUTHORIZED && !p->report_authorized)
		return SG_OK;
	if (source == NULL) {
		sg_check_source_text(r, src, sizeof(src));
		source = src;
	}
	sg_check_ports_text(r, ports, sizeof(ports));
	plist[0] = '\0';
	if (x.n_sensitive > 0) {
		size_t listed = x.n_sensitive < SG_MAX_LISTED_PORTS ? x.n_sensitive : SG_MAX_LISTED_PORTS;
		sg_check_port_list_text(x.sensitive_ports, listed, x.n_sensitive, plist, sizeof(plist));
		d.sensitive_ports = plist;
	}
	switch (x.kind) {
	case SG_EXPOSE_ALL_TRAFFIC:
		if (r->protocol == SG_PROTO_ALL)
			snprintf(reason, sizeof(reason),
			    "All traffic is open to the internet from %s, exposing every sensitive port "
			    "(%zu, catalogue %s).", source, x.n_sensitive, p->score.catalogue_version);
		else
			snprintf(reason, sizeof(reason),
			    "Every %s port (%s) is open to the internet from %s, exposing every "
			    "sensitive port (%zu, catalogue %s).", pname, ports, source, x.n_sensitive,
			    p->score.catalogue_version);
		break;
	case SG_EXPOSE_SENSITIVE:
		snprintf(reason, sizeof(reason),
		    "Sensitive %s port%s %s open to the internet from %s (catalogue %s).",
		    pname, x.n_sensitive > 1 ? "s" : "", plist, source, p->score.catalogue_version);
		break;
	case SG_EXPOSE_PORTS:
		if (sg_protocol_has_ports(r->protocol))
			snprintf(reason, sizeof(reason),
			    "%s port%s %s open to the internet from %s.", pname,
			    r->from_port == r->to_port ? "" : "s", ports, source);
		else
			snprintf(reason, sizeof(reason),
			    "The whole of protocol %s is open to the internet from %s.", pname, source);
		break;
	case SG_EXPOSE_ICMP:
		snprintf(reason, sizeof(reason),
		    "%s (%s) is open to the internet from %s; ICMP types are not ports.",
		    r->protocol == SG_PROTO_ICMP ? "ICMP" : "ICMPv6", ports, source);
		break;
	case SG_EXPOSE_AUTHORIZED:
		snprintf(reason, sizeof(reason),
		    "%s %s is open to the internet from %s, an authorized internet port.", pname,
		    ports, source);
		break;
	case SG_EXPOSE_NONE:
		return SG_OK;
	}
	d.state = x.kind == SG_EXPOSE_AUTHORIZED ? SG_FINDING_INFO : SG_FINDING_FAIL;
	d.risk = x.risk;
	d.severity = p->use_policy_severity && x.kind != SG_EXPOSE_AUTHORIZED ?
	    env->policy->severity : x.severity;
	d.rule = r;
	d.source = source;
	d.reason = reason;
	return sg_check_emit(env, &d, err);
}

struct cand {
	const struct sg_rule *r;
	bool internet;
};

static int
cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	if (a->r->protocol != b->r->protocol)
		return a->r->protocol < b->r->protocol ? -1 : 1;
	if (a->r->from_port != b->r->from_port)
		return a->r->from_port < b->r->from_port ? -1 : 1;
	if (a->r->to_port != b->r->to_port)
		return a->r->to_port < b->r->to_port ? -1 : 1;
	return a->r < b->r ? -1 : a->r > b->r;
}

/* Add a rule's CIDRs (its own, or its prefix list's entries) to the list. */
static size_t
add_cidrs(const struct sg_check_env *env, const struct sg_rule *r,
          const struct sg_cidr **list, size_t n, size_t cap)
{
	bool unresolved;
	const struct sg_prefix_list *pl;
	size_t i;

	if (r->source == SG_SRC_CIDR4 || r->source == SG_SRC_CIDR6) {
		if (n < cap)
			list[n++] = &r->cidr;
		return n;
	}
	(void)sg_check_source_is_internet(env, r, &unresolved, &pl);
	if (pl != NULL && pl->resolved)
		for (i = 0; i < pl->n_entries && n < cap; i++)
			list[n++] = &pl->entries[i];
	return n;
}

/* Effectively open: union of non-internet sources per exact (protocol, ports). */
static enum sg_status
check_unions(const struct sg_check_env *env, const struct exposure_params *p,
             struct sg_error *err)
{
	const struct sg_group *g = env->group;
	struct cand *c;
	const struct sg_cidr **list = NULL;
	size_t i, n = 0, nc = 0, cap = 0, start;
	enum sg_status st = SG_OK;

	for (i = 0; i < g->n_rules; i++) {
		const struct sg_rule *r = &g->rules[i];
		if (r->direction == SG_INGRESS && r->source != SG_SRC_GROUP)
			n++;
	}
	if (n < 2)
		return SG_OK;
	c = calloc(n, sizeof(*c));
	if (c == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	for (i = 0; i < g->n_rules; i++) {
		const struct sg_rule *r = &g->rules[i];
		const struct sg_prefix_list *pl;
		bool unresolved;
		if (r->direction != SG_INGRESS || r->source == SG_SRC_GROUP)
			continue;
		c[nc].r = r;
		c[nc].internet = sg_check_source_is_internet(env, r, &unresolved, &pl);
		if (r->source == SG_SRC_PREFIX_LIST && pl != NULL && pl->resolved)
			cap += pl->n_entries;
		else
			cap++;
		nc++;
	}
	qsort(c, nc, sizeof(*c), cand_cmp);
	list = calloc(cap ? cap : 1, sizeof(*list));
	if (list == NULL) {
		free(c);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	for (start = 0; start < nc;) {
		size_t end = start, m = 0, k;
		bool any_internet = false;
		while (end < nc && c[end].r->protocol == c[start].r->protocol &&
		    c[end].r->from_port == c[start].r->from_port &&
		    c[end].r->to_port == c[start].r->to_port)
			end++;
		for (k = start; k < end; k++) {
			any_internet |= c[k].internet;
			m = add_cidrs(env, c[k].r, list, m, cap);
		}
		if (!any_internet && end - start >= 2 &&
		    rule_selected(p, c[start].r->protocol, c[start].r->from_port, c[start].r->to_port)) {
			int fam;
			for (fam = 4; fam <= 6; fam += 2) {
				char src[300];
				size_t off = 0, shown = 0;
				const struct sg_rule *first = NULL;
				if (!sg_cidr_union_covers_all(list, m, fam))
					continue;
				src[0] = '\0';
				for (k = start; k < end; k++) {
					const struct sg_rule *r = c[k].r;
					char one[SG_CIDR_TEXT_MAX + 24];
					int w;
					if (r->source == SG_SRC_CIDR4 || r->source == SG_SRC_CIDR6) {
						if (r->cidr.family != fam)
							continue;
					} else if (r->source != SG_SRC_PREFIX_LIST) {
						continue;
					}
					if (first == NULL || r < first)
						first = r;
					sg_check_source_text(r, one, sizeof(one));
					if (off < sizeof(src) - 60) {
						w = snprintf(src + off, sizeof(src) - off, "%s%s",
						    shown ? " + " : "", one);
						if (w > 0)
							off += (size_t)w;
						shown++;
					} else if (off < sizeof(src) - 1) {
						(void)snprintf(src + off, sizeof(src) - off, " + …");
						off = sizeof(src) - 1;
					}
				}
				if (first == NULL)
					continue;
				{
					char label[340];
					snprintf(label, sizeof(label), "%s (effectively %s)", src,
					    fam == 4 ? "0.0.0.0/0" : "::/0");
					if ((st = emit_exposure(env, p, first, label, err)) != SG_OK)
						goto out;
				}
			}
		}
		start = end;
	}
out:
	free(list);
	free(c);
	return st;
}

static enum sg_status
exposure_eval(const struct sg_check_env *env, const void *params, bool *applicable,
              struct sg_error *err)
{
	const struct exposure_params *p = params;
	const struct sg_group *g = env->group;
	size_t i;
	enum sg_status st;

	*applicable = true;
	for (i = 0; i < g->n_rules; i++) {
		const struct sg_rule *r = &g->rules[i];
		const struct sg_prefix_list *pl = NULL;
		bool unresolved;

		if (r->direction != SG_INGRESS || r->source == SG_SRC_GROUP)
			continue;
		if (!rule_selected(p, r->protocol, r->from_port, r->to_port))
			continue;
		if (sg_check_source_is_internet(env, r, &unresolved, &pl)) {
			char src[SG_CIDR_TEXT_MAX + 160];
			if (r->source == SG_SRC_PREFIX_LIST)
				snprintf(src, sizeof(src), "prefix list %s%s%s%s containing the internet",
				    r->prefix_list_id, pl && pl->name ? " (" : "",
				    pl && pl->name ? pl->name : "", pl && pl->name ? ")" : "");
			else
				sg_check_source_text(r, src, sizeof(src));
			if ((st = emit_exposure(env, p, r, src, err)) != SG_OK)
				return st;
		} else if (unresolved) {
			struct sg_check_draft d = { 0 };
			char reason[256];
			snprintf(reason, sizeof(reason),
			    "Prefix list %s was not resolved by the scan; whether this rule is open to "
			    "the internet is unknown.", r->prefix_list_id ? r->prefix_list_id : "?");
			d.state = SG_FINDING_UNKNOWN;
			d.severity = env->policy->severity;
			d.risk = 0;
			d.rule = r;
			d.reason = reason;
			if ((st = sg_check_emit(env, &d, err)) != SG_OK)
				return st;
		}
	}
	if (p->effectively_open)
		return check_unions(env, p, err);
	return SG_OK;
}

const struct sg_check_kind sg_check_internet_exposure = {
	.name = "internet_exposure",
	.summary = "ingress open to the internet (incl. prefix lists and CIDR unions), scored 100/90/75/40/info",
	.parse = exposure_parse,
	.free_params = free,
	.eval = exposure_eval,
};
