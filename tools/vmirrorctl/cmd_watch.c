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

/*
 * The one argument NAME of wait and watch: its vmirror device in TD and
 * its copy_state file open; -1 (the error printed) if not.
 */
static int state_open_arg(int argc, char **argv, struct target_dev *td)
{
	check_args(argc, argv, 1, 1);
	if (open_vmirror(argv[optind], td))
		return -1;
	return state_open(td);
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

/* --for STATE (a copy_state the target enters) and --timeout S (-1: none) */
static void parse_wait_opts(int argc, char **argv, const char **want, double *timeout)
{
	int c, v;

	while ((c = next_opt(argc, argv, "", wait_options)) != -1) {
		switch (c) {
		case OPT_FOR:
			v = copy_state_value(optarg);
			if (v < 0)
				bad_value("--for", optarg, "not a copy_state word");
			if (!copy_state_entered(v))
				bad_value("--for", optarg, "the vmirror target never enters this state");
			*want = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_seconds(optarg, timeout))
				bad_value("--timeout", optarg, "not a number of seconds");
			break;
		}
	}
}

/* Sleep on FD, the copy_state file of TD, until it reads WANT */
static int wait_for(const struct target_dev *td, int fd, const char *want,
		    double timeout)
{
	double deadline = timeout >= 0 ? now_seconds() + timeout : 0, left;
	char state[64];
	const char *why;
	int r, ms;

	for (;;) {
		r = state_read(fd, state, sizeof(state));
		if (r)
			return error("%s: no longer a vmirror device (%s)", td->info.name,
				     strerror(-r));
		if (!strcmp(state, want))
			return EXIT_OK;
		why = dead_end(state, want);
		if (why)
			return error("%s: copy_state %s: %s will not come (%s)", td->info.name,
				     state, want, why);
		ms = 1000;	/* a safety net: wake every second */
		if (timeout >= 0) {
			left = deadline - now_seconds();
			if (left <= 0)
				return error("%s: timed out after %g s waiting for %s (copy_state %s)",
					     td->info.name, timeout, want, state);
			if (left * 1000 < ms)
				ms = ceil(left * 1000);
		}
		state_sleep(fd, ms);
	}
}

int cmd_wait(int argc, char **argv)
{
	const char *want = "synchronized";
	double timeout = -1;
	struct target_dev td;
	int fd, r;

	parse_wait_opts(argc, argv, &want, &timeout);
	fd = state_open_arg(argc, argv, &td);
	if (fd < 0)
		return EXIT_FAIL;
	r = wait_for(&td, fd, want, timeout);
	close(fd);
	return r;
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

/* What watch has shown: the status of the last JSON line, the last line */
struct watch_shown {
	bool first;			/* nothing yet */
	struct vmirror_status st;	/* --json */
	char line[512];			/* plain lines */
	double time;
	unsigned int copy_state, progress_status;
};

/* Show TD's status as watch was asked to (JSON, a terminal, plain lines) */
static void watch_show(const struct target_dev *td, const struct progress *p,
		       bool json, bool tty, struct watch_shown *w)
{
	char line[512];
	bool changed;

	if (json) {
		if (w->first || status_changed(&w->st, &td->st)) {
			json_event(w->first ? "exists" : "change", td, false);
			w->st = td->st;
		}
	} else if (tty) {
		draw_tty(p);
	} else {
		line_plain(line, sizeof(line), td->info.name, p);
		/* at once on a state change, else at most once a second */
		changed = td->st.copy_state != w->copy_state ||
			  td->st.progress_status != w->progress_status;
		if (changed || (strcmp(line, w->line) && now_seconds() - w->time >= 1.0)) {
			puts(line);
			fflush(stdout);
			snprintf(w->line, sizeof(w->line), "%s", line);
			w->time = now_seconds();
			w->copy_state = td->st.copy_state;
			w->progress_status = td->st.progress_status;
		}
	}
	w->first = false;
}

/* The states watch ends in: the copy is done, or cannot go on by itself */
static bool watch_ends(unsigned int copy_state)
{
	return copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED ||
	       copy_state == VMIRROR_COPY_STATE_FAILEDOVER ||
	       copy_state == VMIRROR_COPY_STATE_BROKEN ||
	       copy_state == VMIRROR_COPY_STATE_ABORTED;
}

int cmd_watch(int argc, char **argv)
{
	struct watch_shown shown = { .first = true, .copy_state = ~0U,
				     .progress_status = ~0U };
	char path[128], state[64];
	struct target_dev td;
	struct progress p;
	uint64_t sectors = 0;
	bool tty = isatty(STDOUT_FILENO), json = false;
	int c, fd, r;

	while ((c = next_opt(argc, argv, "j", watch_options)) != -1)
		if (c == 'j')
			json = true;
	if (json)
		tty = false;
	fd = state_open_arg(argc, argv, &td);
	if (fd < 0)
		return EXIT_FAIL;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/size", td.info.major,
		 td.info.minor);
	read_sysfs_u64(path, &sectors);
	catch_signals();

	for (;;) {
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
		describe(&td.st, sectors << SECTOR_SHIFT, &p);
		watch_show(&td, &p, json, tty, &shown);
		if (watch_ends(td.st.copy_state) || interrupted)
			break;
		state_sleep(fd, 250);	/* a terminal gets 4 frames a second */
	}
	if (tty)
		putchar('\n');
	close(fd);
	if (interrupted)
		return EXIT_FAIL;
	if (td.st.copy_state == VMIRROR_COPY_STATE_BROKEN ||
	    td.st.copy_state == VMIRROR_COPY_STATE_ABORTED)
		return error("%s: copy_state %s", td.info.name,
			     vmirror_copy_state_name(td.st.copy_state));
	return EXIT_OK;
}
