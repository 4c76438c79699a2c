/*
 * sg_err.h — status codes and the error record every fallible call fills.
 *
 * Fallible functions return enum sg_status and take a struct sg_error *err
 * last. The message is written where the problem is found, names the input
 * ("eu-west-1 DescribeSecurityGroups page 3: <fromPort> 'x' is not a port
 * number") and the FIRST one wins: later sg_err_set() calls on an error that
 * is already set change nothing, so the root cause survives as it travels up.
 *
 * Never format a secret (secret key, session token, derived key,
 * Authorization header) into a message.
 *
 * Only the CLI maps statuses to exit codes (src/cli.c, one table).
 */
#ifndef SG_ERR_H
#define SG_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define SG_MUST_USE __attribute__((warn_unused_result))
#define SG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SG_MUST_USE
#define SG_PRINTF(f, a)
#endif

enum sg_status {
	SG_OK = 0,
	SG_ENOMEM,       /* allocation failed */
	SG_EINVAL,       /* bad argument or usage (a wrong flag, a bad value) */
	SG_ELIMIT,       /* a size, depth or count cap was exceeded */
	SG_EPARSE,       /* malformed input: XML, JSON, INI, CIDR, number, ... */
	SG_EIO,          /* file or process I/O failed */
	SG_ENET,         /* connection, DNS, TLS or transfer failure */
	SG_ETIMEOUT,     /* a timeout expired */
	SG_EHTTP,        /* unexpected HTTP status without an AWS error body */
	SG_EAWS,         /* the service answered with an error (code in aws_code) */
	SG_EAUTH,        /* authentication failed: bad/expired credentials, signature */
	SG_EDENIED,      /* authorization failed: UnauthorizedOperation, AccessDenied */
	SG_ETHROTTLED,   /* throttled and retries exhausted */
	SG_ECREDS,       /* no usable credentials could be resolved */
	SG_ECONFIG,      /* configuration, credentials, policy or waiver file invalid */
	SG_ENOTFOUND,    /* a named thing (profile, file, region, policy) does not exist */
	SG_EUNSUPPORTED, /* a feature that exists but is not supported here */
	SG_EINTERNAL,    /* a bug */
	SG_STATUS_COUNT
};

struct sg_error {
	enum sg_status status;
	long http_status;       /* 0 if none */
	char aws_code[96];      /* AWS error code, "" if none */
	char request_id[96];    /* AWS request id, "" if none */
	char msg[768];
};

/* Clear an error record before use. */
void sg_err_init(struct sg_error *err);

/*
 * Set the error if none is set yet (first error wins) and return `st`, so
 * callers can write `return sg_err_set(err, SG_EPARSE, "...")`. err may be NULL.
 */
enum sg_status sg_err_set(struct sg_error *err, enum sg_status st,
                          const char *fmt, ...) SG_PRINTF(3, 4);

/*
 * Prefix the message with context ("eu-west-1: ") if the error is set.
 * Used by callers that know more about where the input came from.
 */
void sg_err_prefix(struct sg_error *err, const char *fmt, ...) SG_PRINTF(2, 3);

/* Record AWS details on an error (first wins, like the message). */
void sg_err_set_aws(struct sg_error *err, long http_status, const char *code,
                    const char *request_id);

/* A short stable name for a status: "ENOMEM", "EPARSE", ... */
const char *sg_status_name(enum sg_status st);

#endif
