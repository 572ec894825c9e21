// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/block/dm-N/vmirror/ of dm-vmirror: one value per file, read from
 * the same snapshot as "dmsetup status" and VMIRROR_IOC_STATUS.
 * copy_priority and max_copy_rate are writable.
 */

#include <linux/kobject.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/time64.h>

#include "../uapi/linux/dm-vmirror.h"
#include "args.h"
#include "state.h"
#include "vmirror.h"

struct vmirror_attr {
	struct attribute attr;
	ssize_t (*show)(const struct vmirror_status *st, char *buf);
	int (*store)(struct vmirror *vm, const char *buf);
};

/* A read-only file: printf of @_fmt and @_expr (of struct vmirror_status *st) */
#define VMIRROR_RO_ATTR(_name, _fmt, _expr...)				\
static ssize_t _name##_show(const struct vmirror_status *st, char *buf)	\
{									\
	return sysfs_emit(buf, _fmt "\n", _expr);			\
}									\
static struct vmirror_attr vmirror_attr_##_name = {			\
	.attr = { .name = #_name, .mode = 0444 },			\
	.show = _name##_show,						\
}

static const char *vmirror_sync_mode_name(u16 v)
{
	return v == VMIRROR_COPY_TYPE_ASYNC ? "async" : "sync";
}

VMIRROR_RO_ATTR(copy_state, "%s", vmirror_copy_state_name(st->copy_state));
VMIRROR_RO_ATTR(sync_state, "%s", vmirror_sync_state_name(st->sync_state));
VMIRROR_RO_ATTR(progress_status, "%s", vmirror_progress_name(st->progress_status));
VMIRROR_RO_ATTR(requested_copy_state, "%s", vmirror_copy_state_name(st->requested_copy_state));
VMIRROR_RO_ATTR(sync_type, "%s", vmirror_sync_type_name(st->sync_type));
VMIRROR_RO_ATTR(sync_mode, "%s", vmirror_sync_mode_name(st->sync_mode));
VMIRROR_RO_ATTR(copy_type, "%s", vmirror_copy_type_name(st->copy_type));
VMIRROR_RO_ATTR(replica_type, "%s", vmirror_replica_type_name(st->replica_type));
VMIRROR_RO_ATTR(copy_methodology, "%s", vmirror_methodology_name(st->copy_methodology));
VMIRROR_RO_ATTR(percent_synced, "%u", st->percent_synced);
VMIRROR_RO_ATTR(sync_maintained, "%u", st->sync_maintained);
VMIRROR_RO_ATTR(source, "%u:%u", st->source_major, st->source_minor);
VMIRROR_RO_ATTR(target, "%u:%u", st->target_major, st->target_minor);
VMIRROR_RO_ATTR(region_size, "%llu", st->region_size);
VMIRROR_RO_ATTR(regions_total, "%llu", st->regions_total);
VMIRROR_RO_ATTR(regions_synced, "%llu", st->regions_synced);
VMIRROR_RO_ATTR(bytes_copied, "%llu", st->bytes_copied);
VMIRROR_RO_ATTR(copy_rate, "%llu", st->copy_rate);
VMIRROR_RO_ATTR(eta_seconds, "%lld", st->eta_seconds);
VMIRROR_RO_ATTR(source_errors, "%llu", st->source_errors);
VMIRROR_RO_ATTR(mirror_errors, "%llu", st->mirror_errors);

