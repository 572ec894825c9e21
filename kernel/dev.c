// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of dm-vmirror: one object per DM device with a vmirror
 * target, found through the mapped device (as dm-thin finds its pool).
 *
 * A table reload builds a new target while the old one still serves I/O,
 * and the old one is destroyed only after the new one has resumed.  What
 * must outlive one target therefore hangs off the DM device instead: the
 * sysfs directory /sys/block/dm-N/vmirror (its kobject, ktype and release
 * are here), the live target that sysfs and the control device reach,
 * and the source a failover abandoned when its table went with no
 * successor.  The registry looks up and counts; the target decides
 * (vmirror-target.c, "Reload").
 */

#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "dev.h"

#define DM_MSG_PREFIX "vmirror"

/**
 * struct vmirror_dev - what a DM device with a vmirror target keeps
 * @kobj: /sys/block/dm-N/vmirror; its release frees the object
 * @list: entry in vmirror_devs
 * @md: the DM device
 * @devt: its device number
 * @targets: the links of the vmirror targets of its tables (live or loaded)
 * @lock: protects @live and @abandoned; held only to read or change them,
 *	never across an operation, so no reader ever waits for one
 * @live: the link of the live table's target, or NULL
 * @abandoned: the source a failover abandoned, when the failedover target
 *	was destroyed while live (@live is NULL then); length 0 if none
 * @users_wait: woken when a target's last user (link->users) goes
 * @kobj_added: @kobj is in sysfs (from the first resume: DM adds the disk
 *	to sysfs only after the first table is built); under
 *	vmirror_devs_lock, as @kobj's addition and removal
 */
struct vmirror_dev {
	struct kobject kobj;
	struct list_head list;
	struct mapped_device *md;
	dev_t devt;
	struct list_head targets;
	struct mutex lock;		/* protects live, abandoned */
	struct vmirror_link *live;
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

/* The files of the directory are sysfs.c's (vmirror_dev_init()). */
static struct kobj_type vmirror_dev_ktype = {
	.release = vmirror_dev_release,
};

void vmirror_dev_init(const struct sysfs_ops *ops,
		      const struct attribute_group **groups)
{
	vmirror_dev_ktype.sysfs_ops = ops;
	vmirror_dev_ktype.default_groups = groups;
}

/* Must be called with vmirror_devs_lock held. */
static struct vmirror_dev *__vmirror_dev_find(struct mapped_device *md,
					      dev_t devt)
{
	struct vmirror_dev *dev;

	lockdep_assert_held(&vmirror_devs_lock);
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

	lockdep_assert_held(&vmirror_devs_lock);
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return NULL;
	dev->md = md;
	dev->devt = disk_devt(disk);
	INIT_LIST_HEAD(&dev->targets);
	mutex_init(&dev->lock);
	init_waitqueue_head(&dev->users_wait);
	kobject_init(&dev->kobj, &vmirror_dev_ktype);
	list_add_tail(&dev->list, &vmirror_devs);
	return dev;
}

int vmirror_dev_attach(struct vmirror_link *link)
{
	struct dm_target *ti = link->ti;
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct vmirror_link *other;
	struct vmirror_dev *dev;
	int r = 0;

	atomic_set(&link->users, 0);
	link->meta.len = 0;
	link->legs[0].len = 0;
	link->legs[1].len = 0;
	mutex_lock(&vmirror_devs_lock);
	dev = __vmirror_dev_find(md, 0);
	if (dev) {
		list_for_each_entry(other, &dev->targets, entry) {
			if (other->ti->table == ti->table) {
				ti->error = "Only one vmirror target per table";
				r = -EINVAL;
				goto out;
			}
		}
	} else {
		dev = __vmirror_dev_create(md);
		if (!dev) {
			ti->error = "Cannot allocate device object";
			r = -ENOMEM;
			goto out;
		}
	}
	link->dev = dev;
	list_add_tail(&link->entry, &dev->targets);
out:
	mutex_unlock(&vmirror_devs_lock);
	return r;
}

bool vmirror_extents_overlap(const struct vmirror_extent *a,
			     const struct vmirror_extent *b)
{
	return a->len && b->len && a->devt == b->devt &&
	       a->start < b->start + b->len && b->start < a->start + a->len;
}

/* Whether @e overlaps the legs of @other */
static bool vmirror_link_legs_overlap(const struct vmirror_link *other,
				      const struct vmirror_extent *e)
{
	return vmirror_extents_overlap(&other->legs[0], e) ||
	       vmirror_extents_overlap(&other->legs[1], e);
}

int vmirror_dev_claim(struct vmirror_link *link,
		      const struct vmirror_extent *legs,
		      const struct vmirror_extent *meta, char *owner,
		      size_t len)
{
	struct vmirror_link *other;
	struct vmirror_dev *dev;
	int r = 0;

	mutex_lock(&vmirror_devs_lock);
	list_for_each_entry(dev, &vmirror_devs, list) {
		/* A reload of the same device takes the handle over. */
		if (dev == link->dev)
			continue;
		list_for_each_entry(other, &dev->targets, entry) {
			if (vmirror_extents_overlap(&other->meta, meta) ||
			    vmirror_link_legs_overlap(other, meta))
				r = -EBUSY;
			else if (vmirror_extents_overlap(&other->meta, &legs[0]) ||
				 vmirror_extents_overlap(&other->meta, &legs[1]))
				r = -EEXIST;
			if (!r)
				continue;
			/* Its name as dmsetup knows it, else its number. */
			if (len < DM_NAME_LEN ||
			    dm_copy_name_and_uuid(dev->md, owner, NULL))
				strscpy(owner, dm_device_name(dev->md), len);
			goto out;
		}
	}
	link->legs[0] = legs[0];
	link->legs[1] = legs[1];
	link->meta = *meta;
out:
	mutex_unlock(&vmirror_devs_lock);
	return r;
}

/* The live target of @dev with a user reference, or NULL. */
static struct vmirror_link *vmirror_dev_get(struct vmirror_dev *dev)
{
	struct vmirror_link *link;

