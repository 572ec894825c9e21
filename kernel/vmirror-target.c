// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vmirror: a device-mapper target that mirrors a live disk onto another
 * disk.  Host writes are duplicated to both disks, a kernel thread copies
 * the rest in the background, and the association follows the
 * MSFT_VirtualDiskToVirtualDisk state model.
 *
 * The write/copy ordering lives in region-map.c, the background copy in
 * copier.c and the state model in state.c; this file is the device-mapper
 * glue and the bio path.  See Documentation/vmirror.rst.
 */

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "../uapi/linux/dm-vmirror.h"
#include "args.h"
#include "copier.h"
#include "region-map.h"
#include "state.h"
#include "vmirror.h"

#define DM_MSG_PREFIX "vmirror"

/*
 * VMIRROR_VERSION ("1.2.0") and its three numbers come from the VERSION
 * file at the top of the tree (kernel/Kbuild): one number for the module,
 * the target, vmirrorctl and the packages.
 */
#if !defined(VMIRROR_VERSION) || !defined(VMIRROR_VERSION_PATCH)
#error "VMIRROR_VERSION is set by kernel/Kbuild from the VERSION file"
#endif

/*
 * Per-bio data of every bio mapped by the target.
 * @waiter: region and held-list link of a write
 * @read_iter: where a read went on the source, to read it again from the
 *	mirror if the source fails it (the lower layers consume bi_iter)
 * @mirror_status: completion status of the mirror leg's clone, if any
 * @to_mirror: a clone went to the mirror (@mirror_status is meaningful)
 * @tracked: the write was counted by region_map_write_begin()
 * @mirror_only: remapped to the mirror alone (failedover)
 */
struct vmirror_bio {
	struct region_waiter waiter;
	struct bvec_iter read_iter;
	blk_status_t mirror_status;
	bool to_mirror;
	bool tracked;
	bool mirror_only;
};

/* Reads failed over to the mirror are issued from here: it may sleep. */
static struct workqueue_struct *vmirror_retry_wq;

static const char *vmirror_name(struct vmirror *vm)
{
	return dm_table_device_name(vm->ti->table);
}

/*---------------------------------------------------------------------------*/

/* State changes */

u32 vmirror_target_version(void)
{
	return VMIRROR_VERSION_MAJOR << 16 | VMIRROR_VERSION_MINOR << 8 |
	       VMIRROR_VERSION_PATCH;
}

/* Bits of vmirror->notify_pending */
#define VMIRROR_NOTIFY_STATE	0	/* the state changed */
#define VMIRROR_NOTIFY_PERCENT	1	/* percent_synced changed */

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
	if (test_and_clear_bit(VMIRROR_NOTIFY_PERCENT, &vm->notify_pending) &&
	    !test_bit(VMIRROR_NOTIFY_STATE, &vm->notify_pending))
		vmirror_dev_notify(vm, "percent_synced", NULL);
	if (!test_and_clear_bit(VMIRROR_NOTIFY_STATE, &vm->notify_pending))
		return;

	spin_lock_irq(&vm->state_lock);
	copy_state = vmirror_state_copy_state(&vm->state);
	spin_unlock_irq(&vm->state_lock);

	dm_table_event(vm->ti->table);
	vmirror_dev_notify(vm, "percent_synced", NULL);
	vmirror_dev_notify(vm, "copy_state", vmirror_copy_state_name(copy_state));
}

/* Raise notification @bit from the notify work.  Safe from any context. */
static void vmirror_notify_later(struct vmirror *vm, int bit)
{
	set_bit(bit, &vm->notify_pending);
	schedule_work(&vm->notify_work);
}

/* The state changed: tell the world, and the copier. */
static void vmirror_changed(struct vmirror *vm)
{
	vmirror_notify_later(vm, VMIRROR_NOTIFY_STATE);
	copier_kick(vm->copier);
}

/*
 * Apply @ev with state_lock held.  "synced" is refused (-EAGAIN) unless
 * every region is in sync now: a region that lost its status after the
 * copier looked (under this lock, see vmirror_write_both_done()) keeps
 * the pair copying.
 */
