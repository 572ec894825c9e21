// SPDX-License-Identifier: GPL-2.0-only
/*
 * Region map of dm-vmirror.
 *
 * Each region is in one of these states:
 *
 *   UNSYNCED  not copied yet.  Host writes go to the source only; the copy
 *             will read them from there.
 *   PENDING   the copier wants this region but host writes to it are still
 *             in flight.  New writes are held, so the count drains, and the
 *             last completing write turns the region into COPYING.
 *   COPYING   the copier is reading the source and writing the mirror.  New
 *             writes are held until the copy ends; the copy never starts
 *             while a write to the region is in flight, so it cannot read
 *             data older than a write that is already acknowledged.
 *   COPIED    the copy's writes have completed on the mirror, maybe only in
 *             its volatile cache.  Host writes go to both disks, as for
 *             SYNCED, but the region is not counted in sync until a flush
 *             of the mirror issued after the copy ended has completed
 *             (region_map_commit()).  Two COPIED states, one per tag, so
 *             that a flush never commits a region copied again after it
 *             was issued.
 *   SYNCED    source and mirror hold the same data, on stable media as far
 *             as the copy is concerned.  Host writes go to both and
 *             complete when both have them.
 *
 * Memory: what is resident per region is one bit, in the "synced" bitmap
 * (bit set <=> SYNCED), and one more in @mirror_zero when the table says
 * mirror_zeroed.  Everything else is kept only for the *active* regions,
 * as dm-region-hash does: a &struct region_entry in a hash of the region's
 * lock stripe, for a region with host writes in flight or in one of the
 * states PENDING, COPYING and COPIED.  A region without an entry is idle:
 * SYNCED if its bit is set, UNSYNCED otherwise.  An entry is freed as soon
 * as its region is idle again, so the entries number at most the regions
 * with writes in flight plus those the copier holds.
 *
 * Allocation: an entry is taken from a mempool (a small reserve over the
 * kmalloc slab) with GFP_NOWAIT under the stripe lock, so that
 * region_map_write_begin() stays safe from any context (it runs under the
 * write-intent spinlock, and from completion paths that re-route held
 * writes) and never sleeps.  If that fails, the write is not failed: it is
 * counted in its stripe's @overflow instead, and marked so in its waiter
 * (region_map_write_end() takes it back from there).  While a stripe's
 * @overflow is not zero, a region of it is treated as having writes in
 * flight, since those could be to it: region_map_copy_begin() answers BUSY
 * (the copier comes back on a later pass) and region_map_region_idle() says
 * not idle.  Later writes get entries again as soon as memory allows, so
 * @overflow drains with the writes it counts; only copies are delayed,
 * routing is unchanged.  A PENDING region never has a write counted in
 * @overflow: it is made PENDING only while @overflow is zero, and holds
 * every new write.  region_map_copy_begin(), called by the copier thread,
 * may sleep: when the pool has none it tries once with GFP_NOIO |
 * __GFP_NORETRY outside the lock (not while extending a batch, whose
 * regions hold writes); if that fails the region is BUSY and copied on a
 * later pass.
 *
 * The state of a region and its entry are guarded by one of
 * REGION_LOCK_STRIPES spinlocks, chosen by region number: writes to
 * different regions rarely share a lock, and no lock is global.  The
 * "synced" bitmap mirrors the SYNCED state with atomic bit operations so
 * that the copier can scan it without taking any lock.
 *
 * Generations: region_map_mark_all_unsynced() (a failed mirror flush) must
 * be cheap in interrupt context, so it only increments @gen.  A copy is
 * claimed with the generation of that moment and counts only if it is
 * still current at copy end and at commit; and until region_map_sweep()
 * has cleared every region (@swept catches up with @gen), no region is
 * reported in sync.
 *
 * Mirror known zero (table argument mirror_zeroed): a second bitmap,
 * @mirror_zero, whose bit is set while nothing has been written to the
 * region on the mirror since the table that asserted it was loaded, so
 * the mirror still reads zeroes there.  The copier skips a chunk of zeroes
 * where every region it covers has its bit set.  A host write routed to
 * the mirror clears the bit under the region's lock, before it is issued;
 * the copier clears it before it writes (region_map_mirror_written()).
 * Bits are only ever cleared, so a stale set bit cannot be observed by a
 * copy: the region is COPYING (no host write in flight) while it looks.
 */

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/cache.h>
#include <linux/list.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "region-map.h"

