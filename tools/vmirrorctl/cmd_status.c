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

/* A number of kernel/status-fields.h, the sizes also in binary units */
static void print_num(const char *key, unsigned long long v, enum vmirror_unit unit)
{
	char buf[64];

	switch (unit) {
	case VMIRROR_UNIT_BYTES:
		print_bytes(key, v, "");
		break;
	case VMIRROR_UNIT_BYTES_PER_S:
		print_bytes(key, v, "/s");
		break;
	case VMIRROR_UNIT_KIB_PER_S:
		printf(KEY "%llu%s\n", key, v, v ? " KiB/s" : " (no cap)");
		break;
	case VMIRROR_UNIT_SECONDS:
		fmt_duration(buf, sizeof(buf), (long long)v);
		printf(KEY "%lld (%s)\n", key, (long long)v, buf);
		break;
	default:
		printf(KEY "%llu\n", key, v);
	}
}

/* A sparse mirror file: what it holds on its filesystem */
static void print_allocated(const char *file)
{
	struct stat sb;

	if (file[0] && !stat(file, &sb))
		print_bytes("target_file_allocated", (uint64_t)sb.st_blocks * 512, "");
}

/*
 * After "source" and "target": the leg's path, file and size; after
 * "metadata" (after "target" if the status has no such field), its path
 * and file
 */
static void print_leg(enum vmirror_field f, const struct dev_paths *paths)
{
	if (f == VMIRROR_FIELD_source) {
		printf(KEY "%s\n", "source_path", paths->source_path);
		print_bytes("source_size", paths->source_size, "");
	} else if (f == VMIRROR_FIELD_target) {
		printf(KEY "%s\n", "target_path", paths->target_path);
		printf(KEY "%s\n", "target_file",
		       paths->target_file[0] ? paths->target_file : "-");
		print_bytes("target_size", paths->target_size, "");
		print_allocated(paths->target_file);
		/* A module whose status has no metadata field: from sysfs */
		if (!metadata_is_field())
			printf(KEY "%s\n", "metadata",
			       paths->metadata[0] ? paths->metadata : "-");
	}
	if (metadata_is_field() ? !strcmp(vmirror_fields[f].key, "metadata") :
	    f == VMIRROR_FIELD_target) {
		printf(KEY "%s\n", "metadata_path", paths->metadata_path);
		printf(KEY "%s\n", "metadata_file",
		       paths->metadata_file[0] ? paths->metadata_file : "-");
	}
}

/* The keys of status_json(), in its order */
static void print_status(const char *name, const struct vmirror_status *st,
			 const struct dev_paths *paths)
{
	char text[VMIRROR_FIELD_TEXT_MAX];

	printf(KEY "%s\n", "name", name);
	print_bytes("size", paths->size, "");
	for (int f = 0; f < VMIRROR_NR_FIELDS; f++) {
		const struct vmirror_field_info *fi = &vmirror_fields[f];

		if (fi->kind == VMIRROR_KIND_NUM) {
			print_num(fi->key, vmirror_field_value(st, f), fi->unit);
		} else {
			vmirror_field_text(st, f, text, sizeof(text));
			printf(KEY "%s\n", fi->key, text);
		}
		print_leg(f, paths);
	}
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
