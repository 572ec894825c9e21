// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of kernel/region-map.c, the write/copy ordering rules.
 */
#include "fake/fake_kernel.h"
#include "../../kernel/region-map.h"
#include "harness.h"

static enum region_write_route write_begin(struct region_map *rm,
					   struct region_waiter *w, u64 region,
					   bool track_only)
{
	w->region = region;
	INIT_LIST_HEAD(&w->list);
	region_map_set_track_only(rm, track_only);
	return region_map_write_begin(rm, w);
}

/*
 * The end of a write routed while entries could be allocated (no waiter
 * needed: one that says so will do).
 */
static bool write_end(struct region_map *rm, u64 region)
{
	struct region_waiter w = { .region = region, .no_entry = 0, .nr = 1 };

	return region_map_write_end(rm, &w);
}

/* The generation of the last copy_begin(): no test starts two at once. */
static u64 gen;

static enum region_copy_start copy_begin(struct region_map *rm, u64 region,
					 bool may_defer)
{
	return region_map_copy_begin(rm, region, may_defer, &gen);
}

/* End a copy successfully and commit it as a flush would (tag 0). */
static void copy_end_flushed(struct region_map *rm, u64 region, bool copied,
			     struct list_head *released)
{
	region_map_copy_end(rm, region, copied, gen, 0, released);
	region_map_commit(rm, region, 1, gen, 0, true);
}

static void unsynced_region_writes_source_only(void)
{
	struct region_map *rm = region_map_create(16, false);
	struct region_waiter w;

	CHECK(rm);
	CHECK(region_map_nr_regions(rm) == 16);
	CHECK(region_map_nr_synced(rm) == 0);
	CHECK(write_begin(rm, &w, 3, false) == REGION_WRITE_SOURCE);
	CHECK(!write_end(rm, 3));
	CHECK(region_map_next_unsynced(rm, 0) == 0);
	region_map_destroy(rm);
}

static void synced_region_writes_both(void)
{
	struct region_map *rm = region_map_create(4, true);
	struct region_waiter w;

	CHECK(region_map_nr_synced(rm) == 4);
	CHECK(region_map_next_unsynced(rm, 0) == 4);
	CHECK(write_begin(rm, &w, 2, false) == REGION_WRITE_BOTH);
	CHECK(!write_end(rm, 2));
	CHECK(copy_begin(rm, 2, true) == REGION_COPY_BUSY);
	region_map_destroy(rm);
}

static void write_during_copy_is_held_then_released(void)
{
	struct region_map *rm = region_map_create(8, false);
	struct region_waiter w1, w2, other;
	LIST_HEAD(released);

	CHECK(copy_begin(rm, 5, true) == REGION_COPY_START);
	CHECK(copy_begin(rm, 5, true) == REGION_COPY_BUSY);
	CHECK(write_begin(rm, &w1, 5, false) == REGION_WRITE_HELD);
	CHECK(write_begin(rm, &w2, 5, false) == REGION_WRITE_HELD);
	/* region 5 + 64 stripes later shares the stripe, not the copy */
	CHECK(copy_begin(rm, 4, true) == REGION_COPY_START);
	CHECK(write_begin(rm, &other, 4, false) == REGION_WRITE_HELD);

	copy_end_flushed(rm, 5, true, &released);
	CHECK(region_map_is_synced(rm, 5));
	CHECK(region_map_nr_synced(rm) == 1);
	CHECK(released.next == &w1.list);	/* arrival order */
	CHECK(w1.list.next == &w2.list);
	CHECK(w2.list.next == &released);

	CHECK(write_begin(rm, &w1, 5, false) == REGION_WRITE_BOTH);
	CHECK(!write_end(rm, 5));

	INIT_LIST_HEAD(&released);
	copy_end_flushed(rm, 4, true, &released);
	CHECK(released.next == &other.list);
	region_map_destroy(rm);
}

static void copy_waits_for_writes_in_flight(void)
{
	struct region_map *rm = region_map_create(8, false);
	struct region_waiter a, b, held;
	LIST_HEAD(released);

	CHECK(write_begin(rm, &a, 1, false) == REGION_WRITE_SOURCE);
	CHECK(write_begin(rm, &b, 1, false) == REGION_WRITE_SOURCE);
	/* Without may_defer, nothing changes. */
	CHECK(copy_begin(rm, 1, false) == REGION_COPY_BUSY);
	CHECK(write_begin(rm, &held, 1, false) == REGION_WRITE_SOURCE);
	CHECK(!write_end(rm, 1));
	CHECK(copy_begin(rm, 1, true) == REGION_COPY_DEFERRED);
	/* New writes are held so the count drains. */
	CHECK(write_begin(rm, &held, 1, false) == REGION_WRITE_HELD);
	CHECK(copy_begin(rm, 1, true) == REGION_COPY_BUSY);
	CHECK(!write_end(rm, 1));
	CHECK(write_end(rm, 1));	/* last one: copy now */
	CHECK(copy_begin(rm, 1, true) == REGION_COPY_BUSY);
	copy_end_flushed(rm, 1, true, &released);
	CHECK(released.next == &held.list);
	region_map_destroy(rm);
}

static void failed_copy_leaves_region_unsynced(void)
{
	struct region_map *rm = region_map_create(2, false);
	struct region_waiter w;
	LIST_HEAD(released);

	CHECK(copy_begin(rm, 0, true) == REGION_COPY_START);
	CHECK(write_begin(rm, &w, 0, false) == REGION_WRITE_HELD);
	copy_end_flushed(rm, 0, false, &released);
	CHECK(!region_map_is_synced(rm, 0));
	CHECK(region_map_nr_synced(rm) == 0);
	CHECK(released.next == &w.list);
	CHECK(write_begin(rm, &w, 0, false) == REGION_WRITE_SOURCE);
	CHECK(!write_end(rm, 0));
	CHECK(copy_begin(rm, 0, true) == REGION_COPY_START);
	region_map_destroy(rm);
}

static void track_only_write_unsyncs_region(void)
{
	struct region_map *rm = region_map_create(3, true);
	struct region_waiter w;

	CHECK(write_begin(rm, &w, 1, true) == REGION_WRITE_UNSYNCED);
	CHECK(!region_map_is_synced(rm, 1));
	CHECK(!write_end(rm, 1));
	/* Already out of sync: the next write only goes to the source. */
	CHECK(write_begin(rm, &w, 1, true) == REGION_WRITE_SOURCE);
	CHECK(region_map_nr_synced(rm) == 2);
	CHECK(region_map_next_unsynced(rm, 0) == 1);
	CHECK(region_map_next_unsynced(rm, 2) == 3);
	CHECK(!write_end(rm, 1));
	region_map_mark_unsynced(rm, 2);
	region_map_mark_unsynced(rm, 2);	/* idempotent */
	CHECK(region_map_nr_synced(rm) == 1);
	region_map_destroy(rm);
}

/*
 * sync_mode async: a write to a region in sync goes to the source alone
 * and takes the status away before it is issued, while fewer regions than
 * the bound are out of sync; at the bound writes go to both disks again.
 * A write to a region under copy is held as in sync mode.
 */