#define REGION_LOCK_STRIPES	64
/* Hash buckets of the active regions, per stripe. */
#define REGION_HASH_BUCKETS	64
/* region_map_sweep() takes a stripe lock for this many regions at most. */
#define REGION_SWEEP_BATCH	1024
/* Entries kept in reserve, per map, for when GFP_NOWAIT finds none. */
#define REGION_ENTRY_RESERVE	64

enum region_state {
	REGION_UNSYNCED,
	REGION_PENDING,
	REGION_COPYING,
	REGION_COPIED,			/* tag 0; REGION_COPIED + 1 is tag 1 */
	REGION_SYNCED = REGION_COPIED + REGION_COPY_TAGS,
};

/*
 * struct region_entry - an active region
 * @node: in its stripe's hash
 * @region: the region
 * @inflight: host writes in flight to it
 * @state: REGION_PENDING, REGION_COPYING or a COPIED state; or
 *	REGION_UNSYNCED: idle as the "synced" bit says (SYNCED if set), the
 *	entry kept only for @inflight
 */
struct region_entry {
	struct hlist_node node;
	u64 region;
	unsigned int inflight;
	u8 state;
};

struct region_stripe {
	spinlock_t lock;		/* protects all below, and its regions */
	struct list_head held;		/* writes held by PENDING/COPYING regions
					 * or by a freeze
					 */
	unsigned int inflight;		/* writes in flight to its regions */
	unsigned int overflow;		/* of them, counted without an entry */
	unsigned int nr_entries;	/* entries in @hash */
	bool frozen;			/* hold every new write */
	bool track_only;		/* the mirror is not written by the host */
	u64 async_bound;		/* region_map_set_async(), 0: sync */
	struct hlist_head hash[REGION_HASH_BUCKETS];	/* active regions */
} ____cacheline_aligned_in_smp;

struct region_map {
	u64 nr_regions;
	atomic64_t nr_synced;
	atomic64_t gen;			/* bumped by region_map_mark_all_unsynced() */
	atomic64_t swept;		/* the @gen the last sweep started from */
	unsigned long *synced;		/* bit set <=> state is REGION_SYNCED */
	unsigned long *mirror_zero;	/* bit set: the mirror reads zeroes */
	bool mirror_zero_lost;		/* mirror-only writes: none known zero */
	mempool_t *entries;		/* of &struct region_entry */
	struct region_stripe stripes[REGION_LOCK_STRIPES];
};

static struct region_stripe *region_stripe(struct region_map *rm, u64 region)
{
	return &rm->stripes[region % REGION_LOCK_STRIPES];
}

static struct hlist_head *region_bucket(struct region_stripe *s, u64 region)
{
	return &s->hash[(region / REGION_LOCK_STRIPES) % REGION_HASH_BUCKETS];
}

static bool region_copied(u8 state)
{
	return state >= REGION_COPIED && state < REGION_COPIED + REGION_COPY_TAGS;
}

/* Stripe lock held: the entry of an active region, or NULL. */
static struct region_entry *region_lookup(struct region_stripe *s, u64 region)
{
	struct region_entry *e;

	hlist_for_each_entry(e, region_bucket(s, region), node)
		if (e->region == region)
			return e;
	return NULL;
}

/* Stripe lock held: the state of a region, its entry in *@ep (or NULL). */
static u8 region_state(struct region_map *rm, struct region_stripe *s,
		       u64 region, struct region_entry **ep)
{
	struct region_entry *e = region_lookup(s, region);

	*ep = e;
	if (e && e->state != REGION_UNSYNCED)
		return e->state;
	return test_bit(region, rm->synced) ? REGION_SYNCED : REGION_UNSYNCED;
}

