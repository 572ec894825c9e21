/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Words for the state numbers of uapi/linux/dm-vmirror.h; "unknown" for a
 * number without a name.  The list of the status fields and the words of
 * the operations.  Shared by the module and vmirrorctl.
 */
#ifndef DM_VMIRROR_STATE_NAMES_H
#define DM_VMIRROR_STATE_NAMES_H

struct vmirror_status;

const char *vmirror_copy_state_name(unsigned int v);
const char *vmirror_sync_state_name(unsigned int v);
const char *vmirror_progress_name(unsigned int v);
const char *vmirror_priority_name(unsigned int v);
const char *vmirror_copy_type_name(unsigned int v);
const char *vmirror_sync_type_name(unsigned int v);
const char *vmirror_replica_type_name(unsigned int v);
const char *vmirror_methodology_name(unsigned int v);

/**
 * vmirror_metadata_state_name() - the word of &vmirror_status.metadata_state
 * @v: VMIRROR_METADATA_*
 *
 * Return: "-" (no metadata device), "ok", "failed", or "unknown".
 */
const char *vmirror_metadata_state_name(unsigned int v);

/**
 * vmirror_sync_mode_name() - the word of &vmirror_status.sync_mode
 * @v: a copy type: VMIRROR_COPY_TYPE_ASYNC or another (synchronous)
 *
 * Return: "async" or "sync".
 */
const char *vmirror_sync_mode_name(unsigned int v);

#define VMIRROR_WORD(key, name)	VMIRROR_FIELD_##key,
#define VMIRROR_NUM(key, unit)	VMIRROR_FIELD_##key,
#define VMIRROR_DEVNO(key)	VMIRROR_FIELD_##key,
#define VMIRROR_TIME(key)	VMIRROR_FIELD_##key,

/*
 * enum vmirror_field - a field of struct vmirror_status: VMIRROR_FIELD_<key>,
 * e.g. VMIRROR_FIELD_copy_state, in the order of status-fields.h; then
 * VMIRROR_NR_FIELDS, how many there are.  (Not kernel-doc: kernel-doc
 * cannot read the #include.)
 */
enum vmirror_field {
#include "status-fields.h"
	VMIRROR_NR_FIELDS
};

#undef VMIRROR_WORD
#undef VMIRROR_NUM
#undef VMIRROR_DEVNO
#undef VMIRROR_TIME

/**
 * enum vmirror_field_kind - how a field is written
 * @VMIRROR_KIND_WORD: a state number as its word
 * @VMIRROR_KIND_NUM: a decimal number
 * @VMIRROR_KIND_DEVNO: major:minor
 * @VMIRROR_KIND_TIME: ISO 8601 UTC, "-" for never
 */
enum vmirror_field_kind {
	VMIRROR_KIND_WORD,
	VMIRROR_KIND_NUM,
	VMIRROR_KIND_DEVNO,
	VMIRROR_KIND_TIME,
};

/**
 * enum vmirror_unit - what a number of &struct vmirror_status counts
 * @VMIRROR_UNIT_NONE: not a number (a word, a device, a time)
 * @VMIRROR_UNIT_ONE: a count, a percentage or a flag
 * @VMIRROR_UNIT_BYTES: bytes
 * @VMIRROR_UNIT_BYTES_PER_S: bytes per second
 * @VMIRROR_UNIT_KIB_PER_S: KiB per second, 0 for no cap
 * @VMIRROR_UNIT_SECONDS: seconds; the only signed one, -1 for unknown
 */
enum vmirror_unit {
	VMIRROR_UNIT_NONE,
	VMIRROR_UNIT_ONE,
	VMIRROR_UNIT_BYTES,
	VMIRROR_UNIT_BYTES_PER_S,
	VMIRROR_UNIT_KIB_PER_S,
	VMIRROR_UNIT_SECONDS,
};

/**
 * struct vmirror_field_info - one field of status-fields.h
 * @key: the member of &struct vmirror_status, the sysfs file, the JSON key
 * @kind: how it is written
 * @unit: what it counts, for a number
 * @word: for a word, the function that names the number
 * @get: the number (a word's, a device's major << 32 | minor, a time's ns)
 */
struct vmirror_field_info {
	const char *key;
	enum vmirror_field_kind kind;
	enum vmirror_unit unit;
	const char *(*word)(unsigned int v);
	unsigned long long (*get)(const struct vmirror_status *st);
};

/* status-fields.h as data, indexed by &enum vmirror_field */
extern const struct vmirror_field_info vmirror_fields[VMIRROR_NR_FIELDS];

/* Long enough for vmirror_field_text() of any field */
#define VMIRROR_FIELD_TEXT_MAX	32

/**
 * vmirror_field_text() - a field of a status, written as sysfs shows it
 * @st: the status
 * @f: the field
 * @buf: set to the text, without a newline
 * @len: size of @buf, VMIRROR_FIELD_TEXT_MAX is enough
 *
 * Context: any; plain C, no allocation.
 * Return: the length of the text (as snprintf()).
 */
int vmirror_field_text(const struct vmirror_status *st, enum vmirror_field f,
		       char *buf, unsigned long len);

/**
 * vmirror_field_value() - the number of a field of a status
 * @st: the status
 * @f: the field
 *
 * Return: &vmirror_field_info.get of @f: VMIRROR_UNIT_SECONDS as two's
 * complement (cast it to a signed type); 0 for no such field.
 */
unsigned long long vmirror_field_value(const struct vmirror_status *st,
				       enum vmirror_field f);

/**
 * vmirror_op_word() - the word of an operation
 * @op: VMIRROR_OP_ACTIVATE .. VMIRROR_OP_CANCEL
 *
 * The DM message of that name does the same as VMIRROR_IOC_CONTROL with
 * @op, and so does the vmirrorctl command of that name.
 *
 * Return: the word, or NULL if @op is not one of those.
 */
const char *vmirror_op_word(unsigned int op);

/**
 * vmirror_op_value() - the operation of a word, the inverse of vmirror_op_word()
 * @word: "activate", "pause", ... in any case
 *
 * Return: the VMIRROR_OP_* value, or 0 if @word is none.
 */
unsigned int vmirror_op_value(const char *word);

#endif /* DM_VMIRROR_STATE_NAMES_H */
