/*
 * lossyfs.c -- a tiny FUSE 3 file system that acknowledges every write but
 * silently drops some of them: a disk that lies.  For
 * tests/cli/verify-lost-writes.sh (--verify must notice what was lost).
 *
 * It lives in a subdirectory so that the Makefile's rule for the plain
 * helper programs in tests/helpers (no extra libraries) does not pick it
 * up; the test builds it itself:
 *
 *     cc -o lossyfs lossyfs.c $(pkg-config --cflags --libs fuse3)
 *     LOSSYFS_RULE=range:1M-1M ./lossyfs -f -s MOUNTPOINT &
 *
 * Use it single-threaded (-s) and in the foreground (-f).  It always works
 * as with direct_io (libfuse 3 has no such mount option any more: the init
 * callback sets it, and every open sets fi->direct_io), so that reads and
 * writes reach it and never come from or stay in the page cache.
 *
 * The file system is one flat directory of regular files held in memory
 * (no subdirectories, links or special files).  Dropped writes read back as
 * zeros: the write's range is zeroed (and the file extended to its end, as
 * if it had been written), and the write returns its full length.
 *
 * Rules (environment LOSSYFS_RULE at mount, or written at any time into the
 * control file /.lossyfs at the root of the mount):
 *
 *     none             lose nothing (the default)
 *     range:A-B        drop every write whose bytes meet [A, B] (inclusive)
 *     every:N          drop the Nth, 2Nth, 3Nth... write (counted from when
 *                      the rule was set)
 *
 * Numbers are decimal or 0x hex, with an optional K, M or G (binary).
 * Only writes to regular files count; the control file is not a file of
 * the file system's content.  Reading /.lossyfs gives the rule and counts:
 *
 *     rule=range:1048576-1048576
 *     writes=123
 *     dropped_writes=1
 *     dropped_bytes=65536
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define CTL_NAME "/.lossyfs"

struct node {
	struct node *next;	/* in the directory, while linked */
	char *name;		/* without the leading '/' */
	unsigned char *data;
	size_t size, cap;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec atime, mtime, ctime;
	int linked, opens;
};

enum rule_kind { RULE_NONE, RULE_RANGE, RULE_EVERY };

static struct {
	struct node *files;
	enum rule_kind kind;
	uint64_t a, b;		/* range: [a, b]; every: a = N */
	uint64_t counted;	/* writes since the rule was set */
	uint64_t writes, dropped_writes, dropped_bytes;
	struct timespec root_time;
} fs;

static struct node ctl_node;	/* stands for /.lossyfs in fi->fh */

static struct timespec now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

/* "4K", "0x100000", "1M" -> bytes; -1 on junk. */
static int parse_number(const char *s, char **end, uint64_t *out)
{
	unsigned long long v;
	char *e;

	errno = 0;
	v = strtoull(s, &e, 0);
	if (errno || e == s)
		return -1;
	switch (*e) {
	case 'K': v <<= 10; e++; break;
	case 'M': v <<= 20; e++; break;
	case 'G': v <<= 30; e++; break;
	default: break;
	}
	*out = v;
	*end = e;
	return 0;
}

/* Set the rule from text like "range:1M-2M\n"; 0, or -EINVAL. */
static int set_rule(const char *text, size_t n)
{
	char buf[128], *e;
	uint64_t a, b;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, n);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	if (strcmp(buf, "none") == 0 || n == 0) {
		fs.kind = RULE_NONE;
	} else if (strncmp(buf, "range:", 6) == 0) {
		if (parse_number(buf + 6, &e, &a) < 0 || *e != '-' ||
		    parse_number(e + 1, &e, &b) < 0 || *e || b < a)
			return -EINVAL;
		fs.kind = RULE_RANGE;
		fs.a = a;
		fs.b = b;
	} else if (strncmp(buf, "every:", 6) == 0) {
		if (parse_number(buf + 6, &e, &a) < 0 || *e || a == 0)
			return -EINVAL;
		fs.kind = RULE_EVERY;
		fs.a = a;
	} else {
		return -EINVAL;
	}
	fs.counted = 0;
	return 0;
}