/*
 * Stripe lock held: whether host writes may be in flight to a region, its
 * entry @e or NULL.  Those counted in the stripe's overflow may be.
 */
static bool region_has_writes(struct region_stripe *s, struct region_entry *e)
{
	return (e && e->inflight) || s->overflow;
}

/* Stripe lock held: make @e, allocated, the entry of @region. */
static void region_insert(struct region_stripe *s, struct region_entry *e,
			  u64 region, u8 state)
{
	e->region = region;
	e->inflight = 0;
	e->state = state;
	hlist_add_head(&e->node, region_bucket(s, region));
	s->nr_entries++;
}

/*
 * Stripe lock held: the entry's region is in state @state now; if it is
 * idle (no write in flight, UNSYNCED or SYNCED as its bit says) the entry
 * goes.  Safe from any context (mempool_free() does not sleep).
 */
static void region_entry_set(struct region_map *rm, struct region_stripe *s,
			     struct region_entry *e, u8 state)
{
	e->state = state;
	if (state != REGION_UNSYNCED || e->inflight)
		return;
	hlist_del(&e->node);
	s->nr_entries--;
	mempool_free(e, rm->entries);
}

struct region_map *region_map_create(u64 nr_regions, bool in_sync)
{
	struct region_map *rm;
	unsigned int i, j;

	if (!nr_regions || nr_regions > INT_MAX)
		return NULL;

	/* Some 37 KiB with the hash heads: no need for contiguous pages. */
	rm = kvzalloc(sizeof(*rm), GFP_KERNEL);
	if (!rm)
		return NULL;

	rm->nr_regions = nr_regions;
	rm->synced = kvcalloc(BITS_TO_LONGS(nr_regions), sizeof(unsigned long),
			      GFP_KERNEL);
	rm->entries = mempool_create_kmalloc_pool(REGION_ENTRY_RESERVE,
						  sizeof(struct region_entry));
	if (!rm->synced || !rm->entries) {
		region_map_destroy(rm);
		return NULL;
	}

	for (i = 0; i < REGION_LOCK_STRIPES; i++) {
		spin_lock_init(&rm->stripes[i].lock);
		INIT_LIST_HEAD(&rm->stripes[i].held);
		for (j = 0; j < REGION_HASH_BUCKETS; j++)
			INIT_HLIST_HEAD(&rm->stripes[i].hash[j]);
	}

	if (in_sync) {
		bitmap_fill(rm->synced, nr_regions);
		atomic64_set(&rm->nr_synced, nr_regions);
	}
	return rm;
}

void region_map_load_synced(struct region_map *rm, const unsigned long *bits)
{
	u64 region, n = 0;

	for (region = find_next_bit(bits, rm->nr_regions, 0);
	     region < rm->nr_regions;
	     region = find_next_bit(bits, rm->nr_regions, region + 1)) {
		set_bit(region, rm->synced);
		n++;
		if (!(n % (64 * REGION_SWEEP_BATCH)))
			cond_resched();
	}
	atomic64_set(&rm->nr_synced, n);
}

const unsigned long *region_map_synced_bits(const struct region_map *rm)
{
	return rm->synced;
}

void region_map_destroy(struct region_map *rm)
{
	struct region_entry *e;
	struct hlist_node *tmp;
	unsigned int i, j;

	if (!rm)
		return;
	/* Copied regions whose flush never came keep their entries. */
	for (i = 0; rm->entries && i < REGION_LOCK_STRIPES; i++)
		for (j = 0; j < REGION_HASH_BUCKETS; j++)
			hlist_for_each_entry_safe(e, tmp,
						  &rm->stripes[i].hash[j], node) {
				hlist_del(&e->node);
				mempool_free(e, rm->entries);
			}
	mempool_destroy(rm->entries);
	kvfree(rm->synced);
	kvfree(rm->mirror_zero);
	kvfree(rm);
}

u64 region_map_nr_regions(const struct region_map *rm)
{
	return rm->nr_regions;
}

