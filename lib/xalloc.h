/* lib/xalloc.h - allocation that cannot fail, and a growable buffer */
#ifndef XALLOC_H
#define XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t n);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *p, size_t n);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A byte buffer, always NUL-terminated past len so it can be a string.
 * data is never NULL once initialised with BUF_INIT (or released): an
 * empty buffer points at buf_slop, an empty string, as git's strbuf does.
 * A zeroed struct (calloc) is also accepted by every function below.
 */
struct buf {
	char	*data;
	size_t	 len, cap;	/* cap 0: data is buf_slop (or NULL), not owned */
};
extern char buf_slop[1];
#define BUF_INIT { buf_slop, 0, 0 }

void	buf_grow(struct buf *b, size_t extra);
void	buf_add(struct buf *b, const void *p, size_t n);
void	buf_adds(struct buf *b, const char *s);
void	buf_addf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_reset(struct buf *b);		/* len = 0, keep memory */
void	buf_release(struct buf *b);		/* free contents */
char	*buf_detach(struct buf *b, size_t *len);	/* caller frees */

#endif
