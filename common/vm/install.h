/* install.h - a VM installed as virt-install does it: a request (its options) turned into a plan, the plan checked, described or run. */
#ifndef VK_INSTALL_H
#define VK_INSTALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/image/image.h"
#include "common/vm/vmdef.h"

/*
 * What a front end asked for, in virt-install's words and spellings, not
 * yet parsed: vinstall fills it from its command line, a web form could
 * fill it from its fields.  Sub-option lists ("path=/x,size=3") are parsed
 * by the plan, so every front end gets the same grammar and messages.
 * Lists are NULL-terminated, NULL when the option was not given.
 */
struct vk_install_request {
	const char *name, *ram, *memory, *vcpus, *os_type, *os_variant, *location, *cdrom, *boot;
	const char *graphics, *vncport, *vnclisten, *console, *extra_args, *wait, *uuid;
	char *const *disks, *const *networks, *const *bridges, *const *injects, *const *checks;
	bool import, vnc, nographics, autostart, noautoconsole, noreboot, force;
	/* --install, --autoconsole none|text|graphical, --arch, --machine,
	 * --virt-type, --cpu; --nodisks */
	const char *install, *autoconsole, *arch, *machine, *virt_type, *cpu;
	bool nodisks;
};

enum vk_install_kind { VK_INSTALL_NONE = 0, VK_INSTALL_LOCATION, VK_INSTALL_KERNEL, VK_INSTALL_IMPORT, VK_INSTALL_CDROM };

/* virt-install's --check names: each guards against a mistake that loses or
 * leaks data, and each can be turned off when the user means it. */
struct vk_install_checks {
	bool path_in_use;	/* a disk another defined VM uses */
	bool path_exists;	/* size= given for a path that exists: not a new disk */
	bool disk_size;		/* not enough free space for the new disks */
	bool mac_in_use;	/* a MAC another defined VM has: two NICs on one bridge */
};

/* One disk of the plan: what exists, what this run creates. */
struct vk_planned_disk {
	struct vk_disk disk;
	bool create;
	uint64_t size;
	bool sparse;
	char *backing;
	enum vk_image_format backing_format;
	bool size_from_variant;
	bool installer_medium;	/* the --location or --cdrom ISO, detached after the install */
};

#define VK_INSTALL_MAX_REFUSALS 16

/* The plan: the definition to write, the disks to create, the medium and
 * the boot steps; what vrun cannot do is listed in refusals. */
struct vk_install_plan {
	const struct vk_install_request *req;	/* borrowed; lives as long as the plan */
	FILE *out, *err;			/* where describe and run speak (stdout, stderr) */
	struct vk_install_checks checks;
	struct vk_vm *vm;
	struct vk_osvariant *variant;
	bool variant_defaulted;
	char *osinfo_name;			/* name= of --osinfo with sub-options */
	enum vk_install_kind kind;
	struct vk_media *media;
	char *media_kernel, *media_initrd;	/* paths on the medium */
	char *kernel_src, *initrd_src;		/* --boot files on the host */
	char *boot_dir;
	char *cmdline;
	char *final_cmdline;			/* --boot kernel_args for the installed system */
	char *install_args;			/* --install kernel_args: the installer's, after the variant's */
	bool install_args_only;			/* --install kernel_args_overwrite=on: without the variant's */
	bool no_install;			/* --install no_install=yes: define and boot, no installer */
	bool detached;				/* --noautoconsole or --autoconsole none */
	char *boot_order;			/* --boot hd,cdrom,...: the firmware's order */
	bool firmware_boot;			/* --import of a disk that boots itself */
	char boot_loader[32];			/* what its first sector holds ("GRUB") */
	struct vk_planned_disk *disks;
	size_t n_disks;
	int wait_minutes;			/* -1 forever */
	char *refusals[VK_INSTALL_MAX_REFUSALS];
	size_t n_refusals;
};

/*
 * Turn req into a plan: every option parsed and checked, the medium
 * opened and its installer found, the definition built.  Nothing is
 * created.  *out is set (free it with vk_install_plan_free()) even when
 * this fails, so that its refusals -- what vrun cannot do, which matter
 * more than any other error -- can be shown.  0, or -errno with a message;
 * -ENOTSUP when there are refusals.  out and err: where the plan's
 * description and the run speak.
 */
int vk_install_plan_build(const struct vk_install_request *req, FILE *out, FILE *err,
			  struct vk_install_plan **plan);
void vk_install_plan_free(struct vk_install_plan *p);

/* virt-install's answer to "--disk=?" (or "--disk help"): the sub-options
 * OPTION ("--disk") takes, one a line; -ENOENT when it takes none. */
int vk_install_print_suboptions(FILE *out, const char *option);

/* What the host must allow before anything is created: the name free, the
 * bridges there, the disks' directories writable with room for them
 * (summed per filesystem), no MAC or disk taken from another VM. */
int vk_install_check_host(struct vk_install_plan *p);

/* The plan in words, with the vrun command lines, as --dry-run shows it. */
void vk_install_describe(struct vk_install_plan *p);

/*
 * Run the plan: check the host, claim the name, create the disks, fetch
 * the installer, define the VM, run the installer under vrun (watching
 * it, its console on the terminal unless --noautoconsole), then boot the
 * installed system.  Until the guest starts everything is journaled
 * (common/vm/undo.h): a failure, a signal or kill -9 removes what this
 * run created: vk_install_die_undone_on() is installed for SIGINT, SIGTERM
 * and SIGHUP when the journal opens.  0, or -errno with a message.
 */
int vk_install_run(struct vk_install_plan *p);
/* Ctrl-C, SIGTERM or SIGHUP before the guest starts: the journal undoes
 * the run, then the process dies of the signal. */
void vk_install_die_undone_on(int sig);

#endif
