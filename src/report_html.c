/*
 * report_html.c — one self-contained HTML file: summary, run metadata,
 * coverage, and a findings table that sorts (click a heading) and filters
 * (severity, region, policy, status, PCI scope, change, free text).
 *
 * No external resource of any kind: CSS and JS are inline, and a
 * Content-Security-Policy meta tag forbids every fetch, so the file opens the
 * same offline, from a mail attachment or an evidence bundle. Every value is
 * HTML-escaped; no data is placed inside <script>, so nothing from AWS can
 * reach a script context. The severity counts on the page are computed by
 * the script from the table rows (they read "?" until it runs), which lets
 * the tests check the rendered page against the JSON report.
 */
#include <string.h>

#include "report_internal.h"

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d1d1f;background:#fff}"
    "h1{font-size:1.4em;margin:0 0 .5em}h2{font-size:1.1em;margin:1.5em 0 .4em}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #d0d0d7;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#f0f0f5}th.sort{cursor:pointer;user-select:none}"
    "th.sort:after{content:' \\2195';color:#999}"
    "table.kv{width:auto}table.kv th:not([class]){font-weight:normal;color:#555}"
    "th{white-space:nowrap}.wide{overflow-x:auto}"
    ".verdict{font-size:1.3em;font-weight:bold;padding:.4em .8em;display:inline-block;"
    "border-radius:4px}"
    ".v-COMPLIANT{background:#e3f6e5;color:#125d1c}"
    ".v-NOT_COMPLIANT{background:#fde7e7;color:#9b1111}"
    ".v-INCOMPLETE{background:#fff4d6;color:#7a5300}"
    ".sev-critical{color:#fff;background:#b00020}.sev-high{color:#fff;background:#d9480f}"
    ".sev-medium{background:#ffd43b}.sev-low{background:#d0ebff}.sev-info{background:#eee}"
    "td.sev{font-weight:bold;text-transform:uppercase;font-size:.85em}"
    "tr.resolved td{color:#888;text-decoration:line-through}"
    ".filters{margin:.5em 0}.filters label{margin-right:1em}"
    ".counts td{text-align:right;min-width:4em}"
    "code{font-size:.95em}"
    /* Identifiers stay on one line; prose gets room; the table scrolls sideways. */
    "#findings td{white-space:nowrap}"
    "#findings td.c-rule,#findings td.c-reason,#findings td.c-fix,#findings td.c-waiver,"
    "#findings td.c-group_name{white-space:normal;min-width:16em;max-width:34em}"
    "#findings td.c-reason,#findings td.c-fix{min-width:24em}";