u64 region_map_nr_entries(struct region_map *rm)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < REGION_LOCK_STRIPES; i++) {
		spin_lock_irq(&rm->stripes[i].lock);
		sum += rm->stripes[i].nr_entries;
		spin_unlock_irq(&rm->stripes[i].lock);
	}
	return sum;
}

bool region_map_overflowed(const struct region_map *rm)
{
	unsigned int i;

	for (i = 0; i < REGION_LOCK_STRIPES; i++)
		if (READ_ONCE(rm->stripes[i].overflow))
			return true;
	return false;
}

bool region_map_sweep_pending(const struct region_map *rm)
{
	/* Pairs with atomic64_set_release() in region_map_sweep(). */
	return atomic64_read_acquire(&rm->swept) != atomic64_read(&rm->gen);
}

u64 region_map_nr_synced(const struct region_map *rm)
{
	if (region_map_sweep_pending(rm))
		return 0;
	return atomic64_read(&rm->nr_synced);
}

bool region_map_is_synced(const struct region_map *rm, u64 region)
{
	return !region_map_sweep_pending(rm) && test_bit(region, rm->synced);
}

/* Must be called with the region's stripe lock held; it has entry @e. */
static void __region_set_synced(struct region_map *rm, struct region_stripe *s,
				struct region_entry *e)
{
	lockdep_assert_held(&s->lock);
	set_bit(e->region, rm->synced);
	atomic64_inc(&rm->nr_synced);
	region_entry_set(rm, s, e, REGION_UNSYNCED);
}

/*
 * Must be called with the region's stripe lock held.  A region in sync or
 * copied (not flushed) becomes UNSYNCED; @e is its entry or NULL, and may
 * be freed.  Return: true if it was in sync.
 */
static bool __region_clear_synced(struct region_map *rm,
				  struct region_stripe *s, u64 region,
				  struct region_entry *e)
{
	lockdep_assert_held(&s->lock);

	if (e && region_copied(e->state)) {
		region_entry_set(rm, s, e, REGION_UNSYNCED);
		return false;
	}
	if ((e && e->state != REGION_UNSYNCED) || !test_bit(region, rm->synced))
		return false;
	clear_bit(region, rm->synced);
	atomic64_dec(&rm->nr_synced);
	return true;
}

/* Must be called with the stripe lock held: the held writes of a region. */
static void __region_release(struct region_map *rm, struct region_stripe *s,
			     u64 region, struct list_head *released)
{
	struct region_waiter *w, *tmp;

	lockdep_assert_held(&s->lock);
	/* A freeze keeps holding them: region_map_thaw() releases them. */
	if (s->frozen)
		return;
	list_for_each_entry_safe(w, tmp, &s->held, list)
		if (w->region == region)
			list_move_tail(&w->list, released);
}

void region_map_set_track_only(struct region_map *rm, bool track_only)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < REGION_LOCK_STRIPES; i++) {
		spin_lock_irqsave(&rm->stripes[i].lock, flags);
		rm->stripes[i].track_only = track_only;
		spin_unlock_irqrestore(&rm->stripes[i].lock, flags);
	}
}

void region_map_set_async(struct region_map *rm, u64 max_unsynced)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < REGION_LOCK_STRIPES; i++) {
		spin_lock_irqsave(&rm->stripes[i].lock, flags);
		rm->stripes[i].async_bound = max_unsynced;
		spin_unlock_irqrestore(&rm->stripes[i].lock, flags);
	}
}

/*
 * Stripe lock held: whether a write to a region in sync (or copied) goes
 * to the source alone, taking that status away: the mirror is not written
 * by the host (track-only), or sync_mode async within its bound.  During a
 * sweep no region counts as in sync, so an async map is at its bound.
 */
static bool region_write_unsyncs(struct region_map *rm, struct region_stripe *s)
{
	if (s->track_only)
		return true;
	return s->async_bound &&
	       rm->nr_regions - region_map_nr_synced(rm) < s->async_bound;
}

/*
 * Stripe lock held: count a write in flight to @region, whose entry is @e
 * (or NULL: one is made if the pool has one at once, see the top).
 * Return: the region's entry, or NULL if the write went to the overflow.
 */
