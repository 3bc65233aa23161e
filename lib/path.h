/* lib/path.h - lexical path cleaning and joining
 *
 * LinuxKit computes package paths with Go's path/filepath, so the suite
 * cleans and joins them by the same rules, on the text alone: symlinks
 * are never resolved here (doc/linuxkit-compat.md §1.2).
 */
#ifndef PATH_H
#define PATH_H

/*
 * Go's filepath.Clean: "" -> ".", "a//b/../c/" -> "a/c", "/.." -> "/".
 * Caller frees.
 */
char	*path_clean(const char *p);
/* clean(join(a, b)); b absolute is still joined (Go's filepath.Join) */
char	*path_join(const char *a, const char *b);

#endif
