// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl: command dispatch, usage and option helpers.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmirrorctl.h"

static const char usage_text[] =
"Usage: vmirrorctl [-v] COMMAND [ARGS] [OPTIONS]\n"
"\n"
"  create NAME SOURCE MIRROR [OPTIONS]   new /dev/mapper/NAME mirroring SOURCE onto MIRROR\n"
"  start DEVICE MIRROR [OPTIONS] [--existing] [--force]\n"
"                                        live: turn an existing linear DM device into a\n"
"                                        mirror (MirrorVirtualDisk); a MIRROR file that\n"
"                                        does not exist is created at the right size;\n"
"                                        --existing requires it to exist\n"
"  status [NAME] [--json]                all properties (all devices without NAME)\n"
"  list [--json]                         vmirror devices with state and percent\n"
"  watch NAME [--json]                   live progress: percent, rate, ETA, state\n"
"  wait NAME [--for STATE] [--timeout S] block until copy_state is STATE (synchronized)\n"
"  break NAME [--force]                  pivot to the mirror; refuses unless synchronized\n"
"  cancel NAME                           stop mirroring and keep the source\n"
"  pause|resume|activate|fracture|split|resync NAME\n"
"  set NAME [--priority low|same|high] [--max-rate RATE] [--sync-mode sync|async]\n"
"  remove NAME\n"
"  restore [--tab FILE] [NAME...]        after a reboot: bring back the pairs listed in\n"
"                                        /etc/vmirrortab (create/start lines, --metadata)\n"
"\n"
"OPTIONS of create and start:\n"
"  --region-size SIZE     copy granularity, a power of two from 4K to 1G (default 512K)\n"
"  --sync-mode sync|async write completion: on both disks (sync, default), or on\n"
"                         the source, the mirror catching up (async)\n"
"  --priority low|same|high\n"
"                         background copy vs. host I/O (default same)\n"
"  --max-rate RATE        cap on the background copy; 0 = none (default)\n"
"  --nosync               the mirror is already identical: copy nothing\n"
"  --no-activation        do not copy until 'vmirrorctl activate'\n"
"  --metadata PATH        keep the association on PATH (a device, or a file,\n"
"                         created when missing): it survives a crash or reboot\n"
"\n"
"SIZE: bytes, or with a suffix K, M, G, T: powers of 1024, the same as\n"
"      KiB, MiB, GiB, TiB (512K = 512KiB = 524288 bytes).\n"
"RATE: KiB/s, or with a suffix K, M, G (KiB, MiB, GiB) per second\n"
"      (30M = 30MiB = 30 MiB/s).\n"
"NAME: a device-mapper name, /dev/mapper/NAME or /dev/dm-N.\n"
"-v: show libdevmapper's messages.\n"
"\n"
"'vmirrorctl COMMAND --help' for one command.  Exit status: 0 success,\n"
"1 failure, 2 bad usage.  See vmirrorctl(8).\n";

