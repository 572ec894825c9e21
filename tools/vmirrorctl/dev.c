// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl: finding the vmirror device a command names.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The first line of a sysfs file, or "" */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = 0;
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

/*
 * The path of block device MAJOR:MINOR as users know it: /dev/mapper/NAME
 * for a DM device, else /dev/<kernel name>; its size in bytes; and for a
 * loop device, its backing file.
 */
static void blockdev_names(uint32_t major, uint32_t minor, char *path, size_t plen,
			   uint64_t *bytes, char *file, size_t flen)
{
	char sys[64], buf[PATH_MAX], name[128];
	uint64_t sectors = 0;

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major, minor);
	snprintf(path, plen, "-");
	snprintf(buf, sizeof(buf), "%s/dm/name", sys);
	read_line(buf, name, sizeof(name));
	if (name[0]) {
		snprintf(path, plen, "/dev/mapper/%s", name);
	} else if (realpath(sys, buf)) {
		/* .../block/sda/sda1 -> /dev/sda1 */
		snprintf(path, plen, "/dev/%.*s", NAME_MAX, strrchr(buf, '/') + 1);
	}
	snprintf(buf, sizeof(buf), "%s/size", sys);
	*bytes = read_sysfs_u64(buf, &sectors) ? 0 : sectors << SECTOR_SHIFT;
	if (file) {
		snprintf(buf, sizeof(buf), "%s/loop/backing_file", sys);
		read_line(buf, file, flen);
	}
}

void dev_paths(uint32_t major, uint32_t minor, const struct vmirror_status *st,
	       struct dev_paths *p)
{
	char path[80];
	unsigned int mmaj, mmin;
	uint64_t msize;

	memset(p, 0, sizeof(*p));
	blockdev_names(major, minor, path, sizeof(path), &p->size, NULL, 0);
	blockdev_names(st->source_major, st->source_minor, p->source_path,
		       sizeof(p->source_path), &p->source_size, NULL, 0);
	blockdev_names(st->target_major, st->target_minor, p->target_path,
		       sizeof(p->target_path), &p->target_size, p->target_file,
		       sizeof(p->target_file));

	/* metadata_dev: sysfs "major:minor", or "-" (none; no file: older module) */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/vmirror/metadata", major, minor);
	read_line(path, p->metadata, sizeof(p->metadata));
	if (sscanf(p->metadata, "%u:%u", &mmaj, &mmin) == 2) {
		blockdev_names(mmaj, mmin, p->metadata_path, sizeof(p->metadata_path),
			       &msize, p->metadata_file, sizeof(p->metadata_file));
	} else {
		p->metadata[0] = 0;
		snprintf(p->metadata_path, sizeof(p->metadata_path), "-");
	}
}

bool metadata_is_field(void)
{
	for (int f = 0; f < VMIRROR_NR_FIELDS; f++)
		if (!strcmp(vmirror_fields[f].key, "metadata"))
			return true;
	return false;
}

bool is_lvm_volume(const struct dmx_info *info)
{
	return !strncmp(info->uuid, "LVM-", 4);
}
