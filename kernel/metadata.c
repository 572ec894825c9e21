// SPDX-License-Identifier: GPL-2.0-only
/*
 * The metadata device of dm-vmirror, read and written with dm-bufio (the
 * block cache of device-mapper, as dm-verity, dm-integrity and the
 * persistent-data library use it).  persistent-data itself is not used:
 * its headers are not shipped with the kernel's development files, and a
 * flat bitmap with two superblock copies needs no B-trees.
 */

#include <linux/bitmap.h>
#include <linux/device-mapper.h>
#include <linux/dm-bufio.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/uuid.h>

#include "../uapi/linux/dm-vmirror.h"
#include "metadata.h"

#define DM_MSG_PREFIX "vmirror"

/* Blocks written between two waits while formatting (bounds the cache). */
#define VMIRROR_MD_FORMAT_BATCH	256

struct vmirror_md {
	struct dm_bufio_client *bufio;
	struct block_device *bdev;	/* for the log */
	struct vmirror_md_sb sb;	/* the last committed superblock */
	u64 nr_blocks;			/* bitmap blocks */
	u64 *words;			/* the bitmap read at open, until
					 * vmirror_md_get_bits() or the format
					 */
	u64 *tmp;			/* one block's words */
	u64 bad_blocks;
	bool one_sb;			/* the other copy is zeroes or corrupt */
	bool formatted;
	bool failed;
};

static sector_t vmirror_md_bm_block(u64 index)
{
	return VMIRROR_MD_BITMAP_START + index;
}

/* Bits of bitmap block @index in the association's bitmap */
static unsigned int vmirror_md_block_bits(const struct vmirror_md *md,
					  u64 index)
{
	u64 first = index * VMIRROR_MD_BM_BITS;

	return min_t(u64, VMIRROR_MD_BM_BITS, md->sb.geo.nr_regions - first);
}

/* Write block @block with @fill(@ctx, data): through the cache, dirty. */
static int vmirror_md_write_block(struct vmirror_md *md, sector_t block,
				  void (*fill)(struct vmirror_md *, u64, void *),
				  u64 arg)
{
	struct dm_buffer *b;
	void *data;

	data = dm_bufio_new(md->bufio, block, &b);
	if (IS_ERR(data))
		return PTR_ERR(data);
	fill(md, arg, data);
	dm_bufio_mark_buffer_dirty(b);
	dm_bufio_release(b);
	return 0;
}

static void vmirror_md_fill_sb(struct vmirror_md *md, u64 unused, void *data)
{
	vmirror_md_sb_encode(&md->sb, data);
}

static void vmirror_md_fill_bm(struct vmirror_md *md, u64 index, void *data)
{
	vmirror_md_bm_encode(index, md->words + index * VMIRROR_MD_BM_WORDS,
			     data);
}

/* A block of the bitmap being committed: its words are in md->tmp. */
static void vmirror_md_fill_tmp(struct vmirror_md *md, u64 index, void *data)
{
	vmirror_md_bm_encode(index, md->tmp, data);
}

/* Nothing reads the bitmap of the open any more: free it. */
static void vmirror_md_drop_words(struct vmirror_md *md)
{
	kvfree(md->words);
	md->words = NULL;
}

/* Write the dirty blocks and wait: dm-bufio ends this with one flush. */
static int vmirror_md_sync(struct vmirror_md *md)
{
	return dm_bufio_write_dirty_buffers(md->bufio);
}

/*
 * Whether every block past the superblocks that the association needs is
 * blank (vmirror_md_block_blank()): 1 if so, 0 if not, or an error.
 */
static int vmirror_md_all_blank(struct vmirror_md *md, u64 nr_blocks)
{
	struct dm_buffer *b;
	void *data;
	bool blank;
	u64 i;

	for (i = 2; i < nr_blocks; i++) {
		data = dm_bufio_read(md->bufio, i, &b);
		if (IS_ERR(data))
			return PTR_ERR(data);
		blank = vmirror_md_block_blank(i, data);
		dm_bufio_release(b);
		dm_bufio_forget(md->bufio, i);
		if (!blank)
			return 0;
		cond_resched();
	}
	return 1;
}

