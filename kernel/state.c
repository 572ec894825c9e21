// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MSFT_VirtualDiskToVirtualDisk state machine of dm-vmirror.
 *
 *   load -> initialized -activate-> unsynchronized -synced-> synchronized
 *   unsynchronized: pause/resume (progress dormant)
 *   synchronized -fracture-> fractured, -split-> split, -break-> failedover
 *   fractured, split, broken, aborted -resync-> unsynchronized (resyncing)
 *   anything before break -cancel-> aborted
 *   a mirror write error while the mirror is written -> broken
 *   unsynchronized -copy_failed (source unreadable)-> broken
 *   synchronized -source_failed-> failedover (the mirror has every write)
 *   synchronized -diverged (a write ended differently on the disks)->
 *	unsynchronized (resyncing that region)
 *   DM suspend: reported as suspended until DM resume
 *
 * See Documentation/vmirror.rst for the full table.
 */

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/types.h>

#include "../uapi/linux/dm-vmirror.h"
#include "state.h"

void vmirror_state_init(struct vmirror_state *st, bool no_activation)
{
	*st = (struct vmirror_state) {
		.copy_state = VMIRROR_COPY_STATE_INITIALIZED,
		.requested_copy_state = VMIRROR_COPY_STATE_NOT_APPLICABLE,
		.requires_activate = no_activation,
	};
}

bool vmirror_state_restore(struct vmirror_state *st, u16 copy_state,
			   bool resyncing, bool paused, bool all_synced,
			   u64 sync_time_ns)
{
	st->sync_time_ns = sync_time_ns;
	switch (copy_state) {
	case VMIRROR_COPY_STATE_INITIALIZED:
		return false;
	case VMIRROR_COPY_STATE_SYNCHRONIZED:
		if (all_synced) {
			st->copy_state = copy_state;
			st->sync_maintained = true;
			break;
		}
		resyncing = true;
		paused = false;
		fallthrough;
	case VMIRROR_COPY_STATE_UNSYNCHRONIZED:
		st->copy_state = VMIRROR_COPY_STATE_UNSYNCHRONIZED;
		st->requested_copy_state = VMIRROR_COPY_STATE_SYNCHRONIZED;
		st->resyncing = resyncing;
		st->paused = paused;
		break;
	default:
		st->copy_state = copy_state;
		break;
	}
	st->requires_activate = false;
	return true;
}

static int vmirror_state_activate(struct vmirror_state *st)
{
	if (st->copy_state != VMIRROR_COPY_STATE_INITIALIZED)
		return -EBUSY;
	st->copy_state = VMIRROR_COPY_STATE_UNSYNCHRONIZED;
	st->requested_copy_state = VMIRROR_COPY_STATE_SYNCHRONIZED;
	st->requires_activate = false;
	return 0;
}

static int vmirror_state_synced(struct vmirror_state *st, u64 now_ns)
{
	if (st->copy_state != VMIRROR_COPY_STATE_UNSYNCHRONIZED)
		return -EBUSY;
	st->copy_state = VMIRROR_COPY_STATE_SYNCHRONIZED;
	st->requested_copy_state = VMIRROR_COPY_STATE_NOT_APPLICABLE;
	st->sync_maintained = true;
	st->sync_time_ns = now_ns;
	st->paused = false;
	st->resyncing = false;
	return 0;
}

/*
 * Leave synchronized for a state in which the mirror is not written.  A
 * pivot (break) and a split need a mirror that holds every acknowledged
 * write: not while it lags behind (async mode drains the lag first).
 */
static int vmirror_state_detach(struct vmirror_state *st, u16 to)
{
	if (st->copy_state != VMIRROR_COPY_STATE_SYNCHRONIZED || st->splitting)
		return -EBUSY;
	if (st->mirror_behind && to != VMIRROR_COPY_STATE_FRACTURED)
		return -EBUSY;
	st->copy_state = to;
	st->requested_copy_state = VMIRROR_COPY_STATE_NOT_APPLICABLE;
	st->sync_maintained = false;
	return 0;
}

static int vmirror_state_split(struct vmirror_state *st, bool done)
{
	if (!done) {
		if (st->copy_state != VMIRROR_COPY_STATE_SYNCHRONIZED ||
		    st->splitting)
			return -EBUSY;
		st->splitting = true;
		st->requested_copy_state = VMIRROR_COPY_STATE_SPLIT;
		return 0;
	}
	if (!st->splitting)
		return -EBUSY;
	st->splitting = false;
	if (st->copy_state != VMIRROR_COPY_STATE_SYNCHRONIZED) {
		/* Something else (a mirror error) won meanwhile. */
		st->requested_copy_state = VMIRROR_COPY_STATE_NOT_APPLICABLE;
		return -EBUSY;
	}
	return vmirror_state_detach(st, VMIRROR_COPY_STATE_SPLIT);
}

