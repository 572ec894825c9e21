// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirror-ioctl-test - hit /dev/vmirror-control with good and bad input and
 * check every result against the rules of <linux/dm-vmirror.h>.
 *
 * Usage: vmirror-ioctl-test --dev MAJ:MIN --nondev MAJ:MIN [--fuzz N]
 *                           [--seed S] [--source MAJ:MIN] [--target MAJ:MIN]
 *                           [--control PATH]
 *
 *   --dev      a live vmirror DM device, synchronized, nobody writing to it
 *   --nondev   a DM device that is not a vmirror (e.g. dm-linear)
 *   --fuzz N   random calls (default 10000, 0 = none)
 *   --seed S   seed of the fuzz (default: time; printed)
 *   --source, --target   the legs of --dev, checked against STATUS
 *   --hammer S only this: for S seconds or until SIGUSR1, two processes
 *              LIST, STATUS and send no-op CONTROLs (set the rate and
 *              priority a device already has) to every vmirror, accepting
 *              only 0, or ENODEV from a vmirror other than --dev, while the
 *              caller suspends/resumes and reloads --dev (which stays live)
 *              and creates and removes other vmirrors
 *
 * Runs as root (CAP_SYS_ADMIN); forks a child that drops to uid/gid 65534
 * for the unprivileged checks.  The fuzz never sends an operation that can
 * change the mirror's state (ACTIVATE..CANCEL) to --dev; it may change the
 * copy priority and rate cap of --dev and restores them at the end.
 *
 * One line per check, "ok: ..." or "FAIL: ...".  Exit status 0 if every
 * check passed, 1 if any failed, 2 on usage or setup errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dm-vmirror.h>

#define offsetofend(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* The kernel's limits (kernel/ctl.c). */
#define IOC_MAX_SIZE		4096	/* VMIRROR_IOC_MAX_SIZE = PAGE_SIZE */
#define LIST_MAX		4096	/* entries LIST writes at most */
#define MAX_MAJOR_NR		4096	/* 1 << (32 - MINORBITS) */
#define MAX_MINOR_NR		0xfffffu /* MINORMASK */

#define CANARY			0xa5
#define NOBODY			65534

struct devnum {
	uint32_t major, minor;
};

static int ctl_fd = -1;
static const char *ctl_path = VMIRROR_CONTROL_PATH;
static unsigned int n_ok, n_fail;
static const char *who = "";		/* line prefix, "[nobody] " in the child */
static long page_size;

static struct devnum vmdev, nondev, srcdev, tgtdev;
static bool have_src, have_tgt;
static uint32_t target_version;		/* from the first VERSION call */

/* ------------------------------------------------------------------------ */
/* Reporting */

static void vreport(bool ok, const char *fmt, va_list ap)
{
	printf("%s%s: ", who, ok ? "ok" : "FAIL");
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		n_ok++;
	else
		n_fail++;
}

static bool report(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ok, fmt, ap);
	va_end(ap);
	return ok;
}

static void info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%sinfo: ", who);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
}

static void __attribute__((noreturn)) fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vmirror-ioctl-test: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* "0", "EINVAL", ... for an ioctl result as returned by xioctl(). */
static const char *rcname(int rc)
{
	static char buf[8][32];
	static unsigned int slot;
	char *b = buf[slot++ % ARRAY_SIZE(buf)];
	const char *n;

	if (rc == 0)
		return "0";
	if (rc < 0) {
		snprintf(b, sizeof(buf[0]), "returned %d", -rc);
		return b;
	}
	n = strerrorname_np(rc);
	if (n)
		return n;
	snprintf(b, sizeof(buf[0]), "errno %d", rc);
	return b;
}

/* ioctl(): 0, an errno, or minus a positive return value (never valid). */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int r;

	errno = 0;
	r = ioctl(fd, cmd, arg);
	if (r < 0)
		return errno ? errno : 9999;
	return r ? -r : 0;
}

static bool expect_rc(int rc, int want, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return report(rc == want, "%s -> %s%s%s", what, rcname(rc),
		      rc == want ? "" : ", expected ", rc == want ? "" : rcname(want));
}

/* Is every byte of p[0..n) equal to c? */
static bool all_bytes(const void *p, size_t n, uint8_t c)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != c)
			return false;
	return true;
}

/* ------------------------------------------------------------------------ */
/* Memory: RW pages followed by a PROT_NONE guard page */

struct area {
	uint8_t *base;		/* rw_len bytes RW, then a guard page */
	size_t rw_len;
};

static void area_init(struct area *a, size_t pages)
{
	a->rw_len = pages * page_size;
	a->base = mmap(NULL, a->rw_len + page_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->base == MAP_FAILED)
		fatal("mmap: %m");
	if (mprotect(a->base + a->rw_len, page_size, PROT_NONE))
		fatal("mprotect: %m");
}

static void area_protect(struct area *a, int prot)
{
	if (mprotect(a->base, a->rw_len, prot))
		fatal("mprotect: %m");
}

/* Pointers this process cannot access (for EFAULT); 1 is 8. */
static void *bad_ptr(unsigned int i)
{
#if UINTPTR_MAX > 0xffffffffu
	static const uintptr_t bad[] = {
		0, 8, 0xffff888000000000ull, 0xfffffffffffff000ull,
		0x8000000000000000ull, 0x0000800000000000ull,
	};
#else	/* a 32-bit process: above its TASK_SIZE */
	static const uintptr_t bad[] = { 0, 8, 0xfffff000u, 0xffffe000u };
#endif
	return (void *)bad[i % ARRAY_SIZE(bad)];
}

/*
 * The same as the __u64 of LIST's devs, which holds a user pointer on every
 * ABI: a 32-bit process can pass a 64-bit value.  1 is 8, 2 a kernel address.
 */
static uint64_t bad_addr(unsigned int i)
{
	static const uint64_t bad[] = {
		0, 8, 0xffff888000000000ull, 0xfffffffffffff000ull,
		0x8000000000000000ull, 0x0000800000000000ull, 0x0000100000000000ull,
		0x00000000fffff000ull, 0xffffffff00000000ull,
	};
#if UINTPTR_MAX > 0xffffffffu
	/* 0xfffff000 might be mapped in a 64-bit process */
	if (bad[i % ARRAY_SIZE(bad)] == 0xfffff000u)
		return 8;
#endif
	return bad[i % ARRAY_SIZE(bad)];
}

static uint64_t addr(const void *p)
{
	return (uintptr_t)p;
}

/* ------------------------------------------------------------------------ */
/* Helpers */

static int do_status(struct devnum d, struct vmirror_status *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->dev_major = d.major;
	st->dev_minor = d.minor;
	return xioctl(ctl_fd, VMIRROR_IOC_STATUS, st);
}

static int do_control(struct devnum d, uint32_t op, uint32_t value)
{
	struct vmirror_control c = {
		.size = sizeof(c), .dev_major = d.major, .dev_minor = d.minor,
		.op = op, .value = value,
	};

	return xioctl(ctl_fd, VMIRROR_IOC_CONTROL, &c);
}

static int do_list(uint64_t devs, uint32_t room, uint32_t *count)
{
	struct vmirror_ioc_list l = {
		.size = sizeof(l), .count = room, .devs = devs,
	};
	int rc = xioctl(ctl_fd, VMIRROR_IOC_LIST, &l);

	*count = l.count;
	return rc;
}

static bool valid_copy_state(unsigned int v)
{
	return (v >= VMIRROR_COPY_STATE_INITIALIZED && v <= VMIRROR_COPY_STATE_SKEWED) ||
	       v == VMIRROR_COPY_STATE_NOT_APPLICABLE;
}

/* Size of a block device in bytes, from sysfs; 0 if unknown. */
static uint64_t dev_bytes(struct devnum d)
{
	char path[64];
	unsigned long long sectors;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/size", d.major, d.minor);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fscanf(f, "%llu", &sectors);
	fclose(f);
	return n == 1 ? sectors * 512 : 0;
}

static uint64_t now_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* VERSION */

