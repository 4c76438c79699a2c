/*
 * fuzz_ec2_xml.c — libFuzzer target for the EC2 XML parsers (src/ec2_xml.c),
 * with a differential oracle.
 *
 * Each input goes through every parser (DescribeSecurityGroups,
 * DescribeRegions, GetManagedPrefixListEntries, DescribeNetworkInterfaces,
 * DescribeManagedPrefixLists), and what was parsed through the JSON writer,
 * so every record the parser can produce is also walked.
 *
 * The oracle: what a parse gives must not depend on how far libxml2's parser
 * had run ahead of its reader, which depends only on how the bytes arrived.
 * So each input is parsed several ways and the outcomes compared; a
 * difference aborts (a crash to libFuzzer):
 *   - DescribeSecurityGroups from memory, from memory shifted by white space
 *     before the root (the reader pushes memory to the parser in 512-byte
 *     chunks, so this moves every chunk boundary), and as a stream fed 1,
 *     13 and 4096 bytes a read;
 *   - the other parsers (memory only: sg_ec2.h has no stream variant for
 *     them) from memory, plain and shifted.
 * Compared: the status; on success what was parsed (the inventory JSON, the
 * request id, the NextToken; the lists the other parsers give); on failure
 * the error message. Not compared, because they legitimately depend on where
 * the reader stopped: what a failed parse appended before its error, and the
 * byte count. An input over the page cap is not compared at all: memory
 * refuses it from its length before parsing, a stream only once the cap is
 * crossed, after parsing what came before (a different, correct message).
 * And in a document that is not well-formed, which of a bad value and the
 * malformed XML after it is reported depends on libxml2's reader (see
 * xml_error_raced): those differences are counted as excused, not failures.
 *
 * SG_FUZZ_DIFF=report prints each difference and goes on instead of
 * aborting, and a count at exit (to survey a corpus:
 * SG_FUZZ_DIFF=report build/fuzz/fuzz_ec2_xml FILES...).
 *
 *   make fuzz && build/fuzz/fuzz_ec2_xml -max_total_time=60 fixtures/xml \
 *       ../shared/reference/samples
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "sg_cidr.h"
#include "sg_ec2.h"
#include "sg_inventory_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE_CAP ((size_t)1 << 20)
#define SHIFT 173 /* not a divisor of 512: moves every chunk boundary */

static const struct sg_ec2_where where = { "us-east-1", 1, "fuzz", PAGE_CAP };

/* What one parse gave. */
struct outcome {
	enum sg_status st;
	char msg[768];
	char *body; /* on SG_OK: what was parsed, as text */
	size_t body_len;
};

static void
outcome_dispose(struct outcome *o)
{
	free(o->body);
	o->body = NULL;
}

struct piece {
	const uint8_t *p;
	size_t len, off, step;
};

static long
piece_read(void *arg, char *buf, size_t cap)
{
	struct piece *s = arg;
	size_t k = s->len - s->off;

	if (k > s->step)
		k = s->step;
	if (k > cap)
		k = cap;
	memcpy(buf, s->p + s->off, k);
	s->off += k;
	return (long)k;
}

/* DescribeSecurityGroups: from memory (step 0) or streamed `step` bytes a read. */
static void
run_groups(struct outcome *o, const uint8_t *data, size_t size, size_t step)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_ec2_page pg;
	struct sg_error err;
	struct piece pc = { data, size, 0, step };
	char *json = NULL;
	FILE *f;

	memset(o, 0, sizeof(*o));
	if (inv == NULL)
		abort();
	sg_err_init(&err);
	if (step == 0)
		o->st = sg_ec2_parse_groups(&pg, inv, (const char *)data, size, &where, &err);
	else
		o->st = sg_ec2_parse_groups_stream(&pg, inv, piece_read, &pc, &where, &err);
	snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
	/* The records are walked whatever the status: a failed page keeps some. */
	sg_err_init(&err);
	if (sg_inventory_to_json(&json, inv, false, &err) != SG_OK)
		json = NULL;
	if (o->st == SG_OK && (f = open_memstream(&o->body, &o->body_len)) != NULL) {
		fprintf(f, "%s\nrequest_id=%s\nnext_token=%s\ngroups=%zu perms=%zu rules=%zu\n",
		    json ? json : "(json failed)", pg.request_id,
		    pg.next_token ? pg.next_token : "(none)", pg.groups, pg.permissions, pg.rules);
		fclose(f);
	}
	free(json);
	sg_ec2_page_dispose(&pg);
	sg_inventory_free(inv);
}

