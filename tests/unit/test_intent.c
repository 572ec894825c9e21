// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of kernel/intent.c: rule W (a write to a region recorded in
 * sync waits for a commit), rule C (a region is recorded in sync only
 * when not written since a snapshot taken before a flush), the hot cap,
 * allocation failures and the uncapped modes (the sparse sets stay
 * bounded and every answer is conservative), the changed blocks, and a
 * randomised model that checks both rules against a simulated disk.
 */
#include <stdlib.h>

#include "fake/fake_kernel.h"
#include "../../kernel/intent.h"
#include "harness.h"

#define NR	64
/* Regions per metadata block: NR / BLK_BITS blocks. */
#define BLK_BITS	16

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
	struct vmirror_intent *in = intent_create(NR, max_hot, BLK_BITS, idle,
						  NULL);
	int i;

	for (i = 0; i < NR; i++) {
		synced[i] = all_clean;
		inflight[i] = 0;
	}
	if (all_clean)
		intent_load(in, NULL, true);
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


/* An allocation failure while clearing: every write parks until durable. */
static void no_entry_parks_every_write_until_commit(void)
{
	struct vmirror_intent *in = setup(8, true);
	struct region_waiter w1, w2, w3;
	LIST_HEAD(batch);

	synced[9] = false;
	bitmap_zero(in->clean, NR);
	intent_load(in, NULL, true);
	clear_bit(9, in->clean);
	CHECK(!write(in, &w1, 3));
	fake_alloc_fail = 1;
	CHECK(intent_take_parked(in, &batch) == 1);
	fake_alloc_fail = 0;
	CHECK(!clean(in, 3));
	/* No dirtying entry for 3: a write anywhere waits for the commit. */
	CHECK(!write(in, &w2, 3));
	CHECK(!write(in, &w3, 9));
	CHECK(intent_nr_hot(in) == 0 && intent_nr_untracked(in) == 1);
	intent_commit_done(in, &batch);
	INIT_LIST_HEAD(&batch);
	/* Both were cleared by a durable commit: no new commit needed. */
	CHECK(intent_take_parked(in, &batch) == 0);
	intent_commit_done(in, &batch);
	CHECK(write(in, &w1, 3));
	CHECK(write(in, &w2, 9));
	end(3);
	end(9);
	/* Untracked: the cleaner never records it (a later copy may). */
	CHECK(intent_clean_begin(in, true) == 0);
	CHECK(!clean(in, 3));
	CHECK(in->nr_entries == 0);
	intent_destroy(in);
}

/* A failed commit: the regions it was to clear count as recorded again. */
static void failed_commit_keeps_writes_parked(void)
{
	struct vmirror_intent *in = setup(8, true);
	struct region_waiter w1, w2, w3;
	LIST_HEAD(batch);

	CHECK(!write(in, &w1, 3));
	fake_alloc_fail = 1;
	CHECK(!write(in, &w2, 4));
	CHECK(intent_take_parked(in, &batch) == 2);
	fake_alloc_fail = 0;
	intent_commit_failed(in, &batch);
	CHECK(clean(in, 3) && clean(in, 4));
	CHECK(intent_nr_hot(in) == 0 && in->nr_entries == 0);
	CHECK(!in->untracked_commit);
	/* Still parked: they fail while no commit can succeed. */
	CHECK(!write(in, &w3, 3));
	CHECK(!write(in, &w3, 4) || true);
	intent_destroy(in);
}

/*
 * A failed commit sets clean(R) again only for the regions it was to
 * clear: a write that only waited behind it (here: parked during an
 * untracked commit) to a region already recorded not in sync fails with
 * the commit, but its region stays writable (review of the merge).
 */
static void failed_commit_leaves_other_regions_alone(void)
{
	struct vmirror_intent *in = setup(8, true);
	struct region_waiter w, w1, w2, w3;
	LIST_HEAD(batch);
	LIST_HEAD(b2);

	dirty(in, &w, 5);
	end(5);
	CHECK(!clean(in, 5));
	CHECK(!write(in, &w1, 3));
	fake_alloc_fail = 1;
	CHECK(intent_take_parked(in, &batch) == 1);
	fake_alloc_fail = 0;
	/* Untracked commit in flight: the write to hot region 5 parks. */
	CHECK(!write(in, &w2, 5));
	intent_commit_failed(in, &batch);
	CHECK(clean(in, 3));
	/* Nothing to clear for 5; the metadata has failed: it fails too. */
	CHECK(intent_take_parked(in, &b2) == 0);
	CHECK(!w2.cleared);
	intent_commit_failed(in, &b2);
	CHECK(!clean(in, 5));
	CHECK(write(in, &w3, 5));
	end(5);
	CHECK(!write(in, &w3, 3));
	intent_destroy(in);
}

