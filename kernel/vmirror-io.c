// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vmirror: the state changes and the bio path.
 *
 * Read top to bottom: how a state change reaches the bio path (the I/O
 * mode and the region map's track-only flag, one helper), what the
 * copier reports, how a host bio is mapped, and how its completion is
 * judged (the error policy).  Why no acknowledged write is lost (the
 * write/copy ordering of region-map.c, the flush before in sync of
 * copier.c) is explained, with its proof, in Documentation/vmirror.rst
 * ("Why no write is lost").
 */

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/workqueue.h>

#include "../uapi/linux/dm-vmirror.h"
#include "target.h"

/* Reads failed over to the mirror are issued from here: it may sleep. */
static struct workqueue_struct *vmirror_retry_wq;

/*---------------------------------------------------------------------------*/

/* State changes */

/* Bits of vmirror->notify_pending */
#define VMIRROR_NOTIFY_STATE	0	/* the state changed */
#define VMIRROR_NOTIFY_PERCENT	1	/* percent_synced changed */
#define VMIRROR_NOTIFY_METADATA	2	/* metadata_state changed */

/*
 * Notifications are raised here, never from the bio path: sysfs_notify()
 * takes kernfs locks that are held across GFP_KERNEL allocations, and a
 * bio may be written for memory reclaim.  Every state change: a DM event,
 * a poll() wake-up and a uevent; a progress change: a poll() wake-up.
 */
static void vmirror_notify(struct work_struct *ws)
{
	struct vmirror *vm = container_of(ws, struct vmirror, notify_work);
	u16 copy_state;

	/* Pairs with set_bit() before schedule_work() in vmirror_notify_later(). */
	if (test_and_clear_bit(VMIRROR_NOTIFY_METADATA, &vm->notify_pending))
		vmirror_dev_notify(&vm->link, "metadata_state", NULL);
	if (test_and_clear_bit(VMIRROR_NOTIFY_PERCENT, &vm->notify_pending) &&
	    !test_bit(VMIRROR_NOTIFY_STATE, &vm->notify_pending))
		vmirror_dev_notify(&vm->link, "percent_synced", NULL);
	if (!test_and_clear_bit(VMIRROR_NOTIFY_STATE, &vm->notify_pending))
		return;

	spin_lock_irq(&vm->state_lock);
	copy_state = vmirror_state_copy_state(&vm->state);
	spin_unlock_irq(&vm->state_lock);

	dm_table_event(vm->ti->table);
	vmirror_dev_notify(&vm->link, "percent_synced", NULL);
	vmirror_dev_notify(&vm->link, "copy_state", vmirror_copy_state_name(copy_state));
}

/* Raise notification @bit from the notify work.  Safe from any context. */
static void vmirror_notify_later(struct vmirror *vm, int bit)
{
	set_bit(bit, &vm->notify_pending);
	schedule_work(&vm->notify_work);
}

/*
 * Persistence (metadata_dev), Documentation/vmirror.rst "Persistence".
 * The on-disk bit b(R) of a region says: in sync, and every write to it
 * ever issued completed and flushed on both legs.  It is kept by intent.c
 * under two rules:
 *
 *   W  a host write to a region whose bit is set is parked
 *      (vmirror_map_write()); the commit worker (vmirror_md_work())
 *      clears the bits of the parked writes' regions, commits, and issues
 *      them again.  One commit serves every write parked meanwhile.
 *   C  the cleaner (vmirror_clean_work(), every 5 s while regions are
 *      hot; forced at postsuspend and at the hot cap) and the copier's
 *      flush point (vmirror_record_*()) set bits only after a flush of
 *      both legs issued after a snapshot of the regions not written.
 *
 * After a crash, the load trusts b(R) alone.  The state (copy_state,
 * tracking, failedover) is in the superblock: operations commit the
 * state they lead to before applying it (vmirror_event_durable()); state
 * changes made where a commit cannot sleep are committed by the commit
 * worker (@md_state_pending).  Commits and the cleaner run on
 * vmirror_md_wq (WQ_MEM_RECLAIM: host writes wait for them).
 */
static struct workqueue_struct *vmirror_md_wq;

/*
 * The cleaner's period: a region is recorded in sync again once no write
 * reached it for a whole period.  Longer: fewer commits for regions
 * written again and again; the crash bound is the hot cap either way.
 */
#define VMIRROR_CLEAN_INTERVAL	(5 * HZ)

/* Bit of vmirror->md_state_pending */
#define VMIRROR_MD_STATE	0

/* The state of @st as recorded: flags and all.  state_lock held. */
static void vmirror_md_state(struct vmirror *vm, const struct vmirror_state *st,
			     struct vmirror_md_state *ms)
{
	*ms = (struct vmirror_md_state) {
		.copy_state = st->copy_state,
		.sync_time_ns = st->sync_time_ns,
		.bytes_copied = atomic64_read(&vm->bytes_copied),
	};
	if (st->resyncing)
		ms->flags |= VMIRROR_MD_RESYNCING;
	if (st->paused)
		ms->flags |= VMIRROR_MD_PAUSED;
	if (st->requires_activate)
		ms->flags |= VMIRROR_MD_REQUIRES_ACTIVATE;
	if (vm->activated)
		ms->flags |= VMIRROR_MD_ACTIVATED;
}

/* A metadata write failed: say so once, loudly. */
static void vmirror_md_failed(struct vmirror *vm)
{
	if (xchg(&vm->md_failed, true))
		return;
	DMERR("%s: cannot write metadata device %s: nothing recorded from now on",
	      vmirror_md_name(vm), vm->meta->name);
	/* A DM event and poll() wake-ups: metadata_state shows it. */
	set_bit(VMIRROR_NOTIFY_METADATA, &vm->notify_pending);
	vmirror_notify_later(vm, VMIRROR_NOTIFY_STATE);
}

/* vmirror_commit() with md_lock held and vm->md set. */
static int __vmirror_commit(struct vmirror *vm, const struct vmirror_state *st)
{
	struct vmirror_md_state ms;
	const unsigned long *blocks;
	int r;

	lockdep_assert_held(&vm->md_lock);
	spin_lock_irq(&vm->state_lock);
	vmirror_md_state(vm, st ?: &vm->state, &ms);
	spin_unlock_irq(&vm->state_lock);
	/* The blocks changed so far, before their bits are read. */
	blocks = intent_take_changed(vm->intent);
	r = vmirror_md_commit(vm->md, &ms, intent_bits(vm->intent), blocks);
	intent_changed_done(vm->intent, !r);
	return r;
}

int vmirror_commit(struct vmirror *vm, const struct vmirror_state *st)
{
	int r;

	if (!vm->meta)
		return 0;
	mutex_lock(&vm->md_lock);
	/* A table whose handle a reload took over records nothing. */
	r = vm->md ? __vmirror_commit(vm, st) : 0;
	mutex_unlock(&vm->md_lock);
	if (r)
		vmirror_md_failed(vm);
	return r;
}

/* Regions recorded in sync, for intent.c: in sync in memory, not written. */
static bool vmirror_region_idle(void *ctx, u64 region, bool *synced)
{
	struct vmirror *vm = ctx;

	return region_map_region_idle(READ_ONCE(vm->rm), region, synced);
}

int vmirror_intent_init(struct vmirror *vm, const unsigned long *bits)
{
	vm->intent = intent_create(region_map_nr_regions(vm->rm),
				   VMIRROR_HOT_MAX, VMIRROR_MD_BM_BITS,
				   vmirror_region_idle, vm);
	if (!vm->intent)
		return -ENOMEM;
	if (bits)
		intent_load(vm->intent, bits, true);
	return 0;
}

int vmirror_intent_from_map(struct vmirror *vm)
{
	struct region_map *rm = vm->rm;
	u64 nr = region_map_nr_regions(rm), r;
	unsigned long *bits;
	int ret;

	bits = kvcalloc(BITS_TO_LONGS(nr), sizeof(unsigned long), GFP_KERNEL);
	if (!bits)
		return -ENOMEM;
	/* Rule C: a region recorded in sync has its writes flushed on both legs. */
	ret = blkdev_issue_flush(vm->source->bdev);
	if (!ret)
		ret = blkdev_issue_flush(vm->mirror->bdev);
	for (r = 0; !ret && r < nr; r++) {
		if (region_map_is_synced(rm, r))
			__set_bit(r, bits);
		if (!(r % 4096))
			cond_resched();
	}
	/* A failed flush: nothing is recorded in sync.  Every block is new. */
	intent_load(vm->intent, bits, false);
	kvfree(bits);
	return 0;
}

void vmirror_intent_take_over(struct vmirror *vm, struct vmirror *old)
{
	swap(vm->intent, old->intent);
	intent_set_idle(vm->intent, vmirror_region_idle, vm);
	if (old->intent)
		intent_set_idle(old->intent, vmirror_region_idle, old);
}

static int vmirror_map_write(struct vmirror *vm, struct bio *bio);

/* Issue the parked writes of @batch again (or fail them: @error). */
static void vmirror_unpark(struct vmirror *vm, struct list_head *batch,
			   bool error)
{
	struct region_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, batch, list) {
		struct vmirror_bio *pb = container_of(w, struct vmirror_bio,
						      waiter);
		struct bio *bio = dm_bio_from_per_bio_data(pb, sizeof(*pb));

		list_del_init(&w->list);
		if (error) {
			/* As dm-raid1 with a failed log: no record, no write. */
			pb->md_error = true;
			bio_io_error(bio);
		} else if (vmirror_map_write(vm, bio) == DM_MAPIO_REMAPPED) {
			dm_submit_bio_remap(bio, NULL);
		}
	}
}

