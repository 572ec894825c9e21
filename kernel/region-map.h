/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Region map of dm-vmirror: which regions of the source are in sync on the
 * mirror, which are being copied, and how many host writes each region has
 * in flight.  This is the rule book of the write/copy ordering; it knows
 * nothing about bios, so it is unit-tested in userspace.
 *
 * A copy ends in two steps: region_map_copy_end() when its writes to the
 * mirror have completed, region_map_commit() once a flush of the mirror
 * issued after that has completed.  Only the second counts the region as
 * in sync.  Persistent metadata would be written at the same point.
 *
 * Memory: one bit per region (in sync or not; one more with
 * region_map_set_mirror_zeroed()), plus an entry of 32 bytes for each
 * *active* region: one with host writes in flight, or being copied, or
 * copied and waiting for its flush.  Entries come from a mempool with
 * GFP_NOWAIT, so region_map_write_begin() never sleeps and never fails;
 * see region-map.c for what happens when none is to be had.
 */
#ifndef DM_VMIRROR_REGION_MAP_H
#define DM_VMIRROR_REGION_MAP_H

#include <linux/list.h>
#include <linux/types.h>

struct region_map;

/* Copies are tagged 0 or 1, see region_map_copy_end(). */
#define REGION_COPY_TAGS	2

/*
 * A host write spans at most this many consecutive regions (one bit each
 * in &struct region_waiter.no_entry); see region_map_write_begin_range().
 */
#define REGION_RANGE_MAX	16

/**
 * struct region_waiter - a host write, as the map knows it
 * @list: entry in the held list of the region's lock stripe, while the
 *	write is held until the copy of its region ends
 * @region: the (first) region the write belongs to
 * @no_entry: set by region_map_write_begin() and
 *	region_map_write_begin_range(): bit i set, the write is counted in
 *	the lock stripe of region @region + i, not in an entry of that
 *	region (none could be allocated)
 * @nr: set by the same: the regions the write spans from @region, 1 to
 *	REGION_RANGE_MAX.  A write of more than one region is never held nor
 *	linked anywhere (it is routed at once or not at all).
 * @cleared: set by intent_take_parked() (metadata_dev): the commit the
 *	write waits for clears its region's bit (intent.h)
 *
 * Embedded in the caller's per-write data; the map only links it and sets
 * @no_entry and @nr, which it reads back in region_map_write_end().
 */
struct region_waiter {
	struct list_head list;
	u64 region;
	u16 no_entry;
	u8 nr;
	bool cleared;
};

/**
 * enum region_write_route - where a host write to a region must go
 * @REGION_WRITE_BOTH: the region is in sync (or copied and waiting for the
 *	flush that makes it so): write source and mirror
 * @REGION_WRITE_SOURCE: the region is not copied yet (or the mirror is not
 *	being written): the source alone; a later copy carries the data
 * @REGION_WRITE_UNSYNCED: as @REGION_WRITE_SOURCE, and the write took the
 *	region out of sync (it was in sync, the mirror is not being written)
 * @REGION_WRITE_HELD: the region is being copied (or waits to be): the
 *	write was queued and comes back from region_map_copy_end()
 */
enum region_write_route {
	REGION_WRITE_BOTH,
	REGION_WRITE_SOURCE,
	REGION_WRITE_UNSYNCED,
	REGION_WRITE_HELD,
};

/**
 * enum region_copy_start - answer to a request to copy a region
 * @REGION_COPY_START: the region is now being copied; copy it, then call
 *	region_map_copy_end()
 * @REGION_COPY_DEFERRED: host writes are in flight; new writes are held
 *	and the last write in flight makes region_map_write_end() return true,
 *	at which point the region is being copied
 * @REGION_COPY_BUSY: in sync already, or a copy is already under way or
 *	waits for its flush
 */
enum region_copy_start {
	REGION_COPY_START,
	REGION_COPY_DEFERRED,
	REGION_COPY_BUSY,
};

/**
 * region_map_create() - allocate a region map
 * @nr_regions: number of regions, at least 1
 * @in_sync: start with every region in sync (the "nosync" table argument)
 *
 * Allocates the in-sync bitmap (@nr_regions bits) and a small reserve of
 * entries for active regions.  Context: may sleep.
 * Return: the map, or NULL when out of memory or @nr_regions > INT_MAX.
 */
struct region_map *region_map_create(u64 nr_regions, bool in_sync);

/**
 * region_map_load_synced() - set the regions in sync from a bitmap
 * @rm: the map, new (before any write or copy), none in sync
 * @bits: bit set: the region is in sync (persistent metadata)
 */
void region_map_load_synced(struct region_map *rm, const unsigned long *bits);

