// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of kernel/intent.c: rule W (a write to a region recorded in
 * sync waits for a commit), rule C (a region is recorded in sync only
 * when not written since a snapshot taken before a flush), the hot cap.
 */
#include "fake/fake_kernel.h"
#include "../../kernel/intent.h"
#include "harness.h"

#define NR	64

/* The region map as the test sets it: in sync, writes in flight. */
static bool synced[NR];
static unsigned int inflight[NR];

static bool idle(void *ctx, u64 region, bool *s)
{
	*s = synced[region];
	return synced[region] && !inflight[region];
}

static struct vmirror_intent *setup(u64 max_hot, bool all_clean)
{
	struct vmirror_intent *in = intent_create(NR, max_hot, idle, NULL);
	int i;

	for (i = 0; i < NR; i++) {
		synced[i] = all_clean;
		inflight[i] = 0;
	}
	if (all_clean)
		intent_load(in, NULL);
	return in;
}

static void issue(void *arg)
{
	inflight[*(u64 *)arg]++;
}

/* A write to @r: issued (true) or parked. */
static bool write(struct vmirror_intent *in, struct region_waiter *w, u64 r)
{
	w->region = r;
	INIT_LIST_HEAD(&w->list);
	return intent_write_begin(in, w, issue, &w->region);
}

static void end(u64 r)
{
	inflight[r]--;
}

static bool clean(struct vmirror_intent *in, u64 r)
{
	return test_bit(r, intent_bits(in));
}

static void write_to_clean_region_waits_for_commit(void)
{
	struct vmirror_intent *in = setup(8, true);
	struct region_waiter w1, w2, w3;
	LIST_HEAD(batch);

	CHECK(!write(in, &w1, 3));
	CHECK(clean(in, 3));
	/* A second write to the same region parks too. */
	CHECK(!write(in, &w2, 3));
	CHECK(intent_take_parked(in, &batch) == 1);
	CHECK(!clean(in, 3));
	CHECK(intent_nr_hot(in) == 1);
	/* Commit in flight: a third write still waits. */
	CHECK(!write(in, &w3, 3));
	intent_commit_done(in, &batch);
	CHECK(!list_empty(&batch));
	/* The third needs no new commit: its bit is already clear on disk. */
	INIT_LIST_HEAD(&batch);
	CHECK(intent_take_parked(in, &batch) == 0);
	CHECK(list_first_entry(&batch, struct region_waiter, list) == &w3);
	intent_commit_done(in, &batch);
	/* Now writes go. */
	CHECK(write(in, &w1, 3));
	end(3);
	/* Other regions are untouched. */
	CHECK(clean(in, 4));
	intent_destroy(in);
}

static void unsynced_region_costs_nothing(void)
{
	struct vmirror_intent *in = setup(8, false);
	struct region_waiter w;

	CHECK(write(in, &w, 5));
	end(5);
	CHECK(intent_nr_hot(in) == 0);
	intent_destroy(in);
}

/* Dirty region 3 of a clean map; the write in flight. */
static void dirty(struct vmirror_intent *in, struct region_waiter *w, u64 r)
{
	LIST_HEAD(batch);

	CHECK(!write(in, w, r));
	CHECK(intent_take_parked(in, &batch) == 1);
	intent_commit_done(in, &batch);
	CHECK(write(in, w, r));
}

static void cleaner_needs_a_quiet_period(void)
{
	struct vmirror_intent *in = setup(8, true);
	struct region_waiter w;

	dirty(in, &w, 3);
	/* In flight: no candidate. */
	CHECK(intent_clean_begin(in, false) == 0);
	end(3);
	/* The snapshot was taken while busy: still none (a new one now). */
	CHECK(intent_clean_begin(in, false) == 0);
	CHECK(intent_clean_begin(in, false) == 1);
	CHECK(intent_clean_end(in, true) == 1);
	intent_destroy(in);

	in = setup(8, true);
	dirty(in, &w, 3);
	end(3);
	/* First pass takes the snapshot, the second records after a flush. */
	CHECK(intent_clean_begin(in, false) == 0);
	CHECK(intent_clean_begin(in, false) == 1);
	CHECK(intent_clean_end(in, true) == 1);
	CHECK(clean(in, 3));
	CHECK(intent_nr_hot(in) == 0);
	intent_destroy(in);
}

