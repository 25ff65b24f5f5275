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

/* -h, where the original tool's -h is help; reset by every parse. */
static int help_short_wanted;

struct poptOption vk_help_short_options[] = {
	{ NULL, 'h', POPT_ARG_NONE, &help_short_wanted, 0, "the same as --help", NULL },
	POPT_TABLEEND
};

/* ---- --help, laid out to fit 80 columns ---- */

#define HELP_WIDTH	79	/* the last column used */
#define HELP_LEFT_MAX	30	/* wider option names put their text on the next line */

static bool table_end(const struct poptOption *o)
{
	return !o->longName && !o->shortName && !o->argInfo && !o->arg;
}

static unsigned arg_kind(const struct poptOption *o)
{
	return o->argInfo & POPT_ARG_MASK;
}

static bool shown(const struct poptOption *o)
{
	return (o->longName || o->shortName) && arg_kind(o) != POPT_ARG_CALLBACK &&
	       arg_kind(o) != POPT_ARG_INCLUDE_TABLE && !(o->argInfo & POPT_ARGFLAG_DOC_HIDDEN);
}

/* "  -c, --connect=URI" as popt writes it. */
static void option_name(const struct poptOption *o, char *buf, size_t len)
{
	const char *arg = o->argDescrip, *sep = "=";
	bool optional = o->argInfo & POPT_ARGFLAG_OPTIONAL;
	int n;

	if (!arg) {
		switch (arg_kind(o)) {
		case POPT_ARG_NONE: case POPT_ARG_VAL: arg = NULL; break;
		case POPT_ARG_INT: arg = "INT"; break;
		case POPT_ARG_LONG: arg = "LONG"; break;
		case POPT_ARG_DOUBLE: case POPT_ARG_FLOAT: arg = "DOUBLE"; break;
		default: arg = "STRING"; break;
		}
	}
	if (o->shortName && o->longName)
		n = snprintf(buf, len, "  -%c, --%s", o->shortName, o->longName);
	else if (o->shortName)
		n = snprintf(buf, len, "  -%c", o->shortName);
	else
		n = snprintf(buf, len, "      --%s", o->longName);
	/* popt's separators: ' ' after a short name and for a repeatable
	 * (ARGV) option, none when the argument text starts with one. */
	if (arg && strchr(" =(", arg[0]))
		sep = "";
	else if (!o->longName || arg_kind(o) == POPT_ARG_ARGV)
		sep = " ";
	if (arg && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%s%s%s%s", optional ? "[" : "", sep, arg, optional ? "]" : "");
}

/* The widest option name of the tables, up to HELP_LEFT_MAX. */
static size_t names_width(const struct poptOption *t)
{
	char name[512];
	size_t w = 0, n;

	for (; !table_end(t); t++) {
		if (arg_kind(t) == POPT_ARG_INCLUDE_TABLE && t->arg)
			n = names_width(t->arg);
		else if (shown(t) && (option_name(t, name, sizeof(name)), 1))
			n = strlen(name) <= HELP_LEFT_MAX ? strlen(name) : 0;
		else
			n = 0;
		if (n > w)
			w = n;
	}
	return w;
}

/* text from column col on, words wrapped at HELP_WIDTH; the first line
 * continues where the cursor is (at). */
static void print_wrapped(FILE *out, const char *text, size_t col, size_t at)
{
	while (*text) {
		size_t word = strcspn(text, " ");

		if (at > col && at + 1 + word > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', out);
			at++;
		}
		fprintf(out, "%.*s", (int)word, text);
		at += word;
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

/* An option name too wide for a line (vinstall's --disk lists its
 * sub-options) is broken after a ',' or '|', the rest indented. */
static size_t print_name(FILE *out, const char *name)
{
	size_t at = 0, len = strlen(name);

	while (len - at > HELP_WIDTH - (at ? 8 : 0)) {
		size_t room = HELP_WIDTH - (at ? 8 : 0), cut = room;

		while (cut > 1 && name[at + cut - 1] != ',' && name[at + cut - 1] != '|')
			cut--;
		if (cut <= 1)
			cut = room;
		fprintf(out, "%s%.*s\n", at ? "        " : "", (int)cut, name + at);
		at += cut;
	}
	fprintf(out, "%s%s", at ? "        " : "", name + at);
	return (at ? 8 : 0) + len - at;
}

static void print_options(FILE *out, const struct poptOption *t, size_t col, bool sections)
{
	char name[512];

	for (const struct poptOption *o = t; !table_end(o); o++) {
		size_t at;

		if (arg_kind(o) == POPT_ARG_INCLUDE_TABLE && o->arg && !o->descrip && !sections)
			print_options(out, o->arg, col, false);
		if (!shown(o) || sections)
			continue;
		option_name(o, name, sizeof(name));
		at = print_name(out, name);
		if (!o->descrip) {
			fputc('\n', out);
			continue;
		}
		if (at + 2 > col) {
			fputc('\n', out);
			at = 0;
		}
		fprintf(out, "%*s", (int)(col - at), "");
		print_wrapped(out, o->descrip, col, col);
	}
	/* Included tables with a title get a section each, after the rest. */
	for (const struct poptOption *o = t; sections && !table_end(o); o++)
		if (arg_kind(o) == POPT_ARG_INCLUDE_TABLE && o->arg && o->descrip) {
			fprintf(out, "\n%s\n", o->descrip);
			print_options(out, o->arg, col, false);
			print_options(out, o->arg, col, true);
		}
}

void vk_options_print_help(FILE *out, const struct poptOption *table, const char *other_help)
{
	size_t col = names_width(table) + 2;

	/* "[OPTION...]" is said once, whatever the tool passes. */
	if (other_help && !strcmp(other_help, "[OPTION...]"))
		other_help = NULL;
	fprintf(out, "Usage: %s [OPTION...]%s%s\n", program_invocation_short_name, other_help ? " " : "",
		other_help ? other_help : "");
	if (other_help && strchr(other_help, '\n'))
		fputc('\n', out);
	print_options(out, table, col, false);
	print_options(out, table, col, true);
}

/* --help or -? before "--": printed here, so that it fits 80 columns. */
static bool help_asked(int argc, const char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-?"))
			return true;
	return false;
}

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
	if (help_asked(argc, argv)) {
		vk_options_print_help(stdout, table, other_help);
		poptFreeContext(ctx);
		return 1;
	}
	if (other_help)
		poptSetOtherOptionHelp(ctx, other_help);
	version_wanted = false;
	help_short_wanted = 0;
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
	if (help_short_wanted) {
		vk_options_print_help(stdout, table, other_help);
		poptFreeContext(ctx);
		return 1;
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
