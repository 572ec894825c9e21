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
 * mirror, next chunk.  A chunk that reads all zeroes is not written as data:
 * nothing is written where the region map knows the mirror reads zeroes
 * (mirror_zeroed), else a REQ_OP_WRITE_ZEROES (unmap allowed) goes to the
 * mirror; if the mirror fails that, the zeroes are written as data, and
 * the copier sends no more write-zeroes to it.  dm-io completions only
 * queue the job on the ready list; the thread issues the next I/O, so the
 * I/O path never allocates in interrupt context.  (dm-kcopyd allocates
 * and frees every page of every copy, which under emulation made the copy
 * three times slower than dd.)
 *
 * Flush before in sync: a job that has written its regions ends them as
 * copied (region_map_copy_end()) and adds them to the open flush batch.
 * The thread flushes the mirror (and the source, legs.flush_source, in
 * the same dm-io request) when the batch is a second old, large, or
 * nothing more is to be copied now, and only when that flush has
 * succeeded commits the batch (region_map_commit()): then the regions are
 * in sync and bytes_copied moves.  One flush is in flight at a time; copies
 * that end meanwhile join the next batch, with the other tag.  A failed
 * flush is a mirror failure.  copier_flush_end() is the commit point.
 * "synchronized" is raised only after one more flush issued once every
 * region is in sync (copier_synced()): it also covers host writes to the
 * mirror whose host flushes went to the source alone (fracture, cancel).
 *
 * A copy job is owned by exactly one of: the free list, the pending list,
 * the ready list, the thread, dm-io, or the reaper.  The thread never
 * waits for an I/O to complete (submitting one may still sleep: writeback
 * throttling, request tags), and touches the region map only between
 * copier_start() and copier_quiesce() (a reload hands the map over
 * meanwhile).
 *
 * A stalled leg must not stall a suspend: copier_quiesce() drains for at
 * most COPIER_DRAIN_TIMEOUT (or until a fatal signal), then *abandons*
 * what is still in flight: the regions of a copy whose I/O is in dm-io
 * end not in sync (their held writes go to the source), uncommitted
 * batches become not in sync, and an abandoned flush counts every region
 * out of sync (its outcome can no longer be acted on).  The abandoned
 * I/O keeps the copier (buffers, dm-io client) and the module alive; when
 * it completes, a work item (copier_reap_job()) drops those references,
 * and the last one frees the copier.  Until an abandoned write to a mirror has landed, no copier
 * copies to that mirror (copier_stale_jobs): a stale chunk landing after
 * a newer copy would corrupt it, whichever table made that copy.
 *
 * Locks: c->lock may be taken with a region map stripe lock or
 * copier_stale_lock inside it (copier_abandon()); never the other way
 * round.
 */

#include <linux/device-mapper.h>
#include <linux/dm-io.h>
#include <linux/ioprio.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "../uapi/linux/dm-vmirror.h"
#include "compat.h"
#include "copier.h"
#include "region-map.h"

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

/* Flush the mirror when the open batch is this old... */
#define COPIER_FLUSH_INTERVAL	HZ
/* ...or has this many bytes, or this many ranges (then it only widens). */
#define COPIER_FLUSH_BYTES	(256ULL << 20)
#define COPIER_BATCH_RANGES	32
/* How long a suspend waits for copies in flight before abandoning them. */
#define COPIER_DRAIN_TIMEOUT	(5 * HZ)
/* While abandoned writes to the mirror may land, look again this often. */
#define COPIER_STALE_POLL	HZ

/* Reaps abandoned I/O; module_exit() drains it. */
static struct workqueue_struct *copier_wq;

/*
 * Abandoned jobs whose write to a mirror may still land, module-wide: no
 * copy to that mirror starts before they have, whichever target issues it
 * (a reload with other settings builds a new region map that knows
 * nothing of them).  Lock order: c->lock -> copier_stale_lock.
 */
static DEFINE_SPINLOCK(copier_stale_lock);
static LIST_HEAD(copier_stale_jobs);

struct vmirror_copier;
static void copier_put(struct vmirror_copier *c);
static void copier_rate_charge(struct vmirror_copier *c, sector_t len);
static void copier_rate_refund(struct vmirror_copier *c, sector_t len);

enum copy_phase {
	COPY_PHASE_START,		/* not issued yet */
	COPY_PHASE_READ,		/* reading a chunk from the source */
	COPY_PHASE_WRITE,		/* writing it to the mirror */
	COPY_PHASE_ZERO,		/* it read zeroes: write-zeroes on the mirror */
};

struct copy_job {
	struct vmirror_copier *c;
	struct list_head list;
	u64 region;			/* first region */
	u64 nr;				/* number of regions */
	u64 gen;			/* region map generation of the claim */
	sector_t done;			/* sectors copied so far */
	sector_t chunk;			/* sectors of the chunk in flight */
	sector_t zeroed;		/* sectors of it that read zeroes */
	enum copy_phase phase;
	unsigned long error;		/* dm-io error bits of the last I/O */
	u64 start_ns;			/* when its first I/O was issued */
	void *buf;			/* COPIER_CHUNK_SECTORS of memory */
	bool in_io;			/* dm-io owns it; under c->lock */
	bool abandoned;			/* its I/O outlived a quiesce; c->lock */
	struct work_struct reap_work;	/* abandoned: its I/O has completed */
	struct list_head stale_entry;	/* on copier_stale_jobs */
	dev_t stale_dev;		/* the mirror's whole disk it may write */
};

/* Regions copied since a flush was issued (thread only). */
struct copy_range {
	u64 region;
	u64 nr;
	u64 gen;
};

