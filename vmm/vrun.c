/* vrun.c - run one KVM virtual machine: a Linux bzImage or PC firmware (SeaBIOS, a raw image), until it powers off. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <popt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util/clock.h"
#include "common/util/error.h"
#include "common/util/options.h"
#include "common/vm/bootorder.h"
#include "vmm/console.h"
#include "vmm/devices/acpi-pm.h"
#include "vmm/devices/legacy.h"
#include "vmm/iothread.h"
#include "vmm/machine.h"
#include "vmm/mgmt.h"
#include "vmm/privdrop.h"
#include "vmm/seccomp.h"
#include "vmm/vrun-devices.h"
#include "vmm/devices/fw_cfg.h"
#include "vmm/x86/acpi.h"
#include "vmm/x86/boot.h"
#include "vmm/x86/firmware.h"

#define DEFAULT_MEMORY_MIB	512
#define MIN_MEMORY_MIB		2
#define MAX_MEMORY_MIB		(1024 * 1024)
#define HALT_PROBE_MS		100	/* how often idle vCPUs are asked whether they are dead */
#define INPUT_RETRY_MS		10	/* the UART's receive buffer was full: look again */

struct vrun_options {
	char *kernel, *initrd, *cmdline, *console, *bios, *firmware, *boot, *name, *control, *sandbox, *user;
	struct vrun_device_args devices[VRUN_DEVICE_KINDS_MAX];	/* --disk, --net, ... */
	int memory_mib, cpus, allow_emulated, no_acpi, pxe, no_reboot;
	enum vk_sandbox_mode sandbox_mode;
	bool drop;			/* --user given: runas is filled */
	struct vk_runas runas;
	const char *firmware_path;	/* NULL: boot --kernel */
	struct vk_boot_order boot_order;
	bool net_rom;			/* NICs get iPXE (--pxe, --boot network) */
};

static volatile sig_atomic_t got_signal;
static int signal_efd = -1;

static void on_signal(int sig)
{
	uint64_t one = 1;

	got_signal = sig;
	if (write(signal_efd, &one, sizeof(one)) < 0) {
		/* nothing more an async signal handler can do */
	}
}