static const char js[] =
    "(function(){\n"
    "var tb=document.querySelector('#findings tbody');\n"
    "var rows=Array.prototype.slice.call(tb.rows);\n"
    "var sevs=['critical','high','medium','low','info'];\n"
    "var cur=rows.filter(function(r){return r.dataset.diff!=='resolved';});\n"
    "sevs.forEach(function(s){document.getElementById('n-'+s).textContent=\n"
    "  cur.filter(function(r){return r.dataset.severity===s;}).length;});\n"
    "document.getElementById('n-total').textContent=cur.length;\n"
    "document.getElementById('n-failing').textContent=\n"
    "  cur.filter(function(r){return r.dataset.status==='FAIL';}).length;\n"
    "document.getElementById('n-failing-scope').textContent=\n"
    "  cur.filter(function(r){return r.dataset.status==='FAIL'&&r.dataset.scope==='in scope';}).length;\n"
    "function fill(id,key){var sel=document.getElementById(id),seen={};\n"
    "  rows.forEach(function(r){seen[r.dataset[key]]=1;});\n"
    "  Object.keys(seen).sort().forEach(function(v){var o=document.createElement('option');\n"
    "    o.value=v;o.textContent=v===''?'(none)':v;sel.appendChild(o);});\n"
    "  sel.addEventListener('change',apply);}\n"
    "fill('f-severity','severity');fill('f-region','region');fill('f-policy','policy');\n"
    "fill('f-status','status');fill('f-scope','scope');fill('f-diff','diff');\n"
    "document.getElementById('f-text').addEventListener('input',apply);\n"
    "function val(id){return document.getElementById(id).value;}\n"
    "function apply(){var n=0,q=val('f-text').toLowerCase();\n"
    "  rows.forEach(function(r){var ok=(val('f-severity')==='*'||r.dataset.severity===val('f-severity'))&&\n"
    "    (val('f-region')==='*'||r.dataset.region===val('f-region'))&&\n"
    "    (val('f-policy')==='*'||r.dataset.policy===val('f-policy'))&&\n"
    "    (val('f-status')==='*'||r.dataset.status===val('f-status'))&&\n"
    "    (val('f-scope')==='*'||r.dataset.scope===val('f-scope'))&&\n"
    "    (val('f-diff')==='*'||r.dataset.diff===val('f-diff'))&&\n"
    "    (q===''||r.textContent.toLowerCase().indexOf(q)>=0);\n"
    "    r.style.display=ok?'':'none';if(ok)n++;});\n"
    "  document.getElementById('n-shown').textContent=n;}\n"
    "var dir={};\n"
    "Array.prototype.forEach.call(document.querySelectorAll('#findings th.sort'),function(th,i){\n"
    "  th.addEventListener('click',function(){var d=dir[i]=-(dir[i]||-1);\n"
    "    var num=th.dataset.type==='num';\n"
    "    rows.sort(function(a,b){var x=a.cells[i].dataset.key||a.cells[i].textContent,\n"
    "      y=b.cells[i].dataset.key||b.cells[i].textContent;\n"
    "      if(num){x=+x;y=+y;}return (x<y?-1:x>y?1:0)*d;});\n"
    "    rows.forEach(function(r){tb.appendChild(r);});});});\n"
    /* A link can carry filters: report.html#severity=critical&region=eu-west-1 */
    "location.hash.replace(/^#/,'').split('&').forEach(function(kv){\n"
    "  var p=kv.split('='),el=document.getElementById('f-'+decodeURIComponent(p[0]||''));\n"
    "  if(el&&p.length===2)el.value=decodeURIComponent(p[1]);});\n"
    "apply();\n"
    "})();\n";

struct hw {
	struct sg_buf *out;
	struct sg_error *err;
	enum sg_status st;
};

static void
raw(struct hw *h, const char *s)
{
	if (h->st == SG_OK)
		h->st = sg_buf_append_str(h->out, s, h->err);
}

static void
esc(struct hw *h, const char *s)
{
	if (h->st == SG_OK)
		h->st = sg_report_xml_escape(h->out, s ? s : "", h->err);
}

static void
num(struct hw *h, size_t v)
{
	if (h->st == SG_OK)
		h->st = sg_buf_appendf(h->out, h->err, "%zu", v);
}

/* <tr><th>label</th><td>value</td></tr> */
static void
kv(struct hw *h, const char *label, const char *value)
{
	raw(h, "<tr><th>");
	esc(h, label);
	raw(h, "</th><td>");
	esc(h, value && value[0] ? value : "-");
	raw(h, "</td></tr>\n");
}

static void
kvn(struct hw *h, const char *label, size_t v)
{
	raw(h, "<tr><th>");
	esc(h, label);
	raw(h, "</th><td>");
	num(h, v);
	raw(h, "</td></tr>\n");
}

