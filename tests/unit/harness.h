/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal test harness: each TEST() prints "PASS name" or
 * "FAIL name: why"; the process exits non-zero if any failed.
 */
#ifndef VMIRROR_TEST_HARNESS_H
#define VMIRROR_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>

static int harness_failed_total;
static int harness_failed_now;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		harness_failed_now = 1;					\
	}								\
} while (0)

#define RUN(fn) do {							\
	setvbuf(stdout, NULL, _IOLBF, 0);				\
	harness_failed_now = 0;						\
	fn();								\
	printf("%s %s\n", harness_failed_now ? "FAIL" : "PASS", #fn);	\
	harness_failed_total += harness_failed_now;			\
} while (0)

#define HARNESS_EXIT() return harness_failed_total ? 1 : 0

#endif
