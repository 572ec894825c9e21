// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl: errors, parsing of sizes, rates and times, formatting.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmirrorctl.h"

/* "vmirrorctl: <message>\n" on stderr, after what stdout holds. */
static void vmessage(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	usage_hint(stderr);
	return EXIT_USAGE;
}

/*
 * A decimal number with an optional suffix out of SUFFIXES, the first of
 * which multiplies by FIRST and each next one by 1024 more: "4M", "4m",
 * "4MiB".  "4MB" is refused: MB reads as 10^6 to many, and every unit
 * here is binary.  Returns 0, -EINVAL or -ERANGE.
 */
static int parse_suffixed(const char *s, const char *suffixes, uint64_t first,
			  uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	const char *p;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end) {
		p = strchr(suffixes, toupper((unsigned char)*end));
		if (!p || !*p)
			return -EINVAL;
		mult = first;
		for (; p > suffixes; p--)
			mult *= 1024;
		end++;
		if (*end && strcasecmp(end, "iB"))
			return -EINVAL;
	}
	if (v && mult > UINT64_MAX / v)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	return parse_suffixed(s, "KMGTP", 1024, bytes);
}

int parse_rate(const char *s, uint32_t *kib_per_s)
{
	char buf[64];
	size_t n;
	uint64_t v;
	int r;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	/* "30M/s" is "30M" */
	n = strlen(buf);
	if (n > 2 && !strcmp(buf + n - 2, "/s"))
		buf[n - 2] = 0;
	r = parse_suffixed(buf, "KMGT", 1, &v);
	if (r)
		return r;
	if (v > UINT32_MAX)
		return -ERANGE;
	*kib_per_s = v;
	return 0;
}

int parse_seconds(const char *s, double *secs)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0) || isinf(v))
		return -EINVAL;
	*secs = v;
	return 0;
}

void fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = bytes;
	int i = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return;
	}
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, units[i]);
}

void fmt_duration(char *buf, size_t len, int64_t secs)
{
	if (secs < 0)
		snprintf(buf, len, "--:--");
	else if (secs >= 3600)
		snprintf(buf, len, "%" PRId64 ":%02d:%02d", secs / 3600,
			 (int)(secs / 60 % 60), (int)(secs % 60));
	else
		snprintf(buf, len, "%d:%02d", (int)(secs / 60), (int)(secs % 60));
}

void fmt_time_ns(char *buf, size_t len, uint64_t ns)
{
	time_t t = ns / 1000000000ULL;
	struct tm tm;

	if (!ns || !gmtime_r(&t, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int read_sysfs_u64(const char *path, uint64_t *val)
{
	unsigned long long v;
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return -errno;
	r = fscanf(f, "%llu", &v);
	fclose(f);
	if (r != 1)
		return -EINVAL;
	*val = v;
	return 0;
}
