/* log.c — --debug logging with redaction (see sg_log.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sg_log.h"

static atomic_bool debug_on;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*log_sink)(void *ctx, const char *line);
static void *log_sink_ctx;

void
sg_log_set_debug(bool on)
{
	atomic_store(&debug_on, on);
}

bool
sg_log_debug_enabled(void)
{
	return atomic_load(&debug_on);
}

void
sg_log_set_sink(void (*sink)(void *ctx, const char *line), void *ctx)
{
	pthread_mutex_lock(&log_lock);
	log_sink = sink;
	log_sink_ctx = ctx;
	pthread_mutex_unlock(&log_lock);
}

static void
emit(const char *prefix, const char *fmt, va_list ap)
{
	char line[4096];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "sg-audit: %s: ", prefix);
	if (n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	pthread_mutex_lock(&log_lock);
	if (log_sink != NULL)
		log_sink(log_sink_ctx, line);
	else
		fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}

void
sg_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!atomic_load(&debug_on))
		return;
	va_start(ap, fmt);
	emit("debug", fmt, ap);
	va_end(ap);
}

void
sg_log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("warning", fmt, ap);
	va_end(ap);
}

/* Case-insensitive substring search in a (pointer, length) name. */
static bool
name_contains(const char *name, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (strncasecmp(name + i, needle, n) == 0)
			return true;
	return false;
}

bool
sg_log_header_is_secret(const char *name, size_t name_len)
{
	/*
	 * Matched by substring so that variants (X-Amz-Security-Token,
	 * x-aws-ec2-metadata-token, Proxy-Authorization, ...) are covered
	 * without a list that someone forgets to extend.
	 */
	static const char *const secret_parts[] = {
		"authorization", "token", "secret", "credential", "signature",
		"password", "cookie", "session",
	};
	size_t i;

	for (i = 0; i < sizeof(secret_parts) / sizeof(secret_parts[0]); i++)
		if (name_contains(name, name_len, secret_parts[i]))
			return true;
	return false;
}

void
sg_log_format_header(char *out, size_t cap, const char *name, size_t name_len,
                     const char *value, size_t value_len)
{
	size_t o = 0, i;
	bool secret = sg_log_header_is_secret(name, name_len);

	if (cap == 0)
		return;
#define PUT(c) do { if (o + 1 < cap) out[o++] = (c); } while (0)
	for (i = 0; i < name_len; i++) {
		unsigned char c = (unsigned char)name[i];
		PUT(c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
	PUT(':');
	PUT(' ');
	if (secret) {
		const char *r = "[REDACTED]";
		while (*r)
			PUT(*r++);
	} else {
		for (i = 0; i < value_len; i++) {
			unsigned char c = (unsigned char)value[i];
			PUT(c < 0x20 || c == 0x7f ? '?' : (char)c);
		}
	}
#undef PUT
	out[o] = '\0';
}
