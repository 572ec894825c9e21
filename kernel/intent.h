/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The write-intent bookkeeping of dm-vmirror with a metadata device
 * (Documentation/vmirror.rst, "Persistence"): which regions are recorded
 * in sync on disk, which host writes wait for a commit, which regions are
 * hot and which may be recorded in sync again.  Pure logic, no I/O: the
 * target does the flushes and the commits, and tells this file when they
 * are done.  Unit-tested in userspace (tests/unit/test_intent.c).
 *
 * The on-disk bit b(R) (1: R is in sync and every write to R ever issued
 * is complete and flushed on both legs) is @clean here.  Two rules:
 *
 *   W  A host write to R is not issued while clean(R) is set, or while a
 *      commit that clears it is in flight (dirtying(R)).  It is parked;
 *      intent_take_parked() clears clean(R) for the commit, and
 *      intent_commit_done() lets the writes go once it is durable.
 *   C  clean(R) is set only for a region that was "idle" (in sync or
 *      copied, no write in flight) at a snapshot, was not written since
 *      (intent_write_begin() clears the snapshot bit), and only after a
 *      flush of both legs issued after the snapshot has completed.
 *
 * Two snapshots exist: the cleaner's (CAND, hot regions) and the
 * copier's (CCAND, the regions of a batch about to be flushed), so that
 * one never records a region the other's flush does not cover.
 *
 * Memory (Documentation/vmirror.rst, "Regions"): @clean is the only
 * bitmap over every region (1 bit per region).  Hot, dirtying and the two
 * snapshots are sparse: flags of a &struct intent_entry, in a hash of
 * fixed size, for the regions that have one of them; an entry is freed
 * when its last flag goes.  They are bounded: HOT by twice @max_hot (the
 * cap for new writes, and as much again for copied regions left to the
 * cleaner; beyond, a region is cleared without becoming hot, below),
 * CAND by HOT,
 * DIRTYING by the regions of the one commit in flight, CCAND by the
 * copier's batch.  Entries come from a mempool with GFP_NOWAIT (the
 * spinlock is irq-safe); intent_write_begin() never allocates.  If none
 * is to be had, the answer is always the conservative one:
 *
 *   DIRTYING  intent_take_parked() clears the region anyway and sets
 *             @untracked_commit: until that commit is durable (or has
 *             failed), every host write parks (rule W for all regions).
 *   HOT       the region is cleared but not hot: "untracked".  The
 *             cleaner never records it in sync again (only a later copy
 *             does), so it is copied again after a crash or a restart.
 *             Never data: b(R) = 0 is always safe.  Counted in
 *             @nr_untracked.
 *   CCAND     the region is not in the copier's snapshot: not recorded
 *             by this batch (it becomes hot, or untracked, as above).
 *
 * The same holds when the hot set is full without a cap (uncapped modes,
 * intent_set_capped()): a region cleared beyond twice @max_hot hot ones
 * is untracked, so memory stays bounded whatever the host writes.
 *
 * A commit writes only the metadata blocks whose bits changed: @changed
 * has one bit per block of @blk_bits regions, set under @lock with every
 * change of @clean; intent_take_changed() hands them to the commit.
 *
 * Lock order: vmirror->md_lock -> intent->lock -> region map stripe locks
 * (the @idle callback and the caller's region_map_write_begin() take
 * them).  intent->lock is irq-safe: intent_write_begin() runs on the bio
 * path.
 */
#ifndef DM_VMIRROR_INTENT_H
#define DM_VMIRROR_INTENT_H

#include <linux/list.h>
#include <linux/mempool.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "region-map.h"

/*
 * At most this many regions are hot (recorded not in sync only because of
 * recent writes): the bound of what a crash of a synchronized pair copies
 * again, VMIRROR_HOT_MAX * region size.
 */
#define VMIRROR_HOT_MAX		4096

/**
 * typedef intent_idle_fn - whether a region may be recorded in sync
 * @ctx: the caller's
 * @region: the region
 * @synced: set to whether the region is in sync (or copied, waiting for
 *	the mirror flush that makes it so) in memory
 *
 * Called with intent->lock held.
 * Return: true if *@synced and no host write to it is in flight or held.
 */
typedef bool (*intent_idle_fn)(void *ctx, u64 region, bool *synced);

/* Hash buckets of struct intent_entry (32 KiB of heads on 64-bit). */
#define INTENT_HASH_BITS	12
#define INTENT_HASH_BUCKETS	BIT(INTENT_HASH_BITS)

