/*
 * creds_process.c — credential_process (split, spawn with a time limit,
 * parse) and the credentials JSON shared with IMDS and containers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "creds_internal.h"
#include "sg_buf.h"
#include "sg_util.h"

extern char **environ;

void
sg_creds_set_source(struct sg_creds *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->source, sizeof(c->source), fmt, ap);
	va_end(ap);
}

/* cJSON frees strings without wiping them: wipe every string first. */
static void
json_wipe(cJSON *j)
{
	for (; j != NULL; j = j->next) {
		if (j->valuestring != NULL)
			OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
		if (j->child != NULL)
			json_wipe(j->child);
	}
}

/* A string member, or NULL if absent; *bad set if present but not a string. */
static const char *
json_str(const cJSON *obj, const char *name, bool *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		*bad = true;
		return NULL;
	}
	return v->valuestring;
}

enum sg_status
sg_creds_parse_json(struct sg_creds *out, enum sg_creds_json_kind kind, const char *what,
                    const char *data, size_t len, struct sg_error *err)
{
	cJSON *root;
	const char *akid, *secret, *token, *exp, *acct, *code;
	const char *token_name = kind == SG_CREDS_JSON_PROCESS ? "SessionToken" : "Token";
	bool bad = false;
	struct sg_creds c;
	enum sg_status st = SG_OK;

	if (len > SG_CREDS_JSON_MAX_BYTES)
		return sg_err_set(err, SG_ECREDS, "%s: response is larger than %zu bytes", what,
		    SG_CREDS_JSON_MAX_BYTES);
	root = cJSON_ParseWithLength(data, len);
	if (root == NULL || !cJSON_IsObject(root)) {
		/* Never quote the body: it is full of secrets when it is nearly right. */
		st = sg_err_set(err, SG_ECREDS, "%s: output is not a JSON object", what);
		goto done;
	}
	if (kind == SG_CREDS_JSON_PROCESS) {
		const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "Version");
		if (ver == NULL) {
			st = sg_err_set(err, SG_ECREDS, "%s: output has no \"Version\" (must be 1)", what);
			goto done;
		}
		if (!cJSON_IsNumber(ver) || ver->valuedouble != 1.0) {
			st = sg_err_set(err, SG_ECREDS,
			    "%s: unsupported \"Version\" (must be the number 1)", what);
			goto done;
		}
	}
	if (kind == SG_CREDS_JSON_IMDS) {
		code = json_str(root, "Code", &bad);
		if (code != NULL && strcmp(code, "Success") != 0) {
			char shown[48];
			size_t i;
			/* Code is a status word, not a secret; show it sanitised. */
			for (i = 0; code[i] && i + 1 < sizeof(shown); i++)
				shown[i] = (code[i] >= 0x20 && code[i] < 0x7f) ? code[i] : '?';
			shown[i] = '\0';
			st = sg_err_set(err, SG_ECREDS, "%s: Code is \"%s\", not \"Success\"", what, shown);
			goto done;
		}
	}
	akid = json_str(root, "AccessKeyId", &bad);
	secret = json_str(root, "SecretAccessKey", &bad);
	token = json_str(root, token_name, &bad);
	exp = json_str(root, "Expiration", &bad);
	acct = json_str(root, "AccountId", &bad);
	if (bad) {
		st = sg_err_set(err, SG_ECREDS, "%s: a credentials field is not a string", what);
		goto done;
	}
	if (akid == NULL || *akid == '\0' || secret == NULL || *secret == '\0') {
		st = sg_err_set(err, SG_ECREDS, "%s: output lacks %s", what,
		    akid == NULL || *akid == '\0' ? "AccessKeyId" : "SecretAccessKey");
		goto done;
	}
	sg_creds_init(&c);
	if (exp != NULL && !sg_time_parse_iso8601(exp, &c.expiration)) {
		st = sg_err_set(err, SG_ECREDS,
		    "%s: Expiration is not an ISO 8601 UTC time (like 2024-05-01T13:05:00Z)", what);
		goto done;
	}
	c.access_key_id = strdup(akid);
	c.secret_access_key = strdup(secret);
	c.session_token = token && *token ? strdup(token) : NULL;
	c.account_id = acct && *acct ? strdup(acct) : NULL;
	if (c.access_key_id == NULL || c.secret_access_key == NULL ||
	    (token && *token && c.session_token == NULL) || (acct && *acct && c.account_id == NULL)) {
		sg_creds_dispose(&c);
		st = sg_err_set(err, SG_ENOMEM, "%s: out of memory", what);
		goto done;
	}
	sg_creds_dispose(out);
	*out = c;
done:
	if (root != NULL) {
		json_wipe(root);
		cJSON_Delete(root);
	}
	return st;
}

void
sg_creds_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

enum sg_status
sg_creds_split_command(char ***argv_out, size_t *argc_out, const char *cmd,
                       struct sg_error *err)
{
	char **argv;
	size_t argc = 0, i = 0, n = strlen(cmd);
	struct sg_buf word;
	enum sg_status st = SG_OK;

