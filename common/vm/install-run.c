/* install-run.c - an install plan carried out: journaled creation, vrun watched through the installer, then the installed system booted. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util/clock.h"
#include "common/guest/bootinspect.h"
#include "common/image/image.h"
#include "common/media/download.h"
#include "common/media/media.h"
#include "common/media/osvariant.h"
#include "common/net/netdef.h"
#include "common/net/network.h"
#include "common/net/nicspec.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/util/options.h"
#include "common/util/size.h"
#include "common/util/subopt.h"
#include "common/vm/bootorder.h"
#include "common/vm/console-relay.h"
#include "common/vm/install.h"
#include "common/vm/install-internal.h"
#include "common/vm/statedir.h"
#include "common/vm/undo.h"
#include "common/vm/vmdef.h"
#include "common/vm/vmlaunch.h"

/* --- the real run --------------------------------------------------- */

/* Ends the run's undo journal: what it created is kept (the guest ran, or
 * there was nothing to undo) or removed again. */
static void journal_end(struct vk_undo **undo, bool keep)
{
	if (!*undo)
		return;
	if (keep)
		vk_undo_commit(*undo);
	else
		vk_undo_rollback(*undo);
	*undo = NULL;
}

/* Ctrl-C, SIGTERM or SIGHUP before the guest starts: the journal undoes
 * this run, then vinstall dies of the signal (after, it only dies). */
void vk_install_die_undone_on(int sig)
{
	struct sigaction sa = { .sa_handler = vk_undo_die_of_signal };

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(sig, &sa, NULL);
}

/* Each disk is built under a name of this run's own and then named,
 * never over a file that appeared meanwhile. */
static int create_disks(const struct vk_install_plan *p, struct vk_undo *undo)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n_disks && rc == 0; i++) {
		const struct vk_planned_disk *d = &p->disks[i];
		struct vk_image_create_opts co = {
			.format = d->disk.format, .size = d->size,
			.prealloc = d->sparse ? VK_PREALLOC_OFF : VK_PREALLOC_FULL,
		};
		char *stage = NULL;

		if (!d->create)
			continue;
		if (d->backing) {
			co.backing_file = d->backing;
			co.backing_format = d->backing_format;
		}
		rc = vk_undo_stage(undo, d->disk.path, &stage);
		if (rc == 0) {
			co.path = stage;
			rc = vk_image_create(&co);
		}
		if (rc == 0)
			rc = vk_undo_publish(undo, stage, d->disk.path);
		free(stage);
		if (rc < 0)
			return vk_error_prefix(rc, "creating disk %s", d->disk.path);
	}
	return rc;
}

/*
 * boot/NAME/, made by this run, goes at a rollback with everything in it.
 * One left by an earlier VM of this name (a definition removed by hand)
 * is not ours: only the files this run writes into it are recorded.
 */
static int journal_boot_dir(const struct vk_install_plan *p, struct vk_undo *undo, const char *const *files)
{
	int rc = vk_undo_mkdir(undo, p->boot_dir, VK_MODE_PRIVATE_DIR);

	for (; rc == 0 && *files; files++)
		rc = vk_undo_prefix(undo, *files);
	return rc < 0 ? rc : 0;
}

static int copy_host_file(const char *src, const char *dest)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	/* Kernels and initrds fit in memory (max 2 GiB here). */
	rc = vk_read_file(src, (size_t)2 << 30, &buf, &len);
	if (rc == 0)
		rc = vk_write_file_atomic(dest, buf, len, VK_MODE_PRIVATE_FILE);
	free(buf);
	return rc;
}

static int fetch_installer(const struct vk_install_plan *p, struct vk_undo *undo)
{
	const struct vk_boot *b = &p->vm->boot;
	const char *files[] = { b->kernel, b->initrd, NULL };
	int rc;

	rc = journal_boot_dir(p, undo, files);
	if (rc < 0)
		return rc;
	if (p->kind == VK_INSTALL_LOCATION) {
		rc = vk_media_fetch(p->media, p->media_kernel, b->kernel, VK_DOWNLOAD_KERNEL, vk_quiet);
		if (rc == 0)
			rc = vk_media_fetch(p->media, p->media_initrd, b->initrd, VK_DOWNLOAD_INITRD, vk_quiet);
	} else {
		rc = copy_host_file(p->kernel_src, b->kernel);
		if (rc == 0 && b->initrd)
			rc = copy_host_file(p->initrd_src, b->initrd);
	}
	if (rc < 0)
		return rc;
	if (p->req->injects) {
		size_t n = 0;

		while (p->req->injects[n])
			n++;
		if (!b->initrd)
			return vk_errorx(EINVAL, "--initrd-inject needs an initrd");
		rc = vk_initrd_inject(b->initrd, p->req->injects, n);
	}
	return rc;
}

