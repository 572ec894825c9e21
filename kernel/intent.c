// SPDX-License-Identifier: GPL-2.0-only
/*
 * Write-intent bookkeeping of dm-vmirror: see intent.h for the rules, the
 * memory bounds and the answer to an allocation failure, and
 * Documentation/vmirror.rst ("Persistence") for why they keep every
 * acknowledged write.
 */

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/hash.h>
#include <linux/list.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "intent.h"

/* Regions looked at under one hold of the lock (irqs off). */
#define INTENT_BATCH	1024

/*
 * The bound of the hot set (memory): the cap for new writes, as much
 * again for regions the copier leaves to the cleaner.
 */
#define INTENT_HOT_LIMIT(in)	(2 * (in)->max_hot)

/* Entries kept in reserve for when GFP_NOWAIT finds none. */
#define INTENT_ENTRY_RESERVE	64

/* Flags of an entry */
#define INTENT_HOT	BIT(0)	/* clean(R) clear because of writes */
#define INTENT_CAND	BIT(1)	/* in the cleaner's snapshot (implies HOT) */
#define INTENT_CCAND	BIT(2)	/* in the copier's snapshot */
#define INTENT_DIRTYING	BIT(3)	/* cleared by the commit in flight */

/**
 * struct intent_entry - the sparse flags of one region
 * @node: in its bucket of vmirror_intent->hash
 * @region: the region
 * @flags: INTENT_*; the entry is freed when they are all clear
 */
struct intent_entry {
	struct hlist_node node;
	u64 region;
	unsigned int flags;
};

static struct hlist_head *intent_bucket(struct vmirror_intent *in, u64 r)
{
	/* Not r % buckets: file systems place data at power-of-2 strides. */
	return &in->hash[hash_64(r, INTENT_HASH_BITS)];
}

/* Lock held: the entry of @r, or NULL. */
static struct intent_entry *intent_lookup(struct vmirror_intent *in, u64 r)
{
	struct intent_entry *e;

	if (!in->nr_entries)
		return NULL;
	hlist_for_each_entry(e, intent_bucket(in, r), node)
		if (e->region == r)
			return e;
	return NULL;
}

/* Lock held: the entry of @r, a new one if none; NULL if none to be had. */
static struct intent_entry *intent_get(struct vmirror_intent *in, u64 r)
{
	struct intent_entry *e = intent_lookup(in, r);

	if (e)
		return e;
	e = mempool_alloc(in->entries, GFP_NOWAIT | __GFP_NOWARN);
	if (!e)
		return NULL;
	e->region = r;
	e->flags = 0;
	hlist_add_head(&e->node, intent_bucket(in, r));
	in->nr_entries++;
	return e;
}

/* Lock held: clear @flags of @e (may be NULL); free it once it has none. */
static void intent_put(struct vmirror_intent *in, struct intent_entry *e,
		       unsigned int flags)
{
	if (!e)
		return;
	e->flags &= ~flags;
	if (e->flags)
		return;
	hlist_del(&e->node);
	in->nr_entries--;
	/* Safe from any context. */
	mempool_free(e, in->entries);
}

/* Lock held: set or clear clean(@r), and mark its block for the commit. */
static void __intent_set_clean(struct vmirror_intent *in, u64 r, bool clean)
{
	if (clean)
		set_bit(r, in->clean);
	else
		clear_bit(r, in->clean);
	set_bit(div_u64(r, in->blk_bits), in->changed);
}

static unsigned long *intent_bitmap(u64 nr)
{
	return kvcalloc(BITS_TO_LONGS(nr), sizeof(unsigned long), GFP_KERNEL);
}

