/*
 * sg_arena.h — strings that are born and die together.
 *
 * An arena hands out copies of strings from a few large chunks and frees
 * them all at once. The record model keeps every string of its groups,
 * rules and tags in its inventory's arena (sg_record.h): a scan of a
 * million rules then costs a few hundred chunk allocations instead of
 * millions of malloc/free pairs, and the strings of one page sit next to
 * each other in memory. A policy result keeps its strings in one too.
 *
 *     struct sg_arena a = SG_ARENA_INIT;
 *     const char *s = sg_arena_strdup(&a, "tcp");
 *     if (s == NULL) ... out of memory ...
 *     sg_arena_free(&a);   // s and every other copy are gone
 *
 * A string from an arena is never passed to free(). Chunks never move, so
 * a pointer stays valid until the arena (or the arena that adopted its
 * chunks) is freed.
 */
#ifndef SG_ARENA_H
#define SG_ARENA_H

#include <stddef.h>

struct sg_arena_chunk;

struct sg_arena {
	struct sg_arena_chunk *head; /* newest chunk first */
	char *next;                  /* free space in head */
	size_t left;
	size_t chunk_bytes;          /* size of the next regular chunk */
	size_t used_bytes;           /* bytes handed out, for statistics */
};

#define SG_ARENA_INIT { NULL, NULL, 0, 0, 0 }

/*
 * n bytes (1 if n is 0), not aligned: for text (use it for characters
 * only). NULL when out of memory.
 */
char *sg_arena_alloc(struct sg_arena *a, size_t n);
/*
 * A NUL-terminated copy of s[0..n) (s may hold no NUL in that range; the
 * copy ends at n whatever it holds). Returns NULL only when out of memory.
 */
char *sg_arena_strndup(struct sg_arena *a, const char *s, size_t n);
/* A copy of s; NULL when s is NULL or when out of memory (tell them apart by s). */
char *sg_arena_strdup(struct sg_arena *a, const char *s);
/* Move every chunk of src into dst (src is left empty); nothing is copied. */
void sg_arena_adopt(struct sg_arena *dst, struct sg_arena *src);
/* Free every chunk; the arena is empty and reusable afterwards. NULL is accepted. */
void sg_arena_free(struct sg_arena *a);

#endif