static int __vmirror_event(struct vmirror *vm, enum vmirror_event ev)
{
	enum vmirror_io_mode mode;
	int r;

	lockdep_assert_held(&vm->state_lock);
	if (ev == VMIRROR_EV_SYNCED &&
	    region_map_nr_synced(vm->rm) != region_map_nr_regions(vm->rm))
		return -EAGAIN;
	r = vmirror_state_apply(&vm->state, ev, ktime_get_real_ns());
	mode = vmirror_state_io_mode(&vm->state);
	if (mode != vm->io_mode) {
		/*
		 * Writes are routed by the map's flag, read under the region's
		 * lock: none routed after this returns uses the old mode.
		 * Lock order: state_lock -> region map stripe locks.
		 */
		region_map_set_track_only(vm->rm,
					  mode == VMIRROR_IO_SOURCE_TRACKED);
		WRITE_ONCE(vm->io_mode, mode);
	}
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

bool vmirror_copy_allowed(struct vmirror *vm)
{
	unsigned long flags;
	bool allowed;

	spin_lock_irqsave(&vm->state_lock, flags);
	allowed = vmirror_state_copying(&vm->state);
	spin_unlock_irqrestore(&vm->state_lock, flags);
	return allowed;
}

static unsigned int vmirror_percent(u64 synced, u64 total)
{
	return div64_u64(synced * 100, total);
}

/* poll() wake-up when percent_synced changed.  Safe from any context. */
static void vmirror_note_percent(struct vmirror *vm)
{
	unsigned int pct = vmirror_percent(region_map_nr_synced(vm->rm),
					   region_map_nr_regions(vm->rm));

	if (atomic_xchg(&vm->last_percent, pct) != pct)
		vmirror_notify_later(vm, VMIRROR_NOTIFY_PERCENT);
}

void vmirror_copied(struct vmirror *vm, u64 bytes)
{
	atomic64_add(bytes, &vm->bytes_copied);
	vmirror_note_percent(vm);
}

void vmirror_mirror_failed(struct vmirror *vm, u64 region)
{
	unsigned long flags;
	int r;

	atomic64_inc(&vm->mirror_errors);
	/* The state first: a synchronized pair never has a region out of sync. */
	spin_lock_irqsave(&vm->state_lock, flags);
	r = __vmirror_event(vm, VMIRROR_EV_MIRROR_FAILED);
	if (region != U64_MAX)
		region_map_mark_unsynced(vm->rm, region);
	spin_unlock_irqrestore(&vm->state_lock, flags);
	if (region == U64_MAX) {
		/* A failed flush: O(1) here, the copier sweeps the regions. */
		region_map_mark_all_unsynced(vm->rm);
		copier_kick(vm->copier);
	}
	vmirror_note_percent(vm);

	if (!r) {
		vmirror_changed(vm);
		DMERR("%s: write error on mirror %s, mirror is broken",
		      vmirror_name(vm), vm->mirror->name);
	}
}

void vmirror_copy_failed(struct vmirror *vm, unsigned int nr_failed)
{
	if (!vmirror_event(vm, VMIRROR_EV_COPY_FAILED))
		DMERR("%s: %u copies could not read source %s, mirror is broken",
		      vmirror_name(vm), nr_failed, vm->source->name);
}

/*---------------------------------------------------------------------------*/

/*
 * Bio path
 *
 * After break (mirror-only mode) every bio goes to the mirror alone.
 * Otherwise reads go to the source and a write is routed by the region
 * map (in source-tracked mode a region in sync loses that status and the
 * write goes to the source alone):
 *   - region in sync: cloned to the mirror and remapped to the source;
 *     the DM clone completes only when both have completed, because the
 *     mirror clone holds an extra reference on it (bio_inc_remaining());
 *   - region not copied yet: remapped to the source alone;
 *   - region under copy: held by the region map and issued again by
 *     vmirror_release_writes() once the copy has ended.
 * A failed mirror write never fails the host write: it breaks the mirror.
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

static int vmirror_map_write(struct vmirror *vm, struct bio *bio)
{
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	sector_t offset = dm_target_offset(vm->ti, bio->bi_iter.bi_sector);
	enum vmirror_io_mode mode = READ_ONCE(vm->io_mode);

	/* A write held by a copy or a split may come back after break. */
	if (mode == VMIRROR_IO_MIRROR_ONLY)
		return vmirror_map_mirror_only(vm, bio, offset);

	switch (region_map_write_begin(vm->rm, &pb->waiter)) {
	case REGION_WRITE_HELD:
		return DM_MAPIO_SUBMITTED;
	case REGION_WRITE_BOTH:
		pb->tracked = true;
		vmirror_clone_to_mirror(vm, bio, offset);
		break;
	case REGION_WRITE_UNSYNCED:
		/* percent_synced may have dropped. */
		vmirror_note_percent(vm);
		fallthrough;
	case REGION_WRITE_SOURCE:
		pb->tracked = true;
		break;
	}
	vmirror_remap(bio, vm->source, vm->source_start, offset);
	return DM_MAPIO_REMAPPED;
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

static int vmirror_map(struct dm_target *ti, struct bio *bio)
{
	struct vmirror *vm = ti->private;
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	sector_t offset = dm_target_offset(ti, bio->bi_iter.bi_sector);
	sector_t to_boundary;
	unsigned long now;

	enum vmirror_io_mode mode = READ_ONCE(vm->io_mode);

	/* For copy_priority low; one store per jiffy, not one per bio. */
	now = jiffies;
	if (time_after(now, READ_ONCE(vm->last_host_io)))
		WRITE_ONCE(vm->last_host_io, now);

	pb->mirror_status = BLK_STS_OK;
	pb->to_mirror = false;
	pb->tracked = false;
	pb->mirror_only = false;

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
	 * DM core splits reads and writes at max_io_len, but not write
	 * zeroes: keep those inside one region too.
	 */
	to_boundary = vmirror_region_sectors(vm) -
		(offset & (vmirror_region_sectors(vm) - 1));
	if (bio_sectors(bio) > to_boundary)
		dm_accept_partial_bio(bio, to_boundary);

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
		      vmirror_name(vm), vm->mirror->name);
		break;
	case VMIRROR_EV_SOURCE_FAILED:
		DMERR("%s: I/O error %d on source %s, failed over to mirror %s",
		      vmirror_name(vm), blk_status_to_errno(src),
		      vm->source->name, vm->mirror->name);
		break;
	default:
		DMWARN("%s: write ended %d on source %s, %d on mirror %s: region copied again",
		       vmirror_name(vm), blk_status_to_errno(src),
		       vm->source->name, blk_status_to_errno(mir),
		       vm->mirror->name);
		break;
	}
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
	vmirror_state_write_done(&vm->state, src, mir, flush,
				 ktime_get_real_ns(), &done);
	WRITE_ONCE(vm->io_mode, vmirror_state_io_mode(&vm->state));
	if (done.unsync && !flush)
		region_map_mark_unsynced(vm->rm, pb->waiter.region);
	spin_unlock_irqrestore(&vm->state_lock, flags);

	/* A failed mirror flush may have lost any write since the last one. */
	if (done.unsync && flush)
		region_map_mark_all_unsynced(vm->rm);
	if (done.unsync) {
		vmirror_note_percent(vm);
		copier_kick(vm->copier);
	}
	if (done.host_mirror)
		*error = mir_status;
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
		      vmirror_name(vm), blk_status_to_errno(*error),
		      vm->source->name, vm->mirror->name);
	if (r && r != -EALREADY)
		return DM_ENDIO_DONE;
	vmirror_queue_retry(vm, bio);
	return DM_ENDIO_INCOMPLETE;
}