static void test_version(struct area *ro)
{
	struct vmirror_ioc_version v;
	uint8_t buf[IOC_MAX_SIZE + 64];
	uint32_t *size = (uint32_t *)buf;
	int rc;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, &v);
	if (expect_rc(rc, 0, "VERSION"))
		target_version = v.target_version;
	report(v.version == VMIRROR_IOCTL_VERSION, "VERSION: version %u (header: %u)",
	       v.version, VMIRROR_IOCTL_VERSION);
	report(v.size == sizeof(v), "VERSION: size echoed as %u", v.size);
	report(v.target_version != 0, "VERSION: target_version %u.%u.%u",
	       v.target_version >> 16, (v.target_version >> 8) & 0xff,
	       v.target_version & 0xff);
	report(all_bytes(v.reserved, sizeof(v.reserved), 0), "VERSION: reserved zero on output");

	/* Again with the same struct: output fields on input are ignored. */
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, &v);
	expect_rc(rc, 0, "VERSION again with the struct of the last call");
	v.version = 0xdead;
	v.target_version = 0xbeef;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, &v);
	expect_rc(rc, 0, "VERSION with garbage in version and target_version");
	report(v.version == VMIRROR_IOCTL_VERSION && v.target_version == target_version,
	       "VERSION: garbage overwritten (version %u)", v.version);

	/* Only the size field: nothing but it may be written. */
	memset(buf, CANARY, sizeof(buf));
	*size = 4;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, buf);
	expect_rc(rc, 0, "VERSION size 4");
	report(*size == 4 && all_bytes(buf + 4, 64, CANARY),
	       "VERSION size 4: size %u, nothing written after it", *size);

	/* Up to and including version. */
	memset(buf, CANARY, sizeof(buf));
	memset(buf, 0, 8);
	*size = 8;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, buf);
	expect_rc(rc, 0, "VERSION size 8");
	report(*size == 8 && ((uint32_t *)buf)[1] == VMIRROR_IOCTL_VERSION &&
	       all_bytes(buf + 8, 64, CANARY),
	       "VERSION size 8: version %u, nothing written after it", ((uint32_t *)buf)[1]);

	memset(&v, 0, sizeof(v));
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, &v);
	expect_rc(rc, EINVAL, "VERSION size 0");
	v.size = 3;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, &v);
	expect_rc(rc, EINVAL, "VERSION size 3");

	/* A newer caller's bigger struct with a zero tail. */
	memset(buf, CANARY, sizeof(buf));
	memset(buf, 0, 64);
	*size = 64;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, buf);
	expect_rc(rc, 0, "VERSION size 64, zero tail");
	report(*size == sizeof(v) && all_bytes(buf + 32, 32, 0) &&
	       all_bytes(buf + 64, 64, CANARY),
	       "VERSION size 64: size set to %u, tail untouched", *size);

	/* The same through the number a newer header would have. */
	memset(buf, 0, 64);
	*size = 64;
	rc = xioctl(ctl_fd, _IOWR(VMIRROR_IOC_MAGIC, 0, uint8_t[64]), buf);
	expect_rc(rc, 0, "VERSION as _IOWR(MAGIC, 0, 64 bytes), size 64");

	memset(buf, 0, 64);
	*size = 64;
	buf[63] = 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, buf);
	expect_rc(rc, E2BIG, "VERSION size 64, non-zero byte 63");
	memset(buf, 0, 64);
	*size = 64;
	buf[32] = 0x80;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, buf);
	expect_rc(rc, E2BIG, "VERSION size 64, non-zero byte 32");
	report(*size == 64, "VERSION E2BIG: struct not written (size still %u)", *size);

	memset(buf, 0, sizeof(buf));
	*size = IOC_MAX_SIZE;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, buf);
	expect_rc(rc, 0, "VERSION size 4096 (the maximum), zero tail");
	memset(buf, 0, sizeof(buf));
	*size = IOC_MAX_SIZE + 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, buf);
	expect_rc(rc, E2BIG, "VERSION size 4097, zero tail");
	*size = 0xffffffff;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, buf);
	expect_rc(rc, E2BIG, "VERSION size 0xffffffff");

	for (unsigned int i = 0; i < ARRAY_SIZE(v.reserved); i++) {
		memset(&v, 0, sizeof(v));
		v.size = sizeof(v);
		v.reserved[i] = 1u << (i * 7);
		rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, &v);
		expect_rc(rc, EINVAL, "VERSION reserved[%u] = %#x", i, 1u << (i * 7));
	}
	/* reserved[] non-zero but beyond a short size: not read, so fine. */
	memset(&v, 0, sizeof(v));
	v.size = offsetof(struct vmirror_ioc_version, reserved);
	v.reserved[0] = 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, &v);
	expect_rc(rc, 0, "VERSION size 12, reserved[0] = 1 beyond it");
	report(v.reserved[0] == 1, "VERSION size 12: reserved[0] beyond size not written");

	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, bad_ptr(1));
	expect_rc(rc, EFAULT, "VERSION pointer 8");
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, NULL);
	expect_rc(rc, EFAULT, "VERSION pointer NULL");
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, bad_ptr(2));
	expect_rc(rc, EFAULT, "VERSION kernel pointer");

	/* Read-only memory: the input is fine, the copy back must fail. */
	area_protect(ro, PROT_READ | PROT_WRITE);
	memset(ro->base, 0, ro->rw_len);
	*(uint32_t *)ro->base = sizeof(v);
	area_protect(ro, PROT_READ);
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, ro->base);
	expect_rc(rc, EFAULT, "VERSION in read-only memory");

	/* The struct ends in a page that is not mapped. */
	area_protect(ro, PROT_READ | PROT_WRITE);
	memset(ro->base, 0, ro->rw_len);
	*(uint32_t *)(ro->base + ro->rw_len - 16) = sizeof(v);
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, ro->base + ro->rw_len - 16);
	expect_rc(rc, EFAULT, "VERSION struct running into an unmapped page");
	*(uint32_t *)(ro->base + ro->rw_len - 16) = 16;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, ro->base + ro->rw_len - 16);
	expect_rc(rc, 0, "VERSION size 16 just before an unmapped page");
	*(uint16_t *)(ro->base + ro->rw_len - 2) = 4;
	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, ro->base + ro->rw_len - 2);
	expect_rc(rc, EFAULT, "VERSION size field itself half unmapped");
}

/* ------------------------------------------------------------------------ */
/* LIST */

static void test_list(void)
{
	uint64_t devs[17];
	struct vmirror_ioc_list l;
	uint32_t n;
	bool found = false;
	int rc;

	rc = do_list(0, 0, &n);
	expect_rc(rc, 0, "LIST count 0, devs 0");
	report(n >= 1, "LIST count 0: %u vmirror device(s)", n);

	memset(devs, CANARY, sizeof(devs));
	rc = do_list(addr(devs), 16, &n);
	expect_rc(rc, 0, "LIST count 16");
	for (uint32_t i = 0; i < n && i < 16; i++) {
		info("LIST: %u:%u", VMIRROR_DEV_MAJOR(devs[i]), VMIRROR_DEV_MINOR(devs[i]));
		if (devs[i] == VMIRROR_DEV(vmdev.major, vmdev.minor))
			found = true;
		if (devs[i] == VMIRROR_DEV(nondev.major, nondev.minor))
			report(false, "LIST: the non-vmirror device %u:%u is listed",
			       nondev.major, nondev.minor);
	}
	report(found, "LIST: %u:%u is listed as VMIRROR_DEV(%u, %u)", vmdev.major,
	       vmdev.minor, vmdev.major, vmdev.minor);
	report(n >= 16 || all_bytes(&devs[n], (17 - n) * sizeof(devs[0]), CANARY),
	       "LIST: nothing written after the %u entries", n);

	/* Room for one: only one written, the total still reported. */
	memset(devs, CANARY, sizeof(devs));
	rc = do_list(addr(devs), 1, &n);
	expect_rc(rc, 0, "LIST count 1");
	report(n >= 1 && all_bytes(&devs[1], 16 * sizeof(devs[0]), CANARY) &&
	       !all_bytes(&devs[0], sizeof(devs[0]), CANARY),
	       "LIST count 1: one entry written, total %u", n);

	/* A huge count is fine: only as many as there are are written. */
	{
		size_t room = LIST_MAX + 1;
		uint64_t *big = calloc(room, sizeof(*big));
		uint32_t total;

		if (!big)
			fatal("out of memory");
		memset(big, CANARY, room * sizeof(*big));
		rc = do_list(addr(big), 0xffffffff, &total);
		expect_rc(rc, 0, "LIST count 0xffffffff");
		report(total == n && total < room &&
		       all_bytes(&big[total], (room - total) * sizeof(*big), CANARY),
		       "LIST count 0xffffffff: %u written, nothing after them", total);
		free(big);
	}

	rc = do_list(0, 1, &n);
	expect_rc(rc, EFAULT, "LIST count 1, devs 0");
	rc = do_list(bad_addr(1), 4, &n);
	expect_rc(rc, EFAULT, "LIST count 4, devs 8");
	rc = do_list(bad_addr(2), 4, &n);
	expect_rc(rc, EFAULT, "LIST count 4, devs a kernel address");
	rc = do_list(bad_addr(1) | 1ull << 32, 4, &n);
	expect_rc(rc, EFAULT, "LIST count 4, devs 0x100000008 (no truncation to 32 bits)");
	rc = do_list(bad_addr(1), 0, &n);
	expect_rc(rc, 0, "LIST count 0, devs 8 (not used)");

	for (unsigned int i = 0; i < ARRAY_SIZE(l.reserved); i++) {
		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		l.reserved[i] = 1ull << 63;
		rc = xioctl(ctl_fd, VMIRROR_IOC_LIST, &l);
		expect_rc(rc, EINVAL, "LIST reserved[%u] non-zero", i);
	}
	memset(&l, 0, sizeof(l));
	l.size = offsetofend(struct vmirror_ioc_list, devs) - 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_LIST, &l);
	expect_rc(rc, EINVAL, "LIST size 15 (< offsetofend(devs))");
	l.size = offsetofend(struct vmirror_ioc_list, devs);
	rc = xioctl(ctl_fd, VMIRROR_IOC_LIST, &l);
	expect_rc(rc, 0, "LIST size 16");
	report(l.size == 16 && l.count >= 1, "LIST size 16: size %u, count %u", l.size, l.count);
}

/* ------------------------------------------------------------------------ */
/* STATUS */

