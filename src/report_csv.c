/*
 * report_csv.c — one row per finding, RFC 4180, safe to open in a spreadsheet.
 *
 * Columns: the finding field table, then the run metadata (prefixed "run_")
 * repeated on every row, so each row stands alone when filtered or pasted.
 *
 * Formula injection: a spreadsheet evaluates a cell that begins with '=',
 * '+', '-' or '@' (and some treat a leading tab or CR the same way). Group
 * names, descriptions and tag values come from whoever can edit a group, so
 * such a cell is prefixed with "'" (OWASP's advice), which every spreadsheet
 * shows as text (number fields are integers formatted here, and are left
 * alone: ICMP's -1 stays a number). Then RFC 4180: fields holding ',', '"', CR or LF are quoted,
 * quotes doubled, records end in CRLF.
 */
#include <string.h>

#include "report_internal.h"

static bool
needs_neutralising(const char *s)
{
	return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
	    s[0] == '\r';
}

enum sg_status
sg_report_csv_cell(struct sg_buf *b, const char *s, struct sg_error *err)
{
	bool neutral = needs_neutralising(s);
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	enum sg_status st;

	if (quote && (st = sg_buf_append_char(b, '"', err)) != SG_OK)
		return st;
	if (neutral && (st = sg_buf_append_char(b, '\'', err)) != SG_OK)
		return st;
	for (; *s; s++) {
		if (*s == '"' && (st = sg_buf_append_char(b, '"', err)) != SG_OK)
			return st;
		if ((st = sg_buf_append_char(b, *s, err)) != SG_OK)
			return st;
	}
	if (quote && (st = sg_buf_append_char(b, '"', err)) != SG_OK)
		return st;
	return SG_OK;
}

enum sg_status
sg_report_render_csv(const struct sg_report *r, struct sg_buf *out, struct sg_error *err)
{
	const struct sg_report_field *ff;
	const struct sg_report_meta_field *mf;
	size_t nf, nm, i, j;
	char buf[SG_FIELD_BUF];
	enum sg_status st;

	ff = sg_report_finding_fields(&nf);
	mf = sg_report_meta_fields(&nm);

	for (j = 0; j < nf; j++) {
		if ((j && (st = sg_buf_append_char(out, ',', err)) != SG_OK) ||
		    (st = sg_report_csv_cell(out, ff[j].name, err)) != SG_OK)
			return st;
	}
	for (j = 0; j < nm; j++) {
		if ((st = sg_buf_appendf(out, err, ",run_%s", mf[j].name)) != SG_OK)
			return st;
	}
	if ((st = sg_buf_append(out, "\r\n", 2, err)) != SG_OK)
		return st;

	for (i = 0; i < r->n_findings; i++) {
		const struct sg_report_finding *f = &r->findings[i];
		for (j = 0; j < nf; j++) {
			const char *v;
			buf[0] = '\0';
			v = ff[j].get(f, buf, sizeof(buf));
			if (j && (st = sg_buf_append_char(out, ',', err)) != SG_OK)
				return st;
			/*
			 * Number fields are integers we formatted ("-1" is ICMP's
			 * "every type"): written as they are, so a spreadsheet reads
			 * a number, not the text "'-1".
			 */
			st = ff[j].type == SG_FIELD_NUMBER ? sg_buf_append_str(out, v, err) :
			    sg_report_csv_cell(out, v, err);
			if (st != SG_OK)
				return st;
		}
		for (j = 0; j < nm; j++) {
			buf[0] = '\0';
			if ((st = sg_buf_append_char(out, ',', err)) != SG_OK ||
			    (st = sg_report_csv_cell(out, mf[j].get(r, buf, sizeof(buf)), err)) != SG_OK)
				return st;
		}
		if ((st = sg_buf_append(out, "\r\n", 2, err)) != SG_OK)
			return st;
	}
	return SG_OK;
}
