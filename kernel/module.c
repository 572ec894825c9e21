// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vmirror: the module, and what it registers, in order: the work
 * queues, the sysfs files of the device objects, the control device, the
 * target type.
 */

#include <linux/device-mapper.h>
#include <linux/module.h>

#include "copier.h"
#include "dev.h"
#include "vmirror.h"

#define DM_MSG_PREFIX "vmirror"

static int __init dm_vmirror_init(void)
{
	int r;

	r = vmirror_io_init();
	if (r)
		return r;
	r = vmirror_ops_init();
	if (r)
		goto out_io;
	r = copier_init();
	if (r)
		goto out_ops;
	vmirror_dev_init(&vmirror_sysfs_ops, vmirror_sysfs_groups);
	r = vmirror_ctl_init();
	if (r) {
		DMERR("cannot register /dev/vmirror-control: %d", r);
		goto out_copier;
	}
	r = vmirror_target_register();
	if (r < 0) {
		DMERR("register failed %d", r);
		goto out_ctl;
	}
	return 0;

out_ctl:
	vmirror_ctl_exit();
out_copier:
	copier_exit();
out_ops:
	vmirror_ops_exit();
out_io:
	vmirror_io_exit();
	return r;
}

static void __exit dm_vmirror_exit(void)
{
	vmirror_target_unregister();
	vmirror_ctl_exit();
	copier_exit();
	vmirror_ops_exit();
	vmirror_io_exit();
}

module_init(dm_vmirror_init);
module_exit(dm_vmirror_exit);

MODULE_DESCRIPTION(DM_NAME " live mirror target with background copy");
MODULE_AUTHOR("dm-vmirror developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMIRROR_VERSION);