static void write_after_snapshot_is_not_cleaned(void)
{
	struct vmirror_intent *in = setup(8, true);
	struct region_waiter w;

	dirty(in, &w, 3);
	end(3);
	CHECK(intent_clean_begin(in, false) == 0);	/* snapshot */
	CHECK(intent_clean_begin(in, false) == 1);
	/* Written during the flush, and completed: not covered. */
	CHECK(write(in, &w, 3));
	end(3);
	CHECK(intent_clean_end(in, true) == 0);
	CHECK(!clean(in, 3));
	/* A failed flush records nothing either. */
	CHECK(intent_clean_begin(in, false) == 1);
	CHECK(intent_clean_end(in, false) == 0);
	CHECK(!clean(in, 3));
	/* A forced pass takes it at once. */
	CHECK(intent_clean_begin(in, true) == 1);
	CHECK(intent_clean_end(in, true) == 1);
	CHECK(clean(in, 3));
	intent_destroy(in);
}

static void forced_pass_skips_busy_and_unsynced(void)
{
	struct vmirror_intent *in = setup(8, true);
	struct region_waiter w1, w2;

	dirty(in, &w1, 1);
	dirty(in, &w2, 2);
	end(2);
	synced[2] = false;
	CHECK(intent_clean_begin(in, true) == 0);
	CHECK(!clean(in, 1) && !clean(in, 2));
	end(1);
	CHECK(intent_clean_begin(in, true) == 1);
	CHECK(intent_clean_end(in, true) == 1);
	CHECK(clean(in, 1) && !clean(in, 2));
	intent_destroy(in);
}

static void hot_cap_holds_new_regions(void)
{
	struct vmirror_intent *in = setup(2, true);
	struct region_waiter w[4];
	LIST_HEAD(batch);

	CHECK(!write(in, &w[0], 0));
	CHECK(!write(in, &w[1], 1));
	CHECK(!write(in, &w[2], 2));
	CHECK(intent_take_parked(in, &batch) == 2);
	CHECK(in->want_clean);
	CHECK(clean(in, 2));
	intent_commit_done(in, &batch);
	/* A hot region that left sync leaves the hot set at the cap. */
	synced[0] = false;
	INIT_LIST_HEAD(&batch);
	CHECK(intent_take_parked(in, &batch) == 1);
	CHECK(!clean(in, 2));
	CHECK(intent_nr_hot(in) == 2);
	intent_commit_done(in, &batch);
	/* At the cap again: a forced pass frees room. */
	CHECK(!write(in, &w[3], 3));
	INIT_LIST_HEAD(&batch);
	CHECK(intent_take_parked(in, &batch) == 0 && list_empty(&batch));
	CHECK(intent_clean_begin(in, true) == 2);
	CHECK(intent_clean_end(in, true) == 2);
	CHECK(!in->want_clean);
	CHECK(intent_take_parked(in, &batch) == 1);
	intent_commit_done(in, &batch);
	intent_destroy(in);
}

static void copier_records_only_unwritten_regions(void)
{
	struct vmirror_intent *in = setup(8, false);
	struct region_waiter w;

	/* Regions 4..7 copied (in sync in memory, as COPIED). */
	synced[4] = synced[5] = synced[6] = synced[7] = true;
	inflight[5] = 1;
	intent_copy_snapshot(in, 4, 4);
	/* Written after the snapshot (6), in flight at it (5). */
	CHECK(write(in, &w, 6));
	end(6);
	end(5);
	CHECK(intent_copy_record(in, 4, 4, true) == 2);
	CHECK(clean(in, 4) && clean(in, 7));
	CHECK(!clean(in, 5) && !clean(in, 6));
	/* The written ones are the cleaner's now. */
	CHECK(intent_nr_hot(in) == 2);
	/* A dropped batch records nothing. */
	synced[8] = true;
	intent_copy_snapshot(in, 8, 1);
	CHECK(intent_copy_record(in, 8, 1, false) == 0);
	CHECK(!clean(in, 8));
	intent_destroy(in);
}

