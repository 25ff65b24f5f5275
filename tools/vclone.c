/* vclone.c - clone a VM definition and its disks, virt-clone style. */
#include "config.h"

#include <errno.h>
#include <popt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/options.h"
#include "common/vm/clone.h"
#include "common/vm/statedir.h"
#include "common/vm/vmdef.h"

#define MAX_LIST 64

static struct {
	const char *original, *original_config, *name, *uuid;
	const char *files[MAX_LIST], *macs[MAX_LIST], *skip[MAX_LIST];
	int n_files, n_macs, n_skip;
	int auto_clone, reflink, nonsparse, preserve, print_config, linked, force;
	int reset_identity;
	const char *check;
} opt;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static int list_option(const char *arg, const char **list, int *n, const char *what)
{
	if (*n >= MAX_LIST)
		return vk_errorx(E2BIG, "too many %s options (at most %d)", what, MAX_LIST);
	/* popt reuses arg's storage: keep a copy (freed at exit). */
	if (!(list[*n] = strdup(arg)))
		return vk_error(ENOMEM, "%s", what);
	(*n)++;
	return 0;
}

/* popt callback collecting the repeatable options (-f, --mac, --skip-copy). */
enum { OPT_FILE = 1, OPT_MAC, OPT_SKIP, OPT_CHECK };
static void collect(poptContext ctx, enum poptCallbackReason reason, const struct poptOption *o,
		    const char *arg, void *data)
{
	int rc = 0;

	if (reason != POPT_CALLBACK_REASON_OPTION)
		return;
	if (o->val == OPT_FILE)
		rc = list_option(arg, opt.files, &opt.n_files, "--file");
	else if (o->val == OPT_MAC)
		rc = list_option(arg, opt.macs, &opt.n_macs, "--mac");
	else if (o->val == OPT_SKIP)
		rc = list_option(arg, opt.skip, &opt.n_skip, "--skip-copy");
	else if (o->val == OPT_CHECK && !(opt.check = strdup(arg ? arg : "")))
		rc = vk_error(ENOMEM, "--check");
	if (rc < 0) {
		vk_report(NULL);
		exit(1);
	}
}

static struct poptOption repeat_options[] = {
	{ NULL, '\0', POPT_ARG_CALLBACK, (void *)collect, 0, NULL, NULL },
	{ "file", 'f', POPT_ARG_STRING, NULL, OPT_FILE, "new disk image file (once per disk)", "FILE" },
	{ "mac", 'm', POPT_ARG_STRING, NULL, OPT_MAC, "new MAC address (once per NIC; RANDOM)", "MAC" },
	{ "skip-copy", '\0', POPT_ARG_STRING, NULL, OPT_SKIP, "keep this disk's path (vda, sdb, ...)", "TARGET" },
	{ "check", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, OPT_CHECK,
	  "print the plan and check it, changing nothing", NULL },
	POPT_TABLEEND
};