static void
run_regions(struct outcome *o, const char *xml, size_t len)
{
	struct sg_ec2_region_list rl;
	struct sg_error err;
	FILE *f;
	size_t i;

	memset(o, 0, sizeof(*o));
	sg_err_init(&err);
	o->st = sg_ec2_parse_regions(&rl, xml, len, &where, &err);
	snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
	if (o->st != SG_OK)
		return;
	if ((f = open_memstream(&o->body, &o->body_len)) != NULL) {
		for (i = 0; i < rl.n; i++)
			fprintf(f, "%s|%s|%s|%d\n", rl.items[i].name,
			    rl.items[i].endpoint ? rl.items[i].endpoint : "(null)",
			    rl.items[i].opt_in_status ? rl.items[i].opt_in_status : "(null)",
			    (int)rl.items[i].enabled);
		fclose(f);
	}
	sg_ec2_region_list_dispose(&rl);
}

static void
run_ple(struct outcome *o, const char *xml, size_t len)
{
	struct sg_prefix_list pl;
	struct sg_error err;
	char *next = NULL, cidr[SG_CIDR_TEXT_MAX];
	FILE *f;
	size_t i;

	memset(o, 0, sizeof(*o));
	memset(&pl, 0, sizeof(pl));
	sg_err_init(&err);
	o->st = sg_ec2_parse_prefix_list_entries(&next, &pl, xml, len, &where, &err);
	snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
	if (o->st == SG_OK && (f = open_memstream(&o->body, &o->body_len)) != NULL) {
		for (i = 0; i < pl.n_entries; i++) {
			sg_cidr_format(&pl.entries[i], cidr, sizeof(cidr));
			fprintf(f, "%s\n", cidr);
		}
		fprintf(f, "next_token=%s\n", next ? next : "(none)");
		fclose(f);
	}
	free(next);
	free(pl.entries);
}

static void
run_eni(struct outcome *o, const char *xml, size_t len)
{
	struct sg_ec2_eni_page eni;
	struct sg_error err;
	FILE *f;
	size_t i;

	memset(o, 0, sizeof(*o));
	sg_err_init(&err);
	o->st = sg_ec2_parse_network_interfaces(&eni, xml, len, &where, &err);
	snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
	if (o->st != SG_OK)
		return;
	if ((f = open_memstream(&o->body, &o->body_len)) != NULL) {
		for (i = 0; i < eni.n_group_ids; i++)
			fprintf(f, "%s\n", eni.group_ids[i]);
		fprintf(f, "interfaces=%zu\nrequest_id=%s\nnext_token=%s\n", eni.interfaces,
		    eni.request_id, eni.next_token ? eni.next_token : "(none)");
		fclose(f);
	}
	sg_ec2_eni_page_dispose(&eni);
}

static void
run_mpl(struct outcome *o, const char *xml, size_t len)
{
	struct sg_ec2_pl_names names;
	struct sg_error err;
	FILE *f;
	size_t i;

	memset(o, 0, sizeof(*o));
	sg_err_init(&err);
	o->st = sg_ec2_parse_prefix_list_names(&names, xml, len, &where, &err);
	snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
	if (o->st != SG_OK)
		return;
	if ((f = open_memstream(&o->body, &o->body_len)) != NULL) {
		for (i = 0; i < names.n; i++)
			fprintf(f, "%s|%s\n", names.items[i].id,
			    names.items[i].name ? names.items[i].name : "(null)");
		fprintf(f, "request_id=%s\nnext_token=%s\n", names.request_id,
		    names.next_token ? names.next_token : "(none)");
		fclose(f);
	}
	sg_ec2_pl_names_dispose(&names);
}

/*
 * The input with SHIFT spaces where white space changes nothing but the
 * byte offsets (no line moves): before the root, after an XML declaration
 * if there is one. NULL when there is no such place (a byte order mark, a
 * declaration with no end): that input is not shifted.
 */
