/* vctl.c - the lifecycle of defined VMs, with virsh's subcommands and output: list, start, shutdown, console, disks. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util/clock.h"
#include "common/vm/console-relay.h"
#include "common/vm/control-client.h"
#include "common/vm/lifecycle.h"
#include "common/vm/vmstats.h"
#include "common/util/error.h"
#include "common/image/image.h"
#include "common/util/options.h"
#include "common/vm/statedir.h"
#include "common/vm/vmdef.h"
#include "common/vm/vmlaunch.h"
#include "tools/vctl.h"

struct vctl_options opt;

enum {
	O_ALL = 1 << 0, O_NAME = 1 << 1, O_CONSOLE = 1 << 2, O_STORAGE = 1 << 3, O_DISABLE = 1 << 4,
	O_CONFIG = 1 << 5, O_DRIVER = 1 << 6, O_DISK = 1 << 7, O_AUTOSTART = 1 << 8, O_LIST_AUTOSTART = 1 << 9,
	O_FORCE = 1 << 10, O_BRIDGE = 1 << 11, O_DRY_RUN = 1 << 12, O_MAC = 1 << 13, O_MODEL = 1 << 14,
	O_REASON = 1 << 15, O_DETAILS = 1 << 16,
};

static struct poptOption vctl_options[] = {
	{ "all", '\0', POPT_ARG_NONE, &opt.all, 0, "list: stopped VMs too", NULL },
	{ "name", '\0', POPT_ARG_NONE, &opt.names, 0, "list: names only", NULL },
	{ "autostart", '\0', POPT_ARG_NONE, &opt.autostart, 0,
	  "list: only VMs marked autostart; start (no NAME): every such VM not running", NULL },
	{ "no-autostart", '\0', POPT_ARG_NONE, &opt.no_autostart, 0, "list: only VMs not marked autostart", NULL },
	{ "console", '\0', POPT_ARG_NONE, &opt.console, 0, "start: attach to the console once started", NULL },
	{ "remove-all-storage", '\0', POPT_ARG_NONE, &opt.remove_storage, 0,
	  "undefine: remove the VM's disk images too", NULL },
	{ "force", '\0', POPT_ARG_NONE, &opt.force, 0,
	  "undefine: remove a definition file that does not parse (its disks are left alone)", NULL },
	{ "disable", '\0', POPT_ARG_NONE, &opt.disable, 0, "autostart: clear the flag", NULL },
	{ "config", '\0', POPT_ARG_NONE, &opt.config, 0, "attach-disk, detach-disk: change the definition", NULL },
	{ "persistent", '\0', POPT_ARG_NONE, &opt.persistent, 0, "the same as --config (vrun has no hot-plug)", NULL },
	{ "live", '\0', POPT_ARG_NONE, &opt.live, 0, "refused: vrun has no hot-plug", NULL },
	{ "driver", '\0', POPT_ARG_STRING, &opt.driver, 0, "attach-disk: qemu (the only one)", "qemu" },
	{ "subdriver", '\0', POPT_ARG_STRING, &opt.subdriver, 0, "attach-disk: the image's format (default raw)",
	  "raw|qcow2" },
	{ "mode", '\0', POPT_ARG_STRING, &opt.mode, 0, "attach-disk", "readonly|shareable" },
	{ "type", '\0', POPT_ARG_STRING, &opt.type, 0, "attach-disk", "disk|cdrom" },
	{ "cache", '\0', POPT_ARG_STRING, &opt.cache, 0, "attach-disk", "none|writeback|..." },
	{ "serial", '\0', POPT_ARG_STRING, &opt.serial, 0, "attach-disk: the disk's serial", "ID" },
	{ "targetbus", '\0', POPT_ARG_STRING, &opt.targetbus, 0, "attach-disk: virtio (the only one)", "virtio" },
	{ "no-stp", '\0', POPT_ARG_NONE, &opt.no_stp, 0, "iface-bridge: the new bridge runs no STP", NULL },
	{ "delay", '\0', POPT_ARG_STRING, &opt.delay, 0, "iface-bridge: the bridge's forward delay (default 0)",
	  "SECONDS" },
	{ "dry-run", '\0', POPT_ARG_NONE, &opt.dry_run, 0, "iface-bridge, iface-unbridge: say what would be done",
	  NULL },
	{ "mac", '\0', POPT_ARG_STRING, &opt.mac, 0,
	  "net-dhcp-leases: only this MAC's leases; attach-interface: the NIC's MAC; detach-interface: which NIC", "MAC" },
	{ "model", '\0', POPT_ARG_STRING, &opt.model, 0, "attach-interface: virtio (the only one)", "virtio" },
	{ "reason", '\0', POPT_ARG_NONE, &opt.reason, 0, "domstate: why it is in that state", NULL },
	{ "details", '\0', POPT_ARG_NONE, &opt.details, 0, "domblklist: each disk's type and device too", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_connect_options, 0, NULL, NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_help_short_options, 0, NULL, NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

static const char usage_text[] =
	"COMMAND [DOMAIN] [ARG]...\n"
	"DOMAIN is a VM's name, the Id list prints, or its UUID.\n"
	"Commands:\n"
	"  help [COMMAND]\n"
	"  list [--all] [--name] [--autostart|--no-autostart]\n"
	"  dominfo NAME\n"
	"  domstate NAME [--reason] | domid NAME | domuuid NAME | domname ID|UUID\n"
	"  domblklist NAME [--details]   the disks: target and source\n"
	"  dumpconfig NAME           the JSON definition\n"
	"  edit NAME                 the definition in $VISUAL or $EDITOR, checked\n"
	"  start NAME [--console]\n"
	"  start --autostart          every VM marked autostart (at host boot)\n"
	"  shutdown NAME             ACPI power button\n"
	"  reboot NAME               ACPI power button, then boot again\n"
	"  reset NAME                hard reset, the guest is not asked\n"
	"  destroy NAME              stop at once\n"
	"  suspend NAME | resume NAME\n"
	"  console NAME              Ctrl-] detaches\n"
	"  undefine NAME [--remove-all-storage] [--force]\n"
	"  autostart NAME [--disable]\n"
	"  attach-disk NAME SOURCE TARGET --config [--subdriver raw|qcow2]\n"
	"      [--mode readonly]\n"
	"  detach-disk NAME TARGET --config\n"
	"  attach-interface NAME network|bridge SOURCE --config [--mac MAC]\n"
	"      [--model virtio]\n"
	"  detach-interface NAME network|bridge --config [--mac MAC]\n"
	"  domiflist NAME | domifaddr NAME   a VM's NICs; their DHCP leases' addresses\n"
	"  net-list [--all] [--name] | net-info NET\n"
	"  net-define FILE | net-undefine NET   a network's JSON definition\n"
	"  net-start NET | net-destroy NET | net-autostart NET [--disable]\n"
	"  net-dhcp-leases NET [--mac MAC]\n"
	"  iface-bridge IFACE BRIDGE [--no-stp] [--delay N] [--dry-run]\n"
	"      put IFACE on a new bridge\n"
	"  iface-unbridge BRIDGE [--dry-run]   put the bridge's port back in its place";

/* ---- what state a VM is in ---- */

