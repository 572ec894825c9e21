// SPDX-License-Identifier: GPL-2.0-only
/*
 * Background copy of dm-vmirror.
 *
 * One kernel thread per target walks the region map from a cursor and asks
 * region_map_copy_begin() for each region that is not in sync.  A region
 * with no host write in flight is copied at once with dm-io; one with
 * writes in flight is parked on the pending list until the last of them
 * completes (region_map_write_end() -> copier_region_ready()), and the
 * thread then issues it.  Up to COPIER_MAX_JOBS copies are in flight; the
 * copy priority chooses how many of them may be used.
 *
 * A job copies a batch of adjacent regions in chunks of COPIER_CHUNK_SECTORS
 * through a buffer of its own: read a chunk from the source, write it to the
 * mirror, next chunk.  dm-io completions only queue the job on the ready
 * list; the thread issues the next I/O, so the I/O path never allocates in
 * interrupt context.  (dm-kcopyd allocates and frees every page of every
 * copy, which under emulation made the copy three times slower than dd.)
 *
 * A copy job is owned by exactly one of: the free list, the pending list,
 * the ready list, or dm-io.  copier_quiesce() waits until every job is
 * back on the free list, so no copy and no held host write outlives a
 * suspend.
 */

#include <linux/dm-io.h>
#include <linux/ioprio.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "../uapi/linux/dm-vmirror.h"
#include "copier.h"
#include "region-map.h"
#include "vmirror.h"

#define DM_MSG_PREFIX "vmirror"

#define COPIER_MAX_JOBS		8
/* A job copies up to this many sectors of adjacent regions (4 MiB)... */
#define COPIER_BATCH_SECTORS	8192
/* ...through a buffer of this many (1 MiB). */
#define COPIER_CHUNK_SECTORS	2048

/*
 * copy_priority low yields to the host: while the host has done I/O in the
 * last COPIER_HOST_IDLE_MS, the copy takes one region at a time and after
 * each copy waits COPIER_LOW_YIELD times as long as the copy took, so it
 * holds the disks at most 1/(1 + COPIER_LOW_YIELD) of the time and holds
 * host writes for one region's copy at most.  An idle host gets the full
 * speed.  (md's sync_speed_min/max instead copies at a fixed minimum rate
 * whenever the disk is not idle, however fast or slow the disk; DRBD's
 * c-min-rate likewise.  A duty cycle scales with the disks.)
 */
#define COPIER_HOST_IDLE_MS	100
#define COPIER_LOW_YIELD	4
#define COPIER_LOW_CHUNK_SECTORS	256	/* 128 KiB */
/* Yield debt allowed before waiting: waits are whole jiffies (4 ms at HZ=250). */
#define COPIER_LOW_BURST_NS	(10 * NSEC_PER_MSEC)

enum copy_phase {
	COPY_PHASE_START,		/* not issued yet */
	COPY_PHASE_READ,		/* reading a chunk from the source */
	COPY_PHASE_WRITE,		/* writing it to the mirror */
};

struct copy_job {
	struct vmirror_copier *c;
	struct list_head list;
	u64 region;			/* first region */
	u64 nr;				/* number of regions */
	sector_t done;			/* sectors copied so far */
	sector_t chunk;			/* sectors of the chunk in flight */
	enum copy_phase phase;
	unsigned long error;		/* dm-io error bits of the last I/O */
	u64 start_ns;			/* when its first I/O was issued */
	void *buf;			/* COPIER_CHUNK_SECTORS of memory */
};

struct vmirror_copier {
	struct vmirror *vm;
	struct dm_io_client *io_client;
	struct task_struct *thread;

	spinlock_t lock;		/* protects the lists, nr_busy, quiesced */
	struct list_head free_jobs;
	struct list_head pending_jobs;	/* waiting for host writes to drain */
	struct list_head ready_jobs;	/* drained: the thread issues them */
	unsigned int nr_busy;		/* jobs not on free_jobs */
	bool quiesced;
	wait_queue_head_t idle_wait;	/* woken when nr_busy drops to 0 */

