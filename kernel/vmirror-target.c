// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vmirror: a device-mapper target that mirrors a live disk onto another
 * disk.  Host writes are duplicated to both disks, a kernel thread copies
 * the rest in the background, and the association follows the
 * MSFT_VirtualDiskToVirtualDisk state model.  See Documentation/vmirror.rst.
 *
 * This file is the device-mapper glue: construction, the reload
 * hand-over, the suspend hooks and the target type.  The bio path is in
 * vmirror-io.c, status and operations in vmirror-ops.c, the write/copy
 * ordering in region-map.c, the background copy in copier.c and the state
 * model in state.c.
 */

#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "../uapi/linux/dm-vmirror.h"
#include "target.h"

/*---------------------------------------------------------------------------*/

/*
 * Reload
 *
 * A new table's target meets the live one through the device's registry
 * (dev.c).  Its constructor and preresume refuse it if it would read a
 * source a failover abandoned (the live target's, or that of a failedover
 * target destroyed while live: a refused resume destroys the table it was
 * to replace); its resume takes the live target's progress over if both
 * name the same association.
 */

/* ti->error and log text of a table that would read an abandoned source */
#define VMIRROR_ABANDONED_ERROR \
	"Source was abandoned by a failover: the mirror has newer writes"

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

static bool vmirror_same_association(struct vmirror *vm,
				     struct vmirror *old)
{
	return vmirror_same_disk(vm->source, old->source, old->source_seq) &&
	       vmirror_same_disk(vm->mirror, old->mirror, old->mirror_seq) &&
	       vm->source_start == old->source_start &&
	       vm->mirror_start == old->mirror_start &&
	       vm->ti->len == old->ti->len &&
	       vm->region_shift == old->region_shift;
}

/*
 * The extent of @vm's source on its whole disk: a partition of it, or the
 * disk named at the partition's offset, is the same medium.  (A stacked
 * device over it cannot be seen through.)
 */
static void vmirror_source_extent(struct vmirror *vm, struct vmirror_extent *e)
{
	struct block_device *bdev = vm->source->bdev;

	e->devt = disk_devt(bdev->bd_disk);
	e->diskseq = vm->source_seq;
	e->start = get_start_sect(bdev) + vm->source_start;
	e->len = vm->ti->len;
}

/* The range of its whole disk that @dev covers from @start, @len long. */
static void vmirror_dev_range(struct dm_dev *dev, sector_t start,
			      sector_t len, struct vmirror_extent *e)
{
	e->devt = disk_devt(dev->bdev->bd_disk);
	e->diskseq = READ_ONCE(dev->bdev->bd_disk->diskseq);
	e->start = get_start_sect(dev->bdev) + start;
	e->len = len;
}

/* Whether @vm failed over, and the source it abandoned then. */
static bool vmirror_abandoned_source(struct vmirror *vm,
				     struct vmirror_extent *src)
{
	bool failedover;

	spin_lock_irq(&vm->state_lock);
	failedover = vm->state.copy_state == VMIRROR_COPY_STATE_FAILEDOVER;
	spin_unlock_irq(&vm->state_lock);
	if (failedover)
		vmirror_source_extent(vm, src);
	return failedover;
}

/* Whether @vm would read (and copy) data of @e. */
static bool vmirror_reads_extent(struct vmirror *vm,
				 const struct vmirror_extent *e)
{
	struct vmirror_extent src;

	vmirror_source_extent(vm, &src);
	return src.devt == e->devt &&
	       READ_ONCE(vm->source->bdev->bd_disk->diskseq) == e->diskseq &&
	       src.start < e->start + e->len && e->start < src.start + src.len;
}

/* Why @vm must not replace the live @old, or NULL. */
static char *vmirror_replace_error(struct vmirror *vm, struct vmirror *old)
{
	struct vmirror_extent src;

	/* The same association takes the failedover state over. */
	if (vmirror_same_association(vm, old) ||
	    !vmirror_abandoned_source(old, &src))
		return NULL;
	/* A new migration from the mirror, or from another disk, is fine. */
	return vmirror_reads_extent(vm, &src) ? VMIRROR_ABANDONED_ERROR : NULL;
}