struct vm_state {
	int pid;			/* vrun's, 0: not running */
	const char *state;		/* virsh's words */
};

static int vm_state_get(const char *name, struct vm_state *s)
{
	return vk_vm_state(name, &s->pid, &s->state);
}

int vctl_need_running(const char *name, int *pid)
{
	return vk_vm_need_running(name, pid);
}

/* ---- list, dominfo ---- */

/* virsh's table: a space before each cell, two after all but the last,
 * and a rule as wide as the columns plus three each. */
void vctl_print_table(char *const *cells, size_t rows, size_t cols)
{
	size_t w[8] = { 0 }, rule = 0, i, j;

	if (cols > sizeof(w) / sizeof(w[0]))
		cols = sizeof(w) / sizeof(w[0]);
	for (i = 0; i < rows; i++)
		for (j = 0; j < cols; j++)
			if (strlen(cells[i * cols + j]) > w[j])
				w[j] = strlen(cells[i * cols + j]);
	for (j = 0; j < cols; j++)
		rule += w[j] + 3;
	/* -q leaves the header out, as virsh -q does */
	for (i = vk_quiet ? 1 : 0; i < rows; i++) {
		for (j = 0; j < cols; j++)
			printf(" %-*s%s", j + 1 < cols ? (int)w[j] : 0, cells[i * cols + j], j + 1 < cols ? "  " : "\n");
		if (i == 0) {
			for (j = 0; j < rule; j++)
				putchar('-');
			putchar('\n');
		}
	}
}