/**
 * region_map_synced_bits() - the in-sync bitmap, to be recorded
 * @rm: the map
 *
 * Bit set: the region is in sync.  Bits change under the caller (atomic
 * bit operations); meaningless while region_map_sweep_pending().
 *
 * Return: the map's bitmap, of region_map_nr_regions() bits.
 */
const unsigned long *region_map_synced_bits(const struct region_map *rm);

/**
 * region_map_destroy() - free a region map
 * @rm: the map, or NULL; no write or copy may be in flight
 *
 * May sleep (the map is vmalloc'ed).
 */
void region_map_destroy(struct region_map *rm);

/**
 * region_map_nr_regions() - number of regions in the map
 * @rm: the map
 *
 * Return: the number of regions, fixed at creation.
 */
u64 region_map_nr_regions(const struct region_map *rm);

/**
 * region_map_nr_entries() - number of active regions
 * @rm: the map
 *
 * Regions with an entry: host writes in flight, or a copy under way or
 * waiting for its flush.  0 when the map is idle.  Takes every stripe lock
 * in turn; for tests and memory figures.
 *
 * Return: the number of entries allocated.
 */
u64 region_map_nr_entries(struct region_map *rm);

/**
 * region_map_overflowed() - whether host writes are in flight without an entry
 * @rm: the map
 *
 * While it is true, copies of the regions of some lock stripe are refused
 * (region_map_copy_begin() answers BUSY): the copier waits a moment
 * before another pass instead of spinning.  A hint, read without locks.
 *
 * Return: true if some stripe counts writes without an entry.
 */
bool region_map_overflowed(const struct region_map *rm);

/**
 * region_map_nr_synced() - number of regions in sync
 * @rm: the map
 *
 * Regions copied and not flushed yet are not counted, and none is while a
 * region_map_mark_all_unsynced() waits for its region_map_sweep().  Safe
 * from any context.
 *
 * Return: a snapshot that may be stale by the time it is read.
 */
u64 region_map_nr_synced(const struct region_map *rm);

/**
 * region_map_is_synced() - whether a region is in sync
 * @rm: the map
 * @region: the region
 *
 * Return: as region_map_nr_synced(), for one region.
 */
bool region_map_is_synced(const struct region_map *rm, u64 region);

/**
 * region_map_set_track_only() - whether host writes also go to the mirror
 * @rm: the map
 * @track_only: the mirror is not being written (fractured, split, broken,
 *	aborted): from now on a write to a region in sync takes that status
 *	away and goes to the source alone
 *
 * Set under each lock stripe in turn, so every region_map_write_begin()
 * that returns after this call has returned routes by the new value.
 * Safe from any context (the caller holds its state lock: lock order
 * state lock -> stripe locks).
 */
void region_map_set_track_only(struct region_map *rm, bool track_only);

/**
 * region_map_set_async() - whether host writes to regions in sync may go
 *	to the source alone (sync_mode async)
 * @rm: the map
 * @max_unsynced: 0: they go to both disks (sync_mode sync).  Otherwise,
 *	while fewer than @max_unsynced regions are out of sync, a write to a
 *	region in sync takes that status away before it is issued and goes
 *	to the source alone (REGION_WRITE_UNSYNCED; a copied region not
 *	flushed yet: REGION_WRITE_SOURCE), for a later copy to carry; at the
 *	bound it goes to both disks, as in sync mode
 *
 * Set as region_map_set_track_only() is (which takes precedence): every
 * region_map_write_begin() that returns after this call has returned
 * routes by the new value.  Safe from any context.
 */
void region_map_set_async(struct region_map *rm, u64 max_unsynced);

/**
 * region_map_write_begin() - route a host write before it is issued
 * @rm: the map
 * @w: the write's waiter, with @w->region set; linked if the write is held
 *
 * Routes by the region's state, region_map_set_track_only() and
 * region_map_set_async(), all read under the region's lock.  Every write
 * routed BOTH, SOURCE or UNSYNCED must be followed by exactly one
 * region_map_write_end() when it completes.  Safe from any context.
 *
 * Return: the route.
 */
enum region_write_route region_map_write_begin(struct region_map *rm,
					       struct region_waiter *w);