static struct region_entry *region_count_write(struct region_map *rm,
					       struct region_stripe *s,
					       u64 region,
					       struct region_entry *e)
{
	s->inflight++;
	if (!e) {
		e = mempool_alloc(rm->entries, GFP_NOWAIT | __GFP_NOWARN);
		if (e)
			region_insert(s, e, region, REGION_UNSYNCED);
	}
	if (e)
		e->inflight++;
	else
		WRITE_ONCE(s->overflow, s->overflow + 1);
	return e;
}

/* One bit of &struct region_waiter.no_entry per region of a write. */
static_assert(REGION_RANGE_MAX <= 8 * sizeof(((struct region_waiter *)0)->no_entry));

/* Stripe lock held, state @state: whether a write to it would be held. */
static bool region_write_holds(struct region_stripe *s, u8 state)
{
	return unlikely(s->frozen) || state == REGION_PENDING ||
	       state == REGION_COPYING;
}

/* Stripe lock held, state @state: whether a write to it goes to both disks. */
static bool region_write_both(struct region_map *rm, struct region_stripe *s,
			      u8 state)
{
	return (state == REGION_SYNCED || region_copied(state)) &&
	       !region_write_unsyncs(rm, s);
}

/*
 * Stripe lock held: count a write to region @w->region + @i, in state
 * @state with entry @e (or NULL), not held, in flight and route it; @both
 * as region_write_both() says.  Return: its route.
 */
static enum region_write_route region_route_write(struct region_map *rm,
						  struct region_stripe *s,
						  struct region_waiter *w,
						  unsigned int i, u8 state,
						  struct region_entry *e,
						  bool both)
{
	u64 region = w->region + i;

	/* Counted first: the entry, now in use, stays whatever follows. */
	e = region_count_write(rm, s, region, e);
	if (!e)
		w->no_entry |= 1U << i;
	if (both) {
		if (rm->mirror_zero)
			clear_bit(region, rm->mirror_zero);
		return REGION_WRITE_BOTH;
	}
	if ((state == REGION_SYNCED || region_copied(state)) &&
	    __region_clear_synced(rm, s, region, e))
		return REGION_WRITE_UNSYNCED;
	return REGION_WRITE_SOURCE;
}

enum region_write_route region_map_write_begin(struct region_map *rm,
					       struct region_waiter *w)
{
	struct region_stripe *s = region_stripe(rm, w->region);
	enum region_write_route route;
	struct region_entry *e;
	unsigned long flags;
	u8 state;

	w->nr = 1;
	w->no_entry = 0;
	spin_lock_irqsave(&s->lock, flags);
	state = region_state(rm, s, w->region, &e);
	if (region_write_holds(s, state)) {
		list_add_tail(&w->list, &s->held);
		spin_unlock_irqrestore(&s->lock, flags);
		return REGION_WRITE_HELD;
	}
	route = region_route_write(rm, s, w, 0, state, e,
				   region_write_both(rm, s, state));
	spin_unlock_irqrestore(&s->lock, flags);
	return route;
}

/*
 * The regions of the range are looked at one at a time, each under its
 * own stripe lock (the stripes differ: never two at once), and counted
 * before the next one is looked at.  A region is counted only once it is
 * known to go where the first one goes, so none is ever undone: the write
 * is, for each region it counts, exactly what a write of that region
 * alone routed at that moment would be, and for the map's rules (a copy
 * never starts while a write is in flight, freeze, track-only, the async
 * bound) it is that many writes.  The caller trims it to the prefix.
 */
unsigned int region_map_write_begin_range(struct region_map *rm,
					  struct region_waiter *w,
					  unsigned int nr,
					  enum region_write_route *route)
{
	enum region_write_route r, first = REGION_WRITE_HELD;
	bool both, first_both = false;
	struct region_entry *e;
	unsigned long flags;
	unsigned int i;
	u8 state;