static int ctl_text(char *buf, size_t size)
{
	char rule[80];

	switch (fs.kind) {
	case RULE_RANGE:
		snprintf(rule, sizeof(rule), "range:%" PRIu64 "-%" PRIu64, fs.a, fs.b);
		break;
	case RULE_EVERY:
		snprintf(rule, sizeof(rule), "every:%" PRIu64, fs.a);
		break;
	default:
		snprintf(rule, sizeof(rule), "none");
	}
	return snprintf(buf, size, "rule=%s\nwrites=%" PRIu64 "\ndropped_writes=%" PRIu64
			"\ndropped_bytes=%" PRIu64 "\n",
			rule, fs.writes, fs.dropped_writes, fs.dropped_bytes);
}

static int is_ctl(const char *path)
{
	return path && strcmp(path, CTL_NAME) == 0;
}

static struct node *lookup(const char *path, struct node ***link)
{
	struct node **pp;

	if (!path || path[0] != '/' || strchr(path + 1, '/'))
		return NULL;
	for (pp = &fs.files; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, path + 1) == 0) {
			if (link)
				*link = pp;
			return *pp;
		}
	return NULL;
}

/* The node an operation is about: from the open file, else by path. */
static struct node *node_of(const char *path, struct fuse_file_info *fi)
{
	if (fi && fi->fh && (struct node *)(uintptr_t)fi->fh != &ctl_node)
		return (struct node *)(uintptr_t)fi->fh;
	return lookup(path, NULL);
}

static void free_node(struct node *n)
{
	free(n->name);
	free(n->data);
	free(n);
}

static void maybe_free(struct node *n)
{
	if (!n->linked && n->opens == 0)
		free_node(n);
}

static void unlink_node(struct node **link)
{
	struct node *n = *link;

	*link = n->next;
	n->next = NULL;
	n->linked = 0;
	maybe_free(n);
}

static int reserve(struct node *n, size_t size)
{
	unsigned char *p;
	size_t cap;

	if (size <= n->cap)
		return 0;
	cap = n->cap ? n->cap : 65536;
	while (cap < size)
		cap *= 2;
	p = realloc(n->data, cap);
	if (!p)
		return -ENOSPC;
	memset(p + n->cap, 0, cap - n->cap);
	n->data = p;
	n->cap = cap;
	return 0;
}

/* Set the length: bytes past a shrunken end are zeroed, so a later grow
 * reads zeros there. */
static int resize(struct node *n, size_t size)
{
	int rc = reserve(n, size);

	if (rc)
		return rc;
	if (size < n->size)
		memset(n->data + size, 0, n->size - size);
	n->size = size;
	n->mtime = n->ctime = now();
	return 0;
}

static void fill_stat(const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | (n->mode & 07777);
	st->st_nlink = n->linked ? 1 : 0;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_size = (off_t)n->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}

static void *lfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->direct_io = 1;	/* reads and writes reach us, always */
	cfg->kernel_cache = 0;
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->hard_remove = 1;	/* no .fuse_hidden files: we keep unlinked nodes */
	cfg->nullpath_ok = 1;
	return NULL;
}

static int lfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct node *n;

	if (path && strcmp(path, "/") == 0) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		st->st_atim = st->st_mtim = st->st_ctim = fs.root_time;
		return 0;
	}
	if (is_ctl(path) || (fi && (struct node *)(uintptr_t)fi->fh == &ctl_node)) {
		char buf[512];

		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = ctl_text(buf, sizeof(buf));
		st->st_atim = st->st_mtim = st->st_ctim = fs.root_time;
		return 0;
	}
	if (!(n = node_of(path, fi)))
		return -ENOENT;
	fill_stat(n, st);
	return 0;
}

