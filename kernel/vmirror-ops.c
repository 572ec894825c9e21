// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vmirror: status and operations.
 *
 * Everything reported about a pair comes from vmirror_get_status() (the
 * same snapshot for "dmsetup status", sysfs and VMIRROR_IOC_STATUS).
 * Operations (messages and VMIRROR_IOC_CONTROL) are serialised by the
 * target's op_lock; split and break wait for the legs, killably.
 */

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "../uapi/linux/dm-vmirror.h"
#include "target.h"

/*
 * VMIRROR_VERSION ("1.2.0") and its three numbers come from the VERSION
 * file at the top of the tree (kernel/Kbuild): one number for the module,
 * the target, vmirrorctl and the packages.
 */
#if !defined(VMIRROR_VERSION) || !defined(VMIRROR_VERSION_PATCH)
#error "VMIRROR_VERSION is set by kernel/Kbuild from the VERSION file"
#endif

/* Status */

u32 vmirror_target_version(void)
{
	return VMIRROR_VERSION_MAJOR << 16 | VMIRROR_VERSION_MINOR << 8 |
	       VMIRROR_VERSION_PATCH;
}

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
	st->sync_mode = READ_ONCE(vm->async) ? VMIRROR_COPY_TYPE_ASYNC :
					       VMIRROR_COPY_TYPE_SYNC;
	/*
	 * Sync mode keeps the mirror equal to the source by every write: not
	 * while a lag left by async mode is still being carried.
	 */
	st->sync_maintained = s.sync_maintained &&
		(st->sync_mode == VMIRROR_COPY_TYPE_ASYNC ||
		 !vmirror_lag_regions(vm, &s));
	st->copy_type = st->sync_mode;
	st->sync_type = VMIRROR_SYNC_TYPE_MIRROR;
	st->replica_type = VMIRROR_REPLICA_TYPE_FULL_COPY;
	st->copy_priority = copier_priority(vm->copier);
	st->copy_methodology = vmirror_state_methodology(&s);
	st->max_copy_rate = copier_max_rate(vm->copier);
	st->source_major = MAJOR(vm->source->bdev->bd_dev);
	st->source_minor = MINOR(vm->source->bdev->bd_dev);
	st->target_major = MAJOR(vm->mirror->bdev->bd_dev);
	st->target_minor = MINOR(vm->mirror->bdev->bd_dev);
	if (vm->meta) {
		st->metadata_major = MAJOR(vm->meta->bdev->bd_dev);
		st->metadata_minor = MINOR(vm->meta->bdev->bd_dev);
		/* Set once, never cleared: vmirror_md_failed(). */
		st->metadata_state = READ_ONCE(vm->md_failed) ?
				     VMIRROR_METADATA_FAILED : VMIRROR_METADATA_OK;
	}
	st->sync_time_ns = s.sync_time_ns;
	st->region_size = region_bytes;
	st->regions_total = total;
	st->regions_synced = synced;
	st->bytes_copied = atomic64_read(&vm->bytes_copied);
	st->copy_rate = copier_copy_rate(vm->copier);
	st->source_errors = atomic64_read(&vm->source_errors);
	st->mirror_errors = atomic64_read(&vm->mirror_errors);
	st->bytes_zeroed = atomic64_read(&vm->bytes_zeroed);
	/* Region granularity; the last region may be short. */
	st->lag_bytes = min_t(u64, vmirror_lag_regions(vm, &s) * region_bytes,
			      to_bytes(vm->ti->len));

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
	/* Added after the table's words: the status line is never reordered. */
	DMEMIT(" %llu", st.bytes_zeroed);
	/* Words are only ever added at the end. */
	DMEMIT(" %llu", st.lag_bytes);
	DMEMIT(" %s", vmirror_metadata_state_name(st.metadata_state));
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
	nr_opts += vm->nosync + vm->no_activation + vm->mirror_zeroed;
	nr_opts += READ_ONCE(vm->async) ? 2 : 0;
	nr_opts += vm->meta ? 2 : 0;

	DMEMIT("%s %llu %s %llu %u region_size %llu",
	       vm->source->name, (unsigned long long)vm->source_start,
	       vm->mirror->name, (unsigned long long)vm->mirror_start,
	       nr_opts, (unsigned long long)vmirror_region_sectors(vm));
	if (READ_ONCE(vm->async))
		DMEMIT(" sync_mode async");
	if (priority != VMIRROR_PRIORITY_SAME)
		DMEMIT(" copy_priority %s", vmirror_priority_name(priority));
	if (rate)
		DMEMIT(" max_copy_rate %u", rate);
	if (vm->nosync)
		DMEMIT(" nosync");
	if (vm->no_activation)
		DMEMIT(" no_activation");
	if (vm->mirror_zeroed)
		DMEMIT(" mirror_zeroed");
	if (vm->meta)
		DMEMIT(" metadata_dev %s", vm->meta->name);
}