/*
 * @old is suspended: no host I/O is in flight and nothing is held by its
 * region map, and no copy of its is running (a copy write abandoned at
 * suspend may still land: the copier's stale list keeps every copy off
 * that mirror until it has), so its progress can move to @vm as it is.  An
 * operation on @old (ioctls reach it until @vm is live) is waited for and
 * no other starts: it would change a state that is no longer @old's.
 * @vm is not live either, but its status readers exist: they read the map
 * and the state under state_lock.  Both copiers are stopped (@old's was
 * quiesced at its suspend, @vm's starts after this): each is handed the
 * other map under its own lock (copier_set_map()), read by its thread
 * only after copier_start().  Lock order: op_lock -> copier->lock.
 */
static void vmirror_take_over(struct vmirror *vm, struct vmirror *old)
{
	struct region_map *rm = vm->rm;
	struct vmirror_state st;

	mutex_lock(&old->op_lock);
	old->retired = true;

	spin_lock_irq(&old->state_lock);
	st = old->state;
	spin_unlock_irq(&old->state_lock);

	/* Both copiers are stopped: @vm's has not started yet. */
	copier_set_map(vm->copier, old->rm);
	copier_set_map(old->copier, rm);
	spin_lock_irq(&vm->state_lock);
	WRITE_ONCE(vm->rm, old->rm);
	vm->state = st;
	/* The map's track-only flag already follows @st: it was @old's. */
	__vmirror_set_mode(vm);
	spin_unlock_irq(&vm->state_lock);
	/* @old's status readers see one map or the other, both alive. */
	WRITE_ONCE(old->rm, rm);
	vm->activated = old->activated;

	atomic_set(&vm->last_percent, atomic_read(&old->last_percent));
	atomic64_set(&vm->bytes_copied, atomic64_read(&old->bytes_copied));
	atomic64_set(&vm->bytes_zeroed, atomic64_read(&old->bytes_zeroed));
	atomic64_set(&vm->source_errors, atomic64_read(&old->source_errors));
	atomic64_set(&vm->mirror_errors, atomic64_read(&old->mirror_errors));
	mutex_unlock(&old->op_lock);

	DMINFO("%s: reload keeps the copy's progress (%llu of %llu regions in sync)",
	       vmirror_md_name(vm), region_map_nr_synced(vm->rm),
	       region_map_nr_regions(vm->rm));
}

/*
 * Preresume, @old retired and suspended (its last commit is clean), @vm
 * holding the state it will run with (taken over from @old, or its own).
 * If both tables name the same metadata device, @vm takes @old's handle,
 * the one that knows what is on the device (the sequence number of the
 * last commit).  Else the state @vm took over is committed to @vm's
 * device before any I/O is admitted, and @old's device, which no table
 * keeps up to date from now on, is marked detached (after the commit: a
 * crash in between leaves two devices holding the same, true, state).
 * Lock order: @old's md_lock, then @vm's (@vm is not live).
 */
