/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vmirror: the registry of DM devices with a vmirror target, and what
 * must outlive one table of such a device (dev.c).
 *
 * The registry looks up and counts; it decides nothing.  Whether a new
 * table takes an old one's progress over, or is refused, is the target's
 * decision (vmirror-target.c), made with what the registry returns.
 */
#ifndef DM_VMIRROR_DEV_H
#define DM_VMIRROR_DEV_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/types.h>

struct dm_target;
struct vmirror_dev;

/**
 * struct vmirror_extent - a range of a whole disk a table names
 * @devt: the whole disk's device number (not a partition's)
 * @diskseq: its diskseq when the table was loaded (a new medium gets a
 *	new one)
 * @start: first sector, from the start of the whole disk
 * @len: length in sectors, 0 for none
 */
struct vmirror_extent {
	dev_t devt;
	u64 diskseq;
	sector_t start;
	sector_t len;
};

/**
 * struct vmirror_link - a target's entry in its DM device's object
 * @dev: the device object
 * @entry: in the device object's list of targets (live or loaded)
 * @ti: the target
 * @users: users of the target as the live one (vmirror_dev_get_other(),
 *	vmirror_dev_get_live(), vmirror_dev_get_kobj()); the target is
 *	destroyed only once they are gone
 * @meta: the range of the metadata device the target uses (length 0 if
 *	none), see vmirror_dev_claim(); under the registry's lock
 * @legs: the ranges its source and mirror map, likewise
 */
struct vmirror_link {
	struct vmirror_dev *dev;
	struct list_head entry;
	struct dm_target *ti;
	atomic_t users;
	struct vmirror_extent meta;
	struct vmirror_extent legs[2];
};

/**
 * vmirror_dev_init() - module init: what the device objects' sysfs
 *	directories show
 * @ops: how their files are read and written
 * @groups: the attribute groups of /sys/block/dm-N/vmirror
 *
 * Context: before the target type is registered.
 */
void vmirror_dev_init(const struct sysfs_ops *ops,
		      const struct attribute_group **groups);

/**
 * vmirror_dev_attach() - attach a new target to its DM device's object
 * @link: the target's link, @link->ti set
 *
 * Creates the object for the first vmirror target of the device.
 * Context: the target's constructor; may sleep.
 * Return: 0, -EINVAL if the table already has a vmirror target
 * (ti->error set), or -ENOMEM.
 */
int vmirror_dev_attach(struct vmirror_link *link);

/**
 * vmirror_extents_overlap() - whether two ranges share a sector of a disk
 * @a: a range (length 0: none)
 * @b: another
 *
 * Return: true if they do (their diskseq is not compared).
 */
bool vmirror_extents_overlap(const struct vmirror_extent *a,
			     const struct vmirror_extent *b);

/**
 * vmirror_dev_claim() - record the legs and metadata device a target uses
 * @link: the target's link (attached)
 * @legs: the ranges of their whole disks its source and mirror map
 * @meta: the range of the whole disk its metadata device covers (length
 *	0 for none)
 * @owner: on error, filled with the name of the DM device in the way
 * @len: room in @owner
 *
 * A metadata device is used by the targets of one DM device at a time:
 * its live table, and a new table of the same device that is to take it
 * over at its resume; and it is nobody's leg.  The claim goes with the
 * target (vmirror_dev_detach()); a later call replaces it.
 *
 * Return: 0; -EBUSY if a target of another DM device uses a range of the
 * same disk that overlaps @meta as its metadata device or a leg; -EEXIST
 * if one of @legs overlaps another DM device's metadata device.
 */
int vmirror_dev_claim(struct vmirror_link *link,
		      const struct vmirror_extent *legs,
		      const struct vmirror_extent *meta, char *owner,
		      size_t len);

/**
 * vmirror_dev_deactivate() - sysfs and ioctls no longer reach this target
 * @link: the target's link
 * @abandoned: the source the target abandoned by a failover, or NULL
 *
 * Waits for the target's users.  If it was the live target, the device
 * remembers @abandoned until another target becomes live (see
 * vmirror_dev_abandoned()).  Context: may sleep.
 */
void vmirror_dev_deactivate(struct vmirror_link *link,
			    const struct vmirror_extent *abandoned);

/**
 * vmirror_dev_detach() - a target is destroyed
 * @link: the target's link, deactivated unless it never became live (a
 *	constructor's error path)
 *
 * Context: may sleep (the last target removes the sysfs directory).
 */
void vmirror_dev_detach(struct vmirror_link *link);

/**
 * vmirror_dev_activate() - a target becomes the live one (resume)
 * @link: the target's link
 *
 * Forgets the abandoned source, and adds the sysfs directory at the first
 * activation.  Context: may sleep.
 */
void vmirror_dev_activate(struct vmirror_link *link);

/**
 * vmirror_dev_get_other() - the live target of @link's device, if another
 * @link: a target's link
 *
 * Return: the live target's link with a user reference (release with
 * vmirror_dev_put()), or NULL if there is none or it is @link's target.
 */
struct vmirror_link *vmirror_dev_get_other(struct vmirror_link *link);

/**
 * vmirror_dev_abandoned() - the source a destroyed failedover target left
 * @link: a target's link
 * @src: filled in if there is one
 *
 * Return: true if a live target was destroyed failedover and no target
 * has become live since (a refused resume destroys the table it was to
 * replace).
 */
bool vmirror_dev_abandoned(struct vmirror_link *link,
			   struct vmirror_extent *src);

/**
 * vmirror_dev_put() - release a user reference
 * @link: a link from vmirror_dev_get_other() or vmirror_dev_get_kobj()
 */
void vmirror_dev_put(struct vmirror_link *link);

/**
 * vmirror_dev_get_live() - the live target of a DM device, for a user
 * @devt: the DM device
 *
 * No lock is held: readers never wait for an operation in progress.
 * Return: the live target's link (release with vmirror_dev_put_live()),
 * or NULL if @devt has no live vmirror target.
 */
struct vmirror_link *vmirror_dev_get_live(dev_t devt);

/**
 * vmirror_dev_put_live() - release vmirror_dev_get_live()
 * @link: the link it returned
 */
void vmirror_dev_put_live(struct vmirror_link *link);

/**
 * vmirror_dev_get_kobj() - the live target behind a sysfs directory
 * @kobj: /sys/block/dm-N/vmirror (sysfs holds it while a file is in use)
 *
 * Return: the live target's link (release with vmirror_dev_put()), or
 * NULL.
 */
struct vmirror_link *vmirror_dev_get_kobj(struct kobject *kobj);

/**
 * vmirror_dev_notify() - poll() wake-up, and uevent for a state change
 * @link: the target's link
 * @attr: the sysfs file that changed
 * @copy_state: the new copy_state word, for a KOBJ_CHANGE uevent on the
 *	DM disk (VMIRROR_COPY_STATE=...); NULL for none
 *
 * Context: process (sysfs_notify() may sleep).
 */
void vmirror_dev_notify(struct vmirror_link *link, const char *attr,
			const char *copy_state);

/**
 * vmirror_dev_list() - the device numbers of the live vmirror devices
 * @devs: filled with up to @max numbers
 * @max: room in @devs
 *
 * Return: the number of live vmirror devices (may exceed @max).
 */
unsigned int vmirror_dev_list(dev_t *devs, unsigned int max);

#endif /* DM_VMIRROR_DEV_H */
