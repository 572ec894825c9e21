/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vmirror: what the target, the copier and the state code share.
 */
#ifndef DM_VMIRROR_H
#define DM_VMIRROR_H

#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "args.h"
#include "state.h"

struct region_map;
struct vmirror_copier;

/**
 * struct vmirror - one vmirror target instance
 * @ti: the DM target
 * @source: the source leg
 * @mirror: the mirror leg
 * @source_start: first sector of the source leg
 * @mirror_start: first sector of the mirror leg
 * @region_shift: log2 of the region size in sectors
 * @rm: the region map
 * @copier: the background copy thread
 * @mirror_bs: bios that clone host writes for the mirror leg
 * @state_lock: protects @state and @mirror_written
 * @state: the association's state machine
 * @mirror_written: copy of vmirror_state_mirror_written(), read on the
 *	write path without @state_lock
 * @activated: the first resume has happened
 * @notify_work: raises the DM event of a state change made in atomic context
 * @source_errors: I/O errors seen on the source
 * @mirror_errors: I/O errors seen on the mirror
 * @no_activation: table argument, kept for the table line
 * @nosync: table argument, kept for the table line
 * @table_priority: copy_priority of the table line
 * @table_rate: max_copy_rate of the table line
 */
struct vmirror {
	struct dm_target *ti;
	struct dm_dev *source;
	struct dm_dev *mirror;
	sector_t source_start;
	sector_t mirror_start;
	unsigned int region_shift;

	struct region_map *rm;
	struct vmirror_copier *copier;
	struct bio_set mirror_bs;

	spinlock_t state_lock;		/* protects state, mirror_written */
	struct vmirror_state state;
	bool mirror_written;
	bool activated;
	struct work_struct notify_work;

	atomic64_t source_errors;
	atomic64_t mirror_errors;

	bool no_activation;
	bool nosync;
	u16 table_priority;
	u32 table_rate;
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

/**
 * vmirror_event() - apply an event to the state machine and notify
 * @vm: the target
 * @ev: the event
 *
 * Safe from interrupt context; the DM event is raised from a work item.
 * Return: as vmirror_state_apply().
 */
int vmirror_event(struct vmirror *vm, enum vmirror_event ev);

/**
 * vmirror_copy_allowed() - whether the background copy may issue copies
 * @vm: the target
 */
bool vmirror_copy_allowed(struct vmirror *vm);

/**
 * vmirror_release_writes() - issue host writes held by a finished copy
 * @vm: the target
 * @released: list of &struct region_waiter from region_map_copy_end()
 */
void vmirror_release_writes(struct vmirror *vm, struct list_head *released);

/**
 * vmirror_mirror_failed() - a write to the mirror failed
 * @vm: the target
 * @region: the region, or U64_MAX when none (a flush)
 *
 * Safe from interrupt context.
 */
void vmirror_mirror_failed(struct vmirror *vm, u64 region);

#endif /* DM_VMIRROR_H */
