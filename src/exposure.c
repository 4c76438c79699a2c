/* exposure.c — the one scorer for internet exposure (sg-semantics.md §3, §4). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sg_exposure.h"

/*
 * The default sensitive-port catalogue, version SG_CATALOGUE_VERSION: the
 * union of the CloudTrail detection seed's list and Security Hub EC2.19's
 * high-risk ports, each port tagged with where it comes from.
 */
#define S SG_PORT_FROM_SEED
#define H SG_PORT_FROM_EC2_19
static const struct sg_catalogue_entry catalogue[] = {
	{ 20, H }, { 21, H }, { 22, S | H }, { 23, S | H }, { 25, H }, { 110, H },
	{ 135, H }, { 143, H }, { 445, H }, { 1433, S | H }, { 1434, H }, { 3000, H },
	{ 3306, S | H }, { 3389, S | H }, { 4333, H }, { 5000, H }, { 5432, S | H },
	{ 5500, H }, { 5601, H }, { 5984, S }, { 6379, S }, { 7000, S }, { 7001, S },
	{ 8020, S }, { 8080, H }, { 8086, S }, { 8088, H }, { 8888, S | H },
	{ 9042, S }, { 9160, S }, { 9200, S | H }, { 9300, S | H }, { 11211, S },
	{ 27017, S }, { 27018, S }, { 27019, S }, { 50070, S },
};
#undef S
#undef H

const struct sg_catalogue_entry *
sg_exposure_catalogue(size_t *n)
{
	*n = sizeof(catalogue) / sizeof(catalogue[0]);
	return catalogue;
}

void
sg_portset_add(struct sg_portset *s, unsigned port)
{
	if (port <= 65535)
		s->bits[port >> 3] |= (uint8_t)(1u << (port & 7));
}

void
sg_portset_remove(struct sg_portset *s, unsigned port)
{
	if (port <= 65535)
		s->bits[port >> 3] &= (uint8_t)~(1u << (port & 7));
}

bool
sg_portset_has(const struct sg_portset *s, unsigned port)
{
	return port <= 65535 && (((unsigned)s->bits[port >> 3] >> (port & 7u)) & 1u) != 0;
}

void
sg_exposure_params_default(struct sg_exposure_params *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++) {
		sg_portset_add(&p->sensitive, catalogue[i].port);
		p->sensitive_origin[catalogue[i].port] = catalogue[i].origin;
	}
	sg_portset_add(&p->authorized_tcp, 80);
	sg_portset_add(&p->authorized_tcp, 443);
	snprintf(p->catalogue_version, sizeof(p->catalogue_version), "%s", SG_CATALOGUE_VERSION);
}

enum sg_severity
sg_severity_from_risk(int risk)
{
	if (risk >= 90)
		return SG_SEV_CRITICAL;
	if (risk >= 75)
		return SG_SEV_HIGH;
	if (risk > 0)
		return SG_SEV_LOW;
	return SG_SEV_INFO;
}

static const char *const severity_names[] = {
	[SG_SEV_INFO] = "info", [SG_SEV_LOW] = "low", [SG_SEV_MEDIUM] = "medium",
	[SG_SEV_HIGH] = "high", [SG_SEV_CRITICAL] = "critical",
};

const char *
sg_severity_name(enum sg_severity s)
{
	if ((unsigned)s > SG_SEV_CRITICAL)
		return "unknown";
	return severity_names[s];
}

bool
sg_severity_parse(const char *text, enum sg_severity *out)
{
	unsigned i;

	for (i = 0; i <= SG_SEV_CRITICAL; i++) {
		if (strcasecmp(text, severity_names[i]) == 0) {
			*out = (enum sg_severity)i;
			return true;
		}
	}
	return false;
}

/* Record one sensitive port unless it is authorized for this protocol. */
static void
note_port(const struct sg_portset *authorized, unsigned port, struct sg_exposure *out)
{
	if (authorized != NULL && sg_portset_has(authorized, port))
		return;
	if (out->n_sensitive < SG_MAX_LISTED_PORTS)
		out->sensitive_ports[out->n_sensitive] = (uint16_t)port;
	out->n_sensitive++;
}

/*
 * Record the sensitive ports in [from, to] that are not authorized for this
 * protocol. Scans the bitmap 64 ports at a time: "all traffic" asks about
 * every port, and a million-rule account asks often.
 */
static void
collect_sensitive(const struct sg_exposure_params *p, const struct sg_portset *authorized,
                  int from, int to, struct sg_exposure *out)
{
	unsigned lo = (unsigned)from, hi = (unsigned)to, port;

	for (port = lo; port <= hi;) {
		if ((port & 63u) == 0 && port + 63u <= hi) {
			uint64_t word;
			memcpy(&word, p->sensitive.bits + port / 8, sizeof(word));
			if (word == 0) {
				port += 64;
				continue;
			}
		}
		if (sg_portset_has(&p->sensitive, port))
			note_port(authorized, port, out);
		port++;
	}
}

static bool
all_authorized(const struct sg_portset *authorized, int from, int to)
{
	int port;

	if (authorized == NULL)
		return false;
	for (port = from; port <= to; port++)
		if (!sg_portset_has(authorized, (unsigned)port))
			return false;
	return true;
}

static void
set_kind(struct sg_exposure *out, enum sg_exposure_kind kind, int risk)
{
	out->kind = kind;
	out->risk = risk;
	out->severity = sg_severity_from_risk(risk);
}

void
sg_exposure_score(const struct sg_exposure_params *p, int protocol, int from_port,
                  int to_port, struct sg_exposure *out)
{
	const struct sg_portset *authorized = NULL;

	memset(out, 0, sizeof(*out));
	if (protocol == SG_PROTO_TCP)
		authorized = &p->authorized_tcp;
	else if (protocol == SG_PROTO_UDP)
		authorized = &p->authorized_udp;

	if (protocol == SG_PROTO_ALL ||
	    (sg_protocol_has_ports(protocol) && from_port <= 1 && to_port == 65535)) {
		/* All traffic also exposes every sensitive port (case 1). */
		collect_sensitive(p, NULL, 0, 65535, out);
		set_kind(out, SG_EXPOSE_ALL_TRAFFIC, 100);
		return;
	}
	if (sg_protocol_is_icmp(protocol)) {
		set_kind(out, SG_EXPOSE_ICMP, 40);
		return;
	}
	if (!sg_protocol_has_ports(protocol)) {
		/* gre, esp, ...: the whole protocol is open. */
		set_kind(out, SG_EXPOSE_PORTS, 75);
		return;
	}
	if (from_port < 0)
		from_port = 0;
	if (to_port > 65535)
		to_port = 65535;
	collect_sensitive(p, authorized, from_port, to_port, out);
	if (out->n_sensitive > 0)
		set_kind(out, SG_EXPOSE_SENSITIVE, 90);
	else if (all_authorized(authorized, from_port, to_port))
		set_kind(out, SG_EXPOSE_AUTHORIZED, 0);
	else
		set_kind(out, SG_EXPOSE_PORTS, 75);
}