static void async_write_unsyncs_region_within_bound(void)
{
	struct region_map *rm = region_map_create(8, true);
	struct region_waiter w, h;
	LIST_HEAD(released);

	region_map_set_async(rm, 2);
	CHECK(write_begin(rm, &w, 1, false) == REGION_WRITE_UNSYNCED);
	CHECK(!region_map_is_synced(rm, 1));
	CHECK(!write_end(rm, 1));
	CHECK(write_begin(rm, &w, 1, false) == REGION_WRITE_SOURCE);
	CHECK(!write_end(rm, 1));
	CHECK(write_begin(rm, &w, 2, false) == REGION_WRITE_UNSYNCED);
	CHECK(!write_end(rm, 2));
	/* Two out of sync: the bound is reached, region 3 stays in sync. */
	CHECK(write_begin(rm, &w, 3, false) == REGION_WRITE_BOTH);
	CHECK(!write_end(rm, 3));
	CHECK(region_map_nr_synced(rm) == 6);

	/* The copy of region 1 holds a write, which then goes async again. */
	region_map_set_async(rm, 3);
	CHECK(copy_begin(rm, 1, true) == REGION_COPY_START);
	CHECK(write_begin(rm, &h, 1, false) == REGION_WRITE_HELD);
	region_map_copy_end(rm, 1, true, gen, 0, &released);
	CHECK(list_first_entry(&released, struct region_waiter, list) == &h);
	list_del_init(&h.list);
	/* Copied, not flushed: the write unsyncs it; the commit leaves it. */
	CHECK(write_begin(rm, &h, 1, false) == REGION_WRITE_SOURCE);
	CHECK(region_map_commit(rm, 1, 1, gen, 0, true) == 0);
	CHECK(!region_map_is_synced(rm, 1));
	CHECK(!write_end(rm, 1));

	/* Back to sync: writes to regions in sync go to both. */
	region_map_set_async(rm, 0);
	CHECK(write_begin(rm, &w, 4, false) == REGION_WRITE_BOTH);
	CHECK(!write_end(rm, 4));
	/* Track-only wins over async. */
	region_map_set_async(rm, 8);
	CHECK(write_begin(rm, &w, 4, true) == REGION_WRITE_UNSYNCED);
	CHECK(!write_end(rm, 4));
	region_map_destroy(rm);
}

static void freeze_holds_every_write_until_thaw(void)
{
	struct region_map *rm = region_map_create(130, true);
	struct region_waiter a, b, c, d;
	LIST_HEAD(released);

	CHECK(write_begin(rm, &a, 0, false) == REGION_WRITE_BOTH);
	CHECK(region_map_writes_in_flight(rm) == 1);
	region_map_freeze(rm);
	CHECK(write_begin(rm, &b, 0, false) == REGION_WRITE_HELD);
	CHECK(write_begin(rm, &c, 129, true) == REGION_WRITE_HELD);
	CHECK(region_map_writes_in_flight(rm) == 1);
	CHECK(!write_end(rm, 0));
	CHECK(region_map_writes_in_flight(rm) == 0);
	region_map_thaw(rm, &released);
	CHECK(!list_empty(&released));
	CHECK(released.next == &b.list && b.list.next == &c.list);
	CHECK(write_begin(rm, &d, 5, false) == REGION_WRITE_BOTH);
	CHECK(!write_end(rm, 5));
	region_map_destroy(rm);
}

static void freeze_keeps_writes_held_by_a_copy(void)
{
	struct region_map *rm = region_map_create(4, false);
	struct region_waiter a, b;
	LIST_HEAD(released);

	CHECK(copy_begin(rm, 2, true) == REGION_COPY_START);
	CHECK(write_begin(rm, &a, 2, false) == REGION_WRITE_HELD);
	region_map_freeze(rm);
	CHECK(write_begin(rm, &b, 3, false) == REGION_WRITE_HELD);
	region_map_thaw(rm, &released);
	CHECK(released.next == &b.list && b.list.next == &released);
	INIT_LIST_HEAD(&released);
	copy_end_flushed(rm, 2, true, &released);
	CHECK(released.next == &a.list);
	region_map_destroy(rm);
}

static void bad_sizes_are_refused(void)
{
	struct region_map *rm = region_map_create(1, true);

	CHECK(!region_map_create(0, false));
	CHECK(!region_map_create((u64)INT_MAX + 1, false));
	CHECK(region_map_next_unsynced(rm, 5) == 1);
	region_map_destroy(rm);
}

/*
 * Issue 16: a write spanning regions.  The map takes the prefix of regions
 * that go one way at once (all both disks, or all the source alone), each
 * counted as a write of its own; it stops, untouched, at the first region
 * that would be held or go another way.  Ends in every region it counts.
 */
static unsigned int range_begin(struct region_map *rm, struct region_waiter *w,
				u64 region, unsigned int nr,
				enum region_write_route *route)
{
	w->region = region;
	INIT_LIST_HEAD(&w->list);
	return region_map_write_begin_range(rm, w, nr, route);
}

static void range_takes_all_regions_that_go_one_way(void)
{
	struct region_map *rm = region_map_create(70, true);
	enum region_write_route route;
	struct region_waiter w;
	bool synced;

	/* Regions 62..65: stripes 62, 63, 0, 1; all in sync. */
	CHECK(range_begin(rm, &w, 62, 4, &route) == 4);
	CHECK(route == REGION_WRITE_BOTH);
	CHECK(w.nr == 4 && w.no_entry == 0);
	CHECK(region_map_writes_in_flight(rm) == 4);
	CHECK(region_map_nr_entries(rm) == 4);
	CHECK(!region_map_region_idle(rm, 65, &synced) && synced);
	CHECK(region_map_region_idle(rm, 66, &synced));
	CHECK(region_map_write_end(rm, &w) == 0);
	CHECK(region_map_writes_in_flight(rm) == 0);
	CHECK(region_map_nr_entries(rm) == 0);
	CHECK(region_map_region_idle(rm, 65, &synced));

	/* Not copied yet: the source alone, nothing out of sync newly. */
	region_map_mark_unsynced(rm, 10);
	region_map_mark_unsynced(rm, 11);
	CHECK(range_begin(rm, &w, 10, 2, &route) == 2);
	CHECK(route == REGION_WRITE_SOURCE);
	CHECK(region_map_write_end(rm, &w) == 0);

	/* The range is clipped at the end of the map and at the cap. */
	CHECK(range_begin(rm, &w, 68, 4, &route) == 2);
	CHECK(w.nr == 2);
	CHECK(region_map_write_end(rm, &w) == 0);
	CHECK(range_begin(rm, &w, 20, REGION_RANGE_MAX + 4, &route) ==
	      REGION_RANGE_MAX);
	CHECK(region_map_writes_in_flight(rm) == REGION_RANGE_MAX);
	CHECK(region_map_write_end(rm, &w) == 0);
	CHECK(range_begin(rm, &w, 70, 2, &route) == 0);
	CHECK(region_map_writes_in_flight(rm) == 0);
	CHECK(region_map_nr_entries(rm) == 0);
	region_map_destroy(rm);
}

