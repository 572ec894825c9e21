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
	return region_map_write_begin(rm, w, track_only);
}

static void unsynced_region_writes_source_only(void)
{
	struct region_map *rm = region_map_create(16, false);
	struct region_waiter w;

	CHECK(rm);
	CHECK(region_map_nr_regions(rm) == 16);
	CHECK(region_map_nr_synced(rm) == 0);
	CHECK(write_begin(rm, &w, 3, false) == REGION_WRITE_SOURCE);
	CHECK(!region_map_write_end(rm, 3));
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
	CHECK(!region_map_write_end(rm, 2));
	CHECK(region_map_copy_begin(rm, 2, true) == REGION_COPY_BUSY);
	region_map_destroy(rm);
}

static void write_during_copy_is_held_then_released(void)
{
	struct region_map *rm = region_map_create(8, false);
	struct region_waiter w1, w2, other;
	LIST_HEAD(released);

	CHECK(region_map_copy_begin(rm, 5, true) == REGION_COPY_START);
	CHECK(region_map_copy_begin(rm, 5, true) == REGION_COPY_BUSY);
	CHECK(write_begin(rm, &w1, 5, false) == REGION_WRITE_HELD);
	CHECK(write_begin(rm, &w2, 5, false) == REGION_WRITE_HELD);
	/* region 5 + 64 stripes later shares the stripe, not the copy */
	CHECK(region_map_copy_begin(rm, 4, true) == REGION_COPY_START);
	CHECK(write_begin(rm, &other, 4, false) == REGION_WRITE_HELD);

	region_map_copy_end(rm, 5, true, &released);
	CHECK(region_map_is_synced(rm, 5));
	CHECK(region_map_nr_synced(rm) == 1);
	CHECK(released.next == &w1.list);	/* arrival order */
	CHECK(w1.list.next == &w2.list);
	CHECK(w2.list.next == &released);

	CHECK(write_begin(rm, &w1, 5, false) == REGION_WRITE_BOTH);
	CHECK(!region_map_write_end(rm, 5));

	INIT_LIST_HEAD(&released);
	region_map_copy_end(rm, 4, true, &released);
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
	CHECK(region_map_copy_begin(rm, 1, false) == REGION_COPY_BUSY);
	CHECK(write_begin(rm, &held, 1, false) == REGION_WRITE_SOURCE);
	CHECK(!region_map_write_end(rm, 1));
	CHECK(region_map_copy_begin(rm, 1, true) == REGION_COPY_DEFERRED);
	/* New writes are held so the count drains. */
	CHECK(write_begin(rm, &held, 1, false) == REGION_WRITE_HELD);
	CHECK(region_map_copy_begin(rm, 1, true) == REGION_COPY_BUSY);
	CHECK(!region_map_write_end(rm, 1));
	CHECK(region_map_write_end(rm, 1));	/* last one: copy now */
	CHECK(region_map_copy_begin(rm, 1, true) == REGION_COPY_BUSY);
	region_map_copy_end(rm, 1, true, &released);
	CHECK(released.next == &held.list);
	region_map_destroy(rm);
}

static void failed_copy_leaves_region_unsynced(void)
{
	struct region_map *rm = region_map_create(2, false);
	struct region_waiter w;
	LIST_HEAD(released);

	CHECK(region_map_copy_begin(rm, 0, true) == REGION_COPY_START);
	CHECK(write_begin(rm, &w, 0, false) == REGION_WRITE_HELD);
	region_map_copy_end(rm, 0, false, &released);
	CHECK(!region_map_is_synced(rm, 0));
	CHECK(region_map_nr_synced(rm) == 0);
	CHECK(released.next == &w.list);
	CHECK(write_begin(rm, &w, 0, false) == REGION_WRITE_SOURCE);
	CHECK(!region_map_write_end(rm, 0));
	CHECK(region_map_copy_begin(rm, 0, true) == REGION_COPY_START);
	region_map_destroy(rm);
}

