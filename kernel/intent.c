// SPDX-License-Identifier: GPL-2.0-only
/*
 * Write-intent bookkeeping of dm-vmirror: see intent.h for the rules and
 * Documentation/vmirror.rst ("Persistence") for why they keep every
 * acknowledged write.
 */

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "intent.h"

/* Regions looked at under one hold of the lock (irqs off). */
#define INTENT_BATCH	1024

static unsigned long *intent_bitmap(u64 nr)
{
	return kvcalloc(BITS_TO_LONGS(nr), sizeof(unsigned long), GFP_KERNEL);
}

struct vmirror_intent *intent_create(u64 nr_regions, u64 max_hot,
				     intent_idle_fn idle, void *ctx)
{
	struct vmirror_intent *in = kzalloc(sizeof(*in), GFP_KERNEL);

	if (!in)
		return NULL;
	spin_lock_init(&in->lock);
	INIT_LIST_HEAD(&in->parked);
	in->nr_regions = nr_regions;
	in->max_hot = max_hot;
	in->capped = true;
	in->idle = idle;
	in->ctx = ctx;
	in->clean = intent_bitmap(nr_regions);
	in->dirtying = intent_bitmap(nr_regions);
	in->hot = intent_bitmap(nr_regions);
	in->cand = intent_bitmap(nr_regions);
	in->ccand = intent_bitmap(nr_regions);
	if (!in->clean || !in->dirtying || !in->hot || !in->cand || !in->ccand) {
		intent_destroy(in);
		return NULL;
	}
	return in;
}

void intent_destroy(struct vmirror_intent *in)
{
	if (!in)
		return;
	kvfree(in->clean);
	kvfree(in->dirtying);
	kvfree(in->hot);
	kvfree(in->cand);
	kvfree(in->ccand);
	kfree(in);
}

void intent_set_idle(struct vmirror_intent *in, intent_idle_fn idle,
		     void *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&in->lock, flags);
	in->idle = idle;
	in->ctx = ctx;
	spin_unlock_irqrestore(&in->lock, flags);
}

void intent_load(struct vmirror_intent *in, const unsigned long *bits)
{
	u64 r;

	for (r = 0; r < in->nr_regions; r++) {
		if (!bits || test_bit(r, bits))
			set_bit(r, in->clean);
		else
			clear_bit(r, in->clean);
		if (!(r % INTENT_BATCH))
			cond_resched();
	}
}

const unsigned long *intent_bits(const struct vmirror_intent *in)
{
	return in->clean;
}

bool intent_write_begin(struct vmirror_intent *in, struct region_waiter *w,
			intent_issue_fn issue, void *arg)
{
	u64 r = w->region;
	unsigned long flags;
	bool go = false;

	spin_lock_irqsave(&in->lock, flags);
	if (unlikely(test_bit(r, in->clean) || test_bit(r, in->dirtying))) {
		set_bit(r, in->dirtying);
		list_add_tail(&w->list, &in->parked);
	} else {
		/* Written after the snapshots: neither may record it. */
		if (unlikely(test_bit(r, in->cand)))
			clear_bit(r, in->cand);
		if (unlikely(test_bit(r, in->ccand)))
			clear_bit(r, in->ccand);
		issue(arg);
		go = true;
	}
	spin_unlock_irqrestore(&in->lock, flags);
	return go;
}

unsigned int intent_write_begin_range(struct vmirror_intent *in, u64 region,
				      unsigned int nr,
				      intent_issue_range_fn issue, void *arg)
{
	unsigned long flags;
	unsigned int i, k = 0;

	if (region >= in->nr_regions)
		return 0;
	nr = min_t(u64, nr, in->nr_regions - region);
	spin_lock_irqsave(&in->lock, flags);
	/* Rule W, region by region: the prefix that need not wait. */
	for (i = 0; i < nr; i++)
		if (test_bit(region + i, in->clean) ||
		    test_bit(region + i, in->dirtying))
			break;
	if (i)
		k = min(issue(arg, i), i);
	/* Written after the snapshots: neither may record them. */
	for (i = 0; i < k; i++) {
		clear_bit(region + i, in->cand);
		clear_bit(region + i, in->ccand);
	}
	spin_unlock_irqrestore(&in->lock, flags);
	return k;
}

static void __intent_unhot(struct vmirror_intent *in, u64 r)
{
	clear_bit(r, in->hot);
	clear_bit(r, in->cand);
	in->nr_hot--;
}

/* Lock held: hot regions no longer in sync leave the hot set. */
static void __intent_prune(struct vmirror_intent *in)
{
	bool synced;
	u64 r;

	for (r = find_next_bit(in->hot, in->nr_regions, 0); r < in->nr_regions;
	     r = find_next_bit(in->hot, in->nr_regions, r + 1)) {
		in->idle(in->ctx, r, &synced);
		if (!synced)
			__intent_unhot(in, r);
	}
}

void intent_set_capped(struct vmirror_intent *in, bool capped)
{
	unsigned long flags;

	spin_lock_irqsave(&in->lock, flags);
	in->capped = capped;
	if (!capped)
		in->want_clean = false;
	spin_unlock_irqrestore(&in->lock, flags);
}