/**
 * region_map_write_begin_range() - route a host write spanning several
 *	regions, if a prefix of them goes one way at once
 * @rm: the map
 * @w: the write's waiter, with @w->region set to its first region; never
 *	linked
 * @nr: the regions the write spans, 1 to REGION_RANGE_MAX
 * @route: set, if the return is not 0, to the route of every region
 *	counted: REGION_WRITE_BOTH, or a route to the source alone
 *	(REGION_WRITE_UNSYNCED if that took some region out of sync,
 *	REGION_WRITE_SOURCE otherwise)
 *
 * Takes the regions' stripe locks one at a time, in region order, never
 * two at once.  Each region is routed under its lock as
 * region_map_write_begin() would route it, and counted in flight, as long
 * as it would not be held and goes where the first one goes (both disks,
 * or the source alone); the first that would not is left untouched and
 * ends the prefix.  Nothing is ever held: if the first region would be,
 * nothing is counted and 0 is returned (route the write with
 * region_map_write_begin(), one region).  Otherwise @w->nr and
 * @w->no_entry are set and the write, trimmed by the caller to the regions
 * counted, must be followed by exactly one region_map_write_end().  Safe
 * from any context.
 *
 * Return: the number of regions counted from @w->region, 0 to @nr.
 */
unsigned int region_map_write_begin_range(struct region_map *rm,
					  struct region_waiter *w,
					  unsigned int nr,
					  enum region_write_route *route);

/**
 * region_map_region_idle() - whether a region is in sync and unwritten now
 * @rm: the map
 * @region: the region
 * @synced: set to whether it is in sync, or copied and waiting for the
 *	mirror flush that makes it so
 *
 * Safe from any context (takes the region's stripe lock).
 *
 * Return: true if *@synced and no host write to it is in flight.
 */
bool region_map_region_idle(struct region_map *rm, u64 region, bool *synced);

/**
 * region_map_write_end() - account the completion of a host write
 * @rm: the map
 * @w: the write's waiter, as region_map_write_begin() or
 *	region_map_write_begin_range() left it
 *
 * Ends the write in each of its @w->nr regions, taking their stripe locks
 * one at a time.  Safe from interrupt context.
 *
 * Return: bit i set: this was the last write holding back a deferred copy
 * of region @w->region + i, which is now being copied; the caller must
 * start that copy.  0: no copy to start.
 */
unsigned int region_map_write_end(struct region_map *rm,
				  struct region_waiter *w);

/**
 * region_map_copy_begin() - ask to copy a region that is not in sync
 * @rm: the map
 * @region: the region
 * @may_defer: if host writes are in flight, defer the copy (see
 *	REGION_COPY_DEFERRED); if false, answer REGION_COPY_BUSY instead and
 *	change nothing
 * @gen: set to the map's generation when the region is claimed; pass it to
 *	region_map_copy_end() and region_map_commit()
 *
 * The region gets an entry (see the top); if the mempool has none at once,
 * it is allocated with GFP_NOIO.  If that fails too, or host writes are in
 * flight in the region's stripe that have no entry, the answer is
 * REGION_COPY_BUSY: the copier tries again on a later pass.
 *
 * Context: may sleep (the copier thread).
 * Return: see &enum region_copy_start.
 */
enum region_copy_start region_map_copy_begin(struct region_map *rm, u64 region,
					     bool may_defer, u64 *gen);

/**
 * region_map_copy_end() - the copy of a region has ended
 * @rm: the map
 * @region: the region
 * @copied: the copy's writes to the mirror have all completed without error
 * @gen: from region_map_copy_begin()
 * @tag: 0 or 1: the flush batch the region joins, for region_map_commit()
 * @released: the writes held by this copy are moved here, in arrival
 *	order; the caller must route each of them again
 *
 * If @copied and no region_map_mark_all_unsynced() happened since @gen,
 * the region is *copied*: host writes go to both disks as for a region in
 * sync, but it is not counted in sync until region_map_commit().
 * Otherwise it is not in sync.  Safe from any context.
 */
void region_map_copy_end(struct region_map *rm, u64 region, bool copied,
			 u64 gen, unsigned int tag, struct list_head *released);

/**
 * region_map_commit() - a flush of the mirror has ended
 * @rm: the map
 * @region: first region of a range whose copies ended before the flush
 *	was issued
 * @nr: number of regions in the range
 * @gen: the generation of the copies
 * @tag: the tag they ended with
 * @flushed: the flush succeeded
 *
 * Each region of the range that is still copied with @tag becomes in sync
 * if @flushed and no region_map_mark_all_unsynced() happened since @gen,
 * otherwise not in sync.  Regions in any other state are left alone: the
 * range may be wider than the copies, and a region copied again with the
 * other tag waits for its own flush.  May be called with the regions of
 * several copies at once; thread context (it takes @nr locks in turn).
 *
 * Return: the number of regions that became in sync.
 */
u64 region_map_commit(struct region_map *rm, u64 region, u64 nr, u64 gen,
		      unsigned int tag, bool flushed);

