/* SPDX-License-Identifier: GPL-2.0-only */
/* hash_64() is in fake_kernel.h */
#include "../fake_kernel.h"
