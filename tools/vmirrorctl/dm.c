// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl: the device-mapper operations, on libdevmapper.
 *
 * Operations that make or remove device nodes (create, resume, remove)
 * carry a udev cookie and wait for udev.  Without udev (no
 * /run/udev/control, e.g. in a minimal VM or initramfs) udev
 * synchronisation is switched off and libdevmapper makes the nodes under
 * /dev/mapper itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libdevmapper.h>

#include "vmirrorctl.h"

static int dm_verbose;
static bool udev_running;
static char last_error[512];

static void dm_log(int level, const char *file, int line, int dm_errno,
		   const char *f, ...)
	__attribute__((format(printf, 5, 6)));

static void dm_log(int level, const char *file, int line, int dm_errno,
		   const char *f, ...)
{
	char msg[sizeof(last_error)];
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno;
	level &= 7;	/* without _LOG_STDERR / _LOG_ONCE */
	va_start(ap, f);
	vsnprintf(msg, sizeof(msg), f, ap);
	va_end(ap);
	/* the first error says what went wrong; later ones are consequences */
	if (level <= 3 && !last_error[0] && strcmp(msg, "<backtrace>"))
		snprintf(last_error, sizeof(last_error), "%s", msg);
	if ((dm_verbose == 1 && level <= 4) || dm_verbose > 1)
		fprintf(stderr, PROG ": libdevmapper: %s\n", msg);
}

void dmx_setup(int verbose)
{
	dm_verbose = verbose;
	dm_log_with_errno_init(dm_log);
	udev_running = access("/run/udev/control", F_OK) == 0;
	if (!udev_running) {
		/* Nobody would complete a cookie: make the nodes ourselves. */
		dm_udev_set_sync_support(0);
		dm_udev_set_checking(0);
	}
}

const char *dmx_strerror(int r)
{
	static char buf[sizeof(last_error) + 32];

	if (r == -ECOMM) {
		snprintf(buf, sizeof(buf), "device-mapper: %s",
			 last_error[0] ? last_error : "not available");
		return buf;
	}
	return strerror(-r);
}

/*
 * dm_task_create() fails (NULL) when libdevmapper cannot talk to the
 * kernel's DM driver: that is -ECOMM here, explained by dmx_strerror().
 */
static int task_errno(struct dm_task *dmt)
{
	int e = dm_task_get_errno(dmt);

	return e ? -e : -EIO;
}

static int task_info(struct dm_task *dmt, struct dmx_info *info)
{
	struct dm_info di;
	const char *name, *uuid;
	int r;

	if (!dm_task_run(dmt)) {
		r = task_errno(dmt);
		/* a device number that is not a DM device */
		return r == -ENXIO ? -ENOENT : r;
	}
	if (!dm_task_get_info(dmt, &di))
		return -EIO;
	if (!di.exists)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	name = dm_task_get_name(dmt);
	snprintf(info->name, sizeof(info->name), "%s", name ? name : "");
	uuid = dm_task_get_uuid(dmt);
	snprintf(info->uuid, sizeof(info->uuid), "%s", uuid ? uuid : "");
	info->major = di.major;
	info->minor = di.minor;
	info->suspended = di.suspended;
	info->live_table = di.live_table;
	info->inactive_table = di.inactive_table;
	info->open_count = di.open_count;
	return 0;
}

static int info_by_name(const char *name, struct dmx_info *info)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_INFO);
	int r;

	if (!dmt)
		return -ECOMM;
	if (!dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return -EINVAL;
	}
	r = task_info(dmt, info);
	dm_task_destroy(dmt);
	return r;
}