/*
 * One cleaner pass (rule C): the snapshot's regions are recorded in sync
 * after a flush of both legs, if no write reached them since.  Only while
 * the host writes both legs: otherwise the mirror may lack writes since
 * the last flush and nothing is recorded.
 */
static void vmirror_clean_pass(struct vmirror *vm, bool forced)
{
	struct vmirror_intent *in = vm->intent;
	bool flushed = false;
	int r;

	/*
	 * Nothing can be recorded: a region marked clean here would only
	 * make the next write to it fail (its commit cannot happen), while
	 * it is recorded not in sync on the device.
	 */
	if (READ_ONCE(vm->md_failed))
		return;
	if (!intent_clean_begin(in, forced))
		return;
	if (READ_ONCE(vm->io_mode) == VMIRROR_IO_MIRRORED) {
		r = blkdev_issue_flush(vm->source->bdev);
		if (r)
			atomic64_inc(&vm->source_errors);
		if (!r) {
			r = blkdev_issue_flush(vm->mirror->bdev);
			if (r)
				vmirror_mirror_failed(vm, U64_MAX);
		}
		flushed = !r;
	}
	if (intent_clean_end(in, flushed))
		vmirror_commit(vm, NULL);
}

static void vmirror_clean_work(struct work_struct *ws)
{
	struct vmirror *vm = container_of(to_delayed_work(ws), struct vmirror,
					  clean_work);
	bool forced = READ_ONCE(vm->intent->want_clean);

	vmirror_clean_pass(vm, forced);
	/*
	 * Writes wait for room under the hot cap.  Also after a pass that
	 * was not forced: md_work may have met the cap (and set want_clean)
	 * while this pass ran, and this pass may have made the room and
	 * cleared want_clean, so that the next one is not forced either;
	 * nothing else would let those writes go.
	 */
	if (forced || intent_has_parked(vm->intent))
		queue_work(vmirror_md_wq, &vm->md_work);
	if (intent_nr_hot(vm->intent))
		queue_delayed_work(vmirror_md_wq, &vm->clean_work,
				   VMIRROR_CLEAN_INTERVAL);
}

/*
 * The commit worker's end: the completions parked by a failover.  @fo:
 * the worker saw the failover pending before its commit, which then read
 * the state (under state_lock, where the failover set both): "failedover"
 * is durable if the commit succeeded, and they complete as the mirror
 * answered.  If it failed, they fail, and so will later ones.
 */
static void vmirror_fo_release(struct vmirror *vm, bool fo, int r)
{
	struct bio_list done;
	struct bio *bio;

	if (!fo)
		return;
	spin_lock_irq(&vm->fo_lock);
	if (!r)
		WRITE_ONCE(vm->fo_pending, false);
	done = vm->fo_parked;
	bio_list_init(&vm->fo_parked);
	spin_unlock_irq(&vm->fo_lock);

	if (r && !bio_list_empty(&done))
		DMERR_LIMIT("%s: failover not recorded: I/O served by mirror %s fails",
			    vmirror_md_name(vm), vm->mirror->name);
	while ((bio = bio_list_pop(&done))) {
		struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

		bio->bi_status = r ? BLK_STS_IOERR : pb->fo_status;
		/* Back to DM core's clone_endio(): vmirror_end_io() is done. */
		bio_endio(bio);
	}
}

/*
 * The commit worker: rule W for the parked writes, and the state changes
 * made where a commit cannot sleep.  A write is issued only after a commit
 * that began after its region's bit was cleared; if that commit fails,
 * the write fails.
 */