static int vmirror_end_io(struct dm_target *ti, struct bio *bio,
			  blk_status_t *error)
{
	struct vmirror *vm = ti->private;
	struct vmirror_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	if (pb->mirror_only) {
		/* The mirror is the disk: its errors are the host's. */
		if (unlikely(vmirror_leg_result(bio, *error) == VMIRROR_LEG_FAILED))
			atomic64_inc(&vm->mirror_errors);
		return DM_ENDIO_DONE;
	}
	if (bio_data_dir(bio) == READ)
		return vmirror_read_done(vm, bio, error);

	if (pb->to_mirror)
		vmirror_write_both_done(vm, bio, error);
	else if (unlikely(vmirror_leg_result(bio, *error) == VMIRROR_LEG_FAILED))
		atomic64_inc(&vm->source_errors);	/* the source alone */

	if (pb->tracked) {
		if (region_map_write_end(vm->rm, pb->waiter.region))
			copier_region_ready(vm->copier, pb->waiter.region);
		/* Pairs with the wait in vmirror_op_split(). */
		if (unlikely(READ_ONCE(vm->quiescing)))
			wake_up(&vm->quiesce_wait);
	}
	return DM_ENDIO_DONE;
}

/*---------------------------------------------------------------------------*/

/*
 * Construction
 *
 * <source_dev> <source_offset> <mirror_dev> <mirror_offset>
 * [<#opt_args> <opt_arg>...]
 *
 * opt_args: region_size <sectors> | sync_mode sync | copy_priority
 * low|same|high | max_copy_rate <KiB/s> | nosync | no_activation
 */

static int vmirror_get_legs(struct vmirror *vm, const struct vmirror_args *a)
{
	struct dm_target *ti = vm->ti;

	/* The mode's type is fmode_t before 6.5, blk_mode_t after: not named. */
	if (dm_get_device(ti, a->source_path, dm_table_get_mode(ti->table),
			  &vm->source)) {
		ti->error = "Source device lookup failed";
		return -EINVAL;
	}
	if (dm_get_device(ti, a->mirror_path, dm_table_get_mode(ti->table),
			  &vm->mirror)) {
		ti->error = "Mirror device lookup failed";
		goto out_put_source;
	}
	if (vm->source->bdev->bd_dev == vm->mirror->bdev->bd_dev) {
		ti->error = "Source and mirror are the same device";
		goto out_put_mirror;
	}
	if (a->source_start + ti->len < a->source_start ||
	    a->source_start + ti->len > bdev_nr_sectors(vm->source->bdev)) {
		ti->error = "Source device too small";
		goto out_put_mirror;
	}
	if (a->mirror_start + ti->len < a->mirror_start ||
	    a->mirror_start + ti->len > bdev_nr_sectors(vm->mirror->bdev)) {
		ti->error = "Mirror device too small";
		goto out_put_mirror;
	}
	vm->source_start = a->source_start;
	vm->mirror_start = a->mirror_start;
	vm->source_seq = READ_ONCE(vm->source->bdev->bd_disk->diskseq);
	vm->mirror_seq = READ_ONCE(vm->mirror->bdev->bd_disk->diskseq);
	return 0;

out_put_mirror:
	dm_put_device(ti, vm->mirror);
out_put_source:
	dm_put_device(ti, vm->source);
	return -EINVAL;
}