/* 1 when NAME's definition is marked autostart, 0 when not. */
static int marked_autostart(const char *name)
{
	struct vk_vm *vm = NULL;
	int rc = vk_vm_lookup(name, &vm);

	if (rc == 0)
		rc = vm->autostart;
	vk_vm_free(vm);
	return rc;
}

/* Why name's definition does not load (the file and the parser's
 * line), or NULL when it does; kept until the next call. */
static const char *definition_damage(const char *name)
{
	static char why[1024];
	struct vk_vm *vm = NULL;
	int rc = vk_vm_lookup(name, &vm);

	vk_vm_free(vm);
	if (rc == 0)
		return NULL;
	snprintf(why, sizeof(why), "%s", vk_last_error());
	vk_error_clear();
	return why;
}

static int cmd_list(char **args)
{
	char **names = NULL, *(*cells)[3] = NULL;
	size_t n = 0, i, rows = 1;
	struct vm_state s = { 0 };
	int rc;

	(void)args;
	if (opt.autostart && opt.no_autostart)
		return vk_errorx(EINVAL, "--autostart and --no-autostart: give one of them");
	rc = vk_vm_list(&names, &n);
	if (rc < 0)
		return rc;
	cells = calloc(n + 1, sizeof(*cells));
	if (!cells) {
		rc = vk_error(ENOMEM, "list");
		goto out;
	}
	cells[0][0] = strdup("Id");
	cells[0][1] = strdup("Name");
	cells[0][2] = strdup("State");
	for (i = 0; i < n; i++) {
		const char *damage = definition_damage(names[i]);

		rc = vm_state_get(names[i], &s);
		if (rc < 0 && s.pid > 0) {
			/* Listed all the same, and said why its state may be wrong. */
			fprintf(stderr, "vctl: %s: warning: %s; listed as running\n", names[i], vk_last_error());
			vk_error_clear();
			rc = 0;
		}
		if (rc < 0)
			goto out;
		if (!s.pid && !opt.all)
			continue;
		if (damage) {
			/* Not "shut off": it cannot start until its file is fixed. */
			fprintf(stderr, "vctl: %s: error: %s; fix the file, or remove it with "
				"vctl undefine %s --force\n", names[i], damage, names[i]);
			if (!s.pid)
				s.state = "error (definition does not parse)";
		}
		if (damage && (opt.autostart || opt.no_autostart))
			continue;
		if (opt.autostart || opt.no_autostart) {
			rc = marked_autostart(names[i]);
			if (rc < 0)
				goto out;
			if (rc != !!opt.autostart)
				continue;
		}
		if (opt.names) {
			printf("%s\n", names[i]);
			continue;
		}
		if (s.pid)
			rc = asprintf(&cells[rows][0], "%d", s.pid);
		else
			cells[rows][0] = strdup("-");
		cells[rows][1] = strdup(names[i]);
		cells[rows][2] = strdup(s.state);
		if (rc < 0 || !cells[rows][0] || !cells[rows][1] || !cells[rows][2]) {
			rows++;
			rc = vk_error(ENOMEM, "list");
			goto out;
		}
		rows++;
	}
	if (!opt.names)
		vctl_print_table(&cells[0][0], rows, 3);
	printf("\n");
	rc = 0;
out:
	for (i = 0; cells && i < rows; i++)
		for (int j = 0; j < 3; j++)
			free(cells[i][j]);
	free(cells);
	vk_strv_free(names);
	return rc;
}