static void
summary(struct hw *h, const struct sg_report *r)
{
	const struct sg_report_counts *c = &r->counts;
	static const char *const sevs[] = { "critical", "high", "medium", "low", "info" };
	size_t i;

	raw(h, "<section id=\"summary\"><p class=\"verdict v-");
	raw(h, sg_report_pci_name(r->pci));
	raw(h, "\" id=\"verdict\">PCI DSS 1.2.1: ");
	raw(h, r->pci == SG_PCI_COMPLIANT ? "COMPLIANT" :
	    r->pci == SG_PCI_NOT_COMPLIANT ? "NOT COMPLIANT" :
	    "INCOMPLETE (not every requested region was scanned)");
	raw(h, "</p>\n<table class=\"kv\">\n");
	kvn(h, "Groups in scope", c->groups_in_scope);
	kvn(h, "Groups failing", c->groups_failing);
	kvn(h, "Groups waived", c->groups_waived);
	raw(h, "<tr><th>Regions scanned</th><td>");
	num(h, c->regions_scanned);
	raw(h, " of ");
	num(h, c->regions_requested);
	raw(h, "</td></tr>\n");
	if (r->has_baseline) {
		raw(h, "<tr><th>Since baseline</th><td>");
		esc(h, r->baseline_started ? r->baseline_started : "-");
		raw(h, ": <span id=\"d-new\">");
		num(h, c->diff_new);
		raw(h, "</span> new, <span id=\"d-unchanged\">");
		num(h, c->diff_unchanged);
		raw(h, "</span> unchanged, <span id=\"d-resolved\">");
		num(h, c->diff_resolved);
		raw(h, "</span> resolved</td></tr>\n");
	}
	raw(h, "</table>\n<h2>Findings by severity</h2>\n<table class=\"kv counts\"><tr>");
	for (i = 0; i < 5; i++) {
		raw(h, "<th class=\"sev-");
		raw(h, sevs[i]);
		raw(h, "\">");
		raw(h, sevs[i]);
		raw(h, "</th>");
	}
	raw(h, "<th>total</th><th>failing</th><th>failing in scope</th></tr>\n<tr>");
	for (i = 0; i < 5; i++) {
		raw(h, "<td id=\"n-");
		raw(h, sevs[i]);
		raw(h, "\">?</td>");
	}
	raw(h, "<td id=\"n-total\">?</td><td id=\"n-failing\">?</td>"
	       "<td id=\"n-failing-scope\">?</td></tr></table>\n</section>\n");
}

static void
run_meta(struct hw *h, const struct sg_report *r)
{
	const struct sg_report_meta_field *mf;
	size_t nm, j;
	char buf[SG_FIELD_BUF];

	raw(h, "<section id=\"run\"><h2>Run</h2>\n<table class=\"kv\">\n");
	mf = sg_report_meta_fields(&nm);
	for (j = 0; j < nm; j++) {
		buf[0] = '\0';
		kv(h, mf[j].label, mf[j].get(r, buf, sizeof(buf)));
	}
	raw(h, "</table></section>\n");
}

static void
coverage(struct hw *h, const struct sg_report *r)
{
	size_t i;

	raw(h, "<section id=\"coverage\"><h2>Coverage</h2>\n<table>\n<thead><tr><th>Region</th>"
	       "<th>State</th><th>Groups</th><th>Rules</th><th>Attachments</th><th>Error</th></tr>"
	       "</thead><tbody>\n");
	for (i = 0; i < r->n_regions; i++) {
		const struct sg_report_region *g = &r->regions[i];
		raw(h, "<tr><td>");
		esc(h, g->region);
		raw(h, "</td><td>");
		esc(h, g->state);
		raw(h, "</td><td>");
		num(h, g->groups);
		raw(h, "</td><td>");
		num(h, g->rules);
		raw(h, "</td><td>");
		esc(h, g->attachments); /* DescribeNetworkInterfaces: counted, denied: CODE, ... */
		raw(h, "</td><td>");
		esc(h, g->error_code);
		if (g->error_code && g->error_message)
			raw(h, ": ");
		esc(h, g->error_message);
		raw(h, "</td></tr>\n");
	}
	raw(h, "</tbody></table></section>\n");
}

static void
filter(struct hw *h, const char *id, const char *label)
{
	raw(h, "<label>");
	raw(h, label);
	raw(h, " <select id=\"");
	raw(h, id);
	raw(h, "\"><option value=\"*\">all</option></select></label>\n");
}

