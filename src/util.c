/* util.c — bounded file reads, atomic writes, strict parsing, time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sg_util.h"

enum sg_status
sg_file_read(const char *path, struct sg_buf *out, bool allow_nul, struct sg_error *err)
{
	char chunk[65536];
	ssize_t n;
	int fd;
	enum sg_status st = SG_OK;

	struct stat sb;

	/* O_NONBLOCK: a FIFO named as a config file must not hang the run. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return sg_err_set(err, errno == ENOENT ? SG_ENOTFOUND : SG_EIO,
		    "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode) ||
	    S_ISDIR(sb.st_mode)) {
		close(fd);
		return sg_err_set(err, SG_EIO, "%s: not a regular file", path);
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			st = sg_err_set(err, SG_EIO, "%s: read failed: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (!allow_nul && memchr(chunk, '\0', (size_t)n) != NULL) {
			st = sg_err_set(err, SG_EPARSE, "%s: contains a NUL byte (binary file?)", path);
			break;
		}
		if ((st = sg_buf_append(out, chunk, (size_t)n, err)) != SG_OK) {
			if (st == SG_ELIMIT)
				sg_err_prefix(err, "%s: ", path);
			break;
		}
	}
	close(fd);
	if (st != SG_OK)
		sg_buf_dispose(out);
	return st;
}

enum sg_status
sg_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                     struct sg_error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *p = data, *slash;
	size_t left = len;
	ssize_t n;
	int fd, dfd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return sg_err_set(err, SG_EINVAL, "%s: path too long", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return sg_err_set(err, SG_EIO, "%s: cannot create temporary file: %s",
		    path, strerror(errno));
	while (left > 0) {
		n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	/* Make the rename itself durable. */
	slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path == 0 ? 1 : slash - path), path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return SG_OK;
fail:
	{
		int e = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return sg_err_set(err, SG_EIO, "%s: write failed: %s", path, strerror(e));
	}
}

bool
sg_parse_long(struct sg_str s, long min, long max, long *out)
{
	long v = 0;
	size_t i = 0;
	bool neg = false;

	if (s.len == 0 || s.len > 20)
		return false;
	if (s.p[0] == '-') {
		neg = true;
		i = 1;
		if (s.len == 1)
			return false;
	}
	for (; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c < '0' || c > '9')
			return false;
		/* 18 digits always fit in a long: check for overflow only past them. */
		if (i >= 18 && v > (LONG_MAX - (c - '0')) / 10)
			return false;
		v = v * 10 + (c - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

void
sg_time_iso8601(time_t t, char *buf, size_t cap)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
sg_time_amz(time_t t, char *buf, size_t cap)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y%m%dT%H%M%SZ", &tm);
}

bool
sg_time_parse_iso8601(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return false;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z')
		p++;
	else if (strcmp(p, "+00:00") == 0)
		p += 6;
	if (*p != '\0')
		return false;
	*out = timegm(&tm);
	return true;
}

uint64_t
sg_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
sg_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sg_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	sg_hex(md, 32, out);
}

char *
sg_strdup_or_null(const char *s, bool *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = true;
	return d;
}
