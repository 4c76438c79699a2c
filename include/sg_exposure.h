/*
 * sg_exposure.h — one meaning of "open to the internet", one scorer.
 *
 * Serves both the posture scan (policy engine) and CloudTrail scoring
 * (../shared/reference/sg-semantics.md §2–§4, §9):
 *
 *   all traffic: protocol all, or every port of tcp/udp  -> 100 critical
 *   tcp/udp range containing a sensitive port            ->  90 critical
 *   any other tcp/udp port, or a whole non-port protocol ->  75 high
 *   ICMP / ICMPv6                                        ->  40 low
 *   only authorized internet ports (default tcp 80, 443) ->   0 info
 *
 * The sensitive-port catalogue is versioned; each port records which source
 * list(s) it comes from, so reports say which list was applied.
 */
#ifndef SG_EXPOSURE_H
#define SG_EXPOSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_record.h"

#define SG_CATALOGUE_VERSION "2026.11-1"

/* Where a sensitive port comes from (bit flags). */
enum sg_port_origin {
	SG_PORT_FROM_SEED = 1u << 0,      /* the CloudTrail detection seed */
	SG_PORT_FROM_EC2_19 = 1u << 1,    /* AWS Security Hub EC2.19 high-risk ports */
	SG_PORT_FROM_USER = 1u << 2       /* added by a policy file */
};

enum sg_severity {
	SG_SEV_INFO = 0,
	SG_SEV_LOW,
	SG_SEV_MEDIUM,
	SG_SEV_HIGH,
	SG_SEV_CRITICAL
};

enum sg_exposure_kind {
	SG_EXPOSE_NONE = 0,       /* not reachable from the internet */
	SG_EXPOSE_AUTHORIZED,     /* only authorized internet ports: info */
	SG_EXPOSE_ICMP,           /* 40 */
	SG_EXPOSE_PORTS,          /* 75: tcp/udp ports, or a whole non-port protocol */
	SG_EXPOSE_SENSITIVE,      /* 90 */
	SG_EXPOSE_ALL_TRAFFIC     /* 100 */
};

/* A port set as a bitmap over 0..65535 (8 KiB). */
struct sg_portset {
	uint8_t bits[65536 / 8];
};

/*
 * Scoring parameters. sg_exposure_params_default() gives the default
 * catalogue (seed ∪ EC2.19) and authorized ports tcp 80, 443.
 */
struct sg_exposure_params {
	struct sg_portset sensitive;          /* counts for tcp and udp alike */
	uint8_t sensitive_origin[65536];      /* enum sg_port_origin bits per port */
	struct sg_portset authorized_tcp;
	struct sg_portset authorized_udp;
	char catalogue_version[32];
};

void sg_exposure_params_default(struct sg_exposure_params *p);
void sg_portset_add(struct sg_portset *s, unsigned port);
void sg_portset_remove(struct sg_portset *s, unsigned port);
bool sg_portset_has(const struct sg_portset *s, unsigned port);

/* Ports of the built-in catalogue with their origins (for reports and docs). */
struct sg_catalogue_entry {
	uint16_t port;
	uint8_t origin; /* enum sg_port_origin bits */
};
const struct sg_catalogue_entry *sg_exposure_catalogue(size_t *n);

#define SG_MAX_LISTED_PORTS 64

/* The result of scoring one (protocol, port range) reachable from the internet. */
struct sg_exposure {
	enum sg_exposure_kind kind;
	int risk;                      /* 100 / 90 / 75 / 40 / 0 */
	enum sg_severity severity;     /* from risk: >=90 critical, >=75 high, >0 low, 0 info */
	uint16_t sensitive_ports[SG_MAX_LISTED_PORTS]; /* sensitive ports inside the range, ascending */
	size_t n_sensitive;            /* total found (may exceed the listed count) */
};

/*
 * Score a rule shape that is open to the internet. protocol/from/to are
 * NORMALIZED values (struct sg_rule semantics). For all traffic, every
 * catalogue port is listed as exposed too (sg-semantics.md case 1).
 */
void sg_exposure_score(const struct sg_exposure_params *p, int protocol, int from_port,
                       int to_port, struct sg_exposure *out);

/* Severity from a risk score (>= 90 critical, >= 75 high, > 0 low, 0 info). */
enum sg_severity sg_severity_from_risk(int risk);
const char *sg_severity_name(enum sg_severity s);   /* "critical", "high", ... */
bool sg_severity_parse(const char *text, enum sg_severity *out);

#endif
