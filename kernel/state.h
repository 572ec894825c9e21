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
 * @VMIRROR_EV_DIVERGED: a write sent to both disks did not end the same on
 *	both, and neither failed (one refused it or gave up), or a mirror
 *	flush was abandoned: regions are out of sync, so a synchronized pair
 *	must copy them again
 * @VMIRROR_EV_LAST: the highest event, for tables indexed by event
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
	VMIRROR_EV_DIVERGED,
	VMIRROR_EV_LAST = VMIRROR_EV_DIVERGED,
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
 *	(in sync mode), or within the lag bound (in async mode)
 * @mirror_behind: regions are out of sync while synchronized (sync_mode
 *	async, or lag left by a switch from it): the mirror may lack
 *	acknowledged writes, so a failing source is not failed over; set by
 *	the owner before each event
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
	bool mirror_behind;
	u64 sync_time_ns;
};

/**
 * enum vmirror_leg_result - how one disk ended its part of a host bio
 * @VMIRROR_LEG_OK: done
 * @VMIRROR_LEG_REFUSED: not done and nothing written, and not a failure:
 *	the disk does not accept this request (BLK_STS_NOTSUPP, a write-zeroes
 *	it cannot do) or not now (BLK_STS_AGAIN)
 * @VMIRROR_LEG_GAVE_UP: an error on a bio that asked to give up early
 *	(readahead, failfast): says nothing about the disk's health, but what
 *	it wrote is not known
 * @VMIRROR_LEG_FAILED: an I/O error: the disk is failing
 */
enum vmirror_leg_result {
	VMIRROR_LEG_OK,
	VMIRROR_LEG_REFUSED,
	VMIRROR_LEG_GAVE_UP,
	VMIRROR_LEG_FAILED,
};

/**
 * struct vmirror_write_done - what the completion of a write sent to both
 *	disks does, from vmirror_state_write_done()
 * @host_mirror: the host gets the mirror's status, not the source's: the
 *	mirror is the only disk that serves reads now (failedover)
 * @unsync: the write's region (every region, for a flush) is no longer in
 *	sync; the state no longer says synchronized
 * @changed: the state changed, by @ev
 * @ev: the event applied (meaningful if @changed)
 */
struct vmirror_write_done {
	bool host_mirror;
	bool unsync;
	bool changed;
	enum vmirror_event ev;
};

/**
 * vmirror_state_init() - the state of a freshly loaded association
 * @st: the state
 * @no_activation: wait for the "activate" message before copying
 */
void vmirror_state_init(struct vmirror_state *st, bool no_activation);

/**
 * vmirror_state_restore() - the state of an association read back from
 *	its metadata
 * @st: the state, as vmirror_state_init() left it
 * @copy_state: the recorded VMIRROR_COPY_STATE_*
 * @resyncing: the recorded copy was a resync
 * @paused: the recorded copy was paused
 * @all_synced: every region is recorded in sync
 * @sync_time_ns: the recorded time of the last synchronization
 *
 * A pair recorded synchronized with regions out of sync (after a crash)
 * comes back resyncing them; any other state comes back as recorded.
 *
 * Return: true if the association was activated (not initialized).
 */
bool vmirror_state_restore(struct vmirror_state *st, u16 copy_state,
			   bool resyncing, bool paused, bool all_synced,
			   u64 sync_time_ns);

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
 * vmirror_state_write_done() - a write sent to both disks has completed
 * @st: the state
 * @src: how the source ended it
 * @mir: how the mirror ended it
 * @flush: it was a flush: it carries no data, and one that did not succeed
 *	(whatever the error) may have lost any write since the last one
 * @now_ns: CLOCK_REALTIME now
 * @done: filled in: where the host's status comes from and whether the
 *	region stays in sync
 *
 * The error policy of Documentation/vmirror.rst in one place.  A failed
 * mirror breaks the pair; a failed source with a good mirror fails over
 * (if synchronized); legs that end differently otherwise only put the
 * region out of sync (a synchronized pair goes back to copying it).  The
 * state changes before the region loses its status, so a synchronized
 * pair never has a region out of sync.
 */
void vmirror_state_write_done(struct vmirror_state *st,
			      enum vmirror_leg_result src,
			      enum vmirror_leg_result mir, bool flush,
			      u64 now_ns, struct vmirror_write_done *done);

/**
 * vmirror_state_copy_state() - CopyState as reported
 * @st: the state
 *
 * Return: the VMIRROR_COPY_STATE_* value.
 */
u16 vmirror_state_copy_state(const struct vmirror_state *st);

/**
 * vmirror_state_sync_state() - SyncState as reported
 * @st: the state
 *
 * Return: the VMIRROR_SYNC_STATE_* value.
 */
u16 vmirror_state_sync_state(const struct vmirror_state *st);

/**
 * vmirror_state_progress() - ProgressStatus as reported
 * @st: the state
 *
 * Return: the VMIRROR_PROGRESS_* value.
 */
u16 vmirror_state_progress(const struct vmirror_state *st);

/**
 * vmirror_state_copying() - whether the background copy should run now
 * @st: the state
 *
 * Return: true in the copying states, not paused or suspended.
 */
bool vmirror_state_copying(const struct vmirror_state *st);

/**
 * vmirror_state_io_mode() - where host I/O goes in this state
 * @st: the state
 *
 * Return: the &enum vmirror_io_mode.
 */
enum vmirror_io_mode vmirror_state_io_mode(const struct vmirror_state *st);

/**
 * vmirror_state_async_writes() - whether sync_mode async may route a host
 *	write to the source alone in this state
 * @st: the state
 *
 * Only a synchronized pair whose mirror is written by the host lags: a
 * first copy or a resync writes copied regions to both disks (so it
 * converges under any write load), and once the mirror is the disk
 * (failedover) or is not written, no write may miss it.  A split still
 * quiescing is synchronized: the caller drains the lag for it.
 *
 * Return: true if async writes are allowed.
 */
bool vmirror_state_async_writes(const struct vmirror_state *st);

/**
 * vmirror_state_methodology() - CopyMethodology as reported
 * @st: the state
 *
 * Return: the VMIRROR_COPY_METHOD_* value.
 */
u16 vmirror_state_methodology(const struct vmirror_state *st);

/**
 * vmirror_event_name() - a word for an event, for log messages
 * @ev: the event
 *
 * Return: a static string, "unknown" for a value out of range.
 */
const char *vmirror_event_name(enum vmirror_event ev);

#endif /* DM_VMIRROR_STATE_H */