/* ISO 8601 UTC, or "-" if the pair has never been synchronized. */
static ssize_t sync_time_show(const struct vmirror_status *st, char *buf)
{
	struct tm tm;

	if (!st->sync_time_ns)
		return sysfs_emit(buf, "-\n");
	time64_to_tm(div_u64(st->sync_time_ns, NSEC_PER_SEC), 0, &tm);
	return sysfs_emit(buf, "%04ld-%02d-%02dT%02d:%02d:%02dZ\n",
			  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			  tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static struct vmirror_attr vmirror_attr_sync_time = {
	.attr = { .name = "sync_time", .mode = 0444 },
	.show = sync_time_show,
};

static ssize_t copy_priority_show(const struct vmirror_status *st, char *buf)
{
	return sysfs_emit(buf, "%s\n", vmirror_priority_name(st->copy_priority));
}

static int copy_priority_store(struct vmirror *vm, const char *buf)
{
	char word[8];
	u16 priority;

	if (strscpy(word, buf, sizeof(word)) < 0)
		return -EINVAL;
	strim(word);
	if (vmirror_parse_priority(word, &priority))
		return -EINVAL;
	return vmirror_control(vm, VMIRROR_OP_SET_PRIORITY, priority);
}

static struct vmirror_attr vmirror_attr_copy_priority = {
	.attr = { .name = "copy_priority", .mode = 0644 },
	.show = copy_priority_show,
	.store = copy_priority_store,
};

static ssize_t max_copy_rate_show(const struct vmirror_status *st, char *buf)
{
	return sysfs_emit(buf, "%u\n", st->max_copy_rate);
}

static int max_copy_rate_store(struct vmirror *vm, const char *buf)
{
	u32 rate;

	if (kstrtou32(buf, 10, &rate))
		return -EINVAL;
	return vmirror_control(vm, VMIRROR_OP_SET_MAX_RATE, rate);
}

static struct vmirror_attr vmirror_attr_max_copy_rate = {
	.attr = { .name = "max_copy_rate", .mode = 0644 },
	.show = max_copy_rate_show,
	.store = max_copy_rate_store,
};

static struct attribute *vmirror_attrs[] = {
	&vmirror_attr_copy_state.attr,
	&vmirror_attr_sync_state.attr,
	&vmirror_attr_progress_status.attr,
	&vmirror_attr_requested_copy_state.attr,
	&vmirror_attr_percent_synced.attr,
	&vmirror_attr_sync_maintained.attr,
	&vmirror_attr_sync_time.attr,
	&vmirror_attr_sync_type.attr,
	&vmirror_attr_sync_mode.attr,
	&vmirror_attr_copy_type.attr,
	&vmirror_attr_replica_type.attr,
	&vmirror_attr_copy_methodology.attr,
	&vmirror_attr_copy_priority.attr,
	&vmirror_attr_max_copy_rate.attr,
	&vmirror_attr_source.attr,
	&vmirror_attr_target.attr,
	&vmirror_attr_region_size.attr,
	&vmirror_attr_regions_total.attr,
	&vmirror_attr_regions_synced.attr,
	&vmirror_attr_bytes_copied.attr,
	&vmirror_attr_copy_rate.attr,
	&vmirror_attr_eta_seconds.attr,
	&vmirror_attr_source_errors.attr,
	&vmirror_attr_mirror_errors.attr,
	NULL,
};

static const struct attribute_group vmirror_group = {
	.attrs = vmirror_attrs,
};

const struct attribute_group *vmirror_sysfs_groups[] = {
	&vmirror_group,
	NULL,
};

static ssize_t vmirror_attr_show(struct kobject *kobj, struct attribute *attr,
				 char *buf)
{
	struct vmirror_attr *va = container_of(attr, struct vmirror_attr, attr);
	struct vmirror_status st;
	struct vmirror *vm;

	vm = vmirror_get_kobj(kobj);
	if (!vm)
		return -ENODEV;
	vmirror_get_status(vm, &st);
	vmirror_put(vm);
	return va->show(&st, buf);
}

static ssize_t vmirror_attr_store(struct kobject *kobj, struct attribute *attr,
				  const char *buf, size_t count)
{
	struct vmirror_attr *va = container_of(attr, struct vmirror_attr, attr);
	struct vmirror *vm;
	int r;

	if (!va->store)
		return -EPERM;
	vm = vmirror_get_kobj(kobj);
	if (!vm)
		return -ENODEV;
	r = va->store(vm, buf);
	vmirror_put(vm);
	return r ? r : count;
}

const struct sysfs_ops vmirror_sysfs_ops = {
	.show = vmirror_attr_show,
	.store = vmirror_attr_store,
};