/* The vCPUs' CPU time from stats, in seconds. */
static int cpu_seconds(const char *name, double *total)
{
	struct vk_vm_sample *sample = malloc(sizeof(*sample));	/* 4 KiB of per-vCPU arrays */
	int rc = sample ? vk_vm_sample_get(name, sample) : vk_error(ENOMEM, "stats");

	*total = rc == 0 ? (double)sample->cpu_ns / 1e9 : 0;
	free(sample);
	return rc;
}

/* Nothing is printed unless every line can be: a VM whose socket gives
 * no answer fails with the reason, as virsh does, rather than leaving out
 * its CPU time. */
static int cmd_dominfo(char **args)
{
	const char *name = args[0];
	struct vk_vm *vm = NULL;
	struct vm_state s = { 0 };
	double cpu = 0;
	int rc = vk_vm_lookup(name, &vm);

	if (rc == 0)
		rc = vm_state_get(name, &s);
	if (rc == 0 && s.pid)
		rc = cpu_seconds(name, &cpu);
	if (rc < 0)
		goto out;
	if (s.pid)
		printf("%-15s %d\n", "Id:", s.pid);
	else
		printf("%-15s %s\n", "Id:", "-");
	printf("%-15s %s\n", "Name:", vm->name);
	printf("%-15s %s\n", "UUID:", vm->uuid);
	printf("%-15s %s\n", "OS Type:", "hvm");
	printf("%-15s %s\n", "State:", s.state);
	printf("%-15s %u\n", "CPU(s):", vm->vcpus);
	if (s.pid)
		printf("%-15s %.1fs\n", "CPU time:", cpu);
	printf("%-15s %" PRIu64 " KiB\n", "Max memory:", vm->max_memory_mib * 1024);
	printf("%-15s %" PRIu64 " KiB\n", "Used memory:", vm->memory_mib * 1024);
	printf("%-15s %s\n", "Autostart:", vm->autostart ? "enable" : "disable");
	/* Not in virsh's dominfo: how vrun boots this domain. */
	if (vm->boot.kind == VK_BOOT_KERNEL)
		printf("%-15s kernel %s\n", "Boot:", vm->boot.kernel);
	else
		printf("%-15s disk, through the firmware (order %s)\n", "Boot:",
		       vm->boot.order ? vm->boot.order : "hd,cdrom,network");
	printf("\n");
out:
	vk_vm_free(vm);
	return rc;
}

/* ---- console ---- */

/*
 * The user's terminal on the pty until Ctrl-], the end of input or the
 * VM's end.  The escape is virsh's: Ctrl-] alone detaches, and no key
 * stops the VM (vctl shutdown or destroy do, asked for by name).
 * l: the vrun this vctl started, or one attached to.
 */
static int relay_console(struct vk_launch *l)
{
	const struct vk_watch_opts o = { .attach = true, .deadline_ms = -1, .msgs_fd = -1, .console_session = true,
					 .escape_detaches = true };
	struct vk_watch_result r;
	int rc;

	printf("Connected to domain '%s'\nEscape character is ^] (Ctrl + ])\n", l->name);
	fflush(stdout);
	rc = vk_launch_watch(l, &o, &r);
	if (rc < 0)
		return rc;
	if (r.exited || r.console_closed || r.quit)
		printf("\nDomain '%s' stopped\n", l->name);
	else
		printf("\n");
	return 0;
}

/* The pty of a running VM, from its status (docs/control.md). */
static int console_pty(const char *name, char **pty)
{
	struct vk_vm_status st;
	int rc = vctl_need_running(name, NULL);

	*pty = NULL;
	if (rc == 0)
		rc = vk_vm_status_get(name, &st);
	if (rc < 0)
		return rc;
	switch (st.console) {
	case VK_VM_CONSOLE_UNKNOWN:
		return vk_errorx(ENOTSUP, "its vrun does not say where its console is (a vrun older than vctl); "
				 "look for \"console is\" in its messages (log/%s.vrun.log)", name);
	case VK_VM_CONSOLE_FILE:
		return vk_errorx(ENOTSUP, "its console is written to %s, not a pty; read it there (tail -f %s)",
				 st.console_path, st.console_path);
	case VK_VM_CONSOLE_STDIO:
		return vk_errorx(ENOTSUP, "its console is vrun's own terminal (started as vrun --console stdio), "
				 "not a pty; vctl console attaches only to a pty (vctl start gives one)");
	case VK_VM_CONSOLE_PTY:
		break;
	}
	*pty = strdup(st.console_path);
	return *pty ? 0 : vk_error(ENOMEM, "console");
}