static int vmirror_hand_over_md(struct vmirror *vm, struct vmirror *old)
{
	bool old_md = old->meta && !old->format_pending;
	struct vmirror_extent e;
	struct vmirror_md *md;
	bool leg;
	int r = 0;

	/*
	 * @old never formatted its device (its first preresume failed): its
	 * handle holds nothing to hand over and must not mark the device.
	 */
	if (old->meta && !old_md) {
		mutex_lock(&old->md_lock);
		md = old->md;
		old->md = NULL;
		mutex_unlock(&old->md_lock);
		vmirror_md_close(md);
	}

	if (vm->meta && old_md &&
	    vm->meta->bdev->bd_dev == old->meta->bdev->bd_dev) {
		mutex_lock(&old->md_lock);
		mutex_lock_nested(&vm->md_lock, SINGLE_DEPTH_NESTING);
		md = vm->md;
		vm->md = old->md;
		/* @old commits nothing from now on (vmirror_commit()). */
		old->md = NULL;
		/* The handle's failure goes with it: the status keeps saying so. */
		if (READ_ONCE(old->md_failed))
			WRITE_ONCE(vm->md_failed, true);
		/* The write-intent state goes with the handle that recorded it. */
		vmirror_intent_take_over(vm, old);
		mutex_unlock(&vm->md_lock);
		mutex_unlock(&old->md_lock);
		/* Read at @vm's load, never written since: closing writes nothing. */
		vmirror_md_close(md);
		/*
		 * The state taken over is recorded before any I/O (a failed
		 * handle, md->failed, fails this too: nothing runs unrecorded).
		 */
		if (vm->taken_over && vmirror_commit(vm, NULL)) {
			DMERR("%s: cannot record the state taken over on %s: not resumed",
			      vmirror_md_name(vm), vm->meta->name);
			return -EIO;
		}
		return 0;
	}
	/*
	 * Another device: what it holds (a stale copy, or a fresh format with
	 * nosync) says nothing of the map taken over.  Record in sync exactly
	 * the regions the map has in sync, once both legs are flushed (rule
	 * C: @old is suspended, no write is in flight), then the state.
	 */
	if (vm->meta && vm->taken_over &&
	    (vmirror_intent_from_map(vm) || vmirror_commit(vm, NULL))) {
		DMERR("%s: cannot record the state taken over on metadata device %s: not resumed",
		      vmirror_md_name(vm), vm->meta->name);
		return -EIO;
	}
	if (!old_md)
		return 0;
	/* A leg of @vm now: data, not to be written (registered at its ctr). */
	vmirror_dev_range(old->meta, 0, bdev_nr_sectors(old->meta->bdev), &e);
	leg = vmirror_extents_overlap(&e, &vm->link.legs[0]) ||
	      vmirror_extents_overlap(&e, &vm->link.legs[1]);
	mutex_lock(&old->md_lock);
	md = old->md;
	old->md = NULL;
	if (md && !leg)
		r = vmirror_md_detach(md);
	mutex_unlock(&old->md_lock);
	vmirror_md_close(md);
	if (r)
		DMERR("%s: cannot mark metadata device %s detached: zero it before reuse",
		      vmirror_md_name(vm), old->meta->name);
	else if (md && !leg)
		DMINFO("%s: metadata device %s detached: the new table does not use it",
		       vmirror_md_name(vm), old->meta->name);
	return 0;
}

/* No operation runs on @old any more: a new table replaces it. */
static void vmirror_retire(struct vmirror *old)
{
	mutex_lock(&old->op_lock);
	old->retired = true;
	mutex_unlock(&old->op_lock);
}

static struct vmirror *vmirror_other_live(struct vmirror *vm)
{
	struct vmirror_link *link = vmirror_dev_get_other(&vm->link);

	return link ? container_of(link, struct vmirror, link) : NULL;
}

/*
 * Constructor and preresume: why @vm must not be loaded or resumed, or
 * NULL.  With @retire (preresume), no operation runs on the live target
 * from now on, so the state checked is final.
 */
static char *vmirror_successor_error(struct vmirror *vm, bool retire)
{
	struct vmirror *old = vmirror_other_live(vm);
	struct vmirror_extent src, own;
	char *why;

	if (!old) {
		/* A failedover table serves the mirror alone (a retried resume). */
		if (vmirror_dev_abandoned(&vm->link, &src) &&
		    !vmirror_abandoned_source(vm, &own) &&
		    vmirror_reads_extent(vm, &src))
			return VMIRROR_ABANDONED_ERROR;
		return NULL;
	}
	if (retire)
		vmirror_retire(old);
	why = vmirror_replace_error(vm, old);
	vmirror_dev_put(&old->link);
	return why;
}

/*
 * Preresume, @vm not refused: take the live target's progress over if it
 * is the same association (before any I/O, so that it is recorded before
 * any I/O too), then hand the metadata over.  Resumes of one DM device are
 * serialised: nothing else changes the live target meanwhile, and @old is
 * destroyed after this resume, whether it succeeds or not.
 */
static int vmirror_succeed(struct vmirror *vm)
{
	struct vmirror *old = vmirror_other_live(vm);
	int r;

	if (!old)
		return 0;
	if (!vm->taken_over && vmirror_same_association(vm, old)) {
		vmirror_take_over(vm, old);
		vm->taken_over = true;
	}
	r = vmirror_hand_over_md(vm, old);
	vmirror_dev_put(&old->link);
	return r;
}

/*---------------------------------------------------------------------------*/

/*
 * Construction
 *
 * <source_dev> <source_offset> <mirror_dev> <mirror_offset>
 * [<#opt_args> <opt_arg>...]
 *
 * opt_args: region_size <sectors> | sync_mode sync|async | copy_priority
 * low|same|high | max_copy_rate <KiB/s> | nosync | no_activation |
 * mirror_zeroed
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

/*
 * ti->error is read after the constructor returns: a message with a
 * number lives in one of these, reused round robin.
 */
