/*
 * cloudtrail_log.c — CloudTrail log files: .json, .json.gz and the S3
 * delivery layout (aws-protocol.md §8.2).
 *
 * One file at a time: inflate it in chunks into a buffer capped at
 * SG_CT_MAX_FILE_BYTES, then walk its {"Records": [...]} array one record
 * at a time with cJSON (each record's tree is freed before the next is
 * parsed), so memory is bounded by the largest file, not by how many
 * files a directory holds. The buffer is reused from file to file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "cloudtrail_internal.h"

#define CHUNK_BYTES (256u * 1024u)
#define MAX_DIR_DEPTH 32

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

const char *
sg_ct_skip_value(const char *p, const char *end, size_t *max_depth)
{
	size_t depth = 0;

	*max_depth = 0;
	p = skip_ws(p, end);
	if (p >= end)
		return NULL;
	if (*p != '{' && *p != '[' && *p != '"') {
		/* A scalar: runs to the next delimiter. */
		while (p < end && !is_ws(*p) && *p != ',' && *p != ']' && *p != '}')
			p++;
		return p;
	}
	while (p < end) {
		char c = *p;
		if (c == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			p++;
			if (depth == 0)
				return p;
			continue;
		}
		if (c == '{' || c == '[') {
			if (++depth > *max_depth)
				*max_depth = depth;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return NULL;
			if (--depth == 0)
				return p + 1;
		}
		p++;
	}
	return NULL;
}

/* A JSON string token (a key) parsed with cJSON; NULL if it is not one. */
static cJSON *
parse_key(const char *p, const char *end, const char **after)
{
	cJSON *k;

	if (p >= end || *p != '"')
		return NULL;
	k = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), after, false);
	if (k != NULL && !cJSON_IsString(k)) {
		cJSON_Delete(k);
		return NULL;
	}
	return k;
}

/*
 * Walk the Records array at p ('[' already checked). Sets *damaged when a
 * record could not be read; returns where the array ends, or NULL when
 * the rest of the file cannot be followed.
 */
static const char *
scan_records(struct sg_ct_scan *s, const char *base, const char *p, const char *end,
             const char *origin, bool *damaged, enum sg_status *fatal, struct sg_error *err)
{
	long index = 0;

	p = skip_ws(p + 1, end);
	if (p < end && *p == ']')
		return p + 1;
	for (;;) {
		const char *rend = NULL;
		cJSON *rec;

		p = skip_ws(p, end);
		if (p >= end) {
			sg_ct_warnf(s, "%s: record %ld: the file ends inside the Records array "
			    "(truncated?)", origin, index);
			*damaged = true;
			return NULL;
		}
		rec = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &rend, false);
		if (rec == NULL) {
			size_t depth;
			const char *q = sg_ct_skip_value(p, end, &depth);

			s->st.records++;
			s->st.bad_records++;
			*damaged = true;
			if (q == NULL) {
				sg_ct_warnf(s, "%s: record %ld: JSON ends before the record does at byte %td "
				    "(truncated?); rest of file skipped", origin, index, end - base);
				return NULL;
			}
			if (depth > CJSON_NESTING_LIMIT)
				sg_ct_warnf(s, "%s: record %ld: JSON nested deeper than %d levels; record "
				    "skipped", origin, index, CJSON_NESTING_LIMIT);
			else
				sg_ct_warnf(s, "%s: record %ld: invalid JSON at byte %td; record skipped",
				    origin, index, (rend ? rend : p) - base);
			p = q;
		} else if ((size_t)(rend - p) > SG_CT_MAX_RECORD_BYTES) {
			s->st.records++;
			s->st.bad_records++;
			*damaged = true;
			sg_ct_warnf(s, "%s: record %ld: %td bytes, over the %zu-byte cap; record skipped",
			    origin, index, rend - p, SG_CT_MAX_RECORD_BYTES);
			cJSON_Delete(rec);
			p = rend;
		} else {
			enum sg_status st = sg_ct_scan_record(s, rec, p, (size_t)(rend - p), origin,
			    index, err);
			cJSON_Delete(rec);
			if (st != SG_OK) {
				*fatal = st;
				return NULL;
			}
			p = rend;
		}
		index++;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == ']')
			return p + 1;
		sg_ct_warnf(s, "%s: after record %ld: expected ',' or ']' at byte %td; rest of file "
		    "skipped", origin, index - 1, p - base);
		*damaged = true;
		return NULL;
	}
}