int vmirror_md_format(struct vmirror_md *md, bool nosync, u64 now_ns,
		      struct vmirror_md_sb *sb)
{
	const struct vmirror_md_geometry *geo = &md->sb.geo;
	u64 i;
	int r;

	if (!md->formatted || md->sb.created_ns)
		return -EINVAL;
	md->sb.created_ns = now_ns;
	md->one_sb = true;
	md->sb.copy_state = VMIRROR_COPY_STATE_INITIALIZED;
	generate_random_uuid(md->sb.uuid);
	if (nosync) {
		/* Every region in sync, no bit beyond the last one. */
		memset(md->words, 0xff, geo->nr_regions / 64 * sizeof(u64));
		if (geo->nr_regions % 64)
			md->words[geo->nr_regions / 64] =
				(1ULL << (geo->nr_regions % 64)) - 1;
	}
	for (i = 0; i < md->nr_blocks; i++) {
		r = vmirror_md_write_block(md, vmirror_md_bm_block(i),
					   vmirror_md_fill_bm, i);
		if (!r && !((i + 1) % VMIRROR_MD_FORMAT_BATCH))
			r = dm_bufio_write_dirty_buffers(md->bufio);
		if (r)
			return r;
		cond_resched();
	}
	r = vmirror_md_sync(md);
	if (r)
		return r;
	vmirror_md_drop_words(md);
	/* Never read again (commits write whole blocks): out of the cache. */
	dm_bufio_forget_buffers(md->bufio, vmirror_md_bm_block(0),
				md->nr_blocks);
	/* The superblock last: a device with none is still "zeroes". */
	r = vmirror_md_write_block(md, 0, vmirror_md_fill_sb, 0);
	if (!r)
		r = vmirror_md_sync(md);
	if (r)
		return r;
	*sb = md->sb;
	return 0;
}

static int vmirror_md_load(struct vmirror_md *md, const void *a,
			   const void *b, char *err, size_t errlen)
{
	const char *why = NULL;
	struct dm_buffer *buf;
	bool fell_back;
	void *data;
	u64 i;
	int r;

	r = vmirror_md_sb_pick(a, b, &md->sb, &why, &fell_back);
	if (r) {
		if (why)
			strscpy(err, why, errlen);
		return r;
	}
	/* Copy B holds odd numbers: with seq 0 only A was ever written. */
	md->one_sb = fell_back || !md->sb.seq;
	if (fell_back)
		DMWARN("metadata %pg: superblock copy %c is corrupt, copy %c (commit %llu) is used",
		       md->bdev,
		       md->sb.seq & 1 ? 'A' : 'B', md->sb.seq & 1 ? 'B' : 'A',
		       md->sb.seq);
	for (i = 0; i < md->nr_blocks; i++) {
		data = dm_bufio_read(md->bufio, vmirror_md_bm_block(i), &buf);
		if (IS_ERR(data)) {
			strscpy(err, "Cannot read metadata bitmap", errlen);
			return PTR_ERR(data);
		}
		if (!vmirror_md_bm_decode(i, data,
					  md->words + i * VMIRROR_MD_BM_WORDS))
			md->bad_blocks++;
		dm_bufio_release(buf);
		dm_bufio_forget(md->bufio, vmirror_md_bm_block(i));
		cond_resched();
	}
	return 0;
}

/*
 * Read both superblocks; then load them, or find a new device (blank):
 * nothing is written here.
 */
