// SPDX-License-Identifier: GPL-2.0-only
/*
 * On-disk format of the dm-vmirror metadata device: encoding, checksums
 * and the checks of a superblock.  See metadata-format.h for the layout.
 */

#include <linux/build_bug.h>
#include <linux/crc32c.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>

#include "../uapi/linux/dm-vmirror.h"
#include "metadata-format.h"

struct vmirror_md_disk_leg {
	__le64 sectors;
	__le32 lbs;
	char id[VMIRROR_MD_ID_LEN];
} __packed;

struct vmirror_md_disk_sb {
	__le64 magic;
	__le32 version;
	__le32 crc;			/* crc32c of the block, this field zero */
	__le64 seq;
	u8 uuid[16];
	__le64 created_ns;
	__le64 len;
	__le32 region_sectors;
	__le32 flags;
	__le64 nr_regions;
	__le64 source_start;
	__le64 mirror_start;
	__le64 bitmap_start;
	__le64 bitmap_blocks;
	__le16 copy_state;
	__le16 pad16;
	__le32 pad32;
	__le64 sync_time_ns;
	__le64 bytes_copied;
	struct vmirror_md_disk_leg source;
	struct vmirror_md_disk_leg mirror;
} __packed;

struct vmirror_md_disk_bm {
	__le32 crc;			/* crc32c of the block, this field zero */
	__le32 magic;
	__le64 index;
	__le64 words[VMIRROR_MD_BM_WORDS];
} __packed;

/*
 * The layout of format version 1 (VMIRROR_MD_VERSION), byte for byte as
 * Documentation/vmirror.rst and tests/unit/test_metadata.c give it.  A
 * change to any field is a new format: bump VMIRROR_MD_VERSION, so that a
 * device in the old layout is refused by its version, not misread.
 */
static_assert(offsetof(struct vmirror_md_disk_sb, copy_state) == 104);
static_assert(offsetof(struct vmirror_md_disk_sb, source) == 128);
static_assert(offsetof(struct vmirror_md_disk_sb, mirror) == 276);
static_assert(sizeof(struct vmirror_md_disk_sb) == 424);
static_assert(sizeof(struct vmirror_md_disk_bm) == VMIRROR_MD_BLOCK_SIZE);

/* crc32c of a block, its 4-byte crc field at @off read as zero */
static u32 vmirror_md_crc(const void *block, unsigned int off)
{
	static const u8 zero[4];
	const u8 *p = block;
	u32 crc;

	crc = crc32c(~0U, p, off);
	crc = crc32c(crc, zero, sizeof(zero));
	crc = crc32c(crc, p + off + 4, VMIRROR_MD_BLOCK_SIZE - off - 4);
	return crc ^ ~0U;
}

#define VMIRROR_MD_SB_CRC	offsetof(struct vmirror_md_disk_sb, crc)
#define VMIRROR_MD_BM_CRC	offsetof(struct vmirror_md_disk_bm, crc)

u64 vmirror_md_bitmap_blocks(u64 nr_regions)
{
	return DIV_ROUND_UP_ULL(nr_regions, VMIRROR_MD_BM_BITS);
}

u64 vmirror_md_size(u64 nr_regions)
{
	return (VMIRROR_MD_BITMAP_START + vmirror_md_bitmap_blocks(nr_regions)) *
	       VMIRROR_MD_BLOCK_SIZE;
}

