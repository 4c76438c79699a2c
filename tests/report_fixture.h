/*
 * report_fixture.h — a fixed report for the report tests: every value,
 * including times and versions, is constant, so rendered output is
 * byte-stable and can be compared with tests/golden/.
 *
 * The fixture carries hostile names on purpose: a group name with markup
 * (HTML escaping) and one starting with '=' (CSV formula injection).
 */
#ifndef SG_REPORT_FIXTURE_H
#define SG_REPORT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_report.h"

#define FX_ACCOUNT "123456789012"
#define FX_START ((time_t)1795482000) /* 2026-11-24T01:00:00Z */

static void
fx_set(char **field, const char *v)
{
	if (!sg_report_set(field, v))
		abort();
}

static void
fx_region(struct sg_report *r, const char *name, const char *state, const char *code,
          const char *msg, size_t groups, size_t rules)
{
	struct sg_report_region *g = sg_report_add_region(r);

	if (g == NULL || !sg_report_add_requested_region(r, name))
		abort();
	fx_set(&g->region, name);
	fx_set(&g->state, state);
	fx_set(&g->error_code, code);
	fx_set(&g->error_message, msg);
	g->groups = groups;
	g->rules = rules;
}

static void
fx_finding(struct sg_report *r, const char *policy, const char *region, const char *gid,
           const char *gname, const char *rule, enum sg_severity sev, int risk,
           enum sg_report_status st, const char *reason, const char *fix, const char *waiver)
{
	struct sg_report_finding *f = sg_report_add_finding(r);

	if (f == NULL)
		abort();
	fx_set(&f->policy_id, policy);
	fx_set(&f->account_id, FX_ACCOUNT);
	fx_set(&f->region, region);
	fx_set(&f->group_id, gid);
	fx_set(&f->group_name, gname);
	fx_set(&f->vpc_id, strcmp(region, "us-east-1") == 0 ? "vpc-0aaa1111" : "vpc-0eee2222");
	fx_set(&f->rule, rule);
	fx_set(&f->reason, reason);
	fx_set(&f->fix, fix);
	fx_set(&f->waiver, waiver);
	fx_set(&f->attachment, "attached (1 ENI)");
	fx_set(&f->pci_v321, "1.2.1");
	fx_set(&f->pci_v4, "1.3.1");
	f->severity = sev;
	f->risk = risk;
	f->status = st;
	f->in_scope = true;
}

/*
 * The last finding's rule in parts (what sg_report_from_policy fills from the
 * engine). ICMP: lo/hi are type/code; other protocols but tcp/udp: no range.
 */
static void
fx_parts(struct sg_report *r, const char *proto, int lo, int hi, enum sg_source_kind kind,
         const char *source)
{
	struct sg_report_finding *f = &r->findings[r->n_findings - 1];

	f->has_rule = true;
	f->direction = SG_INGRESS;
	fx_set(&f->protocol, proto);
	if (strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0) {
		f->has_ports = true;
		f->from_port = lo;
		f->to_port = hi;
	} else if (strcmp(proto, "icmp") == 0) {
		f->has_icmp = true;
		f->icmp_type = lo;
		f->icmp_code = hi;
	}
	f->source_kind = kind;
	fx_set(&f->source, source);
}

static void
fx_check(struct sg_report *r, const char *policy, const char *region, const char *gid,
         const char *gname, enum sg_report_check_verdict v)
{
	struct sg_report_check *k = sg_report_add_check(r);

	if (k == NULL)
		abort();
	fx_set(&k->policy_id, policy);
	fx_set(&k->account_id, FX_ACCOUNT);
	fx_set(&k->region, region);
	fx_set(&k->group_id, gid);
	fx_set(&k->group_name, gname);
	k->in_scope = true;
	k->verdict = v;
}

#define P_EXPO "SG.InternetExposure"
#define P_INTER "AWS.SecurityGroup.RestrictsInterSecurityGroupTraffic"
#define P_DEF "SG.DefaultGroupRestrictsAll"

static const char fx_fix_expo[] =
    "Remove the rule or narrow its source to the addresses that need it; put "
    "administrative access behind a bastion or AWS Systems Manager Session Manager.";