struct vmirror_intent *intent_create(u64 nr_regions, u64 max_hot,
				     u64 blk_bits, intent_idle_fn idle,
				     void *ctx)
{
	struct vmirror_intent *in = kzalloc(sizeof(*in), GFP_KERNEL);
	unsigned int i;

	if (!in)
		return NULL;
	spin_lock_init(&in->lock);
	INIT_LIST_HEAD(&in->parked);
	in->nr_regions = nr_regions;
	in->max_hot = max_hot;
	in->blk_bits = blk_bits;
	in->nr_blocks = DIV_ROUND_UP_ULL(nr_regions, blk_bits);
	in->capped = true;
	in->idle = idle;
	in->ctx = ctx;
	in->clean = intent_bitmap(nr_regions);
	in->changed = intent_bitmap(in->nr_blocks);
	in->committing = intent_bitmap(in->nr_blocks);
	in->hash = kvcalloc(INTENT_HASH_BUCKETS, sizeof(*in->hash), GFP_KERNEL);
	in->entries = mempool_create_kmalloc_pool(INTENT_ENTRY_RESERVE,
						  sizeof(struct intent_entry));
	if (!in->clean || !in->changed || !in->committing || !in->hash ||
	    !in->entries) {
		intent_destroy(in);
		return NULL;
	}
	for (i = 0; i < INTENT_HASH_BUCKETS; i++)
		INIT_HLIST_HEAD(&in->hash[i]);
	return in;
}