static int vmirror_md_open_blocks(struct vmirror_md *md,
				  const struct vmirror_md_geometry *geo,
				  char *err, size_t errlen)
{
	struct dm_buffer *ba, *bb;
	void *a, *b;
	const char *differs;
	int r;

	a = dm_bufio_read(md->bufio, 0, &ba);
	if (IS_ERR(a))
		goto out_io;
	b = dm_bufio_read(md->bufio, 1, &bb);
	if (IS_ERR(b)) {
		dm_bufio_release(ba);
		goto out_io;
	}
	r = vmirror_md_load(md, a, b, err, errlen);
	dm_bufio_release(bb);
	dm_bufio_release(ba);
	/* A format (later) writes them through the cache: read again then. */
	dm_bufio_forget(md->bufio, 0);
	dm_bufio_forget(md->bufio, 1);

	if (r == -ENODATA) {
		r = vmirror_md_all_blank(md, vmirror_md_size(geo->nr_regions) /
					      VMIRROR_MD_BLOCK_SIZE);
		if (r < 0)
			goto out_io;
		if (!r) {
			strscpy(err, VMIRROR_MD_OTHER_DATA, errlen);
			return -EINVAL;
		}
		/* New: vmirror_md_format() writes it once the table is good. */
		md->sb = (struct vmirror_md_sb) { .geo = *geo };
		md->formatted = true;
		return 0;
	}
	if (r)
		return r;
	differs = vmirror_md_sb_mismatch(&md->sb, geo);
	if (differs) {
		strscpy(err, differs, errlen);
		return -EINVAL;
	}
	return 0;

out_io:
	strscpy(err, "Cannot read metadata device", errlen);
	return -EIO;
}

struct vmirror_md *vmirror_md_open(struct block_device *bdev,
				   const struct vmirror_md_geometry *geo,
				   struct vmirror_md_sb *sb, char *err,
				   size_t errlen)
{
	u64 need = vmirror_md_size(geo->nr_regions);
	struct vmirror_md *md;
	int r;

	if (bdev_nr_bytes(bdev) < need) {
		snprintf(err, errlen, "Metadata device too small: %llu bytes needed",
			 need);
		return ERR_PTR(-EINVAL);
	}
	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		goto out_nomem;
	md->bdev = bdev;
	md->nr_blocks = vmirror_md_bitmap_blocks(geo->nr_regions);
	md->words = kvcalloc(md->nr_blocks * VMIRROR_MD_BM_WORDS, sizeof(u64),
			     GFP_KERNEL);
	md->tmp = kcalloc(VMIRROR_MD_BM_WORDS, sizeof(u64), GFP_KERNEL);
	if (!md->words || !md->tmp)
		goto out_free;
	md->bufio = dm_bufio_client_create(bdev, VMIRROR_MD_BLOCK_SIZE, 1, 0,
					   NULL, NULL, 0);
	if (IS_ERR(md->bufio)) {
		md->bufio = NULL;
		goto out_free;
	}
	r = vmirror_md_open_blocks(md, geo, err, errlen);
	if (r) {
		vmirror_md_close(md);
		return ERR_PTR(r);
	}
	*sb = md->sb;
	return md;

out_free:
	vmirror_md_close(md);
out_nomem:
	strscpy(err, "Cannot allocate metadata", errlen);
	return ERR_PTR(-ENOMEM);
}

bool vmirror_md_formatted(const struct vmirror_md *md)
{
	return md->formatted;
}

u64 vmirror_md_bad_blocks(const struct vmirror_md *md)
{
	return md->bad_blocks;
}

void vmirror_md_get_bits(struct vmirror_md *md, unsigned long *dst)
{
	bitmap_from_arr64(dst, md->words, md->sb.geo.nr_regions);
	vmirror_md_drop_words(md);
}

/*
 * The blocks of @blocks are on disk: out of the cache.  A commit writes a
 * whole block (dm_bufio_new()) and nothing reads one after the open, so
 * keeping them would only hold up to a bitmap's worth of memory.
 */
static void vmirror_md_forget_bitmap(struct vmirror_md *md,
				     const unsigned long *blocks)
{
	u64 i;

	for (i = find_first_bit(blocks, md->nr_blocks); i < md->nr_blocks;
	     i = find_next_bit(blocks, md->nr_blocks, i + 1))
		dm_bufio_forget(md->bufio, vmirror_md_bm_block(i));
}