#define TABLE_OPTIONS \
"  --region-size SIZE     copy granularity, a power of two from 4K to 1G (default 512K)\n" \
"  --sync-mode sync|async write completion: on both disks (sync), or on the source\n" \
"  --priority low|same|high  background copy vs. host I/O (default same)\n" \
"  --max-rate RATE        cap on the background copy, KiB/s or with K, M, G; 0 = none\n" \
"  --nosync               the mirror is already identical: copy nothing\n" \
"  --no-activation        do not copy until 'vmirrorctl activate'\n" \
"  --existing             MIRROR must exist (else a missing file is created)\n" \
"  --metadata PATH        the association's state on PATH, a block device or a\n" \
"                         file (created at the size needed when missing); the\n" \
"                         same command after a crash or reboot carries on\n"
#define TABLE_NOTES \
"SIZE: bytes or K, M, G, T = KiB, MiB, GiB, TiB (powers of 1024).\n" \
"MIRROR: a block device not in use, or a file (on a loop device).\n"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;	/* after "Usage: vmirrorctl " */
} commands[] = {
	{ "create", cmd_create, "create NAME SOURCE MIRROR [OPTIONS]\n"
	  "A new device /dev/mapper/NAME over all of SOURCE that mirrors it onto MIRROR.\n"
	  "OPTIONS:\n" TABLE_OPTIONS TABLE_NOTES },
	{ "start", cmd_start, "start DEVICE MIRROR [OPTIONS] [--force]\n"
	  "Turn DEVICE, a device-mapper device with one linear target, into a mirror\n"
	  "of itself onto MIRROR while it is in use (MirrorVirtualDisk).\n"
	  "OPTIONS:\n" TABLE_OPTIONS
	  "  --force                also on an LVM logical volume: LVM does not know the\n"
	  "                         mirror, and its next reload of the volume silently\n"
	  "                         puts the old disk back; use pvmove for an LV\n"
	  TABLE_NOTES },
	{ "status", cmd_status, "status [NAME] [--json]\n"
	  "Every property of the vmirror device NAME (of all without NAME): states,\n"
	  "progress, settings, the legs by number and path, the mirror's file, sizes.\n"
	  "  --json   one JSON object (an array of them without NAME); see vmirrorctl(8)\n" },
	{ "list", cmd_list, "list [--json]\n"
	  "The vmirror devices with copy_state, percent and progress.\n"
	  "  --json   an array of the objects of 'status --json'\n" },
	{ "watch", cmd_watch, "watch NAME [--json]\n"
	  "Progress until the pair is synchronized, failedover, broken or aborted\n"
	  "(exit 1 for the last two): a bar on a terminal, else a line a second.\n"
	  "  --json   one JSON object per line per change (event \"exists\", then\n"
	  "           \"change\"): the keys of 'status --json', \"event\" and \"time\"\n" },
	{ "wait", cmd_wait, "wait NAME [--for STATE] [--timeout SECONDS]\n"
	  "Wait until copy_state is STATE (default synchronized); exit 1 on timeout,\n"
	  "and at once when the pair is broken, aborted or failedover (and STATE is\n"
	  "another): from there STATE does not come without an operation.\n"
	  "STATE: initialized unsynchronized synchronized broken fractured split\n"
	  "       suspended failedover aborted (the states the target enters)\n" },
	{ "break", cmd_break, "break NAME [--force]\n"
	  "Pivot to the mirror: NAME becomes a linear device over it and the source\n"
	  "is no longer used (BreakMirrorVirtualDisk); refused unless synchronized.\n"
	  "  --force  also on an LVM logical volume (use pvmove for an LV)\n" },
	{ "cancel", cmd_cancel, "cancel NAME\n"
	  "Stop mirroring and keep the source: NAME becomes a linear device over it.\n" },
	{ "pause", cmd_op, "pause NAME\n"
	  "Stop the background copy; host writes are still mirrored or tracked.\n" },
	{ "resume", cmd_op, "resume NAME\n"
	  "Carry on with the background copy after pause.\n" },
	{ "activate", cmd_op, "activate NAME\n"
	  "Start copying a pair created with --no-activation.\n" },
	{ "fracture", cmd_op, "fracture NAME\n"
	  "Detach the mirror of a synchronized pair; writes to the source are tracked.\n" },
	{ "split", cmd_op, "split NAME\n"
	  "Detach the mirror as a consistent point-in-time copy (quiesced first).\n" },
	{ "resync", cmd_op, "resync NAME\n"
	  "Copy again what was written since fracture, split, broken or aborted.\n" },
	{ "set", cmd_set, "set NAME [--priority low|same|high] [--max-rate RATE]\n"
	  "         [--sync-mode sync|async]\n"
	  "Change the background copy's priority or rate cap (RATE: KiB/s, or with\n"
	  "K, M, G for KiB/s, MiB/s, GiB/s; 0 = no cap), or the sync mode: async\n"
	  "writes complete on the source and the mirror catches up (lag_bytes).\n" },
	{ "remove", cmd_remove, "remove NAME\n"
	  "Remove the device-mapper device NAME (refused while it is open).\n" },
	{ "restore", cmd_restore, "restore [--tab FILE] [NAME...]\n"
	  "Bring back the pairs of FILE (default /etc/vmirrortab; only NAMEs if given)\n"
	  "after a reboot.  Each line is a create or start command line with\n"
	  "--metadata, e.g.\n"
	  "  create vol /dev/sdb /srv/new.img --region-size 1M --metadata /srv/vol.meta\n"
	  "run again as that command, where the mirror and the metadata must exist\n"
	  "and the metadata must hold an association: the copy carries on where it\n"
	  "was.  A device that is a vmirror device already is left alone.  Words are\n"
	  "separated by blanks ('#' starts a comment).  Exit 1 if a line failed.\n"
	  "  --tab FILE   another tab file\n" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The command being run, for "Try 'vmirrorctl CMD --help'". */
static const char *current_cmd;

void usage(FILE *f)
{
	fputs(usage_text, f);
}

void set_command(const char *name)
{
	current_cmd = name;
}

void usage_hint(FILE *f)
{
	if (current_cmd)
		fprintf(f, "Try '" PROG " %s --help' for more information.\n", current_cmd);
	else
		fputs("Try '" PROG " --help' for more information.\n", f);
}

static void command_help(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			printf("Usage: " PROG " %s", commands[i].help);
}

/* The long option ARG (after "--", up to LEN chars) names, or NULL. */
static const struct option *long_option(const struct option *longopts,
					const char *arg, size_t len)
{
	const struct option *found = NULL;

	for (const struct option *o = longopts; o->name; o++) {
		if (strncmp(o->name, arg, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		if (found)
			return NULL;	/* ambiguous */
		found = o;
	}
	return found;
}

int next_opt(int argc, char **argv, const char *shortopts,
	     const struct option *longopts)
{
	const struct option *o;
	const char *arg, *eq;
	char spec[64];
	size_t len;
	int c;

	/* ':' first: report a missing argument as ':', not '?' */
	snprintf(spec, sizeof(spec), ":%sh", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c != '?' && c != ':') {
		if (c == 'h') {
			command_help(argv[0]);
			exit(EXIT_OK);
		}
		return c;
	}
	/* getopt_long() moved optind past the bad word */
	arg = argv[optind - 1];
	if (c == ':') {
		usage_error("%s: option '%s' needs an argument", argv[0], arg);
		exit(EXIT_USAGE);
	}
	if (strncmp(arg, "--", 2)) {
		usage_error("%s: unknown option '-%c'", argv[0], optopt ? optopt : '?');
		exit(EXIT_USAGE);
	}
	eq = strchr(arg, '=');
	len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	o = long_option(longopts, arg + 2, len);
	if (o && eq && o->has_arg == no_argument)
		usage_error("%s: option '--%s' takes no argument", argv[0], o->name);
	else
		usage_error("%s: unknown option '%.*s'", argv[0], (int)len + 2, arg);
	exit(EXIT_USAGE);
}

void check_args(int argc, char **argv, int min, int max)
{
	int n = argc - optind;

	if (n < min) {
		usage_error("%s: missing argument", argv[0]);
		exit(EXIT_USAGE);
	}
	if (n > max) {
		usage_error("%s: unexpected argument '%s'", argv[0],
			    argv[optind + max]);
		exit(EXIT_USAGE);
	}
}

void bad_value(const char *opt, const char *value, const char *why)
{
	usage_error("%s '%s': %s", opt, value, why);
	exit(EXIT_USAGE);
}

/*
 * "vmirrorctl 1.2.0 (ioctl interface 2)" and, when the module is loaded,
 * "dm-vmirror module 1.2.0 (ioctl interface 2, target vmirror 1.2.0)".
 */
static int print_version(void)
{
	char modver[64] = "";
	uint32_t v, tv;
	FILE *f;

	printf("vmirrorctl %s (ioctl interface %d)\n", VMIRROR_VERSION,
	       VMIRROR_IOCTL_VERSION);
	if (ctl_version(&v, &tv)) {
		puts("dm-vmirror module: not loaded");
		return EXIT_OK;
	}
	f = fopen("/sys/module/dm_vmirror/version", "re");
	if (f) {
		if (fgets(modver, sizeof(modver), f))
			modver[strcspn(modver, "\n")] = 0;
		fclose(f);
	}
	printf("dm-vmirror module %s (ioctl interface %u, target vmirror %u.%u.%u)\n",
	       *modver ? modver : "?", v, tv >> 16, (tv >> 8) & 0xff, tv & 0xff);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	int verbose = 0;
	size_t i;

	while (argc > 1 && argv[1][0] == '-') {
		const char *a = argv[1];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(a, "--version"))
			return print_version();
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose++;
			argc--;
			argv++;
			continue;
		}
		return usage_error("unknown option '%s'", a);
	}
	if (argc < 2)
		return usage_error("no command given");

	for (i = 0; i < NR_COMMANDS; i++) {
		if (!strcmp(argv[1], commands[i].name)) {
			current_cmd = commands[i].name;
			dmx_setup(verbose);
			return commands[i].fn(argc - 1, argv + 1);
		}
	}
	return usage_error("unknown command '%s'", argv[1]);
}