#define VMIRROR_ERRORS		8
#define VMIRROR_ERROR_LEN	128
static char vmirror_errors[VMIRROR_ERRORS][VMIRROR_ERROR_LEN];
static atomic_t vmirror_error_next = ATOMIC_INIT(0);

static char *vmirror_error_buf(void)
{
	unsigned int i = atomic_inc_return(&vmirror_error_next);

	return vmirror_errors[i % VMIRROR_ERRORS];
}

/* Designator types of a disk's unique id, the most specific first */
static const struct {
	enum blk_unique_id type;
	const char *name;
} vmirror_uid_types[] = {
	{ BLK_UID_NAA, "naa" },
	{ BLK_UID_EUI64, "eui" },
	{ BLK_UID_T10, "t10" },
};

/*
 * What identifies a leg across reboots (struct vmirror_md_leg): block
 * size, and the DM uuid of a DM device, the partition UUID of a
 * partition, or the unique id a disk's driver reports (SCSI and NVMe do,
 * as for pNFS).  Nothing else for a disk without one (loop, virtio, brd).
 */
static int vmirror_leg_identity(struct dm_dev *leg, struct vmirror_md_leg *id)
{
	struct block_device *bdev = leg->bdev;
	struct gendisk *disk = bdev->bd_disk;
	struct mapped_device *md = dm_get_md(bdev->bd_dev);
	char *p = id->id;
	u8 uid[16];
	int i, j, n;

	id->sectors = bdev_nr_sectors(bdev);
	id->lbs = bdev_logical_block_size(bdev);
	memset(id->id, 0, sizeof(id->id));
	if (md) {
		char *name = kmalloc(DM_NAME_LEN, GFP_KERNEL);
		char *uuid = kmalloc(DM_UUID_LEN, GFP_KERNEL);
		int r = -ENOMEM;

		/* An id not read is an error, never an id not compared. */
		if (name && uuid)
			r = dm_copy_name_and_uuid(md, name, uuid);
		if (!r)
			snprintf(id->id, sizeof(id->id), "dm:%s", uuid);
		kfree(uuid);
		kfree(name);
		dm_put(md);
		return r;
	}
	if (bdev_is_partition(bdev)) {
		snprintf(id->id, sizeof(id->id), "part:%s",
			 bdev->bd_meta_info ? bdev->bd_meta_info->uuid : "");
		return 0;
	}
	if (!disk->fops->get_unique_id)
		return 0;
	for (i = 0; i < ARRAY_SIZE(vmirror_uid_types); i++) {
		n = disk->fops->get_unique_id(disk, uid,
					      vmirror_uid_types[i].type);
		if (n <= 0)
			continue;
		n = min_t(int, n, sizeof(uid));
		p += sprintf(p, "%s:", vmirror_uid_types[i].name);
		for (j = 0; j < n; j++)
			p += sprintf(p, "%02x", uid[j]);
		break;
	}
	return 0;
}

/*
 * Record @vm's legs and metadata device (NULL: none) in the registry:
 * NULL, or why they cannot be used: the metadata device overlaps a leg's
 * mapped range on the same disk (a partition and its disk are seen
 * through; a stacked device is not), it is this very DM device, or
 * another DM device uses it (as metadata or a leg); or a leg is another
 * DM device's metadata device.
 */
static char *vmirror_claim(struct vmirror *vm, struct dm_dev *meta_dev)
{
	struct dm_target *ti = vm->ti;
	struct vmirror_extent meta = { .len = 0 }, legs[2];
	char owner[DM_NAME_LEN];
	char *err;
	int r;

	vmirror_dev_range(vm->source, vm->source_start, ti->len, &legs[0]);
	vmirror_dev_range(vm->mirror, vm->mirror_start, ti->len, &legs[1]);
	if (meta_dev) {
		struct block_device *bdev = meta_dev->bdev;

		if (bdev->bd_dev == disk_devt(dm_disk(dm_table_get_md(ti->table))))
			return "Metadata device is this vmirror device";
		vmirror_dev_range(meta_dev, 0, bdev_nr_sectors(bdev), &meta);
		if (vmirror_extents_overlap(&meta, &legs[0]))
			return "Metadata device overlaps the source";
		if (vmirror_extents_overlap(&meta, &legs[1]))
			return "Metadata device overlaps the mirror";
	}
	r = vmirror_dev_claim(&vm->link, legs, &meta, owner, sizeof(owner));
	if (!r)
		return NULL;
	err = vmirror_error_buf();
	snprintf(err, VMIRROR_ERROR_LEN, r == -EBUSY ?
		 "Metadata device is in use by %s" :
		 "A leg is the metadata device of %s", owner);
	return err;
}

