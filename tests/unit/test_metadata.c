// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of kernel/metadata-format.c: the on-disk format of the
 * metadata device round-trips, and corrupt or foreign superblocks are
 * told apart and refused.
 */
#include "fake/fake_kernel.h"
#include "../../uapi/linux/dm-vmirror.h"
#include "../../kernel/metadata-format.h"
#include "fake/linux/crc32c.h"
#include "harness.h"

static struct vmirror_md_sb sample(void)
{
	struct vmirror_md_sb sb = {
		.seq = 7,
		.uuid = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
		.created_ns = 123456789,
		.geo = {
			.len = 32768, .region_sectors = 128, .nr_regions = 256,
			.source_start = 0, .mirror_start = 2048,
			.source = { .sectors = 32768, .lbs = 512, .id = "dm:LVM-abc" },
			.mirror = { .sectors = 65536, .lbs = 4096, .id = "" },
		},
		.copy_state = VMIRROR_COPY_STATE_FRACTURED,
		.flags = VMIRROR_MD_CLEAN | VMIRROR_MD_ACTIVATED,
		.sync_time_ns = 42,
		.bytes_copied = 1 << 20,
	};
	return sb;
}

static void sb_round_trip(void)
{
	static u8 block[VMIRROR_MD_BLOCK_SIZE];
	struct vmirror_md_sb in = sample(), out;

	vmirror_md_sb_encode(&in, block);
	CHECK(!memcmp(block, "VMIRMETA", 8));
	CHECK(vmirror_md_sb_decode(block, &out) == 0);
	CHECK(out.seq == 7 && out.created_ns == 123456789);
	CHECK(!memcmp(out.uuid, in.uuid, 16));
	CHECK(out.copy_state == VMIRROR_COPY_STATE_FRACTURED);
	CHECK(out.flags == (VMIRROR_MD_CLEAN | VMIRROR_MD_ACTIVATED));
	CHECK(out.sync_time_ns == 42 && out.bytes_copied == 1 << 20);
	CHECK(!vmirror_md_geometry_differs(&out.geo, &in.geo));
	CHECK(!strcmp(out.geo.source.id, "dm:LVM-abc"));
}