int dmx_info_by_devno(uint32_t major, uint32_t minor, struct dmx_info *info)
{
	struct dm_task *dmt;
	char path[128];
	int r;

	/* Only ask DM about DM devices (it logs an error otherwise). */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/dm", major, minor);
	if (access(path, F_OK))
		return -ENOENT;
	dmt = dm_task_create(DM_DEVICE_INFO);
	if (!dmt)
		return -ECOMM;
	if (!dm_task_set_major(dmt, major) || !dm_task_set_minor(dmt, minor)) {
		dm_task_destroy(dmt);
		return -EINVAL;
	}
	r = task_info(dmt, info);
	dm_task_destroy(dmt);
	return r;
}

int dmx_resolve(const char *arg, struct dmx_info *info)
{
	struct stat st;

	if (!*arg)
		return -ENOENT;
	if (!strchr(arg, '/'))
		return info_by_name(arg, info);
	if (stat(arg, &st)) {
		/* /dev/mapper/NAME without its node (no udev) */
		if (!strncmp(arg, "/dev/mapper/", 12) && !strchr(arg + 12, '/'))
			return info_by_name(arg + 12, info);
		return -errno;
	}
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	return dmx_info_by_devno(major(st.st_rdev), minor(st.st_rdev), info);
}

int dmx_get_table(const char *name, struct dmx_table *tbl)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_TABLE);
	uint64_t start, len;
	char *type, *params;
	void *next = NULL;
	int r = 0;

	memset(tbl, 0, sizeof(*tbl));
	if (!dmt)
		return -ECOMM;
	if (!dm_task_set_name(dmt, name) || !dm_task_run(dmt)) {
		r = task_errno(dmt);
		goto out;
	}
	do {
		next = dm_get_next_target(dmt, next, &start, &len, &type, &params);
		if (type)
			dmx_table_add(tbl, start, len, type, params ? params : "");
	} while (next);
out:
	dm_task_destroy(dmt);
	return r;
}

void dmx_table_add(struct dmx_table *tbl, uint64_t start, uint64_t len,
		   const char *type, const char *params)
{
	struct dmx_target *t;

	tbl->t = realloc(tbl->t, (tbl->n + 1) * sizeof(*tbl->t));
	if (!tbl->t) {
		error("out of memory");
		exit(EXIT_FAIL);
	}
	t = &tbl->t[tbl->n++];
	t->start = start;
	t->len = len;
	t->type = strdup(type);
	t->params = strdup(params);
	if (!t->type || !t->params) {
		error("out of memory");
		exit(EXIT_FAIL);
	}
}

void dmx_table_free(struct dmx_table *tbl)
{
	for (int i = 0; i < tbl->n; i++) {
		free(tbl->t[i].type);
		free(tbl->t[i].params);
	}
	free(tbl->t);
	memset(tbl, 0, sizeof(*tbl));
}

static int add_targets(struct dm_task *dmt, const struct dmx_table *tbl)
{
	for (int i = 0; i < tbl->n; i++)
		if (!dm_task_add_target(dmt, tbl->t[i].start, tbl->t[i].len,
					tbl->t[i].type, tbl->t[i].params))
			return -ENOMEM;
	return 0;
}

/* Flags of a cookie: rely on udev where it runs, else on the library. */
static uint16_t udev_flags(void)
{
	return udev_running ? DM_UDEV_DISABLE_LIBRARY_FALLBACK : 0;
}

/*
 * Run TASK for device NAME, with a udev cookie if COOKIE, and wait for
 * udev (or make the nodes).
 */
static int run_task(struct dm_task *dmt, const char *name, bool cookie)
{
	uint32_t c = 0;
	int r = 0;

	if (!dm_task_set_name(dmt, name)) {
		r = -EINVAL;
		goto out;
	}
	if (cookie && !dm_task_set_cookie(dmt, &c, udev_flags())) {
		r = -EIO;
		goto out;
	}
	if (!dm_task_run(dmt))
		r = task_errno(dmt);
	if (cookie)
		dm_udev_wait(c);
	if (!udev_running)
		dm_task_update_nodes();
out:
	dm_task_destroy(dmt);
	return r;
}

