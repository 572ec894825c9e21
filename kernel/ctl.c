// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/vmirror-control of dm-vmirror: the ioctl interface.
 *
 * Every argument struct starts with its size and is read once with
 * copy_struct_from_user(): a shorter struct reads as zero-extended, a
 * longer one is refused with -E2BIG unless its unknown tail is zero.
 * Output is copied back up to the smaller of the two sizes.  The layout is
 * the same on 32- and 64-bit, so compat_ioctl is the same function.
 */

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../uapi/linux/dm-vmirror.h"
#include "dev.h"
#include "vmirror.h"

#define DM_MSG_PREFIX "vmirror"

/* The largest struct a caller may pass; newer ones than that are absurd. */
#define VMIRROR_IOC_MAX_SIZE	PAGE_SIZE

static_assert(sizeof(struct vmirror_ioc_version) == 32);
static_assert(sizeof(struct vmirror_ioc_list) == 32);
static_assert(sizeof(struct vmirror_status) == 176);
static_assert(sizeof(struct vmirror_control) == 40);
static_assert(offsetof(struct vmirror_status, sync_time_ns) == 56);

/*
 * Read a size-prefixed struct from @uarg into @karg (@ksize bytes).
 * @min_size: bytes a caller must pass at least (up to its input fields).
 * Return: the caller's size, or a negative errno.
 */
static long vmirror_ioc_read(void *karg, size_t ksize, size_t min_size,
			     void __user *uarg)
{
	u32 usize;
	int r;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < min_size)
		return -EINVAL;
	if (usize > VMIRROR_IOC_MAX_SIZE)
		return -E2BIG;
	r = copy_struct_from_user(karg, ksize, uarg, usize);
	if (r)
		return r;
	return usize;
}

/* Copy @karg back, up to the smaller size, with size set to that. */
static long vmirror_ioc_write(void *karg, size_t ksize, size_t usize,
			      void __user *uarg)
{
	u32 n = min(ksize, usize);

	*(u32 *)karg = n;
	return copy_to_user(uarg, karg, n) ? -EFAULT : 0;
}

static bool vmirror_all_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

static long vmirror_ioc_version(void __user *uarg)
{
	struct vmirror_ioc_version v;
	long usize;

	usize = vmirror_ioc_read(&v, sizeof(v), sizeof(v.size), uarg);
	if (usize < 0)
		return usize;
	if (!vmirror_all_zero(v.reserved, sizeof(v.reserved)))
		return -EINVAL;
	v.version = VMIRROR_IOCTL_VERSION;
	v.target_version = vmirror_target_version();
	return vmirror_ioc_write(&v, sizeof(v), usize, uarg);
}

static long vmirror_ioc_list(void __user *uarg)
{
	struct vmirror_ioc_list l;
	u64 __user *udevs;
	dev_t *devs = NULL;
	unsigned int n, i;
	long usize;
	long r = 0;

	usize = vmirror_ioc_read(&l, sizeof(l), offsetofend(struct vmirror_ioc_list, devs),
				 uarg);
	if (usize < 0)
		return usize;
	if (!vmirror_all_zero(l.reserved, sizeof(l.reserved)))
		return -EINVAL;
	if (l.count && !l.devs)
		return -EFAULT;

	if (l.count) {
		devs = kcalloc(min_t(u32, l.count, 4096), sizeof(*devs), GFP_KERNEL);
		if (!devs)
			return -ENOMEM;
	}
	n = vmirror_dev_list(devs, min_t(u32, l.count, 4096));
	udevs = u64_to_user_ptr(l.devs);
	for (i = 0; i < min_t(u32, n, min_t(u32, l.count, 4096)); i++) {
		u64 d = VMIRROR_DEV(MAJOR(devs[i]), MINOR(devs[i]));

		if (put_user(d, udevs + i)) {
			r = -EFAULT;
			break;
		}
	}
	kfree(devs);
	if (r)
		return r;
	l.count = n;
	return vmirror_ioc_write(&l, sizeof(l), usize, uarg);
}