static void range_stops_untouched_where_the_route_changes(void)
{
	struct region_map *rm = region_map_create(16, true);
	enum region_write_route route;
	struct region_waiter w, h;
	LIST_HEAD(released);

	/* 2 in sync, 3 not copied yet: region 3 is not taken. */
	region_map_mark_unsynced(rm, 3);
	CHECK(range_begin(rm, &w, 1, 4, &route) == 2);
	CHECK(route == REGION_WRITE_BOTH && w.nr == 2);
	CHECK(region_map_writes_in_flight(rm) == 2);
	CHECK(region_map_nr_entries(rm) == 2);
	/* A copy of 3 starts at once: no write of the range is in flight. */
	CHECK(copy_begin(rm, 3, false) == REGION_COPY_START);
	CHECK(region_map_write_end(rm, &w) == 0);
	/* The first region goes to the source alone, the second is held. */
	CHECK(range_begin(rm, &w, 2, 3, &route) == 1);
	CHECK(route == REGION_WRITE_BOTH);
	CHECK(region_map_write_end(rm, &w) == 0);
	/* The first region would be held: nothing taken, nothing linked. */
	CHECK(range_begin(rm, &w, 3, 3, &route) == 0);
	CHECK(list_empty(&w.list) && w.list.next == &w.list);
	CHECK(region_map_writes_in_flight(rm) == 0);
	CHECK(write_begin(rm, &h, 3, false) == REGION_WRITE_HELD);
	copy_end_flushed(rm, 3, true, &released);
	CHECK(released.next == &h.list && h.list.next == &released);
	CHECK(region_map_nr_entries(rm) == 0);

	/* Freeze: nothing taken. */
	region_map_freeze(rm);
	CHECK(range_begin(rm, &w, 5, 2, &route) == 0);
	CHECK(region_map_writes_in_flight(rm) == 0);
	INIT_LIST_HEAD(&released);
	region_map_thaw(rm, &released);
	CHECK(list_empty(&released));
	region_map_destroy(rm);
}

/*
 * Track-only and async: regions in sync lose the status region by region;
 * one not copied yet goes to the source too, so it joins the range.  The
 * async bound ends a range where the next region would go to both disks.
 */
static void range_unsyncs_each_region_it_takes(void)
{
	struct region_map *rm = region_map_create(16, true);
	enum region_write_route route;
	struct region_waiter w;

	region_map_mark_unsynced(rm, 4);
	region_map_set_track_only(rm, true);
	CHECK(range_begin(rm, &w, 4, 3, &route) == 3);
	CHECK(route == REGION_WRITE_UNSYNCED);
	CHECK(region_map_nr_synced(rm) == 13);
	CHECK(region_map_write_end(rm, &w) == 0);
	/* Nothing in sync left in 4..6: the source alone, nothing unsynced. */
	CHECK(range_begin(rm, &w, 4, 3, &route) == 3);
	CHECK(route == REGION_WRITE_SOURCE);
	CHECK(region_map_write_end(rm, &w) == 0);
	region_map_set_track_only(rm, false);

	/* Async, bound 5: 3 out of sync now, two more, then both disks. */
	region_map_set_async(rm, 5);
	CHECK(range_begin(rm, &w, 8, 4, &route) == 2);
	CHECK(route == REGION_WRITE_UNSYNCED);
	CHECK(region_map_nr_synced(rm) == 11);
	CHECK(region_map_is_synced(rm, 10));
	CHECK(region_map_write_end(rm, &w) == 0);
	CHECK(range_begin(rm, &w, 10, 2, &route) == 2);
	CHECK(route == REGION_WRITE_BOTH);
	CHECK(region_map_write_end(rm, &w) == 0);
	CHECK(region_map_nr_synced(rm) == 11);
	CHECK(region_map_nr_entries(rm) == 0);
	region_map_destroy(rm);
}

/* Overflow, a bit per region; deferred copies, a bit per region. */
static void range_counts_overflow_and_deferred_copies_per_region(void)
{
	struct region_map *rm = region_map_create(256, false);
	enum region_write_route route;
	struct region_waiter w, x;
	LIST_HEAD(released);

	/* Region 6 has an entry (a write in flight), 5 and 7 get none. */
	CHECK(write_begin(rm, &x, 6, false) == REGION_WRITE_SOURCE);
	fake_alloc_fail = 1;
	CHECK(range_begin(rm, &w, 5, 3, &route) == 3);
	fake_alloc_fail = 0;
	CHECK(w.no_entry == (1U << 0 | 1U << 2));
	CHECK(region_map_overflowed(rm));
	CHECK(region_map_writes_in_flight(rm) == 4);
	CHECK(region_map_nr_entries(rm) == 1);
	/* 6 is deferred (its writes have entries); 69, stripe of 5, is busy. */
	CHECK(copy_begin(rm, 69, true) == REGION_COPY_BUSY);
	CHECK(copy_begin(rm, 6, true) == REGION_COPY_DEFERRED);
	CHECK(!region_map_write_end(rm, &x));
	/* The range's end is the last write to 6: its copy starts. */
	CHECK(region_map_write_end(rm, &w) == 1U << 1);
	CHECK(!region_map_overflowed(rm));
	CHECK(region_map_writes_in_flight(rm) == 0);
	CHECK(copy_begin(rm, 69, true) == REGION_COPY_START);
	region_map_copy_end(rm, 6, false, gen, 0, &released);
	region_map_copy_end(rm, 69, false, gen, 0, &released);
	CHECK(list_empty(&released));
	CHECK(region_map_nr_entries(rm) == 0);

	/* Copies of 9 and 11 deferred behind one range write of 8..11. */
	CHECK(range_begin(rm, &w, 8, 4, &route) == 4);
	CHECK(copy_begin(rm, 9, true) == REGION_COPY_DEFERRED);
	CHECK(copy_begin(rm, 11, true) == REGION_COPY_DEFERRED);
	CHECK(region_map_write_end(rm, &w) == (1U << 1 | 1U << 3));
	region_map_copy_end(rm, 9, true, gen, 0, &released);
	region_map_copy_end(rm, 11, true, gen, 0, &released);
	CHECK(region_map_commit(rm, 8, 4, gen, 0, true) == 2);
	CHECK(region_map_is_synced(rm, 9) && region_map_is_synced(rm, 11));
	CHECK(region_map_nr_entries(rm) == 0);
	region_map_destroy(rm);
}

/*
 * A randomised model of the disks: every host write carries a new value
 * that lands on the disks it was routed to when it completes; a copy
 * reads the source when it starts and writes the mirror's volatile cache
 * when it ends; a flush of the mirror makes what its cache held when the
 * flush was issued durable when it completes, and commits the copies that
 * ended before it was issued (tag and generation as the copier does).  A
 * failed flush loses the cache.  Host writes to both disks are taken as
 * durable at once (FUA): their durability is the host's business, through
 * its own flushes.  Operations interleave at random, and the mode flips
 * between mirrored and track-only.  A region in sync must be durable on
 * the mirror; once every region is in sync and nothing is in flight,
 * source and mirror must be equal.
 */
#define SIM_REGIONS	8
#define SIM_MAX_OPS	32

struct sim_write {
	struct region_waiter w;
	enum region_write_route route;
	unsigned int value;
	bool used, held;
};

struct sim_copy {
	u64 region;
	u64 gen;
	unsigned int value;
	bool used, started;
};

/* Copies that ended since a flush was issued, or that a flush commits. */
struct sim_batch {
	bool region[SIM_REGIONS];
	u64 gen[SIM_REGIONS];
	unsigned int tag;
};

