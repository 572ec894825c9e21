/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dm-vmirror: user-visible constants of the vmirror device-mapper target.
 *
 * The state numbers are those of the MSFT_VirtualDiskToVirtualDisk class
 * (Windows Storage Management API), so that tools written against that
 * model can map them one to one.  The words used in "dmsetup status" and
 * in sysfs are the value names in lower case, with '_' for spaces and
 * hyphens.
 */
#ifndef _UAPI_LINUX_DM_VMIRROR_H
#define _UAPI_LINUX_DM_VMIRROR_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: CopyState
 *
 * The replication state of the association (MSFT CopyState).
 */
#define VMIRROR_COPY_STATE_INITIALIZED		2
#define VMIRROR_COPY_STATE_UNSYNCHRONIZED	3
#define VMIRROR_COPY_STATE_SYNCHRONIZED		4
#define VMIRROR_COPY_STATE_BROKEN		5
#define VMIRROR_COPY_STATE_FRACTURED		6
#define VMIRROR_COPY_STATE_SPLIT		7
#define VMIRROR_COPY_STATE_INACTIVE		8
#define VMIRROR_COPY_STATE_SUSPENDED		9
#define VMIRROR_COPY_STATE_FAILEDOVER		10
#define VMIRROR_COPY_STATE_PREPARED		11
#define VMIRROR_COPY_STATE_ABORTED		12
#define VMIRROR_COPY_STATE_SKEWED		13
#define VMIRROR_COPY_STATE_NOT_APPLICABLE	15

/**
 * DOC: SyncState
 *
 * The state of the synchronization itself (MSFT SyncState).
 */
#define VMIRROR_SYNC_STATE_INITIALIZED		2
#define VMIRROR_SYNC_STATE_PREPARE_IN_PROGRESS	3
#define VMIRROR_SYNC_STATE_PREPARED		4
#define VMIRROR_SYNC_STATE_RESYNC_IN_PROGRESS	5
#define VMIRROR_SYNC_STATE_SYNCHRONIZED		6
#define VMIRROR_SYNC_STATE_FRACTURE_IN_PROGRESS	7
#define VMIRROR_SYNC_STATE_QUIESCE_IN_PROGRESS	8
#define VMIRROR_SYNC_STATE_QUIESCED		9
#define VMIRROR_SYNC_STATE_RESTORE_IN_PROGRESS	10
#define VMIRROR_SYNC_STATE_IDLE			11
#define VMIRROR_SYNC_STATE_BROKEN		12
#define VMIRROR_SYNC_STATE_FRACTURED		13
#define VMIRROR_SYNC_STATE_FROZEN		14
#define VMIRROR_SYNC_STATE_COPY_IN_PROGRESS	15

/**
 * DOC: ProgressStatus
 *
 * What the copy engine is doing right now (MSFT ProgressStatus).
 */
#define VMIRROR_PROGRESS_UNKNOWN		0
#define VMIRROR_PROGRESS_COMPLETED		2
#define VMIRROR_PROGRESS_DORMANT		3
#define VMIRROR_PROGRESS_INITIALIZING		4
#define VMIRROR_PROGRESS_PREPARING		5
#define VMIRROR_PROGRESS_SYNCHRONIZING		6
#define VMIRROR_PROGRESS_RESYNCING		7
#define VMIRROR_PROGRESS_RESTORING		8
#define VMIRROR_PROGRESS_FRACTURING		9
#define VMIRROR_PROGRESS_SPLITTING		10
#define VMIRROR_PROGRESS_FAILING_OVER		11
#define VMIRROR_PROGRESS_FAILING_BACK		12
#define VMIRROR_PROGRESS_ABORTING		13
#define VMIRROR_PROGRESS_MIXED			14
#define VMIRROR_PROGRESS_NOT_APPLICABLE		15
#define VMIRROR_PROGRESS_SUSPENDING		16
#define VMIRROR_PROGRESS_REQUIRES_FRACTURE	17
#define VMIRROR_PROGRESS_REQUIRES_RESYNC	18
#define VMIRROR_PROGRESS_REQUIRES_ACTIVATE	19
#define VMIRROR_PROGRESS_PENDING		20
#define VMIRROR_PROGRESS_DETACHING		21