static int vmirror_ctr_core(struct vmirror *vm, const struct vmirror_args *a)
{
	struct dm_target *ti = vm->ti;
	u64 nr_regions = DIV_ROUND_UP_ULL(ti->len, a->region_size);
	int r;

	vm->rm = region_map_create(nr_regions, a->nosync);
	if (!vm->rm) {
		ti->error = nr_regions > INT_MAX ? "Too many regions" :
						   "Cannot allocate region map";
		return -ENOMEM;
	}

	r = bioset_init(&vm->mirror_bs, BIO_POOL_SIZE, 0, 0);
	if (r) {
		ti->error = "Cannot allocate mirror bioset";
		goto out_destroy_map;
	}

	vm->copier = copier_create(vm, a->copy_priority, a->max_copy_rate);
	if (IS_ERR(vm->copier)) {
		ti->error = "Cannot start copy thread";
		r = PTR_ERR(vm->copier);
		goto out_exit_bioset;
	}
	return 0;

out_exit_bioset:
	bioset_exit(&vm->mirror_bs);
out_destroy_map:
	region_map_destroy(vm->rm);
	return r;
}

static void vmirror_init_target(struct dm_target *ti, struct vmirror *vm)
{
	ti->private = vm;
	ti->num_flush_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->num_discard_bios = 0;	/* see "Discards" in vmirror.rst */
	ti->flush_supported = true;
	ti->accounts_remapped_io = true;
	ti->per_io_data_size = sizeof(struct vmirror_bio);
}

static struct vmirror *vmirror_alloc(struct dm_target *ti,
				     const struct vmirror_args *args)
{
	struct vmirror *vm = kzalloc(sizeof(*vm), GFP_KERNEL);

	if (!vm)
		return NULL;
	vm->ti = ti;
	vm->region_shift = __ffs(args->region_size);
	spin_lock_init(&vm->state_lock);
	vmirror_state_init(&vm->state, args->no_activation);
	vm->io_mode = vmirror_state_io_mode(&vm->state);
	mutex_init(&vm->op_lock);
	init_waitqueue_head(&vm->quiesce_wait);
	INIT_WORK(&vm->notify_work, vmirror_notify);
	spin_lock_init(&vm->retry_lock);
	bio_list_init(&vm->retry_reads);
	INIT_WORK(&vm->retry_work, vmirror_retry_reads);
	atomic_set(&vm->users, 0);
	atomic_set(&vm->last_percent, args->nosync ? 100 : 0);
	vm->last_host_io = jiffies - HZ;
	atomic64_set(&vm->bytes_copied, 0);
	atomic64_set(&vm->source_errors, 0);
	atomic64_set(&vm->mirror_errors, 0);
	vm->no_activation = args->no_activation;
	vm->nosync = args->nosync;
	return vm;
}

static int vmirror_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct vmirror_args args;
	struct vmirror *vm;
	int r;

	r = vmirror_parse_args(&args, argc, argv, &ti->error);
	if (r)
		return r;

	r = dm_set_target_max_io_len(ti, args.region_size);
	if (r)
		return r;

	vm = vmirror_alloc(ti, &args);
	if (!vm) {
		ti->error = "Cannot allocate vmirror context";
		return -ENOMEM;
	}

	r = vmirror_dev_attach(vm);
	if (r)
		goto out_free;

	r = vmirror_get_legs(vm, &args);
	if (r)
		goto out_detach;

	ti->error = vmirror_dev_successor_error(vm);
	if (ti->error) {
		r = -EINVAL;
		goto out_put_legs;
	}

	r = vmirror_ctr_core(vm, &args);
	if (r)
		goto out_put_legs;

	vmirror_init_target(ti, vm);
	return 0;

out_put_legs:
	dm_put_device(ti, vm->mirror);
	dm_put_device(ti, vm->source);
out_detach:
	vmirror_dev_detach(vm);
out_free:
	kfree(vm);
	return r;
}

static void vmirror_dtr(struct dm_target *ti)
{
	struct vmirror *vm = ti->private;

	/* First out of sight of sysfs and ioctls, then torn down. */
	vmirror_dev_deactivate(vm);
	copier_destroy(vm->copier);
	cancel_work_sync(&vm->notify_work);
	flush_work(&vm->retry_work);
	vmirror_dev_detach(vm);
	bioset_exit(&vm->mirror_bs);
	region_map_destroy(vm->rm);
	dm_put_device(ti, vm->mirror);
	dm_put_device(ti, vm->source);
	kfree(vm);
}

/*
 * A leg is the same disk if it has the same device number and the same
 * medium: the block layer gives a disk a new diskseq when its medium
 * changes (a loop device given another file, a new medium).  A DM leg
 * keeps both across its own table reloads: what it maps to is the user's.
 */
static bool vmirror_same_disk(struct dm_dev *dev, struct dm_dev *old_dev,
			      u64 old_seq)
{
	return dev->bdev->bd_dev == old_dev->bdev->bd_dev &&
	       READ_ONCE(dev->bdev->bd_disk->diskseq) == old_seq;
}

bool vmirror_same_association(struct vmirror *vm, struct vmirror *old)
{
	return vmirror_same_disk(vm->source, old->source, old->source_seq) &&
	       vmirror_same_disk(vm->mirror, old->mirror, old->mirror_seq) &&
	       vm->source_start == old->source_start &&
	       vm->mirror_start == old->mirror_start &&
	       vm->ti->len == old->ti->len &&
	       vm->region_shift == old->region_shift;
}

