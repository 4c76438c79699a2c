/*
 * sigv4.h - AWS Signature Version 4 (AWS4-HMAC-SHA256) request signing.
 *
 * A standalone library: it depends on libc, pthreads and libcrypto only and
 * includes nothing from sg-audit's src/ or include/.
 *
 * Usage (sign one request, header style):
 *
 *     struct sigv4_signer *signer;          // one per program, thread-safe
 *     struct sigv4_credentials *cred;
 *     struct sigv4_options opt;
 *     struct sigv4_result *res;
 *     struct sigv4_header hdr[] = {
 *         SIGV4_HEADER("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
 *     };
 *     struct sigv4_request req = {
 *         .method = "POST", .path = "/", .host = "ec2.eu-west-1.amazonaws.com",
 *         .headers = hdr, .n_headers = 1,
 *         .body = body, .body_len = body_len,
 *     };
 *     if (sigv4_signer_new(&signer) != SIGV4_OK) ...
 *     if (sigv4_credentials_new(&cred, key_id, secret, token_or_NULL) != SIGV4_OK) ...
 *     sigv4_options_init(&opt, "eu-west-1", "ec2", time(NULL));
 *     if (sigv4_sign(&res, signer, &req, &opt, cred) != SIGV4_OK) ...
 *     for (size_t i = 0; i < res->n_headers; i++)
 *         add "res->headers[i].name: res->headers[i].value" to the HTTP request;
 *     sigv4_result_free(res);
 *
 * Ownership, in one place:
 *   - Every `const` input (request, headers, options, strings) is borrowed
 *     for the duration of the call only; nothing keeps a pointer to it.
 *   - Functions that return `char **out` hand over a NUL-terminated heap
 *     string; the caller frees it with free(). *out is written only on
 *     success; on failure it is left untouched and nothing is leaked.
 *   - `struct sigv4_result`, `struct sigv4_credentials` and
 *     `struct sigv4_signer` are heap objects; release them with their
 *     _free() function, which accepts NULL.
 *   - Secrets: the secret access key, the session token and every derived
 *     key (kDate, kRegion, kService, kSigning) live in library buffers that
 *     are wiped with OPENSSL_cleanse() before they are freed, and are never
 *     put into an error message.  sigv4_signing_key() writes a derived key
 *     into a caller buffer: the caller wipes that one.
 *
 * Threads: a struct sigv4_signer may be shared by any number of threads
 * (its key cache is behind a mutex).  Credentials are immutable after
 * creation and may be shared too.  Everything else is per call.  The
 * library has no global mutable state.
 */
#ifndef SIGV4_H
#define SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__) || defined(__clang__)
#define SIGV4_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SIGV4_MUST_CHECK
#endif

/* Caps.  Input over a cap gets a specific error, never a truncated or
 * malformed signature. */
#define SIGV4_MAX_HEADERS            64u    /* request headers, before merging */
#define SIGV4_MAX_HEADER_BYTES       16384u /* one header: name + value */
#define SIGV4_MAX_NAME_BYTES         256u   /* one header name */
#define SIGV4_MAX_URL_BYTES          16384u /* path, and query, each */
#define SIGV4_MAX_QUERY_PARAMS       512u
#define SIGV4_MAX_TOKEN_BYTES        8192u /* session token */
#define SIGV4_MAX_SECRET_BYTES       512u
#define SIGV4_MAX_KEY_ID_BYTES       128u
#define SIGV4_MAX_SCOPE_PART         64u     /* region, service */
#define SIGV4_MAX_EXPIRES_S          604800u /* 7 days, AWS's limit */
#define SIGV4_KEY_CACHE_SLOTS        64u     /* signer key cache entries */
#define SIGV4_MAX_PAYLOAD_HASH_BYTES 127u    /* precomputed payload hash */

#define SIGV4_KEY_BYTES      32u /* a derived key (HMAC-SHA256) */
#define SIGV4_HEX_BYTES      65u /* 64 hex digits + NUL */
#define SIGV4_AMZ_DATE_BYTES 17u /* "20150830T123600Z" + NUL */

