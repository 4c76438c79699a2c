/*
 * sigv4_crypto.c - everything that touches key material: credentials, the
 * signing-key derivation, the signer's key cache and the signature.
 *
 * Rule for this file: every buffer that holds the secret or a derived key
 * is wiped with OPENSSL_cleanse() on every path out, success or not.
 */
#include "sigv4_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* ---- hashing ------------------------------------------------------------ */

static void
sv_hex(char *out, const unsigned char *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static enum sigv4_status
sv_sha256(unsigned char out[32], const void *data, size_t n)
{
	unsigned int len = 0;

	if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return SIGV4_ERR_CRYPTO;
	return SIGV4_OK;
}

enum sigv4_status
sv_sha256_hex(char out[SIGV4_HEX_BYTES], const void *data, size_t n)
{
	unsigned char md[32];
	enum sigv4_status st = sv_sha256(md, data, n);

	if (st == SIGV4_OK)
		sv_hex(out, md, sizeof(md));
	return st;
}

static enum sigv4_status
sv_hmac(unsigned char out[32], const void *key, size_t key_len, const void *data, size_t n)
{
	unsigned int len = 0;

	if (key_len > 1024 || HMAC(EVP_sha256(), key, (int)key_len, data, n, out, &len) == NULL ||
	    len != 32)
		return SIGV4_ERR_CRYPTO;
	return SIGV4_OK;
}

/* ---- credentials ---------------------------------------------------------- */

static void
sv_free_secret(char *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

void
sigv4_credentials_free(struct sigv4_credentials *cred)
{
	if (cred == NULL)
		return;
	free(cred->key_id);
	sv_free_secret(cred->secret);
	sv_free_secret(cred->token);
	OPENSSL_cleanse(cred, sizeof(*cred));
	free(cred);
}

enum sigv4_status
sigv4_credentials_new(struct sigv4_credentials **out, const char *access_key_id,
    const char *secret_access_key, const char *session_token)
{
	struct sigv4_credentials *c;
	size_t i, idn, sn, tn = 0;
	enum sigv4_status st;

	if (out == NULL)
		return SIGV4_ERR_INVALID_ARG;
	if (access_key_id == NULL || access_key_id[0] == '\0' || secret_access_key == NULL ||
	    secret_access_key[0] == '\0')
		return SIGV4_ERR_MISSING_CREDENTIALS;
	idn = strlen(access_key_id);
	sn = strlen(secret_access_key);
	if (session_token != NULL)
		tn = strlen(session_token);
	if (idn > SIGV4_MAX_KEY_ID_BYTES || sn > SIGV4_MAX_SECRET_BYTES ||
	    tn > SIGV4_MAX_TOKEN_BYTES)
		return SIGV4_ERR_BAD_CREDENTIALS;
	/* The key id goes into "Credential=<id>/<scope>," unescaped in header
     * mode: anything but letters and digits could change its meaning. */
	for (i = 0; i < idn; i++) {
		unsigned char ch = (unsigned char)access_key_id[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		        (ch >= '0' && ch <= '9')))
			return SIGV4_ERR_BAD_CREDENTIALS;
	}
	/* The token is sent as a header value: same rule as any header. */
	for (i = 0; i < tn; i++) {
		unsigned char ch = (unsigned char)session_token[i];
		if (ch < 0x21 || ch == 0x7f)
			return SIGV4_ERR_BAD_CREDENTIALS;
	}

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SIGV4_ERR_NOMEM;
	c->key_id = malloc(idn + 1);
	c->secret = malloc(sn + 1);
	if (tn != 0)
		c->token = malloc(tn + 1);
	if (c->key_id == NULL || c->secret == NULL || (tn != 0 && c->token == NULL)) {
		sigv4_credentials_free(c);
		return SIGV4_ERR_NOMEM;
	}
	memcpy(c->key_id, access_key_id, idn + 1);
	memcpy(c->secret, secret_access_key, sn + 1);
	c->secret_len = sn;
	if (tn != 0)
		memcpy(c->token, session_token, tn + 1);
	/* A fingerprint, not the secret, keys the cache: a rotated secret under
     * the same key id must not reuse an old derived key. */
	st = sv_sha256(c->fingerprint, c->secret, sn);
	if (st != SIGV4_OK) {
		sigv4_credentials_free(c);
		return st;
	}
	*out = c;
	return SIGV4_OK;
}

enum sigv4_status
sv_check_credentials(const struct sigv4_credentials *cred)
{
	if (cred == NULL || cred->key_id == NULL || cred->key_id[0] == '\0' ||
	    cred->secret == NULL || cred->secret_len == 0)
		return SIGV4_ERR_MISSING_CREDENTIALS;
	return SIGV4_OK;
}

/* ---- signing key ------------------------------------------------------------ */

static enum sigv4_status
sv_check_part(const char *s)
{
	size_t i, n;

	if (s == NULL)
		return SIGV4_ERR_BAD_SCOPE;
	n = strlen(s);
	if (n == 0 || n > SIGV4_MAX_SCOPE_PART)
		return SIGV4_ERR_BAD_SCOPE;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '-' || c == '_' || c == '.'))
			return SIGV4_ERR_BAD_SCOPE;
	}
	return SIGV4_OK;
}

