/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * On-disk format of the dm-vmirror metadata device (metadata_dev), version
 * 1.  Pure encoding and checking: no I/O, unit-tested in userspace.  The
 * layout, in blocks of VMIRROR_MD_BLOCK_SIZE bytes, all little endian:
 *
 *   0, 1       superblock copies A and B, written alternately; the valid
 *              copy with the higher sequence number is the current one
 *   2 .. 255   reserved (zero): room for a write-intent log
 *   256 ..     in-sync bitmap: VMIRROR_MD_BM_BITS regions per block, each
 *              block with its own crc32c and block number
 *
 * See Documentation/vmirror.rst, "Persistence".
 */
#ifndef DM_VMIRROR_METADATA_FORMAT_H
#define DM_VMIRROR_METADATA_FORMAT_H

#include <linux/bits.h>
#include <linux/types.h>

#define VMIRROR_MD_MAGIC	0x4154454d52494d56ULL	/* "VMIRMETA" */
#define VMIRROR_MD_VERSION	1
#define VMIRROR_MD_BLOCK_SIZE	4096
#define VMIRROR_MD_BITMAP_START	256
/* Header of a bitmap block: crc32c, magic, block number (16 bytes). */
#define VMIRROR_MD_BM_WORDS	510
#define VMIRROR_MD_BM_BITS	(VMIRROR_MD_BM_WORDS * 64)
#define VMIRROR_MD_BM_MAGIC	0x4d424d56		/* "VMBM" */
/*
 * A leg's identity string with its NUL: "dm:" and a DM uuid (DM_UUID_LEN
 * with its NUL), "part:" and a partition UUID, or "naa:", "eui:", "t10:"
 * and a disk's unique id in hex; see vmirror_md_leg.
 */
#define VMIRROR_MD_ID_LEN	136

/* Why a device that is neither zeroes nor vmirror metadata is refused */
#define VMIRROR_MD_OTHER_DATA \
	"Metadata device holds other data (no vmirror superblock, not all zeroes)"

/* Superblock flags */
#define VMIRROR_MD_CLEAN		BIT(0)	/* never set; ignored at load */
#define VMIRROR_MD_RESYNCING		BIT(1)
#define VMIRROR_MD_PAUSED		BIT(2)
#define VMIRROR_MD_ACTIVATED		BIT(3)	/* first resume happened */
#define VMIRROR_MD_REQUIRES_ACTIVATE	BIT(4)
/*
 * A reload moved the association to another metadata device (or to none):
 * this device is no longer kept up to date, and a table naming it is
 * refused (VMIRROR_MD_DETACHED_ERROR).
 */
#define VMIRROR_MD_DETACHED		BIT(5)
#define VMIRROR_MD_FLAGS		0x3f

/* Why a detached metadata device is refused */
#define VMIRROR_MD_DETACHED_ERROR \
	"Metadata device was detached from its association by a reload (zero it to reuse it)"

/**
 * struct vmirror_md_leg - what identifies a leg across reboots
 * @sectors: size of the whole leg device when recorded (not compared: a
 *	leg may grow; the mapped range is checked against its size anyway)
 * @lbs: its logical block size
 * @id: "dm:<uuid>" for a DM device ("dm:" if it has no uuid),
 *	"part:<PARTUUID>" for a partition ("part:" if its table gives none),
 *	"naa:", "eui:" or "t10:" and the hex of a whole disk's unique id
 *	where its driver reports one (SCSI, NVMe), else empty (loop, virtio,
 *	brd: such a leg is known by its geometry only)
 *
 * Device numbers are not kept: they change across reboots.
 */
struct vmirror_md_leg {
	u64 sectors;
	u32 lbs;
	char id[VMIRROR_MD_ID_LEN];
};

/**
 * struct vmirror_md_geometry - the association a metadata device belongs to
 * @len: target length in sectors
 * @region_sectors: region size in sectors
 * @nr_regions: number of regions
 * @source_start: first sector on the source
 * @mirror_start: first sector on the mirror
 * @source: identity of the source leg
 * @mirror: identity of the mirror leg
 */
struct vmirror_md_geometry {
	u64 len;
	u32 region_sectors;
	u64 nr_regions;
	u64 source_start;
	u64 mirror_start;
	struct vmirror_md_leg source;
	struct vmirror_md_leg mirror;
};

/**
 * struct vmirror_md_sb - a superblock, decoded
 * @seq: commit sequence number; copy A holds even ones, B odd ones
 * @uuid: random at format: the association
 * @created_ns: CLOCK_REALTIME at format
 * @geo: the association's geometry
 * @copy_state: VMIRROR_COPY_STATE_* (never SUSPENDED)
 * @flags: VMIRROR_MD_*
 * @sync_time_ns: CLOCK_REALTIME of the last synchronization, 0 if never
 * @bytes_copied: bytes copied by the background copy so far
 */
struct vmirror_md_sb {
	u64 seq;
	u8 uuid[16];
	u64 created_ns;
	struct vmirror_md_geometry geo;
	u16 copy_state;
	u32 flags;
	u64 sync_time_ns;
	u64 bytes_copied;
};

