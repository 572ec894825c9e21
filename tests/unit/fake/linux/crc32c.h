/* SPDX-License-Identifier: GPL-2.0-only */
/* crc32c (Castagnoli), bit by bit, as lib/crc32.c computes it */
#include "../fake_kernel.h"
static inline u32 crc32c(u32 crc, const void *p, unsigned int len)
{
	const u8 *b = p;
	int k;

	while (len--) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
	}
	return crc;
}