static int cmd_console(char **args)
{
	struct vk_launch l;
	char *pty = NULL;
	int rc = console_pty(args[0], &pty);

	if (rc == 0)
		rc = vk_launch_attach(args[0], pty, &l);
	if (rc == 0)
		rc = relay_console(&l);
	free(pty);
	return rc;
}

/* ---- start ---- */

static int start_vm(const char *name)
{
	struct vk_launch l;
	struct vk_vm *vm = NULL;
	int rc = vk_vm_start(name, "vctl", &l);

	if (rc < 0)
		return rc;
	printf("Domain '%s' started\n", name);
	fflush(stdout);
	if (opt.console && !l.pty[0]) {
		rc = vk_vm_lookup(name, &vm);
		if (rc == 0)
			rc = vk_errorx(ENOTSUP, "started, but its console is %s, not a pty; nothing to attach to",
				       vm->console.kind == VK_CONSOLE_FILE ? vm->console.path : "a log file");
	} else if (opt.console) {
		rc = relay_console(&l);
	}
	vk_launch_close(&l);
	vk_vm_free(vm);
	return rc;
}

/* What libvirtd does when it starts: every network, then every VM marked
 * autostart that is not running is started; one that fails is reported
 * and the others still start.  vkit has no daemon, so the vkit-autostart
 * unit runs this at boot. */
static int start_autostarted(void)
{
	char **names = NULL;
	size_t n = 0, failed = 0, net_failed = vctl_start_autostarted_networks();
	int rc = vk_vm_list(&names, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		int marked = marked_autostart(names[i]);

		if (marked == 1 && vk_vm_running_pid(names[i]) == 0)
			marked = start_vm(names[i]);
		if (marked < 0) {
			vk_report_object(names[i]);
			failed++;
		}
	}
	if (rc == 0 && failed)
		rc = vk_errorx(EIO, "start --autostart: %zu domain%s failed to start (above)", failed,
			       failed == 1 ? "" : "s");
	else if (rc == 0 && net_failed)
		rc = vk_errorx(EIO, "start --autostart: %zu network%s failed to start (above)", net_failed,
			       net_failed == 1 ? "" : "s");
	vk_strv_free(names);
	return rc;
}

static int cmd_start(char **args)
{
	if (!opt.autostart)
		return start_vm(args[0]);
	if (opt.console)
		return vk_errorx(EINVAL, "--console: not with --autostart (attach with vctl console NAME)");
	return start_autostarted();
}

/* ---- shutdown, destroy, suspend, resume ---- */

/* What shutdown and reboot say: virsh's line, and a warning naming the
 * command that does not ask the guest (instead) when the guest has not
 * enabled the power button. */
static int report_button(const char *name, int rc, bool listening, const char *what, const char *instead)
{
	if (rc < 0)
		return rc;
	printf("Domain '%s' is being %s\n", name, what);
	if (!listening) {
		fflush(stdout);
		fprintf(stderr, "vctl: %s: warning: the guest has not enabled the ACPI power button, so it may "
			"ignore this; vctl %s %s %s it at once\n", name, instead, name,
			strcmp(instead, "reset") ? "stops" : "resets");
	}
	return 0;
}

static int cmd_shutdown(char **args)
{
	bool listening = true;
	int rc = vk_vm_shutdown(args[0], &listening);

	return report_button(args[0], rc, listening, "shutdown", "destroy");
}

static int cmd_reboot(char **args)
{
	bool listening = true;
	int rc = vk_vm_reboot(args[0], &listening);

	return report_button(args[0], rc, listening, "rebooted", "reset");
}

