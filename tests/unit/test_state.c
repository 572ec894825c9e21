// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of kernel/state.c, the MSFT state machine.
 */
#include "fake/fake_kernel.h"
#include "../../uapi/linux/dm-vmirror.h"
#include "../../kernel/state.h"
#include "harness.h"

static void expect(const struct vmirror_state *st, const char *copy,
		   const char *sync, const char *progress)
{
	const char *c = vmirror_copy_state_name(vmirror_state_copy_state(st));
	const char *s = vmirror_sync_state_name(vmirror_state_sync_state(st));
	const char *p = vmirror_progress_name(vmirror_state_progress(st));

	if (strcmp(c, copy) || strcmp(s, sync) || strcmp(p, progress)) {
		printf("  got %s/%s/%s, want %s/%s/%s\n", c, s, p, copy, sync,
		       progress);
		harness_failed_now = 1;
	}
}

static void load_activate_sync(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, false);
	expect(&st, "initialized", "initialized", "initializing");
	CHECK(st.requested_copy_state == VMIRROR_COPY_STATE_NOT_APPLICABLE);
	CHECK(!vmirror_state_copying(&st));
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 5) == -EBUSY);

	CHECK(vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0) == 0);
	expect(&st, "unsynchronized", "resync_in_progress", "synchronizing");
	CHECK(st.requested_copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED);
	CHECK(vmirror_state_copying(&st));
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0) == -EBUSY);

	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 1234) == 0);
	expect(&st, "synchronized", "synchronized", "completed");
	CHECK(st.sync_maintained && st.sync_time_ns == 1234);
	CHECK(st.requested_copy_state == VMIRROR_COPY_STATE_NOT_APPLICABLE);
	CHECK(!vmirror_state_copying(&st));
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_MIRRORED);
}

static void no_activation_requires_activate(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, true);
	expect(&st, "initialized", "initialized", "requires_activate");
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_PAUSE, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0) == 0);
	expect(&st, "unsynchronized", "resync_in_progress", "synchronizing");
}

static void pause_and_resume(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, false);
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESUME, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_PAUSE, 0) == 0);
	expect(&st, "unsynchronized", "resync_in_progress", "dormant");
	CHECK(!vmirror_state_copying(&st));
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_PAUSE, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESUME, 0) == 0);
	expect(&st, "unsynchronized", "resync_in_progress", "synchronizing");
	CHECK(vmirror_state_copying(&st));
	vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 1);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_PAUSE, 0) == -EBUSY);
}

static void dm_suspend_is_reported_and_undone(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, false);
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_DM_SUSPEND, 0) == 0);
	expect(&st, "suspended", "frozen", "dormant");
	CHECK(!vmirror_state_copying(&st));
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_DM_SUSPEND, 0) == -EALREADY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_DM_RESUME, 0) == 0);
	expect(&st, "unsynchronized", "resync_in_progress", "synchronizing");
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_DM_RESUME, 0) == -EALREADY);
}

static void mirror_failure_breaks(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, false);
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 7);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_MIRROR_FAILED, 0) == 0);
	expect(&st, "broken", "broken", "requires_resync");
	CHECK(!st.sync_maintained);
	CHECK(st.sync_time_ns == 7);
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_SOURCE_TRACKED);
	CHECK(!vmirror_state_copying(&st));
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_MIRROR_FAILED, 0) == -EALREADY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_PAUSE, 0) == -EBUSY);
}

/* A pass that could not read the source cannot end: broken, resync retries. */
static void copy_failure_breaks(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, false);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_COPY_FAILED, 0) == -EBUSY);
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_COPY_FAILED, 0) == 0);
	expect(&st, "broken", "broken", "requires_resync");
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_SOURCE_TRACKED);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_COPY_FAILED, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESYNC, 0) == 0);
	expect(&st, "unsynchronized", "resync_in_progress", "resyncing");
	CHECK(vmirror_state_copying(&st));
}

/* Only a synchronized mirror may take the place of a failing source. */
static void source_failure_fails_over(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, false);
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SOURCE_FAILED, 0) == -EBUSY);
	expect(&st, "unsynchronized", "resync_in_progress", "synchronizing");
	vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 3);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SPLIT_BEGIN, 0) == 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SOURCE_FAILED, 0) == 0);
	expect(&st, "failedover", "idle", "completed");
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_MIRROR_ONLY);
	CHECK(!st.splitting && !st.sync_maintained);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SPLIT_DONE, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SOURCE_FAILED, 0) == -EALREADY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESYNC, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_MIRROR_FAILED, 0) == -EALREADY);
	expect(&st, "failedover", "idle", "completed");

	/* Fractured: the mirror is stale, the error is the host's. */
	vmirror_state_init(&st, false);
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 3);
	vmirror_state_apply(&st, VMIRROR_EV_FRACTURE, 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SOURCE_FAILED, 0) == -EBUSY);
	expect(&st, "fractured", "fractured", "requires_resync");
}

