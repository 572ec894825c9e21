// SPDX-License-Identifier: GPL-2.0-only
/*
 * The words of the state numbers of uapi/linux/dm-vmirror.h, as shown by
 * "dmsetup status" and sysfs: MSFT value names in lower case, '_' for
 * spaces and hyphens.  Built into the module and into vmirrorctl, so the
 * two cannot disagree: plain C, no kernel-only headers.
 */

#ifdef __KERNEL__
#include <linux/kernel.h>
#else
#include <stddef.h>
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#include "../uapi/linux/dm-vmirror.h"
#include "state-names.h"

static const char *vmirror_name(const char * const *names, size_t nr,
				unsigned int v)
{
	return v < nr && names[v] ? names[v] : "unknown";
}

const char *vmirror_copy_state_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_COPY_STATE_INITIALIZED] = "initialized",
		[VMIRROR_COPY_STATE_UNSYNCHRONIZED] = "unsynchronized",
		[VMIRROR_COPY_STATE_SYNCHRONIZED] = "synchronized",
		[VMIRROR_COPY_STATE_BROKEN] = "broken",
		[VMIRROR_COPY_STATE_FRACTURED] = "fractured",
		[VMIRROR_COPY_STATE_SPLIT] = "split",
		[VMIRROR_COPY_STATE_INACTIVE] = "inactive",
		[VMIRROR_COPY_STATE_SUSPENDED] = "suspended",
		[VMIRROR_COPY_STATE_FAILEDOVER] = "failedover",
		[VMIRROR_COPY_STATE_PREPARED] = "prepared",
		[VMIRROR_COPY_STATE_ABORTED] = "aborted",
		[VMIRROR_COPY_STATE_SKEWED] = "skewed",
		[VMIRROR_COPY_STATE_NOT_APPLICABLE] = "not_applicable",
	};

	return vmirror_name(names, ARRAY_SIZE(names), v);
}

const char *vmirror_sync_state_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_SYNC_STATE_INITIALIZED] = "initialized",
		[VMIRROR_SYNC_STATE_PREPARE_IN_PROGRESS] = "prepare_in_progress",
		[VMIRROR_SYNC_STATE_PREPARED] = "prepared",
		[VMIRROR_SYNC_STATE_RESYNC_IN_PROGRESS] = "resync_in_progress",
		[VMIRROR_SYNC_STATE_SYNCHRONIZED] = "synchronized",
		[VMIRROR_SYNC_STATE_FRACTURE_IN_PROGRESS] = "fracture_in_progress",
		[VMIRROR_SYNC_STATE_QUIESCE_IN_PROGRESS] = "quiesce_in_progress",
		[VMIRROR_SYNC_STATE_QUIESCED] = "quiesced",
		[VMIRROR_SYNC_STATE_RESTORE_IN_PROGRESS] = "restore_in_progress",
		[VMIRROR_SYNC_STATE_IDLE] = "idle",
		[VMIRROR_SYNC_STATE_BROKEN] = "broken",
		[VMIRROR_SYNC_STATE_FRACTURED] = "fractured",
		[VMIRROR_SYNC_STATE_FROZEN] = "frozen",
		[VMIRROR_SYNC_STATE_COPY_IN_PROGRESS] = "copy_in_progress",
	};

	return vmirror_name(names, ARRAY_SIZE(names), v);
}

