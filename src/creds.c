/* creds.c — the credentials record (see sg_creds.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sg_creds.h"

void
sg_creds_init(struct sg_creds *c)
{
	memset(c, 0, sizeof(*c));
}

/* Wipe a secret string in place, then free it. */
static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
sg_creds_dispose(struct sg_creds *c)
{
	if (c == NULL)
		return;
	free(c->access_key_id);
	free_secret(c->secret_access_key);
	free_secret(c->session_token);
	free(c->account_id);
	sg_creds_init(c);
}

static char *
dup_or_null(const char *s, bool *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = true;
	return d;
}

enum sg_status
sg_creds_copy(struct sg_creds *out, const struct sg_creds *src, struct sg_error *err)
{
	struct sg_creds c;
	bool failed = false;

	sg_creds_init(&c);
	c.access_key_id = dup_or_null(src->access_key_id, &failed);
	c.secret_access_key = dup_or_null(src->secret_access_key, &failed);
	c.session_token = dup_or_null(src->session_token, &failed);
	c.account_id = dup_or_null(src->account_id, &failed);
	c.expiration = src->expiration;
	memcpy(c.source, src->source, sizeof(c.source));
	c.source[sizeof(c.source) - 1] = '\0';
	if (failed) {
		sg_creds_dispose(&c);
		return sg_err_set(err, SG_ENOMEM, "out of memory copying credentials");
	}
	*out = c;
	return SG_OK;
}
