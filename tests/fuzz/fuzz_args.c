// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness of kernel/args.c: any sequence of words either parses
 * into a valid configuration or is refused with a message.
 */
#include "../unit/fake/fake_kernel.h"
#include "../../uapi/linux/dm-vmirror.h"
#include "../../kernel/args.h"

#define MAX_WORDS	64

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char buf[1024], *argv[MAX_WORDS], *tok, *save = NULL;
	struct vmirror_args a;
	unsigned int argc = 0;
	char *error = NULL;
	int r;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (tok = strtok_r(buf, " \t\n", &save); tok && argc < MAX_WORDS;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;

	r = vmirror_parse_args(&a, argc, argv, &error);
	if (r) {
		if (r != -EINVAL || !error || !*error)
			__builtin_trap();
		return 0;
	}
	if (a.region_size < VMIRROR_MIN_REGION_SIZE ||
	    a.region_size > VMIRROR_MAX_REGION_SIZE ||
	    (a.region_size & (a.region_size - 1)) ||
	    a.copy_priority < VMIRROR_PRIORITY_LOW ||
	    a.copy_priority > VMIRROR_PRIORITY_HIGH ||
	    !a.source_path || !a.mirror_path)
		__builtin_trap();
	return 0;
}