char *vmirror_successor_error(struct vmirror *vm, struct vmirror *old)
{
	bool failedover;

	spin_lock_irq(&old->state_lock);
	failedover = old->state.copy_state == VMIRROR_COPY_STATE_FAILEDOVER;
	spin_unlock_irq(&old->state_lock);

	/* The same association takes the failedover state over. */
	if (!failedover || vmirror_same_association(vm, old))
		return NULL;
	/* A new migration from the mirror, or from another disk, is fine. */
	if (!vmirror_same_disk(vm->source, old->source, old->source_seq) ||
	    vm->source_start >= old->source_start + old->ti->len ||
	    old->source_start >= vm->source_start + vm->ti->len)
		return NULL;
	return "Source was abandoned by a failover: the mirror has newer writes";
}

/*
 * @old is suspended: no host I/O and no copy is in flight, and nothing is
 * held by its region map, so its progress can move to @vm as it is.  An
 * operation on @old (ioctls reach it until @vm is live) is waited for and
 * no other starts: it would change a state that is no longer @old's.
 * @vm is not live either, but its copier thread and status readers exist:
 * the map is published before the state that lets the copier use it,
 * under the lock the copier reads the state with.
 */
void vmirror_take_over(struct vmirror *vm, struct vmirror *old)
{
	struct region_map *rm = vm->rm;
	struct vmirror_state st;

	mutex_lock(&old->op_lock);
	old->retired = true;

	spin_lock_irq(&old->state_lock);
	st = old->state;
	spin_unlock_irq(&old->state_lock);

	spin_lock_irq(&vm->state_lock);
	WRITE_ONCE(vm->rm, old->rm);
	vm->state = st;
	WRITE_ONCE(vm->io_mode, vmirror_state_io_mode(&st));
	spin_unlock_irq(&vm->state_lock);
	/* @old's status readers see one map or the other, both alive. */
	WRITE_ONCE(old->rm, rm);
	vm->activated = old->activated;

	atomic_set(&vm->last_percent, atomic_read(&old->last_percent));
	atomic64_set(&vm->bytes_copied, atomic64_read(&old->bytes_copied));
	atomic64_set(&vm->source_errors, atomic64_read(&old->source_errors));
	atomic64_set(&vm->mirror_errors, atomic64_read(&old->mirror_errors));
	mutex_unlock(&old->op_lock);

	DMINFO("%s: reload keeps the copy's progress (%llu of %llu regions in sync)",
	       vmirror_name(vm), region_map_nr_synced(vm->rm),
	       region_map_nr_regions(vm->rm));
}

void vmirror_retire(struct vmirror *old)
{
	mutex_lock(&old->op_lock);
	old->retired = true;
	mutex_unlock(&old->op_lock);
}

/*---------------------------------------------------------------------------*/

/* Status, messages and the rest of the target interface */

void vmirror_get_status(struct vmirror *vm, struct vmirror_status *st)
{
	/* One map: a reload may swap it (vmirror_take_over()). */
	struct region_map *rm = READ_ONCE(vm->rm);
	u64 total = region_map_nr_regions(rm);
	u64 synced = region_map_nr_synced(rm);
	u64 region_bytes = to_bytes(vmirror_region_sectors(vm));
	struct vmirror_state s;
	unsigned long flags;

	spin_lock_irqsave(&vm->state_lock, flags);
	s = vm->state;
	spin_unlock_irqrestore(&vm->state_lock, flags);

	st->copy_state = vmirror_state_copy_state(&s);
	st->sync_state = vmirror_state_sync_state(&s);
	st->progress_status = vmirror_state_progress(&s);
	st->requested_copy_state = s.requested_copy_state;
	st->percent_synced = vmirror_percent(synced, total);
	st->sync_maintained = s.sync_maintained;
	st->sync_mode = VMIRROR_COPY_TYPE_SYNC;
	st->copy_type = VMIRROR_COPY_TYPE_SYNC;
	st->sync_type = VMIRROR_SYNC_TYPE_MIRROR;
	st->replica_type = VMIRROR_REPLICA_TYPE_FULL_COPY;
	st->copy_priority = copier_priority(vm->copier);
	st->copy_methodology = vmirror_state_methodology(&s);
	st->max_copy_rate = copier_max_rate(vm->copier);
	st->source_major = MAJOR(vm->source->bdev->bd_dev);
	st->source_minor = MINOR(vm->source->bdev->bd_dev);
	st->target_major = MAJOR(vm->mirror->bdev->bd_dev);
	st->target_minor = MINOR(vm->mirror->bdev->bd_dev);
	st->sync_time_ns = s.sync_time_ns;
	st->region_size = region_bytes;
	st->regions_total = total;
	st->regions_synced = synced;
	st->bytes_copied = atomic64_read(&vm->bytes_copied);
	st->copy_rate = copier_copy_rate(vm->copier);
	st->source_errors = atomic64_read(&vm->source_errors);
	st->mirror_errors = atomic64_read(&vm->mirror_errors);

	if (s.copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED)
		st->eta_seconds = 0;
	else if (vmirror_state_copying(&s) && st->copy_rate)
		st->eta_seconds = div64_u64((total - synced) * region_bytes,
					    st->copy_rate);
	else
		st->eta_seconds = -1;
}

/*
 * The words of "dmsetup status" (Documentation/vmirror.rst), fields of
 * kernel/status-fields.h written as sysfs writes them; regions_synced and
 * regions_total make one word, joined by '/'.
 */