static void vmirror_md_work(struct work_struct *ws)
{
	struct vmirror *vm = container_of(ws, struct vmirror, md_work);
	struct vmirror_intent *in;
	LIST_HEAD(batch);
	bool state, fo;
	u64 cleared = 0;
	int r = 0;

	/* Pairs with set_bit() before queue_work() in vmirror_changed(). */
	state = test_and_clear_bit(VMIRROR_MD_STATE, &vm->md_state_pending);
	/* Before the commit reads the state: see vmirror_fo_release(). */
	fo = READ_ONCE(vm->fo_pending);
	mutex_lock(&vm->md_lock);
	in = vm->intent;
	mutex_unlock(&vm->md_lock);
	if (in) {
		/* No cap once nothing can be recorded: parked writes fail at once. */
		intent_set_capped(in, READ_ONCE(vm->io_mode) == VMIRROR_IO_MIRRORED &&
				  !READ_ONCE(vm->md_failed));
		cleared = intent_take_parked(in, &batch);
	}
	if (cleared || state || fo)
		r = vmirror_commit(vm, NULL);
	/* A bit cleared before a failed commit may still be set on disk. */
	if (READ_ONCE(vm->md_failed))
		r = -EIO;
	vmirror_fo_release(vm, fo, r);
	if (!list_empty(&batch)) {
		if (!r)
			intent_commit_done(in, &batch);
		else
			intent_commit_failed(in, &batch);
		vmirror_unpark(vm, &batch, r != 0);
	}
	if (!in)
		return;
	/*
	 * At the hot cap: a forced pass frees room, then this runs again; a
	 * short delay, so that a pass that frees nothing (every hot region
	 * busy) does not turn into a busy loop with the cleaner.
	 */
	if (READ_ONCE(in->want_clean))
		mod_delayed_work(vmirror_md_wq, &vm->clean_work, HZ / 50);
	else if (cleared)
		queue_delayed_work(vmirror_md_wq, &vm->clean_work,
				   VMIRROR_CLEAN_INTERVAL);
}

void vmirror_md_suspend(struct vmirror *vm)
{
	if (!vm->meta)
		return;
	cancel_delayed_work_sync(&vm->clean_work);
	flush_work(&vm->md_work);
	/* md_work may have queued the cleaner again. */
	cancel_delayed_work_sync(&vm->clean_work);
	if (vm->intent && !vm->md_failed)
		vmirror_clean_pass(vm, true);
	vmirror_commit(vm, NULL);
}

void vmirror_md_resume(struct vmirror *vm)
{
	if (vm->intent && intent_nr_hot(vm->intent))
		queue_delayed_work(vmirror_md_wq, &vm->clean_work,
				   VMIRROR_CLEAN_INTERVAL);
}

void vmirror_md_stop(struct vmirror *vm)
{
	/* md_work queues the cleaner, the cleaner md_work: stop both for good. */
	cancel_work_sync(&vm->md_work);
	cancel_delayed_work_sync(&vm->clean_work);
	cancel_work_sync(&vm->md_work);
}

/*
 * The copier's flush point (struct copier_ops): the regions of a batch
 * are recorded in sync after the mirror flush, a flush of the source, and
 * before the region map counts them (progress is never reported before it
 * is recorded).
 */
static void vmirror_record_snapshot(void *ctx, u64 region, u64 nr)
{
	struct vmirror *vm = ctx;

	if (vm->intent)
		intent_copy_snapshot(vm->intent, region, nr);
}

static void vmirror_record_range(void *ctx, u64 region, u64 nr, bool ok)
{
	struct vmirror *vm = ctx;

	if (vm->intent)
		intent_copy_record(vm->intent, region, nr, ok);
}

/*
 * The copy read what the source holds: the copier flushed the source too
 * (copier_legs.flush_source), in the same dm-io request as the mirror, so
 * that this thread never waits for a stalled source (review #7).
 */
static int vmirror_record_flush(void *ctx, bool source_failed)
{
	struct vmirror *vm = ctx;

	if (!vm->intent)
		return 0;
	if (source_failed) {
		atomic64_inc(&vm->source_errors);
		return -EIO;
	}
	if (READ_ONCE(vm->md_failed))
		return -EIO;
	return 0;
}

static int vmirror_record_commit(void *ctx)
{
	struct vmirror *vm = ctx;
	int r;

	if (!vm->intent)
		return 0;
	r = vmirror_commit(vm, NULL);
	/* Copied regions the host wrote since are the cleaner's. */
	if (intent_nr_hot(vm->intent))
		queue_delayed_work(vmirror_md_wq, &vm->clean_work,
				   VMIRROR_CLEAN_INTERVAL);
	return r;
}

int vmirror_event_durable(struct vmirror *vm, enum vmirror_event ev)
{
	struct vmirror_state s;
	int r, c = 0;

	if (!vm->meta)
		return vmirror_event(vm, ev);
	/*
	 * md_lock from the snapshot to the apply: no other commit (rule W's,
	 * the cleaner's, the copier's) can record the old state after the
	 * new one and before it is applied.
	 */
	mutex_lock(&vm->md_lock);
	spin_lock_irq(&vm->state_lock);
	s = vm->state;
	r = vmirror_state_apply(&s, ev, ktime_get_real_ns());
	spin_unlock_irq(&vm->state_lock);
	if (!r && vm->md)
		c = __vmirror_commit(vm, &s);
	if (!r && !c) {
		r = vmirror_event(vm, ev);
		/* Something else changed the state meanwhile: record the truth. */
		if (r && vm->md)
			c = __vmirror_commit(vm, NULL);
	}
	mutex_unlock(&vm->md_lock);
	if (c) {
		vmirror_md_failed(vm);
		return -EIO;
	}
	return r;
}

/* The state changed: tell the world, and the copier; record it. */
static void vmirror_changed(struct vmirror *vm)
{
	vmirror_notify_later(vm, VMIRROR_NOTIFY_STATE);
	copier_kick(vm->copier);
	if (vm->meta) {
		set_bit(VMIRROR_MD_STATE, &vm->md_state_pending);
		queue_work(vmirror_md_wq, &vm->md_work);
	}
}

/*
 * State lock held: the lag bound the region map routes writes by
 * (Documentation/vmirror.rst, "Async mode").  Async writes only while the
 * pair is synchronized and the mirror is written by the host: during a
 * first copy or a resync a write to a copied region goes to both disks, so
 * the copy converges under any write load; once the mirror is the disk
 * (failedover), or while an operation drains the lag, never.
 */
static u64 __vmirror_async_bound(struct vmirror *vm)
{
	if (!vm->async || vm->draining ||
	    !vmirror_state_async_writes(&vm->state))
		return 0;
	return max_t(u64, 1, VMIRROR_ASYNC_MAX_LAG >>
			     (SECTOR_SHIFT + vm->region_shift));
}

/* State lock held: make the map route by @bound, if it does not yet. */
static void __vmirror_set_async(struct vmirror *vm, u64 bound)
{
	lockdep_assert_held(&vm->state_lock);
	if (bound == vm->async_bound)
		return;
	region_map_set_async(vm->rm, bound);
	vm->async_bound = bound;
}

/*
 * A failover on a source error, with state_lock held, before the I/O mode
 * changes: until "failedover" is durable, no I/O served by the mirror
 * alone completes (vmirror_fo_park()); an unrecorded pivot must not be
 * acknowledged.  The smp_wmb() orders the flag before the new mode
 * (WRITE_ONCE(vm->io_mode) in __vmirror_set_mode()); it pairs with the
 * smp_rmb() in vmirror_fo_park(), on the completion of a bio mapped by
 * that mode.
 */
static void __vmirror_failover_pending(struct vmirror *vm)
{
	lockdep_assert_held(&vm->state_lock);
	if (!vm->meta)
		return;
	WRITE_ONCE(vm->fo_pending, true);
	/* Pairs with smp_rmb() in vmirror_fo_park(). */
	smp_wmb();
	set_bit(VMIRROR_MD_STATE, &vm->md_state_pending);
	queue_work(vmirror_md_wq, &vm->md_work);
}

