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
              const struct sg_rule *rule, const struct sg_rule *shape, const char *source,
              struct sg_error *err)
{
	/* shape: the protocol and ports exposed (the rule itself, or a range across rules). */
	const struct sg_rule *r = shape ? shape : rule;
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
		sg_check_source_text(rule, src, sizeof(src));
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
	d.rule = rule;
	if (shape != NULL) {
		d.has_shape = true;
		d.protocol = shape->protocol;
		d.from_port = shape->from_port;
		d.to_port = shape->to_port;
	}
	d.source = source;
	d.reason = reason;
	return sg_check_emit(env, &d, err);
}

/*
 * Effectively open (sg-semantics.md §2): for a (protocol, port), the union of
 * the group's ingress sources that allow it covers the whole IPv4 or IPv6
 * space, although no single source is the internet. Rules of protocol -1
 * count for every protocol. Port ranges are cut at every rule boundary into
 * elementary intervals, each checked on its own, and neighbouring open
 * intervals are reported as one range. A quick test first: if the union of
 * ALL the group's non-internet sources does not cover a family, nothing can.
 */
struct cand {
	const struct sg_rule *r;
	bool internet;
	size_t off, n;     /* its CIDRs in the flat list */
	int lo, hi;        /* its range in the protocol's domain */
};

/* Domain of a protocol's "ports": tcp/udp 0..65535, ICMP types 0..255, else one point. */
static void
rule_domain(const struct sg_rule *r, int protocol, int *lo, int *hi)
{
	if (r->protocol == SG_PROTO_ALL || protocol == SG_PROTO_ALL) {
		*lo = 0;
		*hi = sg_protocol_has_ports(protocol) ? 65535 : sg_protocol_is_icmp(protocol) ? 255 : 0;
	} else if (sg_protocol_has_ports(protocol)) {
		*lo = r->from_port;
		*hi = r->to_port;
	} else if (sg_protocol_is_icmp(protocol)) {
		/* ICMP: by type; -1 is every type (codes are not told apart here). */
		*lo = r->from_port < 0 ? 0 : r->from_port;
		*hi = r->from_port < 0 ? 255 : r->from_port;
	} else {
		*lo = *hi = 0;
	}
}

static int
int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

struct union_ctx {
	const struct sg_check_env *env;
	const struct exposure_params *p;
	struct cand *c;
	size_t nc;
	const struct sg_cidr **flat;
	const struct sg_cidr **scratch;
	int *bounds;
};

/* Which family the candidates covering [lo, hi] of `protocol` open completely (0 = none). */
static int
open_family(struct union_ctx *u, int protocol, int lo, int hi, bool *internet_covered)
{
	size_t k, m = 0, i;
	int fam;

	*internet_covered = false;
	for (k = 0; k < u->nc; k++) {
		const struct cand *c = &u->c[k];
		int clo, chi;
		if (c->r->protocol != protocol && c->r->protocol != SG_PROTO_ALL)
			continue;
		rule_domain(c->r, protocol, &clo, &chi);
		if (clo > lo || chi < hi)
			continue;
		if (c->internet) {
			*internet_covered = true;
			return 0;
		}
		for (i = 0; i < c->n; i++)
			u->scratch[m++] = u->flat[c->off + i];
	}
	for (fam = 4; fam <= 6; fam += 2)
		if (m >= 2 && sg_cidr_union_covers_all(u->scratch, m, fam))
			return fam;
	return 0;
}

static enum sg_status
report_union(struct union_ctx *u, int protocol, int lo, int hi, int fam, struct sg_error *err)
{
	char src[300], label[340];
	size_t k, off = 0, shown = 0;
	const struct sg_rule *anchor = NULL;
	struct sg_rule shape;

	src[0] = '\0';
	for (k = 0; k < u->nc; k++) {
		const struct cand *c = &u->c[k];
		int clo, chi;
		char one[SG_CIDR_TEXT_MAX + 24];
		if (c->internet || (c->r->protocol != protocol && c->r->protocol != SG_PROTO_ALL))
			continue;
		rule_domain(c->r, protocol, &clo, &chi);
		if (clo > lo || chi < hi)
			continue;
		if ((c->r->source == SG_SRC_CIDR4 || c->r->source == SG_SRC_CIDR6) &&
		    c->r->cidr.family != fam)
			continue;
		if (anchor == NULL || c->r < anchor)
			anchor = c->r;
		sg_check_source_text(c->r, one, sizeof(one));
		if (off < sizeof(src) - 60) {
			int w = snprintf(src + off, sizeof(src) - off, "%s%s", shown ? " + " : "", one);
			if (w > 0)
				off += (size_t)w;
			shown++;
		} else if (off < sizeof(src) - 1) {
			(void)snprintf(src + off, sizeof(src) - off, " + ...");
			off = sizeof(src) - 1;
		}
	}
	if (anchor == NULL)
		return SG_OK;
	snprintf(label, sizeof(label), "%s (effectively %s)", src, fam == 4 ? "0.0.0.0/0" : "::/0");
	shape = *anchor;
	shape.protocol = protocol;
	if (sg_protocol_has_ports(protocol)) {
		shape.from_port = lo;
		shape.to_port = hi;
	} else if (sg_protocol_is_icmp(protocol)) {
		bool all_types = lo == 0 && hi == 255;
		shape.from_port = all_types ? -1 : lo;
		shape.to_port = all_types ? -1 : (anchor->protocol == protocol ? anchor->to_port : -1);
	} else {
		shape.from_port = shape.to_port = -1;
	}
	if (!rule_selected(u->p, protocol, shape.from_port, shape.to_port))
		return SG_OK;
	return emit_exposure(u->env, u->p, anchor, &shape, label, err);
}