/* Uncapped: no write waits for room, memory stays within the cap. */
static void uncapped_regions_beyond_the_cap_are_untracked(void)
{
	struct vmirror_intent *in = setup(1, true);
	struct region_waiter w[6];
	LIST_HEAD(batch);
	int i;

	intent_set_capped(in, false);
	for (i = 0; i < 6; i++)
		CHECK(!write(in, &w[i], 10 + i));
	CHECK(intent_take_parked(in, &batch) == 6);
	CHECK(!in->want_clean);
	CHECK(intent_nr_hot(in) == 2 && intent_nr_untracked(in) == 4);
	/* Dirtying for all six while the commit is in flight... */
	CHECK(in->nr_entries == 6);
	for (i = 0; i < 6; i++)
		CHECK(!clean(in, 10 + i));
	intent_commit_done(in, &batch);
	/* ... then only the hot ones keep an entry. */
	CHECK(in->nr_entries == 2);
	for (i = 0; i < 6; i++) {
		CHECK(write(in, &w[i], 10 + i));
		end(10 + i);
	}
	/* Capped again: the hot ones are cleaned, the others stay not clean. */
	intent_set_capped(in, true);
	CHECK(intent_clean_begin(in, true) == 2);
	CHECK(intent_clean_end(in, true) == 2);
	CHECK(clean(in, 10) + clean(in, 11) + clean(in, 12) + clean(in, 13) +
	      clean(in, 14) + clean(in, 15) == 2);
	CHECK(in->nr_entries == 0);
	intent_destroy(in);
}

/* The copier's snapshot without memory records nothing. */
static void copier_snapshot_without_entries_records_nothing(void)
{
	struct vmirror_intent *in = setup(8, false);

	synced[20] = synced[21] = true;
	fake_alloc_fail = 1;
	intent_copy_snapshot(in, 20, 2);
	fake_alloc_fail = 0;
	CHECK(intent_copy_record(in, 20, 2, true) == 0);
	CHECK(!clean(in, 20) && !clean(in, 21));
	/* In sync, not recorded: the cleaner's. */
	CHECK(intent_nr_hot(in) == 2);
	CHECK(intent_clean_begin(in, true) == 2);
	CHECK(intent_clean_end(in, true) == 2);
	CHECK(clean(in, 20) && clean(in, 21));
	CHECK(in->nr_entries == 0);
	intent_destroy(in);
}

/* Every change of a bit marks its block for the next commit, once. */
static void commits_write_changed_blocks(void)
{
	struct vmirror_intent *in = setup(8, true);
	const unsigned long *b;
	struct region_waiter w;
	LIST_HEAD(batch);

	b = intent_take_changed(in);
	CHECK(find_next_bit(b, in->nr_blocks, 0) == in->nr_blocks);
	intent_changed_done(in, true);
	CHECK(!write(in, &w, 3 * BLK_BITS + 1));
	CHECK(intent_take_parked(in, &batch) == 1);
	b = intent_take_changed(in);
	CHECK(find_next_bit(b, in->nr_blocks, 0) == 3);
	CHECK(find_next_bit(b, in->nr_blocks, 4) == in->nr_blocks);
	/* Not written: the next commit writes it. */
	intent_changed_done(in, false);
	b = intent_take_changed(in);
	CHECK(test_bit(3, b));
	intent_changed_done(in, true);
	b = intent_take_changed(in);
	CHECK(!test_bit(3, b));
	intent_changed_done(in, true);
	intent_commit_done(in, &batch);
	/* A load of bits not on the device marks every block. */
	intent_load(in, NULL, false);
	b = intent_take_changed(in);
	CHECK(find_next_zero_bit(b, in->nr_blocks, 0) == in->nr_blocks);
	intent_changed_done(in, true);
	intent_destroy(in);
}

