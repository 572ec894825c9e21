/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Background copy of dm-vmirror: a kernel thread that copies every region
 * that is not in sync from the source to the mirror with dm-io.
 */
#ifndef DM_VMIRROR_COPIER_H
#define DM_VMIRROR_COPIER_H

#include <linux/list.h>
#include <linux/types.h>

struct dm_dev;
struct region_map;
struct vmirror_copier;

/**
 * struct copier_legs - what a copier copies, fixed for its lifetime
 * @source: the source leg
 * @mirror: the mirror leg
 * @source_start: first sector of the source leg
 * @mirror_start: first sector of the mirror leg
 * @len: length of the target in sectors
 * @region_shift: log2 of the region size in sectors
 * @flush_source: each flush point flushes the source too, with the
 *	mirror (persistent metadata records a batch only once both are)
 * @name: the DM device's name, for the thread and log lines (lives as
 *	long as the device; not for the reapers of abandoned I/O, which may
 *	outlive it)
 */
struct copier_legs {
	struct dm_dev *source;
	struct dm_dev *mirror;
	sector_t source_start;
	sector_t mirror_start;
	sector_t len;
	unsigned int region_shift;
	bool flush_source;
	const char *name;
};

/**
 * struct copier_ops - what a copier reports to its owner
 * @copy_allowed: whether copies may be issued now (the state is copying)
 * @copied: a mirror flush committed @bytes of copies, of which @zeroed
 *	read zeroes on the source and were written as write-zeroes or not
 *	at all (0: only the number of regions in sync may have moved)
 * @copy_failed: a pass ended with @nr copies the source failed to read
 * @source_error: a copy read failed on the source (count it)
 * @mode_seq: a number that changes whenever the owner's I/O mode does
 * @synced: every region is in sync and a mirror flush issued since, at
 *	@mode_seq @seq, has completed: may the pair be synchronized (the
 *	owner refuses if the mode changed since)
 * @mirror_failed: a copy write to @region, or a flush (@region U64_MAX),
 *	failed on the mirror
 * @mirror_unknown: a mirror flush was abandoned in flight (copier_quiesce()):
 *	whether the mirror keeps what it covered is unknown
 * @release_writes: issue again host writes a copy held (list of
 *	&struct region_waiter); also from copier_quiesce()
 * @record_snapshot: a range of the batch about to be flushed: note which
 *	regions no host write is in flight to (persistent metadata)
 * @record_flush: the batch's mirror flush succeeded; the source flush
 *	issued with it (@flush_source) failed if @source_failed (0, or an
 *	error: the batch is not committed).  Must not wait for I/O.
 * @record_range: a range of the batch is recorded in sync (@ok), or
 *	dropped (!@ok: not flushed, or the source flush failed)
 * @record_commit: commit what @record_range noted, before the region map
 *	counts the batch in sync (0, or an error: it is not committed)
 *
 * The copier knows its legs, its region map and these; it never reads its
 * owner's state.  Each is called in process context with no copier lock
 * held: from the copier thread, or from copier_quiesce() (presuspend,
 * under DM's suspend lock: @copied, @mirror_failed, @mirror_unknown,
 * @release_writes).  @ctx is copier_create()'s.  Abandoned I/O outlives
 * the owner: its reapers use none of these, nor the legs.
 */
struct copier_ops {
	bool (*copy_allowed)(void *ctx);
	void (*copied)(void *ctx, u64 bytes, u64 zeroed);
	void (*copy_failed)(void *ctx, unsigned int nr);
	void (*source_error)(void *ctx);
	u64 (*mode_seq)(void *ctx);
	void (*synced)(void *ctx, u64 seq);
	void (*mirror_failed)(void *ctx, u64 region);
	void (*mirror_unknown)(void *ctx);
	void (*release_writes)(void *ctx, struct list_head *released);
	void (*record_snapshot)(void *ctx, u64 region, u64 nr);
	int (*record_flush)(void *ctx, bool source_failed);
	void (*record_range)(void *ctx, u64 region, u64 nr, bool ok);
	int (*record_commit)(void *ctx);
};

/**
 * copier_init() - module init: the work queue that reaps abandoned I/O
 *
 * Return: 0 or -ENOMEM.
 */
int copier_init(void);

/**
 * copier_exit() - module exit: wait for the reaper
 *
 * No abandoned I/O is left then: each holds a module reference.
 */
void copier_exit(void);