/**
 * struct vmirror_intent - the write-intent state of one association
 * @lock: protects everything below
 * @nr_regions: regions of the association
 * @max_hot: the hot cap (VMIRROR_HOT_MAX, smaller in tests)
 * @nr_hot: regions with INTENT_HOT
 * @nr_entries: entries in @hash
 * @nr_untracked: regions cleared without an entry (or beyond the hot cap
 *	while uncapped): never recorded in sync by the cleaner (intent.h)
 * @blk_bits: regions per metadata bitmap block
 * @nr_blocks: metadata bitmap blocks
 * @clean: b(R) as the next commit records it: set only under rule C,
 *	cleared by intent_take_parked(); both under @lock only (not
 *	vmirror->md_lock), while a commit may be reading it (intent_bits())
 * @changed: blocks of @clean changed since intent_take_changed()
 * @committing: the blocks intent_take_changed() handed out
 * @hash: &struct intent_entry of the regions hot, dirtying or in a
 *	snapshot
 * @entries: their mempool
 * @parked: writes waiting for a commit (&struct region_waiter)
 * @want_clean: writes wait for the hot count to drop below the cap
 * @capped: the cap applies (only while the cleaner can record regions)
 * @untracked_commit: the commit in flight clears a region that has no
 *	entry (so no INTENT_DIRTYING): every write parks until it is done
 * @idle: the region test, see intent_idle_fn
 * @ctx: its argument
 */
struct vmirror_intent {
	spinlock_t lock;		/* protects all below */
	u64 nr_regions;
	u64 max_hot;
	u64 nr_hot;
	u64 nr_entries;
	u64 nr_untracked;
	u64 blk_bits;
	u64 nr_blocks;
	unsigned long *clean;
	unsigned long *changed;
	unsigned long *committing;
	struct hlist_head *hash;
	mempool_t *entries;
	struct list_head parked;
	bool want_clean;
	bool capped;
	bool untracked_commit;
	intent_idle_fn idle;
	void *ctx;
};

/**
 * intent_create() - allocate the bookkeeping, no region recorded in sync
 * @nr_regions: regions
 * @max_hot: the hot cap
 * @blk_bits: regions per metadata bitmap block (a multiple of
 *	BITS_PER_LONG): what intent_take_changed() counts in
 * @idle: the region test
 * @ctx: its argument
 *
 * Context: may sleep.
 * Return: the object, or NULL.
 */
struct vmirror_intent *intent_create(u64 nr_regions, u64 max_hot,
				     u64 blk_bits, intent_idle_fn idle,
				     void *ctx);

/**
 * intent_destroy() - free it
 * @in: the object, or NULL; no write parked
 */
void intent_destroy(struct vmirror_intent *in);

/**
 * intent_set_idle() - point the region test at another owner
 * @in: the object (a reload hands it over)
 * @idle: the region test
 * @ctx: its argument
 */
void intent_set_idle(struct vmirror_intent *in, intent_idle_fn idle,
		     void *ctx);

/**
 * intent_load() - the regions recorded in sync
 * @in: the object, before any write
 * @bits: bit set: b(R) = 1; NULL: every region
 * @on_disk: the metadata device holds exactly @bits; false: every block
 *	is written by the next commit
 *
 * Context: may sleep.
 */
void intent_load(struct vmirror_intent *in, const unsigned long *bits,
		 bool on_disk);

/**
 * intent_bits() - what a commit records
 * @in: the object
 *
 * Read it while committing: a bit set at any time is already true (rule
 * C), and a write waits for a commit that began after its bit was
 * cleared (intent_take_parked(), then the commit, then
 * intent_commit_done()), so a commit that reads a bit a moment before it
 * is cleared covers no write.
 *
 * Return: the @clean bitmap.
 */
const unsigned long *intent_bits(const struct vmirror_intent *in);

/**
 * intent_take_changed() - the blocks a commit must write
 * @in: the object
 *
 * Called by the committer (one at a time: vmirror->md_lock) before it
 * reads intent_bits(): a bit changed after this marks its block for the
 * next commit, so no change is ever missed.  End with
 * intent_changed_done().
 *
 * Return: a bitmap of @in->nr_blocks bits, valid until
 * intent_changed_done().
 */
const unsigned long *intent_take_changed(struct vmirror_intent *in);

/**
 * intent_changed_done() - the commit after intent_take_changed() ended
 * @in: the object
 * @written: the blocks it was handed are on disk; false: they are
 *	written by the next commit
 */
void intent_changed_done(struct vmirror_intent *in, bool written);

/**
 * typedef intent_issue_fn - count a write in flight
 * @arg: the caller's
 *
 * Called with intent->lock held: the write is counted in flight
 * (region_map_write_begin()) before the cleaner's next snapshot.
 */
typedef void (*intent_issue_fn)(void *arg);

/**
 * intent_write_begin() - rule W for a host write to w->region
 * @in: the object
 * @w: the write
 * @issue: called under @in->lock if the write may go
 * @arg: its argument
 *
 * Return: true if the write may go (@issue was called), false if it is
 * parked: a commit must be scheduled.
 */
bool intent_write_begin(struct vmirror_intent *in, struct region_waiter *w,
			intent_issue_fn issue, void *arg);

/**
 * typedef intent_issue_range_fn - count a write to several regions in flight
 * @arg: the caller's
 * @nr: the regions from the write's first one that rule W lets go
 *
 * Called with intent->lock held, as &intent_issue_fn.
 * Return: the number of regions counted in flight, a prefix: 0 to @nr.
 */
typedef unsigned int (*intent_issue_range_fn)(void *arg, unsigned int nr);

