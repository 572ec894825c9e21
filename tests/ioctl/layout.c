// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compile-time check of the uapi layout of <linux/dm-vmirror.h>.
 *
 * The ioctl structs must have the same layout for 32- and 64-bit callers
 * (ctl.c uses compat_ptr_ioctl, i.e. no translation).  The Makefile
 * compiles this file with -m64 and with -m32; both must accept the SAME
 * numbers below.  Nothing is linked or run.
 */
#include <stddef.h>
#include <linux/dm-vmirror.h>

#define SIZE(type, n) _Static_assert(sizeof(struct type) == (n), \
	"sizeof(struct " #type ") != " #n)
#define OFF(type, member, n) _Static_assert(offsetof(struct type, member) == (n), \
	"offsetof(struct " #type ", " #member ") != " #n)
#define MSIZE(type, member, n) _Static_assert(sizeof(((struct type *)0)->member) == (n), \
	"sizeof(struct " #type "." #member ") != " #n)

/* struct vmirror_ioc_version */
SIZE(vmirror_ioc_version, 32);
OFF(vmirror_ioc_version, size, 0);
OFF(vmirror_ioc_version, version, 4);
OFF(vmirror_ioc_version, target_version, 8);
OFF(vmirror_ioc_version, reserved, 12);
MSIZE(vmirror_ioc_version, reserved, 20);

/* struct vmirror_ioc_list */
SIZE(vmirror_ioc_list, 32);
OFF(vmirror_ioc_list, size, 0);
OFF(vmirror_ioc_list, count, 4);
OFF(vmirror_ioc_list, devs, 8);
OFF(vmirror_ioc_list, reserved, 16);
MSIZE(vmirror_ioc_list, devs, 8);
MSIZE(vmirror_ioc_list, reserved, 16);

/* struct vmirror_status */
SIZE(vmirror_status, 176);
OFF(vmirror_status, size, 0);
OFF(vmirror_status, dev_major, 4);
OFF(vmirror_status, dev_minor, 8);
OFF(vmirror_status, copy_state, 12);
OFF(vmirror_status, sync_state, 14);
OFF(vmirror_status, progress_status, 16);
OFF(vmirror_status, requested_copy_state, 18);
OFF(vmirror_status, percent_synced, 20);
OFF(vmirror_status, sync_maintained, 22);
OFF(vmirror_status, sync_mode, 24);
OFF(vmirror_status, copy_type, 26);
OFF(vmirror_status, sync_type, 28);
OFF(vmirror_status, replica_type, 30);
OFF(vmirror_status, copy_priority, 32);
OFF(vmirror_status, copy_methodology, 34);
OFF(vmirror_status, max_copy_rate, 36);
OFF(vmirror_status, source_major, 40);
OFF(vmirror_status, source_minor, 44);
OFF(vmirror_status, target_major, 48);
OFF(vmirror_status, target_minor, 52);
OFF(vmirror_status, sync_time_ns, 56);
OFF(vmirror_status, region_size, 64);
OFF(vmirror_status, regions_total, 72);
OFF(vmirror_status, regions_synced, 80);
OFF(vmirror_status, bytes_copied, 88);
OFF(vmirror_status, copy_rate, 96);
OFF(vmirror_status, eta_seconds, 104);
OFF(vmirror_status, source_errors, 112);
OFF(vmirror_status, mirror_errors, 120);
OFF(vmirror_status, bytes_zeroed, 128);
OFF(vmirror_status, lag_bytes, 136);
OFF(vmirror_status, metadata_major, 144);
OFF(vmirror_status, metadata_minor, 148);
OFF(vmirror_status, metadata_state, 152);
OFF(vmirror_status, pad16, 154);
OFF(vmirror_status, pad32, 156);
OFF(vmirror_status, reserved, 160);
MSIZE(vmirror_status, reserved, 16);

/* struct vmirror_control */
SIZE(vmirror_control, 40);
OFF(vmirror_control, size, 0);
OFF(vmirror_control, dev_major, 4);
OFF(vmirror_control, dev_minor, 8);
OFF(vmirror_control, op, 12);
OFF(vmirror_control, flags, 16);
OFF(vmirror_control, value, 20);
OFF(vmirror_control, reserved, 24);
MSIZE(vmirror_control, reserved, 16);

/*
 * The ioctl numbers: magic 0xDE (free in the kernel's ioctl-number.rst;
 * 0xDB, that of interface version 1, is mwave's) and the version-1 sizes,
 * the same on both ABIs.
 */
_Static_assert(VMIRROR_IOC_MAGIC == 0xDE, "VMIRROR_IOC_MAGIC");
_Static_assert(VMIRROR_IOCTL_VERSION == 2, "VMIRROR_IOCTL_VERSION");
_Static_assert(VMIRROR_IOC_VERSION == 0xc020de00u, "VMIRROR_IOC_VERSION");
_Static_assert(VMIRROR_IOC_LIST == 0xc020de01u, "VMIRROR_IOC_LIST");
_Static_assert(VMIRROR_IOC_STATUS == 0xc0b0de02u, "VMIRROR_IOC_STATUS");
_Static_assert(VMIRROR_IOC_CONTROL == 0x4028de03u, "VMIRROR_IOC_CONTROL");

/* ISO C forbids an empty translation unit. */
extern int vmirror_layout_checked;
