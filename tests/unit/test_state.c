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

	/* Async with a lag: the mirror lacks acknowledged writes. */
	vmirror_state_init(&st, false);
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 3);
	st.mirror_behind = true;
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SOURCE_FAILED, 0) == -EBUSY);
	expect(&st, "synchronized", "synchronized", "completed");
	/* No pivot, no split onto it either; a fracture is allowed. */
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_BREAK, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SPLIT_BEGIN, 0) == 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SPLIT_DONE, 0) == -EBUSY);
	CHECK(!st.splitting);
	st.mirror_behind = false;
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SOURCE_FAILED, 0) == 0);
}

/*
 * sync_mode async routes writes to the source alone only while the pair
 * is synchronized and mirrored: never during a first copy or a resync
 * (they would not converge under writes), never once the mirror is the
 * disk (a write to the source alone would be lost for good).
 */
static void async_writes_only_while_synchronized(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, false);
	CHECK(!vmirror_state_async_writes(&st));
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	CHECK(!vmirror_state_async_writes(&st));	/* first copy */
	vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 3);
	CHECK(vmirror_state_async_writes(&st));
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SOURCE_FAILED, 0) == 0);
	CHECK(!vmirror_state_async_writes(&st));	/* failedover */

	vmirror_state_init(&st, false);
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 3);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_BREAK, 0) == 0);
	CHECK(!vmirror_state_async_writes(&st));	/* break */

	vmirror_state_init(&st, false);
	vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0);
	vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 3);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_DIVERGED, 0) == 0);
	CHECK(!vmirror_state_async_writes(&st));	/* copied again */
	vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 4);
	CHECK(vmirror_state_async_writes(&st));
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_FRACTURE, 0) == 0);
	CHECK(!vmirror_state_async_writes(&st));	/* mirror not written */
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESYNC, 0) == 0);
	CHECK(!vmirror_state_async_writes(&st));	/* resync */
	vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 5);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_MIRROR_FAILED, 0) == 0);
	CHECK(!vmirror_state_async_writes(&st));	/* broken */
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

/* A refused write-zeroes on one leg: a synchronized pair copies the region again. */
static void diverged_resyncs(void)
{
	struct vmirror_state st;

	synced(&st);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_DIVERGED, 0) == 0);
	expect(&st, "unsynchronized", "resync_in_progress", "resyncing");
	CHECK(st.requested_copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED);
	CHECK(!st.sync_maintained && vmirror_state_copying(&st));
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_MIRRORED);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_DIVERGED, 0) == -EALREADY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SOURCE_FAILED, 0) == -EBUSY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 2) == 0);

	/* A split waiting for writes to drain fails: the mirror lacks one. */
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SPLIT_BEGIN, 0) == 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_DIVERGED, 0) == 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SPLIT_DONE, 0) == -EBUSY);
	expect(&st, "unsynchronized", "resync_in_progress", "resyncing");

	/* Not synchronized: the region is copied at the next resync anyway. */
	synced(&st);
	vmirror_state_apply(&st, VMIRROR_EV_FRACTURE, 0);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_DIVERGED, 0) == -EALREADY);
	expect(&st, "fractured", "fractured", "requires_resync");
}

/* vmirror_state_write_done() on @st, its verdict returned */
static struct vmirror_write_done done(struct vmirror_state *st,
				      enum vmirror_leg_result src,
				      enum vmirror_leg_result mir, bool flush)
{
	struct vmirror_write_done d;

	vmirror_state_write_done(st, src, mir, flush, 7, &d);
	return d;
}

#define OK	VMIRROR_LEG_OK
#define REF	VMIRROR_LEG_REFUSED
#define GAVE	VMIRROR_LEG_GAVE_UP
#define FAIL	VMIRROR_LEG_FAILED