	atomic_t kicked;		/* the thread has something to look at */
	atomic_t rescan;		/* start a new pass from region 0 */
	atomic_t pass_errors;		/* copies that failed in this pass */
	u64 cursor;			/* next region to look at; thread only */
	u64 rate_tat_ns;		/* rate limiter's next slot; thread only */
	u64 yield_tat_ns;		/* low: yield debt paid off; thread only */

	atomic_t priority;		/* VMIRROR_PRIORITY_* */
	atomic_t max_rate;		/* KiB/s, 0 = no cap */

	spinlock_t rate_lock;		/* protects the three below */
	u64 rate_window_start_ns;	/* start of the current 1 s window */
	u64 rate_window_bytes;		/* copied in it so far */
	u64 copy_rate;			/* bytes/s of the last full window */

	struct copy_job jobs[COPIER_MAX_JOBS];
};

/*---------------------------------------------------------------------------*/

static unsigned int copier_depth(struct vmirror_copier *c)
{
	switch (atomic_read(&c->priority)) {
	case VMIRROR_PRIORITY_LOW:
		return 1;
	case VMIRROR_PRIORITY_HIGH:
		return COPIER_MAX_JOBS;
	default:
		return COPIER_MAX_JOBS / 2;
	}
}

/* The I/O priority of copy bios (honoured by the bfq and mq-deadline schedulers). */
static unsigned short copier_ioprio(struct vmirror_copier *c)
{
	switch (atomic_read(&c->priority)) {
	case VMIRROR_PRIORITY_LOW:
		return IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0);
	case VMIRROR_PRIORITY_HIGH:
		return IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 0);
	default:
		return IOPRIO_DEFAULT;
	}
}

/* Whether copy_priority low should give way: the host is doing I/O. */
static bool copier_yields(struct vmirror_copier *c)
{
	return atomic_read(&c->priority) == VMIRROR_PRIORITY_LOW &&
	       time_before(jiffies, READ_ONCE(c->vm->last_host_io) +
			   msecs_to_jiffies(COPIER_HOST_IDLE_MS));
}

void copier_kick(struct vmirror_copier *c)
{
	atomic_set(&c->kicked, 1);
	wake_up_process(c->thread);
}

static struct copy_job *copier_get_job(struct vmirror_copier *c)
{
	struct copy_job *job = NULL;

	spin_lock_irq(&c->lock);
	if (!c->quiesced && c->nr_busy < copier_depth(c)) {
		job = list_first_entry_or_null(&c->free_jobs, struct copy_job,
					       list);
		if (job) {
			list_del_init(&job->list);
			c->nr_busy++;
		}
	}
	spin_unlock_irq(&c->lock);
	return job;
}

static void copier_put_job(struct vmirror_copier *c, struct copy_job *job)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	list_add(&job->list, &c->free_jobs);
	if (!--c->nr_busy)
		wake_up(&c->idle_wait);
	spin_unlock_irqrestore(&c->lock, flags);
	copier_kick(c);
}

/*---------------------------------------------------------------------------*/

/* Sectors covered by a job: the last region of the device may be short. */
static sector_t copier_job_len(struct vmirror_copier *c, struct copy_job *job)
{
	struct vmirror *vm = c->vm;
	sector_t start = (sector_t)job->region << vm->region_shift;

	return min_t(sector_t, (sector_t)job->nr << vm->region_shift,
		     vm->ti->len - start);
}

/* Measure the copy rate over windows of one second. */
static void copier_account(struct vmirror_copier *c, u64 bytes)
{
	u64 now = ktime_get_ns();
	unsigned long flags;

	spin_lock_irqsave(&c->rate_lock, flags);
	c->rate_window_bytes += bytes;
	if (now - c->rate_window_start_ns >= NSEC_PER_SEC) {
		c->copy_rate = div64_u64(c->rate_window_bytes * NSEC_PER_SEC,
					 now - c->rate_window_start_ns);
		c->rate_window_start_ns = now;
		c->rate_window_bytes = 0;
	}
	spin_unlock_irqrestore(&c->rate_lock, flags);
}

