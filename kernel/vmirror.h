/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vmirror: what the target, the copier, sysfs and the control device
 * share.
 */
#ifndef DM_VMIRROR_H
#define DM_VMIRROR_H

#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "args.h"
#include "compat.h"
#include "state.h"

struct region_map;
struct vmirror_copier;
struct vmirror_status;
struct vmirror_dev;

/**
 * struct vmirror - one vmirror target instance (one table)
 * @ti: the DM target
 * @dev: the per-device object (sysfs, control device) of the DM device
 * @dev_entry: entry in the device object's list of targets
 * @source: the source leg
 * @mirror: the mirror leg
 * @source_start: first sector of the source leg
 * @mirror_start: first sector of the mirror leg
 * @source_seq: diskseq of the source's disk when the table was loaded
 * @mirror_seq: diskseq of the mirror's disk when the table was loaded
 * @region_shift: log2 of the region size in sectors
 * @rm: the region map; handed over to the next table on a reload that
 *	names the same legs
 * @copier: the background copy thread
 * @mirror_bs: bios that clone host writes for the mirror leg
 * @state_lock: protects @state and @io_mode
 * @state: the association's state machine
 * @io_mode: copy of vmirror_state_io_mode(), read on the bio path without
 *	@state_lock
 * @activated: the first resume has happened
 * @op_lock: serialises operations (messages, ioctls), and them with the
 *	hand-over to the next table
 * @resumed: the table has been resumed; operations are refused before
 *	(under @op_lock)
 * @retired: a new table is taking over; operations are refused (under
 *	@op_lock)
 * @refused: why the table is never resumed (it would read a source
 *	abandoned by a failover of the table it replaces), or NULL;
 *	preresume only
 * @users: sysfs and ioctl users of the target as the live one
 *	(vmirror_dev_get_live()); it is destroyed only once they are gone
 * @quiescing: a split waits for host writes to drain
 * @quiesce_wait: woken by completing writes while @quiescing
 * @notify_work: raises the notifications of a state change
 * @notify_pending: what @notify_work has to raise (VMIRROR_NOTIFY_* bits)
 * @retry_lock: protects @retry_reads
 * @retry_reads: reads the source failed, to be read again from the mirror
 * @retry_work: issues @retry_reads (bio allocation may sleep)
 * @last_percent: percent_synced last notified through sysfs
 * @last_host_io: jiffies of the latest host bio (copy_priority low yields
 *	to the host while it is recent); written at most once a jiffy
 * @bytes_copied: bytes the background copy has written to the mirror
 * @source_errors: I/O errors seen on the source
 * @mirror_errors: I/O errors seen on the mirror
 * @no_activation: table argument, kept for the table line
 * @nosync: table argument, kept for the table line
 */
struct vmirror {
	struct dm_target *ti;
	struct vmirror_dev *dev;
	struct list_head dev_entry;
	struct dm_dev *source;
	struct dm_dev *mirror;
	sector_t source_start;
	sector_t mirror_start;
	u64 source_seq;
	u64 mirror_seq;
	unsigned int region_shift;

	struct region_map *rm;
	struct vmirror_copier *copier;
	struct bio_set mirror_bs;

	spinlock_t state_lock;		/* protects state, io_mode */
	struct vmirror_state state;
	enum vmirror_io_mode io_mode;
	bool activated;

	struct mutex op_lock;		/* serialises operations */
	bool resumed;
	bool retired;
	char *refused;
	atomic_t users;
	bool quiescing;
	wait_queue_head_t quiesce_wait;
	struct work_struct notify_work;
	unsigned long notify_pending;
	atomic_t last_percent;

	spinlock_t retry_lock;		/* protects retry_reads */
	struct bio_list retry_reads;
	struct work_struct retry_work;

	unsigned long last_host_io;

	atomic64_t bytes_copied;
	atomic64_t source_errors;
	atomic64_t mirror_errors;

	bool no_activation;
	bool nosync;
};

static inline sector_t vmirror_region_sectors(const struct vmirror *vm)
{
	return (sector_t)1 << vm->region_shift;
}

/* Region of a target-relative sector. */
static inline u64 vmirror_sector_to_region(const struct vmirror *vm,
					   sector_t offset)
{
	return offset >> vm->region_shift;
}

/* vmirror-target.c */

/**
 * vmirror_event() - apply an event to the state machine and notify
 * @vm: the target
 * @ev: the event
 *
 * Safe from interrupt context; the notifications are raised from a work
 * item.  Return: as vmirror_state_apply().
 */
int vmirror_event(struct vmirror *vm, enum vmirror_event ev);