/**
 * copier_create() - create the copy thread of a target, stopped
 * @legs: what to copy (copied)
 * @rm: the region map to walk (see copier_set_map())
 * @ops: how to report to the owner
 * @ctx: the owner, handed to @ops
 * @priority: VMIRROR_PRIORITY_* of the table line
 * @max_rate: KiB/s cap, 0 for none
 *
 * Context: may sleep.
 * Return: the copier or an ERR_PTR().
 */
struct vmirror_copier *copier_create(const struct copier_legs *legs,
				     struct region_map *rm,
				     const struct copier_ops *ops, void *ctx,
				     u16 priority, u32 max_rate);

/**
 * copier_set_map() - walk another region map from the next copier_start()
 * @c: the copier, stopped (before its first copier_start(), or quiesced)
 * @rm: the map (a reload hands the live table's map to the new one)
 */
void copier_set_map(struct vmirror_copier *c, struct region_map *rm);

/**
 * copier_note_host_io() - the host is doing I/O (copy_priority low yields)
 * @c: the copier
 *
 * Context: any; cheap (one store per jiffy at most).
 */
void copier_note_host_io(struct vmirror_copier *c);

/**
 * copier_destroy() - stop the thread and drop the target's reference
 * @c: the copier, quiesced
 *
 * Copy I/O abandoned by copier_quiesce() and still in flight keeps the
 * copier's memory until it completes.
 */
void copier_destroy(struct vmirror_copier *c);

/**
 * copier_start() - let the thread issue copies (on resume)
 * @c: the copier
 *
 * Until this is called, and after copier_quiesce(), the thread does not
 * look at the region map or the state: a reload may hand them over.
 */
void copier_start(struct vmirror_copier *c);

/**
 * copier_quiesce() - stop issuing copies, finish or abandon those in flight
 * @c: the copier
 *
 * Drains: copies under way finish and the mirror is flushed, for at most
 * a few seconds or until a fatal signal.  Then what is still in flight is
 * abandoned (its regions are not in sync, and not copied again until that
 * I/O has completed).  Either way no copy is in progress and no host write
 * is held by a copy when it returns, and the thread is parked.  May sleep.
 */
void copier_quiesce(struct vmirror_copier *c);

/**
 * copier_running() - whether the thread may issue copies
 * @c: the copier
 *
 * False from copier_quiesce() (presuspend) until copier_start() (resume).
 * Safe from any context.
 *
 * Return: a snapshot.
 */
bool copier_running(struct vmirror_copier *c);

/**
 * copier_kick() - wake the thread after the state or a setting changed
 * @c: the copier
 *
 * Safe from interrupt context.
 */
void copier_kick(struct vmirror_copier *c);

/**
 * copier_region_ready() - a deferred region drained its host writes
 * @c: the copier
 * @region: the region, now being copied (region_map_write_end() said so)
 *
 * Safe from interrupt context.
 */
void copier_region_ready(struct vmirror_copier *c, u64 region);

/**
 * copier_set_priority() - change the copy priority
 * @c: the copier
 * @priority: VMIRROR_PRIORITY_LOW, _SAME or _HIGH
 */
void copier_set_priority(struct vmirror_copier *c, u16 priority);

/**
 * copier_set_rate() - change the copy rate cap
 * @c: the copier
 * @max_rate: KiB/s, 0 for none
 */
void copier_set_rate(struct vmirror_copier *c, u32 max_rate);

/**
 * copier_priority() - the current copy priority
 * @c: the copier
 *
 * Return: VMIRROR_PRIORITY_LOW, _SAME or _HIGH.
 */
u16 copier_priority(struct vmirror_copier *c);

/**
 * copier_max_rate() - the current rate cap in KiB/s
 * @c: the copier
 *
 * Return: the cap, 0 for none.
 */
u32 copier_max_rate(struct vmirror_copier *c);

/**
 * copier_copy_rate() - the recent copy rate
 * @c: the copier
 *
 * Return: bytes/s over the last full second of copying, 0 when the copy
 * has not moved for two seconds.
 */
u64 copier_copy_rate(struct vmirror_copier *c);

/**
 * copier_rescan() - start a new pass over every region (resync, resume)
 * @c: the copier
 *
 * Regions whose copy failed in the last pass are tried again.
 */
void copier_rescan(struct vmirror_copier *c);

#endif /* DM_VMIRROR_COPIER_H */