/* Write the bitmap blocks of @blocks, from @synced. */
static int vmirror_md_write_bitmap(struct vmirror_md *md,
				   const unsigned long *synced,
				   const unsigned long *blocks)
{
	u64 i;
	int r;

	for (i = find_first_bit(blocks, md->nr_blocks); i < md->nr_blocks;
	     i = find_next_bit(blocks, md->nr_blocks, i + 1)) {
		unsigned int nbits = vmirror_md_block_bits(md, i);

		memset(md->tmp, 0, VMIRROR_MD_BM_WORDS * sizeof(u64));
		/* VMIRROR_MD_BM_BITS is a multiple of the bits of a long. */
		bitmap_to_arr64(md->tmp, synced +
				i * (VMIRROR_MD_BM_BITS / BITS_PER_LONG), nbits);
		r = vmirror_md_write_block(md, vmirror_md_bm_block(i),
					   vmirror_md_fill_tmp, i);
		if (r)
			return r;
		cond_resched();
	}
	return 0;
}

static int vmirror_md_write_sb(struct vmirror_md *md)
{
	int r;

	md->sb.seq++;
	r = vmirror_md_write_block(md, md->sb.seq & 1, vmirror_md_fill_sb, 0);
	if (!r)
		r = vmirror_md_sync(md);
	/* The next copy is always the other one: both are valid now. */
	if (!r)
		md->one_sb = false;
	return r;
}

/* Whether @st differs from what superblock @sb records. */
static bool vmirror_md_state_differs(const struct vmirror_md_sb *sb,
				     const struct vmirror_md_state *st)
{
	return sb->copy_state != st->copy_state || sb->flags != st->flags ||
	       sb->sync_time_ns != st->sync_time_ns ||
	       sb->bytes_copied != st->bytes_copied;
}

int vmirror_md_commit(struct vmirror_md *md, const struct vmirror_md_state *st,
		      const unsigned long *synced, const unsigned long *blocks)
{
	bool critical;
	int r;

	if (md->failed)
		return -EIO;
	/*
	 * The bitmap blocks first, written and flushed, then the superblock:
	 * a superblock never names a bitmap that is not on disk.  Bitmap
	 * blocks carry their own checksum and number and no superblock field
	 * depends on them (the load reads every valid block, an invalid one
	 * as "not in sync"), so a commit that changes bits only (rule W, the
	 * cleaner) writes no superblock: one write and one flush.
	 */
	r = vmirror_md_write_bitmap(md, synced, blocks);
	if (!r)
		r = vmirror_md_sync(md);
	if (r)
		goto out_failed;
	vmirror_md_forget_bitmap(md, blocks);
	/*
	 * Not while only one copy is valid (after the format, which writes
	 * copy A only, or a load that fell back): the next write restores
	 * the other, so that one copy going bad later neither loses the
	 * association nor, with B all zeroes, looks like a format that never
	 * completed (vmirror_md_sb_pick()).
	 */
	if (!md->one_sb && !vmirror_md_state_differs(&md->sb, st))
		return 0;
	critical = md->sb.copy_state != st->copy_state;
	md->sb.copy_state = st->copy_state;
	md->sb.flags = st->flags;
	md->sb.sync_time_ns = st->sync_time_ns;
	md->sb.bytes_copied = st->bytes_copied;
	r = vmirror_md_write_sb(md);
	/* A new copy_state in both copies: one rotten copy cannot undo it. */
	if (!r && critical)
		r = vmirror_md_write_sb(md);
	if (r)
		goto out_failed;
	return 0;

out_failed:
	md->failed = true;
	return -EIO;
}

int vmirror_md_detach(struct vmirror_md *md)
{
	if (md->failed)
		return -EIO;
	md->sb.flags |= VMIRROR_MD_DETACHED;
	/* Both copies: neither may be taken for the association's state. */
	if (vmirror_md_write_sb(md) || vmirror_md_write_sb(md)) {
		md->failed = true;
		return -EIO;
	}
	return 0;
}

void vmirror_md_close(struct vmirror_md *md)
{
	if (!md)
		return;
	if (md->bufio)
		dm_bufio_client_destroy(md->bufio);
	kfree(md->tmp);
	kvfree(md->words);
	kfree(md);
}