/*
 * Open the metadata device and read the association back, or find it
 * new (formatted by vmirror_format() at the first preresume).
 * Writes nothing.
 */
static int vmirror_get_metadata(struct vmirror *vm, const struct vmirror_args *a,
				struct vmirror_md_sb *sb)
{
	struct dm_target *ti = vm->ti;
	struct vmirror_md_geometry geo = {
		.len = ti->len,
		.region_sectors = a->region_size,
		.nr_regions = DIV_ROUND_UP_ULL(ti->len, a->region_size),
		.source_start = vm->source_start,
		.mirror_start = vm->mirror_start,
	};
	char *err = vmirror_error_buf();

	if (dm_get_device(ti, a->metadata_path, dm_table_get_mode(ti->table),
			  &vm->meta)) {
		ti->error = "Metadata device lookup failed";
		return -EINVAL;
	}
	ti->error = vmirror_claim(vm, vm->meta);
	if (ti->error)
		goto out_put;
	if (vmirror_leg_identity(vm->source, &geo.source) ||
	    vmirror_leg_identity(vm->mirror, &geo.mirror)) {
		ti->error = "Cannot read the identity of a leg";
		goto out_put;
	}
	vm->md = vmirror_md_open(vm->meta->bdev, &geo, sb, err,
				 VMIRROR_ERROR_LEN);
	if (!IS_ERR(vm->md))
		return 0;
	ti->error = err;
	vm->md = NULL;
out_put:
	dm_put_device(ti, vm->meta);
	vm->meta = NULL;
	return -EINVAL;
}

/*
 * A new association, at its table's first preresume: DM may still drop a
 * table after its constructor returned (another target of the table
 * fails, the table is cleared or replaced before it is resumed), and such
 * a table writes nothing.  Before vmirror_succeed(): a reload onto a new
 * device records the state taken over on a formatted device.
 */
static int vmirror_format(struct vmirror *vm)
{
	struct vmirror_md_sb sb;
	int r;

	if (!vm->format_pending)
		return 0;
	r = vmirror_md_format(vm->md, vm->nosync, ktime_get_real_ns(), &sb);
	if (r) {
		DMERR("%s: cannot format metadata device %s (%d): not resumed",
		      vmirror_md_name(vm), vm->meta->name, r);
		return r;
	}
	vm->format_pending = false;
	DMINFO("%s: metadata %s: a new association, formatted",
	       vmirror_md_name(vm), vm->meta->name);
	return 0;
}

/* The association as its metadata recorded it: map and state. */
static int vmirror_restore(struct vmirror *vm, const struct vmirror_md_sb *sb)
{
	u64 nr = region_map_nr_regions(vm->rm);
	unsigned long *bits;
	bool all;
	int r;

	/* Up to 256 MiB (INT_MAX regions): never a kmalloc. */
	bits = kvcalloc(BITS_TO_LONGS(nr), sizeof(unsigned long), GFP_KERNEL);
	if (!bits)
		return -ENOMEM;
	vmirror_md_get_bits(vm->md, bits);
	r = vmirror_intent_init(vm, bits);
	if (!r)
		region_map_load_synced(vm->rm, bits);
	kvfree(bits);
	if (r)
		return r;
	if (vmirror_md_bad_blocks(vm->md))
		DMWARN("%s: metadata %s: %llu bitmap blocks corrupt, their regions copied again",
		       vmirror_md_name(vm), vm->meta->name,
		       vmirror_md_bad_blocks(vm->md));

	all = region_map_nr_synced(vm->rm) == nr;
	vm->activated = vmirror_state_restore(&vm->state, sb->copy_state,
					      sb->flags & VMIRROR_MD_RESYNCING,
					      sb->flags & VMIRROR_MD_PAUSED,
					      all, sb->sync_time_ns);
	vm->io_mode = vmirror_state_io_mode(&vm->state);
	region_map_set_track_only(vm->rm,
				  vm->io_mode == VMIRROR_IO_SOURCE_TRACKED);
	if (vm->io_mode == VMIRROR_IO_MIRROR_ONLY)
		region_map_mirror_zero_lost(vm->rm);
	atomic64_set(&vm->bytes_copied, sb->bytes_copied);
	atomic_set(&vm->last_percent,
		   vmirror_percent(region_map_nr_synced(vm->rm), nr));
	DMINFO("%s: metadata %s: %s, %llu of %llu regions in sync",
	       vmirror_md_name(vm), vm->meta->name,
	       vmirror_copy_state_name(sb->copy_state),
	       region_map_nr_synced(vm->rm), nr);
	return 0;
}

