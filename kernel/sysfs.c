// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/block/dm-N/vmirror/ of dm-vmirror: one value per file, read from
 * the same snapshot as "dmsetup status" and VMIRROR_IOC_STATUS.
 * copy_priority and max_copy_rate are writable.
 */

#include <linux/kobject.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "../uapi/linux/dm-vmirror.h"
#include "args.h"
#include "state.h"
#include "vmirror.h"

/* A file of /sys/block/dm-N/vmirror/: one field of status-fields.h */
struct vmirror_attr {
	struct attribute attr;
	enum vmirror_field field;
};

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

static int max_copy_rate_store(struct vmirror *vm, const char *buf)
{
	u32 rate;

	if (kstrtou32(buf, 10, &rate))
		return -EINVAL;
	return vmirror_control(vm, VMIRROR_OP_SET_MAX_RATE, rate);
}

/* The writable files, by field */
static int (* const vmirror_field_store[VMIRROR_NR_FIELDS])(struct vmirror *vm,
							   const char *buf) = {
	[VMIRROR_FIELD_copy_priority] = copy_priority_store,
	[VMIRROR_FIELD_max_copy_rate] = max_copy_rate_store,
};

/* One file for each row of status-fields.h */
#define VMIRROR_WORD(member, fn)	VMIRROR_DEVNO(member)
#define VMIRROR_NUM(member, unit)	VMIRROR_DEVNO(member)
#define VMIRROR_TIME(member)		VMIRROR_DEVNO(member)
#define VMIRROR_DEVNO(member)						\
	[VMIRROR_FIELD_##member] = {					\
		.attr = { .name = #member, .mode = 0444 },		\
		.field = VMIRROR_FIELD_##member,			\
	},

static struct vmirror_attr vmirror_field_attrs[VMIRROR_NR_FIELDS] = {
#include "status-fields.h"
};

#undef VMIRROR_DEVNO
#define VMIRROR_DEVNO(member)						\
	[VMIRROR_FIELD_##member] = &vmirror_field_attrs[VMIRROR_FIELD_##member].attr,

static struct attribute *vmirror_attrs[VMIRROR_NR_FIELDS + 1] = {
#include "status-fields.h"
	NULL,
};

#undef VMIRROR_WORD
#undef VMIRROR_NUM
#undef VMIRROR_DEVNO
#undef VMIRROR_TIME

/* 0644 for the files of vmirror_field_store[], else 0444 */
static umode_t vmirror_attr_mode(struct kobject *kobj, struct attribute *attr,
				 int n)
{
	struct vmirror_attr *va = container_of(attr, struct vmirror_attr, attr);

	return vmirror_field_store[va->field] ? 0644 : 0444;
}

static const struct attribute_group vmirror_group = {
	.attrs = vmirror_attrs,
	.is_visible = vmirror_attr_mode,
};

const struct attribute_group *vmirror_sysfs_groups[] = {
	&vmirror_group,
	NULL,
};

static ssize_t vmirror_attr_show(struct kobject *kobj, struct attribute *attr,
				 char *buf)
{
	struct vmirror_attr *va = container_of(attr, struct vmirror_attr, attr);
	char text[VMIRROR_FIELD_TEXT_MAX];
	struct vmirror_status st;
	struct vmirror *vm;

	vm = vmirror_get_kobj(kobj);
	if (!vm)
		return -ENODEV;
	vmirror_get_status(vm, &st);
	vmirror_put(vm);
	vmirror_field_text(&st, va->field, text, sizeof(text));
	return sysfs_emit(buf, "%s\n", text);
}

static ssize_t vmirror_attr_store(struct kobject *kobj, struct attribute *attr,
				  const char *buf, size_t count)
{
	struct vmirror_attr *va = container_of(attr, struct vmirror_attr, attr);
	struct vmirror *vm;
	int r;

	if (!vmirror_field_store[va->field])
		return -EPERM;
	vm = vmirror_get_kobj(kobj);
	if (!vm)
		return -ENODEV;
	r = vmirror_field_store[va->field](vm, buf);
	vmirror_put(vm);
	return r ? r : count;
}

const struct sysfs_ops vmirror_sysfs_ops = {
	.show = vmirror_attr_show,
	.store = vmirror_attr_store,
};