/*
 * A randomised model: host writes, the rule W commit (in two steps, with
 * anything in between), the cleaner, the copier, commits that fail,
 * allocation failures and the cap switched on and off, interleaved at
 * random, against a simulated metadata device and flushes.  Checked:
 * rule W (a write is issued only while b(R) = 0 on disk) and rule C
 * (b(R) = 1 reaches the disk only for a region in sync, no write in
 * flight, every write to it completed before a flush that has ended), and
 * that memory stays bounded and everything drains at the end.
 */
#define MW	64	/* model writes */

static bool clean_bit_of(u64 r);
static bool disk[NR];		/* b(R) on the simulated device */
static long stamp[NR];		/* epoch of the last write's completion */
static long epoch;		/* flushes issued */
static long durable;		/* writes completed at epoch <= this are flushed */
static bool md_failed;
static int model_errors;

static void model_issue(void *arg)
{
	u64 r = *(u64 *)arg;

	/* Rule W. */
	if (disk[r] || clean_bit_of(r)) {
		printf("  rule W: write to %llu issued while recorded\n",
		       (unsigned long long)r);
		model_errors++;
	}
	inflight[r]++;
	/* Tracked (fractured) or async: the write takes it out of sync. */
	if (rand() % 4 == 0)
		synced[r] = false;
}

static void model_commit(struct vmirror_intent *in, bool fail)
{
	const unsigned long *b = intent_take_changed(in);
	u64 r;

	if (fail || md_failed) {
		md_failed = true;
		intent_changed_done(in, false);
		return;
	}
	for (r = 0; r < NR; r++) {
		bool v;

		if (!test_bit(r / BLK_BITS, b))
			continue;
		v = clean(in, r);
		/* Rule C. */
		if (v && !disk[r] && (!synced[r] || inflight[r] ||
				      stamp[r] > durable)) {
			printf("  rule C: %llu recorded: synced %d inflight %u stamp %ld durable %ld\n",
			       (unsigned long long)r, synced[r], inflight[r],
			       stamp[r], durable);
			model_errors++;
		}
		disk[r] = v;
	}
	intent_changed_done(in, true);
}

static struct vmirror_intent *model_in;

static bool clean_bit_of(u64 r)
{
	return test_bit(r, intent_bits(model_in));
}

struct mwrite {
	struct region_waiter w;
	int state;	/* 0 free, 1 parked, 2 in flight, 3 in the batch */
};

static void model_write(struct vmirror_intent *in, struct mwrite *m, u64 r)
{
	m->w.region = r;
	INIT_LIST_HEAD(&m->w.list);
	m->state = intent_write_begin(in, &m->w, model_issue, &m->w.region) ?
		   2 : 1;
}

/*
 * Rule W, step 2, as vmirror_md_work(): the batch's commit is durable (or
 * has failed), its writes are admitted again (or fail).
 */
static void model_settle(struct vmirror_intent *in, struct list_head *batch,
			 bool md_failed)
{
	struct region_waiter *w, *tmp;

	if (md_failed)
		intent_commit_failed(in, batch);
	else
		intent_commit_done(in, batch);
	list_for_each_entry_safe(w, tmp, batch, list) {
		struct mwrite *m = container_of(w, struct mwrite, w);

		list_del_init(&w->list);
		if (md_failed)
			m->state = 0;
		else
			model_write(in, m, w->region);
	}
}

static void model_end(struct mwrite *m)
{
	u64 r = m->w.region;

	inflight[r]--;
	stamp[r] = epoch;
	/* A write to a region not yet copied leaves it out of sync. */
	m->state = 0;
}

/*
 * A flush issued now (right after a snapshot, as the target does): what
 * completed before it is durable once it ends (model_flush_end()).
 */
static long model_flush(void)
{
	return epoch++;
}

static void model_flush_end(long cover)
{
	if (cover > durable)
		durable = cover;
}

