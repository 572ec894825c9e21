// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of kernel/args.c, the table-line parser.
 */
#include "fake/fake_kernel.h"
#include "../../uapi/linux/dm-vmirror.h"
#include "../../kernel/args.h"
#include "harness.h"

/* Split a line into words (at most 32) and parse it. */
static int parse(const char *line, struct vmirror_args *a, char **error)
{
	static char buf[512];
	char *argv[32];
	unsigned int argc = 0;
	char *tok;

	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok(buf, " "); tok && argc < 32; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	*error = NULL;
	return vmirror_parse_args(a, argc, argv, error);
}

static void minimal_line_gets_defaults(void)
{
	struct vmirror_args a;
	char *err;

	CHECK(parse("/dev/ram0 0 /dev/ram1 0", &a, &err) == 0);
	CHECK(!strcmp(a.source_path, "/dev/ram0"));
	CHECK(!strcmp(a.mirror_path, "/dev/ram1"));
	CHECK(a.source_start == 0 && a.mirror_start == 0);
	CHECK(a.region_size == 1024);
	CHECK(a.copy_priority == VMIRROR_PRIORITY_SAME);
	CHECK(a.max_copy_rate == 0);
	CHECK(!a.nosync && !a.no_activation);
	CHECK(!a.mirror_zeroed);
	CHECK(!a.async);
}

static void every_option_is_parsed(void)
{
	struct vmirror_args a;
	char *err;

	CHECK(parse("253:1 2048 7:0 4096 11 region_size 64 sync_mode sync "
		    "copy_priority high max_copy_rate 30720 nosync no_activation "
		    "mirror_zeroed", &a, &err) == 0);
	CHECK(a.mirror_zeroed);
	CHECK(a.source_start == 2048 && a.mirror_start == 4096);
	CHECK(a.region_size == 64);
	CHECK(a.copy_priority == VMIRROR_PRIORITY_HIGH);
	CHECK(a.max_copy_rate == 30720);
	CHECK(a.nosync && a.no_activation);
	CHECK(!a.async);
	CHECK(parse("a 0 b 0 2 sync_mode async", &a, &err) == 0);
	CHECK(a.async);
	CHECK(parse("a 0 b 0 2 copy_priority low", &a, &err) == 0);
	CHECK(a.copy_priority == VMIRROR_PRIORITY_LOW);
	CHECK(parse("a 0 b 0 0", &a, &err) == 0);
	CHECK(parse("a 0 b 0 2 region_size 8", &a, &err) == 0);
	CHECK(parse("a 0 b 0 2 region_size 2097152", &a, &err) == 0);
}

static const struct {
	const char *line;
	const char *error;
} bad_lines[] = {
	{ "", "Not enough arguments" },
	{ "a 0 b", "Not enough arguments" },
	{ "a x b 0", "Invalid source offset" },
	{ "a -1 b 0", "Invalid source offset" },
	{ "a 0 b 1x", "Invalid mirror offset" },
	{ "a 0 b 99999999999999999999999", "Invalid mirror offset" },
	{ "a 0 b 0 x", "Invalid number of optional arguments" },
	{ "a 0 b 0 12 nosync", "Invalid number of optional arguments" },
	{ "a 0 b 0 2 mirror_zeroed mirror_zeroed", "Duplicate optional argument" },
	{ "a 0 b 0 2 mirror_zeroed 1", "Unknown optional argument" },
	{ "a 0 b 0 2 nosync", "Invalid number of optional arguments" },
	{ "a 0 b 0 1 nosync extra", "Too many arguments" },
	{ "a 0 b 0 1 bogus", "Unknown optional argument" },
	{ "a 0 b 0 2 nosync nosync", "Duplicate optional argument" },
	{ "a 0 b 0 2 region_size 1000", "Region size is not a power of 2" },
	{ "a 0 b 0 2 region_size 4", "Invalid region size" },
	{ "a 0 b 0 2 region_size 4194304", "Invalid region size" },
	{ "a 0 b 0 2 region_size x", "Invalid region size" },
	{ "a 0 b 0 1 region_size", "Invalid region size" },
	{ "a 0 b 0 4 region_size 64 region_size 64", "Duplicate optional argument" },
	{ "a 0 b 0 2 sync_mode maybe", "Invalid sync mode" },
	{ "a 0 b 0 1 sync_mode", "Invalid sync mode" },
	{ "a 0 b 0 2 copy_priority urgent", "Invalid copy priority" },
	{ "a 0 b 0 1 copy_priority", "Invalid copy priority" },
	{ "a 0 b 0 2 max_copy_rate -5", "Invalid max copy rate" },
	{ "a 0 b 0 2 max_copy_rate 5000000000", "Invalid max copy rate" },
	{ "a 0 b 0 2 max_copy_rate 10k", "Invalid max copy rate" },
	{ "a 0 b 0 1 max_copy_rate", "Invalid max copy rate" },
};

static void bad_lines_are_refused_with_their_message(void)
{
	struct vmirror_args a;
	unsigned int i;
	char *err;

	for (i = 0; i < ARRAY_SIZE(bad_lines); i++) {
		int r = parse(bad_lines[i].line, &a, &err);

		if (r != -EINVAL || !err || strcmp(err, bad_lines[i].error)) {
			printf("  '%s': got %d '%s', want '%s'\n",
			       bad_lines[i].line, r, err ? err : "(none)",
			       bad_lines[i].error);
			harness_failed_now = 1;
		}
	}
}

static void priority_and_rate_words(void)
{
	u16 p;
	u32 r;

	CHECK(vmirror_parse_priority("same", &p) == 0 && p == VMIRROR_PRIORITY_SAME);
	CHECK(vmirror_parse_priority("", &p) == -EINVAL);
	CHECK(vmirror_parse_priority("LOW", &p) == -EINVAL);
	CHECK(vmirror_parse_rate("0", &r) == 0 && r == 0);
	CHECK(vmirror_parse_rate("4294967295", &r) == 0 && r == 4294967295u);
	CHECK(vmirror_parse_rate("", &r) == -EINVAL);
	CHECK(vmirror_parse_rate(NULL, &r) == -EINVAL);
}

static void sync_mode_words(void)
{
	bool async = true;

	CHECK(vmirror_parse_sync_mode("sync", &async) == 0 && !async);
	CHECK(vmirror_parse_sync_mode("async", &async) == 0 && async);
	CHECK(vmirror_parse_sync_mode("ASYNC", &async) == -EINVAL && async);
	CHECK(vmirror_parse_sync_mode(NULL, &async) == -EINVAL);
}

/* Issue 16: DM core splits at a few regions, 1 MiB at most unless larger. */
static void max_io_len_spans_regions_up_to_1m(void)
{
	CHECK(vmirror_max_io_len(8) == 8 * VMIRROR_MAX_IO_REGIONS);
	CHECK(vmirror_max_io_len(128) == 2048);
	CHECK(vmirror_max_io_len(1024) == 2048);
	CHECK(vmirror_max_io_len(2048) == 2048);
	CHECK(vmirror_max_io_len(4096) == 4096);
	CHECK(vmirror_max_io_len(2097152) == 2097152);
}

int main(void)
{
	RUN(minimal_line_gets_defaults);
	RUN(every_option_is_parsed);
	RUN(bad_lines_are_refused_with_their_message);
	RUN(priority_and_rate_words);
	RUN(sync_mode_words);
	RUN(max_io_len_spans_regions_up_to_1m);
	HARNESS_EXIT();
}
