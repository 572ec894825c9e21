/* SPDX-License-Identifier: GPL-2.0-only */
/* Little-endian hosts only (the unit tests run on x86-64). */
#include "../fake_kernel.h"
#define cpu_to_le16(x) ((__u16)(x))
#define cpu_to_le32(x) ((__u32)(x))
#define cpu_to_le64(x) ((__u64)(x))
#define le16_to_cpu(x) ((__u16)(x))
#define le32_to_cpu(x) ((__u32)(x))
#define le64_to_cpu(x) ((__u64)(x))