bool vmirror_md_zero(const void *block)
{
	const u64 *w = block;
	unsigned int i;

	for (i = 0; i < VMIRROR_MD_BLOCK_SIZE / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

static void vmirror_md_leg_encode(struct vmirror_md_disk_leg *d,
				  const struct vmirror_md_leg *l)
{
	d->sectors = cpu_to_le64(l->sectors);
	d->lbs = cpu_to_le32(l->lbs);
	memcpy(d->id, l->id, sizeof(d->id));
	d->id[VMIRROR_MD_ID_LEN - 1] = 0;
}

static bool vmirror_md_leg_decode(struct vmirror_md_leg *l,
				  const struct vmirror_md_disk_leg *d)
{
	l->sectors = le64_to_cpu(d->sectors);
	l->lbs = le32_to_cpu(d->lbs);
	memcpy(l->id, d->id, sizeof(l->id));
	return !d->id[VMIRROR_MD_ID_LEN - 1] && l->sectors && l->lbs;
}

void vmirror_md_sb_encode(const struct vmirror_md_sb *sb, void *block)
{
	struct vmirror_md_disk_sb *d = block;
	const struct vmirror_md_geometry *g = &sb->geo;

	memset(block, 0, VMIRROR_MD_BLOCK_SIZE);
	d->magic = cpu_to_le64(VMIRROR_MD_MAGIC);
	d->version = cpu_to_le32(VMIRROR_MD_VERSION);
	d->seq = cpu_to_le64(sb->seq);
	memcpy(d->uuid, sb->uuid, sizeof(d->uuid));
	d->created_ns = cpu_to_le64(sb->created_ns);
	d->len = cpu_to_le64(g->len);
	d->region_sectors = cpu_to_le32(g->region_sectors);
	d->flags = cpu_to_le32(sb->flags);
	d->nr_regions = cpu_to_le64(g->nr_regions);
	d->source_start = cpu_to_le64(g->source_start);
	d->mirror_start = cpu_to_le64(g->mirror_start);
	d->bitmap_start = cpu_to_le64(VMIRROR_MD_BITMAP_START);
	d->bitmap_blocks = cpu_to_le64(vmirror_md_bitmap_blocks(g->nr_regions));
	d->copy_state = cpu_to_le16(sb->copy_state);
	d->sync_time_ns = cpu_to_le64(sb->sync_time_ns);
	d->bytes_copied = cpu_to_le64(sb->bytes_copied);
	vmirror_md_leg_encode(&d->source, &g->source);
	vmirror_md_leg_encode(&d->mirror, &g->mirror);
	d->crc = cpu_to_le32(vmirror_md_crc(block, VMIRROR_MD_SB_CRC));
}

/* The states an association is committed in (SUSPENDED is a flag). */
static bool vmirror_md_state_ok(u16 copy_state)
{
	switch (copy_state) {
	case VMIRROR_COPY_STATE_INITIALIZED:
	case VMIRROR_COPY_STATE_UNSYNCHRONIZED:
	case VMIRROR_COPY_STATE_SYNCHRONIZED:
	case VMIRROR_COPY_STATE_BROKEN:
	case VMIRROR_COPY_STATE_FRACTURED:
	case VMIRROR_COPY_STATE_SPLIT:
	case VMIRROR_COPY_STATE_FAILEDOVER:
	case VMIRROR_COPY_STATE_ABORTED:
		return true;
	}
	return false;
}

int vmirror_md_sb_decode(const void *block, struct vmirror_md_sb *sb)
{
	const struct vmirror_md_disk_sb *d = block;
	struct vmirror_md_geometry *g = &sb->geo;

	if (le64_to_cpu(d->magic) != VMIRROR_MD_MAGIC)
		return vmirror_md_zero(block) ? -ENODATA : -EINVAL;
	if (vmirror_md_crc(block, VMIRROR_MD_SB_CRC) != le32_to_cpu(d->crc))
		return -EBADMSG;
	if (le32_to_cpu(d->version) != VMIRROR_MD_VERSION)
		return -EPROTO;

	memset(sb, 0, sizeof(*sb));
	sb->seq = le64_to_cpu(d->seq);
	memcpy(sb->uuid, d->uuid, sizeof(sb->uuid));
	sb->created_ns = le64_to_cpu(d->created_ns);
	g->len = le64_to_cpu(d->len);
	g->region_sectors = le32_to_cpu(d->region_sectors);
	g->nr_regions = le64_to_cpu(d->nr_regions);
	g->source_start = le64_to_cpu(d->source_start);
	g->mirror_start = le64_to_cpu(d->mirror_start);
	sb->copy_state = le16_to_cpu(d->copy_state);
	sb->flags = le32_to_cpu(d->flags);
	sb->sync_time_ns = le64_to_cpu(d->sync_time_ns);
	sb->bytes_copied = le64_to_cpu(d->bytes_copied);

	/* A good checksum over bad fields: written by something else. */
	if (!vmirror_md_leg_decode(&g->source, &d->source) ||
	    !vmirror_md_leg_decode(&g->mirror, &d->mirror) ||
	    !g->len || !is_power_of_2(g->region_sectors) ||
	    g->nr_regions != DIV_ROUND_UP_ULL(g->len, g->region_sectors) ||
	    le64_to_cpu(d->bitmap_start) != VMIRROR_MD_BITMAP_START ||
	    le64_to_cpu(d->bitmap_blocks) != vmirror_md_bitmap_blocks(g->nr_regions) ||
	    !vmirror_md_state_ok(sb->copy_state) ||
	    (sb->flags & ~VMIRROR_MD_FLAGS))
		return -EBADMSG;
	return 0;
}

int vmirror_md_sb_pick(const void *a, const void *b, struct vmirror_md_sb *sb,
		       const char **why, bool *fell_back)
{
	struct vmirror_md_sb sa, sbb;
	int ra = vmirror_md_sb_decode(a, &sa);
	int rb = vmirror_md_sb_decode(b, &sbb);

	if (ra == -EPROTO || rb == -EPROTO) {
		*why = "Metadata has a format version this module does not know";
		return -EINVAL;
	}
	if (!ra && (rb || sa.seq > sbb.seq)) {
		*sb = sa;
		*fell_back = rb && rb != -ENODATA;
		return 0;
	}
	if (!rb) {
		*sb = sbb;
		*fell_back = ra && ra != -ENODATA;
		return 0;
	}
	/* Never formatted, or a format torn in its one superblock write. */
	if ((ra == -ENODATA || ra == -EBADMSG) && rb == -ENODATA)
		return -ENODATA;
	if (ra == -EBADMSG || rb == -EBADMSG)
		*why = "Metadata superblocks are both corrupt";
	else
		*why = VMIRROR_MD_OTHER_DATA;
	return -EINVAL;
}

/* Whole sizes are not compared: a leg may grow under its mapped range. */
static bool vmirror_md_leg_differs(const struct vmirror_md_leg *d,
				   const struct vmirror_md_leg *t)
{
	return d->lbs != t->lbs || strcmp(d->id, t->id);
}

const char *vmirror_md_geometry_differs(const struct vmirror_md_geometry *disk,
					const struct vmirror_md_geometry *table)
{
	if (disk->len != table->len)
		return "Metadata belongs to another association: length differs";
	if (disk->region_sectors != table->region_sectors)
		return "Metadata belongs to another association: region size differs";
	if (disk->source_start != table->source_start ||
	    disk->mirror_start != table->mirror_start)
		return "Metadata belongs to another association: offsets differ";
	if (vmirror_md_leg_differs(&disk->source, &table->source))
		return "Metadata belongs to another association: source leg differs";
	if (vmirror_md_leg_differs(&disk->mirror, &table->mirror))
		return "Metadata belongs to another association: mirror leg differs";
	return NULL;
}

const char *vmirror_md_sb_mismatch(const struct vmirror_md_sb *sb,
				   const struct vmirror_md_geometry *table)
{
	if (sb->flags & VMIRROR_MD_DETACHED)
		return VMIRROR_MD_DETACHED_ERROR;
	return vmirror_md_geometry_differs(&sb->geo, table);
}

bool vmirror_md_block_blank(u64 nr, const void *block)
{
	const struct vmirror_md_disk_bm *d = block;

	if (vmirror_md_zero(block))
		return true;
	return nr >= VMIRROR_MD_BITMAP_START &&
	       le32_to_cpu(d->magic) == VMIRROR_MD_BM_MAGIC &&
	       le64_to_cpu(d->index) == nr - VMIRROR_MD_BITMAP_START &&
	       vmirror_md_crc(block, VMIRROR_MD_BM_CRC) == le32_to_cpu(d->crc);
}

void vmirror_md_bm_encode(u64 index, const u64 *words, void *block)
{
	struct vmirror_md_disk_bm *d = block;
	unsigned int i;

	d->magic = cpu_to_le32(VMIRROR_MD_BM_MAGIC);
	d->index = cpu_to_le64(index);
	for (i = 0; i < VMIRROR_MD_BM_WORDS; i++)
		d->words[i] = cpu_to_le64(words[i]);
	d->crc = cpu_to_le32(vmirror_md_crc(block, VMIRROR_MD_BM_CRC));
}

bool vmirror_md_bm_decode(u64 index, const void *block, u64 *words)
{
	const struct vmirror_md_disk_bm *d = block;
	unsigned int i;

	if (le32_to_cpu(d->magic) != VMIRROR_MD_BM_MAGIC ||
	    le64_to_cpu(d->index) != index ||
	    vmirror_md_crc(block, VMIRROR_MD_BM_CRC) != le32_to_cpu(d->crc)) {
		memset(words, 0, VMIRROR_MD_BM_WORDS * sizeof(*words));
		return false;
	}
	for (i = 0; i < VMIRROR_MD_BM_WORDS; i++)
		words[i] = le64_to_cpu(d->words[i]);
	return true;
}