u64 intent_take_parked(struct vmirror_intent *in, struct list_head *batch)
{
	struct region_waiter *w, *tmp;
	bool pruned = false;
	unsigned long flags;
	u64 cleared = 0;

	spin_lock_irqsave(&in->lock, flags);
	list_for_each_entry_safe(w, tmp, &in->parked, list) {
		u64 r = w->region;

		if (test_bit(r, in->clean)) {
			if (in->capped && in->nr_hot >= in->max_hot && !pruned) {
				__intent_prune(in);
				pruned = true;
			}
			if (in->capped && in->nr_hot >= in->max_hot) {
				in->want_clean = true;
				continue;
			}
			clear_bit(r, in->clean);
			set_bit(r, in->hot);
			in->nr_hot++;
			cleared++;
		}
		list_move_tail(&w->list, batch);
	}
	spin_unlock_irqrestore(&in->lock, flags);
	return cleared;
}

void intent_commit_done(struct vmirror_intent *in, struct list_head *batch)
{
	struct region_waiter *w;
	unsigned long flags;

	spin_lock_irqsave(&in->lock, flags);
	list_for_each_entry(w, batch, list)
		clear_bit(w->region, in->dirtying);
	spin_unlock_irqrestore(&in->lock, flags);
}

bool intent_has_parked(struct vmirror_intent *in)
{
	unsigned long flags;
	bool parked;

	spin_lock_irqsave(&in->lock, flags);
	parked = !list_empty(&in->parked);
	spin_unlock_irqrestore(&in->lock, flags);
	return parked;
}

u64 intent_nr_hot(struct vmirror_intent *in)
{
	unsigned long flags;
	u64 n;

	spin_lock_irqsave(&in->lock, flags);
	n = in->nr_hot;
	spin_unlock_irqrestore(&in->lock, flags);
	return n;
}

/* Lock held: every idle hot region joins the cleaner's snapshot. */
static void __intent_snapshot(struct vmirror_intent *in)
{
	bool synced;
	u64 r;

	for (r = find_next_bit(in->hot, in->nr_regions, 0); r < in->nr_regions;
	     r = find_next_bit(in->hot, in->nr_regions, r + 1))
		if (in->idle(in->ctx, r, &synced))
			set_bit(r, in->cand);
}

u64 intent_clean_begin(struct vmirror_intent *in, bool forced)
{
	unsigned long flags;
	u64 r, n = 0;

	spin_lock_irqsave(&in->lock, flags);
	if (forced)
		__intent_snapshot(in);
	for (r = find_next_bit(in->hot, in->nr_regions, 0); r < in->nr_regions;
	     r = find_next_bit(in->hot, in->nr_regions, r + 1))
		n += test_bit(r, in->cand);
	if (!n)
		__intent_snapshot(in);
	spin_unlock_irqrestore(&in->lock, flags);
	return n;
}

u64 intent_clean_end(struct vmirror_intent *in, bool flushed)
{
	unsigned long flags;
	bool synced;
	u64 r, n = 0;

	spin_lock_irqsave(&in->lock, flags);
	for (r = find_next_bit(in->hot, in->nr_regions, 0); r < in->nr_regions;
	     r = find_next_bit(in->hot, in->nr_regions, r + 1)) {
		if (!test_bit(r, in->cand))
			continue;
		clear_bit(r, in->cand);
		if (!flushed || test_bit(r, in->dirtying) ||
		    !in->idle(in->ctx, r, &synced))
			continue;
		set_bit(r, in->clean);
		__intent_unhot(in, r);
		n++;
	}
	__intent_snapshot(in);
	if (in->nr_hot < in->max_hot)
		in->want_clean = false;
	spin_unlock_irqrestore(&in->lock, flags);
	return n;
}

void intent_copy_snapshot(struct vmirror_intent *in, u64 region, u64 nr)
{
	u64 end = min_t(u64, region + nr, in->nr_regions);
	unsigned long flags;
	bool synced;
	u64 r;

	while (region < end) {
		spin_lock_irqsave(&in->lock, flags);
		for (r = region; r < end && r < region + INTENT_BATCH; r++) {
			if (in->idle(in->ctx, r, &synced))
				set_bit(r, in->ccand);
			else
				clear_bit(r, in->ccand);
		}
		spin_unlock_irqrestore(&in->lock, flags);
		region = r;
		cond_resched();
	}
}

u64 intent_copy_record(struct vmirror_intent *in, u64 region, u64 nr,
		       bool flushed)
{
	u64 end = min_t(u64, region + nr, in->nr_regions);
	unsigned long flags;
	bool cand, idle, synced;
	u64 r, n = 0;

	while (region < end) {
		spin_lock_irqsave(&in->lock, flags);
		for (r = region; r < end && r < region + INTENT_BATCH; r++) {
			cand = test_bit(r, in->ccand);
			clear_bit(r, in->ccand);
			if (!flushed || test_bit(r, in->clean))
				continue;
			idle = in->idle(in->ctx, r, &synced);
			if (cand && idle && !test_bit(r, in->dirtying)) {
				set_bit(r, in->clean);
				if (test_bit(r, in->hot))
					__intent_unhot(in, r);
				n++;
			} else if (synced && !test_bit(r, in->hot)) {
				/* Written meanwhile: the cleaner's. */
				set_bit(r, in->hot);
				in->nr_hot++;
			}
		}
		spin_unlock_irqrestore(&in->lock, flags);
		region = r;
		cond_resched();
	}
	return n;
}
