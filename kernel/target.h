/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vmirror: the target instance, shared by the three files of the
 * target and by no other: vmirror-io.c (the state changes and the bio
 * path), vmirror-ops.c (status and operations) and vmirror-target.c (the
 * device-mapper glue).  They depend on each other one way: io <- ops <-
 * target.
 *
 * Lock order, outermost first (Documentation/vmirror.rst, "Locking"):
 *
 *   DM's md->suspend_lock (preresume, resume, presuspend)
 *     vmirror_devs_lock (dev.c)
 *       dev->lock (dev.c)
 *         vmirror->op_lock (operations; held across their killable waits)
 *           vmirror->md_lock (metadata commits, which sleep)
 *             vmirror->state_lock (spinlock, irq-safe)
 *               region map stripe locks (region-map.c)
 *             intent->lock (intent.c, irq-safe; never with state_lock)
 *               region map stripe locks
 *
 *   vmirror->op_lock -> copier->lock (copier_set_map() at take-over)
 *   copier->lock -> region map stripe locks, -> copier_stale_lock (copier.c)
 *   vmirror->retry_lock, copier->rate_lock: leaves
 *
 * Stripe locks are never nested: a write spanning regions
 * (region_map_write_begin_range(), region_map_write_end()) takes them one
 * after the other.
 *
 * DM's live-table SRCU read section is held across ->message, and a table
 * swap waits for it: an operation that waits on a leg holds a reload for
 * that long (its waits are killable).  The copier thread takes state_lock
 * (through its copier_ops) with no lock of its own held.
 */
#ifndef DM_VMIRROR_TARGET_H
#define DM_VMIRROR_TARGET_H

#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "args.h"
#include "compat.h"
#include "copier.h"
#include "dev.h"
#include "intent.h"
#include "metadata.h"
#include "region-map.h"
#include "state.h"
#include "vmirror.h"

#define DM_MSG_PREFIX "vmirror"

/*
 * sync_mode async: the lag bound.  While the regions out of sync add up
 * to less than this, a host write to a region in sync completes on the
 * source alone; at the bound it goes to both disks, as in sync mode, until
 * the copier has caught up (Documentation/vmirror.rst, "Async mode").
 */
#define VMIRROR_ASYNC_MAX_LAG	((u64)SZ_1G)	/* bytes */