static bool check_status(const struct vmirror_status *st, const char *what)
{
	uint64_t bytes = dev_bytes(vmdev);
	uint64_t now = now_realtime_ns();
	bool ok = true;

#define CHECK(cond, ...) (ok &= report((cond), __VA_ARGS__))
	CHECK(st->size == sizeof(*st), "%s: size %u", what, st->size);
	CHECK(st->dev_major == vmdev.major && st->dev_minor == vmdev.minor,
	      "%s: device %u:%u echoed", what, st->dev_major, st->dev_minor);
	CHECK(valid_copy_state(st->copy_state), "%s: copy_state %u", what, st->copy_state);
	CHECK(st->sync_state >= VMIRROR_SYNC_STATE_INITIALIZED &&
	      st->sync_state <= VMIRROR_SYNC_STATE_COPY_IN_PROGRESS,
	      "%s: sync_state %u", what, st->sync_state);
	CHECK(st->progress_status == VMIRROR_PROGRESS_UNKNOWN ||
	      (st->progress_status >= VMIRROR_PROGRESS_COMPLETED &&
	       st->progress_status <= VMIRROR_PROGRESS_DETACHING),
	      "%s: progress_status %u", what, st->progress_status);
	CHECK(valid_copy_state(st->requested_copy_state), "%s: requested_copy_state %u",
	      what, st->requested_copy_state);
	CHECK(st->percent_synced <= 100, "%s: percent_synced %u", what, st->percent_synced);
	CHECK(st->regions_synced <= st->regions_total && st->regions_total > 0,
	      "%s: regions_synced %" PRIu64 " of %" PRIu64, what, st->regions_synced,
	      st->regions_total);
	CHECK(st->regions_total &&
	      st->percent_synced == st->regions_synced * 100 / st->regions_total,
	      "%s: percent_synced == floor(100 * synced / total)", what);
	CHECK(st->region_size > 0 && st->region_size % 512 == 0,
	      "%s: region_size %" PRIu64, what, st->region_size);
	if (bytes && st->region_size)
		CHECK(st->regions_total == (bytes + st->region_size - 1) / st->region_size,
		      "%s: regions_total %" PRIu64 " covers the %" PRIu64 " bytes of the device",
		      what, st->regions_total, bytes);
	CHECK(st->sync_maintained <= 1, "%s: sync_maintained %u", what, st->sync_maintained);
	CHECK(st->sync_mode == VMIRROR_COPY_TYPE_SYNC || st->sync_mode == VMIRROR_COPY_TYPE_ASYNC,
	      "%s: sync_mode %u", what, st->sync_mode);
	CHECK(st->copy_type >= VMIRROR_COPY_TYPE_ASYNC &&
	      st->copy_type <= VMIRROR_COPY_TYPE_UNSYNC_UNASSOC, "%s: copy_type %u", what,
	      st->copy_type);
	CHECK(st->sync_type == VMIRROR_SYNC_TYPE_MIRROR, "%s: sync_type %u", what, st->sync_type);
	CHECK(st->replica_type == VMIRROR_REPLICA_TYPE_NOT_SPECIFIED ||
	      (st->replica_type >= VMIRROR_REPLICA_TYPE_FULL_COPY &&
	       st->replica_type <= VMIRROR_REPLICA_TYPE_LOG),
	      "%s: replica_type %u", what, st->replica_type);
	CHECK(st->copy_priority <= VMIRROR_PRIORITY_HIGH, "%s: copy_priority %u", what,
	      st->copy_priority);
	CHECK(st->copy_methodology <= VMIRROR_COPY_METHOD_SNAP_AND_CLONE,
	      "%s: copy_methodology %u", what, st->copy_methodology);
	if (have_src)
		CHECK(st->source_major == srcdev.major && st->source_minor == srcdev.minor,
		      "%s: source %u:%u", what, st->source_major, st->source_minor);
	if (have_tgt)
		CHECK(st->target_major == tgtdev.major && st->target_minor == tgtdev.minor,
		      "%s: target %u:%u", what, st->target_major, st->target_minor);
	CHECK(st->eta_seconds >= -1, "%s: eta_seconds %" PRId64, what, st->eta_seconds);
	CHECK(st->sync_time_ns <= now, "%s: sync_time_ns not in the future", what);
	CHECK(all_bytes(st->reserved, sizeof(st->reserved), 0), "%s: reserved zero", what);

	if (st->copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED) {
		CHECK(st->percent_synced == 100 && st->regions_synced == st->regions_total,
		      "%s: synchronized: 100 %%, every region in sync", what);
		CHECK(st->sync_state == VMIRROR_SYNC_STATE_SYNCHRONIZED &&
		      st->progress_status == VMIRROR_PROGRESS_COMPLETED &&
		      st->requested_copy_state == VMIRROR_COPY_STATE_NOT_APPLICABLE,
		      "%s: synchronized: sync_state %u, progress %u, requested %u", what,
		      st->sync_state, st->progress_status, st->requested_copy_state);
		CHECK(st->sync_maintained == 1 && st->eta_seconds == 0,
		      "%s: synchronized: sync_maintained 1, eta 0", what);
		CHECK(st->sync_time_ns > now - 86400ull * 1000000000ull && st->sync_time_ns <= now,
		      "%s: synchronized: sync_time_ns %.1f s ago", what,
		      (now - st->sync_time_ns) / 1e9);
	}
#undef CHECK
	return ok;
}

static void test_status(struct area *ro)
{
	struct vmirror_status st;
	uint8_t buf[IOC_MAX_SIZE + 64];
	struct vmirror_status *bst = (struct vmirror_status *)buf;
	size_t n;
	int rc;

	rc = do_status(vmdev, &st);
	expect_rc(rc, 0, "STATUS %u:%u", vmdev.major, vmdev.minor);
	info("STATUS: copy_state %u sync_state %u progress %u percent %u regions %" PRIu64
	     "/%" PRIu64 " region_size %" PRIu64 " priority %u max_rate %u",
	     st.copy_state, st.sync_state, st.progress_status, st.percent_synced,
	     st.regions_synced, st.regions_total, st.region_size, st.copy_priority,
	     st.max_copy_rate);
	check_status(&st, "STATUS");

	/* Called again with the same struct (the output fields filled in). */
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, &st);
	expect_rc(rc, 0, "STATUS again with the struct of the last call");

	/* Only up to copy_state: exactly that much written. */
	n = offsetof(struct vmirror_status, copy_state) + 2;
	memset(buf, CANARY, sizeof(buf));
	bst->size = n;
	bst->dev_major = vmdev.major;
	bst->dev_minor = vmdev.minor;
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, buf);
	expect_rc(rc, 0, "STATUS size %zu (up to copy_state)", n);
	report(bst->size == n && valid_copy_state(bst->copy_state) &&
	       all_bytes(buf + n, 200, CANARY),
	       "STATUS size %zu: copy_state %u, size %u, nothing written after byte %zu",
	       n, bst->copy_state, bst->size, n);

	/* Odd sizes: a field cut in half. */
	n = offsetof(struct vmirror_status, sync_time_ns) + 3;
	memset(buf, CANARY, sizeof(buf));
	bst->size = n;
	bst->dev_major = vmdev.major;
	bst->dev_minor = vmdev.minor;
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, buf);
	expect_rc(rc, 0, "STATUS size %zu (half of sync_time_ns)", n);
	report(bst->size == n && !memcmp(buf + 12, (uint8_t *)&st + 12, 24) &&
	       all_bytes(buf + n, 200, CANARY),
	       "STATUS size %zu: fields as before, nothing written after byte %zu", n, n);

	n = offsetofend(struct vmirror_status, dev_minor);
	memset(buf, CANARY, sizeof(buf));
	bst->size = n;
	bst->dev_major = vmdev.major;
	bst->dev_minor = vmdev.minor;
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, buf);
	expect_rc(rc, 0, "STATUS size %zu (offsetofend(dev_minor))", n);
	report(all_bytes(buf + n, 200, CANARY), "STATUS size %zu: nothing written after it", n);

	bst->size = n - 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, buf);
	expect_rc(rc, EINVAL, "STATUS size %zu (< offsetofend(dev_minor))", n - 1);
	bst->size = 4;
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, buf);
	expect_rc(rc, EINVAL, "STATUS size 4");
	bst->size = 0;
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, buf);
	expect_rc(rc, EINVAL, "STATUS size 0");

	rc = do_status(nondev, &st);
	expect_rc(rc, ENODEV, "STATUS of the non-vmirror %u:%u", nondev.major, nondev.minor);
	rc = do_status((struct devnum){ 0, 0 }, &st);
	expect_rc(rc, ENODEV, "STATUS of 0:0");
	rc = do_status((struct devnum){ 0xffffffff, vmdev.minor }, &st);
	expect_rc(rc, ENODEV, "STATUS of 0xffffffff:%u", vmdev.minor);
	rc = do_status((struct devnum){ vmdev.major, 0xffffffff }, &st);
	expect_rc(rc, ENODEV, "STATUS of %u:0xffffffff", vmdev.major);
	/* Would alias vmdev if the kernel truncated the numbers. */
	rc = do_status((struct devnum){ vmdev.major + MAX_MAJOR_NR, vmdev.minor }, &st);
	expect_rc(rc, ENODEV, "STATUS of %u:%u (major + 4096)", vmdev.major + MAX_MAJOR_NR,
		  vmdev.minor);
	rc = do_status((struct devnum){ vmdev.major, vmdev.minor + MAX_MINOR_NR + 1 }, &st);
	expect_rc(rc, ENODEV, "STATUS of %u:%u (minor + 2^20)", vmdev.major,
		  vmdev.minor + MAX_MINOR_NR + 1);
	rc = do_status((struct devnum){ MAX_MAJOR_NR - 1, MAX_MINOR_NR }, &st);
	expect_rc(rc, ENODEV, "STATUS of 4095:1048575");

	for (unsigned int i = 0; i < ARRAY_SIZE(st.reserved); i++) {
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		st.dev_major = vmdev.major;
		st.dev_minor = vmdev.minor;
		st.reserved[i] = 1;
		rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, &st);
		expect_rc(rc, EINVAL, "STATUS reserved[%u] = 1", i);
	}

	/* A newer caller's bigger struct. */
	memset(buf, CANARY, sizeof(buf));
	memset(buf, 0, 256);
	bst->size = 256;
	bst->dev_major = vmdev.major;
	bst->dev_minor = vmdev.minor;
	rc = xioctl(ctl_fd, _IOWR(VMIRROR_IOC_MAGIC, 2, uint8_t[256]), buf);
	expect_rc(rc, 0, "STATUS as _IOWR(MAGIC, 2, 256 bytes), size 256, zero tail");
	report(bst->size == sizeof(st) && all_bytes(buf + 176, 80, 0) &&
	       all_bytes(buf + 256, 64, CANARY),
	       "STATUS size 256: size set to %u, tail untouched", bst->size);
	memset(buf, 0, 256);
	bst->size = 256;
	bst->dev_major = vmdev.major;
	bst->dev_minor = vmdev.minor;
	buf[200] = 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, buf);
	expect_rc(rc, E2BIG, "STATUS size 256, non-zero byte 200");
	memset(buf, 0, 256);
	bst->size = 177;
	bst->dev_major = vmdev.major;
	bst->dev_minor = vmdev.minor;
	buf[176] = 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, buf);
	expect_rc(rc, E2BIG, "STATUS size 177, non-zero byte 176");
	/* E2BIG comes before ENODEV: the struct is refused as a whole. */
	bst->dev_major = 0;
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, buf);
	expect_rc(rc, E2BIG, "STATUS size 177, non-zero byte 176, device 0:%u", bst->dev_minor);

	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, bad_ptr(1));
	expect_rc(rc, EFAULT, "STATUS pointer 8");
	area_protect(ro, PROT_READ | PROT_WRITE);
	memset(ro->base, 0, ro->rw_len);
	bst = (struct vmirror_status *)ro->base;
	bst->size = sizeof(*bst);
	bst->dev_major = vmdev.major;
	bst->dev_minor = vmdev.minor;
	area_protect(ro, PROT_READ);
	rc = xioctl(ctl_fd, VMIRROR_IOC_STATUS, bst);
	expect_rc(rc, EFAULT, "STATUS in read-only memory");
}