	nr = min_t(u64, min_t(unsigned int, nr, REGION_RANGE_MAX),
		   rm->nr_regions - min(w->region, rm->nr_regions));
	w->no_entry = 0;
	for (i = 0; i < nr; i++) {
		struct region_stripe *s = region_stripe(rm, w->region + i);

		spin_lock_irqsave(&s->lock, flags);
		state = region_state(rm, s, w->region + i, &e);
		both = region_write_both(rm, s, state);
		if (!i)
			first_both = both;
		if (region_write_holds(s, state) || both != first_both) {
			spin_unlock_irqrestore(&s->lock, flags);
			break;
		}
		r = region_route_write(rm, s, w, i, state, e, both);
		spin_unlock_irqrestore(&s->lock, flags);
		/* SOURCE and UNSYNCED both go to the source alone. */
		if (!i || r == REGION_WRITE_UNSYNCED)
			first = r;
	}
	w->nr = i;
	if (i)
		*route = first;
	return i;
}

bool region_map_region_idle(struct region_map *rm, u64 region, bool *synced)
{
	struct region_stripe *s = region_stripe(rm, region);
	struct region_entry *e;
	unsigned long flags;
	bool idle;
	u8 state;

	/* A failed mirror flush took every region out of sync: none is idle. */
	if (region_map_sweep_pending(rm)) {
		*synced = false;
		return false;
	}
	spin_lock_irqsave(&s->lock, flags);
	state = region_state(rm, s, region, &e);
	*synced = state == REGION_SYNCED || region_copied(state);
	idle = *synced && !region_has_writes(s, e);
	spin_unlock_irqrestore(&s->lock, flags);
	return idle;
}

/* Stripe lock held: a write to @region ends.  Return: start its copy. */
static bool __region_write_end(struct region_map *rm, struct region_stripe *s,
			       u64 region, bool no_entry)
{
	struct region_entry *e;

	lockdep_assert_held(&s->lock);
	s->inflight--;
	if (no_entry) {
		WRITE_ONCE(s->overflow, s->overflow - 1);
		return false;
	}
	/* Counted in its entry, which stays while the count is not 0. */
	e = region_lookup(s, region);
	if (e && !--e->inflight) {
		if (e->state == REGION_PENDING) {
			e->state = REGION_COPYING;
			return true;
		}
		region_entry_set(rm, s, e, e->state);
	}
	return false;
}

unsigned int region_map_write_end(struct region_map *rm,
				  struct region_waiter *w)
{
	unsigned int i, start_copy = 0;
	unsigned long flags;

	for (i = 0; i < w->nr; i++) {
		struct region_stripe *s = region_stripe(rm, w->region + i);

		spin_lock_irqsave(&s->lock, flags);
		if (__region_write_end(rm, s, w->region + i,
				       w->no_entry & (1U << i)))
			start_copy |= 1U << i;
		spin_unlock_irqrestore(&s->lock, flags);
	}
	return start_copy;
}