static void write_done_policy(void)
{
	struct vmirror_state st;
	struct vmirror_write_done d;

	/* Both fine, or both refused (nothing written): nothing happens. */
	synced(&st);
	d = done(&st, OK, OK, false);
	CHECK(!d.changed && !d.unsync && !d.host_mirror);
	d = done(&st, REF, REF, false);
	CHECK(!d.changed && !d.unsync && !d.host_mirror);
	expect(&st, "synchronized", "synchronized", "completed");

	/* The mirror refuses a write-zeroes the source did: resync it. */
	d = done(&st, OK, REF, false);
	CHECK(d.changed && d.ev == VMIRROR_EV_DIVERGED && d.unsync && !d.host_mirror);
	expect(&st, "unsynchronized", "resync_in_progress", "resyncing");
	/* ...again while copying: only the region. */
	d = done(&st, REF, OK, false);
	CHECK(!d.changed && d.unsync && !d.host_mirror);
	d = done(&st, GAVE, OK, false);
	CHECK(!d.changed && d.unsync);

	/* The source refuses, or gives up: not a failover, the host's error. */
	synced(&st);
	d = done(&st, REF, OK, false);
	CHECK(d.ev == VMIRROR_EV_DIVERGED && d.unsync && !d.host_mirror);
	synced(&st);
	d = done(&st, GAVE, OK, false);
	CHECK(d.ev == VMIRROR_EV_DIVERGED && d.unsync && !d.host_mirror);
	/* Neither refused nor failed on the mirror: never broken. */
	synced(&st);
	d = done(&st, OK, GAVE, false);
	CHECK(d.ev == VMIRROR_EV_DIVERGED && !d.host_mirror);
	CHECK(vmirror_state_copy_state(&st) == VMIRROR_COPY_STATE_UNSYNCHRONIZED);

	/* Async with a lag: a failing source is the host's error, no failover. */
	synced(&st);
	st.mirror_behind = true;
	d = done(&st, FAIL, OK, false);
	CHECK(!d.changed && d.unsync && !d.host_mirror);
	expect(&st, "synchronized", "synchronized", "completed");
	/* ...and the copy of that region cannot read it: broken. */
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_COPY_FAILED, 0) == 0);
	expect(&st, "broken", "broken", "requires_resync");
	st.mirror_behind = false;
	synced(&st);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_COPY_FAILED, 0) == -EBUSY);

	/* The mirror fails: broken, the source's status. */
	synced(&st);
	d = done(&st, OK, FAIL, false);
	CHECK(d.changed && d.ev == VMIRROR_EV_MIRROR_FAILED && d.unsync && !d.host_mirror);
	expect(&st, "broken", "broken", "requires_resync");

	/* The source fails, the mirror has it: failover, the mirror's status. */
	synced(&st);
	d = done(&st, FAIL, OK, false);
	CHECK(d.changed && d.ev == VMIRROR_EV_SOURCE_FAILED && d.host_mirror && !d.unsync);
	expect(&st, "failedover", "idle", "completed");
	/* ...not while copying: the host's error, the region copied again. */
	synced(&st);
	vmirror_state_apply(&st, VMIRROR_EV_DIVERGED, 0);
	d = done(&st, FAIL, OK, false);
	CHECK(!d.changed && !d.host_mirror && d.unsync);
	/* The source fails and the mirror refuses: no failover. */
	synced(&st);
	d = done(&st, FAIL, REF, false);
	CHECK(d.ev == VMIRROR_EV_DIVERGED && !d.host_mirror && d.unsync);

	/* Both fail: broken, the source's (failed) status. */
	synced(&st);
	d = done(&st, FAIL, FAIL, false);
	CHECK(d.ev == VMIRROR_EV_MIRROR_FAILED && !d.host_mirror && d.unsync);
}

/* Completions after break or failover: the mirror's status is the host's. */
static void write_done_after_break(void)
{
	struct vmirror_state st;
	struct vmirror_write_done d;

	synced(&st);
	vmirror_state_apply(&st, VMIRROR_EV_BREAK, 0);
	d = done(&st, OK, FAIL, false);
	CHECK(!d.changed && d.host_mirror && !d.unsync);
	d = done(&st, OK, REF, false);
	CHECK(!d.changed && d.host_mirror);
	d = done(&st, FAIL, OK, false);
	CHECK(!d.changed && d.host_mirror);
	d = done(&st, REF, REF, false);
	CHECK(d.host_mirror);
	d = done(&st, OK, FAIL, true);
	CHECK(d.host_mirror && !d.unsync);
	expect(&st, "failedover", "idle", "completed");
}