/* ------------------------------------------------------------------------ */
/* CONTROL */

static void test_control(struct area *ro)
{
	struct vmirror_status st;
	struct vmirror_control c;
	uint8_t buf[128];
	uint16_t prio0;
	uint32_t rate0;
	int rc;

	if (do_status(vmdev, &st))
		fatal("STATUS of %u:%u failed", vmdev.major, vmdev.minor);
	prio0 = st.copy_priority;
	rate0 = st.max_copy_rate;

	rc = do_control(vmdev, 0, 0);
	expect_rc(rc, EINVAL, "CONTROL op 0");
	rc = do_control(vmdev, VMIRROR_OP_SET_SYNC_MODE + 1, 0);
	expect_rc(rc, EINVAL, "CONTROL op %u", VMIRROR_OP_SET_SYNC_MODE + 1);
	rc = do_control(vmdev, 999, 0);
	expect_rc(rc, EINVAL, "CONTROL op 999");
	rc = do_control(vmdev, 0xffffffff, 0);
	expect_rc(rc, EINVAL, "CONTROL op 0xffffffff");
	rc = do_control(vmdev, VMIRROR_OP_PAUSE, 1);
	expect_rc(rc, EINVAL, "CONTROL PAUSE with a value (reserved)");
	rc = do_control(vmdev, VMIRROR_OP_BREAK, 7);
	expect_rc(rc, EINVAL, "CONTROL BREAK with a value (reserved)");

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.dev_major = vmdev.major;
	c.dev_minor = vmdev.minor;
	c.op = VMIRROR_OP_SET_MAX_RATE;
	c.flags = 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, &c);
	expect_rc(rc, EINVAL, "CONTROL SET_MAX_RATE flags 1");
	c.flags = 0x80000000;
	rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, &c);
	expect_rc(rc, EINVAL, "CONTROL SET_MAX_RATE flags 0x80000000");
	c.flags = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(c.reserved); i++) {
		c.reserved[0] = c.reserved[1] = 0;
		c.reserved[i] = 1ull << (i * 40);
		rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, &c);
		expect_rc(rc, EINVAL, "CONTROL SET_MAX_RATE reserved[%u] non-zero", i);
	}
	c.reserved[0] = c.reserved[1] = 0;

	/* Sizes. */
	c.size = offsetofend(struct vmirror_control, value) - 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, &c);
	expect_rc(rc, EINVAL, "CONTROL size 23 (< offsetofend(value))");
	c.size = 0;
	rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, &c);
	expect_rc(rc, EINVAL, "CONTROL size 0");
	c.size = offsetofend(struct vmirror_control, value);
	c.value = rate0;
	rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, &c);
	expect_rc(rc, 0, "CONTROL size 24, SET_MAX_RATE %u", rate0);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &c, sizeof(c));
	((struct vmirror_control *)buf)->size = sizeof(buf);
	rc = xioctl(ctl_fd, _IOW(VMIRROR_IOC_MAGIC, 3, uint8_t[128]), buf);
	expect_rc(rc, 0, "CONTROL as _IOW(MAGIC, 3, 128 bytes), size 128, zero tail");
	buf[127] = 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, buf);
	expect_rc(rc, E2BIG, "CONTROL size 128, non-zero byte 127");
	((struct vmirror_control *)buf)->size = IOC_MAX_SIZE + 1;
	rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, buf);
	expect_rc(rc, E2BIG, "CONTROL size 4097");
	rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, bad_ptr(1));
	expect_rc(rc, EFAULT, "CONTROL pointer 8");

	/* CONTROL only reads its argument: read-only memory is fine. */
	area_protect(ro, PROT_READ | PROT_WRITE);
	memset(ro->base, 0, ro->rw_len);
	c.size = sizeof(c);
	c.value = rate0;
	memcpy(ro->base, &c, sizeof(c));
	area_protect(ro, PROT_READ);
	rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, ro->base);
	expect_rc(rc, 0, "CONTROL SET_MAX_RATE %u from read-only memory", rate0);

	/* SET_PRIORITY */
	rc = do_control(vmdev, VMIRROR_OP_SET_PRIORITY, VMIRROR_PRIORITY_NOT_MANAGED);
	expect_rc(rc, EINVAL, "CONTROL SET_PRIORITY 0 (not_managed)");
	rc = do_control(vmdev, VMIRROR_OP_SET_PRIORITY, VMIRROR_PRIORITY_HIGH + 1);
	expect_rc(rc, EINVAL, "CONTROL SET_PRIORITY 4");
	rc = do_control(vmdev, VMIRROR_OP_SET_PRIORITY, 0x10003);
	expect_rc(rc, EINVAL, "CONTROL SET_PRIORITY 0x10003 (not truncated to 16 bits)");
	rc = do_control(vmdev, VMIRROR_OP_SET_PRIORITY, VMIRROR_PRIORITY_HIGH);
	expect_rc(rc, 0, "CONTROL SET_PRIORITY high");
	rc = do_status(vmdev, &st);
	report(!rc && st.copy_priority == VMIRROR_PRIORITY_HIGH,
	       "STATUS after SET_PRIORITY high: copy_priority %u", st.copy_priority);
	rc = do_control(vmdev, VMIRROR_OP_SET_PRIORITY, VMIRROR_PRIORITY_LOW);
	expect_rc(rc, 0, "CONTROL SET_PRIORITY low");
	rc = do_status(vmdev, &st);
	report(!rc && st.copy_priority == VMIRROR_PRIORITY_LOW,
	       "STATUS after SET_PRIORITY low: copy_priority %u", st.copy_priority);
	rc = do_control(vmdev, VMIRROR_OP_SET_PRIORITY, VMIRROR_PRIORITY_SAME);
	expect_rc(rc, 0, "CONTROL SET_PRIORITY same");
	rc = do_status(vmdev, &st);
	report(!rc && st.copy_priority == VMIRROR_PRIORITY_SAME,
	       "STATUS after SET_PRIORITY same: copy_priority %u", st.copy_priority);

	/* SET_MAX_RATE */
	rc = do_control(vmdev, VMIRROR_OP_SET_MAX_RATE, 0);
	expect_rc(rc, 0, "CONTROL SET_MAX_RATE 0");
	rc = do_status(vmdev, &st);
	report(!rc && st.max_copy_rate == 0, "STATUS after SET_MAX_RATE 0: max_copy_rate %u",
	       st.max_copy_rate);
	rc = do_control(vmdev, VMIRROR_OP_SET_MAX_RATE, 0xffffffff);
	expect_rc(rc, 0, "CONTROL SET_MAX_RATE 0xffffffff");
	rc = do_status(vmdev, &st);
	report(!rc && st.max_copy_rate == 0xffffffff,
	       "STATUS after SET_MAX_RATE 0xffffffff: max_copy_rate %u", st.max_copy_rate);
	rc = do_control(vmdev, VMIRROR_OP_SET_MAX_RATE, rate0);
	expect_rc(rc, 0, "CONTROL SET_MAX_RATE %u (back)", rate0);
	if (prio0 >= VMIRROR_PRIORITY_LOW && prio0 != VMIRROR_PRIORITY_SAME) {
		rc = do_control(vmdev, VMIRROR_OP_SET_PRIORITY, prio0);
		expect_rc(rc, 0, "CONTROL SET_PRIORITY %u (back)", prio0);
	}

	/* SET_SYNC_MODE: 2 (async) or 3 (sync), shown by STATUS; else EINVAL */
	rc = do_control(vmdev, VMIRROR_OP_SET_SYNC_MODE, 0);
	expect_rc(rc, EINVAL, "CONTROL SET_SYNC_MODE 0");
	rc = do_control(vmdev, VMIRROR_OP_SET_SYNC_MODE, 4);
	expect_rc(rc, EINVAL, "CONTROL SET_SYNC_MODE 4");
	rc = do_control(vmdev, VMIRROR_OP_SET_SYNC_MODE, VMIRROR_COPY_TYPE_ASYNC);
	expect_rc(rc, 0, "CONTROL SET_SYNC_MODE async");
	rc = do_status(vmdev, &st);
	report(!rc && st.sync_mode == VMIRROR_COPY_TYPE_ASYNC &&
	       st.copy_type == VMIRROR_COPY_TYPE_ASYNC,
	       "STATUS after SET_SYNC_MODE async: sync_mode %u", st.sync_mode);
	rc = do_control(vmdev, VMIRROR_OP_SET_SYNC_MODE, VMIRROR_COPY_TYPE_SYNC);
	expect_rc(rc, 0, "CONTROL SET_SYNC_MODE sync");
	rc = do_status(vmdev, &st);
	report(!rc && st.sync_mode == VMIRROR_COPY_TYPE_SYNC && !st.lag_bytes,
	       "STATUS after SET_SYNC_MODE sync: sync_mode %u", st.sync_mode);

	/* Devices. */
	rc = do_control(nondev, VMIRROR_OP_SET_MAX_RATE, 0);
	expect_rc(rc, ENODEV, "CONTROL SET_MAX_RATE on the non-vmirror %u:%u",
		  nondev.major, nondev.minor);
	rc = do_control(nondev, VMIRROR_OP_BREAK, 0);
	expect_rc(rc, ENODEV, "CONTROL BREAK on the non-vmirror %u:%u", nondev.major,
		  nondev.minor);
	rc = do_control((struct devnum){ 0, 0 }, VMIRROR_OP_SET_MAX_RATE, 0);
	expect_rc(rc, ENODEV, "CONTROL SET_MAX_RATE on 0:0");
	rc = do_control((struct devnum){ 0xffffffff, vmdev.minor }, VMIRROR_OP_CANCEL, 0);
	expect_rc(rc, ENODEV, "CONTROL CANCEL on 0xffffffff:%u", vmdev.minor);
	rc = do_control((struct devnum){ vmdev.major + MAX_MAJOR_NR, vmdev.minor },
			VMIRROR_OP_CANCEL, 0);
	expect_rc(rc, ENODEV, "CONTROL CANCEL on %u:%u (major + 4096)",
		  vmdev.major + MAX_MAJOR_NR, vmdev.minor);
	rc = do_control((struct devnum){ vmdev.major, vmdev.minor + MAX_MINOR_NR + 1 },
			VMIRROR_OP_CANCEL, 0);
	expect_rc(rc, ENODEV, "CONTROL CANCEL on %u:%u (minor + 2^20)", vmdev.major,
		  vmdev.minor + MAX_MINOR_NR + 1);

	/* Operations not legal while synchronized: refused, nothing changes. */
	rc = do_status(vmdev, &st);
	if (!report(!rc && st.copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED,
		    "CONTROL: %u:%u is synchronized (copy_state %u) for the EBUSY checks",
		    vmdev.major, vmdev.minor, st.copy_state))
		return;
	rc = do_control(vmdev, VMIRROR_OP_PAUSE, 0);
	expect_rc(rc, EBUSY, "CONTROL PAUSE while synchronized");
	rc = do_control(vmdev, VMIRROR_OP_RESUME, 0);
	expect_rc(rc, EBUSY, "CONTROL RESUME while synchronized");
	rc = do_control(vmdev, VMIRROR_OP_ACTIVATE, 0);
	expect_rc(rc, EBUSY, "CONTROL ACTIVATE while synchronized");
	rc = do_control(vmdev, VMIRROR_OP_RESYNC, 0);
	expect_rc(rc, EBUSY, "CONTROL RESYNC while synchronized");
	rc = do_status(vmdev, &st);
	report(!rc && st.copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED &&
	       st.progress_status == VMIRROR_PROGRESS_COMPLETED,
	       "STATUS after the refused operations: copy_state %u, progress %u",
	       st.copy_state, st.progress_status);
}

