/* test-options.c - the options every tool shares, and message printing. */
#include "config.h"
#include <errno.h>
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "common/util/options.h"

static char *disk_arg;
static const struct poptOption table[] = {
	{ "disk", '\0', POPT_ARG_STRING, &disk_arg, 0, "a disk", "OPTS" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

/* Run fn with fd (1 or 2) sent to a file; return what was written. */
static char *capture(int fd, int (*fn)(int, const char **), int argc, const char **argv, int *rc)
{
	char path[] = "/tmp/vkit-options.XXXXXX", *buf;
	int tmp = mkstemp(path), saved = dup(fd);
	off_t len;

	assert_true(tmp >= 0 && saved >= 0);
	fflush(fd == 1 ? stdout : stderr);
	dup2(tmp, fd);
	*rc = fn(argc, argv);
	fflush(fd == 1 ? stdout : stderr);
	dup2(saved, fd);
	close(saved);
	len = lseek(tmp, 0, SEEK_END);
	buf = calloc(1, (size_t)len + 1);
	assert_int_equal(pread(tmp, buf, (size_t)len, 0), len);
	close(tmp);
	unlink(path);
	return buf;
}

static int parse(int argc, const char **argv)
{
	poptContext ctx = NULL;
	int rc = vk_options_parse(argc, argv, table, "[OPTIONS] NAME", &ctx);

	if (rc == 0)
		assert_non_null(ctx);
	else
		assert_null(ctx);
	poptFreeContext(ctx);
	return rc;
}

static void version(void **state)
{
	const char *argv[] = { "vtest", "--version", NULL };
	char expect[64], *out;
	int rc;

	out = capture(1, parse, 2, argv, &rc);
	assert_int_equal(rc, 1);
	snprintf(expect, sizeof(expect), "%s (vkit) %s\n", program_invocation_short_name,
		 PACKAGE_VERSION);
	assert_string_equal(out, expect);
	free(out);
}

static void quiet_and_debug(void **state)
{
	const char *argv[] = { "vtest", "-q", "-v", "--debug", "--disk", "path=/x", NULL };
	int rc;

	vk_quiet = false;
	vk_debug_level = 0;
	rc = parse(6, argv);
	assert_int_equal(rc, 0);
	assert_true(vk_quiet);
	assert_int_equal(vk_debug_level, 2);
	assert_string_equal(disk_arg, "path=/x");
	vk_debug_level = 0;
}

static void bad_option(void **state)
{
	const char *argv[] = { "vtest", "--bogus", NULL };
	char *err;
	int rc;

	err = capture(2, parse, 2, argv, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, ": --bogus: unknown option"));
	assert_non_null(strstr(err, "--help' for more information"));
	free(err);
}

static int report(int argc, const char **argv)
{
	vk_errorx(ENOENT, "domain 'x' not found");
	vk_report(NULL);
	vk_report_object("web01");
	vk_report("plain");
	return 0;
}

static void reports(void **state)
{
	char expect[256], *err;
	const char *p = program_invocation_short_name;
	int rc;

	err = capture(2, report, 0, NULL, &rc);
	snprintf(expect, sizeof(expect), "%s: domain 'x' not found\n%s: web01: domain 'x' not found\n"
		 "%s: plain\n", p, p, p);
	assert_string_equal(err, expect);
	free(err);
}

/* Which URIs mean this host's KVM, and why the others are refused. */
static void connect_uris(void **state)
{
	static const char *const local[] = {
		"", "qemu:///system", "qemu:///session", "kvm:///system", "qemu+unix:///system",
		"qemu+unix:///session?socket=/run/user/1000/libvirt/virtqemud-sock", "qemu:///system#x",
	};
	static const struct { const char *uri, *why; int rc; } refused[] = {
		{ "qemu+ssh://host/system", "remote hosts are not supported yet", -EOPNOTSUPP },
		{ "qemu+ssh://root@host:22/system?keyfile=k", "remote hosts are not supported yet", -EOPNOTSUPP },
		{ "qemu+tls://host.example/system", "remote hosts are not supported yet", -EOPNOTSUPP },
		{ "qemu+tcp:///system", "remote hosts are not supported yet", -EOPNOTSUPP },
		{ "qemu+libssh2://h/system", "remote hosts are not supported yet", -EOPNOTSUPP },
		{ "qemu://localhost/system", "a host name, even this host's", -EOPNOTSUPP },
		{ "qemu+unix://host/system", "remote hosts are not supported yet", -EOPNOTSUPP },
		{ "test:///default", "vkit runs KVM guests only", -EOPNOTSUPP },
		{ "xen:///", "vkit runs KVM guests only", -EOPNOTSUPP },
		{ "lxc:///system", "vkit runs KVM guests only", -EOPNOTSUPP },
		{ "qemuu:///system", "vkit runs KVM guests only", -EOPNOTSUPP },
		{ "qem:///system", "vkit runs KVM guests only", -EOPNOTSUPP },
		{ "qemu:///embed?root=/tmp/x", "only /system and /session", -EOPNOTSUPP },
		{ "qemu:///", "only /system and /session", -EOPNOTSUPP },
		{ "qemu://", "only /system and /session", -EOPNOTSUPP },
		{ "qemu:///systemd", "only /system and /session", -EOPNOTSUPP },
		{ "qemu+foo:///system", "unknown transport 'foo'", -EINVAL },
		{ "qemu+:///system", "unknown transport ''", -EINVAL },
		{ "default", "is not a hypervisor URI", -EINVAL },
		{ "://system", "is not a hypervisor URI", -EINVAL },
		{ "qemu:/system", "is not a hypervisor URI", -EINVAL },
	};

	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		assert_int_equal(vk_connect_uri_check(local[i]), 0);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(vk_connect_uri_check(refused[i].uri), refused[i].rc);
		if (!strstr(vk_last_error(), refused[i].why))
			fail_msg("%s: '%s' lacks '%s'", refused[i].uri, vk_last_error(), refused[i].why);
	}
}

