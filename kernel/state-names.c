// SPDX-License-Identifier: GPL-2.0-only
/*
 * The words of the state numbers of uapi/linux/dm-vmirror.h, as shown by
 * "dmsetup status" and sysfs: MSFT value names in lower case, '_' for
 * spaces and hyphens; the status fields as text; the words of the
 * operations.  Built into the module and into vmirrorctl, so the two
 * cannot disagree: plain C, no kernel-only headers outside __KERNEL__.
 */

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/time.h>
#else
#include <stddef.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#include "../uapi/linux/dm-vmirror.h"
#include "state-names.h"

/* names[v], or "unknown" for a number without a name */
static const char *vmirror_word(const char * const *names, size_t nr,
				unsigned int v)
{
	return v < nr && names[v] ? names[v] : "unknown";
}

const char *vmirror_copy_state_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_COPY_STATE_INITIALIZED] = "initialized",
		[VMIRROR_COPY_STATE_UNSYNCHRONIZED] = "unsynchronized",
		[VMIRROR_COPY_STATE_SYNCHRONIZED] = "synchronized",
		[VMIRROR_COPY_STATE_BROKEN] = "broken",
		[VMIRROR_COPY_STATE_FRACTURED] = "fractured",
		[VMIRROR_COPY_STATE_SPLIT] = "split",
		[VMIRROR_COPY_STATE_INACTIVE] = "inactive",
		[VMIRROR_COPY_STATE_SUSPENDED] = "suspended",
		[VMIRROR_COPY_STATE_FAILEDOVER] = "failedover",
		[VMIRROR_COPY_STATE_PREPARED] = "prepared",
		[VMIRROR_COPY_STATE_ABORTED] = "aborted",
		[VMIRROR_COPY_STATE_SKEWED] = "skewed",
		[VMIRROR_COPY_STATE_NOT_APPLICABLE] = "not_applicable",
	};

	return vmirror_word(names, ARRAY_SIZE(names), v);
}

const char *vmirror_sync_state_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_SYNC_STATE_INITIALIZED] = "initialized",
		[VMIRROR_SYNC_STATE_PREPARE_IN_PROGRESS] = "prepare_in_progress",
		[VMIRROR_SYNC_STATE_PREPARED] = "prepared",
		[VMIRROR_SYNC_STATE_RESYNC_IN_PROGRESS] = "resync_in_progress",
		[VMIRROR_SYNC_STATE_SYNCHRONIZED] = "synchronized",
		[VMIRROR_SYNC_STATE_FRACTURE_IN_PROGRESS] = "fracture_in_progress",
		[VMIRROR_SYNC_STATE_QUIESCE_IN_PROGRESS] = "quiesce_in_progress",
		[VMIRROR_SYNC_STATE_QUIESCED] = "quiesced",
		[VMIRROR_SYNC_STATE_RESTORE_IN_PROGRESS] = "restore_in_progress",
		[VMIRROR_SYNC_STATE_IDLE] = "idle",
		[VMIRROR_SYNC_STATE_BROKEN] = "broken",
		[VMIRROR_SYNC_STATE_FRACTURED] = "fractured",
		[VMIRROR_SYNC_STATE_FROZEN] = "frozen",
		[VMIRROR_SYNC_STATE_COPY_IN_PROGRESS] = "copy_in_progress",
	};

	return vmirror_word(names, ARRAY_SIZE(names), v);
}

const char *vmirror_progress_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_PROGRESS_UNKNOWN] = "unknown",
		[VMIRROR_PROGRESS_COMPLETED] = "completed",
		[VMIRROR_PROGRESS_DORMANT] = "dormant",
		[VMIRROR_PROGRESS_INITIALIZING] = "initializing",
		[VMIRROR_PROGRESS_PREPARING] = "preparing",
		[VMIRROR_PROGRESS_SYNCHRONIZING] = "synchronizing",
		[VMIRROR_PROGRESS_RESYNCING] = "resyncing",
		[VMIRROR_PROGRESS_RESTORING] = "restoring",
		[VMIRROR_PROGRESS_FRACTURING] = "fracturing",
		[VMIRROR_PROGRESS_SPLITTING] = "splitting",
		[VMIRROR_PROGRESS_FAILING_OVER] = "failing_over",
		[VMIRROR_PROGRESS_FAILING_BACK] = "failing_back",
		[VMIRROR_PROGRESS_ABORTING] = "aborting",
		[VMIRROR_PROGRESS_MIXED] = "mixed",
		[VMIRROR_PROGRESS_NOT_APPLICABLE] = "not_applicable",
		[VMIRROR_PROGRESS_SUSPENDING] = "suspending",
		[VMIRROR_PROGRESS_REQUIRES_FRACTURE] = "requires_fracture",
		[VMIRROR_PROGRESS_REQUIRES_RESYNC] = "requires_resync",
		[VMIRROR_PROGRESS_REQUIRES_ACTIVATE] = "requires_activate",
		[VMIRROR_PROGRESS_PENDING] = "pending",
		[VMIRROR_PROGRESS_DETACHING] = "detaching",
	};

	return vmirror_word(names, ARRAY_SIZE(names), v);
}

