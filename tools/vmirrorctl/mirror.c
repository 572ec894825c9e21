// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl: the mirror leg.
 *
 * A mirror is a block device nobody uses, or a regular file, which is put
 * on a loop device (LOOP_CONFIGURE, direct I/O where the filesystem can do
 * it, autoclear: the loop device goes away when the last table using it
 * does).  A file that does not exist is created at the size needed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vmirrorctl.h"

int blockdev_check(const char *path, uint64_t *bytes, uint32_t *maj,
		   uint32_t *min)
{
	struct stat st;
	int fd, e;

	fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == EBUSY)
			return error("%s: in use (mounted, or held by another device or program)",
				     path);
		return error("%s: %s", path, strerror(e));
	}
	if (fstat(fd, &st) || !S_ISBLK(st.st_mode)) {
		close(fd);
		return error("%s: not a block device", path);
	}
	if (ioctl(fd, BLKGETSIZE64, bytes)) {
		e = errno;
		close(fd);
		return error("%s: cannot get its size: %s", path, strerror(e));
	}
	close(fd);
	*maj = major(st.st_rdev);
	*min = minor(st.st_rdev);
	return EXIT_OK;
}

/* Is FILE (a canonical path) the backing file of a loop device? */
static bool file_on_loop(const char *file, char *loopname, size_t len)
{
	char path[PATH_MAX], back[PATH_MAX + 2];
	struct dirent *de;
	bool found = false;
	DIR *d;

	d = opendir("/sys/block");
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		FILE *f;

		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file",
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(back, sizeof(back), f)) {
			back[strcspn(back, "\n")] = 0;
			if (!strcmp(back, file)) {
				snprintf(loopname, len, "/dev/%s", de->d_name);
				found = true;
			}
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Put the open file FD on a free loop device.  Returns the loop fd. */
static int loop_attach(struct mirror_leg *m, int fd, bool dio, unsigned int lbs)
{
	struct loop_config cfg;
	struct loop_info64 info;
	int ctl, lfd = -1, n, tries, e = 0;
	struct stat st;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	for (tries = 0; tries < 16; tries++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			e = errno;
			break;
		}
		snprintf(m->devpath, sizeof(m->devpath), "/dev/loop%d", n);
		lfd = open(m->devpath, O_RDWR | O_CLOEXEC);
		if (lfd < 0) {
			e = errno;
			break;
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = fd;
		cfg.block_size = lbs > 512 ? lbs : 0;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (dio ? LO_FLAGS_DIRECT_IO : 0);
		memcpy(cfg.info.lo_file_name, m->path,
		       strnlen(m->path, LO_NAME_SIZE - 1));
		if (!ioctl(lfd, LOOP_CONFIGURE, &cfg))
			break;
		e = errno;
		close(lfd);
		lfd = -1;
		if (e != EBUSY)		/* EBUSY: somebody took it meanwhile */
			break;
	}
	close(ctl);
	if (lfd < 0)
		return -(e ? e : EBUSY);

	if (!ioctl(lfd, LOOP_GET_STATUS64, &info))
		m->direct_io = info.lo_flags & LO_FLAGS_DIRECT_IO;
	if (fstat(lfd, &st) || ioctl(lfd, BLKGETSIZE64, &m->bytes)) {
		e = errno;
		close(lfd);
		return -e;
	}
	m->major = major(st.st_rdev);
	m->minor = minor(st.st_rdev);
	return lfd;
}

/*
 * The file m->path with at least NEED bytes: one that exists, or (unless
 * EXISTING) a new one of exactly NEED bytes (m->created).
 */
static int file_ready(struct mirror_leg *m, uint64_t need, bool existing)
{
	struct stat st;
	int fd;

	if (stat(m->path, &st)) {
		if (errno != ENOENT)
			return error("%s: %s", m->path, strerror(errno));
		if (existing)
			return error("%s: no such file (--existing)", m->path);
		fd = open(m->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return error("cannot create %s: %s", m->path, strerror(errno));
		m->created = true;
		if (ftruncate(fd, need)) {
			int e = errno;

			close(fd);
			mirror_abort(m);
			return error("cannot make %s %" PRIu64 " bytes long: %s",
				     m->path, need, strerror(e));
		}
		close(fd);
		if (stat(m->path, &st))
			return error("%s: %s", m->path, strerror(errno));
	} else if (st.st_size < 0 || (uint64_t)st.st_size < need) {
		return error("%s: too small: %" PRIu64 " bytes, the device has %" PRIu64,
			     m->path, (uint64_t)st.st_size, need);
	}
	return EXIT_OK;
}

/* Open (or create) the file and put it on a loop device. */
static int mirror_file(struct mirror_leg *m, uint64_t need, bool existing,
		       unsigned int lbs)
{
	char real[PATH_MAX], loopname[300];
	bool dio = true;
	int fd, lfd, r;

	r = file_ready(m, need, existing);
	if (r)
		return r;
	if (!realpath(m->path, real))
		snprintf(real, sizeof(real), "%s", m->path);
	if (file_on_loop(real, loopname, sizeof(loopname))) {
		mirror_abort(m);
		return error("%s: in use (backing file of %s)", m->path, loopname);
	}

	/* Direct I/O if the filesystem has it (tmpfs and overlayfs on it do not). */
	fd = open(m->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 && errno == EINVAL) {
		dio = false;
		fd = open(m->path, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0) {
		int e = errno;

		mirror_abort(m);
		return error("%s: %s", m->path, strerror(e));
	}
	lfd = loop_attach(m, fd, dio, lbs);
	close(fd);
	if (lfd == -ENOENT) {
		mirror_abort(m);
		return error("%s: cannot set up a loop device: /dev/loop-control: "
			     "no such file (is the loop module loaded?)", m->path);
	}
	if (lfd < 0) {
		mirror_abort(m);
		return error("%s: cannot set up a loop device: %s", m->path,
			     strerror(-lfd));
	}
	m->loop_fd = lfd;
	m->is_file = true;
	snprintf(m->dev, sizeof(m->dev), "%u:%u", m->major, m->minor);
	if (m->bytes < need) {	/* not a multiple of the block size */
		mirror_abort(m);
		return error("%s: too small: %" PRIu64 " usable bytes, the device has %" PRIu64,
			     m->path, m->bytes, need);
	}
	return EXIT_OK;
}

int mirror_prepare(struct mirror_leg *m, const char *path, uint64_t need,
		   bool existing, unsigned int lbs)
{
	struct stat st;
	int r;

	memset(m, 0, sizeof(*m));
	m->loop_fd = -1;
	if (strlen(path) >= sizeof(m->path))
		return error("%s: path too long", path);
	strcpy(m->path, path);

	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode)) {
		r = blockdev_check(path, &m->bytes, &m->major, &m->minor);
		if (r)
			return r;
		if (m->bytes < need)
			return error("%s: too small: %" PRIu64 " bytes, the device has %" PRIu64,
				     path, m->bytes, need);
		snprintf(m->devpath, sizeof(m->devpath), "%s", path);
		snprintf(m->dev, sizeof(m->dev), "%u:%u", m->major, m->minor);
		return EXIT_OK;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return error("%s: not a block device or regular file", path);
	return mirror_file(m, need, existing, lbs);
}

void mirror_commit(struct mirror_leg *m)
{
	if (m->loop_fd >= 0)
		close(m->loop_fd);
	m->loop_fd = -1;
	m->created = false;
}

void mirror_abort(struct mirror_leg *m)
{
	if (m->loop_fd >= 0)
		close(m->loop_fd);	/* autoclear detaches it */
	m->loop_fd = -1;
	if (m->created)
		unlink(m->path);
	m->created = false;
}