static struct poptOption options[] = {
	{ "original", 'o', POPT_ARG_STRING, &opt.original, 0, "name of the VM to clone", "NAME" },
	{ "original-config", '\0', POPT_ARG_STRING, &opt.original_config, 0,
	  "JSON definition file to clone instead of a defined VM", "FILE" },
	{ "name", 'n', POPT_ARG_STRING, &opt.name, 0, "name of the clone", "NAME" },
	{ "uuid", 'u', POPT_ARG_STRING, &opt.uuid, 0, "UUID of the clone (default random)", "UUID" },
	{ "auto-clone", '\0', POPT_ARG_NONE, &opt.auto_clone, 0, "generate the name and disk paths", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, repeat_options, 0, NULL, NULL },
	{ "reflink", '\0', POPT_ARG_NONE, &opt.reflink, 0, "require a copy-on-write (reflink) copy", NULL },
	{ "nonsparse", '\0', POPT_ARG_NONE, &opt.nonsparse, 0, "allocate every byte of the new disks", NULL },
	{ "preserve-data", '\0', POPT_ARG_NONE, &opt.preserve, 0,
	  "do not copy: use the existing files given with -f", NULL },
	{ "linked", '\0', POPT_ARG_NONE, &opt.linked, 0, "new disks are qcow2 overlays on the original's", NULL },
	{ "reset-identity", '\0', POPT_ARG_NONE, &opt.reset_identity, 0,
	  "reset machine-id, SSH host keys, hostname inside the clone", NULL },
	{ "force", '\0', POPT_ARG_NONE, &opt.force, 0, "clone even a running VM (pausing it)", NULL },
	{ "print-config", '\0', POPT_ARG_NONE, &opt.print_config, 0,
	  "print the clone's definition instead of creating it", NULL },
	/* virt-clone's spelling, so its command lines work unchanged. */
	{ "print-xml", '\0', POPT_ARG_NONE, &opt.print_config, 0,
	  "virt-clone's name for --print-config (the definition is JSON)", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

/* The options as the library's request (common/vm/clone.h). */
static void request_from_options(struct vk_clone_request *r)
{
	*r = (struct vk_clone_request){
		.name = opt.name, .uuid = opt.uuid, .files = opt.files, .n_files = opt.n_files,
		.macs = opt.macs, .n_macs = opt.n_macs, .skip = opt.skip, .n_skip = opt.n_skip,
		.auto_clone = opt.auto_clone, .reflink = opt.reflink, .nonsparse = opt.nonsparse,
		.preserve = opt.preserve, .linked = opt.linked, .reset_identity = opt.reset_identity,
		.interrupted = &interrupted,
	};
}

static int load_original(struct vk_vm **out)
{
	if (opt.original_config)
		return vk_vm_load(opt.original_config, out);
	return vk_vm_lookup(opt.original, out);
}

/* The options' mistakes virt-clone refuses before it reads anything. */
static int check_options(void)
{
	if (!opt.original == !opt.original_config)
		return vk_errorx(EINVAL, "give exactly one of --original NAME and --original-config FILE");
	if (!opt.name && !opt.auto_clone)
		return vk_errorx(EINVAL, "a --name for the clone is required (or --auto-clone to generate one)");
	if ((opt.linked && (opt.preserve || opt.reflink || opt.nonsparse)) || (opt.reflink && opt.nonsparse))
		return vk_errorx(EINVAL, "--linked, --preserve-data, --reflink and --nonsparse exclude each other "
				 "(except --reflink with --preserve-data, which does nothing)");
	if (opt.check && *opt.check && strcmp(opt.check, "all=on") != 0 && strcmp(opt.check, "all=off") != 0)
		return vk_errorx(EINVAL, "--check takes no value here (virt-clone's path_in_use=off etc. are "
				 "not supported)");
	return 0;
}

/* A running original is refused, or (--force) paused for a copy; *running says which. */
static int check_running(const struct vk_vm *orig, bool *running)
{
	*running = vk_vm_running_pid(orig->name) > 0;
	if (*running && !opt.force)
		return vk_errorx(EBUSY, "is running; shut it down first (or --force to pause it during the copy)");
	if (*running && opt.linked)
		/* An overlay on a disk that goes on changing under it. */
		return vk_errorx(EBUSY, "is running; --linked needs it shut down (--force pauses it only for "
				 "a copy)");
	return 0;
}

static int print_definition(const struct vk_vm *vm)
{
	char *json = vk_vm_to_json(vm);

	if (!json)
		return vk_error(errno, "definition");
	fputs(json, stdout);
	if (!*json || json[strlen(json) - 1] != '\n')
		putchar('\n');
	free(json);
	return 0;
}

int main(int argc, char **argv)
{
	struct vk_clone_request req = { 0 };
	struct vk_clone_plan *plan = NULL;
	struct vk_vm *orig = NULL;
	poptContext ctx = NULL;
	int rc, lock_fd = -1;
	bool running = false, dry;

	rc = vk_options_parse(argc, (const char **)argv, options, "--original NAME --name NEW --file PATH...",
			      &ctx);
	if (rc != 0)
		return rc > 0 ? 0 : 1;
	rc = poptPeekArg(ctx) ? vk_errorx(EINVAL, "unexpected argument '%s'", poptPeekArg(ctx)) : check_options();
	if (rc < 0) {
		vk_report(NULL);
		goto out;
	}
	dry = opt.print_config || opt.check;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if ((rc = load_original(&orig)) < 0) {
		vk_report(NULL);
		goto out;
	}
	if (opt.original && !dry &&
	    ((rc = vk_clone_lock_source(orig->name, &interrupted, &lock_fd)) < 0 ||
	     (rc = check_running(orig, &running)) < 0)) {
		vk_report_object(orig->name);
		goto out;
	}
	request_from_options(&req);
	if ((rc = vk_clone_plan_build(&req, orig, &plan)) < 0) {
		vk_report_object(orig->name);
		goto out;
	}
	if (opt.check) {
		vk_clone_describe(plan, stdout);
		/* virt-clone's --check all=off turns its checks off; so here. */
		fflush(stdout);
		if (strcmp(opt.check, "all=off") != 0 && vk_clone_check(plan) > 0)
			rc = -EINVAL;
	} else if (opt.print_config) {
		if ((rc = print_definition(vk_clone_plan_vm(plan))) < 0)
			vk_report(NULL);
	} else if ((rc = vk_clone_run(plan, running)) < 0) {
		vk_report_object(vk_clone_plan_vm(plan)->name);
	} else if (!vk_quiet) {
		printf("Clone '%s' created successfully.\n", vk_clone_plan_vm(plan)->name);
	}
out:
	vk_clone_plan_free(plan);
	vk_vm_free(orig);
	if (lock_fd >= 0)
		close(lock_fd);
	poptFreeContext(ctx);
	return rc < 0 ? 1 : 0;
}
