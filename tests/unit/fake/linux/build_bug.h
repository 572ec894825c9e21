/* SPDX-License-Identifier: GPL-2.0-only */
/* static_assert() as the kernel's <linux/build_bug.h> has it: C11's */
#include <assert.h>
