// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-device object of dm-vmirror.
 *
 * A table reload builds a new target while the old one still serves I/O,
 * and the old one is destroyed only after the new one has resumed.  What
 * must outlive one target therefore hangs off the DM device instead: the
 * sysfs directory /sys/block/dm-N/vmirror, the pointer to the live target
 * that sysfs and the control device read, and, through
 * vmirror_dev_activate(), the hand-over of the copy's progress from the
 * old target to the new one (as dm-thin finds its pool again through the
 * mapped device).
 */

#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "vmirror.h"

#define DM_MSG_PREFIX "vmirror"

/**
 * struct vmirror_dev - what a DM device with a vmirror target keeps
 * @kobj: /sys/block/dm-N/vmirror; its release frees the object
 * @list: entry in vmirror_devs
 * @md: the DM device
 * @devt: its device number
 * @targets: the vmirror targets of its tables (live or loaded)
 * @lock: protects @live and @abandoned; held only to read or change them,
 *	never across an operation, so no reader ever waits for one
 * @live: the target of the live table, or NULL
 * @abandoned: the source a failover abandoned, when the failedover target
 *	was destroyed while live (@live is NULL then); length 0 if none.
 *	Under @lock
 * @users_wait: woken when a target's last user (vmirror->users) goes
 * @kobj_added: @kobj is in sysfs (from the first resume: DM adds the disk
 *	to sysfs only after the first table is built); under
 *	vmirror_devs_lock, as @kobj's addition and removal
 *
 * Lock order: vmirror_devs_lock, dev->lock, vmirror->op_lock,
 * vmirror->state_lock, the region map's stripe locks.
 */
struct vmirror_dev {
	struct kobject kobj;
	struct list_head list;
	struct mapped_device *md;
	dev_t devt;
	struct list_head targets;
	struct mutex lock;		/* protects live */
	struct vmirror *live;
	struct vmirror_extent abandoned;
	wait_queue_head_t users_wait;
	bool kobj_added;
};

static LIST_HEAD(vmirror_devs);
/*
 * Protects vmirror_devs, every dev's targets and kobj_added, and is held
 * while a dev's kobject is added to or removed from sysfs: the directory
 * of a dev that goes away is gone before that of one that comes for the
 * same disk is added.  Taken before dev->lock; never held by a sysfs
 * reader (kobject_del() waits for those).
 */
static DEFINE_MUTEX(vmirror_devs_lock);

static void vmirror_dev_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct vmirror_dev, kobj));
}

/* Must be called with vmirror_devs_lock held. */
static struct vmirror_dev *__vmirror_dev_find(struct mapped_device *md,
					      dev_t devt)
{
	struct vmirror_dev *dev;

	list_for_each_entry(dev, &vmirror_devs, list)
		if (dev->md == md || (devt && dev->devt == devt))
			return dev;
	return NULL;
}

/* Must be called with vmirror_devs_lock held. */
static struct vmirror_dev *__vmirror_dev_create(struct mapped_device *md)
{
	struct gendisk *disk = dm_disk(md);
	struct vmirror_dev *dev;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return NULL;
	dev->md = md;
	dev->devt = disk_devt(disk);
	INIT_LIST_HEAD(&dev->targets);
	mutex_init(&dev->lock);
	init_waitqueue_head(&dev->users_wait);
	kobject_init(&dev->kobj, &vmirror_ktype);
	list_add_tail(&dev->list, &vmirror_devs);
	return dev;
}

int vmirror_dev_attach(struct vmirror *vm)
{
	struct mapped_device *md = dm_table_get_md(vm->ti->table);
	struct vmirror_dev *dev;
	struct vmirror *other;
	int r = 0;

	mutex_lock(&vmirror_devs_lock);
	dev = __vmirror_dev_find(md, 0);
	if (dev) {
		list_for_each_entry(other, &dev->targets, dev_entry) {
			if (other->ti->table == vm->ti->table) {
				vm->ti->error = "Only one vmirror target per table";
				r = -EINVAL;
				goto out;
			}
		}
	} else {
		dev = __vmirror_dev_create(md);
		if (!dev) {
			vm->ti->error = "Cannot allocate device object";
			r = -ENOMEM;
			goto out;
		}
	}
	vm->dev = dev;
	list_add_tail(&vm->dev_entry, &dev->targets);
out:
	mutex_unlock(&vmirror_devs_lock);
	return r;
}

/* The live target of @dev with a user reference, or NULL. */
static struct vmirror *vmirror_dev_get(struct vmirror_dev *dev)
{
	struct vmirror *vm;

	mutex_lock(&dev->lock);
	vm = dev->live;
	if (vm)
		atomic_inc(&vm->users);
	mutex_unlock(&dev->lock);
	return vm;
}

void vmirror_dev_put(struct vmirror *vm)
{
	struct vmirror_dev *dev = vm->dev;

	/* @vm may be freed as soon as the count drops: @dev stays. */
	if (atomic_dec_and_test(&vm->users))
		wake_up(&dev->users_wait);
}

void vmirror_dev_deactivate(struct vmirror *vm)
{
	struct vmirror_dev *dev = vm->dev;

	mutex_lock(&dev->lock);
	if (dev->live == vm) {
		/*
		 * The table goes without a successor having taken its state
		 * over (a refused resume, a removal): if it failed over, the
		 * fact must outlive it.  Lock order: dev->lock, state_lock.
		 */
		if (!vmirror_abandoned_source(vm, &dev->abandoned))
			dev->abandoned.len = 0;
		WRITE_ONCE(dev->live, NULL);
	}
	mutex_unlock(&dev->lock);
	/* No new user can find it; wait for those who did (an operation). */
	wait_event(dev->users_wait, !atomic_read(&vm->users));
}