static int vmirror_state_resync(struct vmirror_state *st)
{
	switch (st->copy_state) {
	case VMIRROR_COPY_STATE_FRACTURED:
	case VMIRROR_COPY_STATE_SPLIT:
	case VMIRROR_COPY_STATE_BROKEN:
	case VMIRROR_COPY_STATE_ABORTED:
		break;
	default:
		return -EBUSY;
	}
	st->copy_state = VMIRROR_COPY_STATE_UNSYNCHRONIZED;
	st->requested_copy_state = VMIRROR_COPY_STATE_SYNCHRONIZED;
	st->resyncing = true;
	st->paused = false;
	return 0;
}

static int vmirror_state_cancel(struct vmirror_state *st)
{
	if (st->copy_state == VMIRROR_COPY_STATE_FAILEDOVER ||
	    st->copy_state == VMIRROR_COPY_STATE_ABORTED)
		return -EBUSY;
	st->copy_state = VMIRROR_COPY_STATE_ABORTED;
	st->requested_copy_state = VMIRROR_COPY_STATE_NOT_APPLICABLE;
	st->sync_maintained = false;
	st->requires_activate = false;
	st->paused = false;
	st->splitting = false;
	st->resyncing = false;
	return 0;
}

static int vmirror_state_pause(struct vmirror_state *st, bool pause)
{
	if (st->copy_state != VMIRROR_COPY_STATE_UNSYNCHRONIZED)
		return -EBUSY;
	if (st->paused == pause)
		return -EBUSY;
	st->paused = pause;
	return 0;
}

static int vmirror_state_mirror_failed(struct vmirror_state *st)
{
	/* Only a mirror that is being written can break. */
	if (vmirror_state_io_mode(st) != VMIRROR_IO_MIRRORED)
		return -EALREADY;
	st->copy_state = VMIRROR_COPY_STATE_BROKEN;
	st->requested_copy_state = VMIRROR_COPY_STATE_NOT_APPLICABLE;
	st->sync_maintained = false;
	st->paused = false;
	st->splitting = false;
	st->resyncing = false;
	return 0;
}

/*
 * A copy pass could not read some regions: it cannot finish by itself,
 * nor catch up with the lag of a synchronized pair (async mode).
 */
static int vmirror_state_copy_failed(struct vmirror_state *st)
{
	if (st->copy_state != VMIRROR_COPY_STATE_UNSYNCHRONIZED &&
	    !(st->copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED &&
	      st->mirror_behind))
		return -EBUSY;
	return vmirror_state_mirror_failed(st);
}

/*
 * The source failed an I/O.  Only while synchronized, and not behind (sync
 * mode async), does the mirror hold every acknowledged write (and take
 * every new one), so only then may it take the source's place.  A split in progress is abandoned.
 */
static int vmirror_state_source_failed(struct vmirror_state *st)
{
	if (st->copy_state == VMIRROR_COPY_STATE_FAILEDOVER)
		return -EALREADY;
	if (st->copy_state != VMIRROR_COPY_STATE_SYNCHRONIZED ||
	    st->mirror_behind)
		return -EBUSY;
	st->copy_state = VMIRROR_COPY_STATE_FAILEDOVER;
	st->requested_copy_state = VMIRROR_COPY_STATE_NOT_APPLICABLE;
	st->sync_maintained = false;
	st->splitting = false;
	return 0;
}

/*
 * A write ended differently on the two disks although neither failed:
 * its region must be copied again.  A synchronized pair goes back to
 * copying; any other state copies it at its next resync anyway.
 */
static int vmirror_state_diverged(struct vmirror_state *st)
{
	if (st->copy_state != VMIRROR_COPY_STATE_SYNCHRONIZED)
		return -EALREADY;
	st->copy_state = VMIRROR_COPY_STATE_UNSYNCHRONIZED;
	st->requested_copy_state = VMIRROR_COPY_STATE_SYNCHRONIZED;
	st->sync_maintained = false;
	st->resyncing = true;
	st->splitting = false;
	return 0;
}

static int vmirror_state_dm_suspend(struct vmirror_state *st, bool suspend)
{
	if (st->dm_suspended == suspend)
		return -EALREADY;
	st->dm_suspended = suspend;
	return 0;
}