/* A task of TYPE (DM_DEVICE_CREATE, _RELOAD) with TBL; NULL and *R if not */
static struct dm_task *table_task(int type, const struct dmx_table *tbl, int *r)
{
	struct dm_task *dmt = dm_task_create(type);

	if (!dmt) {
		*r = -ECOMM;
		return NULL;
	}
	*r = add_targets(dmt, tbl);
	if (*r) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

int dmx_create(const char *name, const struct dmx_table *tbl)
{
	char node[256];
	int r;
	struct dm_task *dmt = table_task(DM_DEVICE_CREATE, tbl, &r);

	if (!dmt)
		return r;
	r = run_task(dmt, name, true);
	if (r)
		return r;
	/* Belt and braces for a system where neither udev nor libdm did it. */
	snprintf(node, sizeof(node), "%s/%s", dm_dir(), name);
	if (access(node, F_OK))
		dm_mknodes(name);
	return 0;
}

int dmx_reload(const char *name, const struct dmx_table *tbl)
{
	int r;
	struct dm_task *dmt = table_task(DM_DEVICE_RELOAD, tbl, &r);

	return dmt ? run_task(dmt, name, false) : r;
}

int dmx_clear(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_CLEAR);

	return dmt ? run_task(dmt, name, false) : -ECOMM;
}

int dmx_suspend(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_SUSPEND);

	/* Default flags: flush in-flight I/O and freeze the filesystem. */
	return dmt ? run_task(dmt, name, false) : -ECOMM;
}

int dmx_resume(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_RESUME);

	return dmt ? run_task(dmt, name, true) : -ECOMM;
}

int dmx_remove(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_REMOVE);

	if (!dmt)
		return -ECOMM;
	/* A short-lived opener (blkid, udev) must not make remove fail. */
	dm_task_retry_remove(dmt);
	return run_task(dmt, name, true);
}

/* Drop the loaded table and resume the old one; false (error printed) if not */
static bool back_out(const char *name)
{
	int r = dmx_clear(name);

	if (!r)
		r = dmx_resume(name);
	if (r)
		error("%s: could not resume the old table: %s", name, dmx_strerror(r));
	return !r;
}

int dmx_swap_table(const char *name, const struct dmx_table *tbl, const char *what,
		   int (*commit)(void *ctx), void *ctx)
{
	const char *why;
	bool back;
	int r;

	kmsg_mark();
	r = dmx_reload(name, tbl);
	if (r) {
		why = kmsg_table_error();
		return error("%s: the %s table was refused: %s", name, what,
			     *why ? why : dmx_strerror(r));
	}
	r = dmx_suspend(name);
	if (r) {
		dmx_clear(name);
		return error("%s: cannot suspend: %s; nothing changed", name, dmx_strerror(r));
	}
	r = commit ? commit(ctx) : EXIT_OK;
	if (r) {
		back_out(name);
		return r;
	}
	r = dmx_resume(name);
	if (r) {
		back = back_out(name);
		return error("%s: cannot resume with the %s table: %s%s", name, what,
			     dmx_strerror(r), back ? "; the old table is back" : "");
	}
	return EXIT_OK;
}

/* ---- the kernel's reason for a failed table load ---- */

static int kmsg_fd = -1;

void kmsg_mark(void)
{
	if (kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

const char *kmsg_table_error(void)
{
	static const char tag[] = "device-mapper: table: ";
	static char reason[512];
	char rec[2048];
	ssize_t n;

	reason[0] = 0;
	if (kmsg_fd < 0)
		return reason;
	for (;;) {
		char *msg, *p, *nl, *colon, *space;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		p = strstr(msg, tag);
		if (!p)
			continue;
		p += sizeof(tag) - 1;
		/* "253:0: vmirror: Mirror device too small (-EINVAL)" */
		colon = strchr(p, ':');
		space = strchr(p, ' ');
		if (colon && space && colon < space)
			p = space + 1;
		snprintf(reason, sizeof(reason), "%s", p);
	}
	return reason;
}