static void synced(struct vmirror_state *st)
{
	vmirror_state_init(st, false);
	vmirror_state_apply(st, VMIRROR_EV_ACTIVATE, 0);
	vmirror_state_apply(st, VMIRROR_EV_SYNCED, 1);
}

static void fracture_and_resync(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, false);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_FRACTURE, 0) == -EBUSY);
	synced(&st);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESYNC, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_FRACTURE, 0) == 0);
	expect(&st, "fractured", "fractured", "requires_resync");
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_SOURCE_TRACKED);
	CHECK(!st.sync_maintained);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_BREAK, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESYNC, 0) == 0);
	expect(&st, "unsynchronized", "resync_in_progress", "resyncing");
	CHECK(vmirror_state_methodology(&st) == VMIRROR_COPY_METHOD_INCREMENTAL_COPY);
	CHECK(st.requested_copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED);
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_MIRRORED);
	CHECK(vmirror_state_copying(&st));
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 9) == 0);
	expect(&st, "synchronized", "synchronized", "completed");
	CHECK(vmirror_state_methodology(&st) == VMIRROR_COPY_METHOD_FULL_COPY);
}

static void split_quiesces_first(void)
{
	struct vmirror_state st;

	synced(&st);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SPLIT_DONE, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SPLIT_BEGIN, 0) == 0);
	expect(&st, "synchronized", "quiesce_in_progress", "splitting");
	CHECK(st.requested_copy_state == VMIRROR_COPY_STATE_SPLIT);
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_MIRRORED);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SPLIT_BEGIN, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_FRACTURE, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SPLIT_DONE, 0) == 0);
	expect(&st, "split", "fractured", "requires_resync");
	CHECK(st.requested_copy_state == VMIRROR_COPY_STATE_NOT_APPLICABLE);
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_SOURCE_TRACKED);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESYNC, 0) == 0);
}

static void break_and_cancel(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, false);
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_BREAK, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_CANCEL, 0) == 0);
	expect(&st, "aborted", "idle", "requires_resync");
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_SOURCE_TRACKED);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_CANCEL, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_MIRROR_FAILED, 0) == -EALREADY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESYNC, 0) == 0);

	synced(&st);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_BREAK, 0) == 0);
	expect(&st, "failedover", "idle", "completed");
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_MIRROR_ONLY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_CANCEL, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESYNC, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_MIRROR_FAILED, 0) == -EALREADY);
	CHECK(vmirror_state_copy_state(&st) == VMIRROR_COPY_STATE_FAILEDOVER);

	vmirror_state_init(&st, true);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_CANCEL, 0) == 0);
	expect(&st, "aborted", "idle", "requires_resync");
}

static void names_cover_every_number(void)
{
	CHECK(!strcmp(vmirror_copy_state_name(15), "not_applicable"));
	CHECK(!strcmp(vmirror_copy_state_name(14), "unknown"));
	CHECK(!strcmp(vmirror_copy_state_name(999), "unknown"));
	CHECK(!strcmp(vmirror_sync_state_name(15), "copy_in_progress"));
	CHECK(!strcmp(vmirror_progress_name(21), "detaching"));
	CHECK(!strcmp(vmirror_progress_name(1), "unknown"));
	CHECK(!strcmp(vmirror_priority_name(3), "high"));
	CHECK(!strcmp(vmirror_event_name(VMIRROR_EV_DM_RESUME), "dm_resume"));
	CHECK(vmirror_state_apply(NULL, (enum vmirror_event)99, 0) == -EINVAL);
}

int main(void)
{
	RUN(load_activate_sync);
	RUN(no_activation_requires_activate);
	RUN(pause_and_resume);
	RUN(dm_suspend_is_reported_and_undone);
	RUN(mirror_failure_breaks);
	RUN(copy_failure_breaks);
	RUN(source_failure_fails_over);
	RUN(fracture_and_resync);
	RUN(split_quiesces_first);
	RUN(break_and_cancel);
	RUN(names_cover_every_number);
	HARNESS_EXIT();
}
