// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl break NAME    pivot to the mirror (BreakMirrorVirtualDisk)
 * vmirrorctl cancel NAME   stop mirroring, keep the source
 *
 * Both end the association by replacing the vmirror target with a linear
 * one over the leg that holds the data, so the device never goes away:
 *
 *   1. load the linear table (inactive; nothing is allocated while the
 *      device is suspended);
 *   2. suspend with flush: every write is on both legs (or, for cancel, on
 *      the source) and no copy is in flight;
 *   3. while suspended, check through VMIRROR_IOC_STATUS that the pair is
 *      synchronized without mirror errors, and commit the state change
 *      with VMIRROR_OP_BREAK / _CANCEL, which the kernel refuses unless
 *      it is legal in the current state (commit_break(), commit_cancel());
 *   4. resume, which makes the linear table live.
 *
 * dmx_swap_table() runs the steps; if one fails, the linear table is
 * dropped and the old one resumed.
 *
 * break of a pair in sync_mode async first drains the lag (drain_lag()):
 * the suspend does not carry it, and the kernel refuses to pivot to a
 * mirror that lacks acknowledged writes.  Writes go to both disks from
 * then on (sync_mode sync), and the tool waits until lag_bytes is 0; if
 * the wait or the pivot fails, sync_mode async is restored.
 * break is refused on an LVM logical volume unless --force (LVM_REFUSED).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vmirrorctl.h"