static const u8 vmirror_status_line[] = {
	VMIRROR_FIELD_copy_state, VMIRROR_FIELD_percent_synced,
	VMIRROR_FIELD_regions_synced, VMIRROR_FIELD_regions_total,
	VMIRROR_FIELD_sync_state, VMIRROR_FIELD_progress_status,
	VMIRROR_FIELD_copy_priority, VMIRROR_FIELD_max_copy_rate,
	VMIRROR_FIELD_bytes_copied, VMIRROR_FIELD_source_errors,
	VMIRROR_FIELD_mirror_errors, VMIRROR_FIELD_copy_methodology,
	VMIRROR_FIELD_requested_copy_state,
};

static void vmirror_status_info(struct vmirror *vm, char *result,
				unsigned int maxlen)
{
	char text[VMIRROR_FIELD_TEXT_MAX];
	struct vmirror_status st;
	unsigned int sz = 0, i;
	u8 f;

	vmirror_get_status(vm, &st);
	for (i = 0; i < ARRAY_SIZE(vmirror_status_line); i++) {
		f = vmirror_status_line[i];
		vmirror_field_text(&st, f, text, sizeof(text));
		DMEMIT("%s%s", !i ? "" : f == VMIRROR_FIELD_regions_total ? "/" : " ",
		       text);
	}
}

static void vmirror_status_table(struct vmirror *vm, char *result,
				 unsigned int maxlen)
{
	u16 priority = copier_priority(vm->copier);
	u32 rate = copier_max_rate(vm->copier);
	unsigned int nr_opts = 2;
	unsigned int sz = 0;

	nr_opts += priority != VMIRROR_PRIORITY_SAME ? 2 : 0;
	nr_opts += rate ? 2 : 0;
	nr_opts += vm->nosync + vm->no_activation;

	DMEMIT("%s %llu %s %llu %u region_size %llu",
	       vm->source->name, (unsigned long long)vm->source_start,
	       vm->mirror->name, (unsigned long long)vm->mirror_start,
	       nr_opts, (unsigned long long)vmirror_region_sectors(vm));
	if (priority != VMIRROR_PRIORITY_SAME)
		DMEMIT(" copy_priority %s", vmirror_priority_name(priority));
	if (rate)
		DMEMIT(" max_copy_rate %u", rate);
	if (vm->nosync)
		DMEMIT(" nosync");
	if (vm->no_activation)
		DMEMIT(" no_activation");
}

static void vmirror_status(struct dm_target *ti, status_type_t type,
			   unsigned int status_flags, char *result,
			   unsigned int maxlen)
{
	struct vmirror *vm = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		vmirror_status_info(vm, result, maxlen);
		break;
	case STATUSTYPE_TABLE:
		vmirror_status_table(vm, result, maxlen);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",source_name=%s,mirror_name=%s;", vm->source->name,
		       vm->mirror->name);
		break;
	}
}

/*
 * Operations: the DM messages and VMIRROR_IOC_CONTROL.
 */

static int vmirror_refuse(struct vmirror *vm, const char *op)
{
	struct vmirror_status st;

	vmirror_get_status(vm, &st);
	DMWARN("%s: %s refused while %s", vmirror_name(vm), op,
	       vmirror_copy_state_name(st.copy_state));
	return -EBUSY;
}

static int vmirror_op(struct vmirror *vm, enum vmirror_event ev)
{
	if (vmirror_event(vm, ev))
		return vmirror_refuse(vm, vmirror_event_name(ev));
	return 0;
}

/* Retry regions whose copy failed, or copy those changed meanwhile. */
static int vmirror_op_rescan(struct vmirror *vm, enum vmirror_event ev)
{
	int r = vmirror_op(vm, ev);

	if (!r)
		copier_rescan(vm->copier);
	return r;
}

/*
 * The source failed the flush of a split.  The policy is that of any
 * source error while synchronized (and of a host flush failing the same
 * way): fail over, the mirror holds every write.  If the pair is no
 * longer synchronized (a mirror error won), the split is only aborted.
 */
static void vmirror_split_source_failed(struct vmirror *vm, int err)
{
	atomic64_inc(&vm->source_errors);
	if (!vmirror_event(vm, VMIRROR_EV_SOURCE_FAILED)) {
		DMERR("%s: flush error %d on source %s during split, failed over to mirror %s",
		      vmirror_name(vm), err, vm->source->name, vm->mirror->name);
		return;
	}
	vmirror_event(vm, VMIRROR_EV_SPLIT_ABORT);
	DMERR("%s: split aborted, flushing the source failed: %d",
	      vmirror_name(vm), err);
}

/*
 * split: hold new writes, wait for those in flight, flush both disks, and
 * only then stop writing the mirror: it holds every write completed before
 * the split and none after it, a consistent point-in-time copy.  The wait
 * is killable (a leg may never answer): a killed split is aborted.
 */