static int cmd_reset(char **args)
{
	int rc = vk_vm_reset(args[0]);

	if (rc == 0)
		printf("Domain '%s' was reset\n", args[0]);
	return rc;
}

static int cmd_destroy(char **args)
{
	int rc = vk_vm_destroy(args[0]);

	if (rc == 0)
		printf("Domain '%s' destroyed\n", args[0]);
	return rc;
}

static int cmd_suspend(char **args)
{
	int rc = vk_vm_suspend(args[0]);

	if (rc == 0)
		printf("Domain '%s' suspended\n", args[0]);
	return rc;
}

static int cmd_resume(char **args)
{
	int rc = vk_vm_resume(args[0]);

	if (rc == 0)
		printf("Domain '%s' resumed\n", args[0]);
	return rc;
}

/* ---- undefine, autostart ---- */

static int cmd_undefine(char **args)
{
	const char *name = args[0];
	struct vk_vm *vm = NULL;
	char target[16], *path = NULL;
	int rc = vk_vm_lookup(name, &vm), pid, failed = 0;

	/* A definition that does not parse (hand-edited, from a newer vkit,
	 * damaged) still names a file the user wants gone; --force removes
	 * it, and only it: what its disks are cannot be known. */
	if (rc < 0 && rc != -ENOENT && vk_vm_def_path(&path, name) == 0) {
		if (!opt.force) {
			char why[VK_ERRMSG_MAX];

			snprintf(why, sizeof(why), "%s", vk_last_error());
			rc = vk_errorx(-rc, "%s; to remove the file anyway: vctl undefine %s --force "
				       "(its disks are left alone)", why, name);
			goto out;
		}
		fprintf(stderr, "vctl: %s: removing %s, which does not parse: %s\n", name, path, vk_last_error());
		if (opt.remove_storage)
			fprintf(stderr, "vctl: %s: no disk removed: they are not known without a definition\n",
				name);
		rc = 0;
	} else if (rc < 0) {
		goto out;
	}
	pid = vk_vm_running_pid(name);
	if (pid > 0) {
		rc = vk_errorx(EBUSY, "domain is running (pid %d); stop it first with vctl shutdown %s "
			       "(or vctl destroy %s)", pid, name, name);
		goto out;
	}
	/* The definition goes first: a disk removed under a definition that
	 * stayed would leave a VM that cannot start. */
	rc = vk_vm_undefine(name);
	if (rc < 0)
		goto out;
	vk_vm_remove_boot_files(name);
	for (size_t i = 0; opt.remove_storage && vm && i < vm->n_disks; i++) {
		vk_disk_target_name("vd", i, target, sizeof(target));
		if (vm->disks[i].device == VK_DEVICE_CDROM) {
			if (!vk_quiet)
				printf("Volume '%s'(%s) kept: a cdrom is an installation medium, not the VM's "
				       "storage\n", target, vm->disks[i].path);
		} else if (unlink(vm->disks[i].path) < 0 && errno != ENOENT) {
			fprintf(stderr, "vctl: %s: disk %s: %s\n", name, vm->disks[i].path, strerror(errno));
			failed++;
		} else {
			printf("Volume '%s'(%s) removed.\n", target, vm->disks[i].path);
		}
	}
	printf("Domain '%s' has been undefined\n", name);
	if (failed)
		rc = vk_errorx(EIO, "undefined, but %d of its disks could not be removed (above)", failed);
out:
	vk_vm_free(vm);
	free(path);
	return rc;
}

static int cmd_autostart(char **args)
{
	bool on = !opt.disable;
	int rc = vk_vm_set_autostart(args[0], on);

	if (rc == 0)
		printf("Domain '%s' %s as autostarted\n", args[0], on ? "marked" : "unmarked");
	return rc;
}

/* ---- the command table ---- */

struct command {
	const char *name;
	int (*run)(char **args);
	int nargs;			/* after the command */
	const char *args_usage;
	unsigned options;
	bool domain;			/* the first argument is a domain: name, Id or UUID */
};

static int cmd_help(char **args);

