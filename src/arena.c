/* arena.c — strings that are born and die together (sg_arena.h). */
#include <stdlib.h>
#include <string.h>

#include "sg_arena.h"

struct sg_arena_chunk {
	struct sg_arena_chunk *next;
	char data[];
};

/*
 * Chunks start small (an inventory of one test group should not cost
 * 64 KiB) and double up to 64 KiB: below glibc's mmap threshold, and large
 * enough that a page of 1,000 groups takes a couple of them.
 */
#define CHUNK_MIN ((size_t)1 << 10)
#define CHUNK_MAX ((size_t)64 << 10)

static struct sg_arena_chunk *
chunk_new(size_t bytes)
{
	return malloc(sizeof(struct sg_arena_chunk) + bytes);
}

char *
sg_arena_alloc(struct sg_arena *a, size_t n)
{
	char *p;

	if (n == 0)
		n = 1;
	if (n > a->left) {
		struct sg_arena_chunk *c;
		size_t size = a->chunk_bytes ? a->chunk_bytes : CHUNK_MIN;

		if (n > size / 4) {
			/*
			 * A large block gets a chunk of its own, kept behind the
			 * head so the head's free space is not thrown away.
			 */
			if (n > (size_t)-1 - sizeof(*c) || (c = chunk_new(n)) == NULL)
				return NULL;
			if (a->head != NULL) {
				c->next = a->head->next;
				a->head->next = c;
			} else {
				c->next = NULL;
				a->head = c;
				a->next = NULL;
				a->left = 0;
			}
			a->used_bytes += n;
			return c->data;
		}
		if ((c = chunk_new(size)) == NULL)
			return NULL;
		c->next = a->head;
		a->head = c;
		a->next = c->data;
		a->left = size;
		a->chunk_bytes = size < CHUNK_MAX ? size * 2 : CHUNK_MAX;
	}
	p = a->next;
	a->next += n;
	a->left -= n;
	a->used_bytes += n;
	return p;
}

char *
sg_arena_strndup(struct sg_arena *a, const char *s, size_t n)
{
	char *p;

	if (n == (size_t)-1 || (p = sg_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
sg_arena_strdup(struct sg_arena *a, const char *s)
{
	return s == NULL ? NULL : sg_arena_strndup(a, s, strlen(s));
}

void
sg_arena_adopt(struct sg_arena *dst, struct sg_arena *src)
{
	struct sg_arena_chunk *tail;

	if (src->head == NULL)
		return;
	if (dst->head == NULL) {
		*dst = *src;
	} else {
		/* Behind dst's head, which keeps its free space. */
		for (tail = src->head; tail->next != NULL; tail = tail->next)
			;
		tail->next = dst->head->next;
		dst->head->next = src->head;
		dst->used_bytes += src->used_bytes;
	}
	memset(src, 0, sizeof(*src));
}

void
sg_arena_free(struct sg_arena *a)
{
	struct sg_arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	memset(a, 0, sizeof(*a));
}