void vmirror_status(struct dm_target *ti, status_type_t type,
		    unsigned int status_flags, char *result, unsigned int maxlen)
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
		DMEMIT(",source_name=%s,mirror_name=%s", vm->source->name,
		       vm->mirror->name);
		if (vm->meta)
			DMEMIT(",metadata_name=%s", vm->meta->name);
		DMEMIT(";");
		break;
	}
}

/*---------------------------------------------------------------------------*/

/*
 * Operations: the DM messages and VMIRROR_IOC_CONTROL.
 */

static int vmirror_refuse(struct vmirror *vm, const char *op)
{
	struct vmirror_status st;

	vmirror_get_status(vm, &st);
	DMWARN("%s: %s refused while %s", vmirror_md_name(vm), op,
	       vmirror_copy_state_name(st.copy_state));
	return -EBUSY;
}

/*
 * Apply @ev once the state it leads to is recorded (metadata_dev): a
 * commit that fails changes nothing and fails the operation with -EIO.
 */
static int vmirror_op(struct vmirror *vm, enum vmirror_event ev)
{
	int r = vmirror_event_durable(vm, ev);

	if (r == -EIO) {
		DMERR("%s: %s failed: the metadata device cannot record it",
		      vmirror_md_name(vm), vmirror_event_name(ev));
		return r;
	}
	if (r)
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
 * A flush of a leg that an operation waits for, killably: a leg that
 * never answers must not hold the operation (and with it op_lock, DM's
 * live table and every reload) for ever.  The flush is issued and waited
 * for by a work item, because submitting may sleep too (writeback
 * throttling, request tags of a stalled blk-mq leg); the operation only
 * waits for its completion.  A killed waiter leaves the work running;
 * whichever of the two ends last frees the context.  The work pins the
 * module, and module exit drains the work queue, so no work runs module
 * code after it.
 */
static struct workqueue_struct *vmirror_flush_wq;

struct vmirror_flush {
	struct work_struct work;
	struct completion done;
	struct block_device *bdev;
	int error;
	refcount_t ref;
};

static void vmirror_flush_put(struct vmirror_flush *f)
{
	if (refcount_dec_and_test(&f->ref))
		kfree(f);
}

static void vmirror_flush_work(struct work_struct *ws)
{
	struct vmirror_flush *f = container_of(ws, struct vmirror_flush, work);

	f->error = blkdev_issue_flush(f->bdev);
	complete(&f->done);
	vmirror_flush_put(f);
	/* Module exit drains vmirror_flush_wq: this returns before it ends. */
	module_put(THIS_MODULE);
}

/* Return: 0, the flush's errno, -EINTR if killed (the flush goes on). */
static int vmirror_flush_killable(struct dm_dev *leg)
{
	struct vmirror_flush *f = kmalloc(sizeof(*f), GFP_NOIO);
	int r;

	if (!f)
		return -ENOMEM;
	INIT_WORK(&f->work, vmirror_flush_work);
	init_completion(&f->done);
	f->bdev = leg->bdev;
	refcount_set(&f->ref, 2);
	__module_get(THIS_MODULE);
	queue_work(vmirror_flush_wq, &f->work);

	/* Pairs with complete() in vmirror_flush_work(): f->error is set. */
	if (wait_for_completion_killable(&f->done))
		r = -EINTR;
	else
		r = f->error;
	vmirror_flush_put(f);
	return r;
}

int __init vmirror_ops_init(void)
{
	/* An operation on a leg under memory pressure must make progress. */
	vmirror_flush_wq = alloc_workqueue("kvmirror_flush", WQ_MEM_RECLAIM, 0);
	return vmirror_flush_wq ? 0 : -ENOMEM;
}

void vmirror_ops_exit(void)
{
	destroy_workqueue(vmirror_flush_wq);
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
		      vmirror_md_name(vm), err, vm->source->name, vm->mirror->name);
		return;
	}
	vmirror_event(vm, VMIRROR_EV_SPLIT_ABORT);
	DMERR("%s: split aborted, flushing the source failed: %d",
	      vmirror_md_name(vm), err);
}

