// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl create NAME SOURCE MIRROR [OPTIONS]
 * vmirrorctl start DEVICE MIRROR [OPTIONS] [--existing]
 *
 * --metadata PATH: metadata_dev, a block device or a file (on a loop
 * device; created at the size the target needs when missing).
 *
 * create: a new DM device with a vmirror table over all of SOURCE.
 * start:  MirrorVirtualDisk on a live disk: DEVICE's table, one linear
 *         target, is replaced by a vmirror over the linear's device with
 *         a reload and a suspend/resume, while DEVICE stays in use.
 *         Refused on an LVM logical volume unless --force (LVM_REFUSED).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmirrorctl.h"

#define MIN_REGION_BYTES	4096ULL
#define MAX_REGION_BYTES	(2097152ULL << SECTOR_SHIFT)	/* 1 GiB */
#define DEFAULT_REGION_BYTES	(512ULL << 10)	/* the target's default */

struct table_opts {
	uint64_t region_bytes;		/* 0: the target's default */
	const char *sync_mode;		/* NULL: default */
	int priority;			/* -1: default */
	uint32_t max_rate;
	bool max_rate_set;
	bool nosync;
	bool no_activation;
	bool mirror_zeroed;		/* the mirror was just created: zeroes */
	bool existing;
	bool force;
	const char *metadata;		/* --metadata PATH, or NULL */
	const char *metadata_dev;	/* its "major:minor" for the table */
};

enum {
	OPT_REGION_SIZE = 256,
	OPT_SYNC_MODE,
	OPT_PRIORITY,
	OPT_MAX_RATE,
	OPT_NOSYNC,
	OPT_NO_ACTIVATION,
	OPT_EXISTING,
	OPT_FORCE,
	OPT_METADATA,
};

static const struct option table_options[] = {
	{ "region-size", required_argument, NULL, OPT_REGION_SIZE },
	{ "sync-mode", required_argument, NULL, OPT_SYNC_MODE },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "max-rate", required_argument, NULL, OPT_MAX_RATE },
	{ "nosync", no_argument, NULL, OPT_NOSYNC },
	{ "no-activation", no_argument, NULL, OPT_NO_ACTIVATION },
	{ "existing", no_argument, NULL, OPT_EXISTING },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "metadata", required_argument, NULL, OPT_METADATA },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Set by table_restore_rules(): create and start only bring pairs back. */
static bool restore_rules;

void table_restore_rules(void)
{
	restore_rules = true;
}

static void parse_table_opts(int argc, char **argv, struct table_opts *o)
{
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->priority = -1;
	while ((c = next_opt(argc, argv, "", table_options)) != -1) {
		switch (c) {
		case OPT_REGION_SIZE:
			if (parse_size(optarg, &v))
				bad_value("--region-size", optarg, "not a size: " SIZE_WORDS);
			if (v < MIN_REGION_BYTES || v > MAX_REGION_BYTES || (v & (v - 1)))
				bad_value("--region-size", optarg,
					  "must be a power of two from 4K to 1G");
			o->region_bytes = v;
			break;
		case OPT_SYNC_MODE:
			if (strcmp(optarg, "sync") && strcmp(optarg, "async"))
				bad_value("--sync-mode", optarg, "must be sync or async");
			o->sync_mode = optarg;
			break;
		case OPT_PRIORITY:
			o->priority = priority_value(optarg);
			if (o->priority < 0)
				bad_value("--priority", optarg, "must be low, same or high");
			break;
		case OPT_MAX_RATE:
			if (parse_rate(optarg, &o->max_rate))
				bad_value("--max-rate", optarg,
					  "not a rate: " RATE_WORDS);
			o->max_rate_set = true;
			break;
		case OPT_NOSYNC:
			o->nosync = true;
			break;
		case OPT_NO_ACTIVATION:
			o->no_activation = true;
			break;
		case OPT_EXISTING:
			o->existing = true;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_METADATA:
			if (!*optarg)
				bad_value("--metadata", optarg, "must be a device or a file");
			o->metadata = optarg;
			break;
		}
	}
	if (restore_rules) {
		if (!o->metadata) {
			usage_error("%s: --metadata is needed to bring a pair back", argv[0]);
			exit(EXIT_USAGE);
		}
		o->existing = true;
	}
}