static char *connect_table_disk;
static const struct poptOption connect_table[] = {
	{ "disk", '\0', POPT_ARG_STRING, &connect_table_disk, 0, "a disk", "OPTS" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_connect_options, 0, NULL, NULL },
	POPT_TABLEEND
};

static int parse_connect(int argc, const char **argv)
{
	poptContext ctx = NULL;
	int rc = vk_options_parse(argc, argv, connect_table, NULL, &ctx);

	poptFreeContext(ctx);
	return rc;
}

/* --connect and LIBVIRT_DEFAULT_URI through vk_options_parse(); a table
 * without --connect (vrun's) does not look at the variable. */
static void connect_option(void **state)
{
	const char *local[] = { "vtest", "-c", "qemu:///system", NULL };
	const char *remote[] = { "vtest", "--connect=qemu+ssh://h/system", NULL };
	const char *none[] = { "vtest", NULL };
	char *err;
	int rc;

	unsetenv("LIBVIRT_DEFAULT_URI");
	assert_int_equal(parse_connect(3, local), 0);
	err = capture(2, parse_connect, 2, remote, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, ": --connect: 'qemu+ssh://h/system': remote hosts are not supported yet"));
	free(err);
	assert_int_equal(parse_connect(1, none), 0);

	setenv("LIBVIRT_DEFAULT_URI", "xen:///", 1);
	err = capture(2, parse_connect, 1, none, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, ": LIBVIRT_DEFAULT_URI: 'xen:///': vkit runs KVM guests only"));
	free(err);
	/* --connect wins over the variable, as in virsh */
	assert_int_equal(parse_connect(3, local), 0);
	assert_int_equal(parse(1, none), 0);
	setenv("LIBVIRT_DEFAULT_URI", "qemu:///session", 1);
	assert_int_equal(parse_connect(1, none), 0);
	unsetenv("LIBVIRT_DEFAULT_URI");
}

static int help_flag;
static char **help_nets;
static const struct poptOption wide_table[] = {
	{ "disk", 'd', POPT_ARG_STRING, &disk_arg, 0,
	  "a disk of the new machine, repeated once per disk; the sub-options say where its image is and how "
	  "the guest sees it", "path=PATH,size=GIB,format=raw|qcow2,bus=virtio,cache=MODE,device=disk|cdrom,"
	  "readonly=on,sparse=yes,backing_store=PATH,backing_format=raw|qcow2,serial=ID" },
	{ "flag", '\0', POPT_ARG_NONE, &help_flag, 0, "short", NULL },
	{ "net", '\0', POPT_ARG_ARGV, &help_nets, 0, "a NIC (repeatable)", "bridge=BR" },
	{ "hidden", '\0', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &help_flag, 0, "not shown", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_connect_options, 0, NULL, NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

static int print_wide_help(int argc, const char **argv)
{
	vk_options_print_help(stdout, wide_table, "NAME");
	return 0;
}

/* --help fits 80 columns whatever the table holds, and loses nothing. */
static void help_fits(void **state)
{
	char *out, *line, *save = NULL, flat[4096];
	size_t i, j;
	int rc;

	out = capture(1, print_wide_help, 0, NULL, &rc);
	assert_non_null(strstr(out, "Usage: "));
	assert_non_null(strstr(out, " [OPTION...] NAME\n"));
	assert_non_null(strstr(out, "  -d, --disk=path=PATH,size=GIB,"));
	assert_non_null(strstr(out, "backing_format=raw|qcow2,serial=ID\n"));
	/* the description whole, once the wrapping is undone */
	assert_true(strlen(out) < sizeof(flat));
	for (i = j = 0; out[i]; i++)
		if (!isspace((unsigned char)out[i]) || (j && flat[j - 1] != ' '))
			flat[j++] = isspace((unsigned char)out[i]) ? ' ' : out[i];
	flat[j] = '\0';
	assert_non_null(strstr(flat, "a disk of the new machine, repeated once per disk; the sub-options say "
				     "where its image is and how the guest sees it --flag short"));
	assert_non_null(strstr(out, "      --flag "));
	/* popt's separator for a repeatable option is a space */
	assert_non_null(strstr(out, "      --net bridge=BR "));
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "  -c, --connect=URI "));
	assert_non_null(strstr(out, "\nCommon options:\n  -q, --quiet"));
	assert_non_null(strstr(out, "\nHelp options:\n  -?, --help"));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > 79)
			fail_msg("%zu columns: %s", strlen(line), line);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version),
		cmocka_unit_test(quiet_and_debug),
		cmocka_unit_test(bad_option),
		cmocka_unit_test(reports),
		cmocka_unit_test(connect_uris),
		cmocka_unit_test(connect_option),
		cmocka_unit_test(help_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