const char *vmirror_priority_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_PRIORITY_NOT_MANAGED] = "not_managed",
		[VMIRROR_PRIORITY_LOW] = "low",
		[VMIRROR_PRIORITY_SAME] = "same",
		[VMIRROR_PRIORITY_HIGH] = "high",
	};

	return vmirror_word(names, ARRAY_SIZE(names), v);
}

const char *vmirror_copy_type_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_COPY_TYPE_ASYNC] = "async",
		[VMIRROR_COPY_TYPE_SYNC] = "sync",
		[VMIRROR_COPY_TYPE_UNSYNC_ASSOC] = "unsync_assoc",
		[VMIRROR_COPY_TYPE_UNSYNC_UNASSOC] = "unsync_unassoc",
	};

	return vmirror_word(names, ARRAY_SIZE(names), v);
}

const char *vmirror_sync_type_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_SYNC_TYPE_MIRROR] = "mirror",
		[VMIRROR_SYNC_TYPE_SNAPSHOT] = "snapshot",
		[VMIRROR_SYNC_TYPE_CLONE] = "clone",
	};

	return vmirror_word(names, ARRAY_SIZE(names), v);
}

const char *vmirror_replica_type_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_REPLICA_TYPE_NOT_SPECIFIED] = "not_specified",
		[VMIRROR_REPLICA_TYPE_FULL_COPY] = "full_copy",
		[VMIRROR_REPLICA_TYPE_BEFORE_DELTA] = "before_delta",
		[VMIRROR_REPLICA_TYPE_AFTER_DELTA] = "after_delta",
		[VMIRROR_REPLICA_TYPE_LOG] = "log",
	};

	return vmirror_word(names, ARRAY_SIZE(names), v);
}

const char *vmirror_methodology_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_COPY_METHOD_NOT_SPECIFIED] = "not_specified",
		[VMIRROR_COPY_METHOD_OTHER] = "other",
		[VMIRROR_COPY_METHOD_IMPLEMENTATION_DECIDES] = "implementation_decides",
		[VMIRROR_COPY_METHOD_FULL_COPY] = "full_copy",
		[VMIRROR_COPY_METHOD_INCREMENTAL_COPY] = "incremental_copy",
		[VMIRROR_COPY_METHOD_DIFFERENTIAL_COPY] = "differential_copy",
		[VMIRROR_COPY_METHOD_COPY_ON_WRITE] = "copy_on_write",
		[VMIRROR_COPY_METHOD_COPY_ON_ACCESS] = "copy_on_access",
		[VMIRROR_COPY_METHOD_DELTA_UPDATE] = "delta_update",
		[VMIRROR_COPY_METHOD_SNAP_AND_CLONE] = "snap_and_clone",
	};

	return vmirror_word(names, ARRAY_SIZE(names), v);
}

const char *vmirror_metadata_state_name(unsigned int v)
{
	static const char * const names[] = {
		[VMIRROR_METADATA_NONE] = "-",
		[VMIRROR_METADATA_OK] = "ok",
		[VMIRROR_METADATA_FAILED] = "failed",
	};

	return vmirror_word(names, ARRAY_SIZE(names), v);
}

const char *vmirror_sync_mode_name(unsigned int v)
{
	return v == VMIRROR_COPY_TYPE_ASYNC ? "async" : "sync";
}

/* ---- the status fields ---- */

/*
 * vmirror_get_<key>(): &vmirror_field_info.get of each field.  (*st).key,
 * not st->key: checkpatch takes a macro argument after "->" for an
 * expression.
 */
#define VMIRROR_WORD(key, name)	VMIRROR_NUM(key, NONE)

#define VMIRROR_NUM(key, unit)						\
static unsigned long long vmirror_get_##key(const struct vmirror_status *st) \
{									\
	return (*st).key;						\
}

#define VMIRROR_DEVNO(key)						\
static unsigned long long vmirror_get_##key(const struct vmirror_status *st) \
{									\
	return (unsigned long long)st->key##_major << 32 | st->key##_minor; \
}

