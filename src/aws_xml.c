/*
 * aws_xml.c — XML readers for AWS error bodies and STS responses.
 *
 * libxml2's streaming reader with XML_PARSE_NONET and neither NOENT nor
 * DTDLOAD: no external entity, no DTD fetch, and a document that declares
 * a DOCTYPE at all is refused (AWS never sends one). Input is capped in
 * size and depth. Elements are matched on local names (namespaces vary and
 * carry no meaning here) along an exact path from the root, never with a
 * global search, so a nested <Code> elsewhere cannot be mistaken for ours.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "sg_aws.h"
#include "sg_creds.h"
#include "sg_sts.h"
#include "sg_util.h"

#define XML_MAX_BYTES ((size_t)4 << 20)
#define XML_MAX_DEPTH 32
#define XML_MAX_NAME 64

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void
xml_init(void)
{
	xmlInitParser();
}

void
sg_aws_xml_init(void)
{
	pthread_once(&xml_once, xml_init);
}

/* A wanted element: its path from the root ("Response/Errors/Error/Code"). */
struct xml_field {
	const char *path;
	struct sg_buf *dst;
	bool seen;
};

static void
silent_errors(void *ctx, const char *msg, xmlParserSeverities sev, xmlTextReaderLocatorPtr loc)
{
	(void)ctx;
	(void)msg;
	(void)sev;
	(void)loc;
}

/*
 * Walk the document once; append the text of every element whose path is
 * wanted to its buffer. root_out (may be NULL) receives the root's local
 * name. `what` names the input in messages ("STS GetCallerIdentity response").
 */
static enum sg_status
xml_collect(const char *body, size_t len, struct xml_field *fields, size_t n_fields,
            char *root_out, size_t root_cap, const char *what, struct sg_error *err)
{
	char path[XML_MAX_DEPTH * (XML_MAX_NAME + 1) + 1];
	size_t path_len[XML_MAX_DEPTH + 1];
	xmlTextReaderPtr r;
	int depth = 0, rc, type;
	enum sg_status st = SG_OK;
	size_t i;

	pthread_once(&xml_once, xml_init);
	if (root_out != NULL && root_cap > 0)
		root_out[0] = '\0';
	if (len == 0)
		return sg_err_set(err, SG_EPARSE, "%s: empty body", what);
	if (len > XML_MAX_BYTES)
		return sg_err_set(err, SG_ELIMIT, "%s: larger than %zu bytes", what, XML_MAX_BYTES);
	if (len > INT_MAX)
		return sg_err_set(err, SG_ELIMIT, "%s: too large", what);
	r = xmlReaderForMemory(body, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (r == NULL)
		return sg_err_set(err, SG_ENOMEM, "%s: cannot create XML reader", what);
	xmlTextReaderSetErrorHandler(r, silent_errors, NULL);
	path[0] = '\0';
	path_len[0] = 0;
	while ((rc = xmlTextReaderRead(r)) == 1) {
		type = xmlTextReaderNodeType(r);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE || type == XML_READER_TYPE_ENTITY_REFERENCE ||
		    type == XML_READER_TYPE_ENTITY) {
			st = sg_err_set(err, SG_EPARSE, "%s: DTDs and entities are not accepted", what);
			break;
		}
		if (type == XML_READER_TYPE_ELEMENT) {
			const char *name = (const char *)xmlTextReaderConstLocalName(r);
			size_t nl = name ? strlen(name) : 0;
			bool empty = xmlTextReaderIsEmptyElement(r) == 1;

			if (depth >= XML_MAX_DEPTH) {
				st = sg_err_set(err, SG_ELIMIT, "%s: nested deeper than %d elements",
				    what, XML_MAX_DEPTH);
				break;
			}
			if (nl == 0 || nl > XML_MAX_NAME)
				nl = 0; /* an absurd name matches nothing */
			if (depth == 0 && root_out != NULL && name != NULL)
				snprintf(root_out, root_cap, "%s", name);
			if (!empty) {
				size_t at = path_len[depth];
				if (depth > 0)
					path[at++] = '/';
				memcpy(path + at, name ? name : "", nl);
				at += nl;
				path[at] = '\0';
				depth++;
				path_len[depth] = at;
			}
		} else if (type == XML_READER_TYPE_END_ELEMENT) {
			if (depth > 0)
				depth--;
			path[path_len[depth]] = '\0';
		} else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
		    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
			for (i = 0; i < n_fields; i++) {
				const char *v;
				if (strcmp(fields[i].path, path) != 0)
					continue;
				v = (const char *)xmlTextReaderConstValue(r);
				fields[i].seen = true;
				if (v != NULL && (st = sg_buf_append_str(fields[i].dst, v, err)) != SG_OK) {
					sg_err_prefix(err, "%s: <%s>: ", what, fields[i].path);
					break;
				}
			}
			if (st != SG_OK)
				break;
		}
	}
	if (st == SG_OK && rc != 0)
		st = sg_err_set(err, SG_EPARSE, "%s: malformed XML", what);
	xmlFreeTextReader(r);
	return st;
}