struct sim {
	struct region_map *rm;
	unsigned int source[SIM_REGIONS], mirror[SIM_REGIONS];
	unsigned int durable[SIM_REGIONS];
	/* Order of landing on the mirror, to apply a flush's snapshot. */
	unsigned long mirror_seq[SIM_REGIONS], durable_seq[SIM_REGIONS], seq;
	struct sim_write writes[SIM_MAX_OPS];
	struct sim_copy copies[SIM_MAX_OPS];
	struct sim_batch open, flushing;
	unsigned int snap[SIM_REGIONS];
	unsigned long snap_seq[SIM_REGIONS];
	bool flush_in_flight, track_only;
	unsigned int next_value;
	bool corrupt;
};

static void sim_route(struct sim *s, struct sim_write *sw)
{
	sw->route = region_map_write_begin(s->rm, &sw->w);
	sw->held = sw->route == REGION_WRITE_HELD;
}

/*
 * A write spanning @nr regions, as vmirror_map() routes it: the prefix
 * the map takes at once, or (none) its first region alone.  The part
 * past the prefix is a new write, as DM core submits it again.
 */
static struct sim_write *sim_free_write(struct sim *s);

static void sim_route_range(struct sim *s, struct sim_write *sw,
			    unsigned int nr)
{
	unsigned int k = region_map_write_begin_range(s->rm, &sw->w, nr,
						      &sw->route);
	struct sim_write *rest;

	if (!k) {
		sim_route(s, sw);
		k = 1;
	} else {
		if (k > nr || sw->w.nr != k ||
		    sw->route == REGION_WRITE_HELD)
			s->corrupt = true;
		sw->held = false;
	}
	if (k < nr && (rest = sim_free_write(s))) {
		rest->used = true;
		rest->value = sw->value;
		rest->w.region = sw->w.region + k;
		INIT_LIST_HEAD(&rest->w.list);
		sim_route_range(s, rest, nr - k);
	}
}

static struct sim_copy *sim_copy_of(struct sim *s, u64 region)
{
	int i;

	for (i = 0; i < SIM_MAX_OPS; i++)
		if (s->copies[i].used && s->copies[i].region == region)
			return &s->copies[i];
	return NULL;
}

static void sim_start_copy(struct sim *s, struct sim_copy *c)
{
	c->started = true;
	c->value = s->source[c->region];
}

static void sim_mirror_write(struct sim *s, u64 r, unsigned int value,
			     bool durable)
{
	s->mirror[r] = value;
	s->mirror_seq[r] = ++s->seq;
	if (durable) {
		s->durable[r] = value;
		s->durable_seq[r] = s->mirror_seq[r];
	}
}

static void sim_complete_write(struct sim *s, struct sim_write *sw)
{
	unsigned int i, ready;

	for (i = 0; i < sw->w.nr; i++) {
		s->source[sw->w.region + i] = sw->value;
		if (sw->route == REGION_WRITE_BOTH)
			sim_mirror_write(s, sw->w.region + i, sw->value, true);
	}
	sw->used = false;
	ready = region_map_write_end(s->rm, &sw->w);
	if (ready >> sw->w.nr)
		s->corrupt = true;	/* a region the write does not span */
	for (i = 0; i < sw->w.nr; i++) {
		struct sim_copy *c;

		if (!(ready & (1U << i)))
			continue;
		c = sim_copy_of(s, sw->w.region + i);
		if (!c || c->started)
			s->corrupt = true;	/* ready with no deferred copy */
		else
			sim_start_copy(s, c);
	}
}

static void sim_release(struct sim *s, struct list_head *released)
{
	struct region_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, released, list) {
		struct sim_write *sw = container_of(w, struct sim_write, w);

		list_del_init(&w->list);
		sim_route(s, sw);
	}
}

static void sim_complete_copy(struct sim *s, struct sim_copy *c)
{
	LIST_HEAD(released);

	sim_mirror_write(s, c->region, c->value, false);
	c->used = false;
	region_map_copy_end(s->rm, c->region, true, c->gen, s->open.tag,
			    &released);
	s->open.region[c->region] = true;
	s->open.gen[c->region] = c->gen;
	sim_release(s, &released);
}

static void sim_issue_flush(struct sim *s)
{
	unsigned int tag = s->open.tag;

	s->flushing = s->open;
	memset(&s->open, 0, sizeof(s->open));
	s->open.tag = !tag;
	memcpy(s->snap, s->mirror, sizeof(s->snap));
	memcpy(s->snap_seq, s->mirror_seq, sizeof(s->snap_seq));
	s->flush_in_flight = true;
}

static void sim_complete_flush(struct sim *s, bool ok)
{
	int r;

	for (r = 0; r < SIM_REGIONS; r++) {
		if (ok && s->snap_seq[r] > s->durable_seq[r]) {
			s->durable[r] = s->snap[r];
			s->durable_seq[r] = s->snap_seq[r];
		}
		if (!ok)	/* the cache is lost */
			s->mirror[r] = s->durable[r];
	}
	if (!ok)
		region_map_mark_all_unsynced(s->rm);
	for (r = 0; r < SIM_REGIONS; r++)
		if (s->flushing.region[r])
			region_map_commit(s->rm, r, 1, s->flushing.gen[r],
					  s->flushing.tag, ok);
	s->flush_in_flight = false;
}

static struct sim_write *sim_free_write(struct sim *s)
{
	int i;

	for (i = 0; i < SIM_MAX_OPS; i++)
		if (!s->writes[i].used)
			return &s->writes[i];
	return NULL;
}

/* One region, or (one in two) a range of 2 to 4 within the disk. */
static void sim_new_write(struct sim *s)
{
	struct sim_write *sw = sim_free_write(s);
	unsigned int nr = rand() % 2 ? 2 + rand() % 3 : 1;

	if (!sw)
		return;
	sw->used = true;
	sw->value = ++s->next_value;
	sw->w.region = rand() % (SIM_REGIONS - nr + 1);
	INIT_LIST_HEAD(&sw->w.list);
	if (nr == 1)
		sim_route(s, sw);
	else
		sim_route_range(s, sw, nr);
}

static void sim_new_copy(struct sim *s)
{
	u64 r = rand() % SIM_REGIONS;
	int i;

	for (i = 0; i < SIM_MAX_OPS; i++) {
		struct sim_copy *c = &s->copies[i];

		if (c->used)
			continue;
		switch (region_map_copy_begin(s->rm, r, rand() % 4 != 0, &c->gen)) {
		case REGION_COPY_START:
			c->used = true;
			c->region = r;
			sim_start_copy(s, c);
			break;
		case REGION_COPY_DEFERRED:
			c->used = true;
			c->region = r;
			c->started = false;
			break;
		case REGION_COPY_BUSY:
			break;
		}
		return;
	}
}

static bool sim_step(struct sim *s, bool allow_new)
{
	int pick = rand() % 8, i = rand() % SIM_MAX_OPS;

	if (allow_new && pick == 0)
		sim_new_write(s);
	else if (allow_new && pick == 1)
		sim_new_copy(s);
	else if (pick == 2 && !s->flush_in_flight)
		sim_issue_flush(s);
	else if (pick == 3 && s->flush_in_flight)
		sim_complete_flush(s, !allow_new || rand() % 50);
	else if (pick == 4 && region_map_sweep_pending(s->rm))
		region_map_sweep(s->rm);
	else if (allow_new && pick == 5 && rand() % 20 == 0)
		region_map_set_track_only(s->rm, s->track_only = !s->track_only);
	else if (allow_new && pick == 6 && rand() % 16 == 0)
		fake_alloc_fail = !fake_alloc_fail;	/* no entry to be had */
	else if (s->writes[i].used && !s->writes[i].held)
		sim_complete_write(s, &s->writes[i]);
	else if (s->copies[i].used && s->copies[i].started)
		sim_complete_copy(s, &s->copies[i]);
	else
		return false;
	return true;
}