/* ------------------------------------------------------------------------ */
/* Unknown numbers */

static void test_unknown(void)
{
	struct vmirror_status st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.dev_major = vmdev.major;
	st.dev_minor = vmdev.minor;
	rc = xioctl(ctl_fd, _IO(VMIRROR_IOC_MAGIC, 99), &st);
	expect_rc(rc, ENOTTY, "_IO(MAGIC, 99)");
	rc = xioctl(ctl_fd, _IOWR(VMIRROR_IOC_MAGIC, 4, struct vmirror_status), &st);
	expect_rc(rc, ENOTTY, "_IOWR(MAGIC, 4, struct vmirror_status)");
	rc = xioctl(ctl_fd, _IOWR(VMIRROR_IOC_MAGIC, 255, struct vmirror_status), &st);
	expect_rc(rc, ENOTTY, "_IOWR(MAGIC, 255, struct vmirror_status)");
	rc = xioctl(ctl_fd, _IO('X', 0), &st);
	expect_rc(rc, ENOTTY, "_IO('X', 0)");
	/* STATUS's number with another type. */
	rc = xioctl(ctl_fd, _IOWR(0xDA, 2, struct vmirror_status), &st);
	expect_rc(rc, ENOTTY, "_IOWR(0xDA, 2, struct vmirror_status)");
	/* The numbers of interface version 1 (magic 0xDB, mwave's) are gone. */
	rc = xioctl(ctl_fd, _IOWR(0xDB, 2, struct vmirror_status), &st);
	expect_rc(rc, ENOTTY, "_IOWR(0xDB, 2, struct vmirror_status): version 1's STATUS");
	rc = xioctl(ctl_fd, _IOWR(0xDB, 0, struct vmirror_ioc_version), &st);
	expect_rc(rc, ENOTTY, "_IOWR(0xDB, 0, struct vmirror_ioc_version): version 1's VERSION");
	/* DM_VERSION of the device-mapper control device is not ours. */
	rc = xioctl(ctl_fd, _IOWR(0xfd, 0, uint8_t[312]), &st);
	expect_rc(rc, ENOTTY, "DM_VERSION (0xfd, 0)");
	report(st.size == sizeof(st) && st.copy_state == 0,
	       "unknown numbers: the argument was not written");
}

/* ------------------------------------------------------------------------ */
/* Fuzz */

/* xorshift64* */
static uint64_t rng_state;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint32_t rnd(uint32_t n)		/* 0..n-1 */
{
	return n ? (uint32_t)((rnd64() >> 32) % n) : 0;
}

static bool chance(unsigned int pct)
{
	return rnd(100) < pct;
}

static const unsigned long canonical_cmd[4] = {
	VMIRROR_IOC_VERSION, VMIRROR_IOC_LIST, VMIRROR_IOC_STATUS, VMIRROR_IOC_CONTROL,
};
static const uint32_t ksizes[4] = {
	sizeof(struct vmirror_ioc_version), sizeof(struct vmirror_ioc_list),
	sizeof(struct vmirror_status), sizeof(struct vmirror_control),
};
static const uint32_t min_sizes[4] = {
	sizeof(uint32_t), offsetofend(struct vmirror_ioc_list, devs),
	offsetofend(struct vmirror_status, dev_minor),
	offsetofend(struct vmirror_control, value),
};
static const char *const cmd_names[4] = { "VERSION", "LIST", "STATUS", "CONTROL" };

static const int documented_errnos[] = {
	0, EINVAL, E2BIG, EFAULT, ENODEV, ENOTTY, EPERM, EBUSY,
};

#define NR_ERRNO_SLOTS	8

struct fuzz {
	bool priv;			/* we have CAP_SYS_ADMIN */
	struct area arg;		/* where the argument struct goes */
	struct area devbuf;		/* LIST's devs array */
	uint8_t *snap_arg, *snap_devs;	/* before the call */
	uint8_t *want_arg, *want_devs;	/* what must be there after it */
	uint64_t *vmdevs;		/* the live vmirror devices (LIST) */
	uint32_t nvm;
	struct vmirror_status ref;	/* STATUS of vmdev before the fuzz */
	bool ref_exact;			/* ref is stable: compare all but copy_rate */
	uint16_t prio;			/* vmdev's priority and rate as we set them */
	uint32_t rate;
	unsigned long calls, mismatches, undocumented;
	unsigned long hist[4][NR_ERRNO_SLOTS + 1];	/* per command, per result */
	unsigned long other_cmds;
};

static bool is_vmirror(struct fuzz *f, uint32_t major, uint32_t minor)
{
	if (major >= MAX_MAJOR_NR || minor > MAX_MINOR_NR)
		return false;
	for (uint32_t i = 0; i < f->nvm; i++)
		if (f->vmdevs[i] == VMIRROR_DEV(major, minor))
			return true;
	return false;
}

static void pick_dev(uint32_t *major, uint32_t *minor)
{
	switch (rnd(12)) {
	case 0: case 1: case 2: case 3:
		*major = vmdev.major; *minor = vmdev.minor; break;
	case 4: case 5:
		*major = nondev.major; *minor = nondev.minor; break;
	case 6:
		*major = 0; *minor = 0; break;
	case 7:
		*major = vmdev.major; *minor = rnd(2) ? vmdev.minor + 1 : MAX_MINOR_NR; break;
	case 8:
		*major = vmdev.major + (rnd(2) ? MAX_MAJOR_NR : 0);
		*minor = vmdev.minor + (rnd(2) ? MAX_MINOR_NR + 1 : 0);
		break;
	case 9:
		*major = 0xffffffff; *minor = rnd(2) ? 0xffffffff : vmdev.minor; break;
	case 10:
		*major = rnd(MAX_MAJOR_NR); *minor = rnd(MAX_MINOR_NR + 1); break;
	default:
		*major = (uint32_t)rnd64(); *minor = (uint32_t)rnd64(); break;
	}
}

static uint32_t pick_size(unsigned int nr)
{
	uint32_t k = nr < 4 ? ksizes[nr] : 64, m = nr < 4 ? min_sizes[nr] : 4;

	switch (rnd(20)) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		return k;
	case 6: case 7:
		return k - 1 + rnd(3);
	case 8:
		return m - 1 + rnd(2);
	case 9:
		return IOC_MAX_SIZE - 1 + rnd(3);
	case 10:
		return (uint32_t)rnd64();
	default:
		return rnd(301);
	}
}

/* Another ioctl type that the VFS does not handle itself (see do_vfs_ioctl). */
static unsigned long pick_foreign_cmd(void)
{
	static const uint8_t types[] = { 0x01, 0x12, 0x4c, 0x56, 0xab, 0xda, 0xdc, 0xfd, 0xff };
	uint32_t size = rnd(2) ? rnd(512) : rnd(1u << 14);

	if (rnd(3) == 0)
		return _IOC(_IOC_NONE, 'X', rnd(256), 0);
	return _IOC(rnd(4), types[rnd(ARRAY_SIZE(types))], rnd(256), size);
}

static unsigned int errno_slot(int rc)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(documented_errnos); i++)
		if (documented_errnos[i] == rc)
			return i;
	return NR_ERRNO_SLOTS;
}

/*
 * What the kernel must do with the argument at p (avail readable bytes
 * before the guard page; 0 for a bad pointer).  Returns the errno and, for
 * success, fills f->want_arg / f->want_devs with what must be in memory
 * after the call (on entry they hold the snapshot).  *status_n is set to the
 * bytes of a STATUS written back (their content is checked separately).
 */