static enum sg_status
unions_for_protocol(struct union_ctx *u, int protocol, struct sg_error *err)
{
	size_t k, nb = 0, i;
	int run_lo = -1, run_hi = -1, run_fam = 0;
	enum sg_status st;

	for (k = 0; k < u->nc; k++) {
		int lo, hi;
		if (u->c[k].r->protocol != protocol && u->c[k].r->protocol != SG_PROTO_ALL)
			continue;
		rule_domain(u->c[k].r, protocol, &lo, &hi);
		u->bounds[nb++] = lo;
		u->bounds[nb++] = hi + 1;
	}
	qsort(u->bounds, nb, sizeof(int), int_cmp);
	for (i = 0; i + 1 < nb; i++) {
		int lo = u->bounds[i], hi = u->bounds[i + 1] - 1, fam;
		bool inet;
		if (hi < lo)
			continue;
		fam = open_family(u, protocol, lo, hi, &inet);
		if (fam != 0 && fam == run_fam && run_hi + 1 == lo) {
			run_hi = hi;
			continue;
		}
		if (run_fam != 0 && (st = report_union(u, protocol, run_lo, run_hi, run_fam, err)) != SG_OK)
			return st;
		run_fam = fam;
		run_lo = lo;
		run_hi = hi;
	}
	if (run_fam != 0)
		return report_union(u, protocol, run_lo, run_hi, run_fam, err);
	return SG_OK;
}

static enum sg_status
check_unions(const struct sg_check_env *env, const struct exposure_params *p,
             struct sg_error *err)
{
	const struct sg_group *g = env->group;
	struct union_ctx u;
	size_t i, n = 0, nflat = 0, k;
	int protos[256 + 1];
	size_t nprotos = 0;
	bool any4, any6;
	enum sg_status st = SG_OK;

	for (i = 0; i < g->n_rules; i++)
		if (g->rules[i].direction == SG_INGRESS && g->rules[i].source != SG_SRC_GROUP)
			n++;
	if (n < 2)
		return SG_OK;
	memset(&u, 0, sizeof(u));
	u.env = env;
	u.p = p;
	u.c = calloc(n, sizeof(*u.c));
	u.bounds = calloc(2 * n, sizeof(int));
	if (u.c == NULL || u.bounds == NULL)
		goto nomem;
	for (i = 0; i < g->n_rules; i++) {
		const struct sg_rule *r = &g->rules[i];
		const struct sg_prefix_list *pl;
		bool unresolved;
		if (r->direction != SG_INGRESS || r->source == SG_SRC_GROUP)
			continue;
		u.c[u.nc].r = r;
		u.c[u.nc].internet = sg_check_source_is_internet(env, r, &unresolved, &pl);
		if (r->source == SG_SRC_PREFIX_LIST)
			u.c[u.nc].n = pl != NULL && pl->resolved ? pl->n_entries : 0;
		else
			u.c[u.nc].n = 1;
		u.c[u.nc].off = nflat;
		nflat += u.c[u.nc].n;
		u.nc++;
	}
	u.flat = calloc(nflat ? nflat : 1, sizeof(*u.flat));
	u.scratch = calloc(nflat ? nflat : 1, sizeof(*u.scratch));
	if (u.flat == NULL || u.scratch == NULL)
		goto nomem;
	for (k = 0; k < u.nc; k++) {
		const struct sg_rule *r = u.c[k].r;
		if (r->source == SG_SRC_PREFIX_LIST) {
			const struct sg_prefix_list *pl;
			bool unresolved;
			(void)sg_check_source_is_internet(env, r, &unresolved, &pl);
			for (i = 0; i < u.c[k].n; i++)
				u.flat[u.c[k].off + i] = &pl->entries[i];
		} else {
			u.flat[u.c[k].off] = &r->cidr;
		}
	}
	/* Quick test over every non-internet source, any protocol or port. */
	{
		size_t m = 0;
		for (k = 0; k < u.nc; k++)
			if (!u.c[k].internet)
				for (i = 0; i < u.c[k].n; i++)
					u.scratch[m++] = u.flat[u.c[k].off + i];
		any4 = m >= 2 && sg_cidr_union_covers_all(u.scratch, m, 4);
		any6 = m >= 2 && sg_cidr_union_covers_all(u.scratch, m, 6);
	}
	if (!any4 && !any6)
		goto out;
	/* Every protocol named by a non-internet rule (-1 stands for itself too). */
	for (k = 0; k < u.nc; k++) {
		bool seen = false;
		if (u.c[k].internet)
			continue;
		for (i = 0; i < nprotos; i++)
			seen |= protos[i] == u.c[k].r->protocol;
		if (!seen && nprotos < sizeof(protos) / sizeof(protos[0]))
			protos[nprotos++] = u.c[k].r->protocol;
	}
	qsort(protos, nprotos, sizeof(int), int_cmp);
	for (i = 0; i < nprotos && st == SG_OK; i++)
		st = unions_for_protocol(&u, protos[i], err);
	goto out;
nomem:
	st = sg_err_set(err, SG_ENOMEM, "out of memory");
out:
	free(u.c);
	free(u.bounds);
	free(u.flat);
	free(u.scratch);
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
			if ((st = emit_exposure(env, p, r, NULL, src, err)) != SG_OK)
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