/**
 * struct vmirror - one vmirror target instance (one table)
 * @ti: the DM target
 * @link: its entry in the DM device's object (dev.c): sysfs, the control
 *	device and the reload hand-over reach the live target through it
 * @source: the source leg
 * @mirror: the mirror leg
 * @source_start: first sector of the source leg
 * @mirror_start: first sector of the mirror leg
 * @source_seq: diskseq of the source's disk when the table was loaded
 * @mirror_seq: diskseq of the mirror's disk when the table was loaded
 * @region_shift: log2 of the region size in sectors
 * @rm: the region map; handed over to the next table on a reload that
 *	names the same legs
 * @copier: the background copy thread
 * @mirror_bs: bios that clone host writes for the mirror leg
 * @state_lock: protects @state and @io_mode
 * @state: the association's state machine
 * @io_mode: copy of vmirror_state_io_mode(), read on the bio path without
 *	@state_lock
 * @mode_seq: changes of @io_mode, under @state_lock (copier_ops.mode_seq)
 * @activated: the first resume has happened
 * @op_lock: serialises operations (messages, ioctls), and them with the
 *	hand-over to the next table
 * @resumed: the table has been resumed; operations are refused before
 *	(under @op_lock)
 * @retired: a new table is taking over; operations are refused (under
 *	@op_lock)
 * @refused: why the table is never resumed (it would read a source
 *	abandoned by a failover of the table it replaces), or NULL;
 *	preresume only
 * @taken_over: preresume took the replaced table's progress over;
 *	preresume only
 * @format_pending: the metadata device is a new association, formatted
 *	at the first preresume (a table DM drops unresumed writes nothing);
 *	ctr and preresume only
 * @quiescing: a split waits for host writes to drain
 * @quiesce_wait: woken by completing writes while @quiescing
 * @notify_work: raises the notifications of a state change
 * @notify_pending: what @notify_work has to raise (VMIRROR_NOTIFY_* bits)
 * @retry_lock: protects @retry_reads
 * @retry_reads: reads the source failed, to be read again from the mirror
 * @retry_work: issues @retry_reads (bio allocation may sleep)
 * @last_percent: percent_synced last notified through sysfs
 * @bytes_copied: bytes the background copy has written to the mirror
 * @bytes_zeroed: of those, bytes that read zeroes (written as write-zeroes,
 *	or not written where the mirror reads zeroes)
 * @source_errors: I/O errors seen on the source
 * @mirror_errors: I/O errors seen on the mirror
 * @async: sync_mode async (table argument, "sync_mode" message): host
 *	writes to regions in sync complete on the source alone; written under
 *	@op_lock and @state_lock (or before the first resume), read with
 *	READ_ONCE()
 * @draining: break or split drains the lag: no async write meanwhile
 *	(under @state_lock)
 * @async_bound: the lag bound the region map routes by, 0 when writes go
 *	to both disks (under @state_lock, see __vmirror_set_mode())
 * @no_activation: table argument, kept for the table line
 * @nosync: table argument, kept for the table line
 * @mirror_zeroed: table argument, kept for the table line
 * @meta: the metadata device (table argument metadata_dev), or NULL
 * @md: its handle (metadata.c), or NULL; a reload onto the same metadata
 *	device takes it over
 * @md_lock: serialises commits to @md and its take-over
 * @md_work: the commit worker: clears the on-disk bits of the regions
 *	parked writes wait for (rule W), then issues them; commits a state
 *	change made where it cannot sleep (@md_state_pending)
 * @intent: the write-intent bookkeeping (intent.c), with @md, or NULL;
 *	handed over with @md
 * @clean_work: the cleaner (rule C), every 5 s while regions are hot
 * @md_state_pending: a state change waits for @md_work to record it
 * @md_failed: a metadata write failed: nothing more is recorded (logged
 *	once, a DM event, status metadata_state "failed"); a reload onto
 *	the same metadata device keeps it
 * @fo_lock: protects @fo_pending (set) and @fo_parked
 * @fo_pending: a failover on a source error is not recorded yet: the
 *	completions of I/O served by the mirror alone wait (@fo_parked)
 * @fo_parked: those completions, ended by @md_work once "failedover" is
 *	durable (with an error if it cannot be recorded)
 */
struct vmirror {
	struct dm_target *ti;
	struct vmirror_link link;
	struct dm_dev *source;
	struct dm_dev *mirror;
	sector_t source_start;
	sector_t mirror_start;
	u64 source_seq;
	u64 mirror_seq;
	unsigned int region_shift;

	struct region_map *rm;
	struct vmirror_copier *copier;
	struct bio_set mirror_bs;

	spinlock_t state_lock;		/* protects state, io_mode */
	struct vmirror_state state;
	enum vmirror_io_mode io_mode;
	u64 mode_seq;
	bool activated;

	struct mutex op_lock;		/* serialises operations */
	bool resumed;
	bool retired;
	char *refused;
	bool taken_over;
	bool format_pending;
	bool quiescing;
	wait_queue_head_t quiesce_wait;
	struct work_struct notify_work;
	unsigned long notify_pending;
	atomic_t last_percent;

	spinlock_t retry_lock;		/* protects retry_reads */
	struct bio_list retry_reads;
	struct work_struct retry_work;

	atomic64_t bytes_copied;
	atomic64_t bytes_zeroed;
	atomic64_t source_errors;
	atomic64_t mirror_errors;

	bool async;
	bool draining;
	u64 async_bound;
	bool no_activation;
	bool nosync;
	bool mirror_zeroed;

	struct dm_dev *meta;
	struct vmirror_md *md;
	struct mutex md_lock;		/* serialises commits to md */
	struct work_struct md_work;
	struct vmirror_intent *intent;
	struct delayed_work clean_work;
	unsigned long md_state_pending;
	bool md_failed;
	spinlock_t fo_lock;		/* protects fo_parked */
	bool fo_pending;
	struct bio_list fo_parked;
};

static inline sector_t vmirror_region_sectors(const struct vmirror *vm)
{
	return (sector_t)1 << vm->region_shift;
}