void vmirror_dev_detach(struct vmirror *vm)
{
	struct vmirror_dev *dev = vm->dev;
	bool last;

	vmirror_dev_deactivate(vm);
	mutex_lock(&vmirror_devs_lock);
	list_del(&vm->dev_entry);
	last = list_empty(&dev->targets);
	if (last) {
		list_del(&dev->list);
		/* Waits for sysfs readers; they take dev->lock, not this. */
		if (dev->kobj_added)
			kobject_del(&dev->kobj);
	}
	mutex_unlock(&vmirror_devs_lock);
	if (last)
		kobject_put(&dev->kobj);
}

/* The live target of @vm's device if it is another one, with a user ref. */
static struct vmirror *vmirror_dev_get_other(struct vmirror *vm)
{
	struct vmirror *old = vmirror_dev_get(vm->dev);

	if (old == vm) {
		vmirror_dev_put(old);
		return NULL;
	}
	return old;
}

/* Whether @vm would read the source a destroyed failedover table abandoned. */
static char *vmirror_dev_abandoned_error(struct vmirror *vm)
{
	struct vmirror_dev *dev = vm->dev;
	bool reads;

	mutex_lock(&dev->lock);
	reads = dev->abandoned.len &&
		vmirror_reads_extent(vm, &dev->abandoned);
	mutex_unlock(&dev->lock);
	return reads ? VMIRROR_ABANDONED_ERROR : NULL;
}

char *vmirror_dev_successor_error(struct vmirror *vm)
{
	struct vmirror *old = vmirror_dev_get_other(vm);
	char *why;

	if (!old)
		return vmirror_dev_abandoned_error(vm);
	why = vmirror_successor_error(vm, old);
	vmirror_dev_put(old);
	return why;
}

char *vmirror_dev_retire_live(struct vmirror *vm)
{
	struct vmirror *old = vmirror_dev_get_other(vm);
	char *why;

	if (!old)
		return vmirror_dev_abandoned_error(vm);
	vmirror_retire(old);
	why = vmirror_successor_error(vm, old);
	vmirror_dev_put(old);
	return why;
}

void vmirror_dev_activate(struct vmirror *vm)
{
	struct vmirror_dev *dev = vm->dev;
	struct vmirror *old = vmirror_dev_get_other(vm);

	/* Resumes of one DM device are serialised: nothing else moves @live. */
	if (old) {
		if (vmirror_same_association(vm, old))
			vmirror_take_over(vm, old);
		vmirror_dev_put(old);
	}
	/*
	 * @vm passed vmirror_dev_retire_live(): it does not read an abandoned
	 * source, or took the failedover state over (and carries it on).
	 */
	mutex_lock(&dev->lock);
	WRITE_ONCE(dev->live, vm);
	dev->abandoned.len = 0;
	mutex_unlock(&dev->lock);

	mutex_lock(&vmirror_devs_lock);
	if (!dev->kobj_added) {
		if (kobject_add(&dev->kobj, &disk_to_dev(dm_disk(dev->md))->kobj,
				"vmirror"))
			DMERR("%s: cannot create the sysfs directory",
			      dm_device_name(dev->md));
		else
			WRITE_ONCE(dev->kobj_added, true);
	}
	mutex_unlock(&vmirror_devs_lock);
}

void vmirror_dev_notify(struct vmirror *vm, const char *attr,
			const char *copy_state)
{
	struct vmirror_dev *dev = vm->dev;
	char env_state[64];
	char *envp[3] = { "VMIRROR_EVENT=state_change", env_state, NULL };

	if (!READ_ONCE(dev->kobj_added))
		return;
	sysfs_notify(&dev->kobj, NULL, attr);
	if (!copy_state)
		return;
	/*
	 * Uevents of kobjects that are not devices are filtered out by the
	 * devices kset, so the change is announced on the disk itself, as
	 * device-mapper does for its own events.
	 */
	snprintf(env_state, sizeof(env_state), "VMIRROR_COPY_STATE=%s",
		 copy_state);
	kobject_uevent_env(&disk_to_dev(dm_disk(dev->md))->kobj, KOBJ_CHANGE,
			   envp);
}

struct vmirror *vmirror_dev_get_live(dev_t devt)
{
	struct vmirror_dev *dev;
	struct vmirror *vm;

	mutex_lock(&vmirror_devs_lock);
	dev = __vmirror_dev_find(NULL, devt);
	if (dev)
		kobject_get(&dev->kobj);
	mutex_unlock(&vmirror_devs_lock);
	if (!dev)
		return NULL;

	vm = vmirror_dev_get(dev);
	if (!vm)
		kobject_put(&dev->kobj);
	return vm;
}

void vmirror_dev_put_live(struct vmirror *vm)
{
	struct vmirror_dev *dev = vm->dev;

	vmirror_dev_put(vm);
	kobject_put(&dev->kobj);
}

unsigned int vmirror_dev_list(dev_t *devs, unsigned int max)
{
	struct vmirror_dev *dev;
	unsigned int n = 0;

	mutex_lock(&vmirror_devs_lock);
	list_for_each_entry(dev, &vmirror_devs, list) {
		if (READ_ONCE(dev->live)) {
			if (n < max)
				devs[n] = dev->devt;
			n++;
		}
	}
	mutex_unlock(&vmirror_devs_lock);
	return n;
}

/*
 * sysfs.c reaches the live target of a kobject through these; sysfs keeps
 * the kobject while a file of it is in use.
 */
struct vmirror *vmirror_dev_get_kobj(struct kobject *kobj)
{
	return vmirror_dev_get(container_of(kobj, struct vmirror_dev, kobj));
}

void vmirror_dev_release_kobj(struct kobject *kobj)
{
	vmirror_dev_release(kobj);
}
