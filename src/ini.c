/* ini.c — AWS shared config/credentials files (see sg_ini.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sg_buf.h"
#include "sg_ini.h"
#include "sg_util.h"

struct ini_entry {
	char *key;
	struct sg_buf value; /* secret buffer: values may be keys or tokens */
	unsigned line;
};

struct ini_section {
	char *name;
	unsigned line;
	struct ini_entry *entries;
	size_t n_entries, cap_entries;
};

struct sg_ini {
	char *name;
	struct ini_section *sections;
	size_t n_sections, cap_sections;
};

/*
 * While parsing, an open-addressing hash index over sections and (section,
 * key) pairs finds duplicates in O(1): a linear scan per line made a 1 MiB
 * file of distinct keys take tens of seconds. Slots hold index + 1 (0 is
 * empty); entries are packed as section << 32 | entry.
 */
struct ini_index {
	uint64_t *slots;
	size_t cap;   /* power of two */
	size_t used;
};

static uint64_t
fnv1a(uint64_t h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_BASIS 0xcbf29ce484222325ull

/* Python's str.strip() on ASCII whitespace (what these files hold). */
static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static struct sg_str
trim(const char *p, size_t n)
{
	while (n > 0 && is_space((unsigned char)p[0])) {
		p++;
		n--;
	}
	while (n > 0 && is_space((unsigned char)p[n - 1]))
		n--;
	return (struct sg_str){ p, n };
}

void
sg_ini_free(struct sg_ini *ini)
{
	size_t i, j;

	if (ini == NULL)
		return;
	for (i = 0; i < ini->n_sections; i++) {
		struct ini_section *s = &ini->sections[i];
		for (j = 0; j < s->n_entries; j++) {
			free(s->entries[j].key);
			sg_buf_dispose(&s->entries[j].value);
		}
		free(s->entries);
		free(s->name);
	}
	free(ini->sections);
	free(ini->name);
	free(ini);
}

static uint64_t
section_hash(const char *name, size_t n)
{
	return fnv1a(FNV_BASIS, name, n) | 1; /* never 0 */
}

static uint64_t
entry_hash(size_t sec, const char *key)
{
	uint64_t h = fnv1a(FNV_BASIS, (const char *)&sec, sizeof(sec));
	return fnv1a(h ^ 0xff, key, strlen(key)) | 1;
}

/*
 * Find the slot for an item whose hash is h; `same` says whether an occupied
 * slot holds the item sought. Returns the matching slot or the empty one
 * where it would go.
 */
static uint64_t *
index_probe(const struct ini_index *ix, uint64_t h, const struct sg_ini *ini, bool is_entry,
            size_t sec, const char *name, size_t n)
{
	size_t i = (size_t)h & (ix->cap - 1);

	for (;; i = (i + 1) & (ix->cap - 1)) {
		uint64_t v = ix->slots[i];
		if (v == 0)
			return &ix->slots[i];
		v--;
		if (is_entry && (v >> 63) == 0) {
			if ((size_t)(v >> 32) == sec &&
			    strcmp(ini->sections[sec].entries[v & 0xffffffffu].key, name) == 0)
				return &ix->slots[i];
		} else if (!is_entry && (v >> 63) == 1) {
			const struct ini_section *sp = &ini->sections[v & 0xffffffffu];
			if (strlen(sp->name) == n && memcmp(sp->name, name, n) == 0)
				return &ix->slots[i];
		}
	}
}

/* Make room for one more item; false on ENOMEM. Rehashes everything. */
static bool
index_reserve(struct ini_index *ix, const struct sg_ini *ini)
{
	struct ini_index nx;
	size_t s, e;

	if (ix->cap != 0 && (ix->used + 1) * 2 <= ix->cap)
		return true;
	nx.cap = ix->cap ? ix->cap * 2 : 64;
	nx.used = 0;
	nx.slots = calloc(nx.cap, sizeof(*nx.slots));
	if (nx.slots == NULL)
		return false;
	for (s = 0; s < ini->n_sections; s++) {
		const struct ini_section *sec = &ini->sections[s];
		*index_probe(&nx, section_hash(sec->name, strlen(sec->name)), ini, false, 0, sec->name,
		    strlen(sec->name)) = ((uint64_t)1 << 63 | s) + 1;
		nx.used++;
		for (e = 0; e < sec->n_entries; e++) {
			*index_probe(&nx, entry_hash(s, sec->entries[e].key), ini, true, s,
			    sec->entries[e].key, 0) = ((uint64_t)s << 32 | e) + 1;
			nx.used++;
		}
	}
	free(ix->slots);
	*ix = nx;
	return true;
}

static struct ini_section *
find_section(const struct sg_ini *ini, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < ini->n_sections; i++)
		if (strlen(ini->sections[i].name) == n && memcmp(ini->sections[i].name, name, n) == 0)
			return &ini->sections[i];
	return NULL;
}