/*
 * Make the I/O mode and the async bound follow the state, with state_lock
 * held: every change of the state (an event, a write's verdict, a
 * take-over, the sync_mode) ends here, so the bio path and the region map
 * never disagree on it.  Writes are routed by the map's track-only flag
 * and async bound, read under the region's lock: none routed after this
 * returns uses the old mode.  A write that read the old @io_mode on the
 * bio path is routed by the map as the new mode says: to both disks once
 * the mirror is the disk (the bound is 0 then), where its verdict is the
 * mirror's (vmirror_state_write_done()).
 * Lock order: state_lock -> region map stripe locks.
 */
void __vmirror_set_mode(struct vmirror *vm)
{
	enum vmirror_io_mode mode = vmirror_state_io_mode(&vm->state);

	lockdep_assert_held(&vm->state_lock);
	if (mode != vm->io_mode) {
		/* The mirror is written outside the map from now on. */
		if (mode == VMIRROR_IO_MIRROR_ONLY)
			region_map_mirror_zero_lost(vm->rm);
		region_map_set_track_only(vm->rm,
					  mode == VMIRROR_IO_SOURCE_TRACKED);
		WRITE_ONCE(vm->io_mode, mode);
		vm->mode_seq++;
	}
	__vmirror_set_async(vm, __vmirror_async_bound(vm));
}

/*
 * sync_mode async (Documentation/vmirror.rst, "Async mode").  A host
 * write to a region in sync goes to the source alone: the region map
 * takes the region out of sync under its lock before the write is issued,
 * so before it can be acknowledged, and the copier carries the region to
 * the mirror by reading the source.  A copy never starts while a write to
 * its region is in flight and holds new ones until it ends, so it never
 * reads data older than an acknowledged write; a region copied again is
 * in sync only after a mirror flush (region_map_commit()).  At the lag
 * bound writes go to both disks again: the host is throttled to the pace
 * of the mirror instead of falling further behind.
 */
void vmirror_set_write_mode(struct vmirror *vm, bool async, bool draining)
{
	spin_lock_irq(&vm->state_lock);
	WRITE_ONCE(vm->async, async);
	vm->draining = draining;
	/* The map may come from the last table: set it in any case. */
	vm->async_bound = U64_MAX;
	__vmirror_set_mode(vm);
	spin_unlock_irq(&vm->state_lock);
	copier_kick(vm->copier);
}

/* Regions out of sync: the mirror may lack acknowledged writes there. */
static u64 vmirror_unsynced(struct region_map *rm)
{
	return region_map_nr_regions(rm) - region_map_nr_synced(rm);
}

u64 vmirror_lag_regions(struct vmirror *vm, const struct vmirror_state *s)
{
	if (vmirror_state_io_mode(s) != VMIRROR_IO_MIRRORED ||
	    s->copy_state != VMIRROR_COPY_STATE_SYNCHRONIZED)
		return 0;
	return vmirror_unsynced(READ_ONCE(vm->rm));
}

/*
 * Whether the mirror lags behind a synchronized pair, for the state
 * machine (no failover onto it then), with state_lock held.  An async
 * write takes its region out of sync before it is issued, so no write
 * acknowledged before this is read can be missed.
 */
static void __vmirror_note_behind(struct vmirror *vm)
{
	lockdep_assert_held(&vm->state_lock);
	vm->state.mirror_behind = vmirror_unsynced(vm->rm) != 0;
}

/*
 * Before an event that may make the mirror the disk (a source failure, a
 * break), with state_lock held: no write may take a region out of sync
 * from now on, so the count that allows it is final.  The bound is set to
 * 0 under every stripe lock before the count is read, so a write that took
 * its region out of sync before is counted, and one after goes to both
 * disks.  __vmirror_set_mode() restores the bound if the pair stays
 * mirrored.
 */
static void __vmirror_note_behind_final(struct vmirror *vm)
{
	__vmirror_set_async(vm, 0);
	__vmirror_note_behind(vm);
}

/*
 * Apply @ev with state_lock held.  "synced" is refused (-EAGAIN) unless
 * every region is in sync now: a region that lost its status after the
 * copier looked (under this lock, see vmirror_write_both_done()) keeps
 * the pair copying.
 */
static int __vmirror_event(struct vmirror *vm, enum vmirror_event ev)
{
	int r;

	lockdep_assert_held(&vm->state_lock);
	if (ev == VMIRROR_EV_SYNCED &&
	    region_map_nr_synced(vm->rm) != region_map_nr_regions(vm->rm))
		return -EAGAIN;
	if (ev == VMIRROR_EV_SOURCE_FAILED || ev == VMIRROR_EV_BREAK)
		__vmirror_note_behind_final(vm);
	else
		__vmirror_note_behind(vm);
	r = vmirror_state_apply(&vm->state, ev, ktime_get_real_ns());
	if (!r && ev == VMIRROR_EV_SOURCE_FAILED)
		__vmirror_failover_pending(vm);
	__vmirror_set_mode(vm);
	return r;
}

int vmirror_event(struct vmirror *vm, enum vmirror_event ev)
{
	unsigned long flags;
	int r;

	spin_lock_irqsave(&vm->state_lock, flags);
	r = __vmirror_event(vm, ev);
	spin_unlock_irqrestore(&vm->state_lock, flags);

	if (!r)
		vmirror_changed(vm);
	return r;
}

/*
 * What the copier reports (struct copier_ops): from its thread, or from
 * copier_quiesce() in presuspend.
 */

static bool vmirror_copy_allowed(void *ctx)
{
	struct vmirror *vm = ctx;
	unsigned long flags;
	bool allowed;

	/* Progress never moves past what is recorded. */
	if (READ_ONCE(vm->md_failed))
		return false;
	spin_lock_irqsave(&vm->state_lock, flags);
	allowed = vmirror_state_copying(&vm->state);
	/* A synchronized pair with a lag (async mode): carry it. */
	if (vm->state.copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED &&
	    !vm->state.dm_suspended && vmirror_unsynced(vm->rm))
		allowed = true;
	spin_unlock_irqrestore(&vm->state_lock, flags);
	return allowed;
}

/* poll() wake-up when percent_synced changed.  Safe from any context. */
static void vmirror_note_percent(struct vmirror *vm)
{
	unsigned int pct = vmirror_percent(region_map_nr_synced(vm->rm),
					   region_map_nr_regions(vm->rm));

	if (atomic_xchg(&vm->last_percent, pct) != pct)
		vmirror_notify_later(vm, VMIRROR_NOTIFY_PERCENT);
}

/*
 * The copier's flush point: the regions of a flushed batch are in sync
 * (recorded before, vmirror_record_commit()).
 */
static void vmirror_copied(void *ctx, u64 bytes, u64 zeroed)
{
	struct vmirror *vm = ctx;

	atomic64_add(bytes, &vm->bytes_copied);
	atomic64_add(zeroed, &vm->bytes_zeroed);
	vmirror_note_percent(vm);
}

/*
 * Apply @ev and take @region (U64_MAX: every region) out of sync, the
 * state first: a synchronized pair never has a region out of sync.  Safe
 * from any context.  Return: as vmirror_state_apply().
 */