/**
 * DOC: CopyPriority
 *
 * Background copy I/O relative to host I/O (MSFT CopyPriority).
 */
#define VMIRROR_PRIORITY_NOT_MANAGED		0
#define VMIRROR_PRIORITY_LOW			1
#define VMIRROR_PRIORITY_SAME			2
#define VMIRROR_PRIORITY_HIGH			3

/**
 * DOC: CopyType, SyncType, ReplicaType, CopyMethodology
 *
 * Descriptive properties of the association.  A vmirror is always of
 * sync type "mirror"; its copy type follows the sync_mode table argument.
 */
#define VMIRROR_COPY_TYPE_ASYNC			2
#define VMIRROR_COPY_TYPE_SYNC			3
#define VMIRROR_COPY_TYPE_UNSYNC_ASSOC		4
#define VMIRROR_COPY_TYPE_UNSYNC_UNASSOC	5

#define VMIRROR_SYNC_TYPE_MIRROR		6
#define VMIRROR_SYNC_TYPE_SNAPSHOT		7
#define VMIRROR_SYNC_TYPE_CLONE			8

#define VMIRROR_REPLICA_TYPE_NOT_SPECIFIED	0
#define VMIRROR_REPLICA_TYPE_FULL_COPY		2
#define VMIRROR_REPLICA_TYPE_BEFORE_DELTA	3
#define VMIRROR_REPLICA_TYPE_AFTER_DELTA	4
#define VMIRROR_REPLICA_TYPE_LOG		5

#define VMIRROR_COPY_METHOD_NOT_SPECIFIED	0
#define VMIRROR_COPY_METHOD_OTHER		1
#define VMIRROR_COPY_METHOD_IMPLEMENTATION_DECIDES 2
#define VMIRROR_COPY_METHOD_FULL_COPY		3
#define VMIRROR_COPY_METHOD_INCREMENTAL_COPY	4
#define VMIRROR_COPY_METHOD_DIFFERENTIAL_COPY	5
#define VMIRROR_COPY_METHOD_COPY_ON_WRITE	6
#define VMIRROR_COPY_METHOD_COPY_ON_ACCESS	7
#define VMIRROR_COPY_METHOD_DELTA_UPDATE	8
#define VMIRROR_COPY_METHOD_SNAP_AND_CLONE	9

/**
 * DOC: MetadataState
 *
 * The metadata device (the metadata_dev table argument) of a mirror.
 * NONE ("-"): the table has none (or the module is older than this
 * field); OK ("ok"): every commit so far succeeded; FAILED ("failed"): a
 * write to it failed, nothing is recorded any more (see "Metadata
 * failure" in Documentation/vmirror.rst).
 */
#define VMIRROR_METADATA_NONE			0
#define VMIRROR_METADATA_OK			1
#define VMIRROR_METADATA_FAILED			2

/*
 * The ioctl interface of /dev/vmirror-control.
 *
 * Every argument struct starts with __u32 size, which the caller sets to
 * sizeof() of the struct it was compiled with.  The kernel accepts a
 * shorter struct from an older caller (missing fields read as zero) and a
 * longer one from a newer caller as long as every byte it does not know is
 * zero (otherwise -E2BIG).  Output structs are copied back up to the
 * smaller of the two sizes, and size is set to that.  Layout is identical
 * on 32- and 64-bit: fixed-width types, natural alignment, explicit pads.
 * Reserved fields and pads must be zero (-EINVAL).
 */

/*
 * Version 2: the magic moved from 0xDB (mwave's, in the kernel's
 * Documentation/userspace-api/ioctl/ioctl-number.rst) to 0xDE, which that
 * table leaves free; the structs are those of version 1.
 */