static const struct command commands[] = {
	{ "help", cmd_help, -1, "[COMMAND]", 0, false },
	{ "list", cmd_list, 0, "", O_ALL | O_NAME | O_AUTOSTART | O_LIST_AUTOSTART, false },
	{ "dominfo", cmd_dominfo, 1, "NAME", 0, true },
	{ "domstate", vctl_domstate, 1, "NAME", O_REASON, true },
	{ "domid", vctl_domid, 1, "NAME", 0, true },
	{ "domuuid", vctl_domuuid, 1, "NAME", 0, true },
	{ "domname", vctl_domname, 1, "ID|UUID", 0, true },
	{ "domblklist", vctl_domblklist, 1, "NAME", O_DETAILS, true },
	{ "dumpconfig", vctl_dumpconfig, 1, "NAME", 0, true },
	{ "edit", vctl_edit, 1, "NAME", 0, true },
	{ "start", cmd_start, 1, "NAME", O_CONSOLE | O_AUTOSTART, true },
	{ "shutdown", cmd_shutdown, 1, "NAME", 0, true },
	{ "destroy", cmd_destroy, 1, "NAME", 0, true },
	{ "reboot", cmd_reboot, 1, "NAME", 0, true },
	{ "reset", cmd_reset, 1, "NAME", 0, true },
	{ "suspend", cmd_suspend, 1, "NAME", 0, true },
	{ "resume", cmd_resume, 1, "NAME", 0, true },
	{ "console", cmd_console, 1, "NAME", 0, true },
	{ "undefine", cmd_undefine, 1, "NAME", O_STORAGE | O_FORCE, true },
	{ "autostart", cmd_autostart, 1, "NAME", O_DISABLE, true },
	{ "attach-disk", vctl_attach_disk, 3, "NAME SOURCE TARGET", O_CONFIG | O_DRIVER | O_DISK, true },
	{ "detach-disk", vctl_detach_disk, 2, "NAME TARGET", O_CONFIG, true },
	{ "attach-interface", vctl_attach_interface, 3, "NAME TYPE SOURCE", O_CONFIG | O_MAC | O_MODEL, true },
	{ "detach-interface", vctl_detach_interface, 2, "NAME TYPE", O_CONFIG | O_MAC, true },
	{ "domiflist", vctl_domiflist, 1, "NAME", 0, true },
	{ "domifaddr", vctl_domifaddr, 1, "NAME", 0, true },
	{ "net-list", vctl_net_list, 0, "", O_ALL | O_NAME, false },
	{ "net-info", vctl_net_info, 1, "NET", 0, false },
	{ "net-define", vctl_net_define, 1, "FILE", 0, false },
	{ "net-undefine", vctl_net_undefine, 1, "NET", 0, false },
	{ "net-start", vctl_net_start, 1, "NET", 0, false },
	{ "net-destroy", vctl_net_destroy, 1, "NET", 0, false },
	{ "net-autostart", vctl_net_autostart, 1, "NET", O_DISABLE, false },
	{ "net-dhcp-leases", vctl_net_dhcp_leases, 1, "NET", O_MAC, false },
	{ "iface-bridge", vctl_iface_bridge, 2, "IFACE BRIDGE", O_BRIDGE | O_DRY_RUN, false },
	{ "iface-unbridge", vctl_iface_unbridge, 1, "BRIDGE", O_DRY_RUN, false },
};

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* help: the whole --help; help COMMAND: its usage and the lines of the
 * command list that name it, as virsh help COMMAND does. */
static int cmd_help(char **args)
{
	const struct command *c;
	const char *line, *end;
	size_t len;

	if (!args[0]) {
		vk_options_print_help(stdout, vctl_options, usage_text);
		return 0;
	}
	c = command_find(args[0]);
	if (!c)
		return vk_errorx(ENOENT, "no such command; 'vctl help' lists them");
	printf("usage: vctl %s%s%s\n", c->name, c->args_usage[0] ? " " : "", c->args_usage);
	len = strlen(c->name);
	for (line = usage_text; *line; line = *end ? end + 1 : end) {
		const char *at;

		end = line + strcspn(line, "\n");
		for (at = line; (at = strstr(at, c->name)) && at < end; at += len)
			if ((at - line == 2 || !strncmp(at - 2, "| ", 2)) && (at[len] == ' ' || at[len] == '\n' ||
									    !at[len])) {
				printf("%.*s\n", (int)(end - line), line);
				break;
			}
	}
	return 0;
}

