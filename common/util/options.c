/* options.c - the options every vkit tool shares (-q, -v, --version) and message printing. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
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