#define VMIRROR_IOCTL_VERSION	2

/** VMIRROR_CONTROL_PATH - the misc device */
#define VMIRROR_CONTROL_PATH	"/dev/vmirror-control"

/**
 * struct vmirror_ioc_version - VMIRROR_IOC_VERSION
 * @size: sizeof(struct vmirror_ioc_version), in and out
 * @version: out: VMIRROR_IOCTL_VERSION of the kernel module
 * @target_version: out: version of the "vmirror" target, major << 16 |
 *	minor << 8 | patch
 * @reserved: must be zero
 */
struct vmirror_ioc_version {
	__u32 size;
	__u32 version;
	__u32 target_version;
	__u32 reserved[5];
};

/**
 * struct vmirror_ioc_list - VMIRROR_IOC_LIST
 * @size: sizeof(struct vmirror_ioc_list), in and out
 * @count: in: number of entries @devs has room for; out: number of
 *	vmirror devices (may be more than were written)
 * @devs: user pointer to an array of __u64, each filled with a device
 *	number as VMIRROR_DEV(major, minor); may be 0 when @count is 0
 * @reserved: must be zero
 */
struct vmirror_ioc_list {
	__u32 size;
	__u32 count;
	__u64 devs;
	__u64 reserved[2];
};

/** VMIRROR_DEV - a device number as stored in &struct vmirror_ioc_list */
#define VMIRROR_DEV(major, minor)	(((__u64)(major) << 32) | (__u32)(minor))
#define VMIRROR_DEV_MAJOR(dev)		((__u32)((dev) >> 32))
#define VMIRROR_DEV_MINOR(dev)		((__u32)(dev))

/**
 * struct vmirror_status - VMIRROR_IOC_STATUS: the state of one mirror
 * @size: sizeof(struct vmirror_status), in and out
 * @dev_major: in: major of the DM device (stat /dev/mapper/NAME)
 * @dev_minor: in: minor of the DM device
 * @copy_state: VMIRROR_COPY_STATE_*
 * @sync_state: VMIRROR_SYNC_STATE_*
 * @progress_status: VMIRROR_PROGRESS_*
 * @requested_copy_state: VMIRROR_COPY_STATE_*, NOT_APPLICABLE when none
 * @percent_synced: 0..100, floor(100 * regions_synced / regions_total)
 * @sync_maintained: 1 while the pair is kept synchronized
 * @sync_mode: VMIRROR_COPY_TYPE_SYNC (3) or VMIRROR_COPY_TYPE_ASYNC (2)
 * @copy_type: VMIRROR_COPY_TYPE_*
 * @sync_type: VMIRROR_SYNC_TYPE_MIRROR
 * @replica_type: VMIRROR_REPLICA_TYPE_*
 * @copy_priority: VMIRROR_PRIORITY_*
 * @copy_methodology: VMIRROR_COPY_METHOD_*
 * @max_copy_rate: copy rate cap in KiB/s, 0 for none
 * @source_major: the source leg's device number
 * @source_minor: the source leg's device number
 * @target_major: the mirror leg's device number
 * @target_minor: the mirror leg's device number
 * @sync_time_ns: CLOCK_REALTIME of the last synchronization, 0 if never
 * @region_size: bytes
 * @regions_total: number of regions
 * @regions_synced: regions in sync
 * @bytes_copied: bytes the background copy has written to the mirror
 * @copy_rate: recent background copy rate, bytes/s
 * @eta_seconds: estimated seconds to synchronized, -1 when unknown
 * @source_errors: I/O errors seen on the source
 * @mirror_errors: I/O errors seen on the mirror
 * @bytes_zeroed: of @bytes_copied, ranges the copy read as zeroes and
 *	wrote as write-zeroes, or not at all (the mirror read zeroes)
 * @lag_bytes: bytes the mirror may lack of what the host was told is
 *	written (sync_mode async): the size of the regions out of sync
 * @metadata_major: the metadata device's number (metadata_dev), 0:0 if none
 * @metadata_minor: the metadata device's number
 * @metadata_state: VMIRROR_METADATA_*
 * @pad16: zero
 * @pad32: zero
 * @reserved: zero
 */
