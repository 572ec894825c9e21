/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmirrorctl: the command-line tool of dm-vmirror.
 *
 *   main.c        command dispatch, usage, option helpers
 *   util.c        errors, size/rate parsing, formatting
 *   states.c      state numbers <-> words (uapi/linux/dm-vmirror.h)
 *   dm.c          libdevmapper: info, table, create, reload, suspend, ...
 *   ctl.c         the ioctls of /dev/vmirror-control
 *   mirror.c      the mirror leg: block device, or file on a loop device
 *   dev.c         finding the vmirror device a command names
 *   json.c        JSON output (json-c)
 *   cmd_*.c       the commands
 */
#ifndef VMIRRORCTL_H
#define VMIRRORCTL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/dm-vmirror.h>
#include "../../kernel/state-names.h"

#define PROG "vmirrorctl"
/* VMIRROR_VERSION: the VERSION file, set by the Makefile */

/* Exit status */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

#define SECTOR_SHIFT	9

/* ---- util.c ---- */

/* "vmirrorctl: ..." on stderr.  Returns EXIT_FAIL. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * "vmirrorctl: ..." and "Try 'vmirrorctl [COMMAND] --help' for more
 * information." on stderr.  Returns EXIT_USAGE.
 */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The whole usage (--help) */
void usage(FILE *f);
/* The "Try ... --help" line, naming the command being run if any */
void usage_hint(FILE *f);
/* The command being run is NAME from now on (for usage_hint()) */
void set_command(const char *name);

/* SIZE: bytes, with an optional K/M/G/T or KiB/MiB/GiB/TiB suffix (powers of 1024). */
int parse_size(const char *s, uint64_t *bytes);
/* RATE: KiB/s; a K/M/G (KiB/MiB/GiB) suffix is KiB/s, MiB/s, GiB/s; "/s" may follow. */
int parse_rate(const char *s, uint32_t *kib_per_s);
/* What parse_size() and parse_rate() take, for error messages */
#define SIZE_WORDS "bytes, or with K, M, G, T or KiB, MiB, GiB, TiB (powers of 1024)"
#define RATE_WORDS "KiB/s, or with K, M, G or KiB, MiB, GiB for KiB/s, MiB/s, GiB/s"
/* Seconds, possibly fractional, >= 0. */
int parse_seconds(const char *s, double *secs);

/* "1.5 GiB" */
void fmt_bytes(char *buf, size_t len, uint64_t bytes);
/* "1:02:03", "4:05"; "--:--" if unknown (< 0) */
void fmt_duration(char *buf, size_t len, int64_t secs);
/* ISO 8601 UTC; "-" for 0 */
void fmt_time_ns(char *buf, size_t len, uint64_t ns);

double now_seconds(void);
int read_sysfs_u64(const char *path, uint64_t *val);

/* ---- states.c ---- */

/* The vmirror_*_name() words and the status fields: kernel/state-names.h */
/* -1 if unknown */
int copy_state_value(const char *word);
/* VMIRROR_PRIORITY_LOW..HIGH, or -1 */
int priority_value(const char *word);
/*
 * Whether the target ever reports copy_state V (kernel/state.c): not
 * inactive, prepared, skewed or not_applicable.
 */
bool copy_state_entered(int v);

/* ---- dm.c ---- */

struct dmx_info {
	char name[128];
	char uuid[130];		/* DM_UUID_LEN; "LVM-..." for an LVM volume */
	uint32_t major, minor;
	bool suspended;
	bool live_table;
	bool inactive_table;
	int open_count;
};

struct dmx_target {
	uint64_t start;		/* sectors */
	uint64_t len;		/* sectors */
	char *type;
	char *params;
};

struct dmx_table {
	int n;
	struct dmx_target *t;
};

void dmx_setup(int verbose);
/* strerror() of a dmx_*() result; -ECOMM: DM driver not reachable */
const char *dmx_strerror(int r);
/*
 * A DM device by name, /dev/mapper/NAME, /dev/dm-N or any block device
 * path of it.  Returns 0, -ENOENT (no such DM device) or another -errno.
 */
int dmx_resolve(const char *arg, struct dmx_info *info);
int dmx_info_by_devno(uint32_t major, uint32_t minor, struct dmx_info *info);
int dmx_get_table(const char *name, struct dmx_table *tbl);
void dmx_table_add(struct dmx_table *tbl, uint64_t start, uint64_t len,
		   const char *type, const char *params);
void dmx_table_free(struct dmx_table *tbl);
/* Create NAME with TABLE and resume it; /dev/mapper/NAME exists after. */
int dmx_create(const char *name, const struct dmx_table *tbl);
int dmx_reload(const char *name, const struct dmx_table *tbl);
int dmx_clear(const char *name);
/* Suspend with flush (and filesystem freeze). */
int dmx_suspend(const char *name);
int dmx_resume(const char *name);
int dmx_remove(const char *name);
/*
 * Replace NAME's live table by TBL while the device stays in use: load it
 * (inactive), suspend with flush, COMMIT(CTX) while suspended (NULL: none;
 * it decides, and prints why not), resume.  If a step fails, the loaded
 * table is dropped and the old one resumed.  WHAT names TBL in the error
 * lines ("vmirror", "linear").  Returns EXIT_OK, or EXIT_FAIL (COMMIT's
 * result) with the error printed.
 */
int dmx_swap_table(const char *name, const struct dmx_table *tbl, const char *what,
		   int (*commit)(void *ctx), void *ctx);

/*
 * The kernel says why a table load failed only in its log: remember
 * where /dev/kmsg ends, and after a failure fetch the DM error line.
 */
void kmsg_mark(void);
/* The reason of the last "device-mapper: table:" error since the mark */
const char *kmsg_table_error(void);