/**
 * region_map_copy_cancel() - give up a deferred copy before it started
 * @rm: the map
 * @region: the region, claimed with REGION_COPY_DEFERRED
 * @released: the writes it held are moved here (route them again)
 *
 * For a suspend (see copier_quiesce()).
 * Context: any.
 * Return: true if the region was still waiting for its writes to drain:
 * it is not in sync and free to copy again.  False if the last write has
 * already made it copied (region_map_write_end() returned true): nothing
 * changed, the copy is the caller's to end.
 */
bool region_map_copy_cancel(struct region_map *rm, u64 region,
			    struct list_head *released);

/**
 * region_map_mark_unsynced() - a region is no longer known to be in sync
 * @rm: the map
 * @region: the region (e.g. a write to the mirror failed there)
 *
 * A region copied and not flushed is not in sync either.  Safe from
 * interrupt context.
 */
void region_map_mark_unsynced(struct region_map *rm, u64 region);

/**
 * region_map_mark_all_unsynced() - no region is known to be in sync
 * @rm: the map
 *
 * For a failed flush of the mirror: any write since the last good flush
 * may be lost there, and which regions they went to is not known.  O(1):
 * it starts a new generation, so copies under way or waiting for their
 * flush will not count, and reports no region in sync until
 * region_map_sweep() has cleared them all.  Safe from any context, also
 * hard interrupt.
 */
void region_map_mark_all_unsynced(struct region_map *rm);

/**
 * region_map_sweep_pending() - whether region_map_sweep() has work to do
 * @rm: the map
 *
 * Return: true after region_map_mark_all_unsynced(), until the sweep that
 * follows it has ended.
 */
bool region_map_sweep_pending(const struct region_map *rm);

/**
 * region_map_sweep() - take every region out of sync after
 *	region_map_mark_all_unsynced()
 * @rm: the map
 *
 * O(number of regions), a bounded number of regions per lock hold; may
 * sleep.  Call it from one thread at a time.
 */
void region_map_sweep(struct region_map *rm);

/**
 * region_map_freeze() - hold every new host write
 * @rm: the map
 *
 * From now on region_map_write_begin() holds every write, until
 * region_map_thaw().  Writes already in flight are not affected; wait for
 * region_map_writes_in_flight() to reach 0 to quiesce.
 */
void region_map_freeze(struct region_map *rm);

/**
 * region_map_thaw() - stop holding new host writes
 * @rm: the map
 * @released: writes held by the freeze (not those held by a copy) are
 *	moved here; the caller must route each of them again
 */
void region_map_thaw(struct region_map *rm, struct list_head *released);

/**
 * region_map_writes_in_flight() - host writes begun and not ended
 * @rm: the map
 *
 * Return: their number; takes every stripe lock in turn.
 */
u64 region_map_writes_in_flight(struct region_map *rm);

/**
 * region_map_next_unsynced() - find a region that is not in sync
 * @rm: the map
 * @from: first region to look at
 *
 * Return: the first region >= @from that is not in sync (it may be under
 * copy, or copied and waiting for its flush), or region_map_nr_regions()
 * if there is none.
 */
u64 region_map_next_unsynced(const struct region_map *rm, u64 from);

/**
 * region_map_set_mirror_zeroed() - the mirror reads zeroes everywhere
 * @rm: the map, new (before any write or copy)
 *
 * From now on each region is known to read zeroes on the mirror until
 * something is written there (region_map_write_begin() routing a write to
 * the mirror, region_map_mirror_written()).  Context: may sleep.
 *
 * Return: 0 or -ENOMEM.
 */
int region_map_set_mirror_zeroed(struct region_map *rm);

/**
 * region_map_mirror_zero() - whether the mirror is known to read zeroes
 * @rm: the map
 * @region: first region
 * @nr: number of regions
 *
 * Meaningful for regions being copied (no host write in flight to them).
 * Safe from any context.
 *
 * Return: true if every one of the regions is known to read zeroes.
 */
bool region_map_mirror_zero(const struct region_map *rm, u64 region, u64 nr);

/**
 * region_map_mirror_written() - something is about to be written to the
 *	mirror in these regions: they are no longer known to read zeroes
 * @rm: the map
 * @region: first region
 * @nr: number of regions
 *
 * Call before the write is issued.  Safe from any context.
 */
void region_map_mirror_written(struct region_map *rm, u64 region, u64 nr);

/**
 * region_map_mirror_zero_lost() - no region is known to read zeroes any
 *	more (the mirror is written outside the map: mirror-only mode)
 * @rm: the map
 *
 * Safe from any context.
 */
void region_map_mirror_zero_lost(struct region_map *rm);

#endif /* DM_VMIRROR_REGION_MAP_H */