static void track_only_write_unsyncs_region(void)
{
	struct region_map *rm = region_map_create(3, true);
	struct region_waiter w;

	CHECK(write_begin(rm, &w, 1, true) == REGION_WRITE_UNSYNCED);
	CHECK(!region_map_is_synced(rm, 1));
	CHECK(!region_map_write_end(rm, 1));
	/* Already out of sync: the next write only goes to the source. */
	CHECK(write_begin(rm, &w, 1, true) == REGION_WRITE_SOURCE);
	CHECK(region_map_nr_synced(rm) == 2);
	CHECK(region_map_next_unsynced(rm, 0) == 1);
	CHECK(region_map_next_unsynced(rm, 2) == 3);
	CHECK(!region_map_write_end(rm, 1));
	region_map_mark_unsynced(rm, 2);
	region_map_mark_unsynced(rm, 2);	/* idempotent */
	CHECK(region_map_nr_synced(rm) == 1);
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
	CHECK(!region_map_write_end(rm, 0));
	CHECK(region_map_writes_in_flight(rm) == 0);
	region_map_thaw(rm, &released);
	CHECK(!list_empty(&released));
	CHECK(released.next == &b.list && b.list.next == &c.list);
	CHECK(write_begin(rm, &d, 5, false) == REGION_WRITE_BOTH);
	CHECK(!region_map_write_end(rm, 5));
	region_map_destroy(rm);
}

static void freeze_keeps_writes_held_by_a_copy(void)
{
	struct region_map *rm = region_map_create(4, false);
	struct region_waiter a, b;
	LIST_HEAD(released);

	CHECK(region_map_copy_begin(rm, 2, true) == REGION_COPY_START);
	CHECK(write_begin(rm, &a, 2, false) == REGION_WRITE_HELD);
	region_map_freeze(rm);
	CHECK(write_begin(rm, &b, 3, false) == REGION_WRITE_HELD);
	region_map_thaw(rm, &released);
	CHECK(released.next == &b.list && b.list.next == &released);
	INIT_LIST_HEAD(&released);
	region_map_copy_end(rm, 2, true, &released);
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
 * A randomised model of the disks: every host write carries a new value
 * that lands on the disks it was routed to when it completes; a copy
 * reads the source when it starts and writes the mirror when it ends.
 * Operations interleave at random.  Once every region is in sync and
 * nothing is in flight, source and mirror must be equal.
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
	unsigned int value;
	bool used, started;
};

struct sim {
	struct region_map *rm;
	unsigned int source[SIM_REGIONS], mirror[SIM_REGIONS];
	struct sim_write writes[SIM_MAX_OPS];
	struct sim_copy copies[SIM_MAX_OPS];
	unsigned int next_value;
	bool corrupt;
};