static int vmirror_unsync(struct vmirror *vm, enum vmirror_event ev,
			  u64 region)
{
	unsigned long flags;
	int r;

	spin_lock_irqsave(&vm->state_lock, flags);
	r = __vmirror_event(vm, ev);
	if (region != U64_MAX)
		region_map_mark_unsynced(vm->rm, region);
	spin_unlock_irqrestore(&vm->state_lock, flags);
	/* O(1) here: the copier sweeps the regions. */
	if (region == U64_MAX)
		region_map_mark_all_unsynced(vm->rm);
	vmirror_note_percent(vm);
	copier_kick(vm->copier);
	if (!r)
		vmirror_changed(vm);
	return r;
}

void vmirror_mirror_failed(struct vmirror *vm, u64 region)
{
	atomic64_inc(&vm->mirror_errors);
	if (!vmirror_unsync(vm, VMIRROR_EV_MIRROR_FAILED, region))
		DMERR("%s: write error on mirror %s, mirror is broken",
		      vmirror_md_name(vm), vm->mirror->name);
}

static void vmirror_mirror_unknown(void *ctx)
{
	struct vmirror *vm = ctx;

	vmirror_unsync(vm, VMIRROR_EV_DIVERGED, U64_MAX);
	DMWARN("%s: a flush of mirror %s was abandoned in flight: every region is copied again",
	       vmirror_md_name(vm), vm->mirror->name);
}

static void vmirror_copy_failed(void *ctx, unsigned int nr_failed)
{
	struct vmirror *vm = ctx;

	if (!vmirror_event(vm, VMIRROR_EV_COPY_FAILED))
		DMERR("%s: %u copies could not read source %s, mirror is broken",
		      vmirror_md_name(vm), nr_failed, vm->source->name);
}

static void vmirror_source_error(void *ctx)
{
	struct vmirror *vm = ctx;

	atomic64_inc(&vm->source_errors);
}

static u64 vmirror_mode_seq(void *ctx)
{
	struct vmirror *vm = ctx;
	u64 seq;

	spin_lock_irq(&vm->state_lock);
	seq = vm->mode_seq;
	spin_unlock_irq(&vm->state_lock);
	return seq;
}

/*
 * The copier's last flush covers every host write to the mirror whose
 * host flush may have gone to the source alone only if the mode has not
 * changed since it was issued (checked under the lock that changes it).
 */
static void vmirror_synced(void *ctx, u64 seq)
{
	struct vmirror *vm = ctx;
	struct vmirror_state s;
	unsigned long flags;
	int r = -EAGAIN;

	/* "synchronized" is recorded before it is reported. */
	if (vm->meta) {
		spin_lock_irqsave(&vm->state_lock, flags);
		s = vm->state;
		if (seq == vm->mode_seq &&
		    region_map_nr_synced(vm->rm) == region_map_nr_regions(vm->rm))
			r = vmirror_state_apply(&s, VMIRROR_EV_SYNCED,
						ktime_get_real_ns());
		spin_unlock_irqrestore(&vm->state_lock, flags);
		if (r || vmirror_commit(vm, &s))
			return;
		r = -EAGAIN;
	}

	spin_lock_irqsave(&vm->state_lock, flags);
	if (seq == vm->mode_seq)
		r = __vmirror_event(vm, VMIRROR_EV_SYNCED);
	spin_unlock_irqrestore(&vm->state_lock, flags);
	if (!r)
		vmirror_changed(vm);
	else if (vm->meta)
		vmirror_commit(vm, NULL);
}

static void vmirror_copier_mirror_failed(void *ctx, u64 region)
{
	vmirror_mirror_failed(ctx, region);
}

static void vmirror_copier_release_writes(void *ctx, struct list_head *released)
{
	vmirror_release_writes(ctx, released);
}

const struct copier_ops vmirror_copier_ops = {
	.copy_allowed = vmirror_copy_allowed,
	.copied = vmirror_copied,
	.copy_failed = vmirror_copy_failed,
	.source_error = vmirror_source_error,
	.mode_seq = vmirror_mode_seq,
	.synced = vmirror_synced,
	.mirror_failed = vmirror_copier_mirror_failed,
	.mirror_unknown = vmirror_mirror_unknown,
	.release_writes = vmirror_copier_release_writes,
	.record_snapshot = vmirror_record_snapshot,
	.record_flush = vmirror_record_flush,
	.record_range = vmirror_record_range,
	.record_commit = vmirror_record_commit,
};

/*---------------------------------------------------------------------------*/

/*
 * Bio path
 *
 * After break (mirror-only mode) every bio goes to the mirror alone.
 * Otherwise reads go to the source and a write is routed by the region
 * map (in source-tracked mode, and in sync_mode async within the lag
 * bound, a region in sync loses that status and the write goes to the
 * source alone):
 *   - region in sync: cloned to the mirror and remapped to the source;
 *     the DM clone completes only when both have completed, because the
 *     mirror clone holds an extra reference on it (bio_inc_remaining());
 *   - region not copied yet: remapped to the source alone;
 *   - region under copy: held by the region map and issued again by
 *     vmirror_release_writes() once the copy has ended.
 * A failed mirror write never fails the host write: it breaks the mirror.
 *
 * Discards (Documentation/vmirror.rst, "Discards and write zeroes") are
 * routed as writes.  A discard leaves undefined data, and two disks need
 * not leave the same, so one to a region in sync becomes a write-zeroes
 * (unmap allowed: thin and sparse disks still free the space) on both
 * disks when both do write-zeroes; otherwise both disks discard and the
 * region goes out of sync when they have, for the copy to settle.  Where
 * the source alone is written, the source alone discards: the copy
 * carries what it then reads.
 */