/* "<source> <soff> <mirror> 0 [<#opts> <opt>...]" */
static void table_params(char *buf, size_t len, const char *source,
			 uint64_t source_offset, const char *mirror,
			 const struct table_opts *o)
{
	char opts[256] = "";
	int n = 0;

	if (o->region_bytes) {
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
			 " region_size %" PRIu64, o->region_bytes >> SECTOR_SHIFT);
		n += 2;
	}
	if (o->sync_mode) {
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
			 " sync_mode %s", o->sync_mode);
		n += 2;
	}
	if (o->priority >= 0) {
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
			 " copy_priority %s", vmirror_priority_name(o->priority));
		n += 2;
	}
	if (o->max_rate_set) {
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
			 " max_copy_rate %u", o->max_rate);
		n += 2;
	}
	if (o->nosync) {
		strcat(opts, " nosync");
		n++;
	}
	if (o->no_activation) {
		strcat(opts, " no_activation");
		n++;
	}
	if (o->mirror_zeroed) {
		strcat(opts, " mirror_zeroed");
		n++;
	}
	if (o->metadata_dev) {
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
			 " metadata_dev %s", o->metadata_dev);
		n += 2;
	}
	if (n)
		snprintf(buf, len, "%s %" PRIu64 " %s 0 %d%s", source, source_offset,
			 mirror, n, opts);
	else
		snprintf(buf, len, "%s %" PRIu64 " %s 0", source, source_offset,
			 mirror);
}

static unsigned int logical_block_size(uint32_t major, uint32_t minor)
{
	char path[128];
	uint64_t v;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/logical_block_size",
		 major, minor);
	return read_sysfs_u64(path, &v) || v < 512 ? 512 : (unsigned int)v;
}

/* Why the kernel refused the table, or the errno. */
static const char *load_error(int r)
{
	const char *why = kmsg_table_error();

	return *why ? why : dmx_strerror(r);
}

static void print_started(const char *name, const char *what,
			  const struct mirror_leg *m)
{
	if (m->is_file)
		printf("%s: %s onto %s (%s%s%s)\n", name, what, m->path, m->devpath,
		       m->created ? ", created" : "",
		       m->direct_io ? ", direct I/O" : ", buffered I/O");
	else
		printf("%s: %s onto %s\n", name, what, m->path);
}

/*
 * What the target needs on its metadata device for SECTORS at the region
 * size of O, at most: 1 MiB plus two bitmaps of a bit per region, rounded
 * up to 4 KiB (Documentation/vmirror.rst, "Persistence").
 */
static uint64_t metadata_bytes(uint64_t sectors, const struct table_opts *o)
{
	uint64_t region = o->region_bytes ? o->region_bytes : DEFAULT_REGION_BYTES;
	uint64_t regions = ((sectors << SECTOR_SHIFT) + region - 1) / region;
	uint64_t bytes = (1ULL << 20) + 2 * ((regions + 7) / 8);

	return (bytes + 4095) & ~4095ULL;
}

/*
 * Whether PATH holds a vmirror superblock: the magic "VMIRMETA" at the
 * start of block 0 or 1 (kernel/metadata-format.h; the target checks the
 * rest).  Prints the error and returns EXIT_FAIL if not.
 */
static int metadata_has_superblock(const char *path)
{
	static const char magic[8] = "VMIRMETA";
	char a[sizeof(magic)], b[sizeof(magic)];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool found;

	if (fd < 0)
		return error("%s: %s", path, strerror(errno));
	found = (pread(fd, a, sizeof(a), 0) == sizeof(a) && !memcmp(a, magic, sizeof(a))) ||
		(pread(fd, b, sizeof(b), 4096) == sizeof(b) && !memcmp(b, magic, sizeof(b)));
	close(fd);
	if (!found)
		return error("%s: holds no vmirror metadata: nothing to bring back (a new pair is 'vmirrorctl create' or 'start')",
			     path);
	return EXIT_OK;
}