/*
 * A region in sync with no host write in flight holds the same data on
 * the source and on the mirror's stable media, at every step (not only at
 * the end, where later writes to both disks would hide a lost one).
 */
static void sim_check_in_sync_regions(struct sim *s)
{
	bool inflight[SIM_REGIONS] = { false };
	int i;

	for (i = 0; i < SIM_MAX_OPS; i++) {
		unsigned int j;

		if (!s->writes[i].used || s->writes[i].held)
			continue;
		for (j = 0; j < s->writes[i].w.nr; j++)
			inflight[s->writes[i].w.region + j] = true;
	}
	for (i = 0; i < SIM_REGIONS; i++)
		if (region_map_is_synced(s->rm, i) && !inflight[i] &&
		    s->source[i] != s->durable[i])
			s->corrupt = true;
}

static bool sim_busy(struct sim *s)
{
	int i;

	if (s->flush_in_flight)
		return true;
	for (i = 0; i < SIM_MAX_OPS; i++)
		if (s->writes[i].used || s->copies[i].used)
			return true;
	return false;
}

/* Nothing left to start: flush what ended, wait for everything. */
static void sim_drain(struct sim *s)
{
	int step;

	for (step = 0; sim_busy(s) && step < 1000000; step++)
		sim_step(s, false);
	sim_issue_flush(s);
	sim_complete_flush(s, true);
	if (region_map_sweep_pending(s->rm))
		region_map_sweep(s->rm);
}

static void randomised_writes_and_copies_keep_disks_equal(void)
{
	int round, step, r;

	for (round = 0; round < 200; round++) {
		struct sim s = { 0 };

		srand(round);
		s.rm = region_map_create(SIM_REGIONS, false);
		for (r = 0; r < SIM_REGIONS; r++)
			s.mirror[r] = s.durable[r] = 1000000 + r; /* other data */
		for (step = 0; step < 5000 && !s.corrupt; step++) {
			sim_step(&s, true);
			sim_check_in_sync_regions(&s);
		}
		/* Drain, then copy what is left with no new writes. */
		region_map_set_track_only(s.rm, false);
		fake_alloc_fail = 0;
		sim_drain(&s);
		CHECK(!sim_busy(&s));
		/* Bounded: a region the map never lets be copied fails here. */
		for (step = 0; region_map_nr_synced(s.rm) < SIM_REGIONS &&
		     !s.corrupt && step < 100000; step++) {
			sim_new_copy(&s);
			sim_drain(&s);
			sim_check_in_sync_regions(&s);
		}
		CHECK(region_map_nr_synced(s.rm) == SIM_REGIONS);
		CHECK(!s.corrupt);
		for (r = 0; r < SIM_REGIONS; r++)
			CHECK(s.source[r] == s.mirror[r] &&
			      s.source[r] == s.durable[r]);
		/* Idle: no region keeps an entry. */
		CHECK(region_map_nr_entries(s.rm) == 0);
		region_map_destroy(s.rm);
		if (harness_failed_now) {
			printf("  failing seed: %d\n", round);
			break;
		}
	}
}

/* Issue 10 item 4: a copy counts as in sync only after a mirror flush. */
static void copy_counts_only_after_its_flush(void)
{
	struct region_map *rm = region_map_create(4, false);
	struct region_waiter w;
	LIST_HEAD(released);
	u64 g;

	CHECK(region_map_copy_begin(rm, 1, true, &g) == REGION_COPY_START);
	CHECK(write_begin(rm, &w, 1, false) == REGION_WRITE_HELD);
	region_map_copy_end(rm, 1, true, g, 0, &released);
	CHECK(released.next == &w.list);
	/* Copied, not flushed: not in sync, not counted, not copied again. */
	CHECK(!region_map_is_synced(rm, 1));
	CHECK(region_map_nr_synced(rm) == 0);
	CHECK(region_map_next_unsynced(rm, 0) == 0);
	CHECK(region_map_copy_begin(rm, 1, true, &g) == REGION_COPY_BUSY);
	/* Writes go to both disks meanwhile. */
	CHECK(write_begin(rm, &w, 1, false) == REGION_WRITE_BOTH);
	CHECK(!write_end(rm, 1));
	/* A flush of the other batch commits nothing here. */
	CHECK(region_map_commit(rm, 0, 4, g, 1, true) == 0);
	CHECK(!region_map_is_synced(rm, 1));
	CHECK(region_map_commit(rm, 0, 4, g, 0, true) == 1);
	CHECK(region_map_is_synced(rm, 1));
	CHECK(region_map_nr_synced(rm) == 1);
	region_map_destroy(rm);
}

static void failed_flush_uncommits_its_copies(void)
{
	struct region_map *rm = region_map_create(4, false);
	LIST_HEAD(released);
	u64 g;

	CHECK(region_map_copy_begin(rm, 2, true, &g) == REGION_COPY_START);
	region_map_copy_end(rm, 2, true, g, 1, &released);
	CHECK(region_map_commit(rm, 2, 1, g, 1, false) == 0);
	CHECK(!region_map_is_synced(rm, 2));
	CHECK(region_map_copy_begin(rm, 2, true, &g) == REGION_COPY_START);
	region_map_destroy(rm);
}

/*
 * A region copied (tag 0), taken out of sync by a track-only write while
 * the flush of its batch is in flight, and copied again (tag 1): the old
 * flush must not commit the new copy, which it does not cover.
 */
static void flush_never_commits_a_later_copy(void)
{
	struct region_map *rm = region_map_create(2, false);
	struct region_waiter w;
	LIST_HEAD(released);
	u64 g;

	CHECK(region_map_copy_begin(rm, 0, true, &g) == REGION_COPY_START);
	region_map_copy_end(rm, 0, true, g, 0, &released);
	/* flush of tag 0 issued here */
	CHECK(write_begin(rm, &w, 0, true) == REGION_WRITE_SOURCE);
	CHECK(!write_end(rm, 0));
	region_map_set_track_only(rm, false);
	CHECK(region_map_copy_begin(rm, 0, true, &g) == REGION_COPY_START);
	region_map_copy_end(rm, 0, true, g, 1, &released);
	CHECK(region_map_commit(rm, 0, 1, g, 0, true) == 0);	/* old flush */
	CHECK(!region_map_is_synced(rm, 0));
	CHECK(region_map_commit(rm, 0, 1, g, 1, true) == 1);
	CHECK(region_map_is_synced(rm, 0));
	region_map_destroy(rm);
}

