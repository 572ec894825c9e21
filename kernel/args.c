// SPDX-License-Identifier: GPL-2.0-only
/*
 * Table-line parsing of dm-vmirror.
 *
 *   <source_dev> <source_offset> <mirror_dev> <mirror_offset>
 *   [<#opt_args> <opt_arg>...]
 *
 * Optional arguments: region_size <sectors>, sync_mode sync|async,
 * copy_priority low|same|high, max_copy_rate <KiB/s>, nosync,
 * no_activation, mirror_zeroed, metadata_dev <dev>.  Each may appear once.
 */

#include <linux/device-mapper.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/string.h>

#include "../uapi/linux/dm-vmirror.h"
#include "args.h"

/* Words that may follow the count: the longest line has 13. */
#define VMIRROR_MAX_OPT_ARGS	13

enum vmirror_opt {
	VMIRROR_OPT_REGION_SIZE,
	VMIRROR_OPT_SYNC_MODE,
	VMIRROR_OPT_COPY_PRIORITY,
	VMIRROR_OPT_MAX_COPY_RATE,
	VMIRROR_OPT_NOSYNC,
	VMIRROR_OPT_NO_ACTIVATION,
	VMIRROR_OPT_MIRROR_ZEROED,
	VMIRROR_OPT_METADATA_DEV,
	VMIRROR_NR_OPTS,
};

static const char * const vmirror_opt_names[VMIRROR_NR_OPTS] = {
	[VMIRROR_OPT_REGION_SIZE] = "region_size",
	[VMIRROR_OPT_SYNC_MODE] = "sync_mode",
	[VMIRROR_OPT_COPY_PRIORITY] = "copy_priority",
	[VMIRROR_OPT_MAX_COPY_RATE] = "max_copy_rate",
	[VMIRROR_OPT_NOSYNC] = "nosync",
	[VMIRROR_OPT_NO_ACTIVATION] = "no_activation",
	[VMIRROR_OPT_MIRROR_ZEROED] = "mirror_zeroed",
	[VMIRROR_OPT_METADATA_DEV] = "metadata_dev",
};

int vmirror_parse_priority(const char *word, u16 *priority)
{
	if (!strcmp(word, "low"))
		*priority = VMIRROR_PRIORITY_LOW;
	else if (!strcmp(word, "same"))
		*priority = VMIRROR_PRIORITY_SAME;
	else if (!strcmp(word, "high"))
		*priority = VMIRROR_PRIORITY_HIGH;
	else
		return -EINVAL;
	return 0;
}

int vmirror_parse_rate(const char *word, u32 *rate)
{
	if (!word || kstrtou32(word, 10, rate))
		return -EINVAL;
	return 0;
}

static int vmirror_parse_offset(const char *word, sector_t *offset)
{
	unsigned long long tmp;

	if (kstrtoull(word, 10, &tmp) || tmp != (sector_t)tmp)
		return -EINVAL;
	*offset = tmp;
	return 0;
}

static int vmirror_parse_region_size(struct vmirror_args *args,
				     struct dm_arg_set *as, char **error)
{
	static const struct dm_arg _arg = {
		VMIRROR_MIN_REGION_SIZE, VMIRROR_MAX_REGION_SIZE,
		"Invalid region size"
	};
	unsigned int value;

	if (dm_read_arg(&_arg, as, &value, error))
		return -EINVAL;
	if (!is_power_of_2(value)) {
		*error = "Region size is not a power of 2";
		return -EINVAL;
	}
	args->region_size = value;
	return 0;
}

int vmirror_parse_sync_mode(const char *word, bool *async)
{
	if (word && !strcmp(word, "sync"))
		*async = false;
	else if (word && !strcmp(word, "async"))
		*async = true;
	else
		return -EINVAL;
	return 0;
}

static int vmirror_parse_sync_mode_arg(struct vmirror_args *args,
				       struct dm_arg_set *as, char **error)
{
	if (vmirror_parse_sync_mode(dm_shift_arg(as), &args->async)) {
		*error = "Invalid sync mode";
		return -EINVAL;
	}
	return 0;
}

static int vmirror_parse_copy_priority(struct vmirror_args *args,
				       struct dm_arg_set *as, char **error)
{
	const char *word = dm_shift_arg(as);