static int model(struct fuzz *f, unsigned int nr, const uint8_t *p, size_t avail,
		 bool readonly, size_t arg_off, uint32_t *status_n)
{
	union {
		struct vmirror_ioc_version v;
		struct vmirror_ioc_list l;
		struct vmirror_status s;
		struct vmirror_control c;
		uint8_t b[IOC_MAX_SIZE];
	} k;
	uint32_t usize, ksize = ksizes[nr], n;

	*status_n = 0;
	if (nr == 3 && !f->priv)
		return EPERM;
	if (avail < 4)
		return EFAULT;
	memcpy(&usize, p, 4);
	if (usize < min_sizes[nr])
		return EINVAL;
	if (usize > IOC_MAX_SIZE)
		return E2BIG;
	if (usize > ksize) {
		for (size_t i = ksize; i < usize; i++) {
			if (i >= avail)
				return EFAULT;
			if (p[i])
				return E2BIG;
		}
	}
	n = usize < ksize ? usize : ksize;
	if (n > avail)
		return EFAULT;
	memset(&k, 0, sizeof(k));
	memcpy(&k, p, n);

	switch (nr) {
	case 0:
		/* version and target_version are output only: ignored */
		if (!all_bytes(k.v.reserved, sizeof(k.v.reserved), 0))
			return EINVAL;
		k.v.version = VMIRROR_IOCTL_VERSION;
		k.v.target_version = target_version;
		break;
	case 1: {
		uint32_t m = k.l.count < f->nvm ? k.l.count : f->nvm;
		uint64_t d = k.l.devs;
		uint64_t lo = addr(f->devbuf.base), hi = lo + f->devbuf.rw_len;

		if (!all_bytes(k.l.reserved, sizeof(k.l.reserved), 0))
			return EINVAL;
		if (k.l.count && !k.l.devs)
			return EFAULT;
		if (m > LIST_MAX)
			m = LIST_MAX;
		for (uint32_t i = 0; i < m; i++, d += 8) {
			if (d < lo || d + 8 > hi)
				return EFAULT;
			memcpy(f->want_devs + (d - lo), &f->vmdevs[i], 8);
		}
		k.l.count = f->nvm;
		break;
	}
	case 2:
		if (!all_bytes(k.s.reserved, sizeof(k.s.reserved), 0))
			return EINVAL;
		if (!is_vmirror(f, k.s.dev_major, k.s.dev_minor))
			return ENODEV;
		break;
	case 3:
		if (k.c.flags || k.c.reserved[0] || k.c.reserved[1])
			return EINVAL;
		if (k.c.op < VMIRROR_OP_ACTIVATE || k.c.op > VMIRROR_OP_SET_SYNC_MODE)
			return EINVAL;
		if (k.c.op < VMIRROR_OP_SET_PRIORITY && k.c.value)
			return EINVAL;	/* value is reserved for ops 1..8 */
		if (!is_vmirror(f, k.c.dev_major, k.c.dev_minor))
			return ENODEV;
		if (k.c.op == VMIRROR_OP_SET_PRIORITY) {
			if (k.c.value < VMIRROR_PRIORITY_LOW || k.c.value > VMIRROR_PRIORITY_HIGH)
				return EINVAL;
			return 0;
		}
		if (k.c.op == VMIRROR_OP_SET_MAX_RATE)
			return 0;
		/* The fuzz never sends these to a vmirror. */
		return -1;
	}
	if (readonly)
		return EFAULT;
	k.v.size = n;		/* size is the first field of each */
	if (nr == 2)
		*status_n = n;
	else
		memcpy(f->want_arg + arg_off, &k, n);
	return 0;
}

/*
 * The n bytes STATUS wrote back at p: size n, the device echoed, and for
 * vmdev (when it is idle) exactly the reference status with the priority
 * and rate we set since, all but copy_rate (which decays by itself).
 */
static bool status_bytes_ok(struct fuzz *f, const uint8_t *p, uint32_t n, char *why,
			    size_t whylen)
{
	struct vmirror_status want, got;
	const uint8_t *w = (const uint8_t *)&want;
	size_t res = offsetof(struct vmirror_status, reserved);

	memset(&got, 0, sizeof(got));
	memcpy(&got, p, n);
	if (got.size != n) {
		snprintf(why, whylen, "STATUS wrote %u bytes but set size %u", n, got.size);
		return false;
	}
	if (!is_vmirror(f, got.dev_major, got.dev_minor)) {
		snprintf(why, whylen, "STATUS of the non-vmirror %u:%u succeeded",
			 got.dev_major, got.dev_minor);
		return false;
	}
	if (got.dev_major != vmdev.major || got.dev_minor != vmdev.minor || !f->ref_exact) {
		if (n > res && !all_bytes(p + res, n - res, 0)) {
			snprintf(why, whylen, "STATUS: reserved not zero");
			return false;
		}
		return true;
	}
	want = f->ref;
	want.size = n;
	want.copy_priority = f->prio;
	want.max_copy_rate = f->rate;
	want.copy_rate = got.copy_rate;
	for (size_t i = 0; i < n; i++) {
		if (w[i] != p[i]) {
			snprintf(why, whylen, "STATUS output byte %zu is %#x, expected %#x "
				 "(as in the reference STATUS)", i, p[i], w[i]);
			return false;
		}
	}
	return true;
}

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	printf("%s    %s:", who, what);
	for (size_t i = 0; i < n; i++)
		printf("%s%02x", i % 32 ? " " : "\n        ", p[i]);
	putchar('\n');
}

