/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The metadata device of dm-vmirror (table argument metadata_dev): the
 * on-disk format of metadata-format.h read and written through dm-bufio.
 * It knows superblocks and bitmap blocks, not the target: the caller
 * hands it the state to commit and the in-sync bitmap of its region map.
 * Calls on one handle must be serialised by the caller; all may sleep.
 */
#ifndef DM_VMIRROR_METADATA_H
#define DM_VMIRROR_METADATA_H

#include <linux/blkdev.h>
#include <linux/types.h>

#include "metadata-format.h"

struct vmirror_md;

/**
 * struct vmirror_md_state - what a commit records besides the bitmap
 * @copy_state: VMIRROR_COPY_STATE_* (not SUSPENDED)
 * @flags: VMIRROR_MD_*
 * @sync_time_ns: CLOCK_REALTIME of the last synchronization, 0 if never
 * @bytes_copied: bytes copied so far
 */
struct vmirror_md_state {
	u16 copy_state;
	u32 flags;
	u64 sync_time_ns;
	u64 bytes_copied;
};

/**
 * vmirror_md_open() - open and check a metadata device; writes nothing
 * @bdev: the device
 * @geo: the association of the table line
 * @sb: filled in with the current superblock (only @sb->geo for a new
 *	device)
 * @err: on failure, a one-line reason for ti->error
 * @errlen: room in @err
 *
 * A device with no superblock (or only that of a format that never
 * completed) whose other blocks, over the whole size the association
 * needs, are blank (vmirror_md_block_blank()) is new: vmirror_md_format()
 * writes it.  Anything else that is not this association's metadata, or
 * was detached from it, is refused.
 *
 * Return: the handle, or an ERR_PTR().
 */
struct vmirror_md *vmirror_md_open(struct block_device *bdev,
				   const struct vmirror_md_geometry *geo,
				   struct vmirror_md_sb *sb, char *err,
				   size_t errlen);

/**
 * vmirror_md_formatted() - whether the device is a new association
 * @md: the handle
 *
 * Return: true if vmirror_md_open() found a new device (formatted by
 * vmirror_md_format(), or to be).
 */
bool vmirror_md_formatted(const struct vmirror_md *md);

/**
 * vmirror_md_format() - write a new association onto a new device
 * @md: the handle of a new device (vmirror_md_formatted())
 * @nosync: a new association starts with every region in sync
 * @now_ns: CLOCK_REALTIME, recorded at format
 * @sb: filled in with the superblock written
 *
 * Called at the table's first preresume: a table refused or dropped
 * before it is resumed writes nothing.  The bitmap is written and
 * flushed, then superblock copy A: a format that stops half way leaves a
 * device that vmirror_md_open() still finds new.
 *
 * Return: 0 or a negative errno.
 */
int vmirror_md_format(struct vmirror_md *md, bool nosync, u64 now_ns,
		      struct vmirror_md_sb *sb);

/**
 * vmirror_md_bad_blocks() - bitmap blocks that failed their checks at open
 * @md: the handle
 *
 * Return: their number (their regions read as not in sync).
 */
u64 vmirror_md_bad_blocks(const struct vmirror_md *md);

/**
 * vmirror_md_get_bits() - the in-sync bitmap as read at open
 * @md: the handle, not formatted; once only: the handle keeps no copy of
 *	the bitmap after this (nor after vmirror_md_format())
 * @dst: bitmap of the association's number of regions, overwritten
 */
void vmirror_md_get_bits(struct vmirror_md *md, unsigned long *dst);

/**
 * vmirror_md_commit() - make a state and a bitmap durable
 * @md: the handle
 * @st: the state for the next superblock
 * @synced: the bitmap to record (b(R), intent.h); bits may be set or
 *	cleared while it is read (intent.h, intent_bits(), says why either
 *	is safe)
 * @blocks: the bitmap blocks to write (one bit per block): those whose
 *	bits changed since the last commit (intent_take_changed())
 *
 * The bitmap blocks of @blocks are written and flushed first (one flush).
 * If @st differs from the last superblock (or only one copy is valid:
 * after the format, or a load that fell back), the next superblock copy
 * follows (one flush); a new copy_state
 * is written to both copies (two superblock writes), so that one corrupt
 * copy cannot bring an older state back.  A commit of bits alone writes
 * no superblock: bitmap blocks are checked by their own checksum and
 * number, and no superblock field depends on them.  After a failure every
 * later commit fails.
 *
 * Return: 0 or -EIO.
 */
int vmirror_md_commit(struct vmirror_md *md, const struct vmirror_md_state *st,
		      const unsigned long *synced, const unsigned long *blocks);

/**
 * vmirror_md_detach() - mark the device detached from its association
 * @md: the handle
 *
 * The association goes on elsewhere (a reload onto another metadata
 * device, or none): both superblock copies get VMIRROR_MD_DETACHED, so no
 * later table trusts this device's stale state.  Commit nothing to @md
 * after this.
 *
 * Return: 0 or -EIO.
 */
int vmirror_md_detach(struct vmirror_md *md);

/**
 * vmirror_md_close() - release a handle; writes nothing
 * @md: the handle, or NULL
 */
void vmirror_md_close(struct vmirror_md *md);

#endif /* DM_VMIRROR_METADATA_H */