	if (!word || vmirror_parse_priority(word, &args->copy_priority)) {
		*error = "Invalid copy priority";
		return -EINVAL;
	}
	return 0;
}

static int vmirror_parse_max_copy_rate(struct vmirror_args *args,
				       struct dm_arg_set *as, char **error)
{
	if (vmirror_parse_rate(dm_shift_arg(as), &args->max_copy_rate)) {
		*error = "Invalid max copy rate";
		return -EINVAL;
	}
	return 0;
}

static int vmirror_parse_opt(struct vmirror_args *args, enum vmirror_opt opt,
			     struct dm_arg_set *as, char **error)
{
	switch (opt) {
	case VMIRROR_OPT_REGION_SIZE:
		return vmirror_parse_region_size(args, as, error);
	case VMIRROR_OPT_SYNC_MODE:
		return vmirror_parse_sync_mode_arg(args, as, error);
	case VMIRROR_OPT_COPY_PRIORITY:
		return vmirror_parse_copy_priority(args, as, error);
	case VMIRROR_OPT_MAX_COPY_RATE:
		return vmirror_parse_max_copy_rate(args, as, error);
	case VMIRROR_OPT_NOSYNC:
		args->nosync = true;
		return 0;
	case VMIRROR_OPT_NO_ACTIVATION:
		args->no_activation = true;
		return 0;
	case VMIRROR_OPT_MIRROR_ZEROED:
		args->mirror_zeroed = true;
		return 0;
	case VMIRROR_OPT_METADATA_DEV:
		args->metadata_path = dm_shift_arg(as);
		if (!args->metadata_path) {
			*error = "Missing metadata device";
			return -EINVAL;
		}
		return 0;
	default:
		*error = "Invalid optional argument";
		return -EINVAL;
	}
}

static int vmirror_lookup_opt(const char *word)
{
	int i;

	for (i = 0; i < VMIRROR_NR_OPTS; i++)
		if (!strcasecmp(word, vmirror_opt_names[i]))
			return i;
	return -1;
}

static int vmirror_parse_opt_args(struct vmirror_args *args,
				  struct dm_arg_set *as, char **error)
{
	static const struct dm_arg _arg = {
		0, VMIRROR_MAX_OPT_ARGS, "Invalid number of optional arguments"
	};
	unsigned long seen = 0;
	unsigned int argc;
	struct dm_arg_set group;
	int opt;

	if (!as->argc)
		return 0;
	if (dm_read_arg_group(&_arg, as, &argc, error))
		return -EINVAL;

	group.argc = argc;
	group.argv = as->argv;
	dm_consume_args(as, argc);
	if (as->argc) {
		*error = "Too many arguments";
		return -EINVAL;
	}

	while (group.argc) {
		const char *word = dm_shift_arg(&group);

		opt = vmirror_lookup_opt(word);
		if (opt < 0) {
			*error = "Unknown optional argument";
			return -EINVAL;
		}
		if (seen & BIT(opt)) {
			*error = "Duplicate optional argument";
			return -EINVAL;
		}
		seen |= BIT(opt);
		if (vmirror_parse_opt(args, opt, &group, error))
			return -EINVAL;
	}
	return 0;
}

int vmirror_parse_args(struct vmirror_args *args, unsigned int argc,
		       char **argv, char **error)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };

	*args = (struct vmirror_args) {
		.region_size = VMIRROR_DEFAULT_REGION_SIZE,
		.copy_priority = VMIRROR_PRIORITY_SAME,
	};

	if (argc < 4) {
		*error = "Not enough arguments";
		return -EINVAL;
	}

	args->source_path = dm_shift_arg(&as);
	if (vmirror_parse_offset(dm_shift_arg(&as), &args->source_start)) {
		*error = "Invalid source offset";
		return -EINVAL;
	}
	args->mirror_path = dm_shift_arg(&as);
	if (vmirror_parse_offset(dm_shift_arg(&as), &args->mirror_start)) {
		*error = "Invalid mirror offset";
		return -EINVAL;
	}

	return vmirror_parse_opt_args(args, &as, error);
}

sector_t vmirror_max_io_len(sector_t region_size)
{
	if (region_size >= VMIRROR_MAX_IO_SECTORS)
		return region_size;
	return min_t(sector_t, VMIRROR_MAX_IO_SECTORS,
		     region_size * VMIRROR_MAX_IO_REGIONS);
}