/**
 * vmirror_copy_allowed() - whether the background copy may issue copies
 * @vm: the target
 */
bool vmirror_copy_allowed(struct vmirror *vm);

/**
 * vmirror_release_writes() - issue host writes held by the region map
 * @vm: the target
 * @released: list of &struct region_waiter from region_map_copy_end()
 *	or region_map_thaw()
 */
void vmirror_release_writes(struct vmirror *vm, struct list_head *released);

/**
 * vmirror_mirror_failed() - a write to the mirror failed
 * @vm: the target
 * @region: the region, or U64_MAX when none (a flush)
 *
 * Safe from interrupt context.
 */
void vmirror_mirror_failed(struct vmirror *vm, u64 region);

/**
 * vmirror_mirror_unknown() - the mirror may have lost writes, or not
 * @vm: the target
 *
 * A flush of the mirror was abandoned in flight (copier_quiesce() on a
 * stalled mirror): every region counts as out of sync, and a synchronized
 * pair copies again (VMIRROR_EV_DIVERGED).  May be called from process
 * context only.
 */
void vmirror_mirror_unknown(struct vmirror *vm);

/**
 * vmirror_copy_failed() - a copy pass ended with copies the source failed
 * @vm: the target
 * @nr_failed: how many copies failed
 */
void vmirror_copy_failed(struct vmirror *vm, unsigned int nr_failed);

/**
 * vmirror_copied() - the copier has put regions in sync
 * @vm: the target
 * @bytes: how many bytes it copied
 */
void vmirror_copied(struct vmirror *vm, u64 bytes);

/**
 * vmirror_control() - run an operation (a message or an ioctl)
 * @vm: the target
 * @op: VMIRROR_OP_*
 * @value: the argument of VMIRROR_OP_SET_PRIORITY and _SET_MAX_RATE
 *
 * May sleep.  Return: 0, -EBUSY if @op is not legal in the current state
 * (with one log line), -EINVAL for an unknown @op or a bad @value.
 */
int vmirror_control(struct vmirror *vm, u32 op, u32 value);

/**
 * vmirror_same_association() - whether a reload keeps the copy's progress
 * @vm: the new target
 * @old: the live target it replaces
 *
 * Return: true if both name the same disks (device number and diskseq),
 * offsets, length and region size.
 */
bool vmirror_same_association(struct vmirror *vm, struct vmirror *old);

/**
 * struct vmirror_extent - a range of a disk a table names
 * @devt: the disk's device number
 * @diskseq: its diskseq when the table was loaded (a new medium gets a
 *	new one)
 * @start: first sector
 * @len: length in sectors
 */
struct vmirror_extent {
	dev_t devt;
	u64 diskseq;
	sector_t start;
	sector_t len;
};

/* ti->error and log text of a table refused by vmirror_successor_error() */
#define VMIRROR_ABANDONED_ERROR \
	"Source was abandoned by a failover: the mirror has newer writes"

/**
 * vmirror_abandoned_source() - the source a failover abandoned
 * @vm: a target
 * @src: filled in with @vm's source if @vm is failedover
 *
 * Takes @vm's state_lock.  Return: whether @vm is failedover.
 */
bool vmirror_abandoned_source(struct vmirror *vm, struct vmirror_extent *src);

/**
 * vmirror_reads_extent() - whether @vm's source overlaps @e
 * @vm: a target
 * @e: a range of a disk (same device number and diskseq)
 *
 * Return: true if @vm would read (and copy) data of @e.
 */
bool vmirror_reads_extent(struct vmirror *vm, const struct vmirror_extent *e);

/**
 * vmirror_successor_error() - whether @vm may replace the live @old
 * @vm: the new target
 * @old: the live target of the same DM device
 *
 * Return: NULL, or the reason (for ti->error) why not: @old is failedover
 * and @vm would read the source @old abandoned, without taking the
 * failedover state over.
 */
char *vmirror_successor_error(struct vmirror *vm, struct vmirror *old);

/**
 * vmirror_take_over() - take the region map, state and counters of @old
 * @vm: the new target, not yet live
 * @old: the suspended target it replaces
 *
 * Waits for an operation in progress on @old and retires it (see
 * vmirror_retire()).  May sleep.
 */
void vmirror_take_over(struct vmirror *vm, struct vmirror *old);

/**
 * vmirror_retire() - no operation runs on @old any more
 * @old: a target a new table replaces
 *
 * Waits for an operation in progress; later ones fail with -EAGAIN.
 * May sleep.
 */
void vmirror_retire(struct vmirror *old);

