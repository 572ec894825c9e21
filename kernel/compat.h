/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vmirror: the differences between the kernel APIs of the kernels the
 * module is built for, in one place, as out-of-tree modules such as DRBD and
 * ZFS keep them.  Built and tested against Debian's 6.1 (bookworm), 6.12
 * (bookworm-backports, trixie) and the newest kernel of Debian unstable
 * (scripts/kernels.sh); the oldest kernel is 6.1.83, whose dm_io() takes an
 * I/O priority.
 *
 * Where an API changed with a mainline release but may also reach older
 * stable kernels (the I/O priority of dm_io() came with 6.9 and went into
 * 6.1.83), the test is of the headers themselves, not of LINUX_VERSION_CODE:
 * kernel/Kbuild looks and defines VMIRROR_HAVE_*.  Where only a type was
 * renamed the call sites avoid naming it: dm_get_device() takes
 * dm_table_get_mode()'s result, an fmode_t before 6.5 and a blk_mode_t after.
 */
#ifndef DM_VMIRROR_COMPAT_H
#define DM_VMIRROR_COMPAT_H

#include <linux/blk_types.h>
#include <linux/dm-io.h>

/*
 * dm_io() and its notify function: in newer kernels (7.2 has it; kernel/Kbuild
 * defines VMIRROR_HAVE_DM_IO_UNSUP where the headers have it) a region whose
 * I/O failed with BLK_STS_NOTSUPP or BLK_STS_INVAL is reported in a second
 * bit set, "unsup", and not in the error bits.  For vmirror a copy that
 * failed has failed, whatever the status: the wrappers fold both sets into
 * the one error word the callers check, as dm-kcopyd does (error | unsup), so
 * that a write the mirror refused is never taken for a copied region.
 */
#ifdef VMIRROR_HAVE_DM_IO_UNSUP

/**
 * VMIRROR_DM_IO_NOTIFY() - define the notify function dm_io() calls for @fn
 * @fn: a function of the older shape, void fn(unsigned long error, void *context)
 *
 * Use vmirror_dm_io_notify(@fn) as the request's notify.fn.
 */
#define VMIRROR_DM_IO_NOTIFY(fn)					\
static void fn##_unsup(unsigned long error, unsigned long unsup,	\
		       void *context)					\
{									\
	fn(error | unsup, context);					\
}

/**
 * vmirror_dm_io_notify() - the notify function for dm_io() that calls @fn
 * @fn: a function of the older shape, with VMIRROR_DM_IO_NOTIFY(@fn) after it
 */
#define vmirror_dm_io_notify(fn) fn##_unsup

/**
 * vmirror_dm_io() - dm_io(), with failed-as-unsupported regions as errors
 * @req: the request
 * @num_regions: number of entries in @where
 * @where: the regions
 * @error_bits: for a synchronous request, the regions that failed (or NULL)
 * @ioprio: the I/O priority of the bios
 *
 * Return: as dm_io(): 0, or a negative errno.
 */
static inline int vmirror_dm_io(struct dm_io_request *req,
				unsigned int num_regions,
				struct dm_io_region *where,
				unsigned long *error_bits,
				unsigned short ioprio)
{
	unsigned long unsup = 0;
	int r = dm_io(req, num_regions, where, error_bits, &unsup, ioprio);

	if (error_bits)
		*error_bits |= unsup;
	return r;
}

#else /* !VMIRROR_HAVE_DM_IO_UNSUP */

#define VMIRROR_DM_IO_NOTIFY(fn)
#define vmirror_dm_io_notify(fn) fn

static inline int vmirror_dm_io(struct dm_io_request *req,
				unsigned int num_regions,
				struct dm_io_region *where,
				unsigned long *error_bits,
				unsigned short ioprio)
{
	return dm_io(req, num_regions, where, error_bits, ioprio);
}

#endif /* VMIRROR_HAVE_DM_IO_UNSUP */

#endif /* DM_VMIRROR_COMPAT_H */