void intent_destroy(struct vmirror_intent *in)
{
	struct intent_entry *e;
	struct hlist_node *tmp;
	unsigned int i;

	if (!in)
		return;
	if (in->hash) {
		for (i = 0; i < INTENT_HASH_BUCKETS; i++)
			hlist_for_each_entry_safe(e, tmp, &in->hash[i], node) {
				hlist_del(&e->node);
				mempool_free(e, in->entries);
			}
	}
	mempool_destroy(in->entries);
	kvfree(in->hash);
	kvfree(in->clean);
	kvfree(in->changed);
	kvfree(in->committing);
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

void intent_load(struct vmirror_intent *in, const unsigned long *bits,
		 bool on_disk)
{
	/*
	 * No lock: the table is not live yet (constructor, preresume), no
	 * commit runs; a bitmap copy of up to 16 MiB is not for irqs off.
	 */
	if (bits)
		bitmap_copy(in->clean, bits, in->nr_regions);
	else
		bitmap_fill(in->clean, in->nr_regions);
	if (on_disk)
		bitmap_zero(in->changed, in->nr_blocks);
	else
		bitmap_fill(in->changed, in->nr_blocks);
}

const unsigned long *intent_bits(const struct vmirror_intent *in)
{
	return in->clean;
}

const unsigned long *intent_take_changed(struct vmirror_intent *in)
{
	unsigned long flags;

	spin_lock_irqsave(&in->lock, flags);
	bitmap_copy(in->committing, in->changed, in->nr_blocks);
	bitmap_zero(in->changed, in->nr_blocks);
	spin_unlock_irqrestore(&in->lock, flags);
	return in->committing;
}

void intent_changed_done(struct vmirror_intent *in, bool written)
{
	unsigned long flags;

	if (written)
		return;
	spin_lock_irqsave(&in->lock, flags);
	bitmap_or(in->changed, in->changed, in->committing, in->nr_blocks);
	spin_unlock_irqrestore(&in->lock, flags);
}

bool intent_write_begin(struct vmirror_intent *in, struct region_waiter *w,
			intent_issue_fn issue, void *arg)
{
	u64 r = w->region;
	struct intent_entry *e;
	unsigned long flags;
	bool go = false;

	spin_lock_irqsave(&in->lock, flags);
	e = intent_lookup(in, r);
	if (unlikely(test_bit(r, in->clean) || in->untracked_commit ||
		     (e && (e->flags & INTENT_DIRTYING)))) {
		list_add_tail(&w->list, &in->parked);
	} else {
		/* Written after the snapshots: neither may record it. */
		intent_put(in, e, INTENT_CAND | INTENT_CCAND);
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
	struct intent_entry *e;
	unsigned long flags;
	unsigned int i = 0, k = 0;

	if (region >= in->nr_regions)
		return 0;
	nr = min_t(u64, nr, in->nr_regions - region);
	spin_lock_irqsave(&in->lock, flags);
	/* Rule W, region by region: the prefix that need not wait. */
	if (!in->untracked_commit) {
		for (i = 0; i < nr; i++) {
			e = intent_lookup(in, region + i);
			if (test_bit(region + i, in->clean) ||
			    (e && (e->flags & INTENT_DIRTYING)))
				break;
		}
	}
	if (i)
		k = min(issue(arg, i), i);
	/* Written after the snapshots: neither may record them. */
	for (i = 0; i < k; i++)
		intent_put(in, intent_lookup(in, region + i),
			   INTENT_CAND | INTENT_CCAND);
	spin_unlock_irqrestore(&in->lock, flags);
	return k;
}

static void __intent_unhot(struct vmirror_intent *in, struct intent_entry *e)
{
	in->nr_hot--;
	intent_put(in, e, INTENT_HOT | INTENT_CAND);
}

/* Lock held: hot regions no longer in sync leave the hot set. */
static void __intent_prune(struct vmirror_intent *in)
{
	struct intent_entry *e;
	struct hlist_node *tmp;
	unsigned int i;
	bool synced;

	for (i = 0; i < INTENT_HASH_BUCKETS; i++)
		hlist_for_each_entry_safe(e, tmp, &in->hash[i], node) {
			if (!(e->flags & INTENT_HOT))
				continue;
			in->idle(in->ctx, e->region, &synced);
			if (!synced)
				__intent_unhot(in, e);
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

/*
 * Lock held: clear clean(@r) for the commit about to start: dirtying and
 * hot if an entry is to be had and the hot set has room, else untracked
 * (intent.h).
 */
static void __intent_clear(struct vmirror_intent *in, u64 r)
{
	struct intent_entry *e = intent_get(in, r);

	__intent_set_clean(in, r, false);
	if (!e) {
		in->untracked_commit = true;
		in->nr_untracked++;
		return;
	}
	e->flags |= INTENT_DIRTYING;
	if (in->nr_hot < INTENT_HOT_LIMIT(in)) {
		e->flags |= INTENT_HOT;
		in->nr_hot++;
	} else {
		in->nr_untracked++;
	}
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

		w->cleared = false;
		if (test_bit(r, in->clean)) {
			/* Uncapped: only at the bound of the hot set. */
			if (!pruned && in->nr_hot >= (in->capped ? in->max_hot :
						      INTENT_HOT_LIMIT(in))) {
				__intent_prune(in);
				pruned = true;
			}
			if (in->capped && in->nr_hot >= in->max_hot) {
				in->want_clean = true;
				continue;
			}
			__intent_clear(in, r);
			w->cleared = true;
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
		intent_put(in, intent_lookup(in, w->region), INTENT_DIRTYING);
	in->untracked_commit = false;
	spin_unlock_irqrestore(&in->lock, flags);
}

void intent_commit_failed(struct vmirror_intent *in, struct list_head *batch)
{
	struct region_waiter *w;
	struct intent_entry *e;
	unsigned long flags;

	spin_lock_irqsave(&in->lock, flags);
	list_for_each_entry(w, batch, list) {
		if (w->cleared) {
			/* May be 1 on disk: writes park (and fail) as for a clean one. */
			__intent_set_clean(in, w->region, true);
			e = intent_lookup(in, w->region);
			if (e && (e->flags & INTENT_HOT))
				__intent_unhot(in, e);
		}
		intent_put(in, intent_lookup(in, w->region), INTENT_DIRTYING);
	}
	in->untracked_commit = false;
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

u64 intent_nr_untracked(struct vmirror_intent *in)
{
	unsigned long flags;
	u64 n;

	spin_lock_irqsave(&in->lock, flags);
	n = in->nr_untracked;
	spin_unlock_irqrestore(&in->lock, flags);
	return n;
}

/*
 * Lock held: with @take, every idle hot region joins the cleaner's
 * snapshot; without, return the number of regions in the snapshot.
 */
static u64 __intent_snapshot(struct vmirror_intent *in, bool take)
{
	struct intent_entry *e;
	unsigned int i;
	bool synced;
	u64 n = 0;

	for (i = 0; i < INTENT_HASH_BUCKETS; i++)
		hlist_for_each_entry(e, &in->hash[i], node) {
			if (!(e->flags & INTENT_HOT))
				continue;
			if (!take) {
				n += !!(e->flags & INTENT_CAND);
				continue;
			}
			if (in->idle(in->ctx, e->region, &synced))
				e->flags |= INTENT_CAND;
		}
	return n;
}

u64 intent_clean_begin(struct vmirror_intent *in, bool forced)
{
	unsigned long flags;
	u64 n;

	spin_lock_irqsave(&in->lock, flags);
	if (forced)
		__intent_snapshot(in, true);
	n = __intent_snapshot(in, false);
	if (!n)
		__intent_snapshot(in, true);
	spin_unlock_irqrestore(&in->lock, flags);
	return n;
}

u64 intent_clean_end(struct vmirror_intent *in, bool flushed)
{
	struct intent_entry *e;
	struct hlist_node *tmp;
	unsigned long flags;
	unsigned int i;
	bool synced;
	u64 n = 0;

	spin_lock_irqsave(&in->lock, flags);
	for (i = 0; i < INTENT_HASH_BUCKETS; i++)
		hlist_for_each_entry_safe(e, tmp, &in->hash[i], node) {
			if (!(e->flags & INTENT_CAND))
				continue;
			e->flags &= ~INTENT_CAND;
			if (!flushed || (e->flags & INTENT_DIRTYING) ||
			    !in->idle(in->ctx, e->region, &synced))
				continue;
			__intent_set_clean(in, e->region, true);
			__intent_unhot(in, e);
			n++;
		}
	__intent_snapshot(in, true);
	if (in->nr_hot < in->max_hot)
		in->want_clean = false;
	spin_unlock_irqrestore(&in->lock, flags);
	return n;
}

void intent_copy_snapshot(struct vmirror_intent *in, u64 region, u64 nr)
{
	u64 end = min_t(u64, region + nr, in->nr_regions);
	struct intent_entry *e;
	unsigned long flags;
	bool synced;
	u64 r, stop;

	while (region < end) {
		stop = min_t(u64, end, region + INTENT_BATCH);
		spin_lock_irqsave(&in->lock, flags);
		/*
		 * A region recorded in sync is never recorded by the batch
		 * (intent_copy_record() skips it): no entry for it.
		 */
		for (r = find_next_zero_bit(in->clean, stop, region); r < stop;
		     r = find_next_zero_bit(in->clean, stop, r + 1)) {
			if (!in->idle(in->ctx, r, &synced)) {
				intent_put(in, intent_lookup(in, r),
					   INTENT_CCAND);
				continue;
			}
			/* No entry to be had: not recorded by this batch. */
			e = intent_get(in, r);
			if (e)
				e->flags |= INTENT_CCAND;
		}
		spin_unlock_irqrestore(&in->lock, flags);
		region = stop;
		cond_resched();
	}
}

/* Lock held: the copier's verdict on region @r, not recorded in sync. */
static u64 __intent_copy_record(struct vmirror_intent *in, u64 r,
				bool flushed)
{
	struct intent_entry *e = intent_lookup(in, r);
	bool cand = e && (e->flags & INTENT_CCAND);
	bool idle, synced;

	intent_put(in, e, INTENT_CCAND);
	if (!flushed)
		return 0;
	/* intent_put() may have freed it. */
	e = intent_lookup(in, r);
	idle = in->idle(in->ctx, r, &synced);
	if (cand && idle && !(e && (e->flags & INTENT_DIRTYING))) {
		__intent_set_clean(in, r, true);
		if (e && (e->flags & INTENT_HOT))
			__intent_unhot(in, e);
		return 1;
	}
	if (synced && !(e && (e->flags & INTENT_HOT))) {
		/* Written meanwhile: the cleaner's (if there is room). */
		e = in->nr_hot < INTENT_HOT_LIMIT(in) ? intent_get(in, r) : NULL;
		if (!e) {
			in->nr_untracked++;
			return 0;
		}
		e->flags |= INTENT_HOT;
		in->nr_hot++;
	}
	return 0;
}

u64 intent_copy_record(struct vmirror_intent *in, u64 region, u64 nr,
		       bool flushed)
{
	u64 end = min_t(u64, region + nr, in->nr_regions);
	unsigned long flags;
	u64 r, stop, n = 0;

	while (region < end) {
		stop = min_t(u64, end, region + INTENT_BATCH);
		spin_lock_irqsave(&in->lock, flags);
		for (r = region; r < stop; r++) {
			/* Recorded since the snapshot (by the cleaner). */
			if (test_bit(r, in->clean))
				intent_put(in, intent_lookup(in, r),
					   INTENT_CCAND);
			else
				n += __intent_copy_record(in, r, flushed);
		}
		spin_unlock_irqrestore(&in->lock, flags);
		region = stop;
		cond_resched();
	}
	return n;
}