/* An option given to a command that has no use for it is refused by name. */
static int check_options(const struct command *c)
{
	static const struct { const char *name; unsigned group; } given[] = {
		{ "--all", O_ALL }, { "--name", O_NAME }, { "--console", O_CONSOLE },
		{ "--remove-all-storage", O_STORAGE }, { "--disable", O_DISABLE }, { "--config", O_CONFIG },
		{ "--persistent", O_CONFIG }, { "--live", O_CONFIG }, { "--driver", O_DRIVER },
		{ "--subdriver", O_DRIVER }, { "--mode", O_DISK }, { "--type", O_DISK }, { "--cache", O_DISK },
		{ "--serial", O_DISK }, { "--targetbus", O_DISK }, { "--autostart", O_AUTOSTART },
		{ "--no-autostart", O_LIST_AUTOSTART }, { "--force", O_FORCE }, { "--no-stp", O_BRIDGE },
		{ "--delay", O_BRIDGE }, { "--dry-run", O_DRY_RUN }, { "--mac", O_MAC }, { "--model", O_MODEL },
		{ "--reason", O_REASON }, { "--details", O_DETAILS },
	};
	const bool set[] = {
		opt.all, opt.names, opt.console, opt.remove_storage, opt.disable, opt.config, opt.persistent,
		opt.live, opt.driver, opt.subdriver, opt.mode, opt.type, opt.cache, opt.serial, opt.targetbus,
		opt.autostart, opt.no_autostart, opt.force, opt.no_stp, opt.delay, opt.dry_run, opt.mac, opt.model,
		opt.reason, opt.details,
	};

	for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++)
		if (set[i] && !(c->options & given[i].group))
			return vk_errorx(EINVAL, "%s: not an option of '%s' (vctl --help lists each command's)",
					 given[i].name, c->name);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c = NULL;
	const char **args = NULL;
	poptContext ctx = NULL;
	char *rest[4] = { NULL }, *domain = NULL;
	int rc, n = 0, nargs, status = EXIT_FAILURE;

	rc = vk_options_parse(argc, (const char **)argv, vctl_options, usage_text, &ctx);
	if (rc != 0) {
		status = rc > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}
	args = poptGetArgs(ctx);
	if (!args || !args[0]) {
		vk_report("no command given; try 'vctl help'");
		goto out;
	}
	c = command_find(args[0]);
	if (!c) {
		fprintf(stderr, "vctl: %s: unknown command; try 'vctl help'\n", args[0]);
		goto out;
	}
	while (args[n + 1])
		n++;
	if (check_options(c) < 0) {
		vk_report(NULL);
		goto out;
	}
	/* start --autostart takes no NAME: it starts the marked ones; help
	 * takes one command or none */
	nargs = c->run == cmd_start && opt.autostart ? 0 : c->nargs;
	if (nargs < 0 ? n > 1 : n != nargs) {
		fprintf(stderr, "vctl: %s: %s; usage: vctl %s %s\n", c->name,
			n < nargs ? "missing arguments" : "too many arguments", c->name,
			nargs ? c->args_usage : "--autostart");
		goto out;
	}
	for (int i = 0; i < n; i++)
		rest[i] = (char *)args[i + 1];
	if (c->domain && n > 0) {
		/* The Id list prints or the UUID stands for the name, as in virsh. */
		if (vk_vm_resolve(rest[0], &domain) < 0) {
			vk_report_object(rest[0]);
			goto out;
		}
		rest[0] = domain;
	}
	rc = c->run(rest);
	fflush(stdout);
	if (rc < 0) {
		if (n)
			vk_report_object(rest[0]);
		else
			vk_report(NULL);
		goto out;
	}
	status = EXIT_SUCCESS;
out:
	free(domain);
	poptFreeContext(ctx);
	return status;
}