static void copier_finish(struct vmirror_copier *c, struct copy_job *job,
			  bool read_err, bool write_err)
{
	struct vmirror *vm = c->vm;
	bool in_sync = !read_err && !write_err;
	LIST_HEAD(released);
	u64 i;

	for (i = 0; i < job->nr; i++)
		region_map_copy_end(c->vm->rm, job->region + i, in_sync, &released);
	vmirror_release_writes(vm, &released);

	if (copier_yields(c)) {
		u64 now = ktime_get_ns();

		c->yield_tat_ns = max(c->yield_tat_ns, now) +
				  COPIER_LOW_YIELD * (now - job->start_ns);
	}
	if (in_sync) {
		copier_account(c, to_bytes(copier_job_len(c, job)));
		vmirror_copied(vm, to_bytes(copier_job_len(c, job)));
	}
	if (read_err) {
		atomic64_inc(&vm->source_errors);
		atomic_inc(&c->pass_errors);
		DMERR_LIMIT("%s: read error on source copying region %llu",
			    dm_table_device_name(vm->ti->table), job->region);
	}
	if (write_err)
		vmirror_mirror_failed(vm, job->region);

	copier_put_job(c, job);
}

/* dm-io completion, maybe in interrupt context: hand the job to the thread. */
static void copier_io_done(unsigned long error, void *context)
{
	struct copy_job *job = context;
	struct vmirror_copier *c = job->c;
	unsigned long flags;

	job->error = error;
	spin_lock_irqsave(&c->lock, flags);
	list_add_tail(&job->list, &c->ready_jobs);
	spin_unlock_irqrestore(&c->lock, flags);
	copier_kick(c);
}

VMIRROR_DM_IO_NOTIFY(copier_io_done)

static void copier_io(struct vmirror_copier *c, struct copy_job *job,
		      enum copy_phase phase)
{
	struct vmirror *vm = c->vm;
	struct dm_dev *dev = phase == COPY_PHASE_READ ? vm->source : vm->mirror;
	sector_t start = phase == COPY_PHASE_READ ? vm->source_start :
						    vm->mirror_start;
	struct dm_io_region where = {
		.bdev = dev->bdev,
		.sector = start + ((sector_t)job->region << vm->region_shift) +
			  job->done,
		.count = job->chunk,
	};
	struct dm_io_request req = {
		.bi_opf = phase == COPY_PHASE_READ ? REQ_OP_READ : REQ_OP_WRITE,
		.mem.type = DM_IO_VMA,
		.mem.ptr.vma = job->buf,
		.notify.fn = vmirror_dm_io_notify(copier_io_done),
		.notify.context = job,
		.client = c->io_client,
	};

	job->phase = phase;
	if (vmirror_dm_io(&req, 1, &where, NULL, copier_ioprio(c)))
		copier_io_done(1, job);
}

static void copier_read_next_chunk(struct vmirror_copier *c,
				   struct copy_job *job)
{
	/* Yielding: short chunks, so the host's I/O never waits long behind one. */
	job->chunk = min_t(sector_t, copier_yields(c) ? COPIER_LOW_CHUNK_SECTORS :
			   COPIER_CHUNK_SECTORS, copier_job_len(c, job) - job->done);
	copier_io(c, job, COPY_PHASE_READ);
}

/* Move a job one step on, after its last I/O completed.  Thread context. */
static void copier_advance(struct vmirror_copier *c, struct copy_job *job)
{
	switch (job->phase) {
	case COPY_PHASE_START:
		job->done = 0;
		job->start_ns = ktime_get_ns();
		copier_read_next_chunk(c, job);
		break;
	case COPY_PHASE_READ:
		if (job->error)
			copier_finish(c, job, true, false);
		else
			copier_io(c, job, COPY_PHASE_WRITE);
		break;
	case COPY_PHASE_WRITE:
		if (job->error) {
			copier_finish(c, job, false, true);
			break;
		}
		job->done += job->chunk;
		if (job->done < copier_job_len(c, job))
			copier_read_next_chunk(c, job);
		else
			copier_finish(c, job, false, false);
		break;
	}
}