/* ---- ctl.c ---- */

int ctl_version(uint32_t *version, uint32_t *target_version);
/* -errno on failure (-ENODEV: not a vmirror device) */
int ctl_status(uint32_t major, uint32_t minor, struct vmirror_status *st);
/* *devs is malloc'ed; VMIRROR_DEV() values */
int ctl_list(uint64_t **devs, size_t *count);
int ctl_control(uint32_t major, uint32_t minor, uint32_t op, uint32_t value);

/* ---- mirror.c ---- */

struct mirror_leg {
	char path[4096];	/* as given */
	char dev[64];		/* for the table: "major:minor" */
	char devpath[64];	/* /dev/loopN for a file, else the path */
	uint32_t major, minor;
	uint64_t bytes;		/* size of the device */
	int loop_fd;		/* held open until the table holds the loop */
	bool created;		/* we created the file */
	bool is_file;
	bool direct_io;		/* the loop device uses direct I/O */
};

/*
 * Make PATH usable as a mirror of NEED bytes: a block device not in use,
 * a regular file (attached to a loop device), or, unless EXISTING, a new
 * file of exactly NEED bytes.  The source's logical block size LBS is
 * given to the loop device.  Prints the error and returns EXIT_FAIL.
 */
int mirror_prepare(struct mirror_leg *m, const char *path, uint64_t need,
		   bool existing, unsigned int lbs);
/* The table now holds the loop device: let go of it (autoclear). */
void mirror_commit(struct mirror_leg *m);
/* Undo mirror_prepare(): detach the loop device, remove a created file. */
void mirror_abort(struct mirror_leg *m);
/* Open the block device PATH with O_EXCL to see that nobody uses it. */
int blockdev_check(const char *path, uint64_t *bytes, uint32_t *major,
		   uint32_t *minor);

/* ---- json.c ---- */

struct dev_paths;
struct json_object;
/*
 * One device as JSON: the sysfs file names of /sys/block/dm-N/vmirror/ and
 * "name", "size", "source_path", "source_size", "target_path",
 * "target_file", "target_size" (vmirrorctl(8), JSON OUTPUT).
 */
struct json_object *status_json(const char *name, const struct vmirror_status *st,
				const struct dev_paths *paths);
/* Pretty-printed */
void json_print(struct json_object *obj);
/* On one line, flushed (a line of JSON Lines) */
void json_print_line(struct json_object *obj);

/* ---- dev.c ---- */

/* The error line for a failed dmx_resolve() / ctl_*() call; EXIT_FAIL */
int resolve_error(const char *arg, int r);
int ctl_error(const char *name, int r);

/* What status shows besides struct vmirror_status: paths and sizes. */
struct dev_paths {
	uint64_t size;			/* of the vmirror device, bytes */
	char source_path[NAME_MAX + 8];	/* /dev/mapper/NAME or /dev/KNAME; "-" if gone */
	uint64_t source_size;
	char target_path[NAME_MAX + 8];
	char target_file[PATH_MAX];		/* a loop device's backing file, or "" */
	uint64_t target_size;
	char metadata[32];		/* sysfs metadata: "major:minor", or "" for none */
	char metadata_path[NAME_MAX + 8];
	char metadata_file[PATH_MAX];	/* a loop device's backing file, or "" */
};
/*
 * Whether the module's status (kernel/status-fields.h) has a "metadata"
 * field; without one, status shows what sysfs says.
 */
bool metadata_is_field(void);
/* From sysfs, for the vmirror device MAJOR:MINOR with status ST. */
void dev_paths(uint32_t major, uint32_t minor, const struct vmirror_status *st,
	       struct dev_paths *p);

/* ---- commands ---- */

/* A vmirror device named on the command line. */
struct target_dev {
	struct dmx_info info;
	struct vmirror_status st;
};
/*
 * Resolve ARG to a vmirror device and read its status.  Prints the error
 * and returns EXIT_FAIL if it is not one.
 */
int open_vmirror(const char *arg, struct target_dev *td);
/* /sys/dev/block/M:m/vmirror/FILE */
void vmirror_sysfs_path(char *buf, size_t len, uint32_t major, uint32_t minor,
			const char *file);

/*
 * An LVM logical volume (DM UUID "LVM-..."): LVM keeps its own record of
 * the volume's table and loads it again on lvextend, vgchange --refresh,
 * activation at boot, ...; a vmirror put in (start) or a pivot done
 * (break) behind its back is undone silently.  LVM_REFUSED is the error
 * line, with the name and the start of a reason.
 */
bool is_lvm_volume(const struct dmx_info *info);
#define LVM_REFUSED \
	"%s: is an LVM logical volume: %s its next reload of the volume " \
	"(lvextend, vgchange --refresh, a reboot) would silently put the old disk back; " \
	"move an LV with pvmove (or --force)"

int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_break(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_op(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_restore(int argc, char **argv);
/* create and start from now on only bring back an association (restore) */
void table_restore_rules(void);
int cmd_wait(int argc, char **argv);

/*
 * getopt_long() for a command: ARGV[0] is the command word.  --help/-h
 * print that command's usage on stdout and exit 0; unknown options,
 * missing arguments and an argument to an option that takes none print a
 * usage error naming the option and exit 2.  Returns the option, or -1
 * at the end (the positional arguments are then ARGV[optind..]).
 */
struct option;
int next_opt(int argc, char **argv, const char *shortopts,
	     const struct option *longopts);
/* Exactly MIN..MAX positional arguments after option parsing, or exit 2. */
void check_args(int argc, char **argv, int min, int max);
/* A bad option value: usage error, exit 2. */
void bad_value(const char *opt, const char *value, const char *why)
	__attribute__((noreturn));

#endif /* VMIRRORCTL_H */