struct vmirror_status {
	__u32 size;
	__u32 dev_major;
	__u32 dev_minor;
	__u16 copy_state;
	__u16 sync_state;
	__u16 progress_status;
	__u16 requested_copy_state;
	__u16 percent_synced;
	__u16 sync_maintained;
	__u16 sync_mode;
	__u16 copy_type;
	__u16 sync_type;
	__u16 replica_type;
	__u16 copy_priority;
	__u16 copy_methodology;
	__u32 max_copy_rate;
	__u32 source_major;
	__u32 source_minor;
	__u32 target_major;
	__u32 target_minor;
	__u64 sync_time_ns;
	__u64 region_size;
	__u64 regions_total;
	__u64 regions_synced;
	__u64 bytes_copied;
	__u64 copy_rate;
	__s64 eta_seconds;
	__u64 source_errors;
	__u64 mirror_errors;
	__u64 bytes_zeroed;
	__u64 lag_bytes;
	__u32 metadata_major;
	__u32 metadata_minor;
	__u16 metadata_state;
	__u16 pad16;
	__u32 pad32;
	__u64 reserved[2];
};

/* Operations of &struct vmirror_control: the DM messages of the same name. */
#define VMIRROR_OP_ACTIVATE		1
#define VMIRROR_OP_PAUSE		2
#define VMIRROR_OP_RESUME		3
#define VMIRROR_OP_FRACTURE		4
#define VMIRROR_OP_SPLIT		5
#define VMIRROR_OP_RESYNC		6
#define VMIRROR_OP_BREAK		7
#define VMIRROR_OP_CANCEL		8
#define VMIRROR_OP_SET_PRIORITY		9	/* value: VMIRROR_PRIORITY_LOW..HIGH */
#define VMIRROR_OP_SET_MAX_RATE		10	/* value: KiB/s, 0 = no cap */
#define VMIRROR_OP_SET_SYNC_MODE	11	/* value: VMIRROR_COPY_TYPE_SYNC or _ASYNC */

/**
 * struct vmirror_control - VMIRROR_IOC_CONTROL: an operation on one mirror
 * @size: sizeof(struct vmirror_control)
 * @dev_major: major of the DM device
 * @dev_minor: minor of the DM device
 * @op: VMIRROR_OP_*
 * @flags: must be zero
 * @value: the argument of VMIRROR_OP_SET_PRIORITY, _SET_MAX_RATE and
 *	_SET_SYNC_MODE, else 0
 * @reserved: must be zero
 *
 * Needs CAP_SYS_ADMIN.  Errors as for the DM message: -EBUSY when the
 * operation is not legal in the current state.
 */
struct vmirror_control {
	__u32 size;
	__u32 dev_major;
	__u32 dev_minor;
	__u32 op;
	__u32 flags;
	__u32 value;
	__u64 reserved[2];
};

#define VMIRROR_IOC_MAGIC	0xDE

#define VMIRROR_IOC_VERSION	_IOWR(VMIRROR_IOC_MAGIC, 0, struct vmirror_ioc_version)
#define VMIRROR_IOC_LIST	_IOWR(VMIRROR_IOC_MAGIC, 1, struct vmirror_ioc_list)
#define VMIRROR_IOC_STATUS	_IOWR(VMIRROR_IOC_MAGIC, 2, struct vmirror_status)
#define VMIRROR_IOC_CONTROL	_IOW(VMIRROR_IOC_MAGIC, 3, struct vmirror_control)

#endif /* _UAPI_LINUX_DM_VMIRROR_H */
