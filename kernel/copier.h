/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Background copy of dm-vmirror: a kernel thread that copies every region
 * that is not in sync from the source to the mirror with dm-io.
 */
#ifndef DM_VMIRROR_COPIER_H
#define DM_VMIRROR_COPIER_H

#include <linux/types.h>

struct vmirror;
struct vmirror_copier;

/**
 * copier_create() - create the copy thread of a target, stopped
 * @vm: the target; its region map and legs must be set up
 * @priority: VMIRROR_PRIORITY_* of the table line
 * @max_rate: KiB/s cap, 0 for none
 *
 * Return: the copier or an ERR_PTR().
 */
struct vmirror_copier *copier_create(struct vmirror *vm, u16 priority,
				     u32 max_rate);

/**
 * copier_destroy() - stop the thread and free the copier
 * @c: the copier, quiesced
 */
void copier_destroy(struct vmirror_copier *c);

/**
 * copier_start() - let the thread issue copies (on resume)
 * @c: the copier
 */
void copier_start(struct vmirror_copier *c);

/**
 * copier_quiesce() - stop issuing copies and wait for those in flight
 * @c: the copier
 *
 * May sleep.  Host writes held by copies are released before it returns.
 */
void copier_quiesce(struct vmirror_copier *c);

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
 */
u16 copier_priority(struct vmirror_copier *c);

/**
 * copier_max_rate() - the current rate cap in KiB/s
 * @c: the copier
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