static void write_done_flush(void)
{
	struct vmirror_state st;
	struct vmirror_write_done d;

	/* A flush that does not succeed on the mirror, whatever the error. */
	synced(&st);
	d = done(&st, OK, REF, true);
	CHECK(d.ev == VMIRROR_EV_MIRROR_FAILED && d.unsync && !d.host_mirror);
	expect(&st, "broken", "broken", "requires_resync");
	/* On the source: failover. */
	synced(&st);
	d = done(&st, GAVE, OK, true);
	CHECK(d.ev == VMIRROR_EV_SOURCE_FAILED && d.host_mirror && !d.unsync);
	/* ...while copying: the host's error; a flush moves no data. */
	synced(&st);
	vmirror_state_apply(&st, VMIRROR_EV_DIVERGED, 0);
	d = done(&st, FAIL, OK, true);
	CHECK(!d.changed && !d.unsync && !d.host_mirror);
	d = done(&st, OK, OK, true);
	CHECK(!d.changed && !d.unsync && !d.host_mirror);
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
	CHECK(!strcmp(vmirror_event_name(VMIRROR_EV_LAST), "diverged"));
	CHECK(vmirror_state_apply(NULL, (enum vmirror_event)99, 0) == -EINVAL);
}

static int field_is(const struct vmirror_status *st, enum vmirror_field f,
		    const char *want)
{
	char text[VMIRROR_FIELD_TEXT_MAX];

	vmirror_field_text(st, f, text, sizeof(text));
	if (strcmp(text, want))
		printf("  %s: got '%s', want '%s'\n", vmirror_fields[f].key, text, want);
	return !strcmp(text, want);
}

/* The text of sysfs and "dmsetup status", as before the table */
static void status_fields_as_sysfs_writes_them(void)
{
	struct vmirror_status st = {
		.copy_state = VMIRROR_COPY_STATE_SYNCHRONIZED,
		.requested_copy_state = 14,
		.sync_mode = VMIRROR_COPY_TYPE_SYNC,
		.copy_methodology = VMIRROR_COPY_METHOD_IMPLEMENTATION_DECIDES,
		.percent_synced = 100,
		.max_copy_rate = 4294967295u,
		.source_major = 253, .source_minor = 1,
		.target_major = 4294967295u, .target_minor = 7,
		.sync_time_ns = 1764678123456789012ULL,
		.regions_total = ~0ULL,
		.eta_seconds = -1,
	};

	CHECK(VMIRROR_NR_FIELDS == 28);
	CHECK(!strcmp(vmirror_fields[0].key, "copy_state"));
	CHECK(!strcmp(vmirror_fields[VMIRROR_FIELD_sync_time].key, "sync_time"));
	CHECK(!strcmp(vmirror_fields[VMIRROR_NR_FIELDS - 2].key, "metadata"));
	CHECK(!strcmp(vmirror_fields[VMIRROR_NR_FIELDS - 1].key, "metadata_state"));
	CHECK(field_is(&st, VMIRROR_FIELD_metadata, "-"));
	CHECK(field_is(&st, VMIRROR_FIELD_metadata_state, "-"));
	st.metadata_major = 254;
	st.metadata_minor = 3;
	CHECK(field_is(&st, VMIRROR_FIELD_metadata, "254:3"));
	st.metadata_state = VMIRROR_METADATA_OK;
	CHECK(field_is(&st, VMIRROR_FIELD_metadata_state, "ok"));
	st.metadata_state = VMIRROR_METADATA_FAILED;
	CHECK(field_is(&st, VMIRROR_FIELD_metadata_state, "failed"));
	st.metadata_state = 3;
	CHECK(field_is(&st, VMIRROR_FIELD_metadata_state, "unknown"));
	CHECK(field_is(&st, VMIRROR_FIELD_copy_state, "synchronized"));
	CHECK(field_is(&st, VMIRROR_FIELD_requested_copy_state, "unknown"));
	CHECK(field_is(&st, VMIRROR_FIELD_sync_mode, "sync"));
	CHECK(field_is(&st, VMIRROR_FIELD_copy_methodology, "implementation_decides"));
	CHECK(field_is(&st, VMIRROR_FIELD_percent_synced, "100"));
	CHECK(field_is(&st, VMIRROR_FIELD_max_copy_rate, "4294967295"));
	CHECK(field_is(&st, VMIRROR_FIELD_source, "253:1"));
	CHECK(field_is(&st, VMIRROR_FIELD_target, "4294967295:7"));
	CHECK(field_is(&st, VMIRROR_FIELD_sync_time, "2025-12-02T12:22:03Z"));
	CHECK(field_is(&st, VMIRROR_FIELD_regions_total, "18446744073709551615"));
	CHECK(field_is(&st, VMIRROR_FIELD_eta_seconds, "-1"));
	CHECK((long long)vmirror_field_value(&st, VMIRROR_FIELD_eta_seconds) == -1);
	st.sync_time_ns = 0;
	st.sync_mode = VMIRROR_COPY_TYPE_ASYNC;
	CHECK(field_is(&st, VMIRROR_FIELD_sync_time, "-"));
	CHECK(field_is(&st, VMIRROR_FIELD_sync_mode, "async"));
}