enum sigv4_status {
	SIGV4_OK = 0,
	SIGV4_ERR_NOMEM,               /* allocation failed */
	SIGV4_ERR_INVALID_ARG,         /* NULL where a value is required */
	SIGV4_ERR_MISSING_CREDENTIALS, /* no credentials, empty key id or secret */
	SIGV4_ERR_BAD_CREDENTIALS,     /* key id / secret / token unusable */
	SIGV4_ERR_BAD_TIME,            /* time not in (1970, 9999] or unparsable */
	SIGV4_ERR_BAD_SCOPE,           /* region or service empty or bad chars */
	SIGV4_ERR_BAD_METHOD,          /* method empty or not an HTTP token */
	SIGV4_ERR_BAD_PATH,            /* control char, '?' or '#' in path */
	SIGV4_ERR_BAD_QUERY,           /* bad %-escape, control char, reserved X-Amz-* key */
	SIGV4_ERR_BAD_HEADER_NAME,     /* empty or not an HTTP token */
	SIGV4_ERR_BAD_HEADER_VALUE,    /* CR, LF, NUL or other control char in value */
	SIGV4_ERR_HEADER_TOO_LARGE,    /* one header over SIGV4_MAX_HEADER_BYTES */
	SIGV4_ERR_TOO_MANY_HEADERS,    /* more than SIGV4_MAX_HEADERS */
	SIGV4_ERR_RESERVED_HEADER,     /* caller set Authorization/X-Amz-Date/... */
	SIGV4_ERR_MISSING_HOST,        /* no host field and no Host header */
	SIGV4_ERR_DUPLICATE_HOST,      /* host given twice */
	SIGV4_ERR_BAD_PAYLOAD_HASH,    /* precomputed payload hash malformed */
	SIGV4_ERR_BAD_EXPIRES,         /* presign expiry not in 1..604800 */
	SIGV4_ERR_TOO_LARGE,           /* path/query/param count over its cap */
	SIGV4_ERR_CRYPTO,              /* libcrypto failed */
	SIGV4_ERR_THREAD,              /* pthread mutex failure */
};

/* Returns a static, human-readable description of `status` (never NULL). */
const char *sigv4_strerror(enum sigv4_status status);

/* One HTTP header.  A (pointer, length) view so that an embedded NUL is
 * visible and rejected; `name` and `value` need not be NUL-terminated. */
struct sigv4_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* Initializer for string literals: SIGV4_HEADER("Host", "example.com"). */
/* clang-format off */
#define SIGV4_HEADER(n, v) { (n), sizeof(n) - 1, (v), sizeof(v) - 1 }
/* clang-format on */

/* Makes a header view from two NUL-terminated strings (borrowed). */
static inline struct sigv4_header
sigv4_header_make(const char *name, const char *value)
{
	struct sigv4_header h = { name, strlen(name), value, strlen(value) };
	return h;
}

/*
 * The request to sign.  All fields are borrowed.
 *
 *  method     "GET", "POST", ...  (an HTTP token, used as given)
 *  path       the path AS SENT ON THE WIRE, i.e. already percent-encoded by
 *             the caller ("/", "/a%20b").  NULL or "" means "/".  With
 *             options.double_encode_path (the default for every service
 *             but s3) each byte outside A-Z a-z 0-9 - _ . ~ / is encoded
 *             once more, so "/a%20b" is signed as "/a%2520b" - which is
 *             what AWS expects.  Raw bytes (a space, UTF-8) are accepted
 *             and encoded the same way.  EC2, STS and CloudTrail use "/".
 *  query      the raw query string without '?', as sent ("a=1&b=%2F"),
 *             or NULL.  It is split on '&' and the first '=', decoded,
 *             re-encoded with the RFC 3986 unreserved set and sorted; a
 *             '+' is a literal plus (AWS wants spaces as %20).
 *  host       if non-NULL, a "host" header with this value is added and
 *             signed (it is not in the result: the HTTP client sends Host
 *             itself).  If NULL, `headers` must contain Host.
 *  headers    request headers in arrival order; repeated names are
 *             joined with ',' in that order.  All are signed except the
 *             hop-by-hop/agent ones proxies rewrite (user-agent, expect,
 *             transfer-encoding, connection, keep-alive, te, upgrade,
 *             proxy-connection, x-amzn-trace-id).  The signer adds
 *             X-Amz-Date, X-Amz-Security-Token and Authorization itself:
 *             passing them is SIGV4_ERR_RESERVED_HEADER.
 *  body       the payload, hashed with SHA-256 (NULL with body_len 0 is an
 *             empty body) - unless
 *  payload_hash is non-NULL: then it is used as the payload hash as is
 *             (64 lower-case hex digits, or a token like
 *             "UNSIGNED-PAYLOAD"), and body is ignored.
 */
struct sigv4_request {
	const char *method;
	const char *path;
	const char *query;
	const char *host;
	const struct sigv4_header *headers;
	size_t n_headers;
	const void *body;
	size_t body_len;
	const char *payload_hash;
};

