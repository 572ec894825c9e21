// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmirrorctl restore [--tab FILE] [NAME...]
 *
 * Brings back the pairs listed in the tab file (default /etc/vmirrortab)
 * after a reboot: each line is a create or start command line, with
 * --metadata, and is run again as that command with the restore rules
 * (cmd_create.c): the mirror and the metadata must exist and the metadata
 * must hold an association, so a line never starts a new copy nor formats
 * new metadata.  A pair whose device is a vmirror device already is left
 * alone.  Each line runs in a child process, so one bad line (its error
 * names the file and line) does not stop the others.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmirrorctl.h"

#define DEFAULT_TAB	"/etc/vmirrortab"
#define MAX_WORDS	32

static const struct option restore_options[] = {
	{ "tab", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Whether the device NAME exists with a vmirror table. */
static bool is_vmirror(const char *name)
{
	struct dmx_info info;
	struct dmx_table live;
	bool yes;

	if (dmx_resolve(name, &info) || !info.live_table)
		return false;
	if (dmx_get_table(info.name, &live))
		return false;
	yes = live.n == 1 && !strcmp(live.t[0].type, "vmirror");
	dmx_table_free(&live);
	return yes;
}

/* Whether NAMES (N of them) is empty or holds NAME; marks it in SEEN. */
static bool wanted(char **names, int n, bool *seen, const char *name)
{
	bool yes = !n;

	for (int i = 0; i < n; i++) {
		if (!strcmp(names[i], name)) {
			seen[i] = true;
			yes = true;
		}
	}
	return yes;
}

/* Runs the command in WORDS (NW words) in a child; its exit status. */
static int run_line(char **words, int nw)
{
	int (*fn)(int argc, char **argv) = strcmp(words[0], "create") ? cmd_start : cmd_create;
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return error("restore: fork: %s", strerror(errno));
	if (!pid) {
		optind = 0;	/* getopt starts over on the line's words */
		set_command(words[0]);
		table_restore_rules();
		exit(fn(nw, words));
	}
	if (waitpid(pid, &status, 0) < 0)
		return error("restore: waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAIL;
}

/*
 * The whole of TAB, NUL-terminated, or NULL (error printed).  Read before
 * any child runs: a child's exit() would move the offset of a FILE the
 * parent still reads (the descriptor is shared).
 */
static char *read_tab(const char *tab)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(tab, "re");
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;

	if (!f || !m) {
		error("restore: %s: %s", tab, strerror(errno));
		if (f)
			fclose(f);
		if (m)
			fclose(m);
		free(buf);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	if (ferror(f)) {
		error("restore: %s: %s", tab, strerror(errno));
		fclose(f);
		fclose(m);
		free(buf);
		return NULL;
	}
	fclose(f);
	fclose(m);
	return buf;
}

int cmd_restore(int argc, char **argv)
{
	const char *tab = DEFAULT_TAB;
	char *buf, *line, *next, *words[MAX_WORDS + 1], *p;
	int c, nw, lineno = 0, failed = 0;
	bool *seen;

	while ((c = next_opt(argc, argv, "", restore_options)) != -1)
		if (c == 't')
			tab = optarg;
	buf = read_tab(tab);
	if (!buf)
		return EXIT_FAIL;
	seen = calloc(argc, sizeof(*seen));
	if (!seen) {
		free(buf);
		return error("restore: out of memory");
	}
	for (line = buf; *line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else
			next = line + strlen(line);
		p = strchr(line, '#');
		if (p)
			*p = 0;
		nw = 0;
		for (p = strtok(line, " \t"); p && nw <= MAX_WORDS; p = strtok(NULL, " \t"))
			words[nw++] = p;
		if (!nw)
			continue;
		if (nw > MAX_WORDS || (strcmp(words[0], "create") && strcmp(words[0], "start")) ||
		    nw < 3 || words[1][0] == '-') {
			error("%s:%d: not a 'create NAME SOURCE MIRROR --metadata PATH ...' or 'start DEVICE MIRROR --metadata PATH ...' line",
			      tab, lineno);
			failed++;
			continue;
		}
		words[nw] = NULL;
		if (!wanted(argv + optind, argc - optind, seen, words[1]))
			continue;
		if (is_vmirror(words[1])) {
			printf("%s: a vmirror device already, left alone\n", words[1]);
			continue;
		}
		if (run_line(words, nw)) {
			error("%s:%d: %s not restored", tab, lineno, words[1]);
			failed++;
		}
	}
	free(buf);
	for (int i = 0; i < argc - optind; i++) {
		if (!seen[i]) {
			error("restore: %s: no line for %s", tab, argv[optind + i]);
			failed++;
		}
	}
	free(seen);
	return failed ? EXIT_FAIL : EXIT_OK;
}