static void fuzz_one(struct fuzz *f, unsigned long iter)
{
	unsigned long cmd;
	unsigned int nr = 4;	/* 0..3: the command the kernel dispatches to */
	bool canonical = false, readonly = false, badp = false;
	uint32_t usize, status_n = 0;
	size_t off, avail, fill;
	uint8_t tmp[IOC_MAX_SIZE + 64];
	uint8_t *p;
	int rc, want;
	char why[200] = "";
	bool ok;

	/* The number. */
	switch (rnd(20)) {
	case 0: case 1:
		nr = rnd(4);
		cmd = _IOC(rnd(4), VMIRROR_IOC_MAGIC, nr, rnd(2) ? rnd(512) : rnd(1u << 14));
		canonical = cmd == canonical_cmd[nr];
		break;
	case 2:
		cmd = _IOC(rnd(4), VMIRROR_IOC_MAGIC, 4 + rnd(252), rnd(1u << 14));
		break;
	case 3:
		cmd = pick_foreign_cmd();
		break;
	default:
		nr = rnd(4);
		cmd = canonical_cmd[nr];
		canonical = true;
		break;
	}

	/* The argument, built in tmp. */
	usize = pick_size(nr);
	memset(tmp, 0, sizeof(tmp));
	memcpy(tmp, &usize, 4);
	switch (nr) {
	case 0: {
		struct vmirror_ioc_version *v = (void *)tmp;

		if (chance(5))
			v->version = rnd(3);
		if (chance(5))
			v->target_version = (uint32_t)rnd64();
		if (chance(10))
			v->reserved[rnd(5)] = 1u << rnd(32);
		break;
	}
	case 1: {
		struct vmirror_ioc_list *l = (void *)tmp;
		static const uint32_t counts[] = { 0, 1, 2, 16, 4096, 4097, 0xffffffff };
		uint8_t *db = f->devbuf.base;
		size_t dlen = f->devbuf.rw_len;

		l->count = chance(70) ? counts[rnd(ARRAY_SIZE(counts))] : rnd(10000);
		switch (rnd(8)) {
		case 0: l->devs = 0; break;
		case 1: l->devs = bad_addr(rnd(16)); break;
		case 2: l->devs = addr(db + dlen - 8 * rnd(3)); break;	/* at the guard */
		case 3: l->devs = addr(db + 1 + rnd(7)); break;		/* unaligned */
		default: l->devs = addr(db); break;
		}
		if (chance(10))
			l->reserved[rnd(2)] = 1ull << rnd(64);
		break;
	}
	case 2: {
		struct vmirror_status *s = (void *)tmp;

		pick_dev(&s->dev_major, &s->dev_minor);
		if (chance(50))	/* output fields: ignored on input */
			for (size_t i = 12; i < offsetof(struct vmirror_status, reserved); i++)
				tmp[i] = (uint8_t)rnd64();
		if (chance(10))
			s->reserved[rnd(6)] = 1ull << rnd(64);
		break;
	}
	case 3: {
		struct vmirror_control *c = (void *)tmp;
		static const uint32_t values[] = { 0, 1, 2, 3, 4, 1024, 0xffffffff };

		pick_dev(&c->dev_major, &c->dev_minor);
		c->op = rnd(13);
		c->value = chance(80) ? values[rnd(ARRAY_SIZE(values))] : (uint32_t)rnd64();
		if (chance(10))
			c->flags = 1u << rnd(32);
		if (chance(10))
			c->reserved[rnd(2)] = 1ull << rnd(64);
		break;
	}
	default:
		for (size_t i = 4; i < 64; i++)
			tmp[i] = chance(50) ? 0 : (uint8_t)rnd64();
		break;
	}
	/* The unknown tail of a "newer" struct: mostly zero. */
	if (nr < 4 && usize > ksizes[nr] && usize <= IOC_MAX_SIZE && chance(30))
		tmp[ksizes[nr] + rnd(usize - ksizes[nr])] = 1 + rnd(255);

	/*
	 * Never let an operation that can change the state (or the sync mode,
	 * which STATUS shows) reach the test device (or any vmirror).  The kernel dispatches on the type and
	 * number only, so this holds for every variant of CONTROL's number.
	 */
	if (_IOC_TYPE(cmd) == VMIRROR_IOC_MAGIC && _IOC_NR(cmd) == 3) {
		struct vmirror_control *c = (void *)tmp;

		if (((c->op >= VMIRROR_OP_ACTIVATE && c->op <= VMIRROR_OP_CANCEL) ||
		     c->op == VMIRROR_OP_SET_SYNC_MODE) &&
		    is_vmirror(f, c->dev_major, c->dev_minor)) {
			if (rnd(2)) {
				c->dev_major = nondev.major;
				c->dev_minor = nondev.minor;
			} else {
				c->op = rnd(2) ? VMIRROR_OP_SET_PRIORITY : VMIRROR_OP_SET_MAX_RATE;
			}
		}
	}

	/* Where it goes. */
	switch (rnd(8)) {
	case 0: case 1: case 2: case 3:
		off = 64;
		break;
	case 4: case 5:
		off = rnd(256);
		break;
	case 6: {
		size_t back = (usize < 400 ? usize : 400) + 9;

		off = f->arg.rw_len - rnd(back);
		break;
	}
	default:
		off = 64;
		badp = chance(40);
		break;
	}
	avail = f->arg.rw_len - off;
	memset(f->arg.base, CANARY, f->arg.rw_len);
	/*
	 * The struct: usize bytes of tmp, as far as they fit; the rest stays
	 * CANARY (the kernel never reads it: E2BIG or EFAULT first).
	 */
	fill = nr < 4 ? usize : 64;
	if (fill > avail)
		fill = avail;
	if (fill > sizeof(tmp))
		fill = sizeof(tmp);
	memcpy(f->arg.base + off, tmp, fill);
	p = badp ? bad_ptr(rnd(16)) : f->arg.base + off;
	if (!badp && chance(5))
		readonly = true;

	memset(f->devbuf.base, CANARY, f->devbuf.rw_len);
	memcpy(f->snap_arg, f->arg.base, f->arg.rw_len);
	memcpy(f->snap_devs, f->devbuf.base, f->devbuf.rw_len);
	memcpy(f->want_arg, f->snap_arg, f->arg.rw_len);
	memcpy(f->want_devs, f->snap_devs, f->devbuf.rw_len);

	if (nr < 4)
		want = model(f, nr, badp ? NULL : p, badp ? 0 : avail, readonly, off, &status_n);
	else
		want = ENOTTY;
	if (want < 0) {
		/* cannot happen: the sanitizing above is broken */
		report(false, "fuzz: internal error: a state-changing op would reach %u:%u",
		       vmdev.major, vmdev.minor);
		return;
	}

	if (readonly)
		area_protect(&f->arg, PROT_READ);
	rc = xioctl(ctl_fd, cmd, p);
	if (readonly)
		area_protect(&f->arg, PROT_READ | PROT_WRITE);
	f->calls++;
	if (nr < 4)
		f->hist[nr][errno_slot(rc)]++;
	else
		f->other_cmds++;

	ok = true;
	if (errno_slot(rc) == NR_ERRNO_SLOTS) {
		f->undocumented++;
		snprintf(why, sizeof(why), "undocumented result %s", rcname(rc));
		ok = false;
	} else if (rc != want && !(rc == ENOTTY && !canonical && nr < 4)) {
		snprintf(why, sizeof(why), "result %s, expected %s%s", rcname(rc),
			 rcname(want), canonical || nr == 4 ? "" : " (or ENOTTY)");
		ok = false;
	} else if (rc != want) {
		/* a non-canonical number refused: nothing may have been written */
		memcpy(f->want_arg, f->snap_arg, f->arg.rw_len);
		memcpy(f->want_devs, f->snap_devs, f->devbuf.rw_len);
		status_n = 0;
	}
	if (ok && status_n) {
		/* STATUS: [off, off + n) checked against the reference */
		ok = status_bytes_ok(f, f->arg.base + off, status_n, why, sizeof(why));
		memcpy(f->want_arg + off, f->arg.base + off, status_n);
	}
	if (ok && memcmp(f->want_arg, f->arg.base, f->arg.rw_len)) {
		for (size_t i = 0; i < f->arg.rw_len; i++) {
			if (f->want_arg[i] != f->arg.base[i]) {
				snprintf(why, sizeof(why), "argument byte %ld (offset %ld in the "
					 "struct) is %#x, expected %#x", (long)i, (long)i - (long)off,
					 f->arg.base[i], f->want_arg[i]);
				break;
			}
		}
		ok = false;
	}
	if (ok && memcmp(f->want_devs, f->devbuf.base, f->devbuf.rw_len)) {
		for (size_t i = 0; i < f->devbuf.rw_len; i++) {
			if (f->want_devs[i] != f->devbuf.base[i]) {
				snprintf(why, sizeof(why), "LIST devs byte %zu is %#x, expected %#x",
					 i, f->devbuf.base[i], f->want_devs[i]);
				break;
			}
		}
		ok = false;
	}

	/* Track what CONTROL changed on vmdev. */
	if (rc == 0 && _IOC_TYPE(cmd) == VMIRROR_IOC_MAGIC && _IOC_NR(cmd) == 3) {
		struct vmirror_control c;

		memcpy(&c, tmp, sizeof(c));
		if (c.dev_major == vmdev.major && c.dev_minor == vmdev.minor) {
			if (c.op == VMIRROR_OP_SET_PRIORITY)
				f->prio = c.value;
			else if (c.op == VMIRROR_OP_SET_MAX_RATE)
				f->rate = c.value;
		}
	}

	if (!ok) {
		f->mismatches++;
		if (f->mismatches <= 10) {
			printf("%sFAIL: fuzz #%lu: cmd %#lx (%s), size %u, at %s+%zu%s: %s\n", who,
			       iter, cmd, nr < 4 ? cmd_names[nr] : "other", usize,
			       badp ? "bad pointer" : "buffer", off, readonly ? " (read-only)" : "",
			       why);
			if (!badp)
				hexdump("argument before", f->snap_arg + off,
					avail < 64 ? avail : 64);
			fflush(stdout);
		}
	}
}

static void fuzz_run(unsigned long iters, uint64_t seed, bool priv)
{
	struct fuzz f = { .priv = priv };
	struct vmirror_status st;
	uint32_t n;
	int rc;

	area_init(&f.arg, 3);
	area_init(&f.devbuf, (LIST_MAX * 8 + page_size - 1) / page_size);
	f.snap_arg = malloc(f.arg.rw_len);
	f.want_arg = malloc(f.arg.rw_len);
	f.snap_devs = malloc(f.devbuf.rw_len);
	f.want_devs = malloc(f.devbuf.rw_len);
	f.vmdevs = calloc(LIST_MAX, sizeof(uint64_t));
	if (!f.snap_arg || !f.want_arg || !f.snap_devs || !f.want_devs || !f.vmdevs)
		fatal("out of memory");
	rc = do_list(addr(f.vmdevs), LIST_MAX, &n);
	if (rc || n > LIST_MAX)
		fatal("LIST failed: %s", rcname(rc));
	f.nvm = n;
	if (do_status(vmdev, &f.ref))
		fatal("STATUS of %u:%u failed", vmdev.major, vmdev.minor);
	f.ref_exact = f.ref.copy_state == VMIRROR_COPY_STATE_SYNCHRONIZED;
	f.prio = f.ref.copy_priority;
	f.rate = f.ref.max_copy_rate;

	rng_state = seed ? seed : 1;
	info("fuzz: %lu calls, seed %" PRIu64 "%s", iters, seed,
	     priv ? "" : " (unprivileged)");
	for (unsigned long i = 0; i < iters; i++)
		fuzz_one(&f, i);

	for (unsigned int nr = 0; nr < 4; nr++) {
		char line[256];
		size_t len = 0;

		for (unsigned int s = 0; s <= NR_ERRNO_SLOTS; s++)
			if (f.hist[nr][s])
				len += snprintf(line + len, sizeof(line) - len, " %s=%lu",
						s < NR_ERRNO_SLOTS ? rcname(documented_errnos[s]) :
						"other", f.hist[nr][s]);
		info("fuzz: %s:%s", cmd_names[nr], len ? line : " none");
	}
	info("fuzz: other numbers: %lu", f.other_cmds);
	report(f.undocumented == 0, "fuzz: every result in {0, EINVAL, E2BIG, EFAULT, "
	       "ENODEV, ENOTTY, EPERM, EBUSY} (%lu outside it)", f.undocumented);
	report(f.mismatches == 0, "fuzz: %lu calls as the rules say, nothing written beyond "
	       "the returned size (%lu mismatches; seed %" PRIu64 ")", f.calls, f.mismatches, seed);

	if (priv) {
		rc = do_control(vmdev, VMIRROR_OP_SET_PRIORITY, f.ref.copy_priority);
		if (f.ref.copy_priority >= VMIRROR_PRIORITY_LOW)
			expect_rc(rc, 0, "fuzz: SET_PRIORITY %u (restore)", f.ref.copy_priority);
		rc = do_control(vmdev, VMIRROR_OP_SET_MAX_RATE, f.ref.max_copy_rate);
		expect_rc(rc, 0, "fuzz: SET_MAX_RATE %u (restore)", f.ref.max_copy_rate);
	}
	rc = do_status(vmdev, &st);
	report(!rc && st.copy_state == f.ref.copy_state &&
	       st.copy_priority == f.ref.copy_priority &&
	       st.max_copy_rate == f.ref.max_copy_rate &&
	       st.bytes_copied == f.ref.bytes_copied,
	       "fuzz: afterwards copy_state %u (was %u), priority %u, max_copy_rate %u",
	       st.copy_state, f.ref.copy_state, st.copy_priority, st.max_copy_rate);
}

/* ------------------------------------------------------------------------ */
/* Unprivileged */