const char *vmirror_progress_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_PROGRESS_UNKNOWN] = "unknown",
		[VMIRROR_PROGRESS_COMPLETED] = "completed",
		[VMIRROR_PROGRESS_DORMANT] = "dormant",
		[VMIRROR_PROGRESS_INITIALIZING] = "initializing",
		[VMIRROR_PROGRESS_PREPARING] = "preparing",
		[VMIRROR_PROGRESS_SYNCHRONIZING] = "synchronizing",
		[VMIRROR_PROGRESS_RESYNCING] = "resyncing",
		[VMIRROR_PROGRESS_RESTORING] = "restoring",
		[VMIRROR_PROGRESS_FRACTURING] = "fracturing",
		[VMIRROR_PROGRESS_SPLITTING] = "splitting",
		[VMIRROR_PROGRESS_FAILING_OVER] = "failing_over",
		[VMIRROR_PROGRESS_FAILING_BACK] = "failing_back",
		[VMIRROR_PROGRESS_ABORTING] = "aborting",
		[VMIRROR_PROGRESS_MIXED] = "mixed",
		[VMIRROR_PROGRESS_NOT_APPLICABLE] = "not_applicable",
		[VMIRROR_PROGRESS_SUSPENDING] = "suspending",
		[VMIRROR_PROGRESS_REQUIRES_FRACTURE] = "requires_fracture",
		[VMIRROR_PROGRESS_REQUIRES_RESYNC] = "requires_resync",
		[VMIRROR_PROGRESS_REQUIRES_ACTIVATE] = "requires_activate",
		[VMIRROR_PROGRESS_PENDING] = "pending",
		[VMIRROR_PROGRESS_DETACHING] = "detaching",
	};

	return vmirror_name(names, ARRAY_SIZE(names), v);
}

const char *vmirror_priority_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_PRIORITY_NOT_MANAGED] = "not_managed",
		[VMIRROR_PRIORITY_LOW] = "low",
		[VMIRROR_PRIORITY_SAME] = "same",
		[VMIRROR_PRIORITY_HIGH] = "high",
	};

	return vmirror_name(names, ARRAY_SIZE(names), v);
}

const char *vmirror_copy_type_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_COPY_TYPE_ASYNC] = "async",
		[VMIRROR_COPY_TYPE_SYNC] = "sync",
		[VMIRROR_COPY_TYPE_UNSYNC_ASSOC] = "unsync_assoc",
		[VMIRROR_COPY_TYPE_UNSYNC_UNASSOC] = "unsync_unassoc",
	};

	return vmirror_name(names, ARRAY_SIZE(names), v);
}

const char *vmirror_sync_type_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_SYNC_TYPE_MIRROR] = "mirror",
		[VMIRROR_SYNC_TYPE_SNAPSHOT] = "snapshot",
		[VMIRROR_SYNC_TYPE_CLONE] = "clone",
	};

	return vmirror_name(names, ARRAY_SIZE(names), v);
}

const char *vmirror_replica_type_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_REPLICA_TYPE_NOT_SPECIFIED] = "not_specified",
		[VMIRROR_REPLICA_TYPE_FULL_COPY] = "full_copy",
		[VMIRROR_REPLICA_TYPE_BEFORE_DELTA] = "before_delta",
		[VMIRROR_REPLICA_TYPE_AFTER_DELTA] = "after_delta",
		[VMIRROR_REPLICA_TYPE_LOG] = "log",
	};

	return vmirror_name(names, ARRAY_SIZE(names), v);
}

const char *vmirror_methodology_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_COPY_METHOD_NOT_SPECIFIED] = "not_specified",
		[VMIRROR_COPY_METHOD_OTHER] = "other",
		[VMIRROR_COPY_METHOD_IMPLEMENTATION_DECIDES] = "implementation_decides",
		[VMIRROR_COPY_METHOD_FULL_COPY] = "full_copy",
		[VMIRROR_COPY_METHOD_INCREMENTAL_COPY] = "incremental_copy",
		[VMIRROR_COPY_METHOD_DIFFERENTIAL_COPY] = "differential_copy",
		[VMIRROR_COPY_METHOD_COPY_ON_WRITE] = "copy_on_write",
		[VMIRROR_COPY_METHOD_COPY_ON_ACCESS] = "copy_on_access",
		[VMIRROR_COPY_METHOD_DELTA_UPDATE] = "delta_update",
		[VMIRROR_COPY_METHOD_SNAP_AND_CLONE] = "snap_and_clone",
	};

	return vmirror_name(names, ARRAY_SIZE(names), v);
}
