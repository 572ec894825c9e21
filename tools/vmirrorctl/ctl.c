// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl: the ioctls of /dev/vmirror-control (uapi/linux/dm-vmirror.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmirrorctl.h"

static int ctl_fd = -1;

/* The control device, opened once; -errno on failure. */
static int ctl_open(void)
{
	if (ctl_fd >= 0)
		return ctl_fd;
	ctl_fd = open(VMIRROR_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (ctl_fd < 0 && (errno == EACCES || errno == EPERM))
		ctl_fd = open(VMIRROR_CONTROL_PATH, O_RDONLY | O_CLOEXEC);
	return ctl_fd >= 0 ? ctl_fd : -errno;
}

int ctl_version(uint32_t *version, uint32_t *target_version)
{
	struct vmirror_ioc_version v = { .size = sizeof(v) };
	int fd = ctl_open();

	if (fd < 0)
		return fd;
	if (ioctl(fd, VMIRROR_IOC_VERSION, &v))
		return -errno;
	*version = v.version;
	*target_version = v.target_version;
	return 0;
}

int ctl_status(uint32_t major, uint32_t minor, struct vmirror_status *st)
{
	int fd = ctl_open();

	if (fd < 0)
		return fd;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->dev_major = major;
	st->dev_minor = minor;
	if (ioctl(fd, VMIRROR_IOC_STATUS, st))
		return -errno;
	/* An older module fills less: the rest reads as zero. */
	return 0;
}

int ctl_list(uint64_t **devs, size_t *count)
{
	struct vmirror_ioc_list l;
	uint64_t *buf = NULL;
	uint32_t room = 0;
	int fd = ctl_open();

	if (fd < 0)
		return fd;
	/* The number can grow between two calls: retry until it fits. */
	for (;;) {
		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		l.count = room;
		l.devs = (uintptr_t)buf;
		if (ioctl(fd, VMIRROR_IOC_LIST, &l)) {
			int e = errno;

			free(buf);
			return -e;
		}
		if (l.count <= room)
			break;
		room = l.count + 4;
		free(buf);
		buf = calloc(room, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
	}
	*devs = buf;
	*count = l.count;
	return 0;
}

int ctl_control(uint32_t major, uint32_t minor, uint32_t op, uint32_t value)
{
	struct vmirror_control c = {
		.size = sizeof(c),
		.dev_major = major,
		.dev_minor = minor,
		.op = op,
		.value = value,
	};
	int fd = ctl_open();

	if (fd < 0)
		return fd;
	return ioctl(fd, VMIRROR_IOC_CONTROL, &c) ? -errno : 0;
}
