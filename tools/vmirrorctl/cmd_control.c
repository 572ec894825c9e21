// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl pause|resume|activate|fracture|split|resync NAME
 * vmirrorctl set NAME [--priority low|same|high] [--max-rate RATE]
 *                     [--sync-mode sync|async]
 * vmirrorctl remove NAME
 *
 * The operations go through VMIRROR_IOC_CONTROL; the kernel refuses one
 * that is not legal in the current state with EBUSY.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vmirrorctl.h"

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int control(const struct target_dev *td, uint32_t op, uint32_t value)
{
	struct vmirror_status st;
	int r = ctl_control(td->info.major, td->info.minor, op, value);

	if (r == -EBUSY) {
		if (ctl_status(td->info.major, td->info.minor, &st))
			st = td->st;
		return error("%s: operation not allowed while %s", td->info.name,
			     vmirror_copy_state_name(st.copy_state));
	}
	if (r == -EIO && op == VMIRROR_OP_SPLIT)
		return error("%s: split failed: the mirror broke while quiescing",
			     td->info.name);
	if (r)
		return ctl_error(td->info.name, r);
	return EXIT_OK;
}

int cmd_op(int argc, char **argv)
{
	/* main.c runs this for the words of vmirror_op_word() but break, cancel */
	uint32_t op = vmirror_op_value(argv[0]);
	struct target_dev td;
	int r;

	while (next_opt(argc, argv, "", help_only) != -1)
		;
	check_args(argc, argv, 1, 1);
	r = open_vmirror(argv[optind], &td);
	if (r)
		return r;
	return control(&td, op, 0);
}

enum { OPT_PRIORITY = 256, OPT_MAX_RATE, OPT_SYNC_MODE };

static const struct option set_options[] = {
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "max-rate", required_argument, NULL, OPT_MAX_RATE },
	{ "sync-mode", required_argument, NULL, OPT_SYNC_MODE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_set(int argc, char **argv)
{
	struct target_dev td;
	int priority = -1, sync_mode = -1, c, r;
	uint32_t rate = 0;
	bool rate_set = false;

	while ((c = next_opt(argc, argv, "", set_options)) != -1) {
		switch (c) {
		case OPT_PRIORITY:
			priority = priority_value(optarg);
			if (priority < 0)
				bad_value("--priority", optarg, "must be low, same or high");
			break;
		case OPT_MAX_RATE:
			if (parse_rate(optarg, &rate))
				bad_value("--max-rate", optarg,
					  "not a rate: " RATE_WORDS);
			rate_set = true;
			break;
		case OPT_SYNC_MODE:
			if (!strcmp(optarg, "sync"))
				sync_mode = VMIRROR_COPY_TYPE_SYNC;
			else if (!strcmp(optarg, "async"))
				sync_mode = VMIRROR_COPY_TYPE_ASYNC;
			else
				bad_value("--sync-mode", optarg, "must be sync or async");
			break;
		}
	}
	check_args(argc, argv, 1, 1);
	if (priority < 0 && !rate_set && sync_mode < 0)
		return usage_error("set: nothing to set (--priority, --max-rate or --sync-mode)");

	r = open_vmirror(argv[optind], &td);
	if (r)
		return r;
	if (priority >= 0) {
		r = control(&td, VMIRROR_OP_SET_PRIORITY, priority);
		if (r)
			return r;
	}
	if (rate_set) {
		r = control(&td, VMIRROR_OP_SET_MAX_RATE, rate);
		if (r)
			return r;
	}
	if (sync_mode >= 0)
		return control(&td, VMIRROR_OP_SET_SYNC_MODE, sync_mode);
	return EXIT_OK;
}

int cmd_remove(int argc, char **argv)
{
	struct dmx_info info;
	int r;

	while (next_opt(argc, argv, "", help_only) != -1)
		;
	check_args(argc, argv, 1, 1);
	r = dmx_resolve(argv[optind], &info);
	if (r)
		return resolve_error(argv[optind], r);
	r = dmx_remove(info.name);
	if (r == -EBUSY)
		return error("%s: in use (mounted or open: %d openers); not removed",
			     info.name, info.open_count);
	if (r)
		return error("%s: cannot remove: %s", info.name, dmx_strerror(r));
	return EXIT_OK;
}