static char *
shifted(const uint8_t *data, size_t size, size_t *out_len)
{
	size_t at = 0, k;
	char *s;

	/*
	 * Not an empty input (it would become white space, not empty), nor one
	 * the spaces could push past the parser's 64 KiB look for the root.
	 */
	if (size == 0 || size + SHIFT >= ((size_t)64 << 10))
		return NULL;
	if (data[0] == 0xEF || data[0] == 0xFE || data[0] == 0xFF)
		return NULL;
	/* Only the first bytes can be an XML declaration: step over what starts there. */
	if (size >= 2 && memcmp(data, "<?", 2) == 0) {
		const uint8_t *q = memmem(data, size, "?>", 2);
		size_t dq = 0, sq = 0;
		if (q == NULL)
			return NULL;
		/* A "?>" inside a quoted value would have the spaces land in it. */
		for (k = 0; k < (size_t)(q - data); k++) {
			dq += data[k] == '"';
			sq += data[k] == '\'';
		}
		if (dq % 2 || sq % 2)
			return NULL;
		at = (size_t)(q - data) + 2;
	}
	/*
	 * And only a plain prolog (the root's start tag next, after white
	 * space): the prolog check's judgement of odd prologs depends on how
	 * many bytes it is shown, which the spaces would change.
	 */
	for (k = at; k < size && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' ||
	    data[k] == '\n'); k++)
		;
	if (k + 1 >= size || data[k] != '<' ||
	    !((data[k + 1] >= 'A' && data[k + 1] <= 'Z') || (data[k + 1] >= 'a' && data[k + 1] <= 'z')))
		return NULL;
	if ((s = malloc(size + SHIFT)) == NULL)
		abort();
	memcpy(s, data, at);
	memset(s + at, ' ', SHIFT);
	memcpy(s + at + SHIFT, data + at, size - at);
	*out_len = size + SHIFT;
	return s;
}

static unsigned long inputs, differences, excused;

static void
print_counts(void)
{
	fprintf(stderr, "fuzz_ec2_xml: %lu inputs, %lu differences, %lu excused "
	    "(not well-formed: bad value vs malformed XML)\n", inputs, differences, excused);
}

/*
 * Whether a message is libxml2's ("malformed XML ..."), told from what
 * follows the where-prefix ("us-east-1 DescribeSecurityGroups fuzz page 1: "):
 * a bad value quoted further on may hold any words.
 */
static bool
is_xml_msg(const char *m)
{
	const char *p = strstr(m, " fuzz page 1: ");

	return p != NULL && strncmp(p + 14, "malformed XML", 13) == 0;
}

/* The line a message names ("malformed XML at line N: ...", "... (line N)"), or 0. */
static long
msg_line(const char *m)
{
	const char *p = strstr(m, " fuzz page 1: ");
	size_t n = strlen(m);

	if (p != NULL && strncmp(p + 14, "malformed XML at line ", 22) == 0)
		return strtol(p + 36, NULL, 10);
	p = strrchr(m, '(');
	if (n > 0 && m[n - 1] == ')' && p != NULL && strncmp(p, "(line ", 6) == 0)
		return strtol(p + 6, NULL, 10);
	return 0;
}

static void
on_fatal(void *arg, xmlErrorPtr e)
{
	long *line = arg;

	if (e != NULL && e->level == XML_ERR_FATAL && *line == 0)
		*line = e->line > 0 ? e->line : -1;
}

#define READER_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT | \
    XML_PARSE_BIG_LINES)

/*
 * Where the document is first not well-formed: the later of the lines of
 * the first fatal error of libxml2's whole-document parse and of its push
 * parser given everything at once (they differ: the former stops quietly at
 * a NUL after the root, the latter, which the reader runs, does not), -1 if
 * neither names a line, 0 if both find the document well-formed.
 */
static long
fatal_line(const uint8_t *data, size_t size)
{
	long pull = 0, push = 0;
	xmlParserCtxtPtr p;

	xmlSetStructuredErrorFunc(&pull, on_fatal);
	xmlFreeDoc(xmlReadMemory((const char *)data, (int)size, NULL, NULL, READER_OPTIONS));
	xmlSetStructuredErrorFunc(&push, on_fatal);
	if ((p = xmlCreatePushParserCtxt(NULL, NULL, NULL, 0, NULL)) != NULL) {
		(void)xmlCtxtUseOptions(p, READER_OPTIONS);
		(void)xmlParseChunk(p, (const char *)data, (int)size, 1);
		xmlFreeDoc(p->myDoc);
		xmlFreeParserCtxt(p);
	}
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (pull == 0 || push == 0)
		return pull ? pull : push;
	return pull < 0 || push < 0 ? -1 : pull > push ? pull : push;
}

