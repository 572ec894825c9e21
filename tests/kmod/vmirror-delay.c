// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only module (never part of dm-vmirror): hold one host write for a
 * while on its way into the region map, to open a race window that is
 * otherwise a few instructions wide.  A kprobe on the entry of
 * region_map_write_begin() busy-waits delay_ms once, for the first call
 * made by a task named @comm.  @waiting reads 1 while it waits.
 *
 * The probe sits on the function's ftrace call site, so its handler runs
 * with preemption disabled but interrupts enabled: the other CPU goes on.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>

static char *comm = "vmsplitw";
module_param(comm, charp, 0444);
MODULE_PARM_DESC(comm, "name of the task whose first write is held");

static unsigned int delay_ms = 5000;
module_param(delay_ms, uint, 0444);
MODULE_PARM_DESC(delay_ms, "how long to hold it");

static int waiting;
module_param(waiting, int, 0444);
MODULE_PARM_DESC(waiting, "1 while a write is held");

static atomic_t armed = ATOMIC_INIT(1);

static int vmirror_delay_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (strcmp(current->comm, comm) || !atomic_xchg(&armed, 0))
		return 0;
	WRITE_ONCE(waiting, 1);
	mdelay(delay_ms);
	WRITE_ONCE(waiting, 0);
	return 0;
}

static struct kprobe vmirror_delay_probe = {
	.symbol_name = "region_map_write_begin",
	.pre_handler = vmirror_delay_pre,
};

static int __init vmirror_delay_init(void)
{
	return register_kprobe(&vmirror_delay_probe);
}

static void __exit vmirror_delay_exit(void)
{
	unregister_kprobe(&vmirror_delay_probe);
}

module_init(vmirror_delay_init);
module_exit(vmirror_delay_exit);
MODULE_DESCRIPTION("dm-vmirror tests: hold one write before the region map");
MODULE_LICENSE("GPL");
