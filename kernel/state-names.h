/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Words for the state numbers of uapi/linux/dm-vmirror.h; "unknown" for a
 * number without a name.  Shared by the module and vmirrorctl.
 */
#ifndef DM_VMIRROR_STATE_NAMES_H
#define DM_VMIRROR_STATE_NAMES_H

const char *vmirror_copy_state_name(unsigned int v);
const char *vmirror_sync_state_name(unsigned int v);
const char *vmirror_progress_name(unsigned int v);
const char *vmirror_priority_name(unsigned int v);
const char *vmirror_copy_type_name(unsigned int v);
const char *vmirror_sync_type_name(unsigned int v);
const char *vmirror_replica_type_name(unsigned int v);
const char *vmirror_methodology_name(unsigned int v);

#endif /* DM_VMIRROR_STATE_NAMES_H */
