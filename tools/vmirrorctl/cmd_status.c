// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl status [NAME] [--json]
 * vmirrorctl list [--json]
 *
 * Both read VMIRROR_IOC_STATUS; without NAME, status shows every device
 * VMIRROR_IOC_LIST knows.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json.h>

#include "vmirrorctl.h"

static const struct option status_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct dev_status {
	char name[128];
	struct vmirror_status st;
	struct dev_paths paths;
};

/* Every vmirror device, in the kernel's order.  *out is malloc'ed. */
static int all_status(struct dev_status **out, size_t *count)
{
	struct dev_status *ds = NULL;
	uint64_t *devs;
	size_t n, k = 0;
	int r;

	r = ctl_list(&devs, &n);
	if (r)
		return ctl_error("list", r);
	ds = calloc(n ? n : 1, sizeof(*ds));
	if (!ds) {
		free(devs);
		return error("out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t maj = VMIRROR_DEV_MAJOR(devs[i]), min = VMIRROR_DEV_MINOR(devs[i]);
		struct dmx_info info;

		/* gone meanwhile: not an error */
		if (ctl_status(maj, min, &ds[k].st))
			continue;
		if (dmx_info_by_devno(maj, min, &info))
			snprintf(ds[k].name, sizeof(ds[k].name), "%u:%u", maj, min);
		else
			snprintf(ds[k].name, sizeof(ds[k].name), "%s", info.name);
		dev_paths(maj, min, &ds[k].st, &ds[k].paths);
		k++;
	}
	free(devs);
	*out = ds;
	*count = k;
	return EXIT_OK;
}

#define KEY "%-22s"

/* "67108864 (64.0 MiB)" */
static void print_bytes(const char *key, uint64_t bytes, const char *unit)
{
	char buf[64];

	fmt_bytes(buf, sizeof(buf), bytes);
	printf(KEY "%llu (%s%s)\n", key, (unsigned long long)bytes, buf, unit);
}

/* The keys of status_json(), in its order, the sizes also in binary units */
static void print_status(const char *name, const struct vmirror_status *st,
			 const struct dev_paths *paths)
{
	struct stat sb;
	char buf[64];

	printf(KEY "%s\n", "name", name);
	print_bytes("size", paths->size, "");
	printf(KEY "%s\n", "copy_state", vmirror_copy_state_name(st->copy_state));
	printf(KEY "%s\n", "sync_state", vmirror_sync_state_name(st->sync_state));
	printf(KEY "%s\n", "progress_status", vmirror_progress_name(st->progress_status));
	printf(KEY "%s\n", "requested_copy_state",
	       vmirror_copy_state_name(st->requested_copy_state));
	printf(KEY "%u\n", "percent_synced", st->percent_synced);
	printf(KEY "%u\n", "sync_maintained", st->sync_maintained);
	fmt_time_ns(buf, sizeof(buf), st->sync_time_ns);
	printf(KEY "%s\n", "sync_time", buf);
	printf(KEY "%s\n", "sync_type", vmirror_sync_type_name(st->sync_type));
	printf(KEY "%s\n", "sync_mode", sync_mode_name(st->sync_mode));
	printf(KEY "%s\n", "copy_type", vmirror_copy_type_name(st->copy_type));
	printf(KEY "%s\n", "replica_type", vmirror_replica_type_name(st->replica_type));
	printf(KEY "%s\n", "copy_methodology", vmirror_methodology_name(st->copy_methodology));
	printf(KEY "%s\n", "copy_priority", vmirror_priority_name(st->copy_priority));
	printf(KEY "%u%s\n", "max_copy_rate", st->max_copy_rate,
	       st->max_copy_rate ? " KiB/s" : " (no cap)");
	printf(KEY "%u:%u\n", "source", st->source_major, st->source_minor);
	printf(KEY "%s\n", "source_path", paths->source_path);
	print_bytes("source_size", paths->source_size, "");
	printf(KEY "%u:%u\n", "target", st->target_major, st->target_minor);
	printf(KEY "%s\n", "target_path", paths->target_path);
	printf(KEY "%s\n", "target_file", paths->target_file[0] ? paths->target_file : "-");
	print_bytes("target_size", paths->target_size, "");
	/* A sparse mirror file: what it holds on its filesystem. */
	if (paths->target_file[0] && !stat(paths->target_file, &sb))
		print_bytes("target_file_allocated", (uint64_t)sb.st_blocks * 512, "");
	print_bytes("region_size", st->region_size, "");
	printf(KEY "%llu" "\n", "regions_total", (unsigned long long)st->regions_total);
	printf(KEY "%llu" "\n", "regions_synced", (unsigned long long)st->regions_synced);
	print_bytes("bytes_copied", st->bytes_copied, "");
	print_bytes("copy_rate", st->copy_rate, "/s");
	fmt_duration(buf, sizeof(buf), st->eta_seconds);
	printf(KEY "%lld (%s)\n", "eta_seconds", (long long)st->eta_seconds, buf);
	printf(KEY "%llu" "\n", "source_errors", (unsigned long long)st->source_errors);
	printf(KEY "%llu" "\n", "mirror_errors", (unsigned long long)st->mirror_errors);
}

/* The status of every device as one JSON array. */
static void print_json_array(const struct dev_status *ds, size_t n)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, status_json(ds[i].name, &ds[i].st, &ds[i].paths));
	json_print(arr);
	json_object_put(arr);
}

int cmd_status(int argc, char **argv)
{
	struct dev_status *ds = NULL;
	struct target_dev td;
	bool json = false;
	size_t n = 0;
	int c, r;

	while ((c = next_opt(argc, argv, "j", status_options)) != -1)
		if (c == 'j')
			json = true;
	check_args(argc, argv, 0, 1);

	if (optind < argc) {
		struct dev_paths paths;

		r = open_vmirror(argv[optind], &td);
		if (r)
			return r;
		dev_paths(td.info.major, td.info.minor, &td.st, &paths);
		if (json) {
			struct json_object *o = status_json(td.info.name, &td.st, &paths);

			json_print(o);
			json_object_put(o);
		} else {
			print_status(td.info.name, &td.st, &paths);
		}
		return EXIT_OK;
	}

	r = all_status(&ds, &n);
	if (r)
		return r;
	if (json) {
		print_json_array(ds, n);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (i)
				putchar('\n');
			print_status(ds[i].name, &ds[i].st, &ds[i].paths);
		}
	}
	free(ds);
	return EXIT_OK;
}

int cmd_list(int argc, char **argv)
{
	struct dev_status *ds = NULL;
	bool json = false;
	size_t n = 0;
	int c, r, w = 4;

	while ((c = next_opt(argc, argv, "j", status_options)) != -1)
		if (c == 'j')
			json = true;
	check_args(argc, argv, 0, 0);

	r = all_status(&ds, &n);
	if (r)
		return r;
	if (json) {
		print_json_array(ds, n);
		free(ds);
		return EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(ds[i].name) > w)
			w = strlen(ds[i].name);
	if (n)
		printf("%-*s  %-15s %6s  %s\n", w, "NAME", "COPY_STATE", "SYNCED",
		       "PROGRESS");
	for (size_t i = 0; i < n; i++)
		printf("%-*s  %-15s %5u%%  %s\n", w, ds[i].name,
		       vmirror_copy_state_name(ds[i].st.copy_state), ds[i].st.percent_synced,
		       vmirror_progress_name(ds[i].st.progress_status));
	free(ds);
	return EXIT_OK;
}