int vmirror_state_apply(struct vmirror_state *st, enum vmirror_event ev,
			u64 now_ns)
{
	switch (ev) {
	case VMIRROR_EV_ACTIVATE:
		return vmirror_state_activate(st);
	case VMIRROR_EV_SYNCED:
		return vmirror_state_synced(st, now_ns);
	case VMIRROR_EV_PAUSE:
		return vmirror_state_pause(st, true);
	case VMIRROR_EV_RESUME:
		return vmirror_state_pause(st, false);
	case VMIRROR_EV_MIRROR_FAILED:
		return vmirror_state_mirror_failed(st);
	case VMIRROR_EV_DM_SUSPEND:
		return vmirror_state_dm_suspend(st, true);
	case VMIRROR_EV_DM_RESUME:
		return vmirror_state_dm_suspend(st, false);
	case VMIRROR_EV_FRACTURE:
		return vmirror_state_detach(st, VMIRROR_COPY_STATE_FRACTURED);
	case VMIRROR_EV_SPLIT_BEGIN:
		return vmirror_state_split(st, false);
	case VMIRROR_EV_SPLIT_DONE:
		return vmirror_state_split(st, true);
	case VMIRROR_EV_SPLIT_ABORT:
		if (!st->splitting)
			return -EBUSY;
		st->splitting = false;
		st->requested_copy_state = VMIRROR_COPY_STATE_NOT_APPLICABLE;
		return 0;
	case VMIRROR_EV_RESYNC:
		return vmirror_state_resync(st);
	case VMIRROR_EV_BREAK:
		return vmirror_state_detach(st, VMIRROR_COPY_STATE_FAILEDOVER);
	case VMIRROR_EV_CANCEL:
		return vmirror_state_cancel(st);
	case VMIRROR_EV_COPY_FAILED:
		return vmirror_state_copy_failed(st);
	case VMIRROR_EV_SOURCE_FAILED:
		return vmirror_state_source_failed(st);
	case VMIRROR_EV_DIVERGED:
		return vmirror_state_diverged(st);
	}
	return -EINVAL;
}

void vmirror_state_write_done(struct vmirror_state *st,
			      enum vmirror_leg_result src,
			      enum vmirror_leg_result mir, bool flush,
			      u64 now_ns, struct vmirror_write_done *done)
{
	bool same, diverged;
	int ev = -1;

	/* A flush that did not succeed may have lost any write before it. */
	if (flush) {
		src = src == VMIRROR_LEG_OK ? src : VMIRROR_LEG_FAILED;
		mir = mir == VMIRROR_LEG_OK ? mir : VMIRROR_LEG_FAILED;
	}
	/* Both did it, or both refused it before writing anything. */
	same = src == mir &&
	       (src == VMIRROR_LEG_OK || src == VMIRROR_LEG_REFUSED);
	/* A flush moves no data: only a failed mirror flush loses writes. */
	diverged = flush ? mir == VMIRROR_LEG_FAILED : !same;

	*done = (struct vmirror_write_done) { };
	if (mir == VMIRROR_LEG_FAILED)
		ev = VMIRROR_EV_MIRROR_FAILED;
	else if (src == VMIRROR_LEG_FAILED && mir == VMIRROR_LEG_OK)
		ev = VMIRROR_EV_SOURCE_FAILED;
	else if (diverged)
		ev = VMIRROR_EV_DIVERGED;
	if (ev >= 0) {
		done->ev = ev;
		done->changed = !vmirror_state_apply(st, ev, now_ns);
	}

	/*
	 * failedover, by this event or by break or a failover before it
	 * completed: the mirror is the disk, its status is the host's, and
	 * the region map is no longer used.
	 */
	if (vmirror_state_io_mode(st) == VMIRROR_IO_MIRROR_ONLY) {
		done->host_mirror = true;
		return;
	}
	done->unsync = diverged;
}

bool vmirror_state_async_writes(const struct vmirror_state *st)
{
	return st->copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED &&
	       vmirror_state_io_mode(st) == VMIRROR_IO_MIRRORED;
}

u16 vmirror_state_copy_state(const struct vmirror_state *st)
{
	return st->dm_suspended ? VMIRROR_COPY_STATE_SUSPENDED : st->copy_state;
}