enum region_copy_start region_map_copy_begin(struct region_map *rm, u64 region,
					     bool may_defer, u64 *gen)
{
	struct region_stripe *s = region_stripe(rm, region);
	enum region_copy_start ret = REGION_COPY_BUSY;
	struct region_entry *e, *spare = NULL;
	unsigned long flags;
	u8 state;

	might_sleep();
	for (;;) {
		spin_lock_irqsave(&s->lock, flags);
		*gen = atomic64_read(&rm->gen);
		state = region_state(rm, s, region, &e);
		if (state != REGION_UNSYNCED)
			break;
		if (region_has_writes(s, e)) {
			/* Writes counted in the overflow cannot be waited for. */
			if (may_defer && !s->overflow) {
				e->state = REGION_PENDING;
				ret = REGION_COPY_DEFERRED;
			}
			break;
		}
		if (!e && !spare)
			spare = mempool_alloc(rm->entries,
					      GFP_NOWAIT | __GFP_NOWARN);
		if (e || spare) {
			if (!e) {
				region_insert(s, spare, region, REGION_COPYING);
				spare = NULL;
			} else {
				e->state = REGION_COPYING;
			}
			ret = REGION_COPY_START;
			break;
		}
		/*
		 * The reserve is empty.  Extending a batch (regions of it are
		 * COPYING, writes to them held): not a moment's wait, the
		 * batch ends here.  Otherwise one attempt at reclaim, then
		 * look again; __GFP_NORETRY: the copier thread must never be
		 * stuck in the allocator, it releases held writes.
		 */
		spin_unlock_irqrestore(&s->lock, flags);
		if (!may_defer)
			return REGION_COPY_BUSY;
		spare = kmalloc(sizeof(*spare),
				GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);
		if (!spare)
			return REGION_COPY_BUSY;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (spare)
		mempool_free(spare, rm->entries);
	return ret;
}

void region_map_copy_end(struct region_map *rm, u64 region, bool copied,
			 u64 gen, unsigned int tag, struct list_head *released)
{
	struct region_stripe *s = region_stripe(rm, region);
	struct region_entry *e;
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	/* The region is COPYING, so it has its entry. */
	e = region_lookup(s, region);
	if (e) {
		if (copied && gen == atomic64_read(&rm->gen))
			region_entry_set(rm, s, e,
					 REGION_COPIED + tag % REGION_COPY_TAGS);
		else
			region_entry_set(rm, s, e, REGION_UNSYNCED);
	}
	__region_release(rm, s, region, released);
	spin_unlock_irqrestore(&s->lock, flags);
}

u64 region_map_commit(struct region_map *rm, u64 region, u64 nr, u64 gen,
		      unsigned int tag, bool flushed)
{
	u8 copied = REGION_COPIED + tag % REGION_COPY_TAGS;
	struct region_entry *e;
	unsigned long flags;
	u64 end = min_t(u64, region + nr, rm->nr_regions);
	u64 done = 0;

	for (; region < end; region++) {
		struct region_stripe *s = region_stripe(rm, region);

		spin_lock_irqsave(&s->lock, flags);
		e = region_lookup(s, region);
		if (e && e->state == copied) {
			if (flushed && gen == atomic64_read(&rm->gen)) {
				__region_set_synced(rm, s, e);
				done++;
			} else {
				region_entry_set(rm, s, e, REGION_UNSYNCED);
			}
		}
		spin_unlock_irqrestore(&s->lock, flags);
		if (!(region % REGION_SWEEP_BATCH))
			cond_resched();
	}
	return done;
}

bool region_map_copy_cancel(struct region_map *rm, u64 region,
			    struct list_head *released)
{
	struct region_stripe *s = region_stripe(rm, region);
	struct region_entry *e;
	unsigned long flags;
	bool cancelled = false;

	spin_lock_irqsave(&s->lock, flags);
	e = region_lookup(s, region);
	if (e && e->state == REGION_PENDING) {
		region_entry_set(rm, s, e, REGION_UNSYNCED);
		__region_release(rm, s, region, released);
		cancelled = true;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	return cancelled;
}

void region_map_freeze(struct region_map *rm)
{
	unsigned int i;

	for (i = 0; i < REGION_LOCK_STRIPES; i++) {
		spin_lock_irq(&rm->stripes[i].lock);
		rm->stripes[i].frozen = true;
		spin_unlock_irq(&rm->stripes[i].lock);
	}
}

void region_map_thaw(struct region_map *rm, struct list_head *released)
{
	struct region_waiter *w, *tmp;
	struct region_entry *e;
	unsigned int i;

	for (i = 0; i < REGION_LOCK_STRIPES; i++) {
		struct region_stripe *s = &rm->stripes[i];

		spin_lock_irq(&s->lock);
		s->frozen = false;
		list_for_each_entry_safe(w, tmp, &s->held, list) {
			u8 state = region_state(rm, s, w->region, &e);

			if (state != REGION_PENDING && state != REGION_COPYING)
				list_move_tail(&w->list, released);
		}
		spin_unlock_irq(&s->lock);
	}
}

u64 region_map_writes_in_flight(struct region_map *rm)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < REGION_LOCK_STRIPES; i++) {
		spin_lock_irq(&rm->stripes[i].lock);
		sum += rm->stripes[i].inflight;
		spin_unlock_irq(&rm->stripes[i].lock);
	}
	return sum;
}