void copier_region_ready(struct vmirror_copier *c, u64 region)
{
	struct copy_job *job;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	list_for_each_entry(job, &c->pending_jobs, list) {
		if (job->region == region) {
			list_move_tail(&job->list, &c->ready_jobs);
			break;
		}
	}
	spin_unlock_irqrestore(&c->lock, flags);
	copier_kick(c);
}

static void copier_advance_ready(struct vmirror_copier *c)
{
	struct copy_job *job, *tmp;
	LIST_HEAD(ready);

	spin_lock_irq(&c->lock);
	list_splice_init(&c->ready_jobs, &ready);
	spin_unlock_irq(&c->lock);

	list_for_each_entry_safe(job, tmp, &ready, list) {
		list_del_init(&job->list);
		copier_advance(c, job);
	}
}

/*---------------------------------------------------------------------------*/

/*
 * Rate limiter (a virtual-scheduling token bucket): each copy moves the
 * next allowed issue time forward by its size at the configured rate.
 * Return: jiffies to wait before the next copy, 0 to go now.
 */
static long copier_rate_delay(struct vmirror_copier *c)
{
	u32 rate = atomic_read(&c->max_rate);
	u64 now = ktime_get_ns();

	if (!rate || now >= c->rate_tat_ns)
		return 0;
	return nsecs_to_jiffies(c->rate_tat_ns - now) + 1;
}

/* copy_priority low: jiffies to give way to the host, 0 to go now. */
static long copier_yield_delay(struct vmirror_copier *c)
{
	u64 now = ktime_get_ns();

	if (c->yield_tat_ns <= now + COPIER_LOW_BURST_NS || !copier_yields(c))
		return 0;
	return nsecs_to_jiffies(c->yield_tat_ns - now - COPIER_LOW_BURST_NS) + 1;
}

/*
 * Extend a job that has started copying its first region with the regions
 * after it that can be copied at once, up to COPIER_BATCH_SECTORS: large
 * copies move data faster.  Under a rate cap a batch is at most 100 ms
 * worth of copying, so the copy moves smoothly.  A region with writes in
 * flight ends the batch untouched (it will get a job of its own).
 */
static void copier_extend_batch(struct vmirror_copier *c, struct copy_job *job)
{
	u64 max_sectors = COPIER_BATCH_SECTORS;
	u32 rate = atomic_read(&c->max_rate);	/* KiB/s = 2 sectors/s */
	u64 nr_regions = region_map_nr_regions(c->vm->rm);
	u64 max_nr;

	if (rate)
		max_sectors = min_t(u64, max_sectors, rate / 5);
	max_nr = max_t(u64, 1, max_sectors >> c->vm->region_shift);
	if (copier_yields(c))
		max_nr = 1;

	job->nr = 1;
	while (job->nr < max_nr && job->region + job->nr < nr_regions &&
	       region_map_copy_begin(c->vm->rm, job->region + job->nr, false) ==
	       REGION_COPY_START)
		job->nr++;
}

static void copier_rate_charge(struct vmirror_copier *c, sector_t len)
{
	u32 rate = atomic_read(&c->max_rate);
	u64 now = ktime_get_ns();

	if (!rate)
		return;
	c->rate_tat_ns = max(c->rate_tat_ns, now) +
		div64_u64(to_bytes(len) * NSEC_PER_SEC, (u64)rate * 1024);
}

/*
 * The next region to copy, or region_map_nr_regions() when there is none
 * now.  A pass ends at the last region; a new pass starts from the first
 * one once the copies of the old pass have ended, unless the source
 * failed some of them: then the copy cannot finish by itself, and the
 * association breaks ("resync" tries those regions again).
 */
static u64 copier_next_region(struct vmirror_copier *c)
{
	u64 nr = region_map_nr_regions(c->vm->rm);
	u64 region = region_map_next_unsynced(c->vm->rm, c->cursor);
	bool idle;

	if (region < nr || !c->cursor)
		return region;

	spin_lock_irq(&c->lock);
	idle = !c->nr_busy;
	spin_unlock_irq(&c->lock);
	if (!idle)
		return nr;
	if (atomic_read(&c->pass_errors)) {
		vmirror_copy_failed(c->vm, atomic_xchg(&c->pass_errors, 0));
		return nr;
	}

	c->cursor = 0;
	return region_map_next_unsynced(c->vm->rm, 0);
}