/*
 * --metadata: the device or file in MD, which must not be one of the
 * devices in DEVS (NDEVS "major:minor" strings).  A missing file is
 * created at the size needed for SECTORS; an existing one is taken as it
 * is (the target refuses one too small or of another association).
 */
static int metadata_leg(struct table_opts *o, struct mirror_leg *md, uint64_t sectors,
			const char *const *devs, int ndevs)
{
	struct stat st;
	int r;

	if (!o->metadata)
		return EXIT_OK;
	if (restore_rules) {
		if (stat(o->metadata, &st))
			return error("%s: %s", o->metadata, strerror(errno));
		r = metadata_has_superblock(o->metadata);
		if (r)
			return r;
	}
	if (!stat(o->metadata, &st))
		r = mirror_prepare(md, o->metadata, 1, true, 512);
	else
		r = mirror_prepare(md, o->metadata, metadata_bytes(sectors, o), false, 512);
	if (r)
		return r;
	for (int i = 0; i < ndevs; i++) {
		if (!strcmp(md->dev, devs[i])) {
			mirror_abort(md);
			return error("%s: the metadata device is one of the legs", o->metadata);
		}
	}
	o->metadata_dev = md->dev;
	return EXIT_OK;
}

static void print_metadata(const char *name, const struct mirror_leg *md)
{
	if (md->is_file)
		printf("%s: metadata on %s (%s%s)\n", name, md->path, md->devpath,
		       md->created ? ", created" : "");
	else if (md->dev[0])
		printf("%s: metadata on %s\n", name, md->path);
}

int cmd_create(int argc, char **argv)
{
	const char *name, *source, *mirror;
	struct table_opts o;
	struct dmx_table tbl = { 0 };
	struct dmx_info info;
	struct mirror_leg m, md = { .loop_fd = -1 };
	uint64_t bytes, sectors;
	uint32_t smaj, smin;
	char src[32], params[512];
	int r;

	parse_table_opts(argc, argv, &o);
	check_args(argc, argv, 3, 3);
	if (o.force)
		return usage_error("create: --force is for start (and break)");
	name = argv[optind];
	source = argv[optind + 1];
	mirror = argv[optind + 2];

	if (!*name || strchr(name, '/') || strlen(name) >= sizeof(info.name))
		return error("%s: not a valid device name", name);
	r = dmx_resolve(name, &info);
	if (r == 0)
		return error("%s: a device of that name exists already", name);
	if (r != -ENOENT)
		return resolve_error(name, r);

	r = blockdev_check(source, &bytes, &smaj, &smin);
	if (r)
		return r;
	sectors = bytes >> SECTOR_SHIFT;
	if (!sectors)
		return error("%s: empty device", source);
	snprintf(src, sizeof(src), "%u:%u", smaj, smin);

	r = mirror_prepare(&m, mirror, sectors << SECTOR_SHIFT, o.existing,
			   logical_block_size(smaj, smin));
	if (r)
		return r;
	if (m.major == smaj && m.minor == smin) {
		mirror_abort(&m);
		return error("%s: the source and the mirror are the same device", mirror);
	}
	r = metadata_leg(&o, &md, sectors, (const char *const[]){ src, m.dev }, 2);
	if (r) {
		mirror_abort(&m);
		return r;
	}

	/* A file it created reads zeroes: the copy writes none (stays sparse). */
	o.mirror_zeroed = m.created;
	table_params(params, sizeof(params), src, 0, m.dev, &o);
	dmx_table_add(&tbl, 0, sectors, "vmirror", params);
	kmsg_mark();
	r = dmx_create(name, &tbl);
	dmx_table_free(&tbl);
	if (r) {
		mirror_abort(&md);
		mirror_abort(&m);
		return error("%s: cannot create the device: %s", name, load_error(r));
	}
	print_started(name, "mirroring", &m);
	print_metadata(name, &md);
	mirror_commit(&md);
	mirror_commit(&m);
	return EXIT_OK;
}