static enum sigv4_status
sv_check_date8(const char *date)
{
	size_t i;

	if (date == NULL || strlen(date) != 8)
		return SIGV4_ERR_BAD_TIME;
	for (i = 0; i < 8; i++) {
		if (date[i] < '0' || date[i] > '9')
			return SIGV4_ERR_BAD_TIME;
	}
	return SIGV4_OK;
}

enum sigv4_status
sigv4_signing_key(unsigned char out[SIGV4_KEY_BYTES], const struct sigv4_credentials *cred,
    const char *date, const char *region, const char *service)
{
	unsigned char k1[32], k2[32];
	struct sv_buf ksecret;
	enum sigv4_status st;

	if (out == NULL)
		return SIGV4_ERR_INVALID_ARG;
	st = sv_check_credentials(cred);
	if (st == SIGV4_OK)
		st = sv_check_date8(date);
	if (st == SIGV4_OK)
		st = sv_check_part(region);
	if (st == SIGV4_OK)
		st = sv_check_part(service);
	if (st != SIGV4_OK)
		return st;

	/* kSecret = "AWS4" + secret, in a buffer that is wiped when freed. */
	sv_buf_init(&ksecret, SIGV4_MAX_SECRET_BYTES + 8);
	ksecret.secret = true;
	st = sv_buf_put(&ksecret, "AWS4", 4);
	if (st == SIGV4_OK)
		st = sv_buf_put(&ksecret, cred->secret, cred->secret_len);
	/* kDate -> k1, kRegion -> k2, kService -> k1, kSigning -> out */
	if (st == SIGV4_OK)
		st = sv_hmac(k1, ksecret.p, ksecret.len, date, strlen(date));
	if (st == SIGV4_OK)
		st = sv_hmac(k2, k1, sizeof(k1), region, strlen(region));
	if (st == SIGV4_OK)
		st = sv_hmac(k1, k2, sizeof(k2), service, strlen(service));
	if (st == SIGV4_OK)
		st = sv_hmac(out, k1, sizeof(k1), "aws4_request", 12);
	if (st != SIGV4_OK)
		OPENSSL_cleanse(out, SIGV4_KEY_BYTES);
	sv_buf_dispose(&ksecret);
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	return st;
}

enum sigv4_status
sigv4_signature(char out[SIGV4_HEX_BYTES], const unsigned char signing_key[SIGV4_KEY_BYTES],
    const char *string_to_sign)
{
	unsigned char mac[32];
	enum sigv4_status st;

	if (out == NULL || signing_key == NULL || string_to_sign == NULL)
		return SIGV4_ERR_INVALID_ARG;
	st = sv_hmac(mac, signing_key, SIGV4_KEY_BYTES, string_to_sign, strlen(string_to_sign));
	if (st == SIGV4_OK)
		sv_hex(out, mac, sizeof(mac));
	OPENSSL_cleanse(mac, sizeof(mac));
	return st;
}

/* ---- the signer and its key cache ---------------------------------------- */

struct sv_slot {
	bool used;
	uint64_t last_use; /* LRU clock value */
	char key_id[SIGV4_MAX_KEY_ID_BYTES + 1];
	unsigned char fingerprint[32];
	char date[9];
	char region[SIGV4_MAX_SCOPE_PART + 1];
	char service[SIGV4_MAX_SCOPE_PART + 1];
	unsigned char key[SIGV4_KEY_BYTES]; /* kSigning; wiped on eviction */
};

