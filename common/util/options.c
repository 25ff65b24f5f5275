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

/* Both spellings store here; reset by every vk_options_parse(). */
static char *connect_uri;

struct poptOption vk_connect_options[] = {
	{ "connect", 'c', POPT_ARG_STRING, &connect_uri, 0,
	  "hypervisor URI; only this host's (qemu:///system)", "URI" },
	POPT_TABLEEND
};

struct poptOption vk_connect_long_options[] = {
	{ "connect", '\0', POPT_ARG_STRING, &connect_uri, 0,
	  "hypervisor URI; only this host's (qemu:///system)", "URI" },
	POPT_TABLEEND
};

/* libvirt's transports after "driver+": the ones that reach a daemon
 * through the network, on this host or another. */
static const char *const network_transports[] = { "ssh", "libssh", "libssh2", "tcp", "tls", "ext" };

static bool span_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !strncmp(s, word, len);
}

int vk_connect_uri_check(const char *uri)
{
	const char *scheme_end, *plus, *authority, *path, *path_end;
	size_t driver_len, transport_len = 0, i;

	/* virsh -c '' means the default connection, this host's. */
	if (!uri[0])
		return 0;
	scheme_end = strstr(uri, "://");
	if (!scheme_end || scheme_end == uri)
		return vk_errorx(EINVAL, "'%s' is not a hypervisor URI; give qemu:///system (or leave it out)",
				 uri);
	plus = memchr(uri, '+', (size_t)(scheme_end - uri));
	driver_len = (size_t)((plus ? plus : scheme_end) - uri);
	if (plus)
		transport_len = (size_t)(scheme_end - plus - 1);
	if (!span_is(uri, driver_len, "qemu") && !span_is(uri, driver_len, "kvm"))
		return vk_errorx(EOPNOTSUPP, "'%s': vkit runs KVM guests only (the qemu driver); give "
				 "qemu:///system (or leave it out)", uri);
	authority = scheme_end + 3;
	path = authority + strcspn(authority, "/?#");
	for (i = 0; plus && i < sizeof(network_transports) / sizeof(network_transports[0]); i++)
		if (span_is(plus + 1, transport_len, network_transports[i]))
			return vk_errorx(EOPNOTSUPP, "'%s': remote hosts are not supported yet; run the "
					 "command on that host with qemu:///system", uri);
	if (plus && !span_is(plus + 1, transport_len, "unix"))
		return vk_errorx(EINVAL, "'%s': unknown transport '%.*s'; give qemu:///system", uri,
				 (int)transport_len, plus + 1);
	if (path != authority)
		return vk_errorx(EOPNOTSUPP, "'%s': remote hosts are not supported yet (a host name, "
				 "even this host's, means a network connection); give qemu:///system", uri);
	path_end = path + strcspn(path, "?#");
	/* The query only says how to reach libvirtd's socket: vkit has no
	 * daemon, so there is nothing for it to choose. */
	if (!span_is(path, (size_t)(path_end - path), "/system") &&
	    !span_is(path, (size_t)(path_end - path), "/session"))
		return vk_errorx(EOPNOTSUPP, "'%s': only /system and /session name this host's KVM; "
				 "give qemu:///system", uri);
	return 0;
}

static bool table_has_connect(const struct poptOption *table)
{
	for (; table->longName || table->shortName || table->argInfo || table->arg; table++) {
		if (table->arg == (void *)&connect_uri)
			return true;
		if ((table->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE && table->arg &&
		    table_has_connect(table->arg))
			return true;
	}
	return false;
}

/* --connect, else LIBVIRT_DEFAULT_URI as virsh reads it. */
static int connect_check(const struct poptOption *table)
{
	const char *uri = connect_uri, *what = "--connect";

	if (!table_has_connect(table))
		return 0;
	if (!uri) {
		uri = getenv("LIBVIRT_DEFAULT_URI");
		what = "LIBVIRT_DEFAULT_URI";
	}
	if (!uri || vk_connect_uri_check(uri) == 0)
		return 0;
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, vk_last_error());
	return -EINVAL;
}

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
	free(connect_uri);
	connect_uri = NULL;
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
	if (connect_check(table) < 0) {
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