static int vmirror_split_abort(struct vmirror *vm, const char *when, int r)
{
	DMWARN("%s: split aborted %s: %d", vmirror_md_name(vm), when, r);
	vmirror_event(vm, VMIRROR_EV_SPLIT_ABORT);
	return r;
}

/*
 * Before split and break: the mirror must hold every acknowledged write.
 * Writes go to both disks from now on (draining), and the copier carries
 * the regions async writes took out of sync (every write that can be
 * acknowledged has taken its region out of sync already: see
 * vmirror_set_write_mode()).  Polled, killably: the copier commits a
 * region after a mirror flush that may never come back.  A pair that
 * stops being synchronized meanwhile (a failed mirror) ends the wait, for
 * the caller's state change to refuse.  The copier does not run while the
 * device is suspended (or on its way to it: presuspend stops it), so a
 * lag cannot drain then: -EAGAIN, at once or as soon as a suspend starts,
 * never a wait that only a resume could end (and a resume waits for
 * op_lock).  Callers restore the write mode with vmirror_undrain().
 */
static int vmirror_drain_lag(struct vmirror *vm, const char *op)
{
	struct vmirror_state s;
	u64 lag;

	vmirror_set_write_mode(vm, vm->async, true);
	for (;;) {
		spin_lock_irq(&vm->state_lock);
		s = vm->state;
		spin_unlock_irq(&vm->state_lock);
		if (s.copy_state != VMIRROR_COPY_STATE_SYNCHRONIZED)
			return 0;
		lag = vmirror_lag_regions(vm, &s);
		if (!lag)
			return 0;
		if (s.dm_suspended || !copier_running(vm->copier)) {
			DMWARN("%s: %s refused: suspended with %llu regions to carry to the mirror",
			       vmirror_md_name(vm), op, lag);
			return -EAGAIN;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		schedule_timeout_killable(HZ / 50);
	}
}

/* After split or break: writes follow sync_mode again. */
static void vmirror_undrain(struct vmirror *vm)
{
	vmirror_set_write_mode(vm, vm->async, false);
}

/*
 * split: hold new writes, wait for those in flight, flush both disks, and
 * only then stop writing the mirror: it holds every write completed before
 * the split and none after it, a consistent point-in-time copy.  The waits
 * (the drain, both flushes) are killable, as a leg may never answer: a
 * killed split is aborted.
 */
static int vmirror_op_split(struct vmirror *vm)
{
	LIST_HEAD(released);
	int r;

	r = vmirror_op(vm, VMIRROR_EV_SPLIT_BEGIN);
	if (r)
		return r;
	/* Async: the point in time is that of the last acknowledged write. */
	r = vmirror_drain_lag(vm, "split");
	if (r) {
		vmirror_undrain(vm);
		return vmirror_split_abort(vm, "draining the lag", r);
	}

	/*
	 * Pairs with READ_ONCE(vm->quiescing) in vmirror_end_io(): a write
	 * that ends after the freeze takes its stripe lock after
	 * region_map_freeze() did (which also orders this store), so it sees
	 * @quiescing and wakes us once its count has dropped.
	 */
	WRITE_ONCE(vm->quiescing, true);
	region_map_freeze(vm->rm);
	if (wait_event_killable(vm->quiesce_wait,
				!region_map_writes_in_flight(vm->rm))) {
		r = vmirror_split_abort(vm, "while writes were in flight",
					-EINTR);
		goto out_thaw;
	}

	r = vmirror_flush_killable(vm->source);
	if (r == -EINTR || r == -ENOMEM) {
		r = vmirror_split_abort(vm, "flushing the source", r);
		goto out_thaw;
	}
	if (r) {
		vmirror_split_source_failed(vm, r);
		r = -EIO;
		goto out_thaw;
	}
	r = vmirror_flush_killable(vm->mirror);
	if (r == -EINTR || r == -ENOMEM) {
		r = vmirror_split_abort(vm, "flushing the mirror", r);
		goto out_thaw;
	}
	if (r)
		vmirror_mirror_failed(vm, U64_MAX);
	/* Recorded before it is reported: the copy is not overwritten after a crash. */
	r = vmirror_event_durable(vm, VMIRROR_EV_SPLIT_DONE);
	if (r == -EIO && vm->meta && READ_ONCE(vm->md_failed)) {
		DMERR("%s: split failed, the metadata device cannot record it",
		      vmirror_md_name(vm));
	} else if (r) {
		DMERR("%s: split failed, a disk failed while quiescing",
		      vmirror_md_name(vm));
		r = -EIO;
	}
	/* Not split: the pair must not be left "splitting" (no-op if not). */
	if (r)
		vmirror_event(vm, VMIRROR_EV_SPLIT_ABORT);

out_thaw:
	WRITE_ONCE(vm->quiescing, false);
	vmirror_undrain(vm);
	region_map_thaw(vm->rm, &released);
	vmirror_release_writes(vm, &released);
	return r;
}

/*
 * break: the mirror becomes the disk.  What is counted in sync is on its
 * stable media already (a copy counts only after a flush, and the host's
 * flushes reach both disks), so this flush is belt and braces: it runs
 * before the pivot, and if it fails the mirror is broken instead.  A
 * killed break (the mirror never answers) changes nothing.
 */
static int __vmirror_op_break(struct vmirror *vm)
{
	struct vmirror_state s;
	LIST_HEAD(released);
	bool quiesce = vm->meta;
	int r;

	spin_lock_irq(&vm->state_lock);
	s = vm->state;
	spin_unlock_irq(&vm->state_lock);
	/* Legal once the lag is drained: checked again when it is applied. */
	s.mirror_behind = false;
	if (vmirror_state_apply(&s, VMIRROR_EV_BREAK, 0))
		return vmirror_refuse(vm, "break");

	/* Async: first the writes the mirror lacks (a killed wait: no-op). */
	r = vmirror_drain_lag(vm, "break");
	if (r)
		return r;

	/*
	 * With metadata, host writes are held from before the commit of
	 * failedover until it is applied: a write whose mirror half fails
	 * in between would be acknowledged from the source alone while the
	 * record says the mirror is the disk.  The quiesce pairs with
	 * READ_ONCE(vm->quiescing) in vmirror_end_io(), as for split.
	 */
	if (quiesce) {
		WRITE_ONCE(vm->quiescing, true);
		region_map_freeze(vm->rm);
		if (wait_event_killable(vm->quiesce_wait,
					!region_map_writes_in_flight(vm->rm))) {
			r = -EINTR;
			goto out_thaw;
		}
	}

	r = vmirror_flush_killable(vm->mirror);
	if (r == -EINTR || r == -ENOMEM)
		goto out_thaw;
	if (r) {
		DMERR("%s: break failed, flushing the mirror failed: %d",
		      vmirror_md_name(vm), r);
		vmirror_mirror_failed(vm, U64_MAX);
		r = -EIO;
		goto out_thaw;
	}
	/*
	 * failedover is recorded before any I/O goes to the mirror alone;
	 * refused if the mirror is behind again (state.c: mirror_behind).
	 */
	r = vmirror_event_durable(vm, VMIRROR_EV_BREAK);
	if (r == -EIO)
		DMERR("%s: break failed, the metadata device cannot record it",
		      vmirror_md_name(vm));
	else if (r)
		r = vmirror_refuse(vm, "break");

out_thaw:
	if (quiesce) {
		WRITE_ONCE(vm->quiescing, false);
		region_map_thaw(vm->rm, &released);
		vmirror_release_writes(vm, &released);
	}
	return r;
}

static int vmirror_op_break(struct vmirror *vm)
{
	int r = __vmirror_op_break(vm);

	/* failedover: no async write any more (__vmirror_set_mode()) */
	vmirror_undrain(vm);
	return r;
}

/*
 * sync_mode sync|async at run time.  To sync: writes reach both disks from
 * now on; the lag already there is carried by the copier (lag_bytes says
 * how much is left).
 */
static int vmirror_op_set_sync_mode(struct vmirror *vm, u32 mode)
{
	if (mode != VMIRROR_COPY_TYPE_SYNC && mode != VMIRROR_COPY_TYPE_ASYNC)
		return -EINVAL;
	vmirror_set_write_mode(vm, mode == VMIRROR_COPY_TYPE_ASYNC, false);
	DMINFO("%s: sync_mode %s", vmirror_md_name(vm),
	       vmirror_sync_mode_name(mode));
	return 0;
}

/* The message of @op (state-names.c), for the log */
static const char *vmirror_op_name(u32 op)
{
	return vmirror_op_word(op) ?: "operation";
}

static int vmirror_control_op(struct vmirror *vm, u32 op, u32 value)
{
	switch (op) {
	case VMIRROR_OP_SET_SYNC_MODE:
		return vmirror_op_set_sync_mode(vm, value);
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
		DMWARN("%s: %s refused: the table is %s", vmirror_md_name(vm),
		       vmirror_op_name(op),
		       vm->retired ? "being replaced" : "not resumed yet");
		r = -EAGAIN;
	} else {
		r = vmirror_control_op(vm, op, value);
		/* What the operation changed is durable when it returns. */
		if (!r && vmirror_commit(vm, NULL))
			r = -EIO;
	}
	mutex_unlock(&vm->op_lock);
	return r;
}

static int vmirror_message_op(struct vmirror *vm, const char *word)
{
	unsigned int op = vmirror_op_value(word);

	if (op)
		return vmirror_control(vm, op, 0);
	DMWARN("%s: unknown message '%s'", vmirror_md_name(vm), word);
	return -EINVAL;
}

static int vmirror_message_setting(struct vmirror *vm, const char *name,
				   const char *value)
{
	u16 priority;
	bool async;
	u32 rate;

	if (!strcasecmp(name, "copy_priority")) {
		if (vmirror_parse_priority(value, &priority))
			goto out_invalid;
		return vmirror_control(vm, VMIRROR_OP_SET_PRIORITY, priority);
	}
	if (!strcasecmp(name, "sync_mode")) {
		if (vmirror_parse_sync_mode(value, &async))
			goto out_invalid;
		return vmirror_control(vm, VMIRROR_OP_SET_SYNC_MODE,
				       async ? VMIRROR_COPY_TYPE_ASYNC :
					       VMIRROR_COPY_TYPE_SYNC);
	}
	if (!strcasecmp(name, "max_copy_rate")) {
		if (vmirror_parse_rate(value, &rate))
			goto out_invalid;
		return vmirror_control(vm, VMIRROR_OP_SET_MAX_RATE, rate);
	}
	DMWARN("%s: unknown message '%s'", vmirror_md_name(vm), name);
	return -EINVAL;

out_invalid:
	DMWARN("%s: invalid %s '%s'", vmirror_md_name(vm), name, value);
	return -EINVAL;
}

int vmirror_message(struct dm_target *ti, unsigned int argc, char **argv,
		    char *result, unsigned int maxlen)
{
	struct vmirror *vm = ti->private;

	if (argc == 1)
		return vmirror_message_op(vm, argv[0]);
	if (argc == 2)
		return vmirror_message_setting(vm, argv[0], argv[1]);

	DMWARN("%s: invalid message (%u words)", vmirror_md_name(vm), argc);
	return -EINVAL;
}

/*---------------------------------------------------------------------------*/

/* The live target, for sysfs and the control device (through dev.c) */

struct vmirror *vmirror_get_live(dev_t devt)
{
	struct vmirror_link *link = vmirror_dev_get_live(devt);

	return link ? container_of(link, struct vmirror, link) : NULL;
}

void vmirror_put_live(struct vmirror *vm)
{
	vmirror_dev_put_live(&vm->link);
}

struct vmirror *vmirror_get_kobj(struct kobject *kobj)
{
	struct vmirror_link *link = vmirror_dev_get_kobj(kobj);

	return link ? container_of(link, struct vmirror, link) : NULL;
}

void vmirror_put(struct vmirror *vm)
{
	vmirror_dev_put(&vm->link);
}