/* Take back a job that was not deferred: nothing else can have moved it. */
static void copier_unpend(struct vmirror_copier *c, struct copy_job *job)
{
	spin_lock_irq(&c->lock);
	list_del_init(&job->list);
	spin_unlock_irq(&c->lock);
}

/*
 * Start the copy of one region if the state, the depth and the rate allow.
 * Return: true if a region was handled and the thread should loop at once.
 */
static bool copier_start_one(struct vmirror_copier *c, long *timeout)
{
	struct copy_job *job;
	u64 region;

	if (!vmirror_copy_allowed(c->vm))
		return false;

	region = copier_next_region(c);
	if (region >= region_map_nr_regions(c->vm->rm)) {
		if (region_map_nr_synced(c->vm->rm) == region_map_nr_regions(c->vm->rm))
			vmirror_event(c->vm, VMIRROR_EV_SYNCED);
		return false;
	}

	*timeout = max(copier_rate_delay(c), copier_yield_delay(c));
	if (*timeout)
		return false;

	job = copier_get_job(c);
	if (!job) {
		*timeout = MAX_SCHEDULE_TIMEOUT;
		return false;
	}

	job->region = region;
	job->nr = 1;
	job->phase = COPY_PHASE_START;
	/*
	 * On the pending list before asking: once the region is PENDING, its
	 * last write may complete at any moment and copier_region_ready()
	 * must find the job.
	 */
	spin_lock_irq(&c->lock);
	list_add_tail(&job->list, &c->pending_jobs);
	spin_unlock_irq(&c->lock);

	switch (region_map_copy_begin(c->vm->rm, region, true)) {
	case REGION_COPY_START:
		copier_unpend(c, job);
		copier_extend_batch(c, job);
		copier_rate_charge(c, copier_job_len(c, job));
		copier_advance(c, job);
		break;
	case REGION_COPY_DEFERRED:
		/* Pending, or already moved to the ready list. */
		copier_rate_charge(c, copier_job_len(c, job));
		break;
	case REGION_COPY_BUSY:
		copier_unpend(c, job);
		copier_put_job(c, job);
		break;
	}
	c->cursor = job->region + job->nr;
	return true;
}

