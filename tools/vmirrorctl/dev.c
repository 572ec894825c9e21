// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl: finding the vmirror device a command names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmirrorctl.h"

int resolve_error(const char *arg, int r)
{
	switch (-r) {
	case ENOENT:
		return error("%s: no such device-mapper device", arg);
	case ENOTBLK:
		return error("%s: not a block device", arg);
	default:
		return error("%s: %s", arg, dmx_strerror(r));
	}
}

int ctl_error(const char *name, int r)
{
	switch (-r) {
	case ENODEV:
		return error("%s: not a vmirror device", name);
	case ENOENT:
		return error("%s: no such file (is the dm-vmirror module loaded?)",
			     VMIRROR_CONTROL_PATH);
	case EACCES:
	case EPERM:
		return error("%s: permission denied (needs CAP_SYS_ADMIN)", name);
	default:
		return error("%s: %s", name, strerror(-r));
	}
}

int open_vmirror(const char *arg, struct target_dev *td)
{
	int r;

	memset(td, 0, sizeof(*td));
	r = dmx_resolve(arg, &td->info);
	if (r)
		return resolve_error(arg, r);
	r = ctl_status(td->info.major, td->info.minor, &td->st);
	if (r)
		return ctl_error(td->info.name, r);
	return EXIT_OK;
}

void vmirror_sysfs_path(char *buf, size_t len, uint32_t major, uint32_t minor,
			const char *file)
{
	snprintf(buf, len, "/sys/dev/block/%u:%u/vmirror/%s", major, minor, file);
}