/**
 * vmirror_get_status() - everything reported about a mirror
 * @vm: the target
 * @st: filled in, apart from size, dev_major and dev_minor
 *
 * The single source of "dmsetup status", sysfs and VMIRROR_IOC_STATUS.
 */
void vmirror_get_status(struct vmirror *vm, struct vmirror_status *st);

/**
 * vmirror_target_version() - version of the target, major << 16 | minor << 8 | patch
 */
u32 vmirror_target_version(void);

/* dev.c: the per-device object that outlives a table */

/**
 * vmirror_dev_attach() - attach a new target to its DM device's object
 * @vm: the target, in its constructor
 *
 * Creates the object (and /sys/block/dm-N/vmirror) for the first vmirror
 * target of the device.  Return: 0, -EINVAL if the table already has a
 * vmirror target (ti->error set), or -ENOMEM.
 */
int vmirror_dev_attach(struct vmirror *vm);

/**
 * vmirror_dev_deactivate() - sysfs and ioctls no longer reach this target
 * @vm: the target, about to be destroyed
 *
 * If @vm was the live target and is failedover, the device remembers the
 * source it abandoned until another vmirror target becomes live, so that
 * no later table reads that source (see vmirror_dev_successor_error()).
 */
void vmirror_dev_deactivate(struct vmirror *vm);

/**
 * vmirror_dev_detach() - a target is destroyed
 * @vm: the target
 */
void vmirror_dev_detach(struct vmirror *vm);

/**
 * vmirror_dev_activate() - a target becomes the live one (resume)
 * @vm: the target
 *
 * If the previous live target of the device names the same disks,
 * offsets, length and region size, @vm takes over its region map, state
 * and counters, so a reload keeps the copy's progress.  May sleep.
 */
void vmirror_dev_activate(struct vmirror *vm);

/**
 * vmirror_dev_successor_error() - vmirror_successor_error() against the
 *	live target of @vm's device
 * @vm: a new target, in its constructor
 *
 * Also refuses a table that would read a source abandoned by a failedover
 * target that was destroyed while live (a refused resume destroys the
 * table it replaced).  Return: NULL, or the reason for ti->error.
 */
char *vmirror_dev_successor_error(struct vmirror *vm);

/**
 * vmirror_dev_retire_live() - @vm is about to replace the live target
 * @vm: the new target, in its preresume
 *
 * Retires the live target (vmirror_retire()) and checks
 * vmirror_successor_error() against its final state, or, with no live
 * target, against the source a destroyed one abandoned.  May sleep.
 * Return: NULL, or the reason @vm must not be resumed.
 */
char *vmirror_dev_retire_live(struct vmirror *vm);

/**
 * vmirror_dev_notify() - poll() wake-up, and uevent for a state change
 * @vm: the target
 * @attr: the sysfs file that changed
 * @copy_state: the new copy_state word, for a KOBJ_CHANGE uevent on the
 *	DM disk (VMIRROR_COPY_STATE=...); NULL for none
 */
void vmirror_dev_notify(struct vmirror *vm, const char *attr,
			const char *copy_state);

/**
 * vmirror_dev_get_live() - the live target of a DM device, for a user
 * @devt: the DM device
 *
 * The target is not destroyed before vmirror_dev_put_live().  No lock is
 * held: readers never wait for an operation in progress.
 * Return: the target, or NULL if @devt has no live vmirror target.
 */
struct vmirror *vmirror_dev_get_live(dev_t devt);

/**
 * vmirror_dev_put_live() - release vmirror_dev_get_live()
 * @vm: the target it returned
 */
void vmirror_dev_put_live(struct vmirror *vm);

/**
 * vmirror_dev_put() - release a target from vmirror_dev_get_kobj()
 * @vm: the target
 */
void vmirror_dev_put(struct vmirror *vm);

/**
 * vmirror_dev_list() - the device numbers of the live vmirror devices
 * @devs: filled with up to @max numbers
 * @max: room in @devs
 *
 * Return: the number of live vmirror devices (may exceed @max).
 */
unsigned int vmirror_dev_list(dev_t *devs, unsigned int max);

/*
 * For sysfs.c: the live target behind a kobject, for a user (release with
 * vmirror_dev_put()), or NULL; and the kobject release.
 */
struct vmirror *vmirror_dev_get_kobj(struct kobject *kobj);
void vmirror_dev_release_kobj(struct kobject *kobj);

/* sysfs.c */
extern struct kobj_type vmirror_ktype;

/* ctl.c */
int vmirror_ctl_init(void);
void vmirror_ctl_exit(void);

#endif /* DM_VMIRROR_H */