static void vmirror_remap(struct bio *bio, struct dm_dev *dev,
			  sector_t dev_start, sector_t offset)
{
	bio_set_dev(bio, dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dev_start + offset;
}

static int vmirror_map_mirror_only(struct vmirror *vm, struct bio *bio,
				   sector_t offset)
{
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	pb->mirror_only = true;
	vmirror_remap(bio, vm->mirror, vm->mirror_start, offset);
	return DM_MAPIO_REMAPPED;
}

static void vmirror_mirror_endio(struct bio *clone)
{
	struct bio *bio = clone->bi_private;
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	/* Read in vmirror_end_io(), after bio_endio() drops the last ref. */
	pb->mirror_status = clone->bi_status;
	bio_put(clone);
	bio_endio(bio);
}

/* Must be called before @bio is remapped to the source. */
static void vmirror_clone_to_mirror(struct vmirror *vm, struct bio *bio,
				    sector_t offset)
{
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	struct bio *clone;

	pb->to_mirror = true;
	clone = bio_alloc_clone(vm->mirror->bdev, bio, GFP_NOIO,
				&vm->mirror_bs);
	if (unlikely(!clone)) {
		/*
		 * Only cloning an integrity or crypto context can fail.  The
		 * mirror misses this write: as a failed mirror write, the
		 * region goes out of sync and the pair breaks.
		 */
		pb->mirror_status = BLK_STS_RESOURCE;
		return;
	}
	if (bio_sectors(bio))
		clone->bi_iter.bi_sector = vm->mirror_start + offset;
	/* DM polls the clone it mapped, never this one (REQ_POLLED). */
	bio_clear_polled(clone);
	clone->bi_end_io = vmirror_mirror_endio;
	clone->bi_private = bio;

	bio_inc_remaining(bio);
	submit_bio_noacct(clone);
}

/* A discard to a region in sync, about to go to both disks. */
static void vmirror_discard_both(struct vmirror *vm, struct bio *bio)
{
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	if (bdev_write_zeroes_sectors(vm->source->bdev) &&
	    bdev_write_zeroes_sectors(vm->mirror->bdev)) {
		/* Without REQ_NOUNMAP: a disk may deallocate, and reads zeroes. */
		bio->bi_opf = (bio->bi_opf & ~REQ_OP_MASK) | REQ_OP_WRITE_ZEROES;
		pb->discard_unsync = false;
	} else {
		pb->discard_unsync = true;
	}
}

/*
 * A write rule W lets go (one region, or the regions of a range), counted
 * in flight under the intent lock.
 */
struct vmirror_issue {
	struct region_map *rm;
	struct region_waiter *w;
	enum region_write_route route;
};

static void vmirror_issue(void *arg)
{
	struct vmirror_issue *is = arg;

	is->route = region_map_write_begin(is->rm, is->w);
}

static unsigned int vmirror_issue_range(void *arg, unsigned int nr)
{
	struct vmirror_issue *is = arg;

	return region_map_write_begin_range(is->rm, is->w, nr, &is->route);
}

/*
 * The tail of every write counted in flight, of one region or of a range:
 * held (a copy or a split owns the region: it maps the write later), to
 * both disks, or to the source alone (its regions not yet copied, or the
 * mirror gone).
 */
static int vmirror_map_routed(struct vmirror *vm, struct bio *bio,
			      sector_t offset, enum region_write_route route)
{
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	switch (route) {
	case REGION_WRITE_HELD:
		return DM_MAPIO_SUBMITTED;
	case REGION_WRITE_BOTH:
		pb->tracked = true;
		if (pb->discard && bio_op(bio) == REQ_OP_DISCARD)
			vmirror_discard_both(vm, bio);
		vmirror_clone_to_mirror(vm, bio, offset);
		break;
	case REGION_WRITE_UNSYNCED:
		/* percent_synced may have dropped; async: a lag to carry. */
		vmirror_note_percent(vm);
		copier_kick(vm->copier);
		fallthrough;
	case REGION_WRITE_SOURCE:
		pb->tracked = true;
		break;
	}
	vmirror_remap(bio, vm->source, vm->source_start, offset);
	return DM_MAPIO_REMAPPED;
}

static int vmirror_map_write(struct vmirror *vm, struct bio *bio)
{
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	sector_t offset = dm_target_offset(vm->ti, bio->bi_iter.bi_sector);
	enum vmirror_io_mode mode = READ_ONCE(vm->io_mode);
	struct vmirror_issue is = { .rm = vm->rm, .w = &pb->waiter };

	/* A write held by a copy or a split may come back after break. */
	if (mode == VMIRROR_IO_MIRROR_ONLY)
		return vmirror_map_mirror_only(vm, bio, offset);

	if (vm->intent) {
		/*
		 * Rule W: not issued while its region is recorded in sync.
		 * Counted in flight under the intent lock, so that the
		 * snapshots (intent.c, same lock) see it.
		 */
		if (!intent_write_begin(vm->intent, &pb->waiter, vmirror_issue,
					&is)) {
			queue_work(vmirror_md_wq, &vm->md_work);
			return DM_MAPIO_SUBMITTED;
		}
	} else {
		vmirror_issue(&is);
	}
	return vmirror_map_routed(vm, bio, offset, is.route);
}

/* A write spans no more regions than its waiter has bits for. */
static_assert(VMIRROR_MAX_IO_REGIONS <= REGION_RANGE_MAX);

/*
 * A plain write spanning regions (Documentation/vmirror.rst, "Regions"):
 * the longest prefix of them that goes one way at once (all to both
 * disks, or all to the source alone), nothing held nor parked, is counted
 * in flight region by region and the bio is trimmed to it, here in .map
 * where no one else can see it yet.  Held, parked and released writes are
 * always of one region: if the first region cannot go at once, nothing is
 * counted and the caller maps the write as one region.  @to_boundary:
 * sectors to the end of the first region.
 * Return: true if the bio was mapped (remapped to the source).
 */
static bool vmirror_map_range(struct vmirror *vm, struct bio *bio,
			      sector_t offset, sector_t to_boundary)
{
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	sector_t region_sectors = vmirror_region_sectors(vm);
	struct vmirror_issue is = { .rm = vm->rm, .w = &pb->waiter };
	unsigned int nr, k;
	sector_t len;

	nr = 1 + ((bio_sectors(bio) - to_boundary + region_sectors - 1) >>
		  vm->region_shift);
	pb->waiter.region = vmirror_sector_to_region(vm, offset);
	if (vm->intent)
		k = intent_write_begin_range(vm->intent, pb->waiter.region, nr,
					     vmirror_issue_range, &is);
	else
		k = vmirror_issue_range(&is, nr);
	if (!k)
		return false;

	len = to_boundary + (sector_t)(k - 1) * region_sectors;
	if (bio_sectors(bio) > len)
		dm_accept_partial_bio(bio, len);
	/* After the trim: a clone is of what this bio still holds.  Never held. */
	return vmirror_map_routed(vm, bio, offset, is.route) ==
	       DM_MAPIO_REMAPPED;
}

void vmirror_release_writes(struct vmirror *vm, struct list_head *released)
{
	struct region_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, released, list) {
		struct vmirror_bio *pb = container_of(w, struct vmirror_bio,
						      waiter);
		struct bio *bio = dm_bio_from_per_bio_data(pb, sizeof(*pb));

		list_del_init(&w->list);
		if (vmirror_map_write(vm, bio) == DM_MAPIO_REMAPPED)
			dm_submit_bio_remap(bio, NULL);
	}
}

