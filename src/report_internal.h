/*
 * report_internal.h — shared by the report writers (src/report*.c) only.
 */
#ifndef SG_REPORT_INTERNAL_H
#define SG_REPORT_INTERNAL_H

#include "sg_report.h"

/* Scratch size for a field getter's formatted value. */
#define SG_FIELD_BUF 4096

const struct sg_report_field *sg_report_field_find(const char *name);
bool sg_report_region_scanned(const struct sg_report_region *g);
/*
 * Were the region's network interfaces asked for and not read (its findings
 * then say attached "unknown")? g->attachments says why.
 */
bool sg_report_region_attachment_unknown(const struct sg_report_region *g);
/* Was this region asked for? (With --regions all, one not opted in was not.) */
bool sg_report_region_requested(const struct sg_report *r, const struct sg_report_region *g);

enum sg_status sg_report_render_table(const struct sg_report *r, const struct sg_report_opts *o,
                                      struct sg_buf *out, struct sg_error *err) SG_MUST_USE;
enum sg_status sg_report_render_json(const struct sg_report *r, struct sg_buf *out,
                                     struct sg_error *err) SG_MUST_USE;
enum sg_status sg_report_render_csv(const struct sg_report *r, struct sg_buf *out,
                                    struct sg_error *err) SG_MUST_USE;
enum sg_status sg_report_render_html(const struct sg_report *r, struct sg_buf *out,
                                     struct sg_error *err) SG_MUST_USE;
enum sg_status sg_report_render_junit(const struct sg_report *r, struct sg_buf *out,
                                      struct sg_error *err) SG_MUST_USE;

/* Append one CSV cell: neutralised against formula injection, quoted per RFC 4180. */
enum sg_status sg_report_csv_cell(struct sg_buf *b, const char *s, struct sg_error *err) SG_MUST_USE;

/* Append s with XML/HTML escaping (& < > " '); control bytes other than \t \n \r dropped. */
enum sg_status sg_report_xml_escape(struct sg_buf *b, const char *s,
                                    struct sg_error *err) SG_MUST_USE;

#endif
