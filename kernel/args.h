/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Table-line parsing of dm-vmirror.  Pure string handling: device paths
 * are returned as given, for the constructor to open.
 */
#ifndef DM_VMIRROR_ARGS_H
#define DM_VMIRROR_ARGS_H

#include <linux/types.h>

#define VMIRROR_DEFAULT_REGION_SIZE	1024	/* sectors: 512 KiB */
#define VMIRROR_MIN_REGION_SIZE		8	/* sectors: one 4 KiB page */
#define VMIRROR_MAX_REGION_SIZE		2097152	/* sectors: 1 GiB */
/* A plain write may span regions up to this size (vmirror_max_io_len()). */
#define VMIRROR_MAX_IO_SECTORS		2048	/* sectors: 1 MiB */
/* ... and this many regions (REGION_RANGE_MAX, bits in the per-bio data). */
#define VMIRROR_MAX_IO_REGIONS		16

/**
 * struct vmirror_args - a parsed vmirror table line
 * @source_path: the source device, as given
 * @mirror_path: the mirror device, as given
 * @source_start: first sector used on the source
 * @mirror_start: first sector used on the mirror
 * @region_size: copy and tracking granularity, in sectors
 * @copy_priority: VMIRROR_PRIORITY_LOW, _SAME or _HIGH
 * @max_copy_rate: cap on the background copy in KiB/s, 0 for none
 * @async: sync_mode async: a host write completes when the source has it
 * @nosync: the mirror is already identical: start in sync
 * @no_activation: do not copy before the "activate" message
 * @mirror_zeroed: the mirror reads zeroes everywhere: the copy skips
 *	ranges of zeroes instead of writing them
 * @metadata_path: the metadata device (persistent state), as given, or NULL
 */
struct vmirror_args {
	const char *source_path;
	const char *mirror_path;
	sector_t source_start;
	sector_t mirror_start;
	sector_t region_size;
	u16 copy_priority;
	u32 max_copy_rate;
	bool async;
	bool nosync;
	bool no_activation;
	bool mirror_zeroed;
	const char *metadata_path;
};

/**
 * vmirror_parse_args() - parse the arguments of a vmirror table line
 * @args: filled in on success
 * @argc: number of words after the target name
 * @argv: the words
 * @error: set to a short message on failure (for ti->error)
 *
 * Return: 0 or -EINVAL.
 */
int vmirror_parse_args(struct vmirror_args *args, unsigned int argc,
		       char **argv, char **error);

/**
 * vmirror_parse_priority() - parse a copy priority word
 * @word: "low", "same" or "high"
 * @priority: set to the VMIRROR_PRIORITY_* value on success
 *
 * Return: 0 or -EINVAL.
 */
int vmirror_parse_priority(const char *word, u16 *priority);

/**
 * vmirror_parse_sync_mode() - parse a sync mode word
 * @word: "sync" or "async" (may be NULL: invalid)
 * @async: set to true for "async", false for "sync" on success
 *
 * Return: 0 or -EINVAL.
 */
int vmirror_parse_sync_mode(const char *word, bool *async);

/**
 * vmirror_parse_rate() - parse a copy rate in KiB/s
 * @word: a decimal number, 0 for no cap
 * @rate: set on success
 *
 * Return: 0 or -EINVAL.
 */
int vmirror_parse_rate(const char *word, u32 *rate);

/**
 * vmirror_max_io_len() - where DM core splits the target's bios
 * @region_size: the region size in sectors, a power of two
 *
 * A region if regions are 1 MiB or more; otherwise 1 MiB, but at most
 * VMIRROR_MAX_IO_REGIONS regions (64 KiB with 4 KiB regions).  A power of
 * two, so a bio never crosses a boundary of that many regions.
 *
 * Return: the length in sectors, for dm_set_target_max_io_len().
 */
sector_t vmirror_max_io_len(sector_t region_size);

#endif /* DM_VMIRROR_ARGS_H */