static int parse_options(int argc, const char **argv, struct vrun_options *o)
{
	struct poptOption device_table[VRUN_DEVICE_KINDS_MAX + 1];
	struct poptOption table[] = {
		{ "kernel", '\0', POPT_ARG_STRING, &o->kernel, 0, "Linux bzImage to boot", "FILE" },
		{ "initrd", '\0', POPT_ARG_STRING, &o->initrd, 0, "initial ramdisk", "FILE" },
		{ "cmdline", '\0', POPT_ARG_STRING, &o->cmdline, 0, "kernel command line", "STR" },
		{ "memory", '\0', POPT_ARG_INT, &o->memory_mib, 0, "guest RAM in MiB (default 512)", "MIB" },
		{ "cpus", '\0', POPT_ARG_INT, &o->cpus, 0, "number of vCPUs (default 1)", "N" },
		{ "console", '\0', POPT_ARG_STRING, &o->console, 0,
		  "serial console: stdio (default), pty or a log capped at SIZE (default 1M)",
		  "stdio|pty|file=PATH[,max=SIZE]" },
		{ "firmware", '\0', POPT_ARG_STRING, &o->firmware, 0,
		  "PC firmware to boot (default without --kernel: bios, SeaBIOS's " VK_FIRMWARE_BIOS ")",
		  "bios|FILE" },
		{ "bios", '\0', POPT_ARG_STRING, &o->bios, 0,
		  "raw firmware image, mapped below 4 GiB (as QEMU -bios; same as --firmware FILE)", "FILE" },
		{ "boot", '\0', POPT_ARG_STRING, &o->boot, 0,
		  "the firmware's boot order (default hd,cdrom,network) and boot menu", "hd|cdrom|network,...[,menu=on|off]" },
		{ "pxe", '\0', POPT_ARG_NONE, &o->pxe, 0,
		  "network boot: iPXE (" VK_PXE_ROM_VIRTIO ") on every NIC, network first", NULL },
		{ "name", '\0', POPT_ARG_STRING, &o->name, 0,
		  "name of the guest: messages, run/NAME.pid and run/NAME.sock in the state directory", "NAME" },
		{ "control", '\0', POPT_ARG_STRING, &o->control, 0,
		  "control socket path (default with --name: run/NAME.sock)", "PATH" },
		{ "no-acpi", '\0', POPT_ARG_NONE, &o->no_acpi, 0,
		  "give a Linux guest no ACPI tables (MP table only)", NULL },
		{ "sandbox", '\0', POPT_ARG_STRING, &o->sandbox, 0,
		  "seccomp filter per thread once the VM runs (default on; log: allow and log)", "on|off|log" },
		{ "user", '\0', POPT_ARG_STRING, &o->user, 0,
		  "become this user once /dev/kvm, disks and taps are open (vrun must run as root)", "USER" },
		{ "no-reboot", '\0', POPT_ARG_NONE, &o->no_reboot, 0,
		  "exit with status 2 when the guest reboots, instead of resetting the machine in place", NULL },
		{ "allow-emulated", '\0', POPT_ARG_NONE, &o->allow_emulated, 0,
		  "boot Linux even where KVM would emulate every instruction (PVM hosts)", NULL },
		{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, device_table, 0, "Devices:", NULL },
		{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx;
	int ret;

	vrun_device_options(device_table, o->devices);
	o->memory_mib = DEFAULT_MEMORY_MIB;
	o->cpus = 1;
	ret = vk_options_parse(argc, argv, table, NULL, &ctx);
	if (ret != 0)
		return ret;	/* 1: --version printed; <0: message printed */
	if (poptPeekArg(ctx)) {
		fprintf(stderr, "vrun: unexpected argument '%s' (try --help)\n", poptPeekArg(ctx));
		ret = -EINVAL;
	}
	poptFreeContext(ctx);
	return ret;
}

static int check_options(struct vrun_options *o)
{
	int rc;

	if (o->bios && o->firmware)
		return vk_errorx(EINVAL, "give one of --firmware and --bios (--bios FILE is --firmware FILE)");
	if (o->firmware && strcmp(o->firmware, "bios") == 0)
		o->firmware_path = VK_FIRMWARE_BIOS;
	else if (o->firmware || o->bios)
		o->firmware_path = o->firmware ? o->firmware : o->bios;
	if (o->kernel && o->firmware_path)
		return vk_errorx(EINVAL, "give one of --kernel FILE and --firmware (or --bios): a kernel boots "
				 "without firmware");
	if (!o->kernel && !o->firmware_path)
		o->firmware_path = VK_FIRMWARE_BIOS;	/* a PC: the disk boots itself */
	if (!o->kernel && (o->initrd || o->cmdline))
		return vk_errorx(EINVAL, "--initrd and --cmdline go with --kernel, not with firmware");
	if (o->kernel && (o->boot || o->pxe))
		return vk_errorx(EINVAL, "--boot and --pxe are for the firmware; with --kernel there is none "
				 "(drop --kernel to boot through the firmware)");
	if (o->boot && (rc = vk_boot_order_parse(o->boot, "--boot", &o->boot_order)) < 0)
		return rc;
	if (o->pxe && !o->boot) {	/* as virt-install --pxe: the network first */
		o->boot_order.dev[0] = VK_BOOTDEV_NETWORK;
		o->boot_order.dev[1] = VK_BOOTDEV_HD;
		o->boot_order.dev[2] = VK_BOOTDEV_CDROM;
		o->boot_order.n = 3;
	}
	for (unsigned i = 0; i < o->boot_order.n; i++)
		if (o->boot_order.dev[i] == VK_BOOTDEV_NETWORK)
			o->net_rom = true;
	if (o->pxe)
		o->net_rom = true;
	if (o->cpus < 1 || o->cpus > VK_MAX_CPUS)
		return vk_errorx(EINVAL, "--cpus %d: give 1 to %d", o->cpus, VK_MAX_CPUS);
	if (o->memory_mib < MIN_MEMORY_MIB || o->memory_mib > MAX_MEMORY_MIB)
		return vk_errorx(EINVAL, "--memory %d: give %d to %d MiB", o->memory_mib,
				 MIN_MEMORY_MIB, MAX_MEMORY_MIB);
	if (o->console && (rc = vk_console_check(o->console)) < 0)
		return rc;
	o->sandbox_mode = VK_SANDBOX_DEFAULT;
	if (o->sandbox && (rc = vk_sandbox_parse_mode(o->sandbox, &o->sandbox_mode)) < 0)
		return rc;
	if (o->user && (rc = vk_runas_lookup(o->user, &o->runas)) < 0)
		return rc;
	o->drop = o->user != NULL;
	/* Before KVM is opened, so the message is the same on any host. */
	if (o->firmware_path && access(o->firmware_path, R_OK) < 0)
		return vk_error(errno, "firmware %s%s", o->firmware_path,
				strcmp(o->firmware_path, VK_FIRMWARE_BIOS) == 0 ? " (SeaBIOS: apt-get install seabios)" : "");
	if (o->net_rom && access(VK_PXE_ROM_VIRTIO, R_OK) < 0)
		return vk_error(errno, "%s, the network boot ROM (iPXE: apt-get install ipxe-qemu)",
				VK_PXE_ROM_VIRTIO);
	return 0;
}

static void sandbox_failed(void *opaque, const char *message)
{
	vk_machine_stop(opaque, VK_EXIT_ERROR, "%s", message);
}

static int enter_io_sandbox(void)
{
	return vk_sandbox_enter(VK_THREAD_IO);
}

static int enter_control_sandbox(void)
{
	return vk_sandbox_enter(VK_THREAD_CONTROL);
}

/* Everything is open: compile the filters, bind the control socket (as
 * root, in a state directory the user may not write), drop root, then
 * start the threads, each of which installs its own filter first
 * (docs/vmm.md, Hardening).  The drop comes before any thread exists
 * because glibc changes the ids of every thread, which the filters forbid.
 * Some vCPUs may run when this fails: run() stops and joins them. */
static int start_sandboxed(const struct vrun_options *o, struct vk_machine *m,
			   struct vk_console *con, struct vk_devices *pci, struct vk_mgmt *mgmt)
{
	int rc = vk_sandbox_prepare(o->sandbox_mode);

	if (rc == 0 && o->sandbox_mode != VK_SANDBOX_OFF)
		vk_debug("seccomp filters (BPF instructions): main %u, vCPU %u, I/O %u, console %u, "
			 "control %u", vk_sandbox_filter_len(VK_THREAD_MAIN),
			 vk_sandbox_filter_len(VK_THREAD_VCPU), vk_sandbox_filter_len(VK_THREAD_IO),
			 vk_sandbox_filter_len(VK_THREAD_CONSOLE), vk_sandbox_filter_len(VK_THREAD_CONTROL));
	vk_sandbox_set_failure_hook(sandbox_failed, m);
	vk_iothread_set_start_hook(enter_io_sandbox);
	vk_control_set_start_hook(enter_control_sandbox);
	if (rc == 0)
		rc = vk_mgmt_listen(mgmt, o->control);
	if (rc == 0 && mgmt->no_socket)
		fprintf(stderr, "vrun: warning: %s: running without a control socket (nothing can "
			"manage this VM); give --control PATH on a local filesystem\n", vk_last_error());
	if (rc == 0 && o->drop)
		rc = vk_runas_apply(&o->runas);
	if (rc == 0)
		rc = vk_console_start(con);
	if (rc == 0 && pci)
		rc = vk_devices_start(pci);
	if (rc == 0)
		rc = vk_vcpus_start(m);
	if (rc == 0)
		rc = vk_mgmt_serve(mgmt);
	if (rc == 0)
		rc = vk_sandbox_enter(VK_THREAD_MAIN);
	return rc;
}

/* One machine and what belongs to it: set up by run(), and what a reset
 * in place goes through again. */
struct vrun {
	const struct vrun_options *o;
	struct vk_machine m;
	struct vk_console con;
	struct vrun_devices *dev;	/* dev->pci: NULL when no device needed a PCI bus */
	struct vk_mp_intx mp_intx[VK_PCI_MAX_SLOTS];
	size_t n_intx;
	struct vk_linux_boot linux_boot;	/* with --kernel: its files, kept open */
};

/* The ACPI tables go into the BIOS area below 1 MiB, where Linux looks. */
static int load_acpi(struct vrun *r, uint64_t *rsdp)
{
	struct vk_acpi_config cfg = { .ncpus = r->m.ncpus, .pci = r->dev->pci != NULL, .intx = r->mp_intx,
				      .n_intx = r->n_intx };
	uint8_t *buf = vk_gpa_to_host(&r->m.mem, VK_ACPI_BASE, VK_ACPI_MAX);
	int len;

	if (!buf)
		return vk_errorx(ENOMEM, "guest memory too small for the ACPI tables");
	len = vk_acpi_build(buf, VK_ACPI_MAX, VK_ACPI_BASE, &cfg);
	if (len < 0)
		return vk_errorx(-len, "cannot build the ACPI tables for %u vCPUs", r->m.ncpus);
	*rsdp = VK_ACPI_BASE;
	return 0;
}

/* What SeaBIOS is told: fw_cfg items and CMOS (vmm/x86/firmware.c), and
 * the firmware image itself at the top of 4 GiB. */
static int load_firmware(struct vrun *r)
{
	struct vk_bootdev_path boot[VK_PCI_MAX_SLOTS];
	struct vk_pc_firmware_config cfg = {
		.ncpus = r->m.ncpus, .ram_size = r->m.ram_size, .intx = r->mp_intx, .n_intx = r->n_intx,
		.devs = boot, .n_devs = vk_devices_bootdevs(r->dev->pci, boot, VK_PCI_MAX_SLOTS),
		.order = r->o->boot_order, .sercon_port = VK_COM1_PORT,
	};
	int rc = vk_pc_firmware_setup(&r->dev->fw_cfg, &r->dev->rtc, &cfg);

	if (rc == 0)
		rc = vk_machine_load_firmware(&r->m, r->o->firmware_path);
	return rc;
}

/* What the boot vCPU starts: the firmware (its copy below 1 MiB), or the
 * kernel with its initrd, boot parameters and tables, loaded from the
 * descriptors opened at start.  At start and after every reset. */
static int load_boot(struct vrun *r, bool first)
{
	uint64_t rsdp = 0;
	int rc = 0;

	if (r->o->firmware_path)
		return first ? load_firmware(r) : vk_machine_restore_bios_area(&r->m);
	if (!r->o->no_acpi)
		rc = load_acpi(r, &rsdp);
	r->linux_boot.acpi_rsdp = rsdp;
	if (rc == 0 && first)
		rc = vk_linux_open(&r->linux_boot);
	if (rc == 0)
		rc = vk_linux_load(&r->m, &r->linux_boot);
	return rc;
}

/* "vrun: [NAME: ]12:00:01 guest reboot (ACPI reset)" on stderr, as the
 * reset begins: the VM's log says when and why it rebooted. */
static void log_reset(const struct vrun_options *o, enum vk_reset_cause cause)
{
	time_t now = time(NULL);
	char stamp[16] = "";
	struct tm tm;

	if (localtime_r(&now, &tm))
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	if (cause == VK_RESET_CONTROL)
		fprintf(stderr, "vrun: %s%s%s reset (from the control socket)\n", o->name ? o->name : "",
			o->name ? ": " : "", stamp);
	else
		fprintf(stderr, "vrun: %s%s%s guest reboot (%s)\n", o->name ? o->name : "", o->name ? ": " : "",
			stamp, vk_reset_cause_name(cause));
}

/* Reset in place (docs/vmm.md): the vCPUs parked, every device, the
 * irqchip and every vCPU back to power-on, the boot loaded again, the
 * vCPUs let go.  0; -ETIMEDOUT when a vCPU did not park yet (try again);
 * another error stops the machine. */
static int reset_machine(struct vrun *r, enum vk_reset_cause cause)
{
	int rc = vk_vcpus_park_for_reset(&r->m);

	if (rc < 0)
		return rc;
	log_reset(r->o, cause);
	vrun_devices_reset(r->dev);
	rc = vk_machine_restore_power_on(&r->m);
	if (rc == 0)
		rc = load_boot(r, false);
	if (rc < 0)
		return vk_error_prefix(rc, "reset");
	vk_machine_reset_done(&r->m);
	return 0;
}

/* The main thread feeds the console, resets the machine when asked, and
 * watches for the end: a device or vCPU stopping the machine, a signal, or
 * every vCPU dead-halted. */
static void main_loop(struct vrun *r)
{
	struct vk_machine *m = &r->m;
	struct vk_console *con = &r->con;
	struct vk_serial *serial = &r->dev->serial;
	uint64_t last_probe = (uint64_t)vk_now_ms();
	enum vk_reset_cause cause = VK_RESET_CONTROL;
	bool reset_wanted = false;

	while (!vk_machine_stopping(m)) {
		/* While the guest has not drained the UART, pending input is not
		 * watched: readable input would wake poll() at once, for ever. */
		bool room = vk_serial_rx_space(serial) >= 2;
		struct pollfd p[4] = {
			{ .fd = m->stop_efd, .events = POLLIN },
			{ .fd = signal_efd, .events = POLLIN },
			{ .fd = m->reset_efd, .events = POLLIN },
			{ .fd = room ? con->in_fd : -1, .events = POLLIN },
		};
		int n = poll(p, 4, reset_wanted || !(room || con->in_fd < 0) ? INPUT_RETRY_MS : HALT_PROBE_MS);

		if (n < 0 && errno != EINTR) {
			vk_machine_stop(m, VK_EXIT_ERROR, "poll: %s", strerror(errno));
			break;
		}
		if (got_signal) {
			vk_machine_stop(m, VK_EXIT_ERROR, "stopped by signal %d", (int)got_signal);
			break;
		}
		if (n > 0 && (p[2].revents & POLLIN))
			reset_wanted = vk_machine_reset_pending(m, &cause);
		if (reset_wanted) {
			int rc = reset_machine(r, cause);

			if (rc < 0 && rc != -ETIMEDOUT) {
				vk_machine_stop(m, VK_EXIT_ERROR, "%s", vk_last_error());
				break;
			}
			reset_wanted = rc == -ETIMEDOUT;
			last_probe = (uint64_t)vk_now_ms();
		}
		if (n > 0 && (p[3].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    vk_console_input(con, serial) == 1) {
			vk_machine_stop(m, VK_EXIT_ERROR, "stopped from the console (Ctrl-] q)");
			break;
		}
		/* Probe when idle for a whole period; parked vCPUs answer no
		 * probes, and kicking them would only cost. */
		if (n == 0 && !vk_vcpus_parked(m) && (uint64_t)vk_now_ms() - last_probe >= HALT_PROBE_MS) {
			last_probe = (uint64_t)vk_now_ms();
			if (vk_vcpus_all_dead_halted(m)) {
				/* A power-off after the control socket's reboot
				 * is a reset instead: the loop goes on then. */
				vk_machine_stop(m, VK_EXIT_POWEROFF,
						"all vCPUs halted with interrupts disabled: guest powered off");
				continue;
			}
			vk_vcpus_kick(m, true);
		}
		if (n > 0)
			last_probe = (uint64_t)vk_now_ms();
	}
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int run(const struct vrun_options *o)
{
	struct vrun *r = calloc(1, sizeof(*r));
	struct vrun_devices *dev = calloc(1, sizeof(*dev));
	struct vk_pci_intx intx[VK_PCI_MAX_SLOTS];
	struct vk_mgmt mgmt = { 0 };
	struct vk_machine *m;
	int rc, status = VK_EXIT_ERROR;

	if (!r || !dev) {
		vk_report("out of memory");
		free(r);
		free(dev);
		return VK_EXIT_ERROR;
	}
	m = &r->m;
	r->o = o;
	r->dev = dev;
	r->con = (struct vk_console){ .in_fd = -1, .out_fd = -1, .pty_slave = -1 };
	r->linux_boot = (struct vk_linux_boot){ .kernel = o->kernel, .initrd = o->initrd, .cmdline = o->cmdline,
						.intx = r->mp_intx, .kernel_fd = -1, .initrd_fd = -1 };
	/* The name first: a clash is reported on any host, KVM or not. */
	rc = vk_mgmt_claim(&mgmt, m, o->name);
	if (rc < 0) {
		vk_report(NULL);
		free(dev);
		free(r);
		return VK_EXIT_ERROR;
	}
	rc = vk_machine_init(m, (uint64_t)o->memory_mib, (unsigned)o->cpus);
	m->no_reboot = o->no_reboot;
	if (rc == 0 && m->pvm) {
		fprintf(stderr, "vrun: warning: KVM on this host is PVM (no VT-x/AMD-V): ordinary guests "
			"run under instruction emulation, about 1000 times slower\n");
		if (o->kernel && !o->allow_emulated)
			rc = vk_errorx(ENOTSUP, "refusing to boot a Linux kernel under emulation "
				       "(it would not get past its decompressor); "
				       "give --allow-emulated to try anyway");
	}
	if (rc == 0)
		rc = vk_console_open(&r->con, o->console ? o->console : "stdio");
	if (rc == 0) {
		*dev = (struct vrun_devices){ .machine = m, .console_fd = r->con.out_fd,
					      .firmware = o->firmware_path != NULL, .net_rom = o->net_rom,
					      .args = o->devices };
		rc = vrun_devices_create(dev);
	}
	if (rc == 0 && dev->pci) {
		r->n_intx = vk_devices_intx(dev->pci, intx, VK_PCI_MAX_SLOTS);
		for (size_t i = 0; i < r->n_intx; i++)
			r->mp_intx[i] = (struct vk_mp_intx){ intx[i].slot, intx[i].pin, intx[i].gsi };
		r->linux_boot.n_intx = r->n_intx;
	}
	if (rc == 0)
		rc = vk_vcpus_create(m);
	if (rc == 0)
		rc = load_boot(r, true);
	if (rc == 0) {
		mgmt.devices = dev->pci;
		mgmt.pm = &dev->pm;
		mgmt.console_kind = r->con.kind;
		mgmt.console_path = r->con.path;
		rc = start_sandboxed(o, m, &r->con, dev->pci, &mgmt);
	}
	if (rc == 0)
		main_loop(r);
	vk_mgmt_stop(&mgmt);	/* no command runs once the vCPUs are gone */
	if (m->vcpus) {
		if (rc < 0)
			vk_machine_stop(m, VK_EXIT_ERROR, "setup failed");
		vk_vcpus_join(m);
	}
	if (rc == 0)
		status = atomic_load(&m->stop_status);
	vrun_devices_free(dev);	/* stops the I/O threads first */
	vk_console_close(&r->con);
	if (rc < 0) {
		vk_report(NULL);
	} else if (status == VK_EXIT_ERROR || vk_debug_level) {
		if (o->name)
			fprintf(stderr, "vrun: %s: %s\n", o->name, m->stop_reason);
		else
			vk_report(m->stop_reason);
	}
	if (status < 0 || status > 255)
		status = VK_EXIT_ERROR;
	vk_linux_close(&r->linux_boot);
	vk_machine_free(m);
	vk_sandbox_free();
	free(dev);
	free(r);
	return status;
}

static void free_options(struct vrun_options *o)
{
	free(o->kernel);
	free(o->initrd);
	free(o->cmdline);
	free(o->console);
	free(o->bios);
	free(o->firmware);
	free(o->boot);
	free(o->name);
	free(o->control);
	free(o->sandbox);
	free(o->user);
	vrun_device_args_free(o->devices);
}

static int vrun_main(struct vrun_options *o, int argc, char **argv)
{
	int rc;

	rc = parse_options(argc, (const char **)argv, o);
	if (rc != 0)
		return rc > 0 ? 0 : VK_EXIT_ERROR;
	rc = check_options(o);
	if (rc < 0) {
		vk_report(NULL);
		return VK_EXIT_ERROR;
	}
	signal_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (signal_efd < 0) {
		perror("vrun: eventfd");
		return VK_EXIT_ERROR;
	}
	install_signals();
	return run(o);
}

int main(int argc, char **argv)
{
	struct vrun_options o = { 0 };
	int status = vrun_main(&o, argc, argv);

	free_options(&o);
	return status;
}