static int lfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (path && strcmp(path, "/") != 0)	/* NULL: nullpath_ok, and "/" is the only one */
		return -ENOTDIR;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, CTL_NAME + 1, NULL, 0, 0);
	for (struct node *n = fs.files; n; n = n->next)
		fill(buf, n->name, NULL, 0, 0);
	return 0;
}

static int open_node(struct node *n, struct fuse_file_info *fi)
{
	if ((fi->flags & O_TRUNC) && (fi->flags & O_ACCMODE) != O_RDONLY)
		resize(n, 0);
	n->opens++;
	fi->fh = (uint64_t)(uintptr_t)n;
	fi->direct_io = 1;
	return 0;
}

static int lfs_open(const char *path, struct fuse_file_info *fi)
{
	struct node *n;

	if (is_ctl(path)) {
		fi->fh = (uint64_t)(uintptr_t)&ctl_node;
		fi->direct_io = 1;
		return 0;
	}
	if (!(n = lookup(path, NULL)))
		return -ENOENT;
	return open_node(n, fi);
}

static int lfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_context *cx = fuse_get_context();
	struct node *n;

	if (is_ctl(path))
		return -EEXIST;
	if (!path || path[0] != '/' || strchr(path + 1, '/') || !path[1])
		return -EPERM;
	if ((n = lookup(path, NULL))) {
		if (fi->flags & O_EXCL)
			return -EEXIST;
		return open_node(n, fi);
	}
	if (!(n = calloc(1, sizeof(*n))) || !(n->name = strdup(path + 1))) {
		free(n);
		return -ENOMEM;
	}
	n->mode = mode & 07777;
	n->uid = cx->uid;
	n->gid = cx->gid;
	n->atime = n->mtime = n->ctime = now();
	n->linked = 1;
	n->next = fs.files;
	fs.files = n;
	return open_node(n, fi);
}

static int lfs_release(const char *path, struct fuse_file_info *fi)
{
	struct node *n = (struct node *)(uintptr_t)fi->fh;

	(void)path;
	if (n && n != &ctl_node) {
		n->opens--;
		maybe_free(n);
	}
	return 0;
}

static int lfs_read(const char *path, char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct node *n = node_of(path, fi);

	if (fi && (struct node *)(uintptr_t)fi->fh == &ctl_node) {
		char text[512];
		int len = ctl_text(text, sizeof(text));

		if (off >= len)
			return 0;
		if (size > (size_t)(len - off))
			size = (size_t)(len - off);
		memcpy(buf, text + off, size);
		return (int)size;
	}
	if (!n)
		return -ENOENT;
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= n->size)
		return 0;
	if (size > n->size - (size_t)off)
		size = n->size - (size_t)off;
	memcpy(buf, n->data + off, size);
	n->atime = now();
	return (int)size;
}

static int dropped(uint64_t off, size_t size)
{
	switch (fs.kind) {
	case RULE_RANGE:
		return size && off <= fs.b && off + size - 1 >= fs.a;
	case RULE_EVERY:
		return fs.counted % fs.a == 0;
	default:
		return 0;
	}
}

static int lfs_write(const char *path, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct node *n;
	int rc;

	if (fi && (struct node *)(uintptr_t)fi->fh == &ctl_node)
		return set_rule(buf, size) < 0 ? -EINVAL : (int)size;
	if (!(n = node_of(path, fi)))
		return -ENOENT;
	if (off < 0)
		return -EINVAL;
	if ((rc = reserve(n, (size_t)off + size)) != 0)
		return rc;
	fs.writes++;
	fs.counted++;
	if (dropped((uint64_t)off, size)) {
		/* Acknowledged, and lost: the range reads back as zeros. */
		memset(n->data + off, 0, size);
		fs.dropped_writes++;
		fs.dropped_bytes += size;
	} else {
		memcpy(n->data + off, buf, size);
	}
	if ((size_t)off + size > n->size)
		n->size = (size_t)off + size;
	n->mtime = n->ctime = now();
	return (int)size;
}

