// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl watch NAME
 * vmirrorctl wait NAME [--for STATE] [--timeout S]
 *
 * Both sleep in poll() on /sys/block/dm-N/vmirror/copy_state, which the
 * kernel sysfs_notify()s on every state change (POLLPRI|POLLERR), with a
 * timeout as a safety net; no busy loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmirrorctl.h"

/* ---- the copy_state file ---- */

static int state_open(const struct target_dev *td)
{
	char path[128];
	int fd;

	vmirror_sysfs_path(path, sizeof(path), td->info.major, td->info.minor,
			   "copy_state");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error("%s: %s: %s", td->info.name, path, strerror(errno));
	return fd;
}

/* Read the state word; this also re-arms poll(). */
static int state_read(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Sleep until the state changes or TIMEOUT_MS pass. */
static void state_sleep(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLPRI | POLLERR };

	poll(&p, 1, timeout_ms);
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- wait ---- */

enum { OPT_FOR = 256, OPT_TIMEOUT };

static const struct option wait_options[] = {
	{ "for", required_argument, NULL, OPT_FOR },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_wait(int argc, char **argv)
{
	const char *want = "synchronized";
	double timeout = -1, deadline = 0, left;
	struct target_dev td;
	char state[64];
	int c, fd, r, ms;

	while ((c = next_opt(argc, argv, "", wait_options)) != -1) {
		switch (c) {
		case OPT_FOR:
			if (copy_state_value(optarg) < 0)
				bad_value("--for", optarg, "not a copy_state word");
			want = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_seconds(optarg, &timeout))
				bad_value("--timeout", optarg, "not a number of seconds");
			break;
		}
	}
	check_args(argc, argv, 1, 1);
	r = open_vmirror(argv[optind], &td);
	if (r)
		return r;
	fd = state_open(&td);
	if (fd < 0)
		return EXIT_FAIL;
	if (timeout >= 0)
		deadline = now_seconds() + timeout;

	for (;;) {
		r = state_read(fd, state, sizeof(state));
		if (r) {
			close(fd);
			return error("%s: no longer a vmirror device (%s)", td.info.name,
				     strerror(-r));
		}
		if (!strcmp(state, want))
			break;
		ms = 1000;	/* a safety net: wake every second */
		if (timeout >= 0) {
			left = deadline - now_seconds();
			if (left <= 0) {
				close(fd);
				return error("%s: timed out after %g s waiting for %s (copy_state %s)",
					     td.info.name, timeout, want, state);
			}
			if (left * 1000 < ms)
				ms = ceil(left * 1000);
		}
		state_sleep(fd, ms);
	}
	close(fd);
	return EXIT_OK;
}

/* ---- watch ---- */

static const struct option watch_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct progress {
	char state[32];
	char progress[32];
	unsigned int percent;
	char done[32], total[32], rate[32], eta[32];
};

static void describe(const struct vmirror_status *st, uint64_t dev_bytes,
		     struct progress *p)
{
	uint64_t done = st->regions_synced * st->region_size;
	uint64_t total = dev_bytes ? dev_bytes : st->regions_total * st->region_size;

	if (done > total)
		done = total;
	snprintf(p->state, sizeof(p->state), "%s", vmirror_copy_state_name(st->copy_state));
	snprintf(p->progress, sizeof(p->progress), "%s",
		 vmirror_progress_name(st->progress_status));
	p->percent = st->percent_synced;
	fmt_bytes(p->done, sizeof(p->done), done);
	fmt_bytes(p->total, sizeof(p->total), total);
	fmt_bytes(p->rate, sizeof(p->rate), st->copy_rate);
	fmt_duration(p->eta, sizeof(p->eta), st->eta_seconds);
}

/* The line for a terminal: "[#####.....]  42%  ..." */
static void draw_tty(const struct progress *p)
{
	enum { BAR = 24 };
	char bar[BAR + 1];
	int fill = p->percent * BAR / 100;

	for (int i = 0; i < BAR; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[BAR] = 0;
	printf("\r[%s] %3u%%  %s of %s  %s/s  ETA %s  %s (%s)\033[K", bar, p->percent,
	       p->done, p->total, p->rate, p->eta, p->state, p->progress);
	fflush(stdout);
}

static void line_plain(char *buf, size_t len, const char *name,
		       const struct progress *p)
{
	snprintf(buf, len, "%s: %s %u%%, %s of %s, %s/s, ETA %s (%s)", name, p->state,
		 p->percent, p->done, p->total, p->rate, p->eta, p->progress);
}

int cmd_watch(int argc, char **argv)
{
	char path[128], line[512], last[512] = "", state[64];
	struct target_dev td;
	struct progress p;
	unsigned int last_cs = ~0U, last_ps = ~0U;
	uint64_t sectors = 0;
	double last_time = 0;
	bool tty = isatty(STDOUT_FILENO);
	int fd, r, rc;

	while (next_opt(argc, argv, "", watch_options) != -1)
		;
	check_args(argc, argv, 1, 1);
	r = open_vmirror(argv[optind], &td);
	if (r)
		return r;
	fd = state_open(&td);
	if (fd < 0)
		return EXIT_FAIL;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/size", td.info.major,
		 td.info.minor);
	read_sysfs_u64(path, &sectors);
	catch_signals();

	for (;;) {
		unsigned int cs;
		bool changed, done;

		state_read(fd, state, sizeof(state));	/* re-arm poll() */
		r = ctl_status(td.info.major, td.info.minor, &td.st);
		if (r) {
			if (tty)
				putchar('\n');
			close(fd);
			return error("%s: no longer a vmirror device", td.info.name);
		}
		cs = td.st.copy_state;
		describe(&td.st, sectors << SECTOR_SHIFT, &p);
		done = cs == VMIRROR_COPY_STATE_SYNCHRONIZED ||
		       cs == VMIRROR_COPY_STATE_FAILEDOVER ||
		       cs == VMIRROR_COPY_STATE_BROKEN ||
		       cs == VMIRROR_COPY_STATE_ABORTED;
		if (tty) {
			draw_tty(&p);
		} else {
			line_plain(line, sizeof(line), td.info.name, &p);
			/* at once on a state change, else at most once a second */
			changed = cs != last_cs || td.st.progress_status != last_ps;
			if (changed || (strcmp(line, last) &&
					now_seconds() - last_time >= 1.0)) {
				puts(line);
				fflush(stdout);
				snprintf(last, sizeof(last), "%s", line);
				last_time = now_seconds();
				last_cs = cs;
				last_ps = td.st.progress_status;
			}
		}
		if (done || interrupted)
			break;
		state_sleep(fd, 250);	/* a terminal gets 4 frames a second */
	}
	if (tty)
		putchar('\n');
	close(fd);
	if (interrupted)
		return EXIT_FAIL;
	rc = EXIT_OK;
	if (td.st.copy_state == VMIRROR_COPY_STATE_BROKEN ||
	    td.st.copy_state == VMIRROR_COPY_STATE_ABORTED)
		rc = error("%s: copy_state %s", td.info.name,
			   vmirror_copy_state_name(td.st.copy_state));
	return rc;
}