static long vmirror_ioc_status(void __user *uarg)
{
	struct vmirror_status st;
	struct vmirror *vm;
	u32 major, minor;
	long usize;

	usize = vmirror_ioc_read(&st, sizeof(st),
				 offsetofend(struct vmirror_status, dev_minor), uarg);
	if (usize < 0)
		return usize;
	major = st.dev_major;
	minor = st.dev_minor;
	if (!vmirror_all_zero(st.reserved, sizeof(st.reserved)))
		return -EINVAL;
	if (major >= (1U << (32 - MINORBITS)) || minor > MINORMASK)
		return -ENODEV;

	vm = vmirror_get_live(MKDEV(major, minor));
	if (!vm)
		return -ENODEV;
	memset(&st, 0, sizeof(st));
	vmirror_get_status(vm, &st);
	vmirror_put_live(vm);

	st.dev_major = major;
	st.dev_minor = minor;
	return vmirror_ioc_write(&st, sizeof(st), usize, uarg);
}

static long vmirror_ioc_control(void __user *uarg)
{
	struct vmirror_control ctl;
	struct vmirror *vm;
	long usize;
	long r;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	usize = vmirror_ioc_read(&ctl, sizeof(ctl),
				 offsetofend(struct vmirror_control, value), uarg);
	if (usize < 0)
		return usize;
	if (ctl.flags || !vmirror_all_zero(ctl.reserved, sizeof(ctl.reserved)))
		return -EINVAL;
	if (ctl.op < VMIRROR_OP_ACTIVATE || ctl.op > VMIRROR_OP_SET_SYNC_MODE)
		return -EINVAL;
	/* value is the argument of the three settings, reserved for the rest. */
	if (ctl.op < VMIRROR_OP_SET_PRIORITY && ctl.value)
		return -EINVAL;
	if (ctl.dev_major >= (1U << (32 - MINORBITS)) || ctl.dev_minor > MINORMASK)
		return -ENODEV;

	vm = vmirror_get_live(MKDEV(ctl.dev_major, ctl.dev_minor));
	if (!vm)
		return -ENODEV;
	r = vmirror_control(vm, ctl.op, ctl.value);
	vmirror_put_live(vm);
	return r;
}

static long vmirror_ctl_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	/*
	 * The size in the number is that of version 1 and the struct says its
	 * own, so only type, number and direction are matched.
	 */
	if (_IOC_TYPE(cmd) != VMIRROR_IOC_MAGIC)
		return -ENOTTY;

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(VMIRROR_IOC_VERSION):
		if (_IOC_DIR(cmd) != _IOC_DIR(VMIRROR_IOC_VERSION))
			return -ENOTTY;
		return vmirror_ioc_version(uarg);
	case _IOC_NR(VMIRROR_IOC_LIST):
		if (_IOC_DIR(cmd) != _IOC_DIR(VMIRROR_IOC_LIST))
			return -ENOTTY;
		return vmirror_ioc_list(uarg);
	case _IOC_NR(VMIRROR_IOC_STATUS):
		if (_IOC_DIR(cmd) != _IOC_DIR(VMIRROR_IOC_STATUS))
			return -ENOTTY;
		return vmirror_ioc_status(uarg);
	case _IOC_NR(VMIRROR_IOC_CONTROL):
		if (_IOC_DIR(cmd) != _IOC_DIR(VMIRROR_IOC_CONTROL))
			return -ENOTTY;
		return vmirror_ioc_control(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmirror_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = vmirror_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vmirror_ctl_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmirror-control",
	.fops = &vmirror_ctl_fops,
	.mode = 0666,
};

int vmirror_ctl_init(void)
{
	return misc_register(&vmirror_ctl_misc);
}

void vmirror_ctl_exit(void)
{
	misc_deregister(&vmirror_ctl_misc);
}