static int vmirror_op_split(struct vmirror *vm)
{
	LIST_HEAD(released);
	int r;

	r = vmirror_op(vm, VMIRROR_EV_SPLIT_BEGIN);
	if (r)
		return r;

	WRITE_ONCE(vm->quiescing, true);
	region_map_freeze(vm->rm);
	if (wait_event_killable(vm->quiesce_wait,
				!region_map_writes_in_flight(vm->rm))) {
		DMWARN("%s: split interrupted while writes were in flight, aborted",
		       vmirror_name(vm));
		vmirror_event(vm, VMIRROR_EV_SPLIT_ABORT);
		r = -EINTR;
		goto out_thaw;
	}

	r = blkdev_issue_flush(vm->source->bdev);
	if (r) {
		vmirror_split_source_failed(vm, r);
		r = -EIO;
		goto out_thaw;
	}
	if (blkdev_issue_flush(vm->mirror->bdev))
		vmirror_mirror_failed(vm, U64_MAX);
	if (vmirror_event(vm, VMIRROR_EV_SPLIT_DONE)) {
		DMERR("%s: split failed, a disk failed while quiescing",
		      vmirror_name(vm));
		r = -EIO;
	}

out_thaw:
	WRITE_ONCE(vm->quiescing, false);
	region_map_thaw(vm->rm, &released);
	vmirror_release_writes(vm, &released);
	return r;
}

/*
 * break: the mirror becomes the disk.  What is counted in sync is on its
 * stable media already (a copy counts only after a flush, and the host's
 * flushes reach both disks), so this flush is belt and braces: it runs
 * before the pivot, and if it fails the mirror is broken instead.
 */
static int vmirror_op_break(struct vmirror *vm)
{
	struct vmirror_state s;
	int r;

	spin_lock_irq(&vm->state_lock);
	s = vm->state;
	spin_unlock_irq(&vm->state_lock);
	if (vmirror_state_apply(&s, VMIRROR_EV_BREAK, 0))
		return vmirror_refuse(vm, "break");

	r = blkdev_issue_flush(vm->mirror->bdev);
	if (r) {
		DMERR("%s: break failed, flushing the mirror failed: %d",
		      vmirror_name(vm), r);
		vmirror_mirror_failed(vm, U64_MAX);
		return -EIO;
	}
	return vmirror_op(vm, VMIRROR_EV_BREAK);
}

/* The message of @op (state-names.c), for the log */
static const char *vmirror_op_name(u32 op)
{
	return vmirror_op_word(op) ?: "operation";
}

static int vmirror_control_op(struct vmirror *vm, u32 op)
{
	switch (op) {
	case VMIRROR_OP_ACTIVATE:
		return vmirror_op(vm, VMIRROR_EV_ACTIVATE);
	case VMIRROR_OP_PAUSE:
		return vmirror_op(vm, VMIRROR_EV_PAUSE);
	case VMIRROR_OP_RESUME:
		return vmirror_op_rescan(vm, VMIRROR_EV_RESUME);
	case VMIRROR_OP_FRACTURE:
		return vmirror_op(vm, VMIRROR_EV_FRACTURE);
	case VMIRROR_OP_SPLIT:
		return vmirror_op_split(vm);
	case VMIRROR_OP_RESYNC:
		return vmirror_op_rescan(vm, VMIRROR_EV_RESYNC);
	case VMIRROR_OP_BREAK:
		return vmirror_op_break(vm);
	case VMIRROR_OP_CANCEL:
		return vmirror_op(vm, VMIRROR_EV_CANCEL);
	}
	return -EINVAL;
}

int vmirror_control(struct vmirror *vm, u32 op, u32 value)
{
	int r;

	/* Settings are values the copier reads: nothing to wait for. */
	switch (op) {
	case VMIRROR_OP_SET_PRIORITY:
		if (value < VMIRROR_PRIORITY_LOW || value > VMIRROR_PRIORITY_HIGH)
			return -EINVAL;
		copier_set_priority(vm->copier, value);
		return 0;
	case VMIRROR_OP_SET_MAX_RATE:
		copier_set_rate(vm->copier, value);
		return 0;
	}

	/* Behind a split that waits for a stuck leg: killable. */
	if (mutex_lock_killable(&vm->op_lock))
		return -EINTR;
	if (unlikely(!vm->resumed || vm->retired)) {
		DMWARN("%s: %s refused: the table is %s", vmirror_name(vm),
		       vmirror_op_name(op),
		       vm->retired ? "being replaced" : "not resumed yet");
		r = -EAGAIN;
	} else {
		r = vmirror_control_op(vm, op);
	}
	mutex_unlock(&vm->op_lock);
	return r;
}

static int vmirror_message_op(struct vmirror *vm, const char *word)
{
	unsigned int op = vmirror_op_value(word);

	if (op)
		return vmirror_control(vm, op, 0);
	DMWARN("%s: unknown message '%s'", vmirror_name(vm), word);
	return -EINVAL;
}

static int vmirror_message_setting(struct vmirror *vm, const char *name,
				   const char *value)
{
	u16 priority;
	u32 rate;

	if (!strcasecmp(name, "copy_priority")) {
		if (vmirror_parse_priority(value, &priority))
			goto out_invalid;
		return vmirror_control(vm, VMIRROR_OP_SET_PRIORITY, priority);
	}
	if (!strcasecmp(name, "max_copy_rate")) {
		if (vmirror_parse_rate(value, &rate))
			goto out_invalid;
		return vmirror_control(vm, VMIRROR_OP_SET_MAX_RATE, rate);
	}
	DMWARN("%s: unknown message '%s'", vmirror_name(vm), name);
	return -EINVAL;

out_invalid:
	DMWARN("%s: invalid %s '%s'", vmirror_name(vm), name, value);
	return -EINVAL;
}