/* Region of a target-relative sector. */
static inline u64 vmirror_sector_to_region(const struct vmirror *vm,
					   sector_t offset)
{
	return offset >> vm->region_shift;
}

/*
 * Per-bio data of every bio mapped by the target.
 * @waiter: region and held-list link of a write
 * @read_iter: where a read went on the source, to read it again from the
 *	mirror if the source fails it (the lower layers consume bi_iter)
 * @mirror_status: completion status of the mirror leg's clone, if any
 * @to_mirror: a clone went to the mirror (@mirror_status is meaningful)
 * @tracked: the write was counted by region_map_write_begin()
 * @mirror_only: remapped to the mirror alone (failedover)
 * @discard: a host discard (a refusal by the source is not the host's)
 * @discard_unsync: a discard sent to both disks that need not leave them
 *	identical: the region goes out of sync when it completes
 */
struct vmirror_bio {
	struct region_waiter waiter;
	struct bvec_iter read_iter;
	blk_status_t mirror_status;
	bool to_mirror;
	bool tracked;
	bool mirror_only;
	bool discard;
	bool discard_unsync;
	bool md_error;
	bool host_mirror;
	bool fo_parked;
	blk_status_t fo_status;
};

static inline const char *vmirror_md_name(struct vmirror *vm)
{
	return dm_table_device_name(vm->ti->table);
}

/* percent_synced: in sync of @total regions, rounded down */
static inline unsigned int vmirror_percent(u64 synced, u64 total)
{
	return div64_u64(synced * 100, total);
}

/* vmirror-io.c: the state changes and the bio path */

/**
 * vmirror_io_init_target() - set up the work items of a new target
 * @vm: the target, being constructed
 */
void vmirror_io_init_target(struct vmirror *vm);

/**
 * __vmirror_set_mode() - make the I/O mode follow the state
 * @vm: the target
 *
 * Context: state_lock held.
 */
void __vmirror_set_mode(struct vmirror *vm);

/**
 * vmirror_event() - apply an event to the state machine and notify
 * @vm: the target
 * @ev: the event
 *
 * Context: any; the notifications are raised from a work item.
 * Return: as vmirror_state_apply().
 */
int vmirror_event(struct vmirror *vm, enum vmirror_event ev);

/**
 * vmirror_commit() - make the association's state and in-sync bitmap
 *	durable on the metadata device
 * @vm: the target
 * @st: the state to record instead of the current one (a change about to
 *	be applied), or NULL
 *
 * Nothing to do without a metadata device.  Context: process, may sleep;
 * takes md_lock (not with state_lock held).
 * Return: 0 or -EIO.
 */
int vmirror_commit(struct vmirror *vm, const struct vmirror_state *st);

/**
 * vmirror_intent_init() - the write-intent bookkeeping of a target with a
 *	metadata device
 * @vm: the target, being constructed, with @vm->md and @vm->rm
 * @bits: the regions recorded in sync (b(R) = 1), or NULL: none
 *
 * Return: 0 or -ENOMEM.
 */
int vmirror_intent_init(struct vmirror *vm, const unsigned long *bits);

/**
 * vmirror_intent_take_over() - a reload onto the same metadata device:
 *	@vm takes @old's write-intent state with its handle
 * @vm: the new table, not live
 * @old: the old one, suspended
 *
 * Context: both md_locks held.
 */
void vmirror_intent_take_over(struct vmirror *vm, struct vmirror *old);

/**
 * vmirror_intent_from_map() - record in sync what the map has in sync
 * @vm: a table that took a map over and uses another metadata device;
 *	not live, no I/O in flight
 *
 * Flushes both legs, then loads the write-intent state with the regions
 * the map has in sync (none if a flush failed); the caller commits.
 *
 * Context: process, may sleep.
 * Return: 0, or -ENOMEM.
 */
int vmirror_intent_from_map(struct vmirror *vm);

/**
 * vmirror_md_suspend() - postsuspend: record every region that can be
 * @vm: the target, no host I/O, the copier quiesced
 *
 * Stops the cleaner, runs a forced clean pass (a flush of both legs, then
 * every hot region not written since recorded in sync) and commits the
 * state.  Context: may sleep.
 */
void vmirror_md_suspend(struct vmirror *vm);