static void
findings(struct hw *h, const struct sg_report *r)
{
	const struct sg_report_field *ff;
	size_t nf, i, j;
	char buf[SG_FIELD_BUF];

	raw(h, "<section><h2>Findings</h2>\n<div class=\"filters\">\n");
	filter(h, "f-severity", "Severity");
	filter(h, "f-region", "Region");
	filter(h, "f-policy", "Policy");
	filter(h, "f-status", "Status");
	filter(h, "f-scope", "PCI scope");
	filter(h, "f-diff", "Change");
	raw(h, "<label>Search <input id=\"f-text\" type=\"search\"></label>\n"
	       "<span>showing <b id=\"n-shown\">?</b> of ");
	num(h, r->n_findings);
	raw(h, "</span></div>\n<div class=\"wide\"><table id=\"findings\">\n<thead><tr>");
	ff = sg_report_finding_fields(&nf);
	for (j = 0; j < nf; j++) {
		if (ff[j].detail)
			continue; /* the Rule column shows the rule's parts */
		raw(h, "<th class=\"sort\"");
		if (ff[j].type == SG_FIELD_NUMBER || strcmp(ff[j].name, "severity") == 0)
			raw(h, " data-type=\"num\"");
		raw(h, ">");
		esc(h, ff[j].label);
		raw(h, "</th>");
	}
	raw(h, "</tr></thead>\n<tbody>\n");
	for (i = 0; i < r->n_findings; i++) {
		const struct sg_report_finding *f = &r->findings[i];
		raw(h, "<tr");
		if (f->diff == SG_DIFF_RESOLVED)
			raw(h, " class=\"resolved\"");
		raw(h, " data-severity=\"");
		raw(h, sg_severity_name(f->severity));
		raw(h, "\" data-region=\"");
		esc(h, f->region);
		raw(h, "\" data-policy=\"");
		esc(h, f->policy_id);
		raw(h, "\" data-status=\"");
		raw(h, sg_report_status_name(f->status));
		raw(h, "\" data-scope=\"");
		raw(h, f->in_scope ? "in scope" : "out of scope");
		raw(h, "\" data-diff=\"");
		raw(h, sg_report_diff_name(f->diff));
		raw(h, "\">");
		for (j = 0; j < nf; j++) {
			if (ff[j].detail)
				continue;
			buf[0] = '\0';
			if (strcmp(ff[j].name, "severity") == 0) {
				raw(h, "<td class=\"sev sev-");
				raw(h, sg_severity_name(f->severity));
				if (h->st == SG_OK)
					h->st = sg_buf_appendf(h->out, h->err, "\" data-key=\"%d\">",
					    (int)f->severity);
			} else {
				raw(h, "<td class=\"c-");
				raw(h, ff[j].name);
				raw(h, "\">");
			}
			esc(h, ff[j].get(f, buf, sizeof(buf)));
			raw(h, "</td>");
		}
		raw(h, "</tr>\n");
	}
	raw(h, "</tbody></table></div></section>\n");
}

enum sg_status
sg_report_render_html(const struct sg_report *r, struct sg_buf *out, struct sg_error *err)
{
	struct hw h = { out, err, SG_OK };

	raw(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	        "<meta name=\"generator\" content=\"sg-audit ");
	esc(&h, r->tool_version);
	raw(&h, "\">\n<title>sg-audit report: ");
	esc(&h, r->account_id ? r->account_id : "account");
	raw(&h, "</title>\n<style>");
	raw(&h, css);
	raw(&h, "</style></head><body>\n<h1>sg-audit security-group scan</h1>\n");
	summary(&h, r);
	run_meta(&h, r);
	coverage(&h, r);
	findings(&h, r);
	raw(&h, "<script>\n");
	raw(&h, js);
	raw(&h, "</script>\n</body></html>\n");
	return h.st;
}

enum sg_status
sg_report_xml_escape(struct sg_buf *b, const char *s, struct sg_error *err)
{
	enum sg_status st = SG_OK;

	for (; *s && st == SG_OK; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': st = sg_buf_append_str(b, "&amp;", err); break;
		case '<': st = sg_buf_append_str(b, "&lt;", err); break;
		case '>': st = sg_buf_append_str(b, "&gt;", err); break;
		case '"': st = sg_buf_append_str(b, "&quot;", err); break;
		case '\'': st = sg_buf_append_str(b, "&#39;", err); break;
		default:
			/* XML 1.0 forbids most control characters: drop them. */
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				break;
			st = sg_buf_append_char(b, (char)c, err);
		}
	}
	return st;
}