	mutex_lock(&dev->lock);
	link = dev->live;
	if (link)
		atomic_inc(&link->users);
	mutex_unlock(&dev->lock);
	return link;
}

void vmirror_dev_put(struct vmirror_link *link)
{
	struct vmirror_dev *dev = link->dev;

	/* The target may be freed as soon as the count drops: @dev stays. */
	if (atomic_dec_and_test(&link->users))
		wake_up(&dev->users_wait);
}

void vmirror_dev_deactivate(struct vmirror_link *link,
			    const struct vmirror_extent *abandoned)
{
	struct vmirror_dev *dev = link->dev;

	mutex_lock(&dev->lock);
	if (dev->live == link) {
		/*
		 * The table goes without a successor having taken its state
		 * over (a refused resume, a removal): a failover's abandoned
		 * source must outlive it.
		 */
		if (abandoned)
			dev->abandoned = *abandoned;
		else
			dev->abandoned.len = 0;
		WRITE_ONCE(dev->live, NULL);
	}
	mutex_unlock(&dev->lock);
	/* No new user can find it; wait for those who did (an operation). */
	wait_event(dev->users_wait, !atomic_read(&link->users));
}

void vmirror_dev_detach(struct vmirror_link *link)
{
	struct vmirror_dev *dev = link->dev;
	bool last;

	mutex_lock(&vmirror_devs_lock);
	list_del(&link->entry);
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

struct vmirror_link *vmirror_dev_get_other(struct vmirror_link *link)
{
	struct vmirror_link *live = vmirror_dev_get(link->dev);

	if (live == link) {
		vmirror_dev_put(live);
		return NULL;
	}
	return live;
}

bool vmirror_dev_abandoned(struct vmirror_link *link,
			   struct vmirror_extent *src)
{
	struct vmirror_dev *dev = link->dev;
	bool found;

	mutex_lock(&dev->lock);
	found = dev->abandoned.len;
	if (found)
		*src = dev->abandoned;
	mutex_unlock(&dev->lock);
	return found;
}

void vmirror_dev_activate(struct vmirror_link *link)
{
	struct vmirror_dev *dev = link->dev;

	/*
	 * The target passed its preresume: it does not read an abandoned
	 * source, or took the failedover state over (and carries it on).
	 */
	mutex_lock(&dev->lock);
	WRITE_ONCE(dev->live, link);
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

void vmirror_dev_notify(struct vmirror_link *link, const char *attr,
			const char *copy_state)
{
	struct vmirror_dev *dev = link->dev;
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

struct vmirror_link *vmirror_dev_get_live(dev_t devt)
{
	struct vmirror_link *link;
	struct vmirror_dev *dev;

	mutex_lock(&vmirror_devs_lock);
	dev = __vmirror_dev_find(NULL, devt);
	if (dev)
		kobject_get(&dev->kobj);
	mutex_unlock(&vmirror_devs_lock);
	if (!dev)
		return NULL;

	link = vmirror_dev_get(dev);
	if (!link)
		kobject_put(&dev->kobj);
	return link;
}

void vmirror_dev_put_live(struct vmirror_link *link)
{
	struct vmirror_dev *dev = link->dev;

	vmirror_dev_put(link);
	kobject_put(&dev->kobj);
}

struct vmirror_link *vmirror_dev_get_kobj(struct kobject *kobj)
{
	return vmirror_dev_get(container_of(kobj, struct vmirror_dev, kobj));
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
