/* options.c - the options every vkit tool shares (-q, -v, --version) and message printing. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/util/options.h"

enum { OPT_QUIET = 'q', OPT_DEBUG = 'v', OPT_VERSION = 0x100 };

bool vk_quiet;
static bool version_wanted;

static void common_option(poptContext ctx, enum poptCallbackReason reason,
			  const struct poptOption *opt, const char *arg, const void *data)
{
	if (reason != POPT_CALLBACK_REASON_OPTION)
		return;
	switch (opt->val) {
	case OPT_QUIET:
		vk_quiet = true;
		break;
	case OPT_DEBUG:
		vk_debug_level++;
		break;
	case OPT_VERSION:
		version_wanted = true;
		break;
	}
}

struct poptOption vk_common_options[] = {
	{ NULL, '\0', POPT_ARG_CALLBACK, (void *)common_option, 0, NULL, NULL },
	{ "quiet", 'q', POPT_ARG_NONE, NULL, OPT_QUIET, "print only errors", NULL },
	{ "debug", 'v', POPT_ARG_NONE, NULL, OPT_DEBUG, "print debugging messages (repeat for more)",
	  NULL },
	{ "version", '\0', POPT_ARG_NONE, NULL, OPT_VERSION, "print the version and exit", NULL },
	POPT_TABLEEND
};

int vk_options_parse(int argc, const char **argv, const struct poptOption *table,
		     const char *other_help, poptContext *ctx_out)
{
	poptContext ctx = poptGetContext(NULL, argc, argv, table, 0);
	int rc;

	*ctx_out = NULL;
	if (!ctx)
		return vk_error(ENOMEM, "options");
	if (other_help)
		poptSetOtherOptionHelp(ctx, other_help);
	version_wanted = false;
	/* Tools store options through arg pointers; a positive val with no
	 * pointer has nothing more to do here. */
	while ((rc = poptGetNextOpt(ctx)) > 0)
		;
	if (rc < -1) {
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name,
			poptBadOption(ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
		fprintf(stderr, "Try '%s --help' for more information.\n",
			program_invocation_short_name);
		poptFreeContext(ctx);
		return -EINVAL;
	}
	if (version_wanted) {
		printf("%s (vkit) %s\n", program_invocation_short_name, PACKAGE_VERSION);
		poptFreeContext(ctx);
		return 1;
	}
	*ctx_out = ctx;
	return 0;
}

void vk_report(const char *msg)
{
	if (!msg)
		msg = vk_last_error();
	fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg[0] ? msg : "unknown error");
}

void vk_report_object(const char *object)
{
	const char *msg = vk_last_error();

	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, object,
		msg[0] ? msg : "unknown error");
}

/* Long options of table and the tables it includes that start with the
 * len bytes of word: their number, the first two in *first and *second,
 * and whether one is word exactly.  Two names of one option (the same
 * storage and value: --print-xml and --print-config) count once. */
static size_t long_options_matching(const struct poptOption *table, const char *word, size_t len,
				    const struct poptOption **first, const struct poptOption **second, bool *exact)
{
	size_t n = 0;

	for (; table->longName || table->shortName || table->arg; table++) {
		if ((table->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE && table->arg) {
			n += long_options_matching(table->arg, word, len, first, second, exact);
			continue;
		}
		if (!table->longName || strncmp(table->longName, word, len) != 0)
			continue;
		if (strlen(table->longName) == len)
			*exact = true;
		if (*first && (*first)->arg && (*first)->arg == table->arg && (*first)->val == table->val)
			continue;
		if (!*first)
			*first = table;
		else if (!*second)
			*second = table;
		n++;
	}
	return n;
}

int vk_options_expand_abbrev(int argc, const char **argv, const struct poptOption *table, const char ***out)
{
	const char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	int i, rc = 0;

	*out = NULL;
	if (!copy)
		return vk_error(ENOMEM, "options");
	for (i = 0; i < argc; i++)
		copy[i] = argv[i];
	for (i = 1; i < argc && rc == 0; i++) {
		const struct poptOption *first = NULL, *second = NULL;
		const char *word = argv[i] + 2, *eq;
		bool exact = false;
		size_t len;
		char *spelled;

		if (!strcmp(argv[i], "--"))
			break;
		if (strncmp(argv[i], "--", 2) != 0 || !*word)
			continue;
		eq = strchr(word, '=');
		len = eq ? (size_t)(eq - word) : strlen(word);
		if (long_options_matching(table, word, len, &first, &second, &exact) == 0 || exact)
			continue;	/* unknown (popt says so) or spelled out */
		if (second) {
			rc = vk_errorx(EINVAL, "ambiguous option: --%.*s could match --%s, --%s; spell it out",
				       (int)len, word, first->longName, second->longName);
			break;
		}
		if (asprintf(&spelled, "--%s%s", first->longName, eq ? eq : "") < 0) {
			rc = vk_error(ENOMEM, "options");
			break;
		}
		copy[i] = spelled;
	}
	if (rc < 0) {
		vk_options_argv_free(copy, argc, argv);
		return rc;
	}
	*out = copy;
	return 0;
}

void vk_options_argv_free(const char **copy, int argc, const char *const *argv)
{
	if (!copy)
		return;
	for (int i = 0; i < argc; i++)
		if (copy[i] != argv[i])
			free((char *)copy[i]);
	free(copy);
}