struct copy_batch {
	struct copy_range ranges[COPIER_BATCH_RANGES];
	unsigned int nr_ranges;
	unsigned int tag;		/* the tag its copies ended with */
	u64 bytes;
	u64 zero_bytes;			/* of @bytes, read as zeroes */
	unsigned long opened;		/* jiffies of its first copy */
};

enum copier_run {
	COPIER_STOPPED,			/* the thread touches nothing */
	COPIER_RUNNING,
	COPIER_DRAINING,		/* quiesce: no new copy; end, flush, commit */
};

/* What copier_start_one() did. */
enum copier_step {
	COPIER_STARTED,			/* handled a region: loop at once */
	COPIER_WAIT,			/* a limit holds it back for now */
	COPIER_NOTHING,			/* nothing to copy now */
};

struct vmirror_copier {
	struct copier_legs legs;
	struct region_map *rm;		/* the map; changed only while stopped */
	const struct copier_ops *ops;
	void *ctx;			/* the owner, for @ops */
	unsigned long last_host_io;	/* jiffies of the latest host bio */
	struct dm_io_client *io_client;
	struct task_struct *thread;
	refcount_t ref;			/* the target's, one per abandoned I/O */

	/* c->lock also protects job->in_io and job->abandoned */
	spinlock_t lock;		/* protects the fields to flush_error */
	struct list_head free_jobs;
	struct list_head pending_jobs;	/* waiting for host writes to drain */
	struct list_head ready_jobs;	/* drained: the thread issues them */
	unsigned int nr_busy;		/* jobs not free, not abandoned */
	enum copier_run run;
	bool parked;			/* the thread has seen COPIER_STOPPED */
	bool dead;			/* copier_destroy(): no thread any more */
	bool flush_in_flight;		/* a flush of the mirror is issued */
	bool flush_done;		/* ...and has completed */
	bool flush_stale;		/* ...and was abandoned: reap it */
	unsigned long flush_error;
	wait_queue_head_t idle_wait;	/* woken when any of the above changes */
	struct work_struct flush_reap_work;	/* the stale flush completed */

	struct copy_batch open;		/* thread only: copies not flushed */
	struct copy_batch flushing;	/* thread only: the flush in flight's */

