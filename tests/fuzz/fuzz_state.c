// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness of kernel/state.c: any sequence of events leaves a
 * state whose reported words all exist and whose io mode fits it.
 */
#include "../unit/fake/fake_kernel.h"
#include "../../uapi/linux/dm-vmirror.h"
#include "../../kernel/state.h"

static void check(const struct vmirror_state *st)
{
	u16 cs = vmirror_state_copy_state(st);

	if (!strcmp(vmirror_copy_state_name(cs), "unknown") ||
	    !strcmp(vmirror_sync_state_name(vmirror_state_sync_state(st)), "unknown") ||
	    !strcmp(vmirror_copy_state_name(st->requested_copy_state), "unknown"))
		__builtin_trap();
	if (vmirror_state_copying(st) && (st->paused || st->dm_suspended))
		__builtin_trap();
	if (st->sync_maintained && st->copy_state != VMIRROR_COPY_STATE_SYNCHRONIZED)
		__builtin_trap();
	if (vmirror_state_io_mode(st) == VMIRROR_IO_MIRROR_ONLY &&
	    st->copy_state != VMIRROR_COPY_STATE_FAILEDOVER)
		__builtin_trap();
	/* failedover is final: the source is gone for good. */
	if (st->copy_state == VMIRROR_COPY_STATE_FAILEDOVER && vmirror_state_copying(st))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct vmirror_state st;
	size_t i;

	if (!size)
		return 0;
	vmirror_state_init(&st, data[0] & 1);
	for (i = 1; i < size; i++) {
		u16 before = st.copy_state;
		struct vmirror_write_done d;
		int r;

		if (data[i] & 0x80) {
			/* A write to both disks completes: bits 0-1 source, 2-3 mirror. */
			vmirror_state_write_done(&st, data[i] & 3, (data[i] >> 2) & 3,
						 data[i] & 0x10, i, &d);
			/* A region out of sync: never while synchronized. */
			if (d.unsync && st.copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED)
				__builtin_trap();
			/* The mirror's status is the host's exactly when it is the disk. */
			if (d.host_mirror != (vmirror_state_io_mode(&st) == VMIRROR_IO_MIRROR_ONLY))
				__builtin_trap();
			if (!d.changed && st.copy_state != before)
				__builtin_trap();
			r = 0;
		} else {
			r = vmirror_state_apply(&st, data[i] % (VMIRROR_EV_LAST + 1), i);
		}
		if (r && st.copy_state != before)
			__builtin_trap();	/* a refused event changed nothing */
		if (before == VMIRROR_COPY_STATE_FAILEDOVER &&
		    st.copy_state != VMIRROR_COPY_STATE_FAILEDOVER)
			__builtin_trap();
		check(&st);
	}
	return 0;
}