/* Issue 10 item 6: a flush failing while a copy is in flight. */
static void flush_failure_during_copy_is_not_lost(void)
{
	struct region_map *rm = region_map_create(4, true);
	LIST_HEAD(released);
	u64 g;

	region_map_mark_unsynced(rm, 2);
	CHECK(region_map_copy_begin(rm, 2, true, &g) == REGION_COPY_START);
	region_map_mark_all_unsynced(rm);	/* a mirror flush failed */
	region_map_copy_end(rm, 2, true, g, 0, &released);
	CHECK(region_map_commit(rm, 2, 1, g, 0, true) == 0);
	CHECK(!region_map_is_synced(rm, 2));
	CHECK(region_map_nr_synced(rm) == 0);
	region_map_sweep(rm);
	CHECK(!region_map_is_synced(rm, 2));
	CHECK(region_map_nr_synced(rm) == 0);
	CHECK(region_map_next_unsynced(rm, 0) == 0);
	/* resync copies it again, in the new generation */
	CHECK(region_map_copy_begin(rm, 2, true, &g) == REGION_COPY_START);
	region_map_copy_end(rm, 2, true, g, 0, &released);
	CHECK(region_map_commit(rm, 2, 1, g, 0, true) == 1);
	CHECK(region_map_is_synced(rm, 2));
	region_map_destroy(rm);
}

/* ...and one failing between the copy's end and its commit. */
static void flush_failure_before_commit_is_not_lost(void)
{
	struct region_map *rm = region_map_create(4, false);
	LIST_HEAD(released);
	u64 g;

	CHECK(region_map_copy_begin(rm, 3, true, &g) == REGION_COPY_START);
	region_map_copy_end(rm, 3, true, g, 0, &released);
	region_map_mark_all_unsynced(rm);
	CHECK(region_map_commit(rm, 3, 1, g, 0, true) == 0);
	region_map_sweep(rm);
	CHECK(!region_map_is_synced(rm, 3));
	CHECK(region_map_copy_begin(rm, 3, true, &g) == REGION_COPY_START);
	region_map_destroy(rm);
}

/*
 * Issue 10 item 11: region_map_mark_all_unsynced() runs in hard interrupt
 * context: it must not walk the regions (nor take a lock), and nothing may
 * report a region in sync until the sweep has cleared them.
 */
static void mark_all_unsynced_is_o1_and_sweep_clears(void)
{
	struct region_map *rm = region_map_create(1000, true);
	struct region_waiter w;
	unsigned long locks;
	u64 g;

	CHECK(region_map_nr_synced(rm) == 1000);
	locks = fake_spin_locks;
	region_map_mark_all_unsynced(rm);
	CHECK(fake_spin_locks == locks);
	CHECK(region_map_sweep_pending(rm));
	CHECK(region_map_nr_synced(rm) == 0);
	CHECK(!region_map_is_synced(rm, 0) && !region_map_is_synced(rm, 999));
	/* A second failure before the sweep: still one sweep. */
	region_map_mark_all_unsynced(rm);
	region_map_sweep(rm);
	CHECK(!region_map_sweep_pending(rm));
	CHECK(region_map_nr_synced(rm) == 0);
	CHECK(region_map_next_unsynced(rm, 0) == 0);
	CHECK(region_map_next_unsynced(rm, 500) == 500);
	/* Writes now go to the source; copies start over. */
	CHECK(write_begin(rm, &w, 7, false) == REGION_WRITE_SOURCE);
	CHECK(!write_end(rm, 7));
	CHECK(region_map_copy_begin(rm, 7, true, &g) == REGION_COPY_START);
	region_map_destroy(rm);
}

/*
 * Issue 10 item 7: the track-only flag is read under the region's lock, so
 * a write that reaches the map after the flag changed routes by the new
 * value, even if its caller decided to write before (split's thaw).
 */
static void track_only_is_seen_under_the_region_lock(void)
{
	struct region_map *rm = region_map_create(4, true);
	struct region_waiter w, held;
	LIST_HEAD(released);

	region_map_set_track_only(rm, false);
	region_map_freeze(rm);
	w.region = 1;
	INIT_LIST_HEAD(&w.list);
	CHECK(region_map_write_begin(rm, &w) == REGION_WRITE_HELD);
	region_map_set_track_only(rm, true);	/* split done */
	region_map_thaw(rm, &released);
	CHECK(released.next == &w.list);
	list_del_init(&w.list);
	CHECK(region_map_write_begin(rm, &w) == REGION_WRITE_UNSYNCED);
	CHECK(!write_end(rm, 1));
	held.region = 2;
	INIT_LIST_HEAD(&held.list);
	CHECK(region_map_write_begin(rm, &held) == REGION_WRITE_UNSYNCED);
	CHECK(!write_end(rm, 2));
	CHECK(region_map_nr_synced(rm) == 2);
	region_map_set_track_only(rm, false);
	CHECK(region_map_write_begin(rm, &held) == REGION_WRITE_SOURCE);
	CHECK(!write_end(rm, 2));
	w.region = 3;
	CHECK(region_map_write_begin(rm, &w) == REGION_WRITE_BOTH);
	CHECK(!write_end(rm, 3));
	region_map_destroy(rm);
}

static void track_only_write_uncopies_a_copied_region(void)
{
	struct region_map *rm = region_map_create(2, false);
	struct region_waiter w;
	LIST_HEAD(released);
	u64 g;

	CHECK(region_map_copy_begin(rm, 1, true, &g) == REGION_COPY_START);
	region_map_copy_end(rm, 1, true, g, 0, &released);
	CHECK(write_begin(rm, &w, 1, true) == REGION_WRITE_SOURCE);
	CHECK(!write_end(rm, 1));
	CHECK(region_map_commit(rm, 1, 1, g, 0, true) == 0);
	CHECK(!region_map_is_synced(rm, 1));
	/* And a mirror write error on a copied region, likewise. */
	region_map_set_track_only(rm, false);
	CHECK(region_map_copy_begin(rm, 1, true, &g) == REGION_COPY_START);
	region_map_copy_end(rm, 1, true, g, 1, &released);
	region_map_mark_unsynced(rm, 1);
	CHECK(region_map_commit(rm, 1, 1, g, 1, true) == 0);
	CHECK(region_map_nr_synced(rm) == 0);
	region_map_destroy(rm);
}

/* Issue 10 item 10: a deferred copy given up before it starts. */
static void deferred_copy_cancelled(void)
{
	struct region_map *rm = region_map_create(2, false);
	struct region_waiter a, held;
	LIST_HEAD(released);
	u64 g;

	CHECK(write_begin(rm, &a, 0, false) == REGION_WRITE_SOURCE);
	CHECK(region_map_copy_begin(rm, 0, true, &g) == REGION_COPY_DEFERRED);
	CHECK(write_begin(rm, &held, 0, false) == REGION_WRITE_HELD);
	CHECK(region_map_copy_cancel(rm, 0, &released));
	CHECK(released.next == &held.list);
	CHECK(!write_end(rm, 0));	/* no copy to start */
	CHECK(region_map_copy_begin(rm, 0, true, &g) == REGION_COPY_START);
	/* Too late once the last write handed the region to the copier. */
	CHECK(region_map_copy_cancel(rm, 0, &released) == false);
	region_map_copy_end(rm, 0, false, g, 0, &released);
	CHECK(write_begin(rm, &a, 0, false) == REGION_WRITE_SOURCE);
	CHECK(region_map_copy_begin(rm, 0, true, &g) == REGION_COPY_DEFERRED);
	CHECK(write_end(rm, 0));
	CHECK(!region_map_copy_cancel(rm, 0, &released));
	region_map_destroy(rm);
}