enum sigv4_mode {
	SIGV4_MODE_HEADER = 0, /* Authorization header (the usual case) */
	SIGV4_MODE_QUERY,      /* presigned URL: X-Amz-* query parameters */
};

/*
 * How to sign.  Fill with sigv4_options_init(), then adjust.  Borrowed.
 *
 *  normalize_path      remove "." / ".." segments and collapse "//"
 *                      (default: on, off for service "s3").
 *  double_encode_path  encode the wire path once more (default: on, off
 *                      for service "s3").
 *  sign_body           header mode: add and sign x-amz-content-sha256
 *                      (default off; ignored in query mode).
 *  omit_session_token  send X-Amz-Security-Token but do not sign it (it is
 *                      "added after signing"); default off.
 *  expires_s           query mode: X-Amz-Expires, 1..604800 (default 3600).
 */
struct sigv4_options {
	const char *region;
	const char *service;
	time_t time; /* signing time, seconds since the epoch (UTC) */
	enum sigv4_mode mode;
	bool normalize_path;
	bool double_encode_path;
	bool sign_body;
	bool omit_session_token;
	uint32_t expires_s;
};

/* Fills `opt` with the defaults above for `region`/`service` at `when`. */
void
sigv4_options_init(struct sigv4_options *opt, const char *region, const char *service, time_t when);

/* ---- credentials ------------------------------------------------------ */

struct sigv4_credentials;

/*
 * Copies the access key id, secret and optional session token (NULL or ""
 * for none) into a new object whose secret buffers are cleansed on free.
 * Returns SIGV4_ERR_MISSING_CREDENTIALS for an empty key id or secret and
 * SIGV4_ERR_BAD_CREDENTIALS for a key id that is not alphanumeric or
 * anything over its cap or containing control characters.
 */
SIGV4_MUST_CHECK enum sigv4_status sigv4_credentials_new(struct sigv4_credentials **out,
    const char *access_key_id, const char *secret_access_key, const char *session_token);

/* Wipes and frees; accepts NULL. */
void sigv4_credentials_free(struct sigv4_credentials *cred);

/* ---- signer context (key cache) --------------------------------------- */

struct sigv4_signer;

/* A signer holds a small LRU cache of derived signing keys, keyed by
 * (access key id, secret fingerprint, date, region, service), so a scan of
 * 30 regions derives each key once per day.  Thread-safe. */
SIGV4_MUST_CHECK enum sigv4_status sigv4_signer_new(struct sigv4_signer **out);

/* Wipes every cached key and frees; accepts NULL. */
void sigv4_signer_free(struct sigv4_signer *signer);

/* Number of signing keys derived (cache misses) since creation.  For tests
 * and for a debug statistic. */
uint64_t sigv4_signer_derivations(struct sigv4_signer *signer);

/* ---- the whole request ------------------------------------------------- */

/*
 * What sigv4_sign() produces.  Owned by the result; free with
 * sigv4_result_free().
 *
 * Header mode: `headers` lists what the caller must add to the request,
 * in this order: X-Amz-Date, X-Amz-Security-Token (if the credentials have
 * a token), x-amz-content-sha256 (if sign_body), Authorization.  The views
 * are NUL-terminated as well.  `query` is NULL.
 *
 * Query mode: `query` is the complete query string to send (the caller's
 * raw query followed by X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
 * X-Amz-SignedHeaders, X-Amz-Expires, X-Amz-Security-Token if any, and
 * X-Amz-Signature); `headers` is empty and `authorization` is NULL.
 *
 * The intermediate stages are kept for tests and debugging; none of them
 * contains the secret (the canonical request does contain the session
 * token when it is signed, as AWS defines it).
 */
struct sigv4_result {
	struct sigv4_header headers[4];
	size_t n_headers;
	char *query;
	char *canonical_request;
	char *string_to_sign;
	char *signed_headers; /* "host;x-amz-date" */
	char *authorization;  /* the Authorization header value */
	char signature[SIGV4_HEX_BYTES];
	char amz_date[SIGV4_AMZ_DATE_BYTES];
	char payload_hash[SIGV4_MAX_PAYLOAD_HASH_BYTES + 1]; /* set with sign_body */
	char *security_token; /* copy behind the token header; wiped */
};

/*
 * Signs `req`.  `signer` may be NULL (then the key is derived every time
 * and not cached).  On success *out is a new result; on failure *out is
 * untouched and the status says what was wrong with the input.
 */