	argv = calloc(SG_CREDS_MAX_ARGS + 1, sizeof(*argv));
	if (argv == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	sg_buf_init(&word, 64 << 10);
	while (i < n) {
		bool in_word = false;

		while (i < n && (cmd[i] == ' ' || cmd[i] == '\t' || cmd[i] == '\n' || cmd[i] == '\r'))
			i++;
		if (i >= n)
			break;
		sg_buf_reset(&word);
		while (i < n && !(cmd[i] == ' ' || cmd[i] == '\t' || cmd[i] == '\n' || cmd[i] == '\r')) {
			char c = cmd[i];
			in_word = true;
			if (c == '\'') {
				const char *end = strchr(cmd + i + 1, '\'');
				if (end == NULL) {
					st = sg_err_set(err, SG_ECONFIG, "no closing quotation (')");
					goto fail;
				}
				if ((st = sg_buf_append(&word, cmd + i + 1, (size_t)(end - (cmd + i + 1)), err)) != SG_OK)
					goto fail;
				/* An empty '' still makes a word. */
				if ((st = sg_buf_append(&word, "", 0, err)) != SG_OK)
					goto fail;
				i = (size_t)(end - cmd) + 1;
			} else if (c == '"') {
				i++;
				if ((st = sg_buf_append(&word, "", 0, err)) != SG_OK)
					goto fail;
				for (;;) {
					if (i >= n) {
						st = sg_err_set(err, SG_ECONFIG, "no closing quotation (\")");
						goto fail;
					}
					if (cmd[i] == '"') {
						i++;
						break;
					}
					/* In POSIX shlex, \ inside "…" escapes only " and \. */
					if (cmd[i] == '\\' && i + 1 < n && (cmd[i + 1] == '"' || cmd[i + 1] == '\\'))
						i++;
					if ((st = sg_buf_append_char(&word, cmd[i], err)) != SG_OK)
						goto fail;
					i++;
				}
			} else if (c == '\\') {
				if (i + 1 >= n) {
					st = sg_err_set(err, SG_ECONFIG, "no escaped character after a trailing '\\'");
					goto fail;
				}
				if ((st = sg_buf_append_char(&word, cmd[i + 1], err)) != SG_OK)
					goto fail;
				i += 2;
			} else {
				if ((st = sg_buf_append_char(&word, c, err)) != SG_OK)
					goto fail;
				i++;
			}
		}
		if (in_word) {
			if (argc >= SG_CREDS_MAX_ARGS) {
				st = sg_err_set(err, SG_ECONFIG, "more than %d arguments", SG_CREDS_MAX_ARGS);
				goto fail;
			}
			argv[argc] = sg_buf_detach(&word, NULL);
			if (argv[argc] == NULL) {
				st = sg_err_set(err, SG_ENOMEM, "out of memory");
				goto fail;
			}
			argc++;
		}
	}
	if (argc == 0) {
		st = sg_err_set(err, SG_ECONFIG, "the command is empty");
		goto fail;
	}
	sg_buf_dispose(&word);
	*argv_out = argv;
	*argc_out = argc;
	return SG_OK;
fail:
	sg_buf_dispose(&word);
	sg_creds_argv_free(argv);
	return st;
}

/* Append what is readable on fd; stdout over the cap is an error, stderr
 * beyond what we keep is read and dropped. Returns false at EOF. */
static bool
drain(int fd, struct sg_buf *b, bool keep_all, bool *over, struct sg_error *err)
{
	char chunk[4096];
	ssize_t r = read(fd, chunk, sizeof(chunk));

	if (r < 0)
		return errno == EINTR || errno == EAGAIN;
	if (r == 0)
		return false;
	if (keep_all) {
		if (!*over && sg_buf_append(b, chunk, (size_t)r, err) != SG_OK)
			*over = true;
	} else if (b->len < SG_CREDS_STDERR_KEEP) {
		size_t room = SG_CREDS_STDERR_KEEP - b->len;
		if (sg_buf_append(b, chunk, (size_t)r < room ? (size_t)r : room, NULL) != SG_OK)
			*over = true;
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	return true;
}

/* First line-ish of stderr, printable ASCII only, for an error message. */
static void
stderr_excerpt(char *out, size_t cap, const struct sg_buf *b)
{
	size_t i, o = 0;
	struct sg_str v = sg_buf_view(b);

	for (i = 0; i < v.len && o + 4 < cap && o < SG_CREDS_STDERR_SHOW; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (i < v.len && o + 3 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

enum sg_status
sg_creds_run_process(struct sg_creds *out, const char *cmd, const char *profile,
                     long timeout_ms, struct sg_error *err)
{
	char what[160];
	char **argv = NULL;
	size_t argc = 0;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	bool fa_init = false, out_over = false, err_over = false, out_open = true, err_open = true;
	bool timed_out = false;
	pid_t pid = -1;
	int wstatus = 0, rc;
	struct sg_buf obuf, ebuf;
	struct sg_error e2;
	enum sg_status st = SG_OK;
	uint64_t deadline;

	snprintf(what, sizeof(what), "credential_process for profile '%s'", profile);
	sg_buf_init_secret(&obuf, SG_CREDS_JSON_MAX_BYTES);
	sg_buf_init(&ebuf, SG_CREDS_STDERR_KEEP);
	sg_err_init(&e2);
	if (timeout_ms <= 0)
		timeout_ms = SG_CREDS_PROCESS_TIMEOUT_MS;

	if ((st = sg_creds_split_command(&argv, &argc, cmd, &e2)) != SG_OK) {
		st = sg_err_set(err, st == SG_ENOMEM ? st : SG_ECONFIG, "%s: cannot split the command: %s",
		    what, e2.msg);
		goto done;
	}
	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		st = sg_err_set(err, SG_EIO, "%s: pipe: %s", what, strerror(errno));
		goto done;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		st = sg_err_set(err, SG_ENOMEM, "%s: out of memory", what);
		goto done;
	}
	fa_init = true;
	/* stdin is inherited, like botocore (a helper may prompt on the tty). */
	if (posix_spawn_file_actions_adddup2(&fa, outp[1], 1) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, errp[1], 2) != 0) {
		st = sg_err_set(err, SG_ENOMEM, "%s: out of memory", what);
		goto done;
	}
	/*
	 * Some posix_spawn implementations (and valgrind) report a failed exec
	 * only as exit status 127; check a path up front for a clearer message.
	 */
	if (strchr(argv[0], '/') != NULL && access(argv[0], X_OK) != 0) {
		st = sg_err_set(err, SG_ECREDS, "%s: cannot run '%s': %s", what, argv[0],
		    strerror(errno));
		goto done;
	}
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	if (rc != 0) {
		pid = -1;
		st = sg_err_set(err, SG_ECREDS, "%s: cannot run '%s': %s", what, argv[0], strerror(rc));
		goto done;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;

	deadline = sg_now_ms() + (uint64_t)timeout_ms;
	while (out_open || err_open) {
		struct pollfd pfd[2];
		nfds_t nfd = 0;
		int out_i = -1, err_i = -1;
		uint64_t now = sg_now_ms();
		int wait_ms;

		if (now >= deadline) {
			timed_out = true;
			break;
		}
		wait_ms = (int)(deadline - now > 1000000 ? 1000000 : deadline - now);
		if (out_open) {
			out_i = (int)nfd;
			pfd[nfd++] = (struct pollfd){ .fd = outp[0], .events = POLLIN };
		}
		if (err_open) {
			err_i = (int)nfd;
			pfd[nfd++] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
		}
		rc = poll(pfd, nfd, wait_ms);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			st = sg_err_set(err, SG_EIO, "%s: poll: %s", what, strerror(errno));
			break;
		}
		if (out_i >= 0 && pfd[out_i].revents)
			out_open = drain(outp[0], &obuf, true, &out_over, NULL);
		if (err_i >= 0 && pfd[err_i].revents)
			err_open = drain(errp[0], &ebuf, false, &err_over, NULL);
		if (out_over) {
			/* Stop reading: the child is flooding us. */
			break;
		}
	}
	if (timed_out || out_over || st != SG_OK) {
		/* Our own child, by its pid. */
		kill(pid, SIGKILL);
	} else {
		/* Both pipes closed; give it until the deadline to exit. */
		while ((rc = (int)waitpid(pid, &wstatus, WNOHANG)) == 0) {
			if (sg_now_ms() >= deadline) {
				timed_out = true;
				kill(pid, SIGKILL);
				break;
			}
			usleep(2000);
		}
		if (rc == pid) {
			pid = -1;
		}
	}
	if (pid > 0) {
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		pid = -1;
	}
	if (st != SG_OK)
		goto done;
	if (timed_out) {
		st = sg_err_set(err, SG_ETIMEOUT, "%s: '%s' did not finish within %ld ms (killed)",
		    what, argv[0], timeout_ms);
		goto done;
	}
	if (out_over) {
		st = sg_err_set(err, SG_ECREDS, "%s: output is larger than %zu bytes", what,
		    SG_CREDS_JSON_MAX_BYTES);
		goto done;
	}
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
		char ex[SG_CREDS_STDERR_SHOW + 8];
		stderr_excerpt(ex, sizeof(ex), &ebuf);
		if (WIFSIGNALED(wstatus))
			st = sg_err_set(err, SG_ECREDS, "%s: '%s' was killed by signal %d%s%s", what,
			    argv[0], WTERMSIG(wstatus), ex[0] ? ": " : "", ex);
		else
			st = sg_err_set(err, SG_ECREDS, "%s: '%s' exited with status %d%s%s", what,
			    argv[0], WEXITSTATUS(wstatus), ex[0] ? ": " : "",
			    ex[0] ? ex : WEXITSTATUS(wstatus) == 127 ? " (not found in PATH?)" : "");
		goto done;
	}
	st = sg_creds_parse_json(out, SG_CREDS_JSON_PROCESS, what, obuf.data ? obuf.data : "",
	    obuf.len, err);
	if (st == SG_OK)
		sg_creds_set_source(out, "credential_process (profile %s)", profile);
done:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
	}
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	sg_buf_dispose(&obuf);
	sg_buf_dispose(&ebuf);
	sg_creds_argv_free(argv);
	return st;
}
