// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirror-ioctl-cli: drive /dev/vmirror-control from the VM tests.
 *
 *   vmirror-ioctl-cli status MAJOR:MINOR      every field, "name value" a line
 *   vmirror-ioctl-cli control MAJOR:MINOR OP [VALUE]
 *                     OP: activate pause resume fracture split resync break
 *                         cancel priority(VALUE 1..3) rate(VALUE KiB/s)
 *
 * Exit status: 0, or 1 with the errno name on stderr ("EBUSY").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dm-vmirror.h>

static const char *const ops[] = {
	[VMIRROR_OP_ACTIVATE] = "activate", [VMIRROR_OP_PAUSE] = "pause",
	[VMIRROR_OP_RESUME] = "resume", [VMIRROR_OP_FRACTURE] = "fracture",
	[VMIRROR_OP_SPLIT] = "split", [VMIRROR_OP_RESYNC] = "resync",
	[VMIRROR_OP_BREAK] = "break", [VMIRROR_OP_CANCEL] = "cancel",
	[VMIRROR_OP_SET_PRIORITY] = "priority",
	[VMIRROR_OP_SET_MAX_RATE] = "rate",
	[VMIRROR_OP_SET_SYNC_MODE] = "sync_mode",
};

static int fail(void)
{
	const char *name = errno == EBUSY ? "EBUSY" : errno == EINVAL ? "EINVAL" :
			   errno == ENODEV ? "ENODEV" : errno == EPERM ? "EPERM" :
			   strerror(errno);

	fprintf(stderr, "%s\n", name);
	return 1;
}

int main(int argc, char **argv)
{
	unsigned int major, minor;
	int fd;

	if (argc < 3 || sscanf(argv[2], "%u:%u", &major, &minor) != 2) {
		fprintf(stderr, "usage: %s status|control MAJOR:MINOR [OP [VALUE]]\n", argv[0]);
		return 2;
	}
	fd = open(VMIRROR_CONTROL_PATH, O_RDWR);
	if (fd < 0)
		return fail();

	if (!strcmp(argv[1], "status")) {
		struct vmirror_status st = { .size = sizeof(st),
					     .dev_major = major, .dev_minor = minor };

		if (ioctl(fd, VMIRROR_IOC_STATUS, &st))
			return fail();
#define P(f) printf(#f " %lld\n", (long long)st.f)
		P(copy_state); P(sync_state); P(progress_status);
		P(requested_copy_state); P(percent_synced); P(sync_maintained);
		P(sync_mode); P(copy_type); P(sync_type); P(replica_type);
		P(copy_priority); P(copy_methodology); P(max_copy_rate);
		P(source_major); P(source_minor); P(target_major); P(target_minor);
		P(sync_time_ns); P(region_size); P(regions_total);
		P(regions_synced); P(bytes_copied); P(copy_rate); P(eta_seconds);
		P(source_errors); P(mirror_errors); P(bytes_zeroed); P(lag_bytes);
		P(metadata_state);
		return 0;
	}
	if (!strcmp(argv[1], "control") && argc >= 4) {
		struct vmirror_control c = { .size = sizeof(c),
					     .dev_major = major, .dev_minor = minor };
		unsigned int i;

		for (i = 1; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (ops[i] && !strcmp(argv[3], ops[i]))
				c.op = i;
		if (!c.op) {
			fprintf(stderr, "unknown op %s\n", argv[3]);
			return 2;
		}
		if (argc > 4)
			c.value = strtoul(argv[4], NULL, 0);
		if (ioctl(fd, VMIRROR_IOC_CONTROL, &c))
			return fail();
		return 0;
	}
	fprintf(stderr, "usage: %s status|control MAJOR:MINOR [OP [VALUE]]\n", argv[0]);
	return 2;
}