static enum sg_status
scan_buffer(struct sg_ct_scan *s, const char *data, size_t len, const char *origin,
            bool *damaged, struct sg_error *err)
{
	const char *p = data, *end = data + len;
	enum sg_status fatal = SG_OK;
	bool found = false;

	s->st.bytes_json += len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	p = skip_ws(p, end);
	if (p >= end || *p != '{') {
		sg_ct_warnf(s, "%s: not a CloudTrail log file (expected a JSON object {\"Records\": "
		    "[...]})", origin);
		*damaged = true;
		return SG_OK;
	}
	p++;
	for (;;) {
		const char *after = NULL;
		cJSON *key;
		bool records;

		p = skip_ws(p, end);
		if (p < end && *p == '}')
			break;
		key = parse_key(p, end, &after);
		if (key == NULL) {
			sg_ct_warnf(s, "%s: expected a key at byte %td%s", origin, p - data,
			    found ? "" : "; no records read");
			*damaged = true;
			return SG_OK;
		}
		records = strcmp(key->valuestring, "Records") == 0;
		cJSON_Delete(key);
		p = skip_ws(after, end);
		if (p >= end || *p != ':') {
			sg_ct_warnf(s, "%s: expected ':' at byte %td", origin, p - data);
			*damaged = true;
			return SG_OK;
		}
		p = skip_ws(p + 1, end);
		if (records && p < end && *p == '[') {
			found = true;
			p = scan_records(s, data, p, end, origin, damaged, &fatal, err);
			if (fatal != SG_OK)
				return fatal;
			if (p == NULL)
				return SG_OK;
		} else {
			size_t depth;
			const char *q = sg_ct_skip_value(p, end, &depth);
			if (records) {
				sg_ct_warnf(s, "%s: Records is not an array", origin);
				*damaged = true;
			}
			if (q == NULL) {
				sg_ct_warnf(s, "%s: JSON ends inside a value at byte %td (truncated?)",
				    origin, p - data);
				*damaged = true;
				return SG_OK;
			}
			p = q;
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			break;
		sg_ct_warnf(s, "%s: expected ',' or '}' at byte %td", origin, p - data);
		*damaged = true;
		return SG_OK;
	}
	if (!found) {
		sg_ct_warnf(s, "%s: no Records array", origin);
		*damaged = true;
	}
	return SG_OK;
}

static void
end_file_warnings(struct sg_ct_scan *s, const char *origin)
{
	char msg[700];

	if (s->file_warnings_dropped > 0 && s->o.warn != NULL) {
		snprintf(msg, sizeof(msg), "%s: %u more problems not shown", origin,
		    s->file_warnings_dropped);
		s->o.warn(s->o.ctx, msg);
	}
	s->file_warnings = 0;
	s->file_warnings_dropped = 0;
}

enum sg_status
sg_ct_scan_buffer(struct sg_ct_scan *s, const char *data, size_t len, const char *origin,
                  struct sg_error *err)
{
	bool damaged = false;
	enum sg_status st = scan_buffer(s, data, len, origin, &damaged, err);

	if (damaged)
		s->st.bad_files++;
	end_file_warnings(s, origin);
	return st;
}

/* ---- reading a file ----------------------------------------------------------------- */

/* Append up to the buffer's cap; past it, keep what fits and say so. */
static enum sg_status
append_capped(struct sg_buf *out, const char *p, size_t n, const char *path,
              struct sg_error *err)
{
	size_t room = out->max_bytes - out->len;

	if (n > room) {
		if (room > 0 && sg_buf_append(out, p, room, err) != SG_OK)
			return err->status;
		return sg_err_set(err, SG_ELIMIT, "%s: more than %zu bytes of JSON (the per-file cap); "
		    "the rest is not read", path, out->max_bytes);
	}
	return sg_buf_append(out, p, n, err);
}

enum sg_status
sg_ct_read_file(const char *path, struct sg_buf *out, uint64_t *bytes_read,
                struct sg_error *err)
{
	unsigned char *in = NULL, *chunk = NULL;
	z_stream zs;
	bool gz = false, zinit = false, stream_end = false;
	uint64_t total = 0;
	enum sg_status st = SG_OK;
	struct stat sb;
	int fd, zr;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return sg_err_set(err, e == ENOENT ? SG_ENOTFOUND : SG_EIO, "%s: %s", path,
		    strerror(e));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return sg_err_set(err, SG_EIO, "%s: not a regular file", path);
	}
	in = malloc(CHUNK_BYTES);
	chunk = malloc(CHUNK_BYTES);
	if (in == NULL || chunk == NULL) {
		st = sg_err_set(err, SG_ENOMEM, "out of memory");
		goto cleanup;
	}
	memset(&zs, 0, sizeof(zs));
	for (;;) {
		ssize_t n = read(fd, in, CHUNK_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = sg_err_set(err, SG_EIO, "%s: read failed: %s", path, strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		if (total == 0 && n >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
			gz = true;
			/* 15 + 32: gzip or zlib header, detected. */
			if (inflateInit2(&zs, 15 + 32) != Z_OK) {
				st = sg_err_set(err, SG_ENOMEM, "%s: zlib init failed", path);
				goto cleanup;
			}
			zinit = true;
		}
		total += (uint64_t)n;
		if (!gz) {
			if ((st = append_capped(out, (const char *)in, (size_t)n, path, err)) != SG_OK)
				goto cleanup;
			continue;
		}
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		while (zs.avail_in > 0) {
			if (stream_end) {
				/* Concatenated gzip members are one stream (gzip(1) reads them so). */
				if (zs.next_in[0] != 0x1f) {
					st = sg_err_set(err, SG_EPARSE, "%s: data after the end of the gzip "
					    "stream", path);
					goto cleanup;
				}
				inflateReset(&zs);
				stream_end = false;
			}
			zs.next_out = chunk;
			zs.avail_out = CHUNK_BYTES;
			zr = inflate(&zs, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
				st = sg_err_set(err, SG_EPARSE, "%s: corrupt gzip data near compressed byte "
				    "%llu: %s", path, (unsigned long long)(total - zs.avail_in),
				    zs.msg ? zs.msg : "inflate failed");
				goto cleanup;
			}
			if ((st = append_capped(out, (const char *)chunk, CHUNK_BYTES - zs.avail_out,
			    path, err)) != SG_OK)
				goto cleanup;
			if (zr == Z_STREAM_END)
				stream_end = true;
			else if (zr == Z_BUF_ERROR && zs.avail_in == 0)
				break;
		}
		/* Drain output that inflate holds back until it gets more room. */
		while (gz && !stream_end) {
			zs.next_out = chunk;
			zs.avail_out = CHUNK_BYTES;
			zr = inflate(&zs, Z_NO_FLUSH);
			if (CHUNK_BYTES - zs.avail_out == 0)
				break;
			if ((st = append_capped(out, (const char *)chunk, CHUNK_BYTES - zs.avail_out,
			    path, err)) != SG_OK)
				goto cleanup;
			if (zr == Z_STREAM_END)
				stream_end = true;
			else if (zr != Z_OK)
				break;
		}
	}
	if (gz && !stream_end)
		st = sg_err_set(err, SG_EPARSE, "%s: truncated gzip stream (ends after %llu compressed "
		    "bytes, %zu inflated)", path, (unsigned long long)total, out->len);
cleanup:
	if (zinit)
		inflateEnd(&zs);
	free(in);
	free(chunk);
	close(fd);
	if (bytes_read != NULL)
		*bytes_read = total;
	return st;
}

/* ---- files and directories -------------------------------------------------------------- */

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static enum sg_status
scan_file(struct sg_ct_scan *s, struct sg_buf *buf, const char *path, struct sg_error *err)
{
	struct sg_error ferr;
	uint64_t nread = 0;
	bool damaged = false;
	enum sg_status st;

	sg_err_init(&ferr);
	sg_buf_reset(buf);
	buf->max_bytes = SG_CT_MAX_FILE_BYTES;
	s->st.files++;
	st = sg_ct_read_file(path, buf, &nread, &ferr);
	s->st.bytes_read += nread;
	if (st == SG_ENOMEM)
		return sg_err_set(err, SG_ENOMEM, "%s", ferr.msg);
	if (st != SG_OK) {
		damaged = true;
		if (s->o.warn != NULL) {
			char msg[900];
			snprintf(msg, sizeof(msg), "%s%s", ferr.msg,
			    buf->len > 0 ? "; scoring the records read before that" : "");
			s->o.warn(s->o.ctx, msg);
		}
	}
	st = SG_OK;
	/* An empty file that read fine is still not a log file: say so. */
	if (buf->len > 0 || !damaged)
		st = scan_buffer(s, buf->data ? buf->data : "", buf->len, path, &damaged, err);
	if (damaged)
		s->st.bad_files++;
	end_file_warnings(s, path);
	return st;
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Trees next to CloudTrail/ that are not management events. */
static bool
skipped_tree(const char *name)
{
	static const char *const skip[] = {
		"CloudTrail-Digest", "CloudTrail-Insight", "CloudTrail-NetworkActivity",
		"CloudTrail-Aggregated",
	};
	size_t i;

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcmp(name, skip[i]) == 0)
			return true;
	return false;
}

static enum sg_status
walk(struct sg_ct_scan *s, struct sg_buf *buf, const char *dir, int depth, uint64_t *found,
     struct sg_error *err)
{
	struct dirent **names = NULL;
	enum sg_status st = SG_OK;
	int n, i;

	if (depth > MAX_DIR_DEPTH) {
		s->st.bad_files++;
		if (s->o.warn)
			s->o.warn(s->o.ctx, "directory tree deeper than 32 levels; not descending further");
		return SG_OK;
	}
	n = scandir(dir, &names, NULL, name_cmp);
	if (n < 0) {
		char msg[700];
		s->st.bad_files++;
		snprintf(msg, sizeof(msg), "%s: cannot read directory: %s", dir, strerror(errno));
		if (s->o.warn)
			s->o.warn(s->o.ctx, msg);
		return SG_OK;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct stat sb;
		char *child;
		size_t len;

		if (st != SG_OK || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		len = strlen(dir) + strlen(name) + 2;
		child = malloc(len);
		if (child == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			continue;
		}
		snprintf(child, len, "%s%s%s", dir, ends_with(dir, "/") ? "" : "/", name);
		if (lstat(child, &sb) == 0 && S_ISLNK(sb.st_mode)) {
			/* Follow links to files; never to directories (no loops). */
			if (stat(child, &sb) != 0 || S_ISDIR(sb.st_mode)) {
				free(child);
				continue;
			}
		}
		if (S_ISDIR(sb.st_mode)) {
			if (!skipped_tree(name))
				st = walk(s, buf, child, depth + 1, found, err);
		} else if (S_ISREG(sb.st_mode) && (ends_with(name, ".json") ||
		    ends_with(name, ".json.gz"))) {
			(*found)++;
			st = scan_file(s, buf, child, err);
		}
		free(child);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return st;
}

enum sg_status
sg_ct_scan_path(struct sg_ct_scan *s, const char *path, struct sg_error *err)
{
	struct sg_buf buf;
	struct stat sb;
	enum sg_status st;
	uint64_t found = 0;

	if (stat(path, &sb) != 0) {
		int e = errno;
		return sg_err_set(err, e == ENOENT ? SG_ENOTFOUND : SG_EIO, "%s: %s", path,
		    strerror(e));
	}
	sg_buf_init(&buf, SG_CT_MAX_FILE_BYTES);
	if (S_ISDIR(sb.st_mode)) {
		st = walk(s, &buf, path, 0, &found, err);
		if (st == SG_OK && found == 0) {
			char msg[700];
			snprintf(msg, sizeof(msg), "%s: no .json or .json.gz files found", path);
			s->incomplete = true;
			if (s->o.warn)
				s->o.warn(s->o.ctx, msg);
		}
	} else if (S_ISREG(sb.st_mode)) {
		st = scan_file(s, &buf, path, err);
	} else {
		st = sg_err_set(err, SG_EINVAL, "%s: not a file or directory", path);
	}
	sg_buf_dispose(&buf);
	return st;
}
