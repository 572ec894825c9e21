// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl: JSON output.  One object per device whose keys are the
 * sysfs file names of /sys/block/dm-N/vmirror/ plus "name" and the paths
 * and sizes of the device and its legs; counts and sizes (bytes) are
 * numbers, state words, device numbers and paths strings, sync_time an
 * ISO 8601 string or null (never synchronized), target_file null unless
 * the mirror is a loop device's file; metadata "-" and metadata_path null
 * without metadata_dev, metadata_file null unless it is a loop device's
 * file.  The same object in status NAME
 * --json, in the arrays of status --json and list --json, and in the
 * lines of watch --json.
 */
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "vmirrorctl.h"

static void add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

/* VAL, or null when it is "" */
static void add_str_or_null(struct json_object *o, const char *key, const char *val)
{
	if (val[0])
		add_str(o, key, val);
	else
		json_object_object_add(o, key, NULL);	/* null */
}

static void add_int(struct json_object *o, const char *key, int64_t val)
{
	json_object_object_add(o, key, json_object_new_int64(val));
}

static void add_uint(struct json_object *o, const char *key, uint64_t val)
{
	json_object_object_add(o, key, json_object_new_uint64(val));
}

/*
 * After "source" and "target": the leg's path, file and size; after
 * "metadata" (after "target" if the status has no such field), its path
 * and file
 */
static void add_leg(struct json_object *o, enum vmirror_field f,
		    const struct dev_paths *paths)
{
	if (f == VMIRROR_FIELD_source) {
		add_str(o, "source_path", paths->source_path);
		add_uint(o, "source_size", paths->source_size);
	} else if (f == VMIRROR_FIELD_target) {
		add_str(o, "target_path", paths->target_path);
		if (paths->target_file[0])
			add_str(o, "target_file", paths->target_file);
		else
			json_object_object_add(o, "target_file", NULL);	/* null */
		add_uint(o, "target_size", paths->target_size);
		/* A module whose status has no metadata field: from sysfs */
		if (!metadata_is_field())
			add_str(o, "metadata", paths->metadata[0] ? paths->metadata : "-");
	}
	if (metadata_is_field() ? !strcmp(vmirror_fields[f].key, "metadata") :
	    f == VMIRROR_FIELD_target) {
		add_str_or_null(o, "metadata_path",
				paths->metadata[0] ? paths->metadata_path : "");
		add_str_or_null(o, "metadata_file", paths->metadata_file);
	}
}

/* Field F of kernel/status-fields.h: a number, a string or null */
static void add_field(struct json_object *o, const struct vmirror_status *st,
		      enum vmirror_field f)
{
	const struct vmirror_field_info *fi = &vmirror_fields[f];
	unsigned long long v = vmirror_field_value(st, f);
	char text[VMIRROR_FIELD_TEXT_MAX];

	if (fi->kind == VMIRROR_KIND_NUM && fi->unit == VMIRROR_UNIT_SECONDS) {
		add_int(o, fi->key, (int64_t)v);
	} else if (fi->kind == VMIRROR_KIND_NUM) {
		add_uint(o, fi->key, v);
	} else if (fi->kind == VMIRROR_KIND_TIME && !v) {
		json_object_object_add(o, fi->key, NULL);	/* null */
	} else {
		vmirror_field_text(st, f, text, sizeof(text));
		add_str(o, fi->key, text);
	}
}

struct json_object *status_json(const char *name, const struct vmirror_status *st,
				const struct dev_paths *paths)
{
	struct json_object *o = json_object_new_object();

	add_str(o, "name", name);
	add_uint(o, "size", paths->size);
	for (int f = 0; f < VMIRROR_NR_FIELDS; f++) {
		add_field(o, st, f);
		add_leg(o, f, paths);
	}
	return o;
}

void json_print(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
}

void json_print_line(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}
