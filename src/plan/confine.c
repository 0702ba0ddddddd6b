/*
 * confine.c -- --confine=DIR: open every `file` source beneath DIR
 * (SPEC §5), for manifests you did not write.
 *
 * DIR is opened once (O_PATH).  A source path is relative to its
 * manifest's directory (SPEC §2), so that directory must itself be DIR or
 * beneath it: it is turned into a path relative to DIR (the real paths of
 * both, one a '/'-bounded prefix of the other), and "REL/PATH" is opened
 * relative to DIR's descriptor with
 *
 *	openat2(dirfd, "REL/PATH", RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
 *
 * so the kernel refuses every way out while resolving: `..` above DIR, a
 * symbolic link with an absolute target or one whose `..` climbs out, and
 * magic links such as /proc/PID/fd/N.  `..` that stays inside DIR (a
 * manifest in DIR/sub naming ../a) is fine.  Absolute paths are refused
 * outright, even ones that point inside DIR; `file -` (standard input) is
 * not a path and is allowed.
 *
 * Without openat2 (ENOSYS: a kernel before 5.6, or a seccomp filter that
 * does not know it) walk() does the same in user space, one component at a
 * time with openat(O_PATH | O_NOFOLLOW) from a stack of directory
 * descriptors: `..` pops the stack and may not pop DIR itself, a symbolic
 * link is read with readlinkat() and spliced into the rest of the path
 * (an absolute target is refused), and nothing is ever followed by the
 * kernel, so magic links are never taken either.  Unlike openat2 it does not
 * detect a directory being renamed out of DIR while it is walked.
 *
 * A source is resolved twice: first O_PATH, to see what it is without side
 * effects, then for reading (O_NONBLOCK, as in sources.c, so that neither a
 * device nor a FIFO without its writer hangs the open); the two must be the
 * same file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plan/plan_internal.h"
#include "util/io.h"

#define MAX_SYMLINKS 40		/* as the kernel's MAXSYMLINKS */
#define RESOLVE_FLAGS (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)

/* The real path of an open directory, else of its name; malloc'd or NULL. */
static char *real_path(int fd, const char *name)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n > 0 && (size_t)n < sizeof(buf) - 1 && buf[0] == '/') {
		buf[n] = 0;
		return strdup(buf);
	}
	return realpath(name, NULL);
}

int confine_init(struct confine *c, const char *dir, struct errors *err)
{
	memset(c, 0, sizeof(*c));
	c->name = dir;
	c->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->fd < 0 || !(c->real = real_path(c->fd, dir))) {
		error_kind(err, ERR_CONFINE_DIR, "cannot use directory '%s': %s", dir,
			   strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

void confine_release(struct confine *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->real);
	for (int i = 0; i < MANIFEST_MAX_ORIGINS; i++)
		free(c->rel[i]);
	memset(c->rel, 0, sizeof(c->rel));
}

/* The origin's directory relative to DIR ("" for DIR itself), cached in
 * c->rel; NULL when it is outside DIR (c->outside) or on ENOMEM. */
static const char *origin_rel(struct confine *c, const struct manifest *m, unsigned origin,
			      int origin_fd)
{
	char *real;
	const char *rel;

	if (c->rel[origin] || c->outside[origin])
		return c->rel[origin];
	if (!(real = real_path(origin_fd, m->origin[origin].dir)))
		return NULL;
	if ((rel = path_below(c->real, real)) != NULL)
		c->rel[origin] = strdup(rel);
	else
		c->outside[origin] = 1;
	free(real);
	return c->rel[origin];
}

/* Whether path climbs above its start by `..` alone, not counting links. */
static int dots_lead_out(const char *path)
{
	long depth = 0;

	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (len && !(len == 1 && p[0] == '.')) {
			depth++;
		}
		p += len;
		p += strspn(p, "/");
	}
	return 0;
}