/*
 * What is not the EC2 parser's to make agree (it was there before the fast
 * path; it is libxml2's reader's), in a document that is not well-formed:
 *   - the reader stops at the parser's first fatal error, and the parser
 *     runs ahead of the reader by as much as it was given (512 bytes a push
 *     from memory, a read's worth from a stream): what it built between the
 *     reader and the error is never shown. So a bad value shortly before
 *     the malformed spot is reported one way, "malformed XML" the other.
 *     Both refuse the page with SG_EPARSE; the bad value must lie at or
 *     before the first fatal error.
 *   - libxml2's push parser names a different first error, or line, for
 *     different splits of the same malformed bytes (both "malformed XML").
 */
static bool
xml_error_raced(const struct outcome *a, const struct outcome *b, long fatal)
{
	const struct outcome *x = is_xml_msg(a->msg) ? a : b, *v = x == a ? b : a;
	long vl = msg_line(v->msg);

	if (a->st != SG_EPARSE || b->st != SG_EPARSE || fatal == 0 || !is_xml_msg(x->msg))
		return false;
	if (is_xml_msg(v->msg))
		return true;
	return fatal > 0 && vl > 0 && vl <= fatal;
}

/* a and b must agree; `what` names the two ways; fatal is fatal_line's. */
static void
agree(const char *what, const struct outcome *a, const struct outcome *b, long fatal)
{
	bool same = a->st == b->st &&
	    (a->st == SG_OK ? a->body_len == b->body_len &&
	     (a->body_len == 0 || memcmp(a->body, b->body, a->body_len) == 0) :
	     strcmp(a->msg, b->msg) == 0);
	const char *mode = getenv("SG_FUZZ_DIFF");

	if (same)
		return;
	if (xml_error_raced(a, b, fatal)) {
		excused++;
		return;
	}
	differences++;
	fprintf(stderr, "DIFFERENCE %s (#%lu):\n  A: status %d: %s\n  B: status %d: %s\n", what,
	    differences, (int)a->st, a->st == SG_OK ? "ok" : a->msg, (int)b->st,
	    b->st == SG_OK ? "ok" : b->msg);
	if (a->st == SG_OK && b->st == SG_OK)
		fprintf(stderr, "  A body:\n%.*s\n  B body:\n%.*s\n", (int)a->body_len,
		    a->body ? a->body : "", (int)b->body_len, b->body ? b->body : "");
	if (mode == NULL || strcmp(mode, "report") != 0)
		abort();
}

typedef void (*memory_parse)(struct outcome *o, const char *xml, size_t len);

/* A memory-only parser: plain and shifted must agree. */
static void
check_memory(const char *name, memory_parse parse, const uint8_t *data, size_t size,
             const char *sh, size_t sh_len, long fatal)
{
	struct outcome a, b;
	char what[96];

	parse(&a, (const char *)data, size);
	if (sh != NULL) {
		parse(&b, sh, sh_len);
		snprintf(what, sizeof(what), "%s memory vs memory shifted", name);
		agree(what, &a, &b, fatal);
		outcome_dispose(&b);
	}
	outcome_dispose(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t steps[] = { 1, 13, 4096 };
	struct outcome mem, other;
	size_t sh_len = 0, i;
	long fatal;
	char *sh;

	if (inputs++ == 0 && getenv("SG_FUZZ_DIFF") != NULL)
		atexit(print_counts);
	if (size > PAGE_CAP - SHIFT)
		return 0; /* see above: the cap is met differently, by design */
	sh = shifted(data, size, &sh_len);
	fatal = fatal_line(data, size);

	run_groups(&mem, data, size, 0);
	if (sh != NULL) {
		run_groups(&other, (const uint8_t *)sh, sh_len, 0);
		agree("DescribeSecurityGroups memory vs memory shifted", &mem, &other, fatal);
		outcome_dispose(&other);
	}
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char what[96];
		run_groups(&other, data, size, steps[i]);
		snprintf(what, sizeof(what), "DescribeSecurityGroups memory vs stream %zu-byte reads",
		    steps[i]);
		agree(what, &mem, &other, fatal);
		outcome_dispose(&other);
	}
	outcome_dispose(&mem);

	check_memory("DescribeRegions", run_regions, data, size, sh, sh_len, fatal);
	check_memory("GetManagedPrefixListEntries", run_ple, data, size, sh, sh_len, fatal);
	check_memory("DescribeNetworkInterfaces", run_eni, data, size, sh, sh_len, fatal);
	check_memory("DescribeManagedPrefixLists", run_mpl, data, size, sh, sh_len, fatal);
	free(sh);
	return 0;
}