int vmirror_map(struct dm_target *ti, struct bio *bio)
{
	struct vmirror *vm = ti->private;
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	sector_t offset = dm_target_offset(ti, bio->bi_iter.bi_sector);
	enum vmirror_io_mode mode = READ_ONCE(vm->io_mode);
	sector_t to_boundary;

	/* copy_priority low yields to the host. */
	copier_note_host_io(vm->copier);

	pb->mirror_status = BLK_STS_OK;
	pb->to_mirror = false;
	pb->tracked = false;
	pb->mirror_only = false;
	pb->discard = bio_op(bio) == REQ_OP_DISCARD;
	pb->discard_unsync = false;
	pb->md_error = false;
	pb->host_mirror = false;
	pb->fo_parked = false;
	pb->waiter.nr = 1;
	pb->waiter.no_entry = 0;

	/* After break or failover the mirror is the disk: all goes there. */
	if (mode == VMIRROR_IO_MIRROR_ONLY)
		return vmirror_map_mirror_only(vm, bio, offset);

	if (bio_data_dir(bio) == READ) {
		vmirror_remap(bio, vm->source, vm->source_start, offset);
		pb->read_iter = bio->bi_iter;
		return DM_MAPIO_REMAPPED;
	}

	if (!bio_sectors(bio)) {
		/* An empty flush: both disks must have their caches flushed. */
		if (mode == VMIRROR_IO_MIRRORED)
			vmirror_clone_to_mirror(vm, bio, offset);
		vmirror_remap(bio, vm->source, vm->source_start, offset);
		return DM_MAPIO_REMAPPED;
	}

	/*
	 * DM core splits reads and writes at max_io_len (a few regions, see
	 * vmirror_max_io_len()), but not write zeroes and discards.  A plain
	 * write may span regions that go one way at once; anything else is
	 * kept inside one region.
	 */
	to_boundary = vmirror_region_sectors(vm) -
		(offset & (vmirror_region_sectors(vm) - 1));
	if (bio_sectors(bio) > to_boundary) {
		if (bio_op(bio) == REQ_OP_WRITE &&
		    vmirror_map_range(vm, bio, offset, to_boundary))
			return DM_MAPIO_REMAPPED;
		dm_accept_partial_bio(bio, to_boundary);
	}

	pb->waiter.region = vmirror_sector_to_region(vm, offset);
	return vmirror_map_write(vm, bio);
}

/*
 * Completion: the error policy (Documentation/vmirror.rst, "Error policy")
 *
 * Each leg's status is first classified (vmirror_leg_result()): only an
 * I/O error on a bio that did not ask to give up early says that a disk
 * is failing.  A write sent to both disks is then judged by
 * vmirror_state_write_done(): a failed mirror breaks the pair, a failed
 * source fails over to the mirror while synchronized (the mirror holds
 * every acknowledged write), and legs that ended differently otherwise
 * only put the region out of sync.  When the pair is failedover at
 * completion (break or a failover raced the write), the mirror is the
 * only disk that serves reads, and its status is the host's.  A read the
 * source failed while synchronized is read again from the mirror.
 */

static enum vmirror_leg_result vmirror_leg_result(struct bio *bio,
						  blk_status_t error)
{
	if (likely(!error))
		return VMIRROR_LEG_OK;
	/* The request was not acceptable, or not now: nothing was done. */
	if (error == BLK_STS_NOTSUPP || error == BLK_STS_AGAIN)
		return VMIRROR_LEG_REFUSED;
	/* sd answers a WRITE SAME it cannot do so, before turning it off. */
	if (error == BLK_STS_TARGET && bio_op(bio) == REQ_OP_WRITE_ZEROES)
		return VMIRROR_LEG_REFUSED;
	/*
	 * The caller asked to give up early: DM fails the readahead of a
	 * suspended device at once, a failfast bio is not retried.
	 */
	if (bio->bi_opf & (REQ_RAHEAD | REQ_FAILFAST_MASK))
		return VMIRROR_LEG_GAVE_UP;
	return VMIRROR_LEG_FAILED;
}

static void vmirror_log_change(struct vmirror *vm,
			       const struct vmirror_write_done *done,
			       blk_status_t src, blk_status_t mir)
{
	switch (done->ev) {
	case VMIRROR_EV_MIRROR_FAILED:
		DMERR("%s: write error on mirror %s, mirror is broken",
		      vmirror_md_name(vm), vm->mirror->name);
		break;
	case VMIRROR_EV_SOURCE_FAILED:
		DMERR("%s: I/O error %d on source %s, failed over to mirror %s",
		      vmirror_md_name(vm), blk_status_to_errno(src),
		      vm->source->name, vm->mirror->name);
		break;
	default:
		DMWARN("%s: write ended %d on source %s, %d on mirror %s: region copied again",
		       vmirror_md_name(vm), blk_status_to_errno(src),
		       vm->source->name, blk_status_to_errno(mir),
		       vm->mirror->name);
		break;
	}
}

/* Every region of a write (region_map_write_begin_range()) out of sync. */
static void vmirror_mark_write_unsynced(struct vmirror *vm,
					const struct region_waiter *w)
{
	unsigned int i;

	for (i = 0; i < w->nr; i++)
		region_map_mark_unsynced(vm->rm, w->region + i);
}

/* A write or flush sent to both disks has completed on both. */
static void vmirror_write_both_done(struct vmirror *vm, struct bio *bio,
				    blk_status_t *error)
{
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	blk_status_t src_status = *error, mir_status = pb->mirror_status;
	enum vmirror_leg_result src = vmirror_leg_result(bio, src_status);
	enum vmirror_leg_result mir = vmirror_leg_result(bio, mir_status);
	bool flush = bio->bi_opf & REQ_PREFLUSH;
	struct vmirror_write_done done;
	unsigned long flags;

	if (unlikely(pb->discard_unsync) && src != VMIRROR_LEG_FAILED &&
	    mir != VMIRROR_LEG_FAILED) {
		/*
		 * Both disks discarded a region in sync (or refused to): what
		 * they read now need not be the same, so the region goes out
		 * of sync for the copy to settle.  No disk failed.
		 */
		vmirror_unsync(vm, VMIRROR_EV_DIVERGED, pb->waiter.region);
		return;
	}
	if (likely(src == VMIRROR_LEG_OK && mir == VMIRROR_LEG_OK))
		return;
	if (src == VMIRROR_LEG_FAILED)
		atomic64_inc(&vm->source_errors);
	if (mir == VMIRROR_LEG_FAILED)
		atomic64_inc(&vm->mirror_errors);

	/*
	 * The verdict, the state change and the region's loss of its in-sync
	 * status in one step: "synced" (under the same lock) cannot slip in
	 * between, and nothing fails over onto a region that lost a write.
	 */
	spin_lock_irqsave(&vm->state_lock, flags);
	if (src == VMIRROR_LEG_FAILED)
		__vmirror_note_behind_final(vm);
	else
		__vmirror_note_behind(vm);
	vmirror_state_write_done(&vm->state, src, mir, flush,
				 ktime_get_real_ns(), &done);
	if (done.changed && done.ev == VMIRROR_EV_SOURCE_FAILED)
		__vmirror_failover_pending(vm);
	__vmirror_set_mode(vm);
	if (done.unsync && !flush)
		vmirror_mark_write_unsynced(vm, &pb->waiter);
	spin_unlock_irqrestore(&vm->state_lock, flags);

	/* A failed mirror flush may have lost any write since the last one. */
	if (done.unsync && flush)
		region_map_mark_all_unsynced(vm->rm);
	if (done.unsync) {
		vmirror_note_percent(vm);
		copier_kick(vm->copier);
	}
	if (done.host_mirror) {
		*error = mir_status;
		pb->host_mirror = true;
	}
	if (done.changed) {
		vmirror_changed(vm);
		vmirror_log_change(vm, &done, src_status, mir_status);
	}
}

/*
 * A failed read is read again from the mirror: the same bio, restored as
 * mapped and remapped to the mirror, as dm-raid1 does with
 * dm_bio_restore().  Nothing is allocated, so nothing can fail here.
 */