static void randomised_model_keeps_rules(void)
{
	static struct mwrite mw[MW];
	struct vmirror_intent *in;
	LIST_HEAD(batch);
	bool batch_open = false, clean_open = false;
	u64 copy_r = 0, copy_n = 0;
	long clean_cover = 0, copy_cover = 0;
	int iter, seed, i, k;

	for (seed = 1; seed <= 200; seed++) {
		srand(seed);
		in = setup(4, seed & 1);
		model_in = in;
		for (i = 0; i < NR; i++) {
			disk[i] = clean(in, i);
			stamp[i] = -1;
		}
		epoch = 1;
		durable = 0;
		md_failed = false;
		memset(mw, 0, sizeof(mw));
		INIT_LIST_HEAD(&batch);
		batch_open = clean_open = false;
		copy_n = 0;
		for (iter = 0; iter < 3000; iter++) {
			int op = rand() % 12;

			fake_alloc_fail = rand() % 8 == 0;
			switch (op) {
			case 0: case 1: case 2:	/* a new write */
				k = rand() % MW;
				if (mw[k].state == 0)
					model_write(in, &mw[k], rand() % NR);
				break;
			case 3: case 4:	/* a write completes */
				k = rand() % MW;
				if (mw[k].state == 2)
					model_end(&mw[k]);
				break;
			case 5:	/* rule W, step 1: clear the parked writes' bits */
				if (batch_open)
					break;
				intent_set_capped(in, !md_failed && rand() % 4);
				intent_take_parked(in, &batch);
				batch_open = true;
				break;
			case 6:	/* rule W, step 2: commit, admit or fail them */
				if (!batch_open)
					break;
				model_commit(in, rand() % 50 == 0);
				model_settle(in, &batch, md_failed);
				batch_open = false;
				break;
			case 7:	/* the cleaner: a pass starts */
				if (clean_open || md_failed)
					break;
				clean_open = intent_clean_begin(in, rand() & 1);
				clean_cover = model_flush();
				break;
			case 8:	/* the cleaner: its flush ends, it records */
				if (!clean_open)
					break;
				model_flush_end(clean_cover);
				if (intent_clean_end(in, rand() % 10))
					model_commit(in, false);
				clean_open = false;
				break;
			case 9:	/* the copier copies a region (idle, out of sync) */
				k = rand() % NR;
				if (!synced[k] && !inflight[k]) {
					synced[k] = true;
					stamp[k] = epoch;	/* the copy's write */
				}
				break;
			case 10:	/* the copier: a batch is about to be flushed */
				if (copy_n)
					break;
				copy_r = rand() % NR;
				copy_n = 1 + rand() % 8;
				if (copy_r + copy_n > NR)
					copy_n = NR - copy_r;
				intent_copy_snapshot(in, copy_r, copy_n);
				copy_cover = model_flush();
				break;
			case 11:	/* the copier: the flush ended */
				if (!copy_n)
					break;
				model_flush_end(copy_cover);
				if (intent_copy_record(in, copy_r, copy_n,
						       !md_failed && rand() % 10))
					model_commit(in, false);
				copy_n = 0;
				break;
			}
			/* Bounded: the hot cap, a batch, the writes. */
			CHECK(in->nr_entries <= 2 * 4 + 8 + MW);
			CHECK(in->nr_hot <= 2 * 4);
		}
		fake_alloc_fail = 0;
		/* Drain: end everything; nothing stays parked unless failed. */
		if (clean_open)
			intent_clean_end(in, false);
		if (copy_n)
			intent_copy_record(in, copy_r, copy_n, false);
		for (i = 0; i < 20; i++) {
			for (k = 0; k < MW; k++)
				if (mw[k].state == 2)
					model_end(&mw[k]);
			if (!batch_open) {
				intent_set_capped(in, !md_failed);
				intent_take_parked(in, &batch);
			}
			model_commit(in, false);
			model_settle(in, &batch, md_failed);
			batch_open = false;
			if (!md_failed && intent_clean_begin(in, true)) {
				model_flush_end(model_flush());
				if (intent_clean_end(in, true))
					model_commit(in, false);
			}
		}
		for (k = 0; k < MW; k++)
			if (mw[k].state == 2)
				model_end(&mw[k]);
		CHECK(list_empty(&in->parked) || md_failed);
		CHECK(!in->untracked_commit);
		CHECK(model_errors == 0);
		if (model_errors) {
			printf("  seed %d\n", seed);
			intent_destroy(in);
			return;
		}
		intent_destroy(in);
	}
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
	RUN(no_entry_parks_every_write_until_commit);
	RUN(failed_commit_keeps_writes_parked);
	RUN(failed_commit_leaves_other_regions_alone);
	RUN(uncapped_regions_beyond_the_cap_are_untracked);
	RUN(copier_snapshot_without_entries_records_nothing);
	RUN(commits_write_changed_blocks);
	RUN(randomised_model_keeps_rules);
	HARNESS_EXIT();
}
