/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vmirror: what the target offers the rest of the module.  The target
 * instance (struct vmirror) is opaque here: sysfs.c and ctl.c reach the
 * live target of a device through these, and module.c registers
 * everything.  The target's own files share kernel/target.h.
 */
#ifndef DM_VMIRROR_H
#define DM_VMIRROR_H

#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/types.h>

struct vmirror;
struct vmirror_status;

/* vmirror-ops.c */

/**
 * vmirror_get_status() - everything reported about a mirror
 * @vm: the target
 * @st: filled in, apart from size, dev_major and dev_minor
 *
 * The single source of "dmsetup status", sysfs and VMIRROR_IOC_STATUS.
 * Context: any process context; never waits for an operation.
 */
void vmirror_get_status(struct vmirror *vm, struct vmirror_status *st);

/**
 * vmirror_control() - an operation or a setting (VMIRROR_IOC_CONTROL)
 * @vm: the target
 * @op: VMIRROR_OP_*
 * @value: the argument of VMIRROR_OP_SET_PRIORITY and _SET_MAX_RATE
 *
 * Context: may sleep (killable).
 * Return: 0, -EBUSY if @op is not legal in the current state (with one log
 * line), -EINVAL for an unknown @op or a bad @value, -EAGAIN while a
 * reload replaces the table, -EINTR if killed, -EIO (split, break).
 */
int vmirror_control(struct vmirror *vm, u32 op, u32 value);

/**
 * vmirror_target_version() - version of the target
 *
 * Return: major << 16 | minor << 8 | patch.
 */
u32 vmirror_target_version(void);

/**
 * vmirror_get_live() - the live target of a DM device, for a user
 * @devt: the DM device
 *
 * The target is not destroyed before vmirror_put_live().  No lock is
 * held: readers never wait for an operation in progress.
 * Return: the target, or NULL if @devt has no live vmirror target.
 */
struct vmirror *vmirror_get_live(dev_t devt);

/**
 * vmirror_put_live() - release vmirror_get_live()
 * @vm: the target it returned
 */
void vmirror_put_live(struct vmirror *vm);

/**
 * vmirror_get_kobj() - the live target behind /sys/block/dm-N/vmirror
 * @kobj: the directory's kobject (sysfs holds it while a file is in use)
 *
 * Return: the target (release with vmirror_put()), or NULL.
 */
struct vmirror *vmirror_get_kobj(struct kobject *kobj);

/**
 * vmirror_put() - release vmirror_get_kobj()
 * @vm: the target it returned
 */
void vmirror_put(struct vmirror *vm);

/**
 * vmirror_ops_init() - module init: the work queue of the operations'
 *	flushes
 *
 * Return: 0 or -ENOMEM.
 */
int vmirror_ops_init(void);

/**
 * vmirror_ops_exit() - module exit: waits for flushes still in flight
 *
 * None is: each holds a module reference.
 */
void vmirror_ops_exit(void);

/* vmirror-target.c */

/**
 * vmirror_target_register() - register the "vmirror" target type
 *
 * Return: as dm_register_target().
 */
int vmirror_target_register(void);

/**
 * vmirror_target_unregister() - unregister it
 */
void vmirror_target_unregister(void);

/* vmirror-io.c */

/**
 * vmirror_io_init() - module init: the work queue of retried reads
 *
 * Return: 0 or -ENOMEM.
 */
int vmirror_io_init(void);

/**
 * vmirror_io_exit() - module exit
 */
void vmirror_io_exit(void);

/* sysfs.c: the files of /sys/block/dm-N/vmirror */
extern const struct sysfs_ops vmirror_sysfs_ops;
extern const struct attribute_group *vmirror_sysfs_groups[];

/* ctl.c: /dev/vmirror-control */
int vmirror_ctl_init(void);
void vmirror_ctl_exit(void);

#endif /* DM_VMIRROR_H */