static void cleaning_region_parks_writers(void)
{
	struct vmirror_intent *in = setup(8, true);
	struct region_waiter w;

	dirty(in, &w, 3);
	end(3);
	CHECK(intent_clean_begin(in, true) == 1);
	CHECK(intent_clean_end(in, true) == 1);
	/* Recorded in sync (or about to be): a write waits again. */
	CHECK(!write(in, &w, 3));
	intent_destroy(in);
}

/*
 * Issue 16: rule W for a write spanning regions.  The prefix of regions
 * neither clean nor dirtying is offered to the map, which may take less;
 * the regions it took leave both snapshots; nothing is ever parked.
 */
static unsigned int range_take;	/* the map takes at most this many */
static u64 range_first;

static unsigned int issue_range(void *arg, unsigned int nr)
{
	unsigned int i, k = nr < range_take ? nr : range_take;

	for (i = 0; i < k; i++)
		inflight[range_first + i]++;
	return k;
}

static unsigned int write_range(struct vmirror_intent *in, u64 r,
				unsigned int nr, unsigned int take)
{
	range_first = r;
	range_take = take;
	return intent_write_begin_range(in, r, nr, issue_range, NULL);
}

static void range_write_takes_the_prefix_rule_w_allows(void)
{
	struct vmirror_intent *in = setup(8, true);
	struct region_waiter w, p;
	LIST_HEAD(batch);
	int i;

	/* Every region clean: nothing taken, nothing parked. */
	CHECK(write_range(in, 2, 3, 16) == 0);
	CHECK(list_empty(&in->parked));
	CHECK(inflight[2] == 0);
	/* 2 and 3 dirty (hot), 4 clean: the range stops before 4. */
	dirty(in, &w, 2);
	end(2);
	dirty(in, &w, 3);
	end(3);
	CHECK(write_range(in, 2, 3, 16) == 2);
	CHECK(inflight[2] == 1 && inflight[3] == 1 && inflight[4] == 0);
	CHECK(list_empty(&in->parked));
	end(2);
	end(3);
	/* Written after the cleaner's snapshot: not recorded by its pass. */
	CHECK(intent_clean_begin(in, true) == 2);
	CHECK(write_range(in, 2, 2, 1) == 1);	/* the map took one */
	end(2);
	CHECK(intent_clean_end(in, true) == 1);
	CHECK(!clean(in, 2) && clean(in, 3));
	/* A region dirtying (commit in flight) ends the prefix too. */
	CHECK(!write(in, &p, 5));
	CHECK(intent_take_parked(in, &batch) == 1);
	dirty(in, &w, 6);
	end(6);
	inflight[6] = 0;
	CHECK(write_range(in, 4, 3, 16) == 0);	/* 4 is clean */
	CHECK(!test_bit(4, in->dirtying));
	intent_commit_done(in, &batch);
	CHECK(write_range(in, 5, 2, 16) == 2);
	end(5);
	end(6);
	/* Clipped at the last region. */
	for (i = NR - 2; i < NR; i++) {
		dirty(in, &w, i);
		end(i);
	}
	CHECK(write_range(in, NR - 2, 4, 16) == 2);
	CHECK(write_range(in, NR, 2, 16) == 0);
	intent_destroy(in);
}

int main(void)
{
	RUN(write_to_clean_region_waits_for_commit);
	RUN(range_write_takes_the_prefix_rule_w_allows);
	RUN(unsynced_region_costs_nothing);
	RUN(cleaner_needs_a_quiet_period);
	RUN(write_after_snapshot_is_not_cleaned);
	RUN(forced_pass_skips_busy_and_unsynced);
	RUN(hot_cap_holds_new_regions);
	RUN(copier_records_only_unwritten_regions);
	RUN(cleaning_region_parks_writers);
	HARNESS_EXIT();
}
