/*
 * atomic.c -- --atomic: the run writes a temporary file beside the target,
 * and only a complete, synced result is renamed over it.
 *
 * The temporary file is `.NAME.aiowrite-UUID.tmp` in the target's
 * directory (same file system, so rename(2) is atomic), created with
 * O_EXCL, given the old target's mode (or the umask's for a new target),
 * and with --patch it starts as a copy of the old target (FICLONE where the
 * file system shares extents, else copy_file_range, else read and write).
 * On any failure or interruption the temporary file is removed and the
 * target is exactly as it was; after the rename the directory is synced so
 * that the new name survives a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"


/* "dir/.name.aiowrite-UUID.tmp" for "dir/name". */
static char *temp_name(const char *path)
{
	char *a = strdup(path), *b = strdup(path), *out = NULL, id[37];
	uuid_t u;

	if (a && b) {
		uuid_generate_random(u);
		uuid_unparse_lower(u, id);
		if (asprintf(&out, "%s/.%s.aiowrite-%s.tmp", dirname(a), basename(b), id) < 0)
			out = NULL;
	}
	free(a);
	free(b);
	return out;
}

/* Copy all of from into to: 0 or an errno. */
static int copy_old(int from, int to)
{
	char buf[65536];
	ssize_t n;

	if (ioctl(to, FICLONE, from) == 0)
		return 0;
	for (;;) {
		n = copy_file_range(from, NULL, to, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
	}
	if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return errno;
	if (lseek(from, 0, SEEK_SET) < 0 || lseek(to, 0, SEEK_SET) < 0 || ftruncate(to, 0) < 0)
		return errno;
	while ((n = read(from, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(to, buf, (size_t)n) != n)
			return errno ? errno : EIO;
	}
	return 0;
}

/* The old target's mode (and owner, where we may) for the new file. */
static int start_from_old(struct target *t, int patch)
{
	struct stat st;
	int old, rc = 0;

	if (t->type == TARGET_NONE)
		return 0;
	old = open(t->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (old < 0 || fstat(old, &st) < 0) {
		rc = errno;
	} else {
		if (fchmod(t->fd, st.st_mode & 07777) < 0)
			rc = errno;
		if (fchown(t->fd, st.st_uid, st.st_gid) < 0)
			errno = 0;	/* not ours to give away: keep our own */
		if (!rc && patch)
			rc = copy_old(old, t->fd);
	}
	if (old >= 0)
		close(old);
	return rc;
}

int target_open_atomic(struct target *t, int force, int patch, int64_t image_len, int64_t size,
		       struct errors *err)
{
	struct stat st;
	int rc;

	if (t->is_stdout)
		return error_kind(err, ERR_ATOMIC_TARGET, "standard output is not one");
	if (t->type != TARGET_NONE && t->type != TARGET_REGULAR)
		return error_kind(err, ERR_ATOMIC_TARGET, "'%s' is not one", t->path);
	if (target_check(t, force, patch, image_len, err) < 0)
		return -1;
	if (!(t->tmp_path = temp_name(t->path)))
		return error_nomem(err);
	t->fd = open(t->tmp_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
	if (t->fd < 0) {
		rc = errno;
		free(t->tmp_path);
		t->tmp_path = NULL;
		return error_add(err, "cannot create a temporary file beside '%s': %s", t->path,
			    strerror(rc));
	}
	if ((rc = start_from_old(t, patch)) != 0 || fstat(t->fd, &st) < 0)
		return error_add(err, "cannot prepare '%s' from '%s': %s", t->tmp_path, t->path,
			    strerror(rc ? rc : errno));
	t->type = TARGET_REGULAR;
	t->old_size = st.st_size;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	/* The temporary file is new; with --patch it starts as the old one. */
	target_layout(t, patch ? LAYOUT_PATCH : LAYOUT_REPLACE | LAYOUT_NEW, image_len, size);
	return t->direct ? direct_start(t, err) : 0;
}

static int sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int target_commit(struct target *t)
{
	int rc = 0;

	if (!t->tmp_path)
		return 0;
	if (fsync(t->fd) < 0 || rename(t->tmp_path, t->path) < 0) {
		rc = errno;
		target_abort(t);
		return rc;
	}
	free(t->tmp_path);
	t->tmp_path = NULL;
	return sync_dir_of(t->path);
}

void target_abort(struct target *t)
{
	if (!t->tmp_path)
		return;
	unlink(t->tmp_path);
	free(t->tmp_path);
	t->tmp_path = NULL;
}