u16 vmirror_state_sync_state(const struct vmirror_state *st)
{
	if (st->dm_suspended)
		return VMIRROR_SYNC_STATE_FROZEN;
	if (st->splitting)
		return VMIRROR_SYNC_STATE_QUIESCE_IN_PROGRESS;

	switch (st->copy_state) {
	case VMIRROR_COPY_STATE_UNSYNCHRONIZED:
		return VMIRROR_SYNC_STATE_RESYNC_IN_PROGRESS;
	case VMIRROR_COPY_STATE_SYNCHRONIZED:
		return VMIRROR_SYNC_STATE_SYNCHRONIZED;
	case VMIRROR_COPY_STATE_BROKEN:
		return VMIRROR_SYNC_STATE_BROKEN;
	case VMIRROR_COPY_STATE_FRACTURED:
	case VMIRROR_COPY_STATE_SPLIT:
		return VMIRROR_SYNC_STATE_FRACTURED;
	case VMIRROR_COPY_STATE_ABORTED:
	case VMIRROR_COPY_STATE_FAILEDOVER:
		return VMIRROR_SYNC_STATE_IDLE;
	default:
		return VMIRROR_SYNC_STATE_INITIALIZED;
	}
}

u16 vmirror_state_progress(const struct vmirror_state *st)
{
	if (st->dm_suspended || st->paused)
		return VMIRROR_PROGRESS_DORMANT;
	if (st->splitting)
		return VMIRROR_PROGRESS_SPLITTING;

	switch (st->copy_state) {
	case VMIRROR_COPY_STATE_INITIALIZED:
		return st->requires_activate ? VMIRROR_PROGRESS_REQUIRES_ACTIVATE :
					       VMIRROR_PROGRESS_INITIALIZING;
	case VMIRROR_COPY_STATE_UNSYNCHRONIZED:
		return st->resyncing ? VMIRROR_PROGRESS_RESYNCING :
				       VMIRROR_PROGRESS_SYNCHRONIZING;
	case VMIRROR_COPY_STATE_SYNCHRONIZED:
	case VMIRROR_COPY_STATE_FAILEDOVER:
		return VMIRROR_PROGRESS_COMPLETED;
	case VMIRROR_COPY_STATE_BROKEN:
	case VMIRROR_COPY_STATE_FRACTURED:
	case VMIRROR_COPY_STATE_SPLIT:
	case VMIRROR_COPY_STATE_ABORTED:
		return VMIRROR_PROGRESS_REQUIRES_RESYNC;
	default:
		return VMIRROR_PROGRESS_UNKNOWN;
	}
}

bool vmirror_state_copying(const struct vmirror_state *st)
{
	return st->copy_state == VMIRROR_COPY_STATE_UNSYNCHRONIZED &&
	       !st->paused && !st->dm_suspended;
}

enum vmirror_io_mode vmirror_state_io_mode(const struct vmirror_state *st)
{
	switch (st->copy_state) {
	case VMIRROR_COPY_STATE_BROKEN:
	case VMIRROR_COPY_STATE_FRACTURED:
	case VMIRROR_COPY_STATE_SPLIT:
	case VMIRROR_COPY_STATE_ABORTED:
		return VMIRROR_IO_SOURCE_TRACKED;
	case VMIRROR_COPY_STATE_FAILEDOVER:
		return VMIRROR_IO_MIRROR_ONLY;
	default:
		return VMIRROR_IO_MIRRORED;
	}
}

u16 vmirror_state_methodology(const struct vmirror_state *st)
{
	if (st->copy_state == VMIRROR_COPY_STATE_UNSYNCHRONIZED && st->resyncing)
		return VMIRROR_COPY_METHOD_INCREMENTAL_COPY;
	return VMIRROR_COPY_METHOD_FULL_COPY;
}

const char *vmirror_event_name(enum vmirror_event ev)
{
	static const char * const names[] = {
		[VMIRROR_EV_ACTIVATE] = "activate",
		[VMIRROR_EV_SYNCED] = "synced",
		[VMIRROR_EV_PAUSE] = "pause",
		[VMIRROR_EV_RESUME] = "resume",
		[VMIRROR_EV_MIRROR_FAILED] = "mirror_failed",
		[VMIRROR_EV_DM_SUSPEND] = "dm_suspend",
		[VMIRROR_EV_DM_RESUME] = "dm_resume",
		[VMIRROR_EV_FRACTURE] = "fracture",
		[VMIRROR_EV_SPLIT_BEGIN] = "split",
		[VMIRROR_EV_SPLIT_DONE] = "split_done",
		[VMIRROR_EV_SPLIT_ABORT] = "split_abort",
		[VMIRROR_EV_RESYNC] = "resync",
		[VMIRROR_EV_BREAK] = "break",
		[VMIRROR_EV_CANCEL] = "cancel",
		[VMIRROR_EV_COPY_FAILED] = "copy_failed",
		[VMIRROR_EV_SOURCE_FAILED] = "source_failed",
		[VMIRROR_EV_DIVERGED] = "diverged",
	};

	if ((unsigned int)ev >= ARRAY_SIZE(names) || !names[ev])
		return "unknown";
	return names[ev];
}