/* How one vrun run went, as vinstall watched it (common/vm/vmlaunch.h). */
struct vrun_watch {
	struct vk_launch launch;	/* sock, msgs, pty, started */
	struct vk_watch_result result;	/* exited, status, quit, detached, expired */
	pid_t pid;			/* vrun's, for the messages after it */
};

/* vrun's setup (disks, taps, console) takes well under this; --wait 0
 * leaves once the guest started, or after this without a control socket. */
#define START_GRACE_MS	5000

static void vrun_watch_free(struct vrun_watch *w)
{
	vk_launch_close(&w->launch);
}

/* A --wait minute; tests shorten it (VKIT_WAIT_MINUTE_MS). */
static int64_t minute_ms(void)
{
	return vk_env_ms("VKIT_WAIT_MINUTE_MS", 60000);
}

/* The --noautoconsole supervisor's side of a pipe to the vinstall the
 * user waits on: one byte when the guest has started, then closed.  Its
 * end without that byte (the supervisor exiting) means vrun failed first. */
static int started_pipe = -1;

static void tell_started(void)
{
	if (started_pipe < 0)
		return;
	if (write(started_pipe, "s", 1) < 0)
		vk_debug("telling vinstall the guest started: %s", strerror(errno));
	close(started_pipe);
	started_pipe = -1;
}

/* The guest started: from now on nothing of the VM is removed. */
static void commit_on_start(void *undo)
{
	journal_end(undo, true);
	tell_started();
}

/* vinstall --noautoconsole, after forking the supervisor: whether the guest
 * started (0) or vrun failed before it did (-EIO, the supervisor having
 * said why and removed what the run created). */
static int wait_for_start(const struct vk_install_plan *p, int fd, pid_t supervisor)
{
	char byte;
	ssize_t n;
	int status;

	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return 0;
	while (waitpid(supervisor, &status, 0) < 0 && errno == EINTR)
		;
	return vk_errorx(EIO, "%s: the install did not start: vrun failed before the guest ran (see above)",
			 p->vm->name);
}

/*
 * Run vrun for the definition and watch it until it exits, --wait runs out
 * or the user detaches; in the last two cases it is left running.  Returns
 * 0 with w filled in, or -errno when vrun could not be started.  The
 * installer runs under --no-reboot: its reboot ends vrun.  With an
 * undo journal (*undo), vrun is recorded so that a rollback stops it, and
 * the journal is committed once the guest has started.
 */
static int run_vrun(const struct vk_install_plan *p, const char *vrun, bool installer, struct vrun_watch *w,
		    struct vk_undo **undo)
{
	struct vk_watch_opts o = {
		.attach = vk_install_console_attached(p), .deadline_ms = -1, .start_grace_ms = START_GRACE_MS,
		.msgs_fd = STDERR_FILENO, .on_started = commit_on_start, .arg = undo,
	};
	char *console = NULL;
	int rc;

	memset(w, 0, sizeof(*w));
	rc = vk_vrun_console_spec(p->vm, &console);
	if (rc == 0)
		rc = vk_launch_start(p->vm, vrun, console, vk_install_vrun_extra(installer), &w->launch);
	free(console);
	if (rc < 0)
		return rc;
	w->pid = w->launch.pid;
	if (*undo && (rc = vk_undo_process(*undo, w->pid)) < 0) {
		/* Unrecorded, it could outlive the rollback of its disks. */
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
		return rc;
	}
	if (p->wait_minutes >= 0)
		o.deadline_ms = vk_now_ms() + p->wait_minutes * minute_ms();
	return vk_launch_watch(&w->launch, &o, &w->result);
}