static int copier_thread(void *arg)
{
	struct vmirror_copier *c = arg;

	while (!kthread_should_stop()) {
		long timeout = MAX_SCHEDULE_TIMEOUT;

		atomic_set(&c->kicked, 0);
		if (atomic_xchg(&c->rescan, 0)) {
			c->cursor = 0;
			atomic_set(&c->pass_errors, 0);
		}
		copier_advance_ready(c);
		if (copier_start_one(c, &timeout))
			continue;

		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop() && !atomic_read(&c->kicked))
			schedule_timeout(timeout);
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/*---------------------------------------------------------------------------*/

/* A copy (re)starts: measure its rate from now, not from an idle spell. */
static void copier_reset_rate(struct vmirror_copier *c)
{
	unsigned long flags;

	spin_lock_irqsave(&c->rate_lock, flags);
	c->rate_window_start_ns = ktime_get_ns();
	c->rate_window_bytes = 0;
	c->copy_rate = 0;
	spin_unlock_irqrestore(&c->rate_lock, flags);
}

void copier_start(struct vmirror_copier *c)
{
	copier_reset_rate(c);
	spin_lock_irq(&c->lock);
	c->quiesced = false;
	spin_unlock_irq(&c->lock);
	atomic_set(&c->pass_errors, 0);
	copier_kick(c);
}

static bool copier_idle(struct vmirror_copier *c)
{
	bool idle;

	spin_lock_irq(&c->lock);
	idle = !c->nr_busy;
	spin_unlock_irq(&c->lock);
	return idle;
}

void copier_quiesce(struct vmirror_copier *c)
{
	spin_lock_irq(&c->lock);
	c->quiesced = true;
	spin_unlock_irq(&c->lock);
	/* Pending jobs still need the thread to issue them once ready. */
	copier_kick(c);
	wait_event(c->idle_wait, copier_idle(c));
}

/*
 * On RAM-speed disks the copy's cost is CPU time (the thread itself runs
 * the memory copies of brd, null_blk, ...): the scheduler should prefer
 * the host's tasks at low priority and the copy at high priority.
 */
static void copier_set_nice(struct vmirror_copier *c, u16 priority)
{
	static const int nice[] = {
		[VMIRROR_PRIORITY_LOW] = MAX_NICE,
		[VMIRROR_PRIORITY_SAME] = 0,
		[VMIRROR_PRIORITY_HIGH] = -10,
	};

	if (priority < ARRAY_SIZE(nice))
		set_user_nice(c->thread, nice[priority]);
}

void copier_set_priority(struct vmirror_copier *c, u16 priority)
{
	atomic_set(&c->priority, priority);
	copier_set_nice(c, priority);
	copier_kick(c);
}

void copier_set_rate(struct vmirror_copier *c, u32 max_rate)
{
	atomic_set(&c->max_rate, max_rate);
	copier_kick(c);
}

u16 copier_priority(struct vmirror_copier *c)
{
	return atomic_read(&c->priority);
}

u32 copier_max_rate(struct vmirror_copier *c)
{
	return atomic_read(&c->max_rate);
}

u64 copier_copy_rate(struct vmirror_copier *c)
{
	u64 now = ktime_get_ns();
	unsigned long flags;
	u64 rate;

	spin_lock_irqsave(&c->rate_lock, flags);
	/* Nothing copied for two windows: the copy is not moving. */
	rate = now - c->rate_window_start_ns > 2 * NSEC_PER_SEC ? 0 : c->copy_rate;
	spin_unlock_irqrestore(&c->rate_lock, flags);
	return rate;
}

void copier_rescan(struct vmirror_copier *c)
{
	copier_reset_rate(c);
	atomic_set(&c->rescan, 1);
	copier_kick(c);
}

static void copier_free(struct vmirror_copier *c)
{
	unsigned int i;

	for (i = 0; i < COPIER_MAX_JOBS; i++)
		vfree(c->jobs[i].buf);
	kfree(c);
}

struct vmirror_copier *copier_create(struct vmirror *vm, u16 priority,
				     u32 max_rate)
{
	struct vmirror_copier *c;
	unsigned int i;
	int r;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);

	c->vm = vm;
	c->quiesced = true;
	spin_lock_init(&c->lock);
	spin_lock_init(&c->rate_lock);
	INIT_LIST_HEAD(&c->free_jobs);
	INIT_LIST_HEAD(&c->pending_jobs);
	INIT_LIST_HEAD(&c->ready_jobs);
	init_waitqueue_head(&c->idle_wait);
	atomic_set(&c->priority, priority);
	atomic_set(&c->max_rate, max_rate);
	for (i = 0; i < COPIER_MAX_JOBS; i++) {
		c->jobs[i].c = c;
		c->jobs[i].buf = vmalloc(to_bytes(COPIER_CHUNK_SECTORS));
		if (!c->jobs[i].buf) {
			r = -ENOMEM;
			goto out_free;
		}
		list_add_tail(&c->jobs[i].list, &c->free_jobs);
	}

	c->io_client = dm_io_client_create();
	if (IS_ERR(c->io_client)) {
		r = PTR_ERR(c->io_client);
		goto out_free;
	}

	c->thread = kthread_run(copier_thread, c, "vmirror/%s",
				dm_table_device_name(vm->ti->table));
	if (IS_ERR(c->thread)) {
		r = PTR_ERR(c->thread);
		goto out_destroy_io_client;
	}
	copier_set_nice(c, priority);
	return c;

out_destroy_io_client:
	dm_io_client_destroy(c->io_client);
out_free:
	copier_free(c);
	return ERR_PTR(r);
}

void copier_destroy(struct vmirror_copier *c)
{
	kthread_stop(c->thread);
	dm_io_client_destroy(c->io_client);
	copier_free(c);
}