/* Copy into a fixed field, replacing control characters, trimming spaces. */
static void
copy_clean(char *dst, size_t cap, const struct sg_buf *b)
{
	const char *s = b->data ? b->data : "";
	size_t n = b->len, o = 0, i;

	while (n > 0 && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
		n--;
	for (i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	dst[o] = '\0';
}

/*
 * The error shapes accepted, first match wins. The first two are what AWS
 * sends (aws-protocol.md §3.4, §6); the rest are variants seen from
 * AWS-compatible servers (moto nests <Errors> inside <ErrorResponse>) and
 * cost nothing to accept, since only the code and message are read.
 */
static const struct {
	const char *root;
	const char *error;      /* path of the <Error> element */
	const char *rid[2];     /* request id paths */
} error_shapes[] = {
	{ "Response", "Response/Errors/Error", { "Response/RequestID", "Response/RequestId" } },
	{ "ErrorResponse", "ErrorResponse/Error",
	  { "ErrorResponse/RequestId", "ErrorResponse/RequestID" } },
	{ "ErrorResponse", "ErrorResponse/Errors/Error",
	  { "ErrorResponse/RequestId", "ErrorResponse/RequestID" } },
	{ "Response", "Response/Error", { "Response/RequestID", "Response/RequestId" } },
};

#define N_SHAPES (sizeof(error_shapes) / sizeof(error_shapes[0]))

enum sg_status
sg_aws_parse_error_xml(const char *body, size_t len, struct sg_aws_error_info *out,
                       struct sg_error *err)
{
	enum { CODE, MSG, TYPE, RID1, RID2, PER };
	char paths[N_SHAPES][PER][96];
	struct sg_buf b[N_SHAPES][PER];
	struct xml_field f[N_SHAPES * PER];
	struct sg_aws_error_info info;
	char root[XML_MAX_NAME + 1];
	enum sg_status st;
	size_t i, k, found = N_SHAPES;

	for (i = 0; i < N_SHAPES; i++) {
		snprintf(paths[i][CODE], sizeof(paths[i][CODE]), "%s/Code", error_shapes[i].error);
		snprintf(paths[i][MSG], sizeof(paths[i][MSG]), "%s/Message", error_shapes[i].error);
		snprintf(paths[i][TYPE], sizeof(paths[i][TYPE]), "%s/Type", error_shapes[i].error);
		snprintf(paths[i][RID1], sizeof(paths[i][RID1]), "%s", error_shapes[i].rid[0]);
		snprintf(paths[i][RID2], sizeof(paths[i][RID2]), "%s", error_shapes[i].rid[1]);
		for (k = 0; k < PER; k++) {
			sg_buf_init(&b[i][k], 4096);
			f[i * PER + k].path = paths[i][k];
			f[i * PER + k].dst = &b[i][k];
			f[i * PER + k].seen = false;
		}
	}
	memset(&info, 0, sizeof(info));
	st = xml_collect(body, len, f, N_SHAPES * PER, root, sizeof(root), "error response", err);
	if (st == SG_OK) {
		for (i = 0; i < N_SHAPES && found == N_SHAPES; i++)
			if (strcmp(root, error_shapes[i].root) == 0 && b[i][CODE].len > 0)
				found = i;
		if (found == N_SHAPES) {
			st = sg_err_set(err, SG_EPARSE,
			    "error response: <%s> is neither an EC2 <Response><Errors> nor an "
			    "STS <ErrorResponse> with a <Code>", root);
		} else {
			copy_clean(info.code, sizeof(info.code), &b[found][CODE]);
			copy_clean(info.message, sizeof(info.message), &b[found][MSG]);
			copy_clean(info.type, sizeof(info.type), &b[found][TYPE]);
			copy_clean(info.request_id, sizeof(info.request_id),
			    b[found][RID1].len ? &b[found][RID1] : &b[found][RID2]);
			if (info.code[0] == '\0')
				st = sg_err_set(err, SG_EPARSE, "error response: empty <Code>");
		}
	}
	for (i = 0; i < N_SHAPES; i++)
		for (k = 0; k < PER; k++)
			sg_buf_dispose(&b[i][k]);
	if (st == SG_OK)
		*out = info;
	return st;
}

/* The partition field of an ARN ("arn:aws-cn:..."), into dst. */
static void
arn_partition(const char *arn, char *dst, size_t cap)
{
	const char *p, *e;

	dst[0] = '\0';
	if (strncmp(arn, "arn:", 4) != 0)
		return;
	p = arn + 4;
	e = strchr(p, ':');
	if (e == NULL || (size_t)(e - p) >= cap)
		return;
	memcpy(dst, p, (size_t)(e - p));
	dst[e - p] = '\0';
}

enum sg_status
sg_sts_parse_caller_identity(const char *body, size_t len, struct sg_identity *out,
                             struct sg_error *err)
{
	enum { ARN, UID, ACCT, RID, N };
	struct sg_buf b[N];
	struct xml_field f[N] = {
		{ "GetCallerIdentityResponse/GetCallerIdentityResult/Arn", &b[ARN], false },
		{ "GetCallerIdentityResponse/GetCallerIdentityResult/UserId", &b[UID], false },
		{ "GetCallerIdentityResponse/GetCallerIdentityResult/Account", &b[ACCT], false },
		{ "GetCallerIdentityResponse/ResponseMetadata/RequestId", &b[RID], false },
	};
	struct sg_identity id;
	enum sg_status st;
	const char *what = "STS GetCallerIdentity response";
	size_t i;
	int k;

	for (k = 0; k < N; k++)
		sg_buf_init(&b[k], 2048);
	memset(&id, 0, sizeof(id));
	st = xml_collect(body, len, f, N, NULL, 0, what, err);
	if (st == SG_OK) {
		copy_clean(id.arn, sizeof(id.arn), &b[ARN]);
		copy_clean(id.user_id, sizeof(id.user_id), &b[UID]);
		copy_clean(id.account, sizeof(id.account), &b[ACCT]);
		copy_clean(id.request_id, sizeof(id.request_id), &b[RID]);
		if (id.account[0] == '\0' || id.arn[0] == '\0')
			st = sg_err_set(err, SG_EPARSE, "%s: no <%s>", what,
			    id.account[0] == '\0' ? "Account" : "Arn");
		else if (strlen(id.account) != 12)
			st = sg_err_set(err, SG_EPARSE, "%s: <Account> '%s' is not a 12-digit account id",
			    what, id.account);
		for (i = 0; st == SG_OK && id.account[i]; i++)
			if (id.account[i] < '0' || id.account[i] > '9')
				st = sg_err_set(err, SG_EPARSE,
				    "%s: <Account> '%s' is not a 12-digit account id", what, id.account);
		if (st == SG_OK) {
			arn_partition(id.arn, id.partition, sizeof(id.partition));
			if (id.partition[0] == '\0')
				st = sg_err_set(err, SG_EPARSE, "%s: <Arn> '%s' is not an ARN", what, id.arn);
		}
	}
	for (k = 0; k < N; k++)
		sg_buf_dispose(&b[k]);
	if (st == SG_OK)
		*out = id;
	return st;
}

/* Trimmed, NUL-terminated malloc'd copy of a buffer; secret buffers stay secret in flight. */
static char *
dup_trim(const struct sg_buf *b)
{
	const char *s = b->data ? b->data : "";
	size_t n = b->len;

	while (n > 0 && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
		n--;
	return sg_str_dup((struct sg_str){ s, n });
}

enum sg_status
sg_sts_parse_credentials(const char *body, size_t len, const char *op, struct sg_creds *out,
                         char *assumed_arn, size_t arn_cap, struct sg_error *err)
{
	enum { AKID, SECRET, TOKEN, EXP, ARN, N };
	char paths[N][160];
	struct sg_buf b[N];
	struct xml_field f[N];
	struct sg_creds c;
	char what[96], exp[64];
	enum sg_status st;
	time_t t;
	int k;

	static const char *const leaf[N] = {
		"Credentials/AccessKeyId", "Credentials/SecretAccessKey",
		"Credentials/SessionToken", "Credentials/Expiration", "AssumedRoleUser/Arn",
	};
	snprintf(what, sizeof(what), "STS %s response", op);
	for (k = 0; k < N; k++) {
		snprintf(paths[k], sizeof(paths[k]), "%sResponse/%sResult/%s", op, op, leaf[k]);
		if (k == SECRET || k == TOKEN)
			sg_buf_init_secret(&b[k], 16384);
		else
			sg_buf_init(&b[k], 4096);
		f[k].path = paths[k];
		f[k].dst = &b[k];
		f[k].seen = false;
	}
	sg_creds_init(&c);
	st = xml_collect(body, len, f, N, NULL, 0, what, err);
	if (st == SG_OK) {
		if (b[AKID].len == 0 || b[SECRET].len == 0 || b[TOKEN].len == 0 || b[EXP].len == 0) {
			st = sg_err_set(err, SG_EPARSE, "%s: <Credentials> lacks <%s>", what,
			    b[AKID].len == 0 ? "AccessKeyId" : b[SECRET].len == 0 ? "SecretAccessKey" :
			    b[TOKEN].len == 0 ? "SessionToken" : "Expiration");
		}
	}
	if (st == SG_OK) {
		copy_clean(exp, sizeof(exp), &b[EXP]);
		if (!sg_time_parse_iso8601(exp, &t))
			st = sg_err_set(err, SG_EPARSE, "%s: <Expiration> '%s' is not an ISO-8601 time",
			    what, exp);
		else
			c.expiration = t;
	}
	if (st == SG_OK) {
		c.access_key_id = dup_trim(&b[AKID]);
		c.secret_access_key = dup_trim(&b[SECRET]);
		c.session_token = dup_trim(&b[TOKEN]);
		if (c.access_key_id == NULL || c.secret_access_key == NULL || c.session_token == NULL)
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	if (st == SG_OK && assumed_arn != NULL && arn_cap > 0)
		copy_clean(assumed_arn, arn_cap, &b[ARN]);
	for (k = 0; k < N; k++)
		sg_buf_dispose(&b[k]);
	if (st != SG_OK) {
		sg_creds_dispose(&c);
		return st;
	}
	*out = c;
	return SG_OK;
}

enum sg_status
sg_aws_xml_text(const char *body, size_t len, const char *path, struct sg_buf *out,
                struct sg_error *err)
{
	struct xml_field f = { path, out, false };
	enum sg_status st;

	st = xml_collect(body, len, &f, 1, NULL, 0, "response", err);
	if (st != SG_OK)
		return st;
	return f.seen ? SG_OK : SG_ENOTFOUND;
}