SIGV4_MUST_CHECK enum sigv4_status
sigv4_sign(struct sigv4_result **out, struct sigv4_signer *signer, const struct sigv4_request *req,
    const struct sigv4_options *opt, const struct sigv4_credentials *cred);

/* Frees a result; accepts NULL. */
void sigv4_result_free(struct sigv4_result *res);

/* ---- the stages, each callable on its own ------------------------------ */

/*
 * Canonical request, one field per line:
 *
 *     METHOD
 *     canonical URI            (normalized, encoded path)
 *     canonical query          (sorted, encoded; plus X-Amz-* in query mode)
 *     name:value               (one line per signed header, sorted)
 *     ...
 *     <empty line>
 *     signed headers           ("host;x-amz-date")
 *     payload hash             (hex SHA-256 of the body)
 *
 * Writes the canonical request to *out and, if signed_headers_out is not
 * NULL, the signed-header list to *signed_headers_out (both heap, caller
 * frees).  `cred` supplies the session token and, in query mode, the key
 * id for X-Amz-Credential.
 */
SIGV4_MUST_CHECK enum sigv4_status
sigv4_canonical_request(char **out, char **signed_headers_out, const struct sigv4_request *req,
    const struct sigv4_options *opt, const struct sigv4_credentials *cred);

/*
 * String to sign:
 *
 *     AWS4-HMAC-SHA256
 *     <amz date>               (20150830T123600Z)
 *     <scope>                  (20150830/us-east-1/service/aws4_request)
 *     <hex SHA-256 of the canonical request>
 *
 * Uses opt->time, opt->region and opt->service.  Heap string in *out.
 */
SIGV4_MUST_CHECK enum sigv4_status
sigv4_string_to_sign(char **out, const char *canonical_request, const struct sigv4_options *opt);

/*
 * Derives kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region),
 * service), "aws4_request") into `out` (32 bytes).  `date` is YYYYMMDD.
 * Every intermediate key is wiped; the caller must wipe `out`.
 * Uncached: use a signer for the cached path.
 */
SIGV4_MUST_CHECK enum sigv4_status
sigv4_signing_key(unsigned char out[SIGV4_KEY_BYTES], const struct sigv4_credentials *cred,
    const char *date, const char *region, const char *service);

/* Like sigv4_signing_key() but through the signer's cache. */
SIGV4_MUST_CHECK enum sigv4_status sigv4_signer_signing_key(unsigned char out[SIGV4_KEY_BYTES],
    struct sigv4_signer *signer, const struct sigv4_credentials *cred, const char *date,
    const char *region, const char *service);

/* Hex HMAC-SHA256(signing_key, string_to_sign) into `out` (65 bytes). */
SIGV4_MUST_CHECK enum sigv4_status sigv4_signature(char out[SIGV4_HEX_BYTES],
    const unsigned char signing_key[SIGV4_KEY_BYTES], const char *string_to_sign);

/*
 * The Authorization header value:
 *   AWS4-HMAC-SHA256 Credential=<key id>/<scope>, SignedHeaders=<list>, Signature=<hex>
 * Heap string in *out.
 */
SIGV4_MUST_CHECK enum sigv4_status
sigv4_authorization(char **out, const struct sigv4_credentials *cred,
    const struct sigv4_options *opt, const char *signed_headers, const char *signature);

/* ---- helpers ------------------------------------------------------------ */

/* Formats `when` as an X-Amz-Date ("20150830T123600Z") into `out`.
 * SIGV4_ERR_BAD_TIME if `when` is <= 0 or after year 9999. */
SIGV4_MUST_CHECK enum sigv4_status
sigv4_format_amz_date(char out[SIGV4_AMZ_DATE_BYTES], time_t when);

/* Parses "20150830T123600Z" (UTC) into *out.  SIGV4_ERR_BAD_TIME if it is
 * not exactly that shape or not a real date and time. */
SIGV4_MUST_CHECK enum sigv4_status sigv4_parse_amz_date(time_t *out, const char *amz_date);

/* Canonical URI of a wire path under `opt` (normalize / double-encode).
 * Heap string in *out. */
SIGV4_MUST_CHECK enum sigv4_status
sigv4_canonical_uri(char **out, const char *path, const struct sigv4_options *opt);

/* Canonical query string of a raw query (no X-Amz-* added).  Heap string
 * in *out ("" for NULL or an empty query). */
SIGV4_MUST_CHECK enum sigv4_status sigv4_canonical_query(char **out, const char *query);

#endif /* SIGV4_H */