static int vmirror_ctr_core(struct vmirror *vm, const struct vmirror_args *a)
{
	struct dm_target *ti = vm->ti;
	u64 nr_regions = DIV_ROUND_UP_ULL(ti->len, a->region_size);
	bool recorded = vm->md && !vmirror_md_formatted(vm->md);
	struct copier_legs legs = {
		.source = vm->source,
		.mirror = vm->mirror,
		.source_start = vm->source_start,
		.mirror_start = vm->mirror_start,
		.len = ti->len,
		.region_shift = vm->region_shift,
		/* A batch is recorded once both legs are flushed. */
		.flush_source = !!vm->meta,
		.name = dm_table_device_name(ti->table),
	};
	int r;

	/* A recorded association has its own idea of what is in sync. */
	vm->rm = region_map_create(nr_regions, a->nosync && !recorded);
	if (!vm->rm) {
		ti->error = nr_regions > INT_MAX ? "Too many regions" :
						   "Cannot allocate region map";
		return -ENOMEM;
	}
	/* ...and its mirror no longer reads zeroes where it was copied. */
	if (a->mirror_zeroed && !recorded &&
	    region_map_set_mirror_zeroed(vm->rm)) {
		ti->error = "Cannot allocate region map";
		r = -ENOMEM;
		goto out_destroy_map;
	}

	r = bioset_init(&vm->mirror_bs, BIO_POOL_SIZE, 0, 0);
	if (r) {
		ti->error = "Cannot allocate mirror bioset";
		goto out_destroy_map;
	}

	vm->copier = copier_create(&legs, vm->rm, &vmirror_copier_ops, vm,
				   a->copy_priority, a->max_copy_rate);
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
	/*
	 * Advertised only when both disks discard (DM checks each one:
	 * discards_supported is not set).  See "Discards and write zeroes"
	 * in vmirror.rst.
	 */
	ti->num_discard_bios = 1;
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
	vm->link.ti = ti;
	vm->region_shift = __ffs(args->region_size);
	spin_lock_init(&vm->state_lock);
	vmirror_state_init(&vm->state, args->no_activation);
	vm->io_mode = vmirror_state_io_mode(&vm->state);
	mutex_init(&vm->op_lock);
	init_waitqueue_head(&vm->quiesce_wait);
	vmirror_io_init_target(vm);
	atomic_set(&vm->last_percent, args->nosync ? 100 : 0);
	atomic64_set(&vm->bytes_copied, 0);
	atomic64_set(&vm->bytes_zeroed, 0);
	atomic64_set(&vm->source_errors, 0);
	atomic64_set(&vm->mirror_errors, 0);
	vm->async = args->async;
	vm->no_activation = args->no_activation;
	vm->nosync = args->nosync;
	vm->mirror_zeroed = args->mirror_zeroed;
	return vm;
}