static int unpriv_child(unsigned long fuzz_iters, uint64_t seed)
{
	struct vmirror_ioc_version v = { .size = sizeof(v) };
	struct vmirror_status st;
	uint32_t n;
	int rc;

	who = "[nobody] ";
	close(ctl_fd);
	ctl_fd = -1;
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)) {
		report(false, "drop privileges to %d: %m", NOBODY);
		return 1;
	}
	report(getuid() == NOBODY && geteuid() == NOBODY && setuid(0) != 0,
	       "running as uid %u, cannot get root back", geteuid());

	ctl_fd = open(ctl_path, O_RDWR | O_CLOEXEC);
	if (!report(ctl_fd >= 0, "open %s as uid %d%s%s", ctl_path, NOBODY,
		    ctl_fd < 0 ? ": " : "", ctl_fd < 0 ? strerror(errno) : ""))
		return 1;

	rc = xioctl(ctl_fd, VMIRROR_IOC_VERSION, &v);
	expect_rc(rc, 0, "VERSION unprivileged");
	rc = do_list(0, 0, &n);
	expect_rc(rc, 0, "LIST unprivileged");
	rc = do_status(vmdev, &st);
	expect_rc(rc, 0, "STATUS unprivileged");
	report(st.dev_major == vmdev.major && valid_copy_state(st.copy_state),
	       "STATUS unprivileged: copy_state %u", st.copy_state);
	rc = do_control(vmdev, VMIRROR_OP_SET_MAX_RATE, 0);
	expect_rc(rc, EPERM, "CONTROL SET_MAX_RATE 0 unprivileged");
	rc = do_control(vmdev, VMIRROR_OP_BREAK, 0);
	expect_rc(rc, EPERM, "CONTROL BREAK unprivileged");
	rc = do_control(nondev, VMIRROR_OP_SET_PRIORITY, 3);
	expect_rc(rc, EPERM, "CONTROL on the non-vmirror unprivileged");
	rc = do_control(vmdev, 999, 0);
	expect_rc(rc, EPERM, "CONTROL op 999 unprivileged (permission first)");
	rc = xioctl(ctl_fd, VMIRROR_IOC_CONTROL, bad_ptr(1));
	expect_rc(rc, EPERM, "CONTROL pointer 8 unprivileged (permission first)");

	/* Read-only open: the ioctls do not depend on the open mode. */
	close(ctl_fd);
	ctl_fd = open(ctl_path, O_RDONLY | O_CLOEXEC);
	if (report(ctl_fd >= 0, "open %s read-only", ctl_path)) {
		rc = do_status(vmdev, &st);
		expect_rc(rc, 0, "STATUS unprivileged, opened read-only");
	}

	if (fuzz_iters)
		fuzz_run(fuzz_iters, seed, false);
	return n_fail ? 1 : 0;
}

static void test_unpriv(unsigned long fuzz_iters, uint64_t seed)
{
	struct stat sb;
	int status;
	pid_t pid;

	if (stat(ctl_path, &sb) == 0)
		report((sb.st_mode & 0777) == 0666 && S_ISCHR(sb.st_mode),
		       "%s is a character device of mode %04o", ctl_path, sb.st_mode & 07777);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fatal("fork: %m");
	if (pid == 0) {
		n_ok = n_fail = 0;
		exit(unpriv_child(fuzz_iters, seed));
	}
	if (waitpid(pid, &status, 0) != pid)
		fatal("waitpid: %m");
	report(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "unprivileged child: %s %d", WIFEXITED(status) ? "exit status" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}


/* ------------------------------------------------------------------------ */
/* Hammer: the ioctls while the script suspends, reloads, creates, removes */

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct hammer_counts {
	unsigned long calls, ok, enodev, bad, others;
};

#define HAMMER_PROCS	2
static volatile sig_atomic_t hammer_stop;
static pid_t hammer_pids[HAMMER_PROCS];

/* SIGUSR1: stop now (the parent passes it on to the children). */
static void hammer_signal(int sig)
{
	(void)sig;
	hammer_stop = 1;
	for (unsigned int i = 0; i < HAMMER_PROCS; i++)
		if (hammer_pids[i] > 0)
			kill(hammer_pids[i], SIGUSR1);
}

static void hammer_result(struct hammer_counts *h, int rc, bool enodev_ok, const char *what,
			  struct devnum d)
{
	h->calls++;
	if (rc == 0) {
		h->ok++;
		return;
	}
	if (rc == ENODEV && enodev_ok) {
		h->enodev++;
		return;
	}
	if (++h->bad <= 5)
		report(false, "hammer: %s of %u:%u -> %s", what, d.major, d.minor, rcname(rc));
}

/* One process: LIST, then STATUS and no-op CONTROLs of every device. */
static int hammer_proc(double secs)
{
	struct hammer_counts h = { 0 };
	double end = now_mono() + secs;
	uint64_t devs[64];
	struct devnum d;
	struct vmirror_status st;
	uint32_t n;
	bool is_vm;
	int rc;

	while (now_mono() < end && !hammer_stop) {
		/* leave the CPUs (and the locks) to dmsetup half of the time */
		usleep(500);
		rc = do_list(addr(devs), ARRAY_SIZE(devs), &n);
		hammer_result(&h, rc, false, "LIST", (struct devnum){ 0, 0 });
		if (rc)
			n = 0;
		if (n > ARRAY_SIZE(devs))
			n = ARRAY_SIZE(devs);
		for (uint32_t i = 0; i <= n; i++) {
			if (i == n)
				d = vmdev;
			else
				d = (struct devnum){ VMIRROR_DEV_MAJOR(devs[i]), VMIRROR_DEV_MINOR(devs[i]) };
			is_vm = d.major == vmdev.major && d.minor == vmdev.minor;
			if (!is_vm)
				h.others++;
			/* --dev stays live throughout: ENODEV only for the others */
			rc = do_status(d, &st);
			hammer_result(&h, rc, !is_vm, "STATUS", d);
			if (rc)
				continue;
			if ((st.dev_major != d.major || st.dev_minor != d.minor ||
			     st.size != sizeof(st) || !valid_copy_state(st.copy_state) ||
			     st.percent_synced > 100 || st.regions_synced > st.regions_total ||
			     !all_bytes(st.reserved, sizeof(st.reserved), 0)) && ++h.bad <= 5)
				report(false, "hammer: STATUS of %u:%u: size %u, device %u:%u, "
				       "copy_state %u, %u %%, %" PRIu64 "/%" PRIu64, d.major, d.minor,
				       st.size, st.dev_major, st.dev_minor, st.copy_state,
				       st.percent_synced, st.regions_synced, st.regions_total);
			/* Set what is already set: no change, but the whole path. */
			rc = do_control(d, VMIRROR_OP_SET_MAX_RATE, st.max_copy_rate);
			hammer_result(&h, rc, !is_vm, "CONTROL SET_MAX_RATE", d);
			if (st.copy_priority >= VMIRROR_PRIORITY_LOW) {
				rc = do_control(d, VMIRROR_OP_SET_PRIORITY, st.copy_priority);
				hammer_result(&h, rc, !is_vm, "CONTROL SET_PRIORITY", d);
			}
		}
		rc = do_status(nondev, &st);
		if (rc != ENODEV && ++h.bad <= 5)
			report(false, "hammer: STATUS of the non-vmirror -> %s", rcname(rc));
		h.calls++;
	}
	info("hammer: pid %d: %lu calls, %lu ok, %lu ENODEV, %lu bad; other vmirrors listed "
	     "%lu times", getpid(), h.calls, h.ok, h.enodev, h.bad, h.others);
	return h.bad ? 1 : 0;
}

static void hammer(double secs)
{
	unsigned int failed = 0;
	double start = now_mono();
	int status;
	pid_t pid;

	fflush(stdout);
	signal(SIGUSR1, hammer_signal);
	for (unsigned int i = 0; i < HAMMER_PROCS; i++) {
		pid = fork();
		if (pid < 0)
			fatal("fork: %m");
		if (pid == 0) {
			memset(hammer_pids, 0, sizeof(hammer_pids));
			exit(hammer_proc(secs));
		}
		hammer_pids[i] = pid;
	}
	for (unsigned int i = 0; i < HAMMER_PROCS; i++) {
		while ((pid = wait(&status)) < 0 && errno == EINTR)
			;
		if (pid < 0)
			fatal("wait: %m");
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	report(!failed, "hammer: %u processes for %.1f s: every result 0 (ENODEV only for "
	       "devices other than --dev), every STATUS sane (%u processes saw bad ones)",
	       HAMMER_PROCS, now_mono() - start, failed);
}

/* ------------------------------------------------------------------------ */

static struct devnum parse_dev(const char *s, const char *opt)
{
	struct devnum d;
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(s, &end, 0);
	if (errno || *end != ':' || a > 0xffffffff)
		fatal("%s: expected MAJOR:MINOR, got '%s'", opt, s);
	b = strtoul(end + 1, &end, 0);
	if (errno || *end || b > 0xffffffff)
		fatal("%s: expected MAJOR:MINOR, got '%s'", opt, s);
	d.major = a;
	d.minor = b;
	return d;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vmirror-ioctl-test --dev MAJ:MIN --nondev MAJ:MIN [--fuzz N] [--seed S]\n"
		"                          [--source MAJ:MIN] [--target MAJ:MIN] [--control PATH]\n"
		"       vmirror-ioctl-test --dev MAJ:MIN --nondev MAJ:MIN --hammer SECONDS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "nondev", required_argument, NULL, 'n' },
		{ "fuzz", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "source", required_argument, NULL, 'S' },
		{ "target", required_argument, NULL, 'T' },
		{ "control", required_argument, NULL, 'c' },
		{ "hammer", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long fuzz_iters = 10000;
	double hammer_secs = 0;
	uint64_t seed = 0;
	bool have_dev = false, have_nondev = false;
	struct area ro;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': vmdev = parse_dev(optarg, "--dev"); have_dev = true; break;
		case 'n': nondev = parse_dev(optarg, "--nondev"); have_nondev = true; break;
		case 'f': fuzz_iters = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'S': srcdev = parse_dev(optarg, "--source"); have_src = true; break;
		case 'T': tgtdev = parse_dev(optarg, "--target"); have_tgt = true; break;
		case 'c': ctl_path = optarg; break;
		case 'H': hammer_secs = strtod(optarg, NULL); break;
		default: usage();
		}
	}
	if (optind != argc || !have_dev || !have_nondev)
		usage();
	if (geteuid() != 0)
		fatal("must run as root");
	if (!seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);

	ctl_fd = open(ctl_path, O_RDWR | O_CLOEXEC);
	if (ctl_fd < 0)
		fatal("open %s: %m", ctl_path);
	area_init(&ro, 1);

	if (hammer_secs > 0) {
		hammer(hammer_secs);
		printf("%u checks passed, %u failed\n", n_ok, n_fail);
		return n_fail ? 1 : 0;
	}

	test_version(&ro);
	test_list();
	test_status(&ro);
	test_control(&ro);
	test_unknown();
	test_unpriv(fuzz_iters / 10, seed ^ 0x5555);
	if (fuzz_iters)
		fuzz_run(fuzz_iters, seed, true);

	printf("%u checks passed, %u failed\n", n_ok, n_fail);
	return n_fail ? 1 : 0;
}