/**
 * vmirror_md_resume() - resume: the cleaner may run again
 * @vm: the target
 */
void vmirror_md_resume(struct vmirror *vm);

/**
 * vmirror_md_stop() - destructor: no commit and no cleaner any more
 * @vm: the target
 */
void vmirror_md_stop(struct vmirror *vm);

/**
 * vmirror_event_durable() - apply an event once its result is durable
 * @vm: the target
 * @ev: the event
 *
 * The state the event leads to is committed first, then applied: nothing
 * is reported (failedover, synchronized) before a crash would remember
 * it.  Context: process, may sleep.
 * Return: as vmirror_event(), or -EIO if the commit failed (nothing
 * changed).
 */
int vmirror_event_durable(struct vmirror *vm, enum vmirror_event ev);

/**
 * vmirror_mirror_failed() - a write or flush to the mirror failed
 * @vm: the target
 * @region: the region, or U64_MAX when none (a flush)
 *
 * Context: any.
 */
void vmirror_mirror_failed(struct vmirror *vm, u64 region);

/**
 * vmirror_set_write_mode() - route host writes as sync_mode says
 * @vm: the target
 * @async: sync_mode async: while the pair is synchronized and mirrored,
 *	writes to regions in sync complete on the source alone (within the
 *	lag bound, VMIRROR_ASYNC_MAX_LAG); false: on both disks
 * @draining: an operation drains the lag (break, split): writes go to
 *	both disks whatever @async says
 *
 * Sets @vm->async and @vm->draining under @vm->state_lock.  Every write
 * routed after this returns follows them (the region map's stripe locks
 * order them).  Regions already out of sync stay so until the copier has
 * carried them.
 *
 * Context: op_lock held, or before the first resume; may not be called
 * with state_lock held.
 */
void vmirror_set_write_mode(struct vmirror *vm, bool async, bool draining);

/**
 * vmirror_lag_regions() - regions the mirror may lack acknowledged writes in
 * @vm: the target
 * @s: its state, as read under state_lock
 *
 * Return: the regions out of sync while the mirror is being written and the
 * pair is synchronized, or in sync_mode async; else 0.
 */
u64 vmirror_lag_regions(struct vmirror *vm, const struct vmirror_state *s);

/**
 * vmirror_release_writes() - issue host writes held by the region map
 * @vm: the target
 * @released: list of &struct region_waiter from region_map_copy_end()
 *	or region_map_thaw()
 */
void vmirror_release_writes(struct vmirror *vm, struct list_head *released);

/* What the copier reports: its copier_ops, with the target as context. */
extern const struct copier_ops vmirror_copier_ops;

/**
 * vmirror_map() - the target's map method
 * @ti: the target
 * @bio: a host bio
 *
 * Return: DM_MAPIO_REMAPPED or DM_MAPIO_SUBMITTED.
 */
int vmirror_map(struct dm_target *ti, struct bio *bio);

/**
 * vmirror_end_io() - the target's end_io method
 * @ti: the target
 * @bio: a host bio
 * @error: its status, may be replaced (the mirror's, once failedover)
 *
 * Return: DM_ENDIO_DONE or DM_ENDIO_INCOMPLETE (a read retried).
 */
int vmirror_end_io(struct dm_target *ti, struct bio *bio,
		   blk_status_t *error);

/* vmirror-ops.c: status and operations */

/**
 * vmirror_status() - the target's status method
 * @ti: the target
 * @type: STATUSTYPE_INFO, _TABLE or _IMA
 * @status_flags: unused
 * @result: filled in
 * @maxlen: room in @result
 */
void vmirror_status(struct dm_target *ti, status_type_t type,
		    unsigned int status_flags, char *result,
		    unsigned int maxlen);

/**
 * vmirror_message() - the target's message method
 * @ti: the target
 * @argc: number of words
 * @argv: the words
 * @result: unused
 * @maxlen: unused
 *
 * Context: may sleep (killable).
 * Return: 0 or a negative errno (see Documentation/vmirror.rst).
 */
int vmirror_message(struct dm_target *ti, unsigned int argc, char **argv,
		    char *result, unsigned int maxlen);

#endif /* DM_VMIRROR_TARGET_H */