static void
fx_fill_meta(struct sg_report *r)
{
	fx_set(&r->tool_version, "0.1.0");
	fx_set(&r->catalogue_version, "2026.11-1");
	fx_set(&r->catalogue_hash,
	    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	fx_set(&r->account_id, FX_ACCOUNT);
	fx_set(&r->caller_arn, "arn:aws:iam::123456789012:user/auditor");
	fx_set(&r->partition, "aws");
	fx_set(&r->scope, "all groups");
	r->started = FX_START;
	r->finished = FX_START + 7;
}

static struct sg_report *
sg_test_fixture_report(void)
{
	struct sg_report *r = sg_report_new();
	struct sg_report_policy *p;
	static const char *const pol[][3] = {
		{ P_DEF, "Default security group restricts all traffic", "medium" },
		{ P_EXPO, "Internet exposure scored by risk", "critical" },
		{ P_INTER, "Restricts inter-security-group traffic", "low" },
	};
	static const char *const groups[][3] = {
		{ "us-east-1", "sg-0a1b2c3d4e5f60001", "web-<script>alert(1)</script>" },
		{ "us-east-1", "sg-0a1b2c3d4e5f60002", "=cmd|' /C calc'!A0" },
		{ "us-east-1", "sg-0a1b2c3d4e5f60003", "db" },
		{ "us-east-1", "sg-0a1b2c3d4e5f60004", "legacy-vpn" },
		{ "eu-west-1", "sg-0e0e0e0e0e0e00001", "default" },
		{ "eu-west-1", "sg-0e0e0e0e0e0e00002", "ping, \"monitoring\"" },
	};
	size_t i, j;

	if (r == NULL)
		abort();
	fx_fill_meta(r);
	fx_region(r, "us-east-1", "SCANNED", NULL, NULL, 4, 9);
	fx_region(r, "eu-west-1", "SCANNED", NULL, NULL, 2, 3);
	fx_region(r, "ap-south-1", "DENIED", "UnauthorizedOperation",
	    "You are not authorized to perform this operation.", 0, 0);
	/* eu-west-1's interfaces could not be read: its findings' attachment is unknown. */
	fx_set(&r->regions[0].attachments, "counted");
	fx_set(&r->regions[1].attachments, "denied: UnauthorizedOperation");
	for (i = 0; i < 3; i++) {
		if ((p = sg_report_add_policy(r)) == NULL)
			abort();
		fx_set(&p->id, pol[i][0]);
		fx_set(&p->title, pol[i][1]);
		fx_set(&p->severity, pol[i][2]);
		fx_set(&p->pci, "1.2.1");
	}

	fx_finding(r, P_EXPO, "us-east-1", groups[0][1], groups[0][2],
	    "ingress tcp 3389 from 0.0.0.0/0", SG_SEV_CRITICAL, 90, SG_RSTAT_FAIL,
	    "Sensitive port 3389 (RDP) is open to the internet.", fx_fix_expo, NULL);
	fx_parts(r, "tcp", 3389, 3389, SG_SRC_CIDR4, "0.0.0.0/0");
	fx_finding(r, P_EXPO, "us-east-1", groups[0][1], groups[0][2],
	    "ingress tcp 443 from 0.0.0.0/0", SG_SEV_INFO, 0, SG_RSTAT_INFO,
	    "Port 443 is an authorized internet port.", "None needed.", NULL);
	fx_parts(r, "tcp", 443, 443, SG_SRC_CIDR4, "0.0.0.0/0");
	fx_finding(r, P_EXPO, "us-east-1", groups[1][1], groups[1][2],
	    "ingress tcp 22 from 0.0.0.0/0", SG_SEV_CRITICAL, 90, SG_RSTAT_FAIL,
	    "Sensitive port 22 (SSH) is open to the internet.", fx_fix_expo, NULL);
	fx_parts(r, "tcp", 22, 22, SG_SRC_CIDR4, "0.0.0.0/0");
	fx_finding(r, P_EXPO, "us-east-1", groups[1][1], groups[1][2],
	    "ingress all from ::/0", SG_SEV_CRITICAL, 100, SG_RSTAT_FAIL,
	    "All traffic is open to the internet (IPv6), exposing every sensitive port.",
	    fx_fix_expo, NULL);
	fx_parts(r, "all", -1, -1, SG_SRC_CIDR6, "::/0");
	fx_finding(r, P_INTER, "us-east-1", groups[2][1], groups[2][2],
	    "ingress all from sg-0a1b2c3d4e5f60001 (123456789012)", SG_SEV_LOW, 40,
	    SG_RSTAT_FAIL, "Inter-group rule allows every port (ports absent).",
	    "Allow only the ports the application needs from the referenced group.", NULL);
	fx_parts(r, "all", -1, -1, SG_SRC_GROUP, "123456789012/sg-0a1b2c3d4e5f60001");
	fx_finding(r, P_EXPO, "us-east-1", groups[3][1], groups[3][2],
	    "ingress udp 1194 from 0.0.0.0/0", SG_SEV_HIGH, 75, SG_RSTAT_WAIVED,
	    "udp port 1194 is open to the internet.", fx_fix_expo,
	    "W1 ticket SEC-12 (netops, expires 2027-01-31): OpenVPN endpoint");
	fx_parts(r, "udp", 1194, 1194, SG_SRC_CIDR4, "0.0.0.0/0");
	fx_finding(r, P_DEF, "eu-west-1", groups[4][1], groups[4][2], "", SG_SEV_MEDIUM, 50,
	    SG_RSTAT_FAIL, "The default group of vpc-0eee2222 has 1 ingress and 1 egress rule.",
	    "Remove every rule from the default group; attach purpose-made groups instead.", NULL);
	fx_finding(r, P_EXPO, "eu-west-1", groups[5][1], groups[5][2],
	    "ingress icmp type all from 0.0.0.0/0", SG_SEV_LOW, 40, SG_RSTAT_FAIL,
	    "ICMP is open to the internet (every type).",
	    "Allow only the ICMP types needed (e.g. type 3 for path MTU discovery).", NULL);
	fx_parts(r, "icmp", -1, -1, SG_SRC_CIDR4, "0.0.0.0/0");
	/* The monitoring group is outside PCI scope: reported, never in the verdict. */
	r->findings[r->n_findings - 1].in_scope = false;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		for (j = 0; j < 3; j++) {
			enum sg_report_check_verdict v = SG_CHECK_PASS;
			const char *pid = pol[j][0];
			size_t k;
			if (strcmp(pid, P_DEF) == 0 && strcmp(groups[i][2], "default") != 0)
				v = SG_CHECK_NOT_APPLICABLE;
			for (k = 0; k < r->n_findings; k++) {
				const struct sg_report_finding *f = &r->findings[k];
				if (strcmp(f->group_id, groups[i][1]) || strcmp(f->policy_id, pid))
					continue;
				if (f->status == SG_RSTAT_FAIL)
					v = SG_CHECK_FAIL;
				else if (f->status == SG_RSTAT_WAIVED && v != SG_CHECK_FAIL)
					v = SG_CHECK_WAIVED;
			}
			fx_check(r, pid, groups[i][0], groups[i][1], groups[i][2], v);
			r->checks[r->n_checks - 1].in_scope = i != 5;
		}
	}
	sg_report_finish(r);
	return r;
}

/* A report with n findings (about 700 bytes of JSON each), for the kill test. */
static struct sg_report *
sg_test_fixture_big_report(size_t n)
{
	struct sg_report *r = sg_report_new();
	char gid[32], rule[64];
	size_t i;

	if (r == NULL)
		abort();
	fx_fill_meta(r);
	fx_region(r, "us-east-1", "SCANNED", NULL, NULL, n, n);
	for (i = 0; i < n; i++) {
		snprintf(gid, sizeof(gid), "sg-%017zx", i);
		snprintf(rule, sizeof(rule), "ingress tcp %zu from 0.0.0.0/0", i % 65536);
		fx_finding(r, P_EXPO, "us-east-1", gid, "bulk", rule, SG_SEV_HIGH, 75, SG_RSTAT_FAIL,
		    "A tcp port is open to the internet.", fx_fix_expo, NULL);
	}
	sg_report_finish(r);
	return r;
}

static void
sg_test_fixture_free(struct sg_report *r)
{
	sg_report_free(r);
}

#endif