struct sigv4_signer {
	pthread_mutex_t lock;
	uint64_t clock;
	uint64_t derivations;
	struct sv_slot slots[SIGV4_KEY_CACHE_SLOTS];
};

enum sigv4_status
sigv4_signer_new(struct sigv4_signer **out)
{
	struct sigv4_signer *s;

	if (out == NULL)
		return SIGV4_ERR_INVALID_ARG;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SIGV4_ERR_NOMEM;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return SIGV4_ERR_THREAD;
	}
	*out = s;
	return SIGV4_OK;
}

void
sigv4_signer_free(struct sigv4_signer *signer)
{
	if (signer == NULL)
		return;
	pthread_mutex_destroy(&signer->lock);
	OPENSSL_cleanse(signer->slots, sizeof(signer->slots));
	free(signer);
}

uint64_t
sigv4_signer_derivations(struct sigv4_signer *signer)
{
	uint64_t n;

	if (signer == NULL)
		return 0;
	if (pthread_mutex_lock(&signer->lock) != 0)
		return 0;
	n = signer->derivations;
	pthread_mutex_unlock(&signer->lock);
	return n;
}

static bool
sv_slot_matches(const struct sv_slot *slot, const struct sigv4_credentials *cred, const char *date,
    const char *region, const char *service)
{
	return slot->used && strcmp(slot->key_id, cred->key_id) == 0 &&
	    CRYPTO_memcmp(slot->fingerprint, cred->fingerprint, 32) == 0 &&
	    strcmp(slot->date, date) == 0 && strcmp(slot->region, region) == 0 &&
	    strcmp(slot->service, service) == 0;
}

enum sigv4_status
sigv4_signer_signing_key(unsigned char out[SIGV4_KEY_BYTES], struct sigv4_signer *signer,
    const struct sigv4_credentials *cred, const char *date, const char *region, const char *service)
{
	struct sv_slot *victim = NULL;
	size_t i;
	enum sigv4_status st;

	if (signer == NULL)
		return sigv4_signing_key(out, cred, date, region, service);
	if (out == NULL)
		return SIGV4_ERR_INVALID_ARG;
	st = sv_check_credentials(cred);
	if (st == SIGV4_OK)
		st = sv_check_date8(date);
	if (st == SIGV4_OK)
		st = sv_check_part(region);
	if (st == SIGV4_OK)
		st = sv_check_part(service);
	if (st != SIGV4_OK)
		return st;

	if (pthread_mutex_lock(&signer->lock) != 0)
		return SIGV4_ERR_THREAD;
	signer->clock++;
	for (i = 0; i < SIGV4_KEY_CACHE_SLOTS; i++) {
		struct sv_slot *slot = &signer->slots[i];

		if (sv_slot_matches(slot, cred, date, region, service)) {
			slot->last_use = signer->clock;
			memcpy(out, slot->key, SIGV4_KEY_BYTES);
			pthread_mutex_unlock(&signer->lock);
			return SIGV4_OK;
		}
		/* Victim: the first free slot, else the least recently used. */
		if (!slot->used) {
			if (victim == NULL || victim->used)
				victim = slot;
		} else if (victim == NULL || (victim->used && slot->last_use < victim->last_use)) {
			victim = slot;
		}
	}
	/* Miss: derive under the lock, so that threads racing for the same
     * scope derive it once (four HMACs: microseconds). */
	st = sigv4_signing_key(out, cred, date, region, service);
	if (st == SIGV4_OK) {
		OPENSSL_cleanse(victim, sizeof(*victim));
		victim->used = true;
		victim->last_use = signer->clock;
		memcpy(victim->key_id, cred->key_id, strlen(cred->key_id) + 1);
		memcpy(victim->fingerprint, cred->fingerprint, 32);
		memcpy(victim->date, date, 9);
		memcpy(victim->region, region, strlen(region) + 1);
		memcpy(victim->service, service, strlen(service) + 1);
		memcpy(victim->key, out, SIGV4_KEY_BYTES);
		signer->derivations++;
	}
	pthread_mutex_unlock(&signer->lock);
	return st;
}

enum sigv4_status
sv_check_scope(const struct sigv4_options *opt)
{
	enum sigv4_status st = sv_check_part(opt->region);

	return st == SIGV4_OK ? sv_check_part(opt->service) : st;
}
