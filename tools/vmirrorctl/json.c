// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl: JSON output.  One object per device whose keys are the
 * sysfs file names of /sys/block/dm-N/vmirror/ plus "name" and the paths
 * and sizes of the device and its legs; counts and sizes (bytes) are
 * numbers, state words, device numbers and paths strings, sync_time an
 * ISO 8601 string or null (never synchronized), target_file null unless
 * the mirror is a loop device's file.  The same object in status NAME
 * --json, in the arrays of status --json and list --json, and in the
 * lines of watch --json.
 */
#include <stdio.h>

#include <json.h>

#include "vmirrorctl.h"

static void add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

static void add_int(struct json_object *o, const char *key, int64_t val)
{
	json_object_object_add(o, key, json_object_new_int64(val));
}

static void add_uint(struct json_object *o, const char *key, uint64_t val)
{
	json_object_object_add(o, key, json_object_new_uint64(val));
}

struct json_object *status_json(const char *name, const struct vmirror_status *st,
				const struct dev_paths *paths)
{
	struct json_object *o = json_object_new_object();
	char buf[64];

	add_str(o, "name", name);
	add_uint(o, "size", paths->size);
	add_str(o, "copy_state", vmirror_copy_state_name(st->copy_state));
	add_str(o, "sync_state", vmirror_sync_state_name(st->sync_state));
	add_str(o, "progress_status", vmirror_progress_name(st->progress_status));
	add_str(o, "requested_copy_state", vmirror_copy_state_name(st->requested_copy_state));
	add_int(o, "percent_synced", st->percent_synced);
	add_int(o, "sync_maintained", st->sync_maintained);
	if (st->sync_time_ns) {
		fmt_time_ns(buf, sizeof(buf), st->sync_time_ns);
		add_str(o, "sync_time", buf);
	} else {
		json_object_object_add(o, "sync_time", NULL);	/* null */
	}
	add_str(o, "sync_type", vmirror_sync_type_name(st->sync_type));
	add_str(o, "sync_mode", sync_mode_name(st->sync_mode));
	add_str(o, "copy_type", vmirror_copy_type_name(st->copy_type));
	add_str(o, "replica_type", vmirror_replica_type_name(st->replica_type));
	add_str(o, "copy_methodology", vmirror_methodology_name(st->copy_methodology));
	add_str(o, "copy_priority", vmirror_priority_name(st->copy_priority));
	add_uint(o, "max_copy_rate", st->max_copy_rate);
	snprintf(buf, sizeof(buf), "%u:%u", st->source_major, st->source_minor);
	add_str(o, "source", buf);
	add_str(o, "source_path", paths->source_path);
	add_uint(o, "source_size", paths->source_size);
	snprintf(buf, sizeof(buf), "%u:%u", st->target_major, st->target_minor);
	add_str(o, "target", buf);
	add_str(o, "target_path", paths->target_path);
	if (paths->target_file[0])
		add_str(o, "target_file", paths->target_file);
	else
		json_object_object_add(o, "target_file", NULL);	/* null */
	add_uint(o, "target_size", paths->target_size);
	add_uint(o, "region_size", st->region_size);
	add_uint(o, "regions_total", st->regions_total);
	add_uint(o, "regions_synced", st->regions_synced);
	add_uint(o, "bytes_copied", st->bytes_copied);
	add_uint(o, "copy_rate", st->copy_rate);
	add_int(o, "eta_seconds", st->eta_seconds);
	add_uint(o, "source_errors", st->source_errors);
	add_uint(o, "mirror_errors", st->mirror_errors);
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