static int vmirror_message(struct dm_target *ti, unsigned int argc,
			   char **argv, char *result, unsigned int maxlen)
{
	struct vmirror *vm = ti->private;

	if (argc == 1)
		return vmirror_message_op(vm, argv[0]);
	if (argc == 2)
		return vmirror_message_setting(vm, argv[0], argv[1]);

	DMWARN("%s: invalid message (%u words)", vmirror_name(vm), argc);
	return -EINVAL;
}

static int vmirror_iterate_devices(struct dm_target *ti,
				   iterate_devices_callout_fn fn, void *data)
{
	struct vmirror *vm = ti->private;
	int r;

	r = fn(ti, vm->source, vm->source_start, ti->len, data);
	if (!r)
		r = fn(ti, vm->mirror, vm->mirror_start, ti->len, data);
	return r;
}

static void vmirror_presuspend(struct dm_target *ti)
{
	struct vmirror *vm = ti->private;

	/*
	 * No copy, and so no held write, may outlive the suspend; copies
	 * stuck on a leg that does not answer are abandoned, not waited for.
	 */
	copier_quiesce(vm->copier);
}

static void vmirror_presuspend_undo(struct dm_target *ti)
{
	struct vmirror *vm = ti->private;

	copier_start(vm->copier);
}

static void vmirror_postsuspend(struct dm_target *ti)
{
	struct vmirror *vm = ti->private;

	vmirror_event(vm, VMIRROR_EV_DM_SUSPEND);
}

/*
 * A table about to replace a live one (a reload): the live one takes no
 * operation from now on, so its state is final.  A table that would read
 * the source that table abandoned by a failover is refused, for good
 * (the failover may have happened after this table was loaded, when its
 * constructor checked).  The old table is destroyed either way: the
 * device stays suspended until a table that is not refused is loaded.
 */
static int vmirror_preresume(struct dm_target *ti)
{
	struct vmirror *vm = ti->private;

	if (!vm->refused)
		vm->refused = vmirror_dev_retire_live(vm);
	if (!vm->refused)
		return 0;
	DMERR("%s: %s: not resumed, load another table (e.g. linear on the mirror %s)",
	      vmirror_name(vm), vm->refused, vm->mirror->name);
	return -EINVAL;
}

static void vmirror_resume(struct dm_target *ti)
{
	struct vmirror *vm = ti->private;

	vmirror_dev_activate(vm);
	mutex_lock(&vm->op_lock);
	vm->resumed = true;
	mutex_unlock(&vm->op_lock);
	vmirror_event(vm, VMIRROR_EV_DM_RESUME);
	if (!vm->activated) {
		vm->activated = true;
		if (!vm->no_activation)
			vmirror_event(vm, VMIRROR_EV_ACTIVATE);
	}
	copier_start(vm->copier);
}

static struct target_type vmirror_target = {
	.name = "vmirror",
	.version = {VMIRROR_VERSION_MAJOR, VMIRROR_VERSION_MINOR,
		    VMIRROR_VERSION_PATCH},
	.module = THIS_MODULE,
	.ctr = vmirror_ctr,
	.dtr = vmirror_dtr,
	.map = vmirror_map,
	.end_io = vmirror_end_io,
	.presuspend = vmirror_presuspend,
	.presuspend_undo = vmirror_presuspend_undo,
	.postsuspend = vmirror_postsuspend,
	.preresume = vmirror_preresume,
	.resume = vmirror_resume,
	.status = vmirror_status,
	.message = vmirror_message,
	.iterate_devices = vmirror_iterate_devices,
};

static int __init dm_vmirror_init(void)
{
	int r;

	/* Reads go through it after a failover: it must make progress. */
	vmirror_retry_wq = alloc_workqueue("kvmirror_retry", WQ_MEM_RECLAIM, 0);
	if (!vmirror_retry_wq)
		return -ENOMEM;
	r = copier_init();
	if (r)
		goto out_wq;
	r = vmirror_ctl_init();
	if (r) {
		DMERR("cannot register /dev/vmirror-control: %d", r);
		goto out_copier;
	}
	r = dm_register_target(&vmirror_target);
	if (r < 0) {
		DMERR("register failed %d", r);
		goto out_ctl;
	}
	return 0;

out_ctl:
	vmirror_ctl_exit();
out_copier:
	copier_exit();
out_wq:
	destroy_workqueue(vmirror_retry_wq);
	return r;
}

static void __exit dm_vmirror_exit(void)
{
	dm_unregister_target(&vmirror_target);
	vmirror_ctl_exit();
	copier_exit();
	destroy_workqueue(vmirror_retry_wq);
}

module_init(dm_vmirror_init);
module_exit(dm_vmirror_exit);

MODULE_DESCRIPTION(DM_NAME " live mirror target with background copy");
MODULE_AUTHOR("dm-vmirror developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMIRROR_VERSION);