static int vmirror_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct vmirror_md_sb sb;
	struct vmirror_args args;
	struct vmirror *vm;
	int r;

	r = vmirror_parse_args(&args, argc, argv, &ti->error);
	if (r)
		return r;

	/*
	 * DM core splits bios at a few regions (1 MiB with the default
	 * regions); map trims a write to the regions that go one way at once.
	 */
	r = dm_set_target_max_io_len(ti, vmirror_max_io_len(args.region_size));
	if (r)
		return r;

	vm = vmirror_alloc(ti, &args);
	if (!vm) {
		ti->error = "Cannot allocate vmirror context";
		return -ENOMEM;
	}

	r = vmirror_dev_attach(&vm->link);
	if (r)
		goto out_free;

	r = vmirror_get_legs(vm, &args);
	if (r)
		goto out_detach;

	ti->error = vmirror_successor_error(vm, false);
	if (!ti->error)
		ti->error = vmirror_claim(vm, NULL);
	if (ti->error) {
		r = -EINVAL;
		goto out_put_legs;
	}

	/* Before the metadata is opened: no allocation of that size. */
	if (DIV_ROUND_UP_ULL(ti->len, args.region_size) > INT_MAX) {
		ti->error = "Too many regions";
		r = -EINVAL;
		goto out_put_legs;
	}

	/* Every check and allocation first: a refused line writes nothing. */
	if (args.metadata_path) {
		r = vmirror_get_metadata(vm, &args, &sb);
		if (r)
			goto out_put_legs;
	}

	r = vmirror_ctr_core(vm, &args);
	if (r)
		goto out_put_meta;
	if (vm->md && !vmirror_md_formatted(vm->md) && vmirror_restore(vm, &sb)) {
		ti->error = "Cannot allocate region map";
		r = -ENOMEM;
		goto out_destroy_core;
	}
	if (vm->md && vmirror_md_formatted(vm->md)) {
		/*
		 * As the first preresume formats it (vmirror_format()): every
		 * region recorded in sync with nosync, else none.
		 */
		r = vmirror_intent_init(vm, NULL);
		if (r) {
			ti->error = "Cannot allocate region map";
			goto out_destroy_core;
		}
		if (args.nosync)
			intent_load(vm->intent, NULL, true);
		vm->format_pending = true;
	}

	vmirror_init_target(ti, vm);
	return 0;

out_destroy_core:
	copier_destroy(vm->copier);
	bioset_exit(&vm->mirror_bs);
	region_map_destroy(vm->rm);
out_put_meta:
	if (vm->meta) {
		intent_destroy(vm->intent);
		vmirror_md_close(vm->md);
		dm_put_device(ti, vm->meta);
	}
out_put_legs:
	dm_put_device(ti, vm->mirror);
	dm_put_device(ti, vm->source);
out_detach:
	vmirror_dev_detach(&vm->link);
out_free:
	kfree(vm);
	return r;
}

static void vmirror_dtr(struct dm_target *ti)
{
	struct vmirror *vm = ti->private;
	struct vmirror_extent src;

	/*
	 * First out of sight of sysfs and ioctls (the device remembers a
	 * failover's abandoned source), then torn down.
	 */
	vmirror_dev_deactivate(&vm->link, vmirror_abandoned_source(vm, &src) ?
				       &src : NULL);
	copier_destroy(vm->copier);
	cancel_work_sync(&vm->notify_work);
	flush_work(&vm->retry_work);
	/* Nothing is written here: postsuspend made the last commit. */
	vmirror_md_stop(vm);
	vmirror_dev_detach(&vm->link);
	bioset_exit(&vm->mirror_bs);
	region_map_destroy(vm->rm);
	if (vm->meta) {
		intent_destroy(vm->intent);
		vmirror_md_close(vm->md);
		dm_put_device(ti, vm->meta);
	}
	dm_put_device(ti, vm->mirror);
	dm_put_device(ti, vm->source);
	kfree(vm);
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
	/*
	 * No host I/O, no copy: a forced clean pass (a flush of both legs)
	 * records every hot region in sync, and the state is committed.  A
	 * change made while suspended commits again.
	 */
	vmirror_md_suspend(vm);
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
		vm->refused = vmirror_successor_error(vm, true);
	if (!vm->refused) {
		int r = vmirror_format(vm);

		return r ? r : vmirror_succeed(vm);
	}
	DMERR("%s: %s: not resumed, load another table (e.g. linear on the mirror %s)",
	      vmirror_md_name(vm), vm->refused, vm->mirror->name);
	return -EINVAL;
}

static void vmirror_resume(struct dm_target *ti)
{
	struct vmirror *vm = ti->private;

	/* Preresume took the live target's progress over. */
	vmirror_dev_activate(&vm->link);
	mutex_lock(&vm->op_lock);
	/* This table's sync_mode, also on a map taken over from the last. */
	vmirror_set_write_mode(vm, vm->async, false);
	vm->resumed = true;
	mutex_unlock(&vm->op_lock);
	vmirror_event(vm, VMIRROR_EV_DM_RESUME);
	vmirror_md_resume(vm);
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

int vmirror_target_register(void)
{
	return dm_register_target(&vmirror_target);
}

void vmirror_target_unregister(void)
{
	dm_unregister_target(&vmirror_target);
}