static int lfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct node *n;

	if (is_ctl(path) || (fi && (struct node *)(uintptr_t)fi->fh == &ctl_node))
		return 0;	/* "echo rule > .lossyfs" truncates first */
	if (!(n = node_of(path, fi)))
		return -ENOENT;
	if (size < 0)
		return -EINVAL;
	return resize(n, (size_t)size);
}

static int lfs_unlink(const char *path)
{
	struct node **link;

	if (is_ctl(path))
		return -EPERM;
	if (!lookup(path, &link))
		return -ENOENT;
	unlink_node(link);
	return 0;
}

static int lfs_rename(const char *from, const char *to, unsigned int flags)
{
	struct node **link, **old_link, *n, *old;
	char *name;

	if (is_ctl(from) || is_ctl(to))
		return -EPERM;
	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	if (!(n = lookup(from, &link)))
		return -ENOENT;
	if (!to || to[0] != '/' || strchr(to + 1, '/') || !to[1])
		return -EPERM;
	old = lookup(to, &old_link);
	if (old == n)
		return 0;
	if (old && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (!(name = strdup(to + 1)))
		return -ENOMEM;
	free(n->name);
	n->name = name;
	n->ctime = now();
	if (old)
		unlink_node(old_link);	/* n's link may have moved: look again */
	return 0;
}

static int lfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct node *n = node_of(path, fi);

	if (is_ctl(path))
		return 0;
	if (!n)
		return -ENOENT;
	n->mode = mode & 07777;
	n->ctime = now();
	return 0;
}

static int lfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct node *n = node_of(path, fi);

	if (is_ctl(path))
		return 0;
	if (!n)
		return -ENOENT;
	if (uid != (uid_t)-1)
		n->uid = uid;
	if (gid != (gid_t)-1)
		n->gid = gid;
	n->ctime = now();
	return 0;
}

static int lfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	struct node *n = node_of(path, fi);

	if (is_ctl(path))
		return 0;
	if (!n)
		return -ENOENT;
	if (tv[0].tv_nsec != UTIME_OMIT)
		n->atime = tv[0].tv_nsec == UTIME_NOW ? now() : tv[0];
	if (tv[1].tv_nsec != UTIME_OMIT)
		n->mtime = tv[1].tv_nsec == UTIME_NOW ? now() : tv[1];
	n->ctime = now();
	return 0;
}

static int lfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	(void)fi;
	return 0;	/* "it is on the disk" -- or so we say */
}

static int lfs_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	return lfs_fsync(path, datasync, fi);
}

static int lfs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	return 0;
}

static int lfs_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = sv->f_frsize = 4096;
	sv->f_blocks = sv->f_bfree = sv->f_bavail = 1 << 20;
	sv->f_files = sv->f_ffree = sv->f_favail = 1 << 16;
	sv->f_namemax = 255;
	return 0;
}

static const struct fuse_operations ops = {
	.init = lfs_init,
	.getattr = lfs_getattr,
	.readdir = lfs_readdir,
	.open = lfs_open,
	.create = lfs_create,
	.release = lfs_release,
	.read = lfs_read,
	.write = lfs_write,
	.truncate = lfs_truncate,
	.unlink = lfs_unlink,
	.rename = lfs_rename,
	.chmod = lfs_chmod,
	.chown = lfs_chown,
	.utimens = lfs_utimens,
	.fsync = lfs_fsync,
	.fsyncdir = lfs_fsyncdir,
	.flush = lfs_flush,
	.statfs = lfs_statfs,
};

int main(int argc, char *argv[])
{
	const char *rule = getenv("LOSSYFS_RULE");

	fs.root_time = now();
	if (rule && set_rule(rule, strlen(rule)) < 0) {
		fprintf(stderr, "lossyfs: bad LOSSYFS_RULE '%s' (none, range:A-B, every:N)\n", rule);
		return 2;
	}
	return fuse_main(argc, argv, &ops, NULL);
}
