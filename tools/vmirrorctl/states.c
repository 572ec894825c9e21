// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl: the words of the state numbers of uapi/linux/dm-vmirror.h,
 * as in "dmsetup status" and sysfs (MSFT value names in lower case, '_'
 * for spaces and hyphens).
 */
#include <string.h>

#include "vmirrorctl.h"

/* The words are the module's own table (kernel/state-names.c, built in here). */

/* Every state number fits in this (the uapi's are all below 16). */
#define MAX_STATE_VALUE 64

static int rlookup(const char *(*name)(unsigned int), unsigned int first,
		   const char *word)
{
	if (!strcmp(word, "unknown"))
		return -1;
	for (unsigned int v = first; v < MAX_STATE_VALUE; v++)
		if (!strcmp(name(v), word))
			return v;
	return -1;
}

int copy_state_value(const char *word)
{
	return rlookup(vmirror_copy_state_name, 0, word);
}

int priority_value(const char *word)
{
	return rlookup(vmirror_priority_name, VMIRROR_PRIORITY_LOW, word);
}

bool copy_state_entered(int v)
{
	switch (v) {
	case VMIRROR_COPY_STATE_INITIALIZED:
	case VMIRROR_COPY_STATE_UNSYNCHRONIZED:
	case VMIRROR_COPY_STATE_SYNCHRONIZED:
	case VMIRROR_COPY_STATE_BROKEN:
	case VMIRROR_COPY_STATE_FRACTURED:
	case VMIRROR_COPY_STATE_SPLIT:
	case VMIRROR_COPY_STATE_SUSPENDED:
	case VMIRROR_COPY_STATE_FAILEDOVER:
	case VMIRROR_COPY_STATE_ABORTED:
		return true;
	default:	/* inactive, prepared, skewed, not_applicable */
		return false;
	}
}