/* An association read back from its metadata device */
static void restore_from_metadata(void)
{
	struct vmirror_state st;

	vmirror_state_init(&st, true);
	CHECK(!vmirror_state_restore(&st, VMIRROR_COPY_STATE_INITIALIZED,
				     false, false, false, 0));
	expect(&st, "initialized", "initialized", "requires_activate");

	vmirror_state_init(&st, false);
	CHECK(vmirror_state_restore(&st, VMIRROR_COPY_STATE_SYNCHRONIZED,
				    false, false, true, 77));
	expect(&st, "synchronized", "synchronized", "completed");
	CHECK(st.sync_maintained && st.sync_time_ns == 77);

	/* Recorded synchronized, regions out of sync (a crash): resync them. */
	vmirror_state_init(&st, false);
	CHECK(vmirror_state_restore(&st, VMIRROR_COPY_STATE_SYNCHRONIZED,
				    false, false, false, 77));
	expect(&st, "unsynchronized", "resync_in_progress", "resyncing");
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_SYNCED, 78) == 0);

	vmirror_state_init(&st, true);
	CHECK(vmirror_state_restore(&st, VMIRROR_COPY_STATE_UNSYNCHRONIZED,
				    false, true, false, 0));
	expect(&st, "unsynchronized", "resync_in_progress", "dormant");

	vmirror_state_init(&st, false);
	CHECK(vmirror_state_restore(&st, VMIRROR_COPY_STATE_FRACTURED,
				    false, false, false, 5));
	expect(&st, "fractured", "fractured", "requires_resync");
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_SOURCE_TRACKED);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_RESYNC, 0) == 0);

	vmirror_state_init(&st, false);
	CHECK(vmirror_state_restore(&st, VMIRROR_COPY_STATE_FAILEDOVER,
				    false, false, false, 5));
	CHECK(vmirror_state_io_mode(&st) == VMIRROR_IO_MIRROR_ONLY);
	CHECK(vmirror_state_apply(&st, VMIRROR_EV_ACTIVATE, 0) == -EBUSY);
}

static void op_words_both_ways(void)
{
	CHECK(vmirror_op_value("split") == VMIRROR_OP_SPLIT);
	CHECK(vmirror_op_value("CANCEL") == VMIRROR_OP_CANCEL);
	CHECK(vmirror_op_value("set") == 0);
	CHECK(!strcmp(vmirror_op_word(VMIRROR_OP_ACTIVATE), "activate"));
	CHECK(vmirror_op_word(0) == NULL);
	CHECK(vmirror_op_word(VMIRROR_OP_SET_PRIORITY) == NULL);
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
	RUN(async_writes_only_while_synchronized);
	RUN(fracture_and_resync);
	RUN(split_quiesces_first);
	RUN(break_and_cancel);
	RUN(diverged_resyncs);
	RUN(write_done_policy);
	RUN(write_done_after_break);
	RUN(write_done_flush);
	RUN(names_cover_every_number);
	RUN(status_fields_as_sysfs_writes_them);
	RUN(op_words_both_ways);
	RUN(restore_from_metadata);
	HARNESS_EXIT();
}