#define VMIRROR_TIME(key)						\
static unsigned long long vmirror_get_##key(const struct vmirror_status *st) \
{									\
	return st->key##_ns;						\
}

#include "status-fields.h"
#undef VMIRROR_WORD
#undef VMIRROR_NUM
#undef VMIRROR_DEVNO
#undef VMIRROR_TIME

#define VMIRROR_WORD(member, fn)						\
	[VMIRROR_FIELD_##member] = { .key = #member, .kind = VMIRROR_KIND_WORD,	\
				  .word = fn, .get = vmirror_get_##member },
#define VMIRROR_NUM(member, _unit)						\
	[VMIRROR_FIELD_##member] = { .key = #member, .kind = VMIRROR_KIND_NUM,	\
				  .unit = VMIRROR_UNIT_##_unit,		\
				  .get = vmirror_get_##member },
#define VMIRROR_DEVNO(member)						\
	[VMIRROR_FIELD_##member] = { .key = #member, .kind = VMIRROR_KIND_DEVNO,	\
				  .get = vmirror_get_##member },
#define VMIRROR_TIME(member)						\
	[VMIRROR_FIELD_##member] = { .key = #member, .kind = VMIRROR_KIND_TIME,	\
				  .get = vmirror_get_##member },

const struct vmirror_field_info vmirror_fields[VMIRROR_NR_FIELDS] = {
#include "status-fields.h"
};

#undef VMIRROR_WORD
#undef VMIRROR_NUM
#undef VMIRROR_DEVNO
#undef VMIRROR_TIME

/* "2026-01-31T12:00:00Z" for @ns after the epoch, "-" for 0 */
static int vmirror_time_text(unsigned long long ns, char *buf, unsigned long len)
{
#ifdef __KERNEL__
	struct tm tm;

	if (!ns)
		return snprintf(buf, len, "-");
	time64_to_tm(div_u64(ns, NSEC_PER_SEC), 0, &tm);
#else
	time_t t = ns / 1000000000ULL;
	struct tm tm;

	if (!ns || !gmtime_r(&t, &tm))
		return snprintf(buf, len, "-");
#endif
	return snprintf(buf, len, "%04ld-%02d-%02dT%02d:%02d:%02dZ",
			(long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec);
}

unsigned long long vmirror_field_value(const struct vmirror_status *st,
				       enum vmirror_field f)
{
	return f < VMIRROR_NR_FIELDS ? vmirror_fields[f].get(st) : 0;
}

int vmirror_field_text(const struct vmirror_status *st, enum vmirror_field f,
		       char *buf, unsigned long len)
{
	const struct vmirror_field_info *fi;
	unsigned long long v;

	if (f >= VMIRROR_NR_FIELDS)
		return snprintf(buf, len, "unknown");
	fi = &vmirror_fields[f];
	v = fi->get(st);
	switch (fi->kind) {
	case VMIRROR_KIND_WORD:
		return snprintf(buf, len, "%s", fi->word(v));
	case VMIRROR_KIND_DEVNO:
		/* 0:0 is no device (no metadata_dev) */
		if (!v)
			return snprintf(buf, len, "-");
		return snprintf(buf, len, "%u:%u", (unsigned int)(v >> 32),
				(unsigned int)v);
	case VMIRROR_KIND_TIME:
		return vmirror_time_text(v, buf, len);
	default:
		if (fi->unit == VMIRROR_UNIT_SECONDS)
			return snprintf(buf, len, "%lld", (long long)v);
		return snprintf(buf, len, "%llu", v);
	}
}

/* ---- the operations ---- */

static const char * const vmirror_op_words[] = {
	[VMIRROR_OP_ACTIVATE] = "activate",
	[VMIRROR_OP_PAUSE] = "pause",
	[VMIRROR_OP_RESUME] = "resume",
	[VMIRROR_OP_FRACTURE] = "fracture",
	[VMIRROR_OP_SPLIT] = "split",
	[VMIRROR_OP_RESYNC] = "resync",
	[VMIRROR_OP_BREAK] = "break",
	[VMIRROR_OP_CANCEL] = "cancel",
};

const char *vmirror_op_word(unsigned int op)
{
	return op < ARRAY_SIZE(vmirror_op_words) ? vmirror_op_words[op] : NULL;
}

unsigned int vmirror_op_value(const char *word)
{
	unsigned int op;

	for (op = 0; op < ARRAY_SIZE(vmirror_op_words); op++)
		if (vmirror_op_words[op] && !strcasecmp(word, vmirror_op_words[op]))
			return op;
	return 0;
}