/* readlinkat(fd, "") of an O_PATH descriptor, malloc'd; NULL with errno. */
static char *read_link(int fd)
{
	for (size_t size = 256;; size *= 2) {
		char *buf = malloc(size);
		ssize_t n;

		if (!buf)
			return NULL;
		n = readlinkat(fd, "", buf, size);
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if ((size_t)n < size) {
			buf[n] = 0;
			return buf;
		}
		free(buf);
		if (size > ((size_t)1 << 20)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
	}
}

/* Replace *rest by "target/after" (after: what is left of *rest). */
static int splice_link(char **rest, const char *target, const char *after)
{
	char *s;

	if (asprintf(&s, "%s%s%s", target, *after ? "/" : "", after) < 0)
		return -1;
	free(*rest);
	*rest = s;
	return 0;
}

/* A walk without openat2 (see the top of the file): a stack of directory
 * descriptors from DIR (not ours to close) down, and what is left of the
 * path, in which symbolic links are spliced as they are met. */
struct walk {
	int *dir;
	size_t depth, cap;
	int links;		/* symbolic links followed so far */
	char *rest;		/* the path; components are cut in place */
};

static void walk_release(struct walk *w)
{
	while (w->dir && w->depth > 0)
		close(w->dir[w->depth--]);
	free(w->dir);
	free(w->rest);
}

static int walk_push(struct walk *w, int node)
{
	if (w->depth + 1 == w->cap) {
		int *d = realloc(w->dir, 2 * w->cap * sizeof(*d));

		if (!d) {
			close(node);
			errno = ENOMEM;
			return -1;
		}
		w->dir = d;
		w->cap *= 2;
	}
	w->dir[++w->depth] = node;
	return 0;
}

/* The link node (component p, followed by after) replaced in the path by
 * its target; 0, or -1 with errno (EXDEV: an absolute target). */
static int walk_link(struct walk *w, int node, const char *after)
{
	char *target = read_link(node);
	int saved = errno, rc;

	close(node);
	if (!target) {
		errno = saved;
		return -1;
	}
	if (target[0] == '/' || ++w->links > MAX_SYMLINKS) {
		errno = target[0] == '/' ? EXDEV : ELOOP;
		free(target);
		return -1;
	}
	rc = splice_link(&w->rest, target, after);
	free(target);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}

/* The last component p in directory top, opened with flags; it must be
 * the node already looked at (st), or EAGAIN. */
static int walk_open_last(int top, const char *p, int flags, int node, const struct stat *st)
{
	struct stat st2;
	int fd, saved;

	if (flags & O_PATH)
		return node;
	fd = openat(top, p, flags | O_NOFOLLOW);
	saved = errno;
	close(node);
	if (fd >= 0 && (fstat(fd, &st2) < 0 || st2.st_dev != st->st_dev ||
			st2.st_ino != st->st_ino)) {
		close(fd);
		fd = -1;
		saved = EAGAIN;
	}
	errno = saved;
	return fd;
}

/* One step of the walk at component p (cut to len bytes; last: nothing
 * follows it).  1: go on at *next; 0: done, *fd is the result; -1: failed
 * with errno. */
static int walk_step(struct walk *w, char *p, size_t len, int last, int flags, char **next,
		     int *fd)
{
	int top = w->dir[w->depth], node;
	struct stat st;

	*next = p + len + !last;
	if (strcmp(p, ".") == 0)
		return 1;
	if (strcmp(p, "..") == 0) {
		if (w->depth == 0) {
			errno = EXDEV;
			return -1;
		}
		close(w->dir[w->depth--]);
		return 1;
	}
	if ((node = openat(top, p, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(node, &st) < 0) {
		int saved = errno;

		close(node);
		errno = saved;
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		if (walk_link(w, node, last ? "" : p + len + 1) < 0)
			return -1;
		*next = w->rest;
		return 1;
	}
	if (last) {
		*fd = walk_open_last(top, p, flags, node, &st);
		return *fd < 0 ? -1 : 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		close(node);
		errno = ENOTDIR;
		return -1;
	}
	return walk_push(w, node) < 0 ? -1 : 1;
}

/* Open path beneath root without openat2: see the top of the file. */
static int walk(int root, const char *path, int flags)
{
	struct walk w = { .dir = malloc(16 * sizeof(int)), .cap = 16, .rest = strdup(path) };
	int fd = -1, r = 1, saved;
	char *p = w.rest;

	if (!w.dir || !w.rest) {
		walk_release(&w);
		errno = ENOMEM;
		return -1;
	}
	w.dir[0] = root;
	while (r > 0) {
		size_t len;

		p += strspn(p, "/");
		if (!*p) {	/* "", "." or a trailing '/': the directory itself */
			fd = openat(w.dir[w.depth], ".", flags | O_DIRECTORY);
			break;
		}
		len = strcspn(p, "/");
		int last = p[len] == 0;

		p[len] = 0;	/* p is the component; what follows starts at p+len+1 */
		r = walk_step(&w, p, len, last, flags, &p, &fd);
	}
	saved = errno;
	walk_release(&w);
	errno = saved;
	return fd;
}

#ifdef CONFINE_FORCE_WALK	/* to test walk() where openat2 exists */
#define openat2_available(c) 0
#else
#define openat2_available(c) (!(c)->walk)
#endif

/* Open path (relative to DIR) beneath DIR; fd, or -1 with errno. */
static int open_beneath(struct confine *c, const char *path, int flags)
{
	if (openat2_available(c)) {
		struct open_how how = { .flags = (uint64_t)flags, .resolve = RESOLVE_FLAGS };
		long fd;
		int tries = 0;

		do	/* EAGAIN: a rename raced with `..`; the kernel asks to retry */
			fd = syscall(SYS_openat2, c->fd, path, &how, sizeof(how));
		while (fd < 0 && errno == EAGAIN && ++tries < 16);
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return (int)fd;
		/* EPERM may be a seccomp filter refusing openat2: walk() is as
		 * safe, and fails again if the file itself is refused. */
		if (errno == ENOSYS)
			c->walk = 1;
	}
	return walk(c->fd, path, flags);
}

/* ELOOP from openat2 is a symlink loop or a magic link: ask again without
 * RESOLVE_NO_MAGICLINKS, where RESOLVE_BENEATH refuses a magic link with
 * EXDEV. */
static int is_magic_link(const struct confine *c, const char *path)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
	long fd;

	if (!openat2_available(c))
		return 0;
	fd = syscall(SYS_openat2, c->fd, path, &how, sizeof(how));
	if (fd >= 0) {
		close((int)fd);
		return 0;
	}
	return errno == EXDEV;
}

/* f's path cannot be confined: its origin's directory is outside DIR. */
static int origin_outside(struct confine *c, const struct manifest *m, const struct fragment *f,
			  struct errors *err)
{
	const char *path = (const char *)f->bytes, *origin = m->origin[f->origin].name;

	if (!c->outside[f->origin])
		return plan_fail(err, m, f, "cannot resolve the directory of '%s': %s", path,
				 strerror(errno ? errno : ENOMEM));
	if (strcmp(origin, "<stdin>") == 0 || strcmp(origin, "<command-line>") == 0)
		return plan_fail(err, m, f, "'%s' leads outside the confining directory '%s': it "
				 "is relative to the current directory, which is not inside it",
				 path, c->name);
	return plan_fail(err, m, f, "'%s' leads outside the confining directory '%s': it is "
			 "relative to the manifest's directory '%s', which is not inside it", path,
			 c->name, m->origin[f->origin].dir);
}

/* Open beneath (relative to DIR) for reading, resolved twice as the top of
 * the file says; a descriptor, or -1 with errno. */
static int open_confined(struct confine *c, const char *beneath)
{
	struct stat st, st2;
	int node = open_beneath(c, beneath, O_PATH | O_CLOEXEC), fd, e;

	if (node < 0)
		return -1;
	e = fstat(node, &st) < 0 ? errno : 0;
	close(node);
	if (e) {
		errno = e;
		return -1;
	}
	fd = open_beneath(c, beneath, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0 && (fstat(fd, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)) {
		close(fd);
		errno = EAGAIN;
		return -1;
	}
	return fd;
}

static int open_failed(struct confine *c, const struct manifest *m, const struct fragment *f,
		       const char *beneath, int e, struct errors *err)
{
	const char *path = (const char *)f->bytes;

	if (e == EXDEV)
		return plan_fail(err, m, f, "'%s' leads outside the confining directory '%s' (%s)",
				 path, c->name, dots_lead_out(beneath) ? "through '..'"
								       : "through a symbolic link");
	if (e == ELOOP && is_magic_link(c, beneath))
		return plan_fail(err, m, f, "'%s' goes through a magic link (such as "
				 "/proc/PID/fd/N), which is refused", path);
	if (e == EAGAIN)
		return plan_fail(err, m, f, "cannot open '%s': it changed while it was being opened",
				 path);
	return plan_fail(err, m, f, "cannot open '%s': %s", path, strerror(e));
}

int confine_open(struct confine *c, const struct manifest *m, const struct fragment *f,
		 int origin_fd, struct errors *err)
{
	const char *path = (const char *)f->bytes, *rel;
	char *full = NULL;
	int fd;

	if (path[0] == '/')
		return plan_fail(err, m, f, "'%s' is an absolute path; only relative paths inside "
				 "the confining directory '%s' are allowed", path, c->name);
	errno = 0;
	if (!(rel = origin_rel(c, m, f->origin, origin_fd)))
		return origin_outside(c, m, f, err);
	if (*rel && asprintf(&full, "%s/%s", rel, path) < 0)
		return error_nomem(err);
	fd = open_confined(c, full ? full : path);
	if (fd < 0)
		open_failed(c, m, f, full ? full : path, errno, err);
	free(full);
	return fd;
}