/*
 * mirror_zeroed: a region stays known zero until a host write is routed
 * to the mirror or the copier writes it; source-only writes keep it.
 */
static void mirror_zero_until_written(void)
{
	struct region_map *rm = region_map_create(8, false);
	struct region_waiter w;
	LIST_HEAD(released);

	CHECK(!region_map_mirror_zero(rm, 0, 1));	/* not asserted */
	CHECK(!region_map_set_mirror_zeroed(rm));
	CHECK(region_map_mirror_zero(rm, 0, 8));
	CHECK(region_map_mirror_zero(rm, 6, 100));	/* clipped at the end */

	/* Not copied yet: the write goes to the source alone. */
	CHECK(write_begin(rm, &w, 1, false) == REGION_WRITE_SOURCE);
	CHECK(!write_end(rm, 1));
	CHECK(region_map_mirror_zero(rm, 1, 1));

	/* Copied (skipped as zero): the next write goes to both. */
	CHECK(copy_begin(rm, 1, true) == REGION_COPY_START);
	CHECK(region_map_mirror_zero(rm, 1, 1));
	copy_end_flushed(rm, 1, true, &released);
	CHECK(write_begin(rm, &w, 1, false) == REGION_WRITE_BOTH);
	CHECK(!write_end(rm, 1));
	CHECK(!region_map_mirror_zero(rm, 1, 1));
	CHECK(!region_map_mirror_zero(rm, 0, 2));
	CHECK(region_map_mirror_zero(rm, 2, 6));

	/* Source-tracked: a write to a synced region leaves the mirror alone. */
	CHECK(copy_begin(rm, 2, true) == REGION_COPY_START);
	copy_end_flushed(rm, 2, true, &released);
	CHECK(write_begin(rm, &w, 2, true) == REGION_WRITE_UNSYNCED);
	CHECK(!write_end(rm, 2));
	CHECK(region_map_mirror_zero(rm, 2, 1));

	/* The copier writes: gone. */
	region_map_mirror_written(rm, 3, 2);
	CHECK(!region_map_mirror_zero(rm, 3, 1));
	CHECK(!region_map_mirror_zero(rm, 4, 1));
	CHECK(region_map_mirror_zero(rm, 5, 1));

	/* Mirror-only writes: nothing is known any more. */
	region_map_mirror_zero_lost(rm);
	CHECK(!region_map_mirror_zero(rm, 5, 1));
	region_map_destroy(rm);
}

/* Regions recorded in sync by persistent metadata */
static void load_synced_bits(void)
{
	struct region_map *rm = region_map_create(130, false);
	unsigned long bits[BITS_TO_LONGS(130)] = { 0 };

	set_bit(0, bits);
	set_bit(64, bits);
	set_bit(129, bits);
	region_map_load_synced(rm, bits);
	CHECK(region_map_nr_synced(rm) == 3);
	CHECK(region_map_is_synced(rm, 64) && !region_map_is_synced(rm, 1));
	CHECK(region_map_next_unsynced(rm, 0) == 1);
	CHECK(test_bit(129, region_map_synced_bits(rm)));
	region_map_destroy(rm);
}

/* Issue 11: per-region state only for active regions, freed when idle. */
static void entries_only_for_active_regions(void)
{
	struct region_map *rm = region_map_create(256, false);
	struct region_waiter a, b, c, w;
	LIST_HEAD(released);
	bool synced;

	CHECK(region_map_nr_entries(rm) == 0);
	CHECK(write_begin(rm, &a, 3, false) == REGION_WRITE_SOURCE);
	CHECK(write_begin(rm, &b, 3, false) == REGION_WRITE_SOURCE);
	CHECK(write_begin(rm, &c, 200, false) == REGION_WRITE_SOURCE);
	CHECK(region_map_nr_entries(rm) == 2);
	CHECK(!write_end(rm, 3));
	CHECK(region_map_nr_entries(rm) == 2);
	CHECK(!write_end(rm, 3));
	CHECK(!write_end(rm, 200));
	CHECK(region_map_nr_entries(rm) == 0);

	/* A copy: an entry until its flush commits it. */
	CHECK(copy_begin(rm, 5, true) == REGION_COPY_START);
	CHECK(region_map_nr_entries(rm) == 1);
	region_map_copy_end(rm, 5, true, gen, 0, &released);
	CHECK(region_map_nr_entries(rm) == 1);
	CHECK(region_map_region_idle(rm, 5, &synced) && synced);
	CHECK(region_map_commit(rm, 5, 1, gen, 0, true) == 1);
	CHECK(region_map_nr_entries(rm) == 0);
	CHECK(region_map_is_synced(rm, 5));

	/* A write to a region in sync: an entry while it is in flight. */
	CHECK(write_begin(rm, &w, 5, false) == REGION_WRITE_BOTH);
	CHECK(region_map_nr_entries(rm) == 1);
	CHECK(!region_map_region_idle(rm, 5, &synced) && synced);
	CHECK(!write_end(rm, 5));
	CHECK(region_map_nr_entries(rm) == 0);
	CHECK(region_map_region_idle(rm, 5, &synced) && synced);

	/* A copy committed while written: the entry stays until the write ends. */
	CHECK(copy_begin(rm, 6, true) == REGION_COPY_START);
	region_map_copy_end(rm, 6, true, gen, 1, &released);
	CHECK(write_begin(rm, &w, 6, false) == REGION_WRITE_BOTH);
	CHECK(region_map_commit(rm, 6, 1, gen, 1, true) == 1);
	CHECK(region_map_nr_entries(rm) == 1);
	CHECK(region_map_is_synced(rm, 6));
	CHECK(!write_end(rm, 6));
	CHECK(region_map_nr_entries(rm) == 0);
	CHECK(region_map_is_synced(rm, 6));

	/* Deferred, then failed: gone. */
	CHECK(write_begin(rm, &w, 7, false) == REGION_WRITE_SOURCE);
	CHECK(copy_begin(rm, 7, true) == REGION_COPY_DEFERRED);
	CHECK(region_map_nr_entries(rm) == 1);
	CHECK(write_end(rm, 7));
	region_map_copy_end(rm, 7, false, gen, 0, &released);
	CHECK(region_map_nr_entries(rm) == 0);

	/* Cancelled: gone. */
	CHECK(write_begin(rm, &w, 8, false) == REGION_WRITE_SOURCE);
	CHECK(copy_begin(rm, 8, true) == REGION_COPY_DEFERRED);
	CHECK(region_map_copy_cancel(rm, 8, &released));
	CHECK(region_map_nr_entries(rm) == 1);	/* the write's */
	CHECK(!write_end(rm, 8));
	CHECK(region_map_nr_entries(rm) == 0);

	/* Copied, then swept after a failed flush: gone, not in sync. */
	CHECK(copy_begin(rm, 9, true) == REGION_COPY_START);
	region_map_copy_end(rm, 9, true, gen, 0, &released);
	region_map_mark_all_unsynced(rm);
	region_map_sweep(rm);
	CHECK(region_map_nr_entries(rm) == 0);
	CHECK(region_map_nr_synced(rm) == 0);
	CHECK(region_map_commit(rm, 9, 1, gen, 0, true) == 0);

	/* Copied, then a track-only write takes it out of sync. */
	CHECK(copy_begin(rm, 10, true) == REGION_COPY_START);
	region_map_copy_end(rm, 10, true, gen, 0, &released);
	CHECK(write_begin(rm, &w, 10, true) == REGION_WRITE_SOURCE);
	CHECK(region_map_nr_entries(rm) == 1);
	CHECK(!write_end(rm, 10));
	CHECK(region_map_nr_entries(rm) == 0);
	CHECK(region_map_commit(rm, 10, 1, gen, 0, true) == 0);
	CHECK(!region_map_is_synced(rm, 10));
	region_map_set_track_only(rm, false);

	/* Destroyed with a copy waiting for its flush: freed (ASan). */
	CHECK(copy_begin(rm, 11, true) == REGION_COPY_START);
	region_map_copy_end(rm, 11, true, gen, 0, &released);
	CHECK(list_empty(&released));
	region_map_destroy(rm);
}

