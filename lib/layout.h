/* lib/layout.h - the cache: an OCI image layout shared with LinuxKit
 *
 *   <cache>/oci-layout          {"imageLayoutVersion":"1.0.0"}
 *   <cache>/index.json          root descriptors, named by the annotation
 *                               org.opencontainers.image.ref.name
 *   <cache>/blobs/<alg>/<hex>   content, verified before it appears
 *   <cache>/.lock               fcntl write lock over index.json updates
 *
 * A blob appears under its digest only after its size and digest were
 * checked and its bytes synced (O_TMPFILE, then link; a killed writer leaves
 * nothing behind). index.json is replaced whole (temp file, fsync, rename,
 * fsync of the directory) under the lock, so concurrent writers never lose
 * each other's names and a crash never leaves a half-written index.
 */
#ifndef LAYOUT_H
#define LAYOUT_H

#include <stdint.h>
#include <jansson.h>

#include "digest.h"
#include "xalloc.h"

#define ANNOT_REF_NAME		"org.opencontainers.image.ref.name"
#define ANNOT_CONTAINERD_NAME	"io.containerd.image.name"

struct layout {
	char	*path;
	int	 dirfd;		/* the cache directory */
	int	 lockfd;	/* .lock, opened once: closing any fd drops fcntl locks */
	int	 locked;	/* nesting depth of layout_lock() */
	struct buf index_bytes;	/* index.json as layout_resolve() last read it */
	json_t	*index_json;	/* and parsed: reused while the bytes are equal */
};
#define LAYOUT_INIT { NULL, -1, -1, 0, BUF_INIT, NULL }

#define LAYOUT_CREATE	0x1	/* create the directory and an empty layout */

/*
 * The cache directory: opt (--cache) when non-NULL, else $LINUXKIT_CACHE
 * when set and non-empty, else $HOME/.linuxkit/cache. Caller frees.
 */
char	*layout_default_path(const char *opt);
/* Without LAYOUT_CREATE a missing cache is ENOENT. */
int	 layout_open(struct layout *l, const char *dir, int flags);
void	 layout_close(struct layout *l);

/* the fcntl write lock on .lock; nests within one process */
int	 layout_lock(struct layout *l);
void	 layout_unlock(struct layout *l);

/* 1 if the blob is present with the given size (size < 0: any), 0 if not */
int	 layout_blob_has(struct layout *l, const char *digest, int64_t size);
/* read-only fd of a blob; -1 with ENOENT when absent */
int	 layout_blob_open(struct layout *l, const char *digest);
/*
 * Read a whole blob of at most max bytes into out (replacing its contents)
 * and check it against its digest: metadata (manifests, configs) only.
 */
int	 layout_blob_read(struct layout *l, const char *digest, size_t max,
	    struct buf *out);

/*
 * Writing a blob: open, write (hashing as it goes), finish (size and
 * digest checked, data synced), then publish (it appears in blobs/) or
 * abort. Between finish and publish the bytes can be read back with
 * pread(w->fd, ...), which is how an import checks a whole tar before
 * anything appears. After a batch of publishes call layout_sync_blobs().
 */
struct blob_writer {
	struct layout	*l;
	int		 fd;
	char		*tmpname;	/* NULL with O_TMPFILE */
	struct digest	 d;
	char		 expect[DIGEST_MAX];	/* "" when unknown */
	int64_t		 expect_size;		/* -1 when unknown */
	int64_t		 size;			/* bytes written so far */
	unsigned char	 head[4];		/* first bytes: compression magic */
	char		 digest[DIGEST_MAX];	/* set by blob_writer_finish() */
	char		*partial;	/* a named partial download, or NULL */
	int64_t		 synced;	/* bytes last asked to be durable */
};
#define BLOB_WRITER_INIT { NULL, -1, NULL, DIGEST_INIT, "", -1, 0, {0}, "", \
	NULL, 0 }

/* expect_digest may be NULL (then sha256 is computed); expect_size -1 */
int	 blob_writer_open(struct layout *l, struct blob_writer *w,
	    const char *expect_digest, int64_t expect_size);
int	 blob_writer_write(struct blob_writer *w, const void *p, size_t n);
int	 blob_writer_finish(struct blob_writer *w);
/* link the finished blob into blobs/; an existing blob is kept; closes w */
int	 blob_writer_publish(struct blob_writer *w);
void	 blob_writer_abort(struct blob_writer *w);
/*
 * A download that can resume in a later run: the writer's file is
 * CACHE_TMP/partial-<alg>-<hex> (ocikit(7)), locked with flock(2) while
 * open. With resume, bytes already there (fewer than expect_size) are
 * hashed again from disk and w->size says how many; else it starts empty.
 * When another writer holds that file, an unnamed one is opened instead.
 * blob_writer_abort() removes the partial; blob_writer_suspend() keeps
 * what was written (when anything was) for the next run.
 */
int	 blob_writer_partial(struct layout *l, struct blob_writer *w,
	    const char *expect_digest, int64_t expect_size, int resume);
void	 blob_writer_suspend(struct blob_writer *w);
/* fsync blobs/<alg>/ so published names survive a crash */
int	 layout_sync_blobs(struct layout *l);
/* write, finish, publish and sync a blob held in memory; out may be NULL */
int	 layout_blob_put(struct layout *l, const void *p, size_t n,
	    const char *expect_digest, char out[DIGEST_MAX]);

/*
 * index.json. layout_index_load() reads it (under the lock, so never
 * half-written by LinuxKit) and accepts "manifests": null.
 */
int	 layout_index_load(struct layout *l, json_t **index);
/*
 * The root descriptor named name (canonical), trying name:latest when name
 * has no tag or digest; *desc is a new reference. -1 with ENOENT if absent.
 */
int	 layout_resolve(struct layout *l, const char *name, json_t **desc);
/* the same lookup in an index already loaded; a borrowed entry or NULL */
json_t	*layout_find(const json_t *index, const char *name);
/*
 * Name descriptors in one atomic update: for each i, every root entry
 * named names[i] is removed and a copy of descs[i] with the name
 * annotation is appended (doc/linuxkit-compat.md §9.2).
 */
int	 layout_set_refs(struct layout *l, size_t n, const char *const *names,
	    json_t *const *descs);
/*
 * General read-modify-write under the lock: fn edits the index in place
 * and returns 0 to write it, 1 to leave the file alone, -1 to fail.
 */
int	 layout_update(struct layout *l, int (*fn)(json_t *index, void *arg),
	    void *arg);

#endif