/* After the install: the definition boots the installed system. */
static int switch_to_installed(struct vk_install_plan *p, bool save)
{
	struct vk_installed_boot ib = { 0 };
	struct vk_vm *vm = p->vm;
	char *cmdline = NULL;
	size_t i, keep = 0;
	int rc = 0;

	if (p->kernel_src && p->kind != VK_INSTALL_LOCATION &&
	    (p->final_cmdline || p->kind == VK_INSTALL_IMPORT)) {
		/* --boot kernel= is the final boot as well. */
		free(vm->boot.cmdline);
		vm->boot.cmdline = strdup(p->final_cmdline);
	} else if (!p->final_cmdline && vk_install_target_disk(p) &&
		   (rc = vk_disk_boot_code(vk_install_target_disk(p)->disk.path, vk_install_target_disk(p)->disk.format,
					   p->boot_loader, sizeof(p->boot_loader))) == 1) {
		/* The installer put a boot loader on the disk: it boots itself,
		 * and the kernels the system installs later are the ones that boot. */
		if (!vk_quiet)
			fprintf(p->err, "Installed system: %s boots itself through the firmware (%s in its "
				"first sector)\n", vk_install_target_disk(p)->disk.path, p->boot_loader);
		free(vm->boot.kernel);
		free(vm->boot.initrd);
		free(vm->boot.cmdline);
		free(vm->boot.order);
		vm->boot.kernel = vm->boot.initrd = vm->boot.cmdline = NULL;
		/* The installer's "cdrom,hd" is over; --boot's order, if any, is the system's. */
		vm->boot.order = p->boot_order ? strdup(p->boot_order) : NULL;
		if (p->boot_order && !vm->boot.order)
			return vk_error(ENOMEM, "--boot");
		vm->boot.kind = VK_BOOT_DISK;
	} else {
		const struct vk_planned_disk *t = vk_install_target_disk(p);

		if (rc < 0)
			return rc;
		if (!t)
			return vk_errorx(ENOENT, "no disk to boot the installed system from");
		if (!vk_quiet)
			fprintf(p->err, "Installed system: no boot loader on %s; it boots the kernel found on it\n",
				t->disk.path);
		rc = vk_inspect_installed_boot(t->disk.path, t->disk.format, p->boot_dir, &ib);
		if (rc < 0)
			return rc;
		if (!vk_quiet)
			fprintf(p->err, "Installed system: %s, %s\n", ib.found_on, ib.root_arg);
		if (asprintf(&cmdline, "%s %s%s%s", ib.root_arg, p->variant->kernel_args,
			     p->final_cmdline ? " " : "", p->final_cmdline ? p->final_cmdline : "") < 0) {
			vk_installed_boot_free(&ib);
			return vk_error(ENOMEM, "cmdline");
		}
		free(vm->boot.kernel);
		free(vm->boot.initrd);
		free(vm->boot.cmdline);
		free(vm->boot.order);
		vm->boot.order = NULL;
		vm->boot.kind = VK_BOOT_KERNEL;
		vm->boot.kernel = ib.kernel;
		vm->boot.initrd = ib.initrd;
		vm->boot.cmdline = cmdline;
		ib.kernel = ib.initrd = NULL;
		vk_installed_boot_free(&ib);
	}
	/* The installer medium was only for the install. */
	for (i = 0; i < vm->n_disks; i++) {
		if (i < p->n_disks && p->disks[i].installer_medium) {
			free(vm->disks[i].path);
			free(vm->disks[i].serial);
			continue;
		}
		vm->disks[keep++] = vm->disks[i];
	}
	vm->n_disks = keep;
	rc = save ? vk_vm_define(vm, true) : 0;
	if (rc == 0 && p->kind == VK_INSTALL_LOCATION) {
		char *k = NULL;

		/* The installer's files are no use any more. */
		if (asprintf(&k, "%s/installer-kernel", p->boot_dir) > 0)
			unlink(k);
		free(k);
		if (asprintf(&k, "%s/installer-initrd", p->boot_dir) > 0)
			unlink(k);
		free(k);
	}
	return rc;
}

/*
 * vrun still runs and vinstall is about to exit (--wait ran out, Ctrl-] d):
 * say where the VM is and what can be done with it.
 */
static void report_left_running(const struct vk_install_plan *p, const struct vrun_watch *w, bool installing)
{
	const struct vk_planned_disk *t = vk_install_target_disk(p);
	const struct vk_vm *vm = p->vm;

	if (w->result.expired && p->wait_minutes > 0)
		fprintf(p->out, "Domain %s: the --wait time (%d min) passed; ", vm->name, p->wait_minutes);
	else
		fprintf(p->out, "Domain %s: ", vm->name);
	fprintf(p->out, "%s still in progress. vrun keeps running after vinstall exits.\n",
	       installing ? "installation" : "first boot");
	fprintf(p->out, "  vrun:        pid %d, control socket %s (docs/control.md)\n", (int)w->pid, w->launch.sock);
	if (w->launch.pty[0])
		fprintf(p->out, "  console:     vctl console %s (its pty is %s)\n", vm->name, w->launch.pty);
	else if (vm->console.kind == VK_CONSOLE_FILE)
		fprintf(p->out, "  console:     written to %s\n", vm->console.path);
	fprintf(p->out, "  messages:    %s\n", w->launch.msgs);
	fprintf(p->out, "  stop it:     vctl shutdown %s (the ACPI power button), vctl destroy %s (at once)\n",
	       vm->name, vm->name);
	if (!installing) {
		fflush(p->out);
		return;
	}
	fprintf(p->out, "When the installer reboots the guest, vrun exits and %s stays defined and stopped, still "
	       "booting the installer: vinstall sets up the installed system's boot only when it watches "
	       "the install to its end.\n", vm->name);
	if (t)
		fprintf(p->out, "Then boot the installed system with: vctl undefine %s && vinstall --name %s --import "
		       "--disk path=%s,format=%s (and this run's --memory, --vcpus and --network; undefine "
		       "keeps the disks)\n", vm->name, vm->name, t->disk.path, vk_image_format_name(t->disk.format));
	fflush(p->out);	/* before the error line on stderr */
}

