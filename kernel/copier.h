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
 * @vm: the target; its region map and legs must be set up
 * @priority: VMIRROR_PRIORITY_* of the table line
 * @max_rate: KiB/s cap, 0 for none
 *
 * Return: the copier or an ERR_PTR().
 */
struct vmirror_copier *copier_create(struct vmirror *vm, u16 priority,
				     u32 max_rate);

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