/**
 * intent_write_begin_range() - rule W for a host write spanning regions
 * @in: the object
 * @region: the write's first region
 * @nr: the regions it spans
 * @issue: called under @in->lock with the length of the prefix of the
 *	range whose regions rule W lets go (neither clean nor dirtying), if
 *	that is not 0
 * @arg: its argument
 *
 * Never parks: a write whose first region would be parked is left to
 * intent_write_begin(), one region.  The regions @issue counted leave
 * both snapshots, as with intent_write_begin().
 *
 * Return: what @issue returned, or 0 if it was not called.
 */
unsigned int intent_write_begin_range(struct vmirror_intent *in, u64 region,
				      unsigned int nr,
				      intent_issue_range_fn issue, void *arg);

/**
 * intent_take_parked() - the parked writes a dirtying commit can admit
 * @in: the object
 * @batch: filled with the writes to re-issue once the commit is durable
 *
 * Clears clean(R) of their regions (which become hot and dirtying), up
 * to the hot cap; writes beyond it stay parked and @in->want_clean is set.
 * Regions found hot but no longer in sync leave the hot set first (the
 * copy records them).  Uncapped, or without an entry, a region is cleared
 * anyway, untracked (see the top of this file).  One batch at a time:
 * intent_commit_done() or intent_commit_failed() ends it.
 *
 * Return: the number of regions whose bit was cleared: 0 means no commit
 * is needed before @batch may go.
 */
u64 intent_take_parked(struct vmirror_intent *in, struct list_head *batch);

/**
 * intent_set_capped() - whether the hot cap applies
 * @in: the object
 * @capped: true while the cleaner can record regions in sync (both legs
 *	written); false otherwise, so that writes never wait for a pass
 *	that cannot free room (they are tracked anyway)
 */
void intent_set_capped(struct vmirror_intent *in, bool capped);

/**
 * intent_commit_done() - the commit after intent_take_parked() is durable
 * @in: the object
 * @batch: the writes it admitted
 */
void intent_commit_done(struct vmirror_intent *in, struct list_head *batch);

/**
 * intent_has_parked() - whether writes wait for a commit
 * @in: the object
 *
 * Return: true if a write is parked (intent_take_parked() has work).
 */
bool intent_has_parked(struct vmirror_intent *in);

/**
 * intent_commit_failed() - the commit after intent_take_parked() failed
 * @in: the object
 * @batch: the writes it was to admit (they fail)
 *
 * The regions that commit was to clear (&struct region_waiter.cleared)
 * may be recorded in sync on disk or not: clean(R) is set again, so every
 * later write to them parks, and fails while no commit can succeed (a
 * metadata failure is for the life of the handle).  The other writes of
 * the batch waited behind a commit of their region already durable: their
 * regions stay recorded not in sync, and writes to them go on.
 */
void intent_commit_failed(struct vmirror_intent *in, struct list_head *batch);

/**
 * intent_nr_hot() - regions hot now
 * @in: the object
 *
 * Return: the count.
 */
u64 intent_nr_hot(struct vmirror_intent *in);

/**
 * intent_nr_untracked() - regions cleared without being tracked as hot
 * @in: the object
 *
 * Return: the count since intent_create() (each is copied again after a
 * restart, see the top of this file).
 */
u64 intent_nr_untracked(struct vmirror_intent *in);

/**
 * intent_clean_begin() - the start of a cleaner pass
 * @in: the object
 * @forced: take every idle hot region now (suspend, hot cap), instead of
 *	those not written since the last pass
 *
 * A pass records the regions of the snapshot after a flush of both legs
 * (intent_clean_end()).  With no candidate, a snapshot is taken for the
 * next pass and there is nothing to flush.
 *
 * Return: the number of candidates; 0: skip the flush and intent_clean_end().
 */
u64 intent_clean_begin(struct vmirror_intent *in, bool forced);

/**
 * intent_clean_end() - a flush of both legs issued after the snapshot
 *	has ended
 * @in: the object
 * @flushed: it succeeded; else nothing is recorded
 *
 * Sets clean(R) for the candidates not written since, still idle; they
 * leave the hot set.  Takes the snapshot of the next pass.
 *
 * Return: the number of regions set: a commit is needed if not 0.
 */
u64 intent_clean_end(struct vmirror_intent *in, bool flushed);

/**
 * intent_copy_snapshot() - the copier is about to flush a batch
 * @in: the object
 * @region: first region of a range of the batch
 * @nr: regions in the range
 *
 * Before the mirror flush is issued; each copy of the range has ended.
 */
void intent_copy_snapshot(struct vmirror_intent *in, u64 region, u64 nr);

/**
 * intent_copy_record() - the flushes after intent_copy_snapshot() ended
 * @in: the object
 * @region: first region of the range
 * @nr: regions in the range
 * @flushed: the mirror and the source were flushed; false: drop the
 *	snapshot, record nothing
 *
 * Sets clean(R) for the range's regions not written since the snapshot
 * and idle; the others, in sync in memory, become hot (the cleaner
 * records them).
 *
 * Return: the number of regions set.
 */
u64 intent_copy_record(struct vmirror_intent *in, u64 region, u64 nr,
		       bool flushed);

#endif /* DM_VMIRROR_INTENT_H */