/* How to start the stopped VM by hand: its vrun command line. */
static void print_start_command(const struct vk_install_plan *p, const char *vrun)
{
	vk_install_print_vrun_argv(p->out, p->vm, vrun, "stdio", false);
}

int vk_install_run(struct vk_install_plan *p)
{
	struct vrun_watch w = { .pid = 0, .launch.msg_fd = -1 };
	struct vk_undo *undo = NULL;
	char *vrun = NULL, *installed[3] = { NULL };
	const char *state;
	int rc;

	rc = vk_install_check_host(p);
	if (rc < 0)
		goto out;
	rc = vk_vrun_find("vinstall", &vrun);
	if (rc < 0)
		goto out;
	rc = vk_state_dir(&state);
	if (rc < 0)
		goto out;
	vk_install_die_undone_on(SIGINT);
	vk_install_die_undone_on(SIGTERM);
	vk_install_die_undone_on(SIGHUP);
	/* Journaled from here: a failure, a signal or kill -9 until the guest
	 * starts removes what this run created.  The name is claimed first. */
	rc = vk_undo_begin(&undo);
	if (rc < 0)
		goto out;
	rc = vk_undo_claim(undo, p->vm->name);
	if (rc == 0)
		rc = create_disks(p, undo);
	if (rc == 0 && p->kind != VK_INSTALL_CDROM && (p->kind != VK_INSTALL_IMPORT || p->kernel_src))
		rc = fetch_installer(p, undo);
	if (rc == 0 && p->kind == VK_INSTALL_IMPORT && !p->kernel_src && !p->firmware_boot) {
		/* Where the installed system's kernel and initrd are copied. */
		if (asprintf(&installed[0], "%s/kernel", p->boot_dir) < 0 ||
		    asprintf(&installed[1], "%s/initrd", p->boot_dir) < 0)
			rc = vk_error(ENOMEM, "%s", p->boot_dir);
		if (rc == 0)
			rc = journal_boot_dir(p, undo, (const char *const *)installed);
		if (rc == 0)
			rc = switch_to_installed(p, false);
	}
	if (rc == 0 && (rc = vk_undo_definition(undo, p->vm)) == 0)
		rc = vk_vm_define(p->vm, false);
	if (rc < 0)
		goto out;
	if (!vk_quiet)
		fprintf(p->err, "Starting install of %s...\n", p->vm->name);
	if (p->detached && p->wait_minutes < 0 && !p->req->wait) {
		/* virt-install returns once the domain runs; we keep supervising
		 * the install in the background so the second phase still
		 * happens, and return when the supervisor says the guest started
		 * (or fail when it could not start it). */
		int fds[2];
		pid_t pid;

		if (pipe2(fds, O_CLOEXEC) < 0) {
			rc = vk_error(errno, "pipe");
			goto out;
		}
		pid = fork();
		if (pid < 0) {
			rc = vk_error(errno, "fork");
			close(fds[0]);
			close(fds[1]);
			goto out;
		}
		if (pid > 0) {
			close(fds[1]);
			/* The supervisor holds the journal now, whatever happens. */
			vk_undo_detach(undo);
			undo = NULL;
			rc = wait_for_start(p, fds[0], pid);
			close(fds[0]);
			if (rc < 0)
				goto out;
			fprintf(p->out, "Domain installation still in progress: vinstall (pid %d) watches it in the "
			       "background and boots the installed system when the installer reboots.\n"
			       "vrun's messages, with the name of its console's pty, go to %s/log/%s.vrun.log; "
			       "its control socket is %s/run/%s.sock (docs/control.md).\n",
			       (int)pid, state, p->vm->name, state, p->vm->name);
			goto out;
		}
		close(fds[0]);
		started_pipe = fds[1];
		setsid();
	}
	rc = run_vrun(p, vrun, p->kind != VK_INSTALL_IMPORT, &w, &undo);
	if (rc < 0)
		goto out;
	if (!w.result.exited) {
		/* The guest runs on; nothing of it may be removed now. */
		journal_end(&undo, true);
		report_left_running(p, &w, p->kind != VK_INSTALL_IMPORT);
		if (w.result.expired && p->wait_minutes > 0)
			rc = vk_errorx(ETIMEDOUT, "%s: the install did not end within the --wait time (%d min); "
				       "it is still running (see above)", p->vm->name, p->wait_minutes);
		goto out;
	}
	if (w.result.quit) {
		journal_end(&undo, true);
		rc = vk_errorx(ECANCELED, "%s: stopped from the console (Ctrl-] q); it is defined and stopped, "
			       "its disks are kept%s", p->vm->name,
			       p->kind == VK_INSTALL_IMPORT ? "" : " (it still boots the installer)");
		goto out;
	}
	if (w.result.status == VK_VRUN_EXIT_ERROR || w.result.status == 127 || w.result.status < 0) {
		if (w.launch.started) {
			/* Whatever the guest wrote is the user's now (committed
			 * when it started). */
			rc = vk_errorx(EIO, "%s: vrun failed after the guest started (see its message above); "
				       "it is defined and stopped, its disks are kept", p->vm->name);
			goto out;
		}
		/* The guest never ran, so the new disks hold nothing. */
		if (w.result.status == 127)
			vk_errorx(ENOEXEC, "%s: %s could not be run; removed what this run created", p->vm->name, vrun);
		else if (w.result.status < 0)
			vk_errorx(EIO, "%s: vrun was killed by signal %d before the guest started; removed what "
				  "this run created", p->vm->name, w.result.signal);
		else
			vk_errorx(EIO, "%s: vrun failed (see its message above); removed what this run created",
				  p->vm->name);
		rc = -EIO;
		goto out;
	}
	journal_end(&undo, true);
	if (p->kind == VK_INSTALL_IMPORT)
		goto out;
	if (w.result.status != VK_VRUN_EXIT_REBOOT && w.result.status != VK_VRUN_EXIT_POWEROFF) {
		rc = vk_errorx(EIO, "%s: vrun exited with status %d; the VM is defined and stopped", p->vm->name,
			       w.result.status);
		goto out;
	}
	if (w.result.status == VK_VRUN_EXIT_POWEROFF) {
		/* Only a reboot says the installer finished; a power-off may be
		 * a user or an installer giving up, so the boot is left alone. */
		fprintf(p->out, "Domain %s powered off during the install; it is defined and stopped "
		       "(it still boots the installer)\n", p->vm->name);
		goto out;
	}
	rc = switch_to_installed(p, true);
	if (rc < 0) {
		vk_error_prefix(rc, "%s: installed, but its boot could not be set up; the VM still boots the installer",
				p->vm->name);
		goto out;
	}
	if (p->req->noreboot) {
		fprintf(p->out, "Domain %s is installed and stopped; start it with: vctl start %s\n"
		       "or run vrun by hand:\n", p->vm->name, p->vm->name);
		print_start_command(p, vrun);
		goto out;
	}
	if (!vk_quiet)
		fprintf(p->err, "Install finished; booting %s from its disk...\n", p->vm->name);
	vrun_watch_free(&w);
	rc = run_vrun(p, vrun, false, &w, &undo);
	if (rc < 0)
		goto out;
	if (!w.result.exited) {
		report_left_running(p, &w, false);
		if (w.result.expired && p->wait_minutes > 0)
			rc = vk_errorx(ETIMEDOUT, "%s: installed; its first boot did not end within the --wait time "
				       "(%d min) and is still running (see above)", p->vm->name, p->wait_minutes);
	} else if (w.result.quit) {
		fprintf(p->out, "Domain %s is installed; stopped from the console (Ctrl-] q); start it again with:\n",
		       p->vm->name);
		print_start_command(p, vrun);
	} else if (w.result.status == VK_VRUN_EXIT_ERROR || w.result.status < 0 || w.result.status == 127) {
		rc = vk_errorx(EIO, "%s: the installed system did not run (vrun failed)", p->vm->name);
	}
out:
	/* Still open here only after a failure before the guest started. */
	journal_end(&undo, false);
	vrun_watch_free(&w);
	free(installed[0]);
	free(installed[1]);
	free(vrun);
	return rc;
}
