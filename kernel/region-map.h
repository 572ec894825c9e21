/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Region map of dm-vmirror: which regions of the source are in sync on the
 * mirror, which are being copied, and how many host writes each region has
 * in flight.  This is the rule book of the write/copy ordering; it knows
 * nothing about bios, so it is unit-tested in userspace.
 */
#ifndef DM_VMIRROR_REGION_MAP_H
#define DM_VMIRROR_REGION_MAP_H

#include <linux/list.h>
#include <linux/types.h>

struct region_map;

/**
 * struct region_waiter - a host write held until the copy of its region ends
 * @list: entry in the held list of the region's lock stripe
 * @region: the region the write belongs to
 *
 * Embedded in the caller's per-write data; the map only links it.
 */
struct region_waiter {
	struct list_head list;
	u64 region;
};

/**
 * enum region_write_route - where a host write to a region must go
 * @REGION_WRITE_BOTH: the region is in sync: write source and mirror
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
 * @REGION_COPY_BUSY: in sync already, or a copy is already under way
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
 * May sleep.  Return: the map, or NULL when out of memory.
 */
struct region_map *region_map_create(u64 nr_regions, bool in_sync);

/**
 * region_map_destroy() - free a region map
 * @rm: the map; no write or copy may be in flight
 */
void region_map_destroy(struct region_map *rm);

/**
 * region_map_nr_regions() - number of regions in the map
 * @rm: the map
 */
u64 region_map_nr_regions(const struct region_map *rm);

/**
 * region_map_nr_synced() - number of regions in sync
 * @rm: the map
 *
 * Safe from any context; a snapshot that may be stale by the time it is read.
 */
u64 region_map_nr_synced(const struct region_map *rm);

/**
 * region_map_is_synced() - whether a region is in sync
 * @rm: the map
 * @region: the region
 */
bool region_map_is_synced(const struct region_map *rm, u64 region);

/**
 * region_map_write_begin() - route a host write before it is issued
 * @rm: the map
 * @w: the write's waiter, with @w->region set; linked if the write is held
 * @track_only: the mirror is not being written (broken, ...): a region in
 *	sync loses that status and the write goes to the source alone
 *
 * Every write routed BOTH or SOURCE must be followed by exactly one
 * region_map_write_end() when it completes.  Safe from any context.
 *
 * Return: the route.
 */
enum region_write_route region_map_write_begin(struct region_map *rm,
					       struct region_waiter *w,
					       bool track_only);

/**
 * region_map_write_end() - account the completion of a host write
 * @rm: the map
 * @region: its region
 *
 * Safe from interrupt context.
 *
 * Return: true if this was the last write holding back a deferred copy:
 * the region is now being copied and the caller must start that copy.
 */
bool region_map_write_end(struct region_map *rm, u64 region);

/**
 * region_map_copy_begin() - ask to copy a region that is not in sync
 * @rm: the map
 * @region: the region
 * @may_defer: if host writes are in flight, defer the copy (see
 *	REGION_COPY_DEFERRED); if false, answer REGION_COPY_BUSY instead and
 *	change nothing
 *
 * Safe from any context.  Return: see &enum region_copy_start.
 */
enum region_copy_start region_map_copy_begin(struct region_map *rm, u64 region,
					     bool may_defer);

/**
 * region_map_copy_end() - finish the copy of a region
 * @rm: the map
 * @region: the region
 * @in_sync: the copy succeeded: the region is in sync from now on
 * @released: the writes held by this copy are moved here, in arrival
 *	order; the caller must route each of them again
 *
 * Safe from any context.
 */
void region_map_copy_end(struct region_map *rm, u64 region, bool in_sync,
			 struct list_head *released);

/**
 * region_map_mark_unsynced() - a region is no longer known to be in sync
 * @rm: the map
 * @region: the region (e.g. a write to the mirror failed there)
 *
 * Safe from interrupt context.
 */
void region_map_mark_unsynced(struct region_map *rm, u64 region);

/**
 * region_map_mark_all_unsynced() - no region is known to be in sync
 * @rm: the map
 *
 * For a failed flush of the mirror: any write since the last good flush
 * may be lost there, and which regions they went to is not known.  Safe
 * from interrupt context; one lock stripe at a time.
 */
void region_map_mark_all_unsynced(struct region_map *rm);

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
 */
u64 region_map_writes_in_flight(struct region_map *rm);

/**
 * region_map_next_unsynced() - find a region that is not in sync
 * @rm: the map
 * @from: first region to look at
 *
 * Return: the first region >= @from that is not in sync (it may be under
 * copy), or region_map_nr_regions() if there is none.
 */
u64 region_map_next_unsynced(const struct region_map *rm, u64 from);

#endif /* DM_VMIRROR_REGION_MAP_H */