static u64 le(const u8 *p, unsigned int n)
{
	u64 v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/*
 * Format version 1, byte for byte (Documentation/vmirror.rst, "On-disk
 * format"): a layout change without a new VMIRROR_MD_VERSION fails here.
 */
static void sb_layout_is_version_1(void)
{
	static u8 block[VMIRROR_MD_BLOCK_SIZE];
	struct vmirror_md_sb in = sample();
	unsigned int i;

	vmirror_md_sb_encode(&in, block);
	CHECK(VMIRROR_MD_VERSION == 1 && le(block + 8, 4) == 1);
	CHECK(le(block + 16, 8) == 7);			/* seq */
	CHECK(block[24] == 1 && block[39] == 16);	/* uuid */
	CHECK(le(block + 40, 8) == 123456789);		/* created_ns */
	CHECK(le(block + 48, 8) == 32768);		/* len */
	CHECK(le(block + 56, 4) == 128);		/* region_sectors */
	CHECK(le(block + 60, 4) == (VMIRROR_MD_CLEAN | VMIRROR_MD_ACTIVATED));
	CHECK(le(block + 64, 8) == 256);		/* nr_regions */
	CHECK(le(block + 72, 8) == 0 && le(block + 80, 8) == 2048);
	CHECK(le(block + 88, 8) == VMIRROR_MD_BITMAP_START);
	CHECK(le(block + 96, 8) == 1);			/* bitmap_blocks */
	CHECK(le(block + 104, 2) == VMIRROR_COPY_STATE_FRACTURED);
	CHECK(le(block + 112, 8) == 42 && le(block + 120, 8) == 1 << 20);
	/* The legs: sectors, block size, a 136-byte identity each. */
	CHECK(VMIRROR_MD_ID_LEN == 136);
	CHECK(le(block + 128, 8) == 32768 && le(block + 136, 4) == 512);
	CHECK(!strcmp((const char *)block + 140, "dm:LVM-abc"));
	CHECK(le(block + 276, 8) == 65536 && le(block + 284, 4) == 4096);
	CHECK(block[288] == 0);
	for (i = 424; i < VMIRROR_MD_BLOCK_SIZE; i++)
		if (block[i])
			break;
	CHECK(i == VMIRROR_MD_BLOCK_SIZE);
}

static void sb_corrupt_and_foreign(void)
{
	static u8 block[VMIRROR_MD_BLOCK_SIZE];
	struct vmirror_md_sb in = sample(), out;
	unsigned int i;

	memset(block, 0, sizeof(block));
	CHECK(vmirror_md_sb_decode(block, &out) == -ENODATA);
	block[4000] = 1;
	CHECK(vmirror_md_sb_decode(block, &out) == -EINVAL);

	/* Any flipped bit breaks the checksum. */
	for (i = 8; i < VMIRROR_MD_BLOCK_SIZE; i += 97) {
		vmirror_md_sb_encode(&in, block);
		block[i] ^= 0x10;
		CHECK(vmirror_md_sb_decode(block, &out) == -EBADMSG);
	}
	/* A good checksum over an unknown version (re-encoded by hand). */
	vmirror_md_sb_encode(&in, block);
	block[8] = 2;
	{
		u32 crc;

		memset(block + 12, 0, 4);
		crc = crc32c(~0U, block, VMIRROR_MD_BLOCK_SIZE) ^ ~0U;
		memcpy(block + 12, &crc, 4);
	}
	CHECK(vmirror_md_sb_decode(block, &out) == -EPROTO);

	/* Fields that cannot be: a region size that is no power of two. */
	in.geo.region_sectors = 96;
	vmirror_md_sb_encode(&in, block);
	CHECK(vmirror_md_sb_decode(block, &out) == -EBADMSG);
}

static void sb_pick(void)
{
	static u8 a[VMIRROR_MD_BLOCK_SIZE], b[VMIRROR_MD_BLOCK_SIZE];
	static u8 zero[VMIRROR_MD_BLOCK_SIZE];
	struct vmirror_md_sb in = sample(), out;
	const char *why = NULL;
	bool fell_back;

	CHECK(vmirror_md_sb_pick(zero, zero, &out, &why, &fell_back) == -ENODATA);

	/* A format: copy A alone, B zeroes; nothing to fall back from. */
	in.seq = 0;
	vmirror_md_sb_encode(&in, a);
	fell_back = true;
	CHECK(vmirror_md_sb_pick(a, zero, &out, &why, &fell_back) == 0);
	CHECK(out.seq == 0 && !fell_back);
	/* A format torn in its superblock write: nothing was recorded. */
	a[100] ^= 1;
	CHECK(vmirror_md_sb_pick(a, zero, &out, &why, &fell_back) == -ENODATA);
	/* ...but a torn B with A zeroes cannot come from a format. */
	why = NULL;
	CHECK(vmirror_md_sb_pick(zero, a, &out, &why, &fell_back) == -EINVAL);
	CHECK(why && strstr(why, "both corrupt"));

	in.seq = 8;
	vmirror_md_sb_encode(&in, a);
	in.seq = 9;
	in.copy_state = VMIRROR_COPY_STATE_FAILEDOVER;
	vmirror_md_sb_encode(&in, b);
	fell_back = true;
	CHECK(vmirror_md_sb_pick(a, b, &out, &why, &fell_back) == 0 && out.seq == 9);
	CHECK(out.copy_state == VMIRROR_COPY_STATE_FAILEDOVER && !fell_back);
	CHECK(vmirror_md_sb_pick(b, a, &out, &why, &fell_back) == 0 && out.seq == 9);
	CHECK(!fell_back);

	/* A torn newest copy: the older one is current, and that is said. */
	b[100] ^= 1;
	CHECK(vmirror_md_sb_pick(a, b, &out, &why, &fell_back) == 0 && out.seq == 8);
	CHECK(fell_back);
	/* Both torn: refused. */
	a[100] ^= 1;
	why = NULL;
	CHECK(vmirror_md_sb_pick(a, b, &out, &why, &fell_back) == -EINVAL);
	CHECK(why && strstr(why, "both corrupt"));
	/* Other data. */
	memset(a, 0xab, sizeof(a));
	why = NULL;
	CHECK(vmirror_md_sb_pick(a, zero, &out, &why, &fell_back) == -EINVAL);
	CHECK(why && strstr(why, "other data"));
}

static void geometry(void)
{
	struct vmirror_md_sb d = sample(), t = sample();

	CHECK(!vmirror_md_geometry_differs(&d.geo, &t.geo));
	t.geo.len++;
	CHECK(strstr(vmirror_md_geometry_differs(&d.geo, &t.geo), "length"));
	t = sample();
	t.geo.region_sectors = 256;
	CHECK(strstr(vmirror_md_geometry_differs(&d.geo, &t.geo), "region size"));
	t = sample();
	t.geo.mirror_start = 0;
	CHECK(strstr(vmirror_md_geometry_differs(&d.geo, &t.geo), "offsets"));
	/* A leg that grew (its mapped range is checked elsewhere). */
	t = sample();
	t.geo.source.sectors *= 2;
	CHECK(!vmirror_md_geometry_differs(&d.geo, &t.geo));
	t = sample();
	strcpy(t.geo.source.id, "dm:LVM-xyz");
	CHECK(strstr(vmirror_md_geometry_differs(&d.geo, &t.geo), "source leg"));
	/* Source and mirror swapped. */
	t = sample();
	strcpy(t.geo.source.id, d.geo.mirror.id);
	strcpy(t.geo.mirror.id, d.geo.source.id);
	CHECK(strstr(vmirror_md_geometry_differs(&d.geo, &t.geo), "source leg"));
	/* An id known on one side only differs (a DM leg replaced by a disk). */
	t = sample();
	t.geo.source.id[0] = 0;
	CHECK(strstr(vmirror_md_geometry_differs(&d.geo, &t.geo), "source leg"));
	t = sample();
	strcpy(t.geo.mirror.id, "part:0fc63daf-8483-4772-8e79-3d69d8477de4");
	CHECK(strstr(vmirror_md_geometry_differs(&d.geo, &t.geo), "mirror leg"));
	/* A DM leg without uuid is not a disk without id. */
	t = sample();
	strcpy(t.geo.mirror.id, "dm:");
	CHECK(strstr(vmirror_md_geometry_differs(&d.geo, &t.geo), "mirror leg"));
	t = sample();
	t.geo.mirror.lbs = 512;
	CHECK(strstr(vmirror_md_geometry_differs(&d.geo, &t.geo), "mirror leg"));
}

static void mismatch(void)
{
	struct vmirror_md_sb d = sample(), t = sample();

	CHECK(!vmirror_md_sb_mismatch(&d, &t.geo));
	d.flags |= VMIRROR_MD_DETACHED;
	CHECK(!strcmp(vmirror_md_sb_mismatch(&d, &t.geo), VMIRROR_MD_DETACHED_ERROR));
	d = sample();
	t.geo.len++;
	CHECK(strstr(vmirror_md_sb_mismatch(&d, &t.geo), "length"));
}

static void blank_blocks(void)
{
	static u8 block[VMIRROR_MD_BLOCK_SIZE];
	static u64 words[VMIRROR_MD_BM_WORDS];

	memset(block, 0, sizeof(block));
	CHECK(vmirror_md_block_blank(2, block));
	CHECK(vmirror_md_block_blank(VMIRROR_MD_BITMAP_START + 3, block));
	/* A bitmap block a format left, at its own place only. */
	words[0] = ~0ULL;
	vmirror_md_bm_encode(3, words, block);
	CHECK(vmirror_md_block_blank(VMIRROR_MD_BITMAP_START + 3, block));
	CHECK(!vmirror_md_block_blank(VMIRROR_MD_BITMAP_START + 4, block));
	CHECK(!vmirror_md_block_blank(3, block));
	block[300] ^= 1;
	CHECK(!vmirror_md_block_blank(VMIRROR_MD_BITMAP_START + 3, block));
	memset(block, 0, sizeof(block));
	block[4095] = 1;
	CHECK(!vmirror_md_block_blank(2, block));
	CHECK(!vmirror_md_block_blank(VMIRROR_MD_BITMAP_START, block));
}

static void bitmap_blocks(void)
{
	static u8 block[VMIRROR_MD_BLOCK_SIZE];
	static u64 in[VMIRROR_MD_BM_WORDS], out[VMIRROR_MD_BM_WORDS];
	unsigned int i;

	for (i = 0; i < VMIRROR_MD_BM_WORDS; i++)
		in[i] = 0x0123456789abcdefULL * (i + 1);
	vmirror_md_bm_encode(5, in, block);
	CHECK(vmirror_md_bm_decode(5, block, out));
	CHECK(!memcmp(in, out, sizeof(in)));
	/* Another block's place, or a torn block: no region in sync. */
	CHECK(!vmirror_md_bm_decode(6, block, out));
	CHECK(out[0] == 0 && out[VMIRROR_MD_BM_WORDS - 1] == 0);
	block[2000] ^= 4;
	CHECK(!vmirror_md_bm_decode(5, block, out));
}

static void sizes(void)
{
	u64 n;

	CHECK(VMIRROR_MD_BM_BITS % 64 == 0);
	CHECK(vmirror_md_size(1) == (1 << 20) + 4096);
	CHECK(vmirror_md_size(VMIRROR_MD_BM_BITS) == (1 << 20) + 4096);
	CHECK(vmirror_md_size(VMIRROR_MD_BM_BITS + 1) == (1 << 20) + 8192);
	/* 1 TiB at 512 KiB regions: 2 Mi regions, 65 blocks. */
	CHECK(vmirror_md_size(2 << 20) == (1 << 20) + 65 * 4096);
	/* The bound vmirrorctl sizes a new device by. */
	for (n = 1; n < (1ULL << 31); n = n * 3 + 1) {
		u64 bound = (1 << 20) + 2 * ((n + 7) / 8);

		bound = (bound + 4095) / 4096 * 4096;
		CHECK(vmirror_md_size(n) <= bound);
	}
}

int main(void)
{
	RUN(sb_round_trip);
	RUN(sb_layout_is_version_1);
	RUN(sb_corrupt_and_foreign);
	RUN(sb_pick);
	RUN(geometry);
	RUN(mismatch);
	RUN(blank_blocks);
	RUN(bitmap_blocks);
	RUN(sizes);
	HARNESS_EXIT();
}
