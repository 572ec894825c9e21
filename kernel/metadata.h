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
 * vmirror_md_open() - open, check, and if new format, a metadata device
 * @bdev: the device
 * @geo: the association of the table line
 * @nosync: a new association starts with every region in sync
 * @now_ns: CLOCK_REALTIME, recorded at format
 * @sb: filled in with the current superblock
 * @err: on failure, a one-line reason for ti->error
 * @errlen: room in @err
 *
 * A device that reads all zeroes over the whole size the association
 * needs is formatted (bitmap, then superblock, flushed).  Anything else
 * that is not this association's metadata is refused, and nothing is
 * written to the device then.
 *
 * Return: the handle, or an ERR_PTR().
 */
struct vmirror_md *vmirror_md_open(struct block_device *bdev,
				   const struct vmirror_md_geometry *geo,
				   bool nosync, u64 now_ns,
				   struct vmirror_md_sb *sb, char *err,
				   size_t errlen);

/**
 * vmirror_md_formatted() - whether vmirror_md_open() formatted the device
 * @md: the handle
 *
 * Return: true for a new association.
 */
bool vmirror_md_formatted(const struct vmirror_md *md);

/**
 * vmirror_md_bad_blocks() - bitmap blocks that failed their checks at open
 * @md: the handle
 *
 * Return: their number (their regions read as not in sync).
 */
u64 vmirror_md_bad_blocks(const struct vmirror_md *md);

/**
 * vmirror_md_get_bits() - the in-sync bitmap as read at open
 * @md: the handle
 * @dst: bitmap of the association's number of regions, overwritten
 */
void vmirror_md_get_bits(const struct vmirror_md *md, unsigned long *dst);

/**
 * vmirror_md_commit() - make a state and a bitmap durable
 * @md: the handle
 * @st: the state for the next superblock
 * @synced: the bitmap to record (b(R), intent.h); bits may be set (never
 *	cleared) while it is written
 *
 * Bitmap blocks that changed are written and flushed first (one flush),
 * then the next superblock copy (one flush).  After a failure every
 * later commit fails.
 *
 * Return: 0 or -EIO.
 */
int vmirror_md_commit(struct vmirror_md *md, const struct vmirror_md_state *st,
		      const unsigned long *synced);

/**
 * vmirror_md_close() - release a handle; writes nothing
 * @md: the handle, or NULL
 */
void vmirror_md_close(struct vmirror_md *md);

#endif /* DM_VMIRROR_METADATA_H */
