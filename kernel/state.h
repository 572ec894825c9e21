/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The MSFT_VirtualDiskToVirtualDisk state machine of dm-vmirror.
 *
 * One struct holds the primary state; CopyState, SyncState and
 * ProgressStatus as reported are derived from it, so they can never
 * disagree.  Every change goes through vmirror_state_apply().  Pure logic:
 * the caller serialises calls and raises the notifications.
 */
#ifndef DM_VMIRROR_STATE_H
#define DM_VMIRROR_STATE_H

#include <linux/types.h>

#include "state-names.h"

/**
 * enum vmirror_event - what can happen to an association
 * @VMIRROR_EV_ACTIVATE: start copying (first resume, or "activate" after
 *	no_activation)
 * @VMIRROR_EV_SYNCED: the copier has every region in sync
 * @VMIRROR_EV_PAUSE: the user pauses the copy ("pause")
 * @VMIRROR_EV_RESUME: the user resumes a paused copy ("resume")
 * @VMIRROR_EV_MIRROR_FAILED: a write to the mirror failed
 * @VMIRROR_EV_DM_SUSPEND: the DM device is suspended
 * @VMIRROR_EV_DM_RESUME: the DM device is resumed
 * @VMIRROR_EV_FRACTURE: stop writing the mirror, track changed regions
 * @VMIRROR_EV_SPLIT_BEGIN: start quiescing for a split
 * @VMIRROR_EV_SPLIT_DONE: quiesced and flushed: the mirror is split off
 * @VMIRROR_EV_SPLIT_ABORT: the split could not flush: stay synchronized
 * @VMIRROR_EV_RESYNC: copy the regions changed since fracture/split/...
 * @VMIRROR_EV_BREAK: pivot: all I/O goes to the mirror alone
 * @VMIRROR_EV_CANCEL: stop mirroring, keep the source
 * @VMIRROR_EV_COPY_FAILED: a copy pass ended with regions it could not
 *	read from the source
 * @VMIRROR_EV_SOURCE_FAILED: an I/O to the source failed while the mirror
 *	holds every acknowledged write: fail over to the mirror
 */
enum vmirror_event {
	VMIRROR_EV_ACTIVATE,
	VMIRROR_EV_SYNCED,
	VMIRROR_EV_PAUSE,
	VMIRROR_EV_RESUME,
	VMIRROR_EV_MIRROR_FAILED,
	VMIRROR_EV_DM_SUSPEND,
	VMIRROR_EV_DM_RESUME,
	VMIRROR_EV_FRACTURE,
	VMIRROR_EV_SPLIT_BEGIN,
	VMIRROR_EV_SPLIT_DONE,
	VMIRROR_EV_SPLIT_ABORT,
	VMIRROR_EV_RESYNC,
	VMIRROR_EV_BREAK,
	VMIRROR_EV_CANCEL,
	VMIRROR_EV_COPY_FAILED,
	VMIRROR_EV_SOURCE_FAILED,
};

/**
 * enum vmirror_io_mode - where host I/O goes
 * @VMIRROR_IO_MIRRORED: reads from the source, writes to both (as the
 *	region map routes them)
 * @VMIRROR_IO_SOURCE_TRACKED: the mirror is not written; every region a
 *	write touches is no longer in sync (fractured, split, broken, aborted)
 * @VMIRROR_IO_MIRROR_ONLY: reads and writes go to the mirror alone
 *	(failedover: after break, or after the source failed)
 */
enum vmirror_io_mode {
	VMIRROR_IO_MIRRORED,
	VMIRROR_IO_SOURCE_TRACKED,
	VMIRROR_IO_MIRROR_ONLY,
};

/**
 * struct vmirror_state - primary state of one association
 * @copy_state: VMIRROR_COPY_STATE_* apart from SUSPENDED (a flag below)
 * @requested_copy_state: the state an accepted operation drives to, or
 *	VMIRROR_COPY_STATE_NOT_APPLICABLE
 * @requires_activate: loaded with no_activation and not activated yet
 * @resyncing: the copy in progress is a resync of tracked regions
 * @splitting: a split is quiescing writes
 * @paused: the copy is paused by the user
 * @dm_suspended: the DM device is suspended
 * @sync_maintained: the pair is synchronized and kept so by every write
 * @sync_time_ns: CLOCK_REALTIME of the last synchronization, 0 if never
 */
struct vmirror_state {
	u16 copy_state;
	u16 requested_copy_state;
	bool requires_activate;
	bool resyncing;
	bool splitting;
	bool paused;
	bool dm_suspended;
	bool sync_maintained;
	u64 sync_time_ns;
};

/**
 * vmirror_state_init() - the state of a freshly loaded association
 * @st: the state
 * @no_activation: wait for the "activate" message before copying
 */
void vmirror_state_init(struct vmirror_state *st, bool no_activation);

/**
 * vmirror_state_apply() - validate and apply an event
 * @st: the state
 * @ev: the event
 * @now_ns: CLOCK_REALTIME now, recorded as sync time on synchronization
 *
 * Return: 0 when the state changed, -EBUSY when @ev is not legal in the
 * current state (nothing changed), -EALREADY when it is legal but changes
 * nothing (e.g. a second suspend).
 */
int vmirror_state_apply(struct vmirror_state *st, enum vmirror_event ev,
			u64 now_ns);

/**
 * vmirror_state_copy_state() - CopyState as reported
 * @st: the state
 */
u16 vmirror_state_copy_state(const struct vmirror_state *st);

/**
 * vmirror_state_sync_state() - SyncState as reported
 * @st: the state
 */
u16 vmirror_state_sync_state(const struct vmirror_state *st);

/**
 * vmirror_state_progress() - ProgressStatus as reported
 * @st: the state
 */
u16 vmirror_state_progress(const struct vmirror_state *st);

/**
 * vmirror_state_copying() - whether the background copy should run now
 * @st: the state
 */
bool vmirror_state_copying(const struct vmirror_state *st);

/**
 * vmirror_state_io_mode() - where host I/O goes in this state
 * @st: the state
 */
enum vmirror_io_mode vmirror_state_io_mode(const struct vmirror_state *st);

/**
 * vmirror_state_methodology() - CopyMethodology as reported
 * @st: the state
 */
u16 vmirror_state_methodology(const struct vmirror_state *st);

/**
 * vmirror_event_name() - a word for an event, for log messages
 * @ev: the event
 */
const char *vmirror_event_name(enum vmirror_event ev);

#endif /* DM_VMIRROR_STATE_H */