void region_map_mark_unsynced(struct region_map *rm, u64 region)
{
	struct region_stripe *s = region_stripe(rm, region);
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	__region_clear_synced(rm, s, region, region_lookup(s, region));
	spin_unlock_irqrestore(&s->lock, flags);
}

void region_map_mark_all_unsynced(struct region_map *rm)
{
	atomic64_inc(&rm->gen);
}

void region_map_sweep(struct region_map *rm)
{
	const u64 block = REGION_LOCK_STRIPES * REGION_SWEEP_BATCH;
	u64 gen = atomic64_read(&rm->gen);
	struct region_entry *e;
	struct hlist_node *tmp;
	u64 base, end, region, cleared;
	unsigned int i, j;

	/* Copied regions: their entries, a stripe at a time. */
	for (i = 0; i < REGION_LOCK_STRIPES; i++) {
		struct region_stripe *s = &rm->stripes[i];

		spin_lock_irq(&s->lock);
		for (j = 0; j < REGION_HASH_BUCKETS; j++)
			hlist_for_each_entry_safe(e, tmp, &s->hash[j], node)
				if (region_copied(e->state))
					region_entry_set(rm, s, e,
							 REGION_UNSYNCED);
		spin_unlock_irq(&s->lock);
	}
	/*
	 * Regions in sync: a block of consecutive regions at a time (cache
	 * friendly), each stripe's share of it under one hold of its lock.
	 */
	for (base = 0; base < rm->nr_regions; base += block) {
		end = min_t(u64, base + block, rm->nr_regions);
		/* Most blocks have nothing in sync left (or all of it). */
		if (find_next_bit(rm->synced, end, base) >= end)
			continue;
		for (i = 0; i < REGION_LOCK_STRIPES; i++) {
			struct region_stripe *s = &rm->stripes[i];

			cleared = 0;
			spin_lock_irq(&s->lock);
			for (region = base + i; region < end;
			     region += REGION_LOCK_STRIPES) {
				if (test_bit(region, rm->synced)) {
					clear_bit(region, rm->synced);
					cleared++;
				}
			}
			atomic64_sub(cleared, &rm->nr_synced);
			spin_unlock_irq(&s->lock);
		}
		cond_resched();
	}
	/* Pairs with atomic64_read_acquire() in region_map_sweep_pending(). */
	atomic64_set_release(&rm->swept, gen);
}

int region_map_set_mirror_zeroed(struct region_map *rm)
{
	rm->mirror_zero = kvcalloc(BITS_TO_LONGS(rm->nr_regions),
				   sizeof(unsigned long), GFP_KERNEL);
	if (!rm->mirror_zero)
		return -ENOMEM;
	bitmap_fill(rm->mirror_zero, rm->nr_regions);
	return 0;
}

bool region_map_mirror_zero(const struct region_map *rm, u64 region, u64 nr)
{
	u64 end = min_t(u64, region + nr, rm->nr_regions);

	/* Pairs with WRITE_ONCE() in region_map_mirror_zero_lost(). */
	if (!rm->mirror_zero || READ_ONCE(rm->mirror_zero_lost))
		return false;
	for (; region < end; region++)
		if (!test_bit(region, rm->mirror_zero))
			return false;
	return true;
}

void region_map_mirror_written(struct region_map *rm, u64 region, u64 nr)
{
	u64 end = min_t(u64, region + nr, rm->nr_regions);

	if (!rm->mirror_zero)
		return;
	for (; region < end; region++)
		clear_bit(region, rm->mirror_zero);
}

void region_map_mirror_zero_lost(struct region_map *rm)
{
	WRITE_ONCE(rm->mirror_zero_lost, true);
}

u64 region_map_next_unsynced(const struct region_map *rm, u64 from)
{
	if (from >= rm->nr_regions)
		return rm->nr_regions;
	return find_next_zero_bit(rm->synced, rm->nr_regions, from);
}
