// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl watch NAME [--json]
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
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

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

/*
 * Why WANT cannot come from STATE without an operation, or NULL if it
 * may.  failedover is final; broken and aborted go on only with a resync
 * (kernel/state.c).  Any state can be suspended (dmsetup suspend).
 */
static const char *dead_end(const char *state, const char *want)
{
	if (!strcmp(want, "suspended") || !strcmp(state, want))
		return NULL;
	if (!strcmp(state, "failedover"))
		return "failedover is final";
	if (!strcmp(state, "broken"))
		return "the mirror failed; 'vmirrorctl resync' once it is repaired";
	if (!strcmp(state, "aborted"))
		return "the mirror was cancelled; 'vmirrorctl resync' copies again";
	return NULL;
}

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
	const char *why;
	int c, fd, r, ms;

	while ((c = next_opt(argc, argv, "", wait_options)) != -1) {
		switch (c) {
		case OPT_FOR:
			r = copy_state_value(optarg);
			if (r < 0)
				bad_value("--for", optarg, "not a copy_state word");
			if (!copy_state_entered(r))
				bad_value("--for", optarg, "the vmirror target never enters this state");
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
		why = dead_end(state, want);
		if (why) {
			close(fd);
			return error("%s: copy_state %s: %s will not come (%s)", td.info.name,
				     state, want, why);
		}
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
	{ "json", no_argument, NULL, 'j' },
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

/* Columns of the terminal on stdout (TIOCGWINSZ), 80 if it does not say */
static int tty_columns(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_col)
		return 80;
	return ws.ws_col;
}

/*
 * The text after the bar at detail LEVEL (0: all; 4: percent and state);
 * returns its length.
 */
static int tty_tail(char *buf, size_t len, const struct progress *p, int level)
{
	switch (level) {
	case 0:
		return snprintf(buf, len, "%3u%%  %s of %s  %s/s  ETA %s  %s (%s)", p->percent,
				p->done, p->total, p->rate, p->eta, p->state, p->progress);
	case 1:
		return snprintf(buf, len, "%3u%%  %s of %s  %s/s  ETA %s  %s", p->percent,
				p->done, p->total, p->rate, p->eta, p->state);
	case 2:
		return snprintf(buf, len, "%3u%%  %s/s  ETA %s  %s", p->percent, p->rate,
				p->eta, p->state);
	case 3:
		return snprintf(buf, len, "%3u%%  ETA %s  %s", p->percent, p->eta, p->state);
	default:
		return snprintf(buf, len, "%3u%% %s", p->percent, p->state);
	}
}

/*
 * The line for a terminal, "[#####-----]  42%  1.2 GiB of 3.0 GiB ...",
 * redrawn in place: it must fit the width (a wrapped line is not redrawn
 * by \r).  Less detail on a narrower terminal, the bar shrinks or goes,
 * and the last column stays free (the cursor would wrap there).
 */
static void draw_tty(const struct progress *p)
{
	enum { BAR_MIN = 10, BAR_MAX = 40, LEVELS = 5 };
	char tail[256], bar[BAR_MAX + 1];
	int cols = tty_columns() - 1, level = 0, w, fill;

	while ((w = tty_tail(tail, sizeof(tail), p, level)) + 3 + BAR_MIN > cols &&
	       level < LEVELS - 1)
		level++;
	w = cols - w - 3;	/* "[" bar "] " */
	if (w < BAR_MIN) {
		printf("\r%.*s\033[K", cols > 0 ? cols : 0, tail);
	} else {
		if (w > BAR_MAX)
			w = BAR_MAX;
		fill = p->percent * w / 100;
		for (int i = 0; i < w; i++)
			bar[i] = i < fill ? '#' : '-';
		bar[w] = 0;
		printf("\r[%s] %s\033[K", bar, tail);
	}
	fflush(stdout);
}

/* The fields whose change makes an event of watch --json */
static bool status_changed(const struct vmirror_status *a, const struct vmirror_status *b)
{
	return a->copy_state != b->copy_state || a->sync_state != b->sync_state ||
	       a->progress_status != b->progress_status ||
	       a->requested_copy_state != b->requested_copy_state ||
	       a->percent_synced != b->percent_synced;
}

/* "2026-11-22T20:51:49.123Z" */
static void now_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/*
 * A line of watch --json: the object of status --json with "event"
 * ("exists", "change" or "destroy") and "time"; "destroy" has only
 * "name" besides.
 */
static void json_event(const char *event, const struct target_dev *td, bool gone)
{
	struct json_object *o;
	struct dev_paths paths;
	char t[64];

	if (gone) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(td->info.name));
	} else {
		dev_paths(td->info.major, td->info.minor, &td->st, &paths);
		o = status_json(td->info.name, &td->st, &paths);
	}
	now_iso(t, sizeof(t));
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_print_line(o);
	json_object_put(o);
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
	struct vmirror_status shown;
	struct progress p;
	unsigned int last_cs = ~0U, last_ps = ~0U;
	uint64_t sectors = 0;
	double last_time = 0;
	bool tty = isatty(STDOUT_FILENO), json = false, first = true;
	int c, fd, r, rc;

	while ((c = next_opt(argc, argv, "j", watch_options)) != -1)
		if (c == 'j')
			json = true;
	if (json)
		tty = false;
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
			if (json)
				json_event("destroy", &td, true);
			close(fd);
			return error("%s: no longer a vmirror device", td.info.name);
		}
		cs = td.st.copy_state;
		describe(&td.st, sectors << SECTOR_SHIFT, &p);
		done = cs == VMIRROR_COPY_STATE_SYNCHRONIZED ||
		       cs == VMIRROR_COPY_STATE_FAILEDOVER ||
		       cs == VMIRROR_COPY_STATE_BROKEN ||
		       cs == VMIRROR_COPY_STATE_ABORTED;
		if (json) {
			if (first || status_changed(&shown, &td.st)) {
				json_event(first ? "exists" : "change", &td, false);
				shown = td.st;
				first = false;
			}
		} else if (tty) {
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