/*
 * Issue 11: no entry to be had (GFP_NOWAIT and the reserve both failed):
 * writes are routed as ever, counted in their stripe's overflow; copies in
 * that stripe wait (BUSY) until it drains, which later writes, with
 * entries again, do not hold up.  Regions 1, 65, 129 share stripe 1.
 */
static void allocation_failure_never_fails_a_write(void)
{
	struct region_map *rm = region_map_create(256, true);
	struct region_waiter a, b, c, d, e, h;
	LIST_HEAD(released);
	bool synced;

	fake_alloc_fail = 1;
	CHECK(write_begin(rm, &a, 1, false) == REGION_WRITE_BOTH);
	CHECK(a.no_entry);
	CHECK(region_map_nr_entries(rm) == 0);
	CHECK(region_map_overflowed(rm));
	CHECK(region_map_writes_in_flight(rm) == 1);
	/* Its stripe cannot tell which region the write is to. */
	CHECK(!region_map_region_idle(rm, 1, &synced) && synced);
	CHECK(!region_map_region_idle(rm, 65, &synced) && synced);
	CHECK(region_map_region_idle(rm, 2, &synced) && synced);

	fake_alloc_fail = 0;
	/* Memory again: entries again, also in the overflowed stripe. */
	CHECK(write_begin(rm, &b, 65, false) == REGION_WRITE_BOTH);
	CHECK(!b.no_entry);
	CHECK(write_begin(rm, &e, 1, false) == REGION_WRITE_BOTH);
	CHECK(!e.no_entry);
	CHECK(write_begin(rm, &c, 2, false) == REGION_WRITE_BOTH);
	CHECK(region_map_nr_entries(rm) == 3);

	region_map_mark_unsynced(rm, 1);
	region_map_mark_unsynced(rm, 65);
	region_map_mark_unsynced(rm, 129);
	CHECK(region_map_nr_synced(rm) == 253);
	/* Writes in flight with no entry cannot be waited for: BUSY. */
	CHECK(copy_begin(rm, 65, true) == REGION_COPY_BUSY);
	CHECK(copy_begin(rm, 129, true) == REGION_COPY_BUSY);
	CHECK(copy_begin(rm, 1, true) == REGION_COPY_BUSY);
	CHECK(region_map_nr_entries(rm) == 3);

	/* No memory at all: the copy waits, nothing changes. */
	fake_alloc_fail = 1;
	region_map_mark_unsynced(rm, 3);
	CHECK(copy_begin(rm, 3, true) == REGION_COPY_BUSY);
	CHECK(region_map_nr_entries(rm) == 3);
	fake_alloc_fail = 0;

	/* 1 has a write with an entry (e) and one without (a). */
	CHECK(!region_map_write_end(rm, &e));
	CHECK(region_map_nr_entries(rm) == 2);
	CHECK(copy_begin(rm, 1, true) == REGION_COPY_BUSY);
	CHECK(region_map_overflowed(rm));
	CHECK(!region_map_write_end(rm, &a));
	CHECK(!region_map_overflowed(rm));
	/* The overflow drained: 65 can be deferred, 129 copied. */
	CHECK(copy_begin(rm, 65, true) == REGION_COPY_DEFERRED);
	CHECK(region_map_write_end(rm, &b));
	region_map_copy_end(rm, 65, false, gen, 0, &released);
	CHECK(region_map_writes_in_flight(rm) == 1);
	CHECK(copy_begin(rm, 129, true) == REGION_COPY_START);
	CHECK(region_map_nr_entries(rm) == 2);
	CHECK(write_begin(rm, &h, 129, false) == REGION_WRITE_HELD);

	/* Overflowed again: a region with an entry still counts its own. */
	fake_alloc_fail = 1;
	CHECK(write_begin(rm, &d, 1, false) == REGION_WRITE_SOURCE);
	CHECK(d.no_entry);
	region_map_copy_end(rm, 129, true, gen, 0, &released);
	CHECK(released.next == &h.list);
	list_del_init(&h.list);
	CHECK(write_begin(rm, &h, 129, false) == REGION_WRITE_BOTH);
	CHECK(!h.no_entry);
	CHECK(region_map_commit(rm, 129, 1, gen, 0, true) == 1);
	CHECK(region_map_nr_entries(rm) == 2);	/* 129 written, 2 */
	CHECK(!region_map_write_end(rm, &h));
	CHECK(!region_map_write_end(rm, &d));
	CHECK(!region_map_write_end(rm, &c));
	fake_alloc_fail = 0;
	CHECK(region_map_nr_entries(rm) == 0);
	CHECK(region_map_writes_in_flight(rm) == 0);
	CHECK(region_map_is_synced(rm, 129));
	CHECK(copy_begin(rm, 65, true) == REGION_COPY_START);
	region_map_copy_end(rm, 65, false, gen, 0, &released);
	CHECK(region_map_nr_entries(rm) == 0);
	region_map_destroy(rm);
}

int main(void)
{
	RUN(load_synced_bits);
	RUN(unsynced_region_writes_source_only);
	RUN(synced_region_writes_both);
	RUN(write_during_copy_is_held_then_released);
	RUN(copy_waits_for_writes_in_flight);
	RUN(failed_copy_leaves_region_unsynced);
	RUN(track_only_write_unsyncs_region);
	RUN(async_write_unsyncs_region_within_bound);
	RUN(freeze_holds_every_write_until_thaw);
	RUN(freeze_keeps_writes_held_by_a_copy);
	RUN(bad_sizes_are_refused);
	RUN(copy_counts_only_after_its_flush);
	RUN(failed_flush_uncommits_its_copies);
	RUN(flush_never_commits_a_later_copy);
	RUN(flush_failure_during_copy_is_not_lost);
	RUN(flush_failure_before_commit_is_not_lost);
	RUN(mark_all_unsynced_is_o1_and_sweep_clears);
	RUN(track_only_is_seen_under_the_region_lock);
	RUN(track_only_write_uncopies_a_copied_region);
	RUN(deferred_copy_cancelled);
	RUN(range_takes_all_regions_that_go_one_way);
	RUN(range_stops_untouched_where_the_route_changes);
	RUN(range_unsyncs_each_region_it_takes);
	RUN(range_counts_overflow_and_deferred_copies_per_region);
	RUN(randomised_writes_and_copies_keep_disks_equal);
	RUN(mirror_zero_until_written);
	RUN(entries_only_for_active_regions);
	RUN(allocation_failure_never_fails_a_write);
	HARNESS_EXIT();
}
