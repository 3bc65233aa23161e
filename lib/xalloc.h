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

/* A byte buffer, always NUL-terminated past len so it can be a string. */
struct buf {
	char	*data;
	size_t	 len, cap;
};
#define BUF_INIT { NULL, 0, 0 }

void	buf_grow(struct buf *b, size_t extra);
void	buf_add(struct buf *b, const void *p, size_t n);
void	buf_adds(struct buf *b, const char *s);
void	buf_addf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_reset(struct buf *b);		/* len = 0, keep memory */
void	buf_release(struct buf *b);		/* free contents */
char	*buf_detach(struct buf *b, size_t *len);	/* caller frees */

#endif