static struct ini_entry *
find_entry(const struct ini_section *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n_entries; i++)
		if (strcmp(s->entries[i].key, key) == 0)
			return &s->entries[i];
	return NULL;
}

/* Grow an array of `size`-byte items to hold one more. */
static bool
grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / size)
		return false;
	p = realloc(*arr, ncap * size);
	if (p == NULL)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

/* Check that a buffer is UTF-8; on failure *bad is the offending offset. */
static bool
valid_utf8(const unsigned char *s, size_t n, size_t *bad)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k, need;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1fu;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0fu;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07u;
		} else {
			*bad = i;
			return false;
		}
		if (n - i <= need) {
			*bad = i;
			return false;
		}
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				*bad = i;
				return false;
			}
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
			*bad = i;
			return false;
		}
		i += need + 1;
	}
	return true;
}

static unsigned
line_of(const char *data, size_t off)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < off; i++) {
		if (data[i] == '\n')
			line++;
		else if (data[i] == '\r' && (i + 1 >= off || data[i + 1] != '\n'))
			line++;
	}
	return line;
}

/* Copy the start of a section header for an error message, printable only. */
static void
snippet(char *out, size_t cap, struct sg_str s)
{
	size_t i, o = 0;

	for (i = 0; i < s.len && o + 4 < cap; i++) {
		unsigned char c = (unsigned char)s.p[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < s.len && o + 3 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

enum sg_status
sg_ini_parse(struct sg_ini **out, const char *display_name, const char *data, size_t len,
             struct sg_error *err)
{
	struct sg_ini *ini;
	struct ini_section *cur = NULL;
	struct ini_entry *opt = NULL; /* the key a continuation line would extend */
	size_t pos = 0, indent_level = SIZE_MAX, bad, pending_empty = 0;
	unsigned line = 0;
	enum sg_status st = SG_OK;
	const char *name = display_name ? display_name : "(config)";
	struct ini_index ix = { NULL, 0, 0 };
	uint64_t *slot;

	if (len > SG_INI_MAX_BYTES)
		return sg_err_set(err, SG_ECONFIG, "%s: file is larger than %zu bytes", name,
		    SG_INI_MAX_BYTES);
	if (len > 0 && memchr(data, '\0', len) != NULL)
		return sg_err_set(err, SG_ECONFIG, "%s line %u: contains a NUL byte (binary file?)",
		    name, line_of(data, (size_t)((const char *)memchr(data, '\0', len) - data)));
	/*
	 * Notepad and PowerShell 5 save UTF-8 with a byte-order mark. Python's
	 * configparser (botocore) does not strip it either, so say what it is
	 * rather than report "[default]" as a key before any section.
	 */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		return sg_err_set(err, SG_ECONFIG,
		    "%s line 1: starts with a UTF-8 byte-order mark; save it without one", name);
	if (!valid_utf8((const unsigned char *)data, len, &bad))
		return sg_err_set(err, SG_ECONFIG, "%s line %u: not valid UTF-8 text", name,
		    line_of(data, bad));

	ini = calloc(1, sizeof(*ini));
	if (ini == NULL || (ini->name = strdup(name)) == NULL) {
		free(ini);
		return sg_err_set(err, SG_ENOMEM, "out of memory parsing %s", name);
	}

	while (pos < len) {
		const char *l = data + pos;
		size_t n = 0, indent = 0;
		struct sg_str v;

		/* One physical line, without its terminator (LF, CRLF or CR). */
		while (pos + n < len && data[pos + n] != '\n' && data[pos + n] != '\r')
			n++;
		pos += n;
		if (pos < len && data[pos] == '\r') {
			pos++;
			if (pos < len && data[pos] == '\n')
				pos++;
		} else if (pos < len) {
			pos++; /* '\n' */
		}
		line++;

		v = trim(l, n);
		if (v.len == 0) {
			/* Python keeps blank lines inside a multi-line value until a
			 * continuation follows; trailing ones are dropped. */
			if (opt != NULL)
				pending_empty++;
			continue;
		}
		if (v.p[0] == '#' || v.p[0] == ';')
			continue;
		while (indent < n && is_space((unsigned char)l[indent]))
			indent++;

		if (cur != NULL && opt != NULL && indent > indent_level) {
			/* Continuation of the previous key's value. */
			for (; pending_empty > 0; pending_empty--)
				if ((st = sg_buf_append_char(&opt->value, '\n', err)) != SG_OK)
					goto fail_limit;
			if ((st = sg_buf_append_char(&opt->value, '\n', err)) != SG_OK ||
			    (st = sg_buf_append(&opt->value, v.p, v.len, err)) != SG_OK)
				goto fail_limit;
			continue;
		}
		pending_empty = 0;
		indent_level = indent;

		if (v.p[0] == '[') {
			const char *close = NULL;
			size_t i;
			struct ini_section *dup;
			char snip[48];

			/* Python's "\[(.+)\]" is greedy: the header runs to the LAST ']'. */
			for (i = v.len; i > 1; i--)
				if (v.p[i - 1] == ']') {
					close = v.p + i - 1;
					break;
				}
			if (close == NULL || close == v.p + 1) {
				snippet(snip, sizeof(snip), v);
				st = sg_err_set(err, SG_ECONFIG, close == NULL ?
				    "%s line %u: section header '%s' is not terminated" :
				    "%s line %u: section header '%s' has no name", name, line, snip);
				goto fail;
			}
			if (!index_reserve(&ix, ini))
				goto fail_nomem;
			slot = index_probe(&ix, section_hash(v.p + 1, (size_t)(close - v.p - 1)), ini,
			    false, 0, v.p + 1, (size_t)(close - v.p - 1));
			dup = *slot ? &ini->sections[(*slot - 1) & 0xffffffffu] : NULL;
			if (dup != NULL && strcmp(dup->name, "DEFAULT") == 0) {
				/* Python lets [DEFAULT] reopen; its keys still may not repeat. */
				cur = dup;
				opt = NULL;
				continue;
			}
			if (dup != NULL) {
				st = sg_err_set(err, SG_ECONFIG,
				    "%s line %u: section [%s] already appears at line %u",
				    name, line, dup->name, dup->line);
				goto fail;
			}
			if (!grow((void **)&ini->sections, &ini->cap_sections, ini->n_sections,
			    sizeof(*ini->sections)))
				goto fail_nomem;
			cur = &ini->sections[ini->n_sections];
			memset(cur, 0, sizeof(*cur));
			cur->line = line;
			cur->name = sg_str_dup((struct sg_str){ v.p + 1, (size_t)(close - v.p - 1) });
			if (cur->name == NULL)
				goto fail_nomem;
			ini->n_sections++;
			*slot = ((uint64_t)1 << 63 | (uint64_t)(ini->n_sections - 1)) + 1;
			ix.used++;
			opt = NULL;
			continue;
		}
		if (cur == NULL) {
			st = sg_err_set(err, SG_ECONFIG,
			    "%s line %u: a key comes before any [section] header", name, line);
			goto fail;
		}
		{
			size_t i, d = v.len;
			struct sg_str k, val;
			struct ini_entry *e, *dup;
			char *key;

			for (i = 0; i < v.len; i++)
				if (v.p[i] == '=' || v.p[i] == ':') {
					d = i;
					break;
				}
			if (d == v.len) {
				/* Don't quote the line: it may be a secret missing its '='. */
				st = sg_err_set(err, SG_ECONFIG,
				    "%s line %u: expected 'key = value', a [section] header or a comment",
				    name, line);
				goto fail;
			}
			k = trim(v.p, d);
			val = trim(v.p + d + 1, v.len - d - 1);
			if (k.len == 0) {
				st = sg_err_set(err, SG_ECONFIG, "%s line %u: '%c' with no key before it",
				    name, line, v.p[d]);
				goto fail;
			}
			key = sg_str_dup(k);
			if (key == NULL)
				goto fail_nomem;
			for (i = 0; i < k.len; i++)
				if (key[i] >= 'A' && key[i] <= 'Z')
					key[i] = (char)(key[i] - 'A' + 'a');
			if (!index_reserve(&ix, ini)) {
				free(key);
				goto fail_nomem;
			}
			slot = index_probe(&ix, entry_hash((size_t)(cur - ini->sections), key), ini, true,
			    (size_t)(cur - ini->sections), key, 0);
			dup = *slot ? &cur->entries[(*slot - 1) & 0xffffffffu] : NULL;
			if (dup != NULL) {
				char ks[48];
				snippet(ks, sizeof(ks), sg_str_from(key));
				st = sg_err_set(err, SG_ECONFIG,
				    "%s line %u: key '%s' in section [%s] repeats line %u",
				    name, line, ks, cur->name, dup->line);
				free(key);
				goto fail;
			}
			if (!grow((void **)&cur->entries, &cur->cap_entries, cur->n_entries,
			    sizeof(*cur->entries))) {
				free(key);
				goto fail_nomem;
			}
			e = &cur->entries[cur->n_entries++];
			*slot = ((uint64_t)(cur - ini->sections) << 32 | (uint64_t)(cur->n_entries - 1)) + 1;
			ix.used++;
			e->key = key;
			e->line = line;
			sg_buf_init_secret(&e->value, SG_INI_MAX_BYTES);
			/* Always allocate, so an empty value is "" and not NULL. */
			if ((st = sg_buf_append(&e->value, val.p, val.len, err)) != SG_OK)
				goto fail_limit;
			opt = e;
		}
	}
	free(ix.slots);
	*out = ini;
	return SG_OK;

fail_nomem:
	st = sg_err_set(err, SG_ENOMEM, "out of memory parsing %s", name);
	goto fail;
fail_limit:
	sg_err_prefix(err, "%s line %u: ", name, line);
fail:
	free(ix.slots);
	sg_ini_free(ini);
	return st;
}

enum sg_status
sg_ini_load(struct sg_ini **out, const char *path, const char *display_name,
            struct sg_error *err)
{
	struct sg_buf b;
	struct sg_error e2;
	enum sg_status st;
	const char *name = display_name ? display_name : path;

	sg_buf_init_secret(&b, SG_INI_MAX_BYTES);
	sg_err_init(&e2);
	/* NULs are checked by the parser, which can name the line. */
	st = sg_file_read(path, &b, true, &e2);
	if (st == SG_ELIMIT)
		return sg_err_set(err, SG_ECONFIG, "%s: file is larger than %zu bytes", name,
		    SG_INI_MAX_BYTES);
	if (st == SG_ENOTFOUND)
		return sg_err_set(err, st, "%s: no such file", name);
	if (st != SG_OK)
		return sg_err_set(err, st == SG_EIO ? SG_ECONFIG : st, "%s", e2.msg);
	st = sg_ini_parse(out, name, b.data ? b.data : "", b.len, err);
	sg_buf_dispose(&b);
	return st;
}

const char *
sg_ini_get(const struct sg_ini *ini, const char *section, const char *key, unsigned *line_out)
{
	const struct ini_section *s;
	const struct ini_entry *e = NULL;

	if (ini == NULL)
		return NULL;
	s = find_section(ini, section, strlen(section));
	if (s != NULL)
		e = find_entry(s, key);
	if (e == NULL && (s = find_section(ini, "DEFAULT", 7)) != NULL)
		e = find_entry(s, key);
	if (e == NULL)
		return NULL;
	if (line_out != NULL)
		*line_out = e->line;
	return e->value.data;
}

bool
sg_ini_has_section(const struct sg_ini *ini, const char *section)
{
	return ini != NULL && find_section(ini, section, strlen(section)) != NULL;
}

size_t
sg_ini_section_count(const struct sg_ini *ini)
{
	return ini ? ini->n_sections : 0;
}

const char *
sg_ini_section_name(const struct sg_ini *ini, size_t i)
{
	return ini && i < ini->n_sections ? ini->sections[i].name : NULL;
}

size_t
sg_ini_key_count(const struct sg_ini *ini, size_t section)
{
	return ini && section < ini->n_sections ? ini->sections[section].n_entries : 0;
}

const char *
sg_ini_key_at(const struct sg_ini *ini, size_t section, size_t i, const char **value_out)
{
	const struct ini_section *s;

	if (ini == NULL || section >= ini->n_sections || i >= ini->sections[section].n_entries)
		return NULL;
	s = &ini->sections[section];
	if (value_out != NULL)
		*value_out = s->entries[i].value.data;
	return s->entries[i].key;
}

const char *
sg_ini_name(const struct sg_ini *ini)
{
	return ini ? ini->name : NULL;
}
