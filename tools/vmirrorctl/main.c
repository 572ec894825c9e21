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
"  start DEVICE MIRROR [OPTIONS] [--existing]\n"
"                                        live: turn an existing linear DM device into a\n"
"                                        mirror (MirrorVirtualDisk); a MIRROR file that\n"
"                                        does not exist is created at the right size;\n"
"                                        --existing requires it to exist\n"
"  status [NAME] [--json]                all properties (all devices without NAME)\n"
"  list [--json]                         vmirror devices with state and percent\n"
"  watch NAME                            live progress: percent, rate, ETA, state\n"
"  wait NAME [--for STATE] [--timeout S] block until copy_state is STATE (synchronized)\n"
"  break NAME                            pivot to the mirror; refuses unless synchronized\n"
"  cancel NAME                           stop mirroring and keep the source\n"
"  pause|resume|activate|fracture|split|resync NAME\n"
"  set NAME [--priority low|same|high] [--max-rate RATE]\n"
"  remove NAME\n"
"\n"
"OPTIONS of create and start:\n"
"  --region-size SIZE     copy granularity, a power of two >= 4K (default 512K)\n"
"  --sync-mode sync|async\n"
"  --priority low|same|high\n"
"                         background copy vs. host I/O (default same)\n"
"  --max-rate RATE        cap on the background copy; 0 = none (default)\n"
"  --nosync               the mirror is already identical: copy nothing\n"
"  --no-activation        do not copy until 'vmirrorctl activate'\n"
"\n"
"SIZE: bytes, or with a suffix K, M, G, T (512K, 4M, 1G).\n"
"RATE: KiB/s, or with a suffix K, M, G per second (30M = 30 MiB/s).\n"
"NAME: a device-mapper name, /dev/mapper/NAME or /dev/dm-N.\n"
"-v: show libdevmapper's messages.\n"
"\n"
"Exit status: 0 success, 1 failure, 2 bad usage.  See vmirrorctl(8).\n";

void usage(FILE *f)
{
	fputs(usage_text, f);
}

int next_opt(int argc, char **argv, const char *shortopts,
	     const struct option *longopts)
{
	char spec[64];
	int c;

	/* ':' first: report a missing argument as ':', not '?' */
	snprintf(spec, sizeof(spec), ":%sh", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	switch (c) {
	case 'h':
		usage(stdout);
		exit(EXIT_OK);
	case ':':
		usage_error("%s: option '%s' needs an argument", argv[0],
			    argv[optind - 1]);
		exit(EXIT_USAGE);
	case '?':
		if (optopt && optopt != '?')
			usage_error("%s: unknown option '-%c'", argv[0], optopt);
		else
			usage_error("%s: unknown option '%s'", argv[0],
				    argv[optind - 1]);
		exit(EXIT_USAGE);
	}
	return c;
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

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "create", cmd_create },
	{ "start", cmd_start },
	{ "status", cmd_status },
	{ "list", cmd_list },
	{ "watch", cmd_watch },
	{ "wait", cmd_wait },
	{ "break", cmd_break },
	{ "cancel", cmd_cancel },
	{ "pause", cmd_op },
	{ "resume", cmd_op },
	{ "activate", cmd_op },
	{ "fracture", cmd_op },
	{ "split", cmd_op },
	{ "resync", cmd_op },
	{ "set", cmd_set },
	{ "remove", cmd_remove },
};

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

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name)) {
			dmx_setup(verbose);
			return commands[i].fn(argc - 1, argv + 1);
		}
	}
	return usage_error("unknown command '%s'", argv[1]);
}