/**
 * vmirror_md_bitmap_blocks() - bitmap blocks for a number of regions
 * @nr_regions: the regions
 *
 * Return: the number of blocks.
 */
u64 vmirror_md_bitmap_blocks(u64 nr_regions);

/**
 * vmirror_md_size() - bytes a metadata device needs
 * @nr_regions: the regions
 *
 * Never more than 1 MiB + 2 * ceil(@nr_regions / 8), rounded up to 4 KiB.
 *
 * Return: the size in bytes.
 */
u64 vmirror_md_size(u64 nr_regions);

/**
 * vmirror_md_sb_encode() - write a superblock into a block
 * @sb: the superblock
 * @block: VMIRROR_MD_BLOCK_SIZE bytes, overwritten (crc included)
 */
void vmirror_md_sb_encode(const struct vmirror_md_sb *sb, void *block);

/**
 * vmirror_md_sb_decode() - read and check a superblock block
 * @block: VMIRROR_MD_BLOCK_SIZE bytes
 * @sb: filled in on success
 *
 * Return: 0, -ENODATA (the block is all zeroes), -EINVAL (no magic, not
 * all zeroes), -EBADMSG (magic, bad checksum or a bad field), -EPROTO
 * (checksum good, unknown version).
 */
int vmirror_md_sb_decode(const void *block, struct vmirror_md_sb *sb);

/**
 * vmirror_md_sb_pick() - the current superblock of the two copies
 * @a: block 0
 * @b: block 1
 * @sb: filled in with the current one on success
 * @why: on error, set to a one-line reason for ti->error
 * @fell_back: set to true on success when the other copy is not valid
 *	(corrupt, or overwritten) although it is not zeroes: the copy used
 *	may be older than the last commit (log it)
 *
 * A format writes copy A last, B is written first by the commit after it:
 * A corrupt and B all zeroes is a format that never completed (torn),
 * nothing was recorded on such a device.
 *
 * Return: 0, -ENODATA when both blocks read all zeroes or the format never
 * completed (a new device, if the rest is blank too, see
 * vmirror_md_block_blank()), or -EINVAL (refuse the device, @why says why).
 */
int vmirror_md_sb_pick(const void *a, const void *b, struct vmirror_md_sb *sb,
		       const char **why, bool *fell_back);

/**
 * vmirror_md_sb_mismatch() - whether a superblock may be used by a table
 * @sb: the current superblock of the device
 * @table: the association of the table line
 *
 * Return: NULL if it may, else a one-line reason (detached, or another
 * association: vmirror_md_geometry_differs()).
 */
const char *vmirror_md_sb_mismatch(const struct vmirror_md_sb *sb,
				   const struct vmirror_md_geometry *table);

/**
 * vmirror_md_block_blank() - whether a block past the superblocks is what
 *	a device that never recorded anything may hold
 * @nr: its block number (2 or more)
 * @block: VMIRROR_MD_BLOCK_SIZE bytes
 *
 * The reserved blocks read zeroes; a bitmap block reads zeroes or is a
 * valid bitmap block with its own number (a format writes the bitmap
 * before the superblock, so a format that stopped half way leaves these).
 *
 * Return: true if the block is blank.
 */
bool vmirror_md_block_blank(u64 nr, const void *block);

/**
 * vmirror_md_geometry_differs() - compare the association of a superblock
 *	with that of a table line
 * @disk: from the superblock
 * @table: from the table line and its legs
 *
 * Legs are compared by logical block size and identity string (equal,
 * empty included: a leg that had an id must have the same one); their
 * whole size is not compared.
 *
 * Return: NULL if they are the same, else a one-line reason.
 */
const char *vmirror_md_geometry_differs(const struct vmirror_md_geometry *disk,
					const struct vmirror_md_geometry *table);

/**
 * vmirror_md_bm_encode() - write a bitmap block
 * @index: its number in the bitmap (0 for the first)
 * @words: its VMIRROR_MD_BM_WORDS words of bits (region r of the block is
 *	bit r % 64 of word r / 64), CPU order
 * @block: VMIRROR_MD_BLOCK_SIZE bytes, overwritten
 */
void vmirror_md_bm_encode(u64 index, const u64 *words, void *block);

/**
 * vmirror_md_bm_decode() - read and check a bitmap block
 * @index: its expected number
 * @block: VMIRROR_MD_BLOCK_SIZE bytes
 * @words: filled with VMIRROR_MD_BM_WORDS words; all zero (no region in
 *	sync) if the block is not valid
 *
 * Return: true if the block is valid.
 */
bool vmirror_md_bm_decode(u64 index, const void *block, u64 *words);

/**
 * vmirror_md_zero() - whether a block reads all zeroes
 * @block: VMIRROR_MD_BLOCK_SIZE bytes
 *
 * Return: true if every byte is zero.
 */
bool vmirror_md_zero(const void *block);

#endif /* DM_VMIRROR_METADATA_FORMAT_H */