static void sim_route(struct sim *s, struct sim_write *sw)
{
	sw->route = region_map_write_begin(s->rm, &sw->w, false);
	sw->held = sw->route == REGION_WRITE_HELD;
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

static void sim_complete_write(struct sim *s, struct sim_write *sw)
{
	u64 r = sw->w.region;

	s->source[r] = sw->value;
	if (sw->route == REGION_WRITE_BOTH)
		s->mirror[r] = sw->value;
	sw->used = false;
	if (region_map_write_end(s->rm, r)) {
		struct sim_copy *c = sim_copy_of(s, r);

		if (!c || c->started)
			s->corrupt = true;	/* ready with no deferred copy */
		else
			sim_start_copy(s, c);
	}
}

static void sim_complete_copy(struct sim *s, struct sim_copy *c)
{
	struct region_waiter *w, *tmp;
	LIST_HEAD(released);

	s->mirror[c->region] = c->value;
	c->used = false;
	region_map_copy_end(s->rm, c->region, true, &released);
	list_for_each_entry_safe(w, tmp, &released, list) {
		struct sim_write *sw = container_of(w, struct sim_write, w);

		list_del_init(&w->list);
		sim_route(s, sw);
	}
}

static void sim_new_write(struct sim *s)
{
	int i;

	for (i = 0; i < SIM_MAX_OPS; i++) {
		struct sim_write *sw = &s->writes[i];

		if (sw->used)
			continue;
		sw->used = true;
		sw->value = ++s->next_value;
		sw->w.region = rand() % SIM_REGIONS;
		INIT_LIST_HEAD(&sw->w.list);
		sim_route(s, sw);
		return;
	}
}

static void sim_new_copy(struct sim *s)
{
	u64 r = rand() % SIM_REGIONS;
	int i;

	for (i = 0; i < SIM_MAX_OPS; i++) {
		struct sim_copy *c = &s->copies[i];

		if (c->used)
			continue;
		switch (region_map_copy_begin(s->rm, r, rand() % 4 != 0)) {
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
	int pick = rand() % 4, i = rand() % SIM_MAX_OPS;

	if (allow_new && pick == 0)
		sim_new_write(s);
	else if (allow_new && pick == 1)
		sim_new_copy(s);
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
 * both disks, at every step (not only at the end, where later writes to
 * both disks would hide a lost one).
 */
static void sim_check_in_sync_regions(struct sim *s)
{
	bool inflight[SIM_REGIONS] = { false };
	int i;

	for (i = 0; i < SIM_MAX_OPS; i++)
		if (s->writes[i].used && !s->writes[i].held)
			inflight[s->writes[i].w.region] = true;
	for (i = 0; i < SIM_REGIONS; i++)
		if (region_map_is_synced(s->rm, i) && !inflight[i] &&
		    s->source[i] != s->mirror[i])
			s->corrupt = true;
}

static bool sim_busy(struct sim *s)
{
	int i;

	for (i = 0; i < SIM_MAX_OPS; i++)
		if (s->writes[i].used || s->copies[i].used)
			return true;
	return false;
}

static void randomised_writes_and_copies_keep_disks_equal(void)
{
	int round, step, r;

	for (round = 0; round < 200; round++) {
		struct sim s = { 0 };

		srand(round);
		s.rm = region_map_create(SIM_REGIONS, false);
		for (r = 0; r < SIM_REGIONS; r++)
			s.mirror[r] = 1000000 + r;	/* other data */
		for (step = 0; step < 5000 && !s.corrupt; step++) {
			sim_step(&s, true);
			sim_check_in_sync_regions(&s);
		}
		/* Drain, then copy what is left with no new writes. */
		for (step = 0; sim_busy(&s) && step < 1000000; step++)
			sim_step(&s, false);
		CHECK(!sim_busy(&s));
		while (region_map_nr_synced(s.rm) < SIM_REGIONS && !s.corrupt) {
			sim_new_copy(&s);
			for (step = 0; sim_busy(&s) && step < 1000000; step++)
				sim_step(&s, false);
			sim_check_in_sync_regions(&s);
		}
		CHECK(!s.corrupt);
		for (r = 0; r < SIM_REGIONS; r++)
			CHECK(s.source[r] == s.mirror[r]);
		region_map_destroy(s.rm);
		if (harness_failed_now) {
			printf("  failing seed: %d\n", round);
			break;
		}
	}
}

int main(void)
{
	RUN(unsynced_region_writes_source_only);
	RUN(synced_region_writes_both);
	RUN(write_during_copy_is_held_then_released);
	RUN(copy_waits_for_writes_in_flight);
	RUN(failed_copy_leaves_region_unsynced);
	RUN(track_only_write_unsyncs_region);
	RUN(freeze_holds_every_write_until_thaw);
	RUN(freeze_keeps_writes_held_by_a_copy);
	RUN(bad_sizes_are_refused);
	RUN(randomised_writes_and_copies_keep_disks_equal);
	HARNESS_EXIT();
}
