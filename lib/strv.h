/* lib/strv.h - growable arrays of strings, and sorting them */
#ifndef STRV_H
#define STRV_H

#include <stddef.h>

/* a growable NULL-terminated array of owned strings; { NULL, 0 } is empty */
struct strv {
	char	**v;
	size_t	  n;
};
#define STRV_INIT { NULL, 0 }

/* append a copy of str */
void	strv_push(struct strv *s, const char *str);
/* free every string and the array; s is empty again */
void	strv_clear(struct strv *s);
/* strcmp() of two char * array elements, for qsort() and bsearch() */
int	strv_cmp(const void *a, const void *b);
/* sort v[0..n) bytewise */
void	strv_sort(char **v, size_t n);

#endif