static const struct option pivot_options[] = {
	{ "force", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct legs {
	char source[32], mirror[32];
	unsigned long long soff, moff;
};

/*
 * The live table with its vmirror target replaced by a linear target over
 * the source or the mirror.
 */
static int linear_table(const char *name, bool to_mirror, struct dmx_table *out,
			struct legs *legs)
{
	struct dmx_table live;
	char params[96];
	int r, found = 0;

	memset(out, 0, sizeof(*out));
	r = dmx_get_table(name, &live);
	if (r)
		return error("%s: cannot read the table: %s", name, dmx_strerror(r));
	for (int i = 0; i < live.n; i++) {
		struct dmx_target *t = &live.t[i];

		if (strcmp(t->type, "vmirror")) {
			dmx_table_add(out, t->start, t->len, t->type, t->params);
			continue;
		}
		if (sscanf(t->params, "%31s %llu %31s %llu", legs->source, &legs->soff,
			   legs->mirror, &legs->moff) != 4) {
			dmx_table_free(&live);
			dmx_table_free(out);
			return error("%s: cannot parse the vmirror table '%s'", name,
				     t->params);
		}
		if (to_mirror)
			snprintf(params, sizeof(params), "%s %llu", legs->mirror, legs->moff);
		else
			snprintf(params, sizeof(params), "%s %llu", legs->source, legs->soff);
		dmx_table_add(out, t->start, t->len, "linear", params);
		found++;
	}
	dmx_table_free(&live);
	if (found != 1) {
		dmx_table_free(out);
		return error("%s: the live table has %d vmirror targets", name, found);
	}
	return EXIT_OK;
}

static const char *not_synced_why(char *buf, size_t len, const struct vmirror_status *st)
{
	snprintf(buf, len, "%s, %u%% synced", vmirror_copy_state_name(st->copy_state),
		 st->percent_synced);
	return buf;
}

/*
 * While suspended: check that the pair may be broken and commit the break
 * (VMIRROR_OP_BREAK): the kernel's state changes here, before the resume
 * that makes the linear table live.  TD's status is from before the
 * suspend (while suspended copy_state reads "suspended").
 */
static int commit_break(void *ctx)
{
	const struct target_dev *td = ctx;
	const struct vmirror_status *pre = &td->st;
	const char *name = td->info.name;
	uint32_t major = td->info.major, minor = td->info.minor;
	struct vmirror_status st;
	char why[128];
	int r;

	if (pre->copy_state == VMIRROR_COPY_STATE_FAILEDOVER)
		return EXIT_OK;		/* broken by a message: the mirror is the disk */
	r = ctl_status(major, minor, &st);
	if (r)
		return ctl_error(name, r);
	if (!st.sync_maintained || st.regions_synced != st.regions_total)
		return error("%s: not synchronized (%llu of %llu regions in sync); "
			     "the mirror stays as it was", name,
			     (unsigned long long)st.regions_synced,
			     (unsigned long long)st.regions_total);
	/*
	 * Errors from before the last synchronization were repaired by it (a
	 * mirror error breaks the pair); new ones, e.g. from the suspend's
	 * flush, mean the mirror is not healthy now.
	 */
	if (st.mirror_errors != pre->mirror_errors)
		return error("%s: the mirror had %llu new I/O errors; not breaking",
			     name, (unsigned long long)(st.mirror_errors - pre->mirror_errors));
	r = ctl_control(major, minor, VMIRROR_OP_BREAK, 0);
	if (r == -EBUSY)
		return error("%s: not synchronized (%s); the mirror stays as it was",
			     name, not_synced_why(why, sizeof(why), pre));
	if (r)
		return ctl_error(name, r);
	return EXIT_OK;
}

#define FAILEDOVER_MSG \
	"%s: the pair is failedover: the mirror holds the data and the source is " \
	"out of date; use 'vmirrorctl break'"

/*
 * While suspended: commit the cancel (VMIRROR_OP_CANCEL), which the kernel
 * refuses for a failedover pair; TD's status is from before the suspend.
 */
static int commit_cancel(void *ctx)
{
	const struct target_dev *td = ctx;
	const struct vmirror_status *pre = &td->st;
	const char *name = td->info.name;
	int r = ctl_control(td->info.major, td->info.minor, VMIRROR_OP_CANCEL, 0);

	/* EBUSY: aborted already (fine) or failedover (the source is stale) */
	if (r == -EBUSY && pre->copy_state == VMIRROR_COPY_STATE_ABORTED)
		return EXIT_OK;
	if (r == -EBUSY)
		return error(FAILEDOVER_MSG, name);
	if (r)
		return ctl_error(name, r);
	return EXIT_OK;
}

/* What would be refused while suspended, refused before the reload */
static int pivot_refused(const struct target_dev *td, bool to_mirror, bool force)
{
	const char *name = td->info.name;
	char why[128];

	if (to_mirror && is_lvm_volume(&td->info) && !force)
		return error(LVM_REFUSED, name, "after the break LVM would still record the old disk, and");
	if (to_mirror && td->st.copy_state != VMIRROR_COPY_STATE_SYNCHRONIZED &&
	    td->st.copy_state != VMIRROR_COPY_STATE_FAILEDOVER)
		return error("%s: not synchronized (%s); the mirror stays as it was",
			     name, not_synced_why(why, sizeof(why), &td->st));
	if (!to_mirror && td->st.copy_state == VMIRROR_COPY_STATE_FAILEDOVER)
		return error(FAILEDOVER_MSG, name);
	if (td->info.inactive_table)
		return error("%s: has an inactive table loaded; clear it first (dmsetup clear)",
			     name);
	return EXIT_OK;
}

/* How long break waits for the lag of an async pair to drain */
#define DRAIN_TIMEOUT_S		600

static volatile sig_atomic_t drain_interrupted;

static void on_drain_signal(int sig)
{
	(void)sig;
	drain_interrupted = 1;
}

/*
 * Before the break of an async pair: writes to both disks from now on, and
 * wait (SIGINT, SIGTERM or DRAIN_TIMEOUT_S end it) until the mirror holds
 * every acknowledged write.  On failure the caller restores async.
 */
static int drain_lag(const struct target_dev *td)
{
	struct sigaction sa = { .sa_handler = on_drain_signal }, old_int, old_term;
	const char *name = td->info.name;
	uint32_t major = td->info.major, minor = td->info.minor;
	struct timespec nap = { .tv_nsec = 100 * 1000 * 1000 };
	struct vmirror_status st;
	time_t end = time(NULL) + DRAIN_TIMEOUT_S;
	bool told = false;
	int r;

	r = ctl_control(major, minor, VMIRROR_OP_SET_SYNC_MODE, VMIRROR_COPY_TYPE_SYNC);
	if (r)
		return ctl_error(name, r);
	sigemptyset(&sa.sa_mask);
	drain_interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (;;) {
		r = ctl_status(major, minor, &st);
		if (r) {
			r = ctl_error(name, r);
			break;
		}
		/* Not synchronized any more: commit_break() says why. */
		if (!st.lag_bytes || st.copy_state != VMIRROR_COPY_STATE_SYNCHRONIZED)
			break;
		if (!told) {
			fprintf(stderr, "%s: sync_mode sync until the break; waiting for the mirror to catch up (%llu bytes behind)\n",
				name, (unsigned long long)st.lag_bytes);
			told = true;
		}
		if (drain_interrupted) {
			r = error("%s: interrupted while the mirror caught up (%llu bytes behind); the mirror stays as it was",
				  name, (unsigned long long)st.lag_bytes);
			break;
		}
		if (time(NULL) >= end) {
			r = error("%s: the mirror is still %llu bytes behind after %d s; the mirror stays as it was",
				  name, (unsigned long long)st.lag_bytes, DRAIN_TIMEOUT_S);
			break;
		}
		nanosleep(&nap, NULL);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return r;
}

/* After a failed break: sync_mode async again. */
static void restore_async(const struct target_dev *td)
{
	int r = ctl_control(td->info.major, td->info.minor, VMIRROR_OP_SET_SYNC_MODE,
			    VMIRROR_COPY_TYPE_ASYNC);

	if (r)
		ctl_error(td->info.name, r);
	else
		fprintf(stderr, "%s: sync_mode async restored\n", td->info.name);
}

static int pivot(int argc, char **argv, bool to_mirror)
{
	struct target_dev td;
	struct dmx_table tbl;
	struct legs legs;
	const char *name;
	bool force = false, drained;
	int c, r;

	while ((c = next_opt(argc, argv, "", pivot_options)) != -1)
		if (c == 'f')
			force = true;
	check_args(argc, argv, 1, 1);
	if (force && !to_mirror)
		return usage_error("cancel: --force is for break (cancel keeps the disk LVM knows)");
	r = open_vmirror(argv[optind], &td);
	if (r)
		return r;
	name = td.info.name;
	r = pivot_refused(&td, to_mirror, force);
	if (!r)
		r = linear_table(name, to_mirror, &tbl, &legs);
	if (r)
		return r;
	drained = to_mirror && td.st.sync_mode == VMIRROR_COPY_TYPE_ASYNC &&
		  td.st.copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED;
	if (drained)
		r = drain_lag(&td);
	if (!r)
		r = dmx_swap_table(name, &tbl, "linear",
				   to_mirror ? commit_break : commit_cancel, &td);
	dmx_table_free(&tbl);
	if (r) {
		if (drained)
			restore_async(&td);
		return r;
	}
	if (to_mirror)
		printf("%s: now on the mirror alone (linear %s %llu); the source %s is no longer used\n",
		       name, legs.mirror, legs.moff, legs.source);
	else
		printf("%s: mirror cancelled; on the source alone (linear %s %llu); the mirror %s is no longer used\n",
		       name, legs.source, legs.soff, legs.mirror);
	return EXIT_OK;
}

int cmd_break(int argc, char **argv)
{
	return pivot(argc, argv, true);
}

int cmd_cancel(int argc, char **argv)
{
	return pivot(argc, argv, false);
}
