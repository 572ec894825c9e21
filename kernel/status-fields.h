/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fields of struct vmirror_status, in order: the one list of the files
 * of /sys/block/dm-N/vmirror/ (sysfs.c) and of the keys of "vmirrorctl
 * status" and its --json (tools/vmirrorctl: cmd_status.c, json.c);
 * "dmsetup status" writes a fixed selection of them (vmirror_status_info()).
 * A new field goes here, into the uapi struct and into
 * Documentation/vmirror.rst.
 *
 * No include guard: included with these four defined (state-names.[ch],
 * sysfs.c), each row becoming an enum constant, a table row, ...
 *
 *   VMIRROR_WORD(key, name)  a state number, written as the word name(st->key)
 *   VMIRROR_NUM(key, unit)   a number st->key of enum vmirror_unit
 *                            VMIRROR_UNIT_<unit>
 *   VMIRROR_DEVNO(key)       a device: "st->key_major:st->key_minor"
 *   VMIRROR_TIME(key)        st->key_ns, nanoseconds since the epoch, in
 *                            ISO 8601 UTC; "-" (JSON null) for never
 *
 * The key is the member of the struct and the name of the file.
 */
VMIRROR_WORD(copy_state, vmirror_copy_state_name)
VMIRROR_WORD(sync_state, vmirror_sync_state_name)
VMIRROR_WORD(progress_status, vmirror_progress_name)
VMIRROR_WORD(requested_copy_state, vmirror_copy_state_name)
VMIRROR_NUM(percent_synced, ONE)
VMIRROR_NUM(sync_maintained, ONE)
VMIRROR_TIME(sync_time)
VMIRROR_WORD(sync_type, vmirror_sync_type_name)
VMIRROR_WORD(sync_mode, vmirror_sync_mode_name)
VMIRROR_WORD(copy_type, vmirror_copy_type_name)
VMIRROR_WORD(replica_type, vmirror_replica_type_name)
VMIRROR_WORD(copy_methodology, vmirror_methodology_name)
VMIRROR_WORD(copy_priority, vmirror_priority_name)
VMIRROR_NUM(max_copy_rate, KIB_PER_S)
VMIRROR_DEVNO(source)
VMIRROR_DEVNO(target)
VMIRROR_NUM(region_size, BYTES)
VMIRROR_NUM(regions_total, ONE)
VMIRROR_NUM(regions_synced, ONE)
VMIRROR_NUM(bytes_copied, BYTES)
VMIRROR_NUM(copy_rate, BYTES_PER_S)
VMIRROR_NUM(eta_seconds, SECONDS)
VMIRROR_NUM(source_errors, ONE)
VMIRROR_NUM(mirror_errors, ONE)
VMIRROR_NUM(bytes_zeroed, BYTES)
VMIRROR_NUM(lag_bytes, BYTES)
VMIRROR_DEVNO(metadata)
VMIRROR_WORD(metadata_state, vmirror_metadata_state_name)