/*
 * The device under DEVICE's live table, which must be one linear target
 * from sector 0: "major:minor" in DEV, its offset and length in sectors.
 */
static int linear_source(const struct dmx_info *info, char *dev, size_t len,
			 unsigned long long *offset, uint64_t *sectors)
{
	struct dmx_table live;
	unsigned int maj, min;
	int r;

	r = dmx_get_table(info->name, &live);
	if (r)
		return error("%s: cannot read the table: %s", info->name, dmx_strerror(r));
	if (live.n == 1 && !strcmp(live.t[0].type, "vmirror")) {
		dmx_table_free(&live);
		return error("%s: is a vmirror device already", info->name);
	}
	if (live.n != 1 || strcmp(live.t[0].type, "linear") || live.t[0].start != 0 ||
	    sscanf(live.t[0].params, "%u:%u %llu", &maj, &min, offset) != 3) {
		r = error("%s: not a device with a single linear target (%d target%s, first '%s')",
			  info->name, live.n, live.n == 1 ? "" : "s",
			  live.n ? live.t[0].type : "none");
		dmx_table_free(&live);
		return r;
	}
	*sectors = live.t[0].len;
	dmx_table_free(&live);
	snprintf(dev, len, "%u:%u", maj, min);
	return EXIT_OK;
}

/* Whether DEVICE can take a vmirror table now: live, resumed, not LVM's */
static int start_refused(const struct dmx_info *info, bool force)
{
	if (!info->live_table)
		return error("%s: has no live table", info->name);
	if (info->suspended)
		return error("%s: is suspended; resume it first", info->name);
	if (info->inactive_table)
		return error("%s: has an inactive table loaded; clear it first (dmsetup clear)",
			     info->name);
	if (is_lvm_volume(info) && !force)
		return error(LVM_REFUSED, info->name, "LVM would not know of the mirror, and");
	return EXIT_OK;
}

int cmd_start(int argc, char **argv)
{
	const char *device, *mirror;
	struct table_opts o;
	struct dmx_table tbl = { 0 };
	struct dmx_info info;
	struct mirror_leg m, md = { .loop_fd = -1 };
	unsigned long long loff = 0;
	char params[512], ldev[32], self[32];
	uint64_t len = 0;
	int r;

	parse_table_opts(argc, argv, &o);
	check_args(argc, argv, 2, 2);
	device = argv[optind];
	mirror = argv[optind + 1];

	r = dmx_resolve(device, &info);
	if (r)
		return resolve_error(device, r);
	r = start_refused(&info, o.force);
	if (!r)
		r = linear_source(&info, ldev, sizeof(ldev), &loff, &len);
	if (r)
		return r;

	r = mirror_prepare(&m, mirror, len << SECTOR_SHIFT, o.existing,
			   logical_block_size(info.major, info.minor));
	if (r)
		return r;
	if (!strcmp(m.dev, ldev) || (m.major == info.major && m.minor == info.minor)) {
		mirror_abort(&m);
		return error("%s: is the device itself or its source", mirror);
	}
	snprintf(self, sizeof(self), "%u:%u", info.major, info.minor);
	r = metadata_leg(&o, &md, len, (const char *const[]){ ldev, m.dev, self }, 3);
	if (r) {
		mirror_abort(&m);
		return r;
	}

	o.mirror_zeroed = m.created;
	table_params(params, sizeof(params), ldev, loff, m.dev, &o);
	dmx_table_add(&tbl, 0, len, "vmirror", params);
	r = dmx_swap_table(info.name, &tbl, "vmirror", NULL, NULL);
	dmx_table_free(&tbl);
	if (r) {
		mirror_abort(&md);
		mirror_abort(&m);
		return r;
	}
	print_started(info.name, "mirroring", &m);
	print_metadata(info.name, &md);
	mirror_commit(&md);
	mirror_commit(&m);
	return EXIT_OK;
}
