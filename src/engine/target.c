/*
 * target.c -- what the target is, whether we may write it, and how.
 *
 * target_probe only looks (the planner needs the target's identity to refuse
 * it as a source); target_open is the first step that changes anything, so
 * main calls it only after the plan is complete.  A regular file that holds
 * data is refused unless --force (replace) or --patch (in place).  Standard
 * output redirected to a file is used as it is: when it already holds data
 * it is patched in place, as the shell opened it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"


static int device_size(int fd, const struct stat *st, int64_t *size)
{
	uint64_t bytes;

	if (S_ISBLK(st->st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
			return -1;
		*size = (int64_t)bytes;
	} else {
		*size = INT64_MAX;	/* /dev/null, /dev/full: no end */
	}
	return 0;
}

static int classify(struct target *t, int fd, const struct stat *st)
{
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	if (S_ISREG(st->st_mode)) {
		t->type = TARGET_REGULAR;
		t->old_size = st->st_size;
	} else if ((S_ISBLK(st->st_mode) || S_ISCHR(st->st_mode)) && fd >= 0 &&
		   lseek(fd, 0, SEEK_CUR) >= 0) {
		t->type = TARGET_DEVICE;
		return device_size(fd, st, &t->old_size);
	} else if (S_ISCHR(st->st_mode) && fd < 0) {
		t->type = TARGET_DEVICE;	/* whether it seeks is decided when opened */
		t->old_size = INT64_MAX;
	} else {
		t->type = TARGET_STREAM;
	}
	return 0;
}

int target_probe(struct target *t, const char *path, struct errors *err)
{
	struct stat st;

	memset(t, 0, sizeof(*t));
	t->path = path;
	t->fd = -1;
	t->final_len = -1;
	t->dio_rfd = -1;
	if (strcmp(path, "-") == 0) {
		int fl = fcntl(STDOUT_FILENO, F_GETFL);

		t->is_stdout = 1;
		if (fl < 0 || fstat(STDOUT_FILENO, &st) < 0)
			return error_add(err, "cannot use standard output: %s", strerror(errno));
		t->append = (fl & O_APPEND) != 0;
		if (classify(t, STDOUT_FILENO, &st) < 0)
			return error_add(err, "cannot get the size of standard output: %s", strerror(errno));
		return 0;
	}
	if (stat(path, &st) < 0) {
		if (errno == ENOENT) {
			t->type = TARGET_NONE;
			return 0;
		}
		return error_add(err, "cannot use target '%s': %s", path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return error_add(err, "target '%s' is a directory", path);
	if (S_ISBLK(st.st_mode)) {
		/* Its capacity decides whether the image fits: look read-only. */
		int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

		if (fd < 0)
			return error_add(err, "cannot open target '%s': %s", path, strerror(errno));
		rc = classify(t, fd, &st);
		close(fd);
		if (rc < 0)
			return error_add(err, "cannot get the size of '%s': %s", path, strerror(errno));
		return 0;
	}
	return classify(t, -1, &st);
}

static int open_path(struct target *t, int force, struct errors *err)
{
	int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY;
	struct stat st;

	if (t->type == TARGET_NONE || t->type == TARGET_REGULAR)
		flags |= O_CREAT | (force ? O_TRUNC : 0);
	if (t->direct)
		flags |= direct_open_flags(t);
	t->fd = open(t->path, flags, 0666);
	if (t->fd < 0 && t->direct)
		return direct_refused(t, err);
	if (t->fd < 0)
		return error_add(err, "cannot open target '%s': %s", t->path, strerror(errno));
	if (fstat(t->fd, &st) < 0 || classify(t, t->fd, &st) < 0)
		return error_add(err, "cannot use target '%s': %s", t->path, strerror(errno));
	return 0;
}

int target_check(const struct target *t, int force, int patch, int64_t image_len, struct errors *err)
{
	if (t->type == TARGET_REGULAR && t->old_size > 0 && !force && !patch && !t->is_stdout)
		return error_kind(err, ERR_TARGET_NOT_EMPTY, "target '%s' exists and is not empty",
				  t->path);
	if (t->type == TARGET_DEVICE && image_len > t->old_size)
		return error_add(err, "the image (%lld bytes) does not fit on '%s' (%lld bytes)",
			    (long long)image_len, t->path, (long long)t->old_size);
	return 0;
}

void target_layout(struct target *t, unsigned flags, int64_t image_len, int64_t size)
{
	t->patch = (flags & LAYOUT_PATCH) || t->type == TARGET_DEVICE ||
		   (t->type == TARGET_REGULAR && t->old_size > 0 &&
		    !(flags & (LAYOUT_REPLACE | LAYOUT_NEW)));
	t->holes = t->type == TARGET_REGULAR && !t->patch;
	if (t->type == TARGET_REGULAR) {
		if (!t->patch)
			t->final_len = image_len;
		else if (size >= 0)
			t->final_len = size;
		else if (image_len > t->old_size)
			t->final_len = image_len;
	}
}

int target_open(struct target *t, int force, int patch, int64_t image_len, int64_t size,
		struct errors *err)
{
	int was_new = t->type == TARGET_NONE;

	if (target_check(t, force, patch, image_len, err) < 0)
		return -1;
	t->replaced = force && t->type == TARGET_REGULAR && t->old_size > 0;
	if (t->is_stdout) {
		t->fd = STDOUT_FILENO;
		if (t->type == TARGET_REGULAR && force && ftruncate(t->fd, 0) < 0)
			return error_add(err, "cannot truncate standard output: %s", strerror(errno));
		if (force)
			t->old_size = 0;
	} else if (open_path(t, force, err) < 0) {
		return -1;
	}
	target_layout(t, (force ? LAYOUT_REPLACE : 0) | (patch ? LAYOUT_PATCH : 0) |
			 (was_new ? LAYOUT_NEW : 0), image_len, size);
	return t->direct ? direct_start(t, err) : 0;
}

void target_close(struct target *t)
{
	if (t->fd > STDERR_FILENO)
		close(t->fd);
	t->fd = -1;
	if (t->dio_rfd >= 0)
		close(t->dio_rfd);
	t->dio_rfd = -1;
	target_abort(t);
}