static void vmirror_retry_reads(struct work_struct *ws)
{
	struct vmirror *vm = container_of(ws, struct vmirror, retry_work);
	struct bio_list reads;
	struct bio *bio;

	spin_lock_irq(&vm->retry_lock);
	reads = vm->retry_reads;
	bio_list_init(&vm->retry_reads);
	spin_unlock_irq(&vm->retry_lock);

	while ((bio = bio_list_pop(&reads))) {
		struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

		bio->bi_iter = pb->read_iter;
		bio->bi_iter.bi_sector += vm->mirror_start - vm->source_start;
		bio_set_dev(bio, vm->mirror->bdev);
		bio->bi_status = BLK_STS_OK;
		/* Back to DM core's clone_endio(), and vmirror_end_io(). */
		submit_bio_noacct(bio);
	}
}

static void vmirror_queue_retry(struct vmirror *vm, struct bio *bio)
{
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	unsigned long flags;

	pb->mirror_only = true;
	/*
	 * Not a polled bio any more: the mirror's poll queue is not polled.
	 * The cookie goes first, here in the completion: a poller that looks
	 * at this bio again (DM polls the clone it mapped) stops at it
	 * before the bio is moved to the mirror.
	 */
	WRITE_ONCE(bio->bi_cookie, BLK_QC_T_NONE);
	bio_clear_polled(bio);
	spin_lock_irqsave(&vm->retry_lock, flags);
	bio_list_add(&vm->retry_reads, bio);
	spin_unlock_irqrestore(&vm->retry_lock, flags);
	queue_work(vmirror_retry_wq, &vm->retry_work);
}

/*
 * The completion of a bio served by the mirror alone: held while a
 * failover is not recorded (__vmirror_failover_pending()), ended by the
 * commit worker.  Return: DM_ENDIO_INCOMPLETE if held.
 */
static int vmirror_fo_park(struct vmirror *vm, struct bio *bio,
			   blk_status_t error)
{
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	unsigned long flags;

	/* Pairs with smp_wmb() in __vmirror_failover_pending(). */
	smp_rmb();
	if (likely(!READ_ONCE(vm->fo_pending)))
		return DM_ENDIO_DONE;
	spin_lock_irqsave(&vm->fo_lock, flags);
	if (!READ_ONCE(vm->fo_pending)) {
		spin_unlock_irqrestore(&vm->fo_lock, flags);
		return DM_ENDIO_DONE;
	}
	pb->fo_parked = true;
	pb->fo_status = error;
	bio_list_add(&vm->fo_parked, bio);
	spin_unlock_irqrestore(&vm->fo_lock, flags);
	queue_work(vmirror_md_wq, &vm->md_work);
	return DM_ENDIO_INCOMPLETE;
}

/* Return: DM_ENDIO_INCOMPLETE if the read is being read again. */
static int vmirror_read_done(struct vmirror *vm, struct bio *bio,
			     blk_status_t *error)
{
	int r;

	/* Refused or given up (readahead): the host's, nothing changes. */
	if (likely(vmirror_leg_result(bio, *error) != VMIRROR_LEG_FAILED))
		return DM_ENDIO_DONE;

	atomic64_inc(&vm->source_errors);
	r = vmirror_event(vm, VMIRROR_EV_SOURCE_FAILED);
	if (!r)
		DMERR("%s: I/O error %d on source %s, failed over to mirror %s",
		      vmirror_md_name(vm), blk_status_to_errno(*error),
		      vm->source->name, vm->mirror->name);
	if (r && r != -EALREADY)
		return DM_ENDIO_DONE;
	vmirror_queue_retry(vm, bio);
	return DM_ENDIO_INCOMPLETE;
}

int vmirror_end_io(struct dm_target *ti, struct bio *bio,
		   blk_status_t *error)
{
	struct vmirror *vm = ti->private;
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	/* Failed before it was issued, or parked and ended once (above). */
	if (unlikely(pb->md_error || pb->fo_parked))
		return DM_ENDIO_DONE;
	if (pb->mirror_only) {
		/* The mirror is the disk: its errors are the host's. */
		if (unlikely(vmirror_leg_result(bio, *error) == VMIRROR_LEG_FAILED))
			atomic64_inc(&vm->mirror_errors);
		return vmirror_fo_park(vm, bio, *error);
	}
	if (bio_data_dir(bio) == READ)
		return vmirror_read_done(vm, bio, error);

	if (pb->to_mirror)
		vmirror_write_both_done(vm, bio, error);
	else if (unlikely(vmirror_leg_result(bio, *error) == VMIRROR_LEG_FAILED))
		atomic64_inc(&vm->source_errors);	/* the source alone */
	/*
	 * A discard is advice: a disk that refused it kept its data, which a
	 * discard allows (a region that now differs was put out of sync).
	 */
	if (pb->discard && vmirror_leg_result(bio, *error) == VMIRROR_LEG_REFUSED)
		*error = BLK_STS_OK;

	if (pb->tracked) {
		unsigned long ready = region_map_write_end(vm->rm, &pb->waiter);
		unsigned int i;

		/* Each region of the write whose deferred copy may start. */
		for_each_set_bit(i, &ready, REGION_RANGE_MAX)
			copier_region_ready(vm->copier, pb->waiter.region + i);
		/* Pairs with WRITE_ONCE(vm->quiescing) in vmirror_op_split(). */
		if (unlikely(READ_ONCE(vm->quiescing)))
			wake_up(&vm->quiesce_wait);
	}
	if (unlikely(pb->host_mirror))
		return vmirror_fo_park(vm, bio, *error);
	return DM_ENDIO_DONE;
}

/*---------------------------------------------------------------------------*/

int __init vmirror_io_init(void)
{
	/* Reads go through it after a failover: it must make progress. */
	vmirror_retry_wq = alloc_workqueue("kvmirror_retry", WQ_MEM_RECLAIM, 0);
	if (!vmirror_retry_wq)
		return -ENOMEM;
	/* Host writes wait for its commits: it must make progress too. */
	vmirror_md_wq = alloc_workqueue("kvmirror_md", WQ_MEM_RECLAIM, 0);
	if (!vmirror_md_wq) {
		destroy_workqueue(vmirror_retry_wq);
		return -ENOMEM;
	}
	return 0;
}

void vmirror_io_exit(void)
{
	destroy_workqueue(vmirror_md_wq);
	destroy_workqueue(vmirror_retry_wq);
}

void vmirror_io_init_target(struct vmirror *vm)
{
	INIT_WORK(&vm->notify_work, vmirror_notify);
	spin_lock_init(&vm->retry_lock);
	bio_list_init(&vm->retry_reads);
	INIT_WORK(&vm->retry_work, vmirror_retry_reads);
	mutex_init(&vm->md_lock);
	INIT_WORK(&vm->md_work, vmirror_md_work);
	spin_lock_init(&vm->fo_lock);
	bio_list_init(&vm->fo_parked);
	INIT_DELAYED_WORK(&vm->clean_work, vmirror_clean_work);
}