	atomic_t kicked;		/* the thread has something to look at */
	atomic_t rescan;		/* start a new pass from region 0 */
	atomic_t pass_errors;		/* copies that failed in this pass */
	u64 cursor;			/* next region to look at; thread only */
	bool sync_flush_issued;		/* the flush in flight is copier_synced()'s */
	bool sync_flushed;		/* ...and it completed; both thread only */
	u64 sync_mode_seq;		/* ops->mode_seq() when it was issued */
	bool no_write_zeroes;		/* the mirror failed one; thread only */
	/*
	 * Both thread only, in ktime_get_ns() time: when the next copy may be
	 * issued under max_copy_rate (every copy moves it on by its size at
	 * the rate), and, at copy_priority low, when the time owed to the
	 * host for the copies' own time is paid off.
	 */
	u64 rate_next_ns;
	u64 yield_next_ns;

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
	       time_before(jiffies, READ_ONCE(c->last_host_io) +
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
	if (c->run == COPIER_RUNNING && c->nr_busy < copier_depth(c)) {
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
	c->nr_busy--;
	spin_unlock_irqrestore(&c->lock, flags);
	wake_up(&c->idle_wait);
	copier_kick(c);
}

/*---------------------------------------------------------------------------*/

/* Sectors covered by a job: the last region of the device may be short. */
static sector_t copier_job_len(struct vmirror_copier *c, struct copy_job *job)
{
	sector_t start = (sector_t)job->region << c->legs.region_shift;

	return min_t(sector_t, (sector_t)job->nr << c->legs.region_shift,
		     c->legs.len - start);
}

/* Measure the copy rate over windows of one second. */
static void copier_account(struct vmirror_copier *c, u64 bytes)
{
	u64 now = ktime_get_ns();
	unsigned long flags;

	spin_lock_irqsave(&c->rate_lock, flags);
	c->rate_window_bytes += bytes;
	if (now - c->rate_window_start_ns >= NSEC_PER_SEC) {
		c->copy_rate = mul_u64_u64_div_u64(c->rate_window_bytes,
						   NSEC_PER_SEC,
						   now - c->rate_window_start_ns);
		c->rate_window_start_ns = now;
		c->rate_window_bytes = 0;
	}
	spin_unlock_irqrestore(&c->rate_lock, flags);
}

/*
 * Add a job's regions to the open batch.  Adjacent copies of the same
 * generation merge; a full batch widens its last range instead (commit
 * skips the regions of a range that are not copied with the batch's tag,
 * and takes the older generation, which can only make it refuse).
 */
static void copier_batch_add(struct vmirror_copier *c, struct copy_job *job)
{
	struct copy_batch *b = &c->open;
	struct copy_range *last = b->nr_ranges ? &b->ranges[b->nr_ranges - 1] : NULL;
	u64 end = job->region + job->nr;

	if (!b->nr_ranges)
		b->opened = jiffies;
	b->bytes += to_bytes(copier_job_len(c, job));
	b->zero_bytes += to_bytes(job->zeroed);

	if (last && last->gen == job->gen && last->region + last->nr == job->region) {
		last->nr += job->nr;
	} else if (b->nr_ranges < COPIER_BATCH_RANGES) {
		b->ranges[b->nr_ranges++] = (struct copy_range) {
			.region = job->region, .nr = job->nr, .gen = job->gen,
		};
	} else {
		end = max(end, last->region + last->nr);
		last->region = min(last->region, job->region);
		last->nr = end - last->region;
		last->gen = min(last->gen, job->gen);
	}
}

/* Commit (flushed) or drop (not flushed) the ranges of a batch. */
static u64 copier_batch_end(struct vmirror_copier *c, struct copy_batch *b,
			    bool flushed)
{
	u64 synced = 0;
	unsigned int i;

	/* A batch not committed: nothing of it is recorded either. */
	if (!flushed)
		for (i = 0; i < b->nr_ranges; i++)
			c->ops->record_range(c->ctx, b->ranges[i].region,
					     b->ranges[i].nr, false);
	for (i = 0; i < b->nr_ranges; i++)
		synced += region_map_commit(c->rm, b->ranges[i].region,
					    b->ranges[i].nr, b->ranges[i].gen,
					    b->tag, flushed);
	b->nr_ranges = 0;
	b->bytes = 0;
	b->zero_bytes = 0;
	return synced;
}

/*
 * End a job: its regions are copied (@copied: every write of the copy
 * completed) or not in sync, and the writes they held go out again.
 */
static void copier_end_job(struct vmirror_copier *c, struct copy_job *job,
			   bool copied)
{
	LIST_HEAD(released);
	u64 i;

	for (i = 0; i < job->nr; i++)
		region_map_copy_end(c->rm, job->region + i, copied, job->gen,
				    c->open.tag, &released);
	c->ops->release_writes(c->ctx, &released);

	if (job->start_ns && copier_yields(c)) {
		u64 now = ktime_get_ns();

		c->yield_next_ns = max(c->yield_next_ns, now) +
				   COPIER_LOW_YIELD * (now - job->start_ns);
	}
	if (copied) {
		copier_account(c, to_bytes(copier_job_len(c, job)));
		copier_batch_add(c, job);
	}
	copier_put_job(c, job);
}

/* First region of the chunk in flight, and how many it touches. */
static u64 copier_chunk_region(struct vmirror_copier *c, struct copy_job *job)
{
	return job->region + (job->done >> c->legs.region_shift);
}

static u64 copier_chunk_nr(struct vmirror_copier *c, struct copy_job *job)
{
	return ((job->done + job->chunk - 1) >> c->legs.region_shift) -
	       (job->done >> c->legs.region_shift) + 1;
}

/* dm-io completion, maybe in interrupt context: hand the job on. */
static void copier_io_done(unsigned long error, void *context)
{
	struct copy_job *job = context;
	struct vmirror_copier *c = job->c;
	unsigned long flags;

	job->error = error;
	spin_lock_irqsave(&c->lock, flags);
	job->in_io = false;
	if (unlikely(job->abandoned)) {
		/* Nobody waits for it: the reaper ends it (it may sleep). */
		queue_work(copier_wq, &job->reap_work);
	} else {
		list_add_tail(&job->list, &c->ready_jobs);
		/*
		 * Under the lock: once it is dropped, the thread may take the
		 * job, settle, and the copier be destroyed (DM does not wait
		 * for copy I/O).
		 */
		copier_kick(c);
	}
	spin_unlock_irqrestore(&c->lock, flags);
}

VMIRROR_DM_IO_NOTIFY(copier_io_done)

static void copier_io(struct vmirror_copier *c, struct copy_job *job,
		      enum copy_phase phase)
{
	static const blk_opf_t ops[] = {
		[COPY_PHASE_READ] = REQ_OP_READ,
		[COPY_PHASE_WRITE] = REQ_OP_WRITE,
		[COPY_PHASE_ZERO] = REQ_OP_WRITE_ZEROES,
	};
	struct dm_dev *dev = phase == COPY_PHASE_READ ? c->legs.source : c->legs.mirror;
	sector_t start = phase == COPY_PHASE_READ ? c->legs.source_start :
						    c->legs.mirror_start;
	struct dm_io_region where = {
		.bdev = dev->bdev,
		.sector = start + ((sector_t)job->region << c->legs.region_shift) +
			  job->done,
		.count = job->chunk,
	};
	struct dm_io_request req = {
		.bi_opf = ops[phase],
		.mem.type = DM_IO_VMA,
		.mem.ptr.vma = job->buf,
		.notify.fn = vmirror_dm_io_notify(copier_io_done),
		.notify.context = job,
		.client = c->io_client,
	};

	/* A write-zeroes has no data: dm-io does not look at the buffer. */
	job->phase = phase;
	if (phase != COPY_PHASE_READ)
		region_map_mirror_written(c->rm, copier_chunk_region(c, job),
					  copier_chunk_nr(c, job));
	spin_lock_irq(&c->lock);
	job->in_io = true;
	spin_unlock_irq(&c->lock);
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

/* The chunk is on the mirror (or need not be written): the next, or done. */
static void copier_chunk_written(struct vmirror_copier *c,
				 struct copy_job *job, bool stop)
{
	job->done += job->chunk;
	if (job->done >= copier_job_len(c, job))
		copier_end_job(c, job, true);
	else if (stop)
		copier_end_job(c, job, false);
	else
		copier_read_next_chunk(c, job);
}

/*
 * The chunk read from the source goes to the mirror: as data, or, if it
 * is all zeroes, as nothing (the mirror is known to read zeroes there) or
 * a write-zeroes.  Zeroes that are not written as data are not charged to
 * max_copy_rate: the charge taken when the job was claimed is given back.
 * A mirror without write-zeroes gets them as data, charged as data.
 */
static void copier_write_chunk(struct vmirror_copier *c, struct copy_job *job,
			       bool stop)
{
	bool skip;

	if (memchr_inv(job->buf, 0, to_bytes(job->chunk)))
		goto data;
	skip = region_map_mirror_zero(c->rm, copier_chunk_region(c, job),
				      copier_chunk_nr(c, job));
	if (!skip && (c->no_write_zeroes ||
		      !bdev_write_zeroes_sectors(c->legs.mirror->bdev)))
		goto data;
	job->zeroed += job->chunk;
	copier_rate_refund(c, job->chunk);
	if (skip)
		copier_chunk_written(c, job, stop);
	else
		copier_io(c, job, COPY_PHASE_ZERO);
	return;
data:
	copier_io(c, job, COPY_PHASE_WRITE);
}

/*
 * Move a job one step on, after its last I/O completed (or, in phase
 * START, when it may be issued).  @stop: the copier is stopping: issue no
 * more I/O, end the job not in sync unless it is complete.  Thread
 * context, or copier_abandon() with the thread parked.
 */
static void copier_advance(struct vmirror_copier *c, struct copy_job *job,
			   bool stop)
{
	switch (job->phase) {
	case COPY_PHASE_START:
		/* A deferred copy that became ready while draining: drop it. */
		if (stop || READ_ONCE(c->run) != COPIER_RUNNING) {
			copier_end_job(c, job, false);
			break;
		}
		job->done = 0;
		job->zeroed = 0;
		job->start_ns = ktime_get_ns();
		copier_read_next_chunk(c, job);
		break;
	case COPY_PHASE_READ:
		if (job->error) {
			c->ops->source_error(c->ctx);
			atomic_inc(&c->pass_errors);
			DMERR_LIMIT("%s: read error on source copying region %llu",
				    c->legs.name, job->region);
			copier_end_job(c, job, false);
		} else if (stop) {
			copier_end_job(c, job, false);
		} else {
			copier_write_chunk(c, job, stop);
		}
		break;
	case COPY_PHASE_ZERO:
		if (job->error) {
			/* Refused or failed: the buffer holds the zeroes. */
			if (!c->no_write_zeroes)
				DMINFO("%s: mirror %s failed a write-zeroes: zeroes go as data",
				       c->legs.name, c->legs.mirror->name);
			c->no_write_zeroes = true;
			/* They go as data, charged as data. */
			job->zeroed -= job->chunk;
			copier_rate_charge(c, job->chunk);
			if (stop)
				copier_end_job(c, job, false);
			else
				copier_io(c, job, COPY_PHASE_WRITE);
			break;
		}
		copier_chunk_written(c, job, stop);
		break;
	case COPY_PHASE_WRITE:
		if (job->error) {
			u64 region = job->region;

			copier_end_job(c, job, false);
			c->ops->mirror_failed(c->ctx, region);
			break;
		}
		copier_chunk_written(c, job, stop);
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
	/* copier_abandon() may wait for this hand-over. */
	wake_up(&c->idle_wait);
	copier_kick(c);
}

static void copier_advance_ready(struct vmirror_copier *c, bool stop)
{
	struct copy_job *job, *tmp;
	LIST_HEAD(ready);

	spin_lock_irq(&c->lock);
	list_splice_init(&c->ready_jobs, &ready);
	spin_unlock_irq(&c->lock);

	list_for_each_entry_safe(job, tmp, &ready, list) {
		list_del_init(&job->list);
		copier_advance(c, job, stop);
	}
}

/*---------------------------------------------------------------------------*/

/*
 * Flushing the mirror: the commit point of the copy.  With persistent
 * metadata the batch is also recorded there: a snapshot of its regions
 * before the flush is issued, the source flushed in the same dm-io
 * request as the mirror (the copy read what the source holds: it must be
 * durable there too), then the record, and only then the commit
 * (copier_flush_end()).  The thread never waits for either flush: one
 * that hangs is abandoned by copier_quiesce() like any copy I/O.
 */

/* Regions of the flush request: the mirror, then the source (error bits) */
#define COPIER_FLUSH_MIRROR	0
#define COPIER_FLUSH_SOURCE	1

static void copier_flush_done(unsigned long error, void *context)
{
	struct vmirror_copier *c = context;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	c->flush_error = error;
	c->flush_done = true;
	if (c->flush_stale)
		queue_work(copier_wq, &c->flush_reap_work);
	else
		copier_kick(c);	/* under the lock: see copier_io_done() */
	spin_unlock_irqrestore(&c->lock, flags);
}

VMIRROR_DM_IO_NOTIFY(copier_flush_done)

/* Issue a flush for the open batch, which becomes the flushing one. */
static void copier_flush(struct vmirror_copier *c)
{
	struct dm_io_region where[] = {
		[COPIER_FLUSH_MIRROR] = { .bdev = c->legs.mirror->bdev },
		[COPIER_FLUSH_SOURCE] = { .bdev = c->legs.source->bdev },
	};
	/* The source only when a batch is recorded (not the synced flush). */
	unsigned int nr_where = c->legs.flush_source && c->open.nr_ranges ? 2 : 1;
	struct dm_io_request req = {
		.bi_opf = REQ_OP_WRITE | REQ_PREFLUSH | REQ_SYNC,
		.mem.type = DM_IO_KMEM,
		.notify.fn = vmirror_dm_io_notify(copier_flush_done),
		.notify.context = c,
		.client = c->io_client,
	};
	unsigned int tag = c->open.tag;
	unsigned int i;

	for (i = 0; i < c->open.nr_ranges; i++)
		c->ops->record_snapshot(c->ctx, c->open.ranges[i].region,
					c->open.ranges[i].nr);
	c->flushing = c->open;
	c->open.nr_ranges = 0;
	c->open.bytes = 0;
	c->open.zero_bytes = 0;
	/* Copies ending from now on are not covered: the other tag. */
	c->open.tag = (tag + 1) % REGION_COPY_TAGS;

	spin_lock_irq(&c->lock);
	c->flush_in_flight = true;
	c->flush_done = false;
	spin_unlock_irq(&c->lock);
	if (vmirror_dm_io(&req, nr_where, where, NULL, copier_ioprio(c)))
		copier_flush_done(BIT(COPIER_FLUSH_MIRROR), c);
}

/* If the flush in flight has completed: commit its batch, or fail. */
static void copier_flush_end(struct vmirror_copier *c)
{
	unsigned long error;
	bool done;

	spin_lock_irq(&c->lock);
	done = c->flush_in_flight && c->flush_done && !c->flush_stale;
	error = c->flush_error;
	spin_unlock_irq(&c->lock);
	if (!done)
		return;

	if (!(error & BIT(COPIER_FLUSH_MIRROR))) {
		u64 bytes = c->flushing.bytes;
		u64 zero_bytes = c->flushing.zero_bytes;
		unsigned int i, nr = c->flushing.nr_ranges;
		bool source_failed = error & BIT(COPIER_FLUSH_SOURCE);
		int r = nr ? c->ops->record_flush(c->ctx, source_failed) : 0;

		for (i = 0; i < nr; i++)
			c->ops->record_range(c->ctx, c->flushing.ranges[i].region,
					     c->flushing.ranges[i].nr, !r);
		if (!r && nr)
			r = c->ops->record_commit(c->ctx);
		/* Not recorded: copied again (none when the metadata failed). */
		if (r) {
			c->sync_flush_issued = false;
			copier_batch_end(c, &c->flushing, false);
			goto out;
		}
		copier_batch_end(c, &c->flushing, true);
		c->ops->copied(c->ctx, bytes, zero_bytes);
		c->sync_flushed |= c->sync_flush_issued;
		c->sync_flush_issued = false;
	} else {
		c->sync_flush_issued = false;
		copier_batch_end(c, &c->flushing, false);
		c->ops->mirror_failed(c->ctx, U64_MAX);
	}

out:
	spin_lock_irq(&c->lock);
	c->flush_in_flight = false;
	spin_unlock_irq(&c->lock);
	wake_up(&c->idle_wait);
	copier_kick(c);
}

/*
 * Flush when the open batch is due: large, old, or @idle (nothing more to
 * copy now and no copy in flight).  Otherwise shorten @timeout to its age
 * limit.
 */
static void copier_maybe_flush(struct vmirror_copier *c, bool idle,
			       long *timeout)
{
	unsigned long due = c->open.opened + COPIER_FLUSH_INTERVAL;
	bool busy, in_flight;

	if (!c->open.nr_ranges)
		return;
	spin_lock_irq(&c->lock);
	busy = c->nr_busy;
	in_flight = c->flush_in_flight;
	spin_unlock_irq(&c->lock);
	if (in_flight)
		return;

	if ((idle && !busy) || c->open.bytes >= COPIER_FLUSH_BYTES ||
	    c->open.nr_ranges == COPIER_BATCH_RANGES ||
	    time_after_eq(jiffies, due))
		copier_flush(c);
	else
		*timeout = min_t(long, *timeout, due - jiffies);
}

/*---------------------------------------------------------------------------*/

/*
 * Rate limiter, a token bucket in its "virtual scheduling" form (the GCRA
 * of ATM traffic shaping): instead of counting tokens, keep the time at
 * which the next copy may go (rate_next_ns); each copy moves it on by its
 * size at the configured rate (copier_rate_charge()).
 * Return: jiffies to wait before the next copy, 0 to go now.
 */
static long copier_rate_delay(struct vmirror_copier *c)
{
	u32 rate = atomic_read(&c->max_rate);
	u64 now = ktime_get_ns();

	if (!rate || now >= c->rate_next_ns)
		return 0;
	return nsecs_to_jiffies(c->rate_next_ns - now) + 1;
}

/* copy_priority low: jiffies to give way to the host, 0 to go now. */
static long copier_yield_delay(struct vmirror_copier *c)
{
	u64 now = ktime_get_ns();

	if (c->yield_next_ns <= now + COPIER_LOW_BURST_NS || !copier_yields(c))
		return 0;
	return nsecs_to_jiffies(c->yield_next_ns - now - COPIER_LOW_BURST_NS) + 1;
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
	u64 nr_regions = region_map_nr_regions(c->rm);
	u64 max_nr, gen;

	if (rate)
		max_sectors = min_t(u64, max_sectors, rate / 5);
	max_nr = max_t(u64, 1, max_sectors >> c->legs.region_shift);
	if (copier_yields(c))
		max_nr = 1;

	job->nr = 1;
	/* A newer generation than job->gen only makes copy_end refuse. */
	while (job->nr < max_nr && job->region + job->nr < nr_regions &&
	       region_map_copy_begin(c->rm, job->region + job->nr, false,
				     &gen) == REGION_COPY_START)
		job->nr++;
}

static void copier_rate_charge(struct vmirror_copier *c, sector_t len)
{
	u32 rate = atomic_read(&c->max_rate);
	u64 now = ktime_get_ns();

	if (!rate)
		return;
	c->rate_next_ns = max(c->rate_next_ns, now) +
		div64_u64(to_bytes(len) * NSEC_PER_SEC, (u64)rate * 1024);
}

/* Give back the charge of @len sectors that turned out to be zeroes. */
static void copier_rate_refund(struct vmirror_copier *c, sector_t len)
{
	u32 rate = atomic_read(&c->max_rate);
	u64 cost;

	if (!rate)
		return;
	cost = div64_u64(to_bytes(len) * NSEC_PER_SEC, (u64)rate * 1024);
	c->rate_next_ns -= min(cost, c->rate_next_ns);
}

/*
 * The next region to copy, or region_map_nr_regions() when there is none
 * now.  A pass ends at the last region; a new pass starts from the first
 * one once the copies of the old pass have ended and been flushed and
 * committed, unless the source failed some of them: then the copy cannot
 * finish by itself, and the association breaks ("resync" tries those
 * regions again).
 */
static u64 copier_next_region(struct vmirror_copier *c)
{
	struct region_map *rm = c->rm;
	u64 nr = region_map_nr_regions(rm);
	u64 region = region_map_next_unsynced(rm, c->cursor);
	bool idle;

	if (region < nr || !c->cursor)
		return region;

	spin_lock_irq(&c->lock);
	idle = !c->nr_busy && !c->flush_in_flight;
	spin_unlock_irq(&c->lock);
	if (!idle || c->open.nr_ranges)
		return nr;
	if (atomic_read(&c->pass_errors)) {
		c->ops->copy_failed(c->ctx, atomic_xchg(&c->pass_errors, 0));
		return nr;
	}
	/* Regions refused for lack of memory: see copier_start_one(). */
	if (region_map_overflowed(rm))
		return nr;

	c->cursor = 0;
	return region_map_next_unsynced(rm, 0);
}

/* Take back a job that was not deferred: nothing else can have moved it. */
static void copier_unpend(struct vmirror_copier *c, struct copy_job *job)
{
	spin_lock_irq(&c->lock);
	list_del_init(&job->list);
	spin_unlock_irq(&c->lock);
}

/*
 * Whether abandoned copy writes to the whole disk @dev may still land: a
 * partition of it, or the disk named at another offset, is the same
 * medium.  (A stacked device over it cannot be seen through.)
 */
static bool copier_stale_writes(dev_t dev)
{
	struct copy_job *job;
	bool found = false;

	if (list_empty_careful(&copier_stale_jobs))
		return false;
	spin_lock_irq(&copier_stale_lock);
	list_for_each_entry(job, &copier_stale_jobs, stale_entry) {
		if (job->stale_dev == dev) {
			found = true;
			break;
		}
	}
	spin_unlock_irq(&copier_stale_lock);
	return found;
}

/*
 * Every region is in sync: say so, once a flush of the mirror issued now
 * has completed.  Batch flushes cover what the copier wrote, but not what
 * the host wrote to the mirror before a fracture, a cancel or a failure
 * (their flushes then went to the source alone), and a resync may copy
 * nothing.  One flush per pass; "synchronized" is durable.
 */
static void copier_synced(struct vmirror_copier *c)
{
	bool in_flight;

	if (!c->sync_flushed) {
		spin_lock_irq(&c->lock);
		in_flight = c->flush_in_flight;
		spin_unlock_irq(&c->lock);
		if (!in_flight && !c->sync_flush_issued) {
			c->sync_flush_issued = true;
			c->sync_mode_seq = c->ops->mode_seq(c->ctx);
			copier_flush(c);
		}
		return;
	}
	/*
	 * Refused or not, a later attempt flushes again.  The owner refuses
	 * if the I/O mode changed since the flush was issued: a host write
	 * the flush did not cover may have been flushed to the source alone
	 * (cancel, then resync).
	 */
	c->sync_flushed = false;
	c->ops->synced(c->ctx, c->sync_mode_seq);
}

/*
 * Claim @region for @job: start the copy now (with the idle regions after
 * it), defer it until the region's writes have drained, or give the job
 * back if the region is busy.  Return: the number of regions handled.
 */
static u64 copier_claim(struct vmirror_copier *c, struct copy_job *job,
			u64 region)
{
	u64 nr = 1;

	job->region = region;
	job->nr = 1;
	job->phase = COPY_PHASE_START;
	job->start_ns = 0;
	/*
	 * On the pending list before asking: once the region is PENDING, its
	 * last write may complete at any moment and copier_region_ready()
	 * must find the job.
	 */
	spin_lock_irq(&c->lock);
	list_add_tail(&job->list, &c->pending_jobs);
	spin_unlock_irq(&c->lock);

	switch (region_map_copy_begin(c->rm, region, true, &job->gen)) {
	case REGION_COPY_START:
		copier_unpend(c, job);
		copier_extend_batch(c, job);
		nr = job->nr;
		copier_rate_charge(c, copier_job_len(c, job));
		copier_advance(c, job, false);
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
	return nr;
}

/* Start the copy of one region if the state, the depth and the rate allow. */
static enum copier_step copier_start_one(struct vmirror_copier *c,
					 long *timeout)
{
	struct region_map *rm = c->rm;
	struct copy_job *job;
	u64 region;

	if (READ_ONCE(c->run) != COPIER_RUNNING || !c->ops->copy_allowed(c->ctx))
		return COPIER_NOTHING;

	region = copier_next_region(c);
	if (region >= region_map_nr_regions(rm)) {
		if (region_map_nr_synced(rm) == region_map_nr_regions(rm))
			copier_synced(c);
		/*
		 * Writes in flight without an entry (no memory for one) hold
		 * back copies of their stripe's regions until they complete:
		 * look again shortly rather than at once.
		 */
		if (region_map_overflowed(rm)) {
			*timeout = HZ / 10;
			return COPIER_WAIT;
		}
		return COPIER_NOTHING;
	}

	*timeout = max(copier_rate_delay(c), copier_yield_delay(c));
	if (*timeout)
		return COPIER_WAIT;
	/* A stale chunk landing after this copy would corrupt it. */
	if (copier_stale_writes(disk_devt(c->legs.mirror->bdev->bd_disk))) {
		*timeout = COPIER_STALE_POLL;
		return COPIER_WAIT;
	}

	job = copier_get_job(c);
	if (!job) {
		*timeout = MAX_SCHEDULE_TIMEOUT;
		return COPIER_WAIT;
	}
	c->cursor = region + copier_claim(c, job, region);
	return COPIER_STARTED;
}

/* COPIER_STOPPED: say so once (copier_quiesce() waits for it). */
static bool copier_parked(struct vmirror_copier *c)
{
	bool stopped;

	spin_lock_irq(&c->lock);
	stopped = c->run == COPIER_STOPPED;
	if (stopped && !c->parked) {
		c->parked = true;
		wake_up(&c->idle_wait);
	}
	spin_unlock_irq(&c->lock);
	return stopped;
}

/* One round of the thread's work.  Return: true to go again at once. */
static bool copier_work(struct vmirror_copier *c, long *timeout)
{
	struct region_map *rm = c->rm;
	enum copier_step step;

	/* After a failed mirror flush: the regions out of sync. */
	if (region_map_sweep_pending(rm)) {
		region_map_sweep(rm);
		c->ops->copied(c->ctx, 0, 0);
	}
	if (atomic_xchg(&c->rescan, 0)) {
		c->cursor = 0;
		c->sync_flushed = false;
		atomic_set(&c->pass_errors, 0);
	}
	copier_advance_ready(c, false);
	copier_flush_end(c);
	step = copier_start_one(c, timeout);
	if (step == COPIER_STARTED)
		return true;
	/* Draining, or nothing to copy now: flush as soon as idle. */
	copier_maybe_flush(c, step == COPIER_NOTHING, timeout);
	return false;
}

static int copier_thread(void *arg)
{
	struct vmirror_copier *c = arg;

	while (!kthread_should_stop()) {
		long timeout = MAX_SCHEDULE_TIMEOUT;

		atomic_set(&c->kicked, 0);
		if (!copier_parked(c) && copier_work(c, &timeout)) {
			/* A region that stays busy must not become a busy loop. */
			cond_resched();
			continue;
		}

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
	c->run = COPIER_RUNNING;
	c->parked = false;
	spin_unlock_irq(&c->lock);
	atomic_set(&c->pass_errors, 0);
	copier_kick(c);
}

bool copier_running(struct vmirror_copier *c)
{
	return READ_ONCE(c->run) == COPIER_RUNNING;
}

static void copier_set_run(struct vmirror_copier *c, enum copier_run run)
{
	spin_lock_irq(&c->lock);
	if (c->run != COPIER_STOPPED)
		c->run = run;
	spin_unlock_irq(&c->lock);
	copier_kick(c);
}

/* Drained: no copy in flight or deferred, everything flushed and committed. */
static bool copier_settled(struct vmirror_copier *c)
{
	bool settled;

	spin_lock_irq(&c->lock);
	settled = !c->nr_busy && (!c->flush_in_flight || c->flush_stale);
	spin_unlock_irq(&c->lock);
	return settled && !READ_ONCE(c->open.nr_ranges);
}

static bool copier_is_parked(struct vmirror_copier *c)
{
	bool parked;

	spin_lock_irq(&c->lock);
	parked = c->parked;
	spin_unlock_irq(&c->lock);
	return parked;
}

static bool copier_no_pending(struct vmirror_copier *c)
{
	bool empty;

	spin_lock_irq(&c->lock);
	empty = list_empty(&c->pending_jobs);
	spin_unlock_irq(&c->lock);
	return empty;
}

/*
 * Abandon the jobs whose I/O is in dm-io, and cancel the deferred ones
 * that can be; the writes they held go to @released.  Must be called with
 * c->lock held, the thread parked.  Return: the number of jobs abandoned.
 */
static unsigned int __copier_abandon_jobs(struct vmirror_copier *c,
					  struct list_head *released)
{
	struct copy_job *job, *tmp;
	unsigned int i, abandoned = 0;
	u64 r;

	lockdep_assert_held(&c->lock);
	for (i = 0; i < COPIER_MAX_JOBS; i++) {
		job = &c->jobs[i];
		if (!job->in_io || job->abandoned)
			continue;
		/* Its I/O may land any time: keep what it uses alive. */
		job->abandoned = true;
		refcount_inc(&c->ref);
		__module_get(THIS_MODULE);
		for (r = 0; r < job->nr; r++)
			region_map_copy_end(c->rm, job->region + r, false,
					    job->gen, 0, released);
		/* A write or write-zeroes landing late may undo a newer copy. */
		if (job->phase == COPY_PHASE_WRITE ||
		    job->phase == COPY_PHASE_ZERO) {
			job->stale_dev = disk_devt(c->legs.mirror->bdev->bd_disk);
			spin_lock(&copier_stale_lock);
			list_add(&job->stale_entry, &copier_stale_jobs);
			spin_unlock(&copier_stale_lock);
		}
		c->nr_busy--;
		abandoned++;
	}
	list_for_each_entry_safe(job, tmp, &c->pending_jobs, list) {
		if (region_map_copy_cancel(c->rm, job->region, released)) {
			list_move(&job->list, &c->free_jobs);
			c->nr_busy--;
		}
	}
	return abandoned;
}

/*
 * Give up what a drain could not finish.  The thread is parked, so jobs
 * are free, pending, ready or in dm-io, and the batches are ours.
 */
static void copier_abandon(struct vmirror_copier *c)
{
	bool flush_abandoned = false;
	LIST_HEAD(released);
	unsigned int abandoned;

	spin_lock_irq(&c->lock);
	abandoned = __copier_abandon_jobs(c, &released);
	if (c->flush_in_flight && !c->flush_done && !c->flush_stale) {
		/*
		 * Decided here, under the lock: the flush may complete, and
		 * be reaped (flush_stale cleared), before the batch is ended
		 * below.
		 */
		c->flush_stale = true;
		flush_abandoned = true;
		refcount_inc(&c->ref);
		__module_get(THIS_MODULE);
	}
	spin_unlock_irq(&c->lock);
	c->ops->release_writes(c->ctx, &released);
	if (abandoned)
		DMWARN("%s: suspend abandoned %u copies stuck in their I/O",
		       c->legs.name, abandoned);

	/*
	 * A pending job whose region could not be cancelled is being handed
	 * to the ready list by its last write (copier_region_ready()).
	 */
	wait_event(c->idle_wait, copier_no_pending(c));
	copier_advance_ready(c, true);

	copier_flush_end(c);
	if (flush_abandoned) {
		c->sync_flush_issued = false;
		copier_batch_end(c, &c->flushing, false);
		/*
		 * Whether the mirror keeps what it was asked to make durable
		 * is unknown now, and the answer can no longer reach the table
		 * that owns the region map (a reload hands it over): count
		 * every region out of sync, as after a failed flush.
		 */
		c->ops->mirror_unknown(c->ctx);
	}
	copier_batch_end(c, &c->open, false);
	wake_up(&c->idle_wait);
}

void copier_quiesce(struct vmirror_copier *c)
{
	copier_set_run(c, COPIER_DRAINING);
	wait_event_killable_timeout(c->idle_wait, copier_settled(c),
				    COPIER_DRAIN_TIMEOUT);
	spin_lock_irq(&c->lock);
	c->run = COPIER_STOPPED;
	spin_unlock_irq(&c->lock);
	copier_kick(c);
	/*
	 * Short: the thread does not wait for I/O; only a submission that
	 * sleeps (a throttled or tag-starved mirror) delays it.
	 */
	wait_event(c->idle_wait, copier_is_parked(c));
	copier_abandon(c);
}

/*
 * The I/O of an abandoned job has completed: copies to its mirror may go
 * on, and the references it held are dropped.  A work item of its own,
 * queued once per abandonment, because the last reference of the copier
 * may be dropped here, and freeing it may sleep.  Nothing touches the
 * copier after copier_put().
 */
static void copier_reap_job(struct work_struct *ws)
{
	struct copy_job *job = container_of(ws, struct copy_job, reap_work);
	struct vmirror_copier *c = job->c;

	spin_lock_irq(&copier_stale_lock);
	list_del_init(&job->stale_entry);
	spin_unlock_irq(&copier_stale_lock);

	spin_lock_irq(&c->lock);
	job->abandoned = false;
	list_add(&job->list, &c->free_jobs);
	if (!c->dead)
		copier_kick(c);
	spin_unlock_irq(&c->lock);
	copier_put(c);
	module_put(THIS_MODULE);
}

/* The same for a flush abandoned in flight: no region depends on it. */
static void copier_reap_flush(struct work_struct *ws)
{
	struct vmirror_copier *c = container_of(ws, struct vmirror_copier,
						flush_reap_work);

	spin_lock_irq(&c->lock);
	if (c->flush_error)
		DMWARN_LIMIT("a mirror flush abandoned at suspend failed");
	c->flush_stale = false;
	c->flush_in_flight = false;
	if (!c->dead)
		copier_kick(c);
	spin_unlock_irq(&c->lock);
	copier_put(c);
	module_put(THIS_MODULE);
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

	if (!IS_ERR_OR_NULL(c->io_client))
		dm_io_client_destroy(c->io_client);
	for (i = 0; i < COPIER_MAX_JOBS; i++)
		vfree(c->jobs[i].buf);
	kfree(c);
}

static void copier_put(struct vmirror_copier *c)
{
	if (refcount_dec_and_test(&c->ref))
		copier_free(c);
}

void copier_set_map(struct vmirror_copier *c, struct region_map *rm)
{
	/* The thread reads it after copier_start() takes c->lock. */
	spin_lock_irq(&c->lock);
	WRITE_ONCE(c->rm, rm);
	spin_unlock_irq(&c->lock);
}

void copier_note_host_io(struct vmirror_copier *c)
{
	unsigned long now = jiffies;

	/* One store per jiffy, not one per bio. */
	if (time_after(now, READ_ONCE(c->last_host_io)))
		WRITE_ONCE(c->last_host_io, now);
}

struct vmirror_copier *copier_create(const struct copier_legs *legs,
				     struct region_map *rm,
				     const struct copier_ops *ops, void *ctx,
				     u16 priority, u32 max_rate)
{
	struct vmirror_copier *c;
	unsigned int i;
	int r;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);

	c->legs = *legs;
	c->rm = rm;
	c->ops = ops;
	c->ctx = ctx;
	c->last_host_io = jiffies - HZ;
	refcount_set(&c->ref, 1);
	c->run = COPIER_STOPPED;
	spin_lock_init(&c->lock);
	spin_lock_init(&c->rate_lock);
	INIT_LIST_HEAD(&c->free_jobs);
	INIT_LIST_HEAD(&c->pending_jobs);
	INIT_LIST_HEAD(&c->ready_jobs);
	init_waitqueue_head(&c->idle_wait);
	INIT_WORK(&c->flush_reap_work, copier_reap_flush);
	atomic_set(&c->priority, priority);
	atomic_set(&c->max_rate, max_rate);
	for (i = 0; i < COPIER_MAX_JOBS; i++) {
		c->jobs[i].c = c;
		INIT_WORK(&c->jobs[i].reap_work, copier_reap_job);
		INIT_LIST_HEAD(&c->jobs[i].stale_entry);
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
				c->legs.name);
	if (IS_ERR(c->thread)) {
		r = PTR_ERR(c->thread);
		goto out_free;
	}
	copier_set_nice(c, priority);
	return c;

out_free:
	copier_free(c);
	return ERR_PTR(r);
}

void copier_destroy(struct vmirror_copier *c)
{
	if (READ_ONCE(c->run) != COPIER_STOPPED)
		copier_quiesce(c);
	/* After this the reaper no longer wakes the thread. */
	spin_lock_irq(&c->lock);
	c->dead = true;
	spin_unlock_irq(&c->lock);
	kthread_stop(c->thread);
	copier_put(c);
}

int __init copier_init(void)
{
	copier_wq = alloc_workqueue("kvmirror_reap", 0, 0);
	return copier_wq ? 0 : -ENOMEM;
}

void copier_exit(void)
{
	destroy_workqueue(copier_wq);
}
