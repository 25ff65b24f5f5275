/* vdf.c - virt-df for vkit: free space of guest filesystems, read straight from the disk images. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <popt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/image/blockdev.h"
#include "common/fs/df-format.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/fs/fsprobe.h"
#include "common/fs/guestfs-dl.h"
#include "common/image/image.h"
#include "common/util/options.h"
#include "common/fs/partition.h"
#include "common/vm/statedir.h"
#include "common/vm/vmdef.h"

enum engine { ENGINE_AUTO = 0, ENGINE_FAST, ENGINE_GUESTFS };

/* One disk as the user named it. */
struct disk_arg {
	char *path;
	bool format_given;
	enum vk_image_format format;
};

/* One guest: the disks virt-df would put into one appliance. */
struct guest {
	char *name;
	const char *uuid;		/* all-VMs mode only, like virt-df */
	struct disk_arg *disks;
	size_t n_disks;
};

/* A filesystem found by the fast path, printed once the whole guest is read. */
struct found_fs {
	char dev[32];
	struct vk_fs_stat stat;
};

static unsigned out_flags;
static bool opt_uuid;
static enum engine opt_engine;
static struct disk_arg *cmdline_disks;
static size_t n_cmdline_disks;
static char *pending_format;	/* --format applies to the -a after it */
static const char *opt_domain;


/* -a and --format are order-dependent, as in virt-df: popt callback. */
static void option_callback(poptContext ctx, enum poptCallbackReason reason,
			    const struct poptOption *opt, const char *arg, void *data)
{
	struct disk_arg *d;

	if (reason != POPT_CALLBACK_REASON_OPTION)
		return;
	if (opt->val == 'a') {
		d = realloc(cmdline_disks, (n_cmdline_disks + 1) * sizeof *d);
		if (!d) {
			vk_report("out of memory");
			exit(EXIT_FAILURE);
		}
		cmdline_disks = d;
		d = &cmdline_disks[n_cmdline_disks++];
		memset(d, 0, sizeof *d);
		d->path = strdup(arg);
		if (pending_format && strcmp(pending_format, "auto") != 0) {
			if (vk_image_format_parse(pending_format, &d->format) < 0) {
				vk_report(NULL);
				exit(EXIT_FAILURE);
			}
			d->format_given = true;
		}
	} else if (opt->val == 'F') {
		/* --format alone (no value) goes back to probing.  popt reuses
		 * arg's storage, so keep a copy. */
		free(pending_format);
		pending_format = arg ? strdup(arg) : NULL;
	}
}

/* virt-df (through qemu) probes the format of -a images given without
 * --format: vdf takes a qcow2 header naming no backing file as qcow2, and
 * refuses one that names a backing file (qemu's CVE-2008-2004: a raw guest
 * disk whose guest wrote such a header would make us read a host file). */
static const struct vk_format_rule vdf_format_rule = {
	.what = "disk", .option = "--format=", .guess_without_backing = true,
};

static int guess_format(const char *path, enum vk_image_format *out)
{
	return vk_image_format_decide(path, &vdf_format_rule, false, out);
}

/* Every disk of the guest whose format was not given is guessed before
 * either engine reads anything (libguestfs would probe too). */
static int check_guessed_formats(const struct guest *g)
{
	enum vk_image_format fmt;
	size_t i;
	int rc;

	for (i = 0; i < g->n_disks; i++) {
		if (g->disks[i].format_given)
			continue;
		rc = guess_format(g->disks[i].path, &fmt);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_found(struct found_fs **list, size_t *n, const char *dev, const struct vk_fs_stat *st)
{
	struct found_fs *l = realloc(*list, (*n + 1) * sizeof **list);

	if (!l)
		return vk_error(ENOMEM, "filesystem list");
	*list = l;
	snprintf(l[*n].dev, sizeof l[*n].dev, "%s", dev);
	l[*n].stat = *st;
	(*n)++;
	return 0;
}

/* Probe one device; -EOPNOTSUPP when libguestfs has to do it. */
static int probe_device(const struct vk_blockdev *dev, const char *name,
			struct found_fs **list, size_t *n)
{
	struct vk_fs_probe probe;
	int rc = vk_fsprobe(dev, &probe);

	if (rc < 0)
		return vk_error_prefix(rc, "%s", name);
	vk_debug("%s: %s", name, probe.type ? probe.type : "(nothing)");
	if (probe.kind == VK_FS_FOREIGN)
		return vk_errorx(EOPNOTSUPP, "%s: %s is read through libguestfs", name, probe.type);
	if (probe.kind == VK_FS_STAT)
		return add_found(list, n, name, &probe.stat);
	return 0;
}

/*
 * The fast path: the same list virt-df prints, in libguestfs's
 * list_filesystems order: whole disks without partitions first, then
 * every partition, disk by disk.
 */
static int df_fast(const struct guest *g, struct found_fs **list, size_t *n)
{
	struct vk_image **imgs = calloc(g->n_disks ? g->n_disks : 1, sizeof *imgs);
	struct vk_ptable *pts = calloc(g->n_disks ? g->n_disks : 1, sizeof *pts);
	struct vk_blockdev *disks = calloc(g->n_disks ? g->n_disks : 1, sizeof *disks);
	char name[32];
	size_t i, p;
	int rc = 0;

	if (!imgs || !pts || !disks) {
		rc = vk_error(ENOMEM, "disks");
		goto out;
	}
	for (i = 0; i < g->n_disks; i++) {
		enum vk_image_format fmt = g->disks[i].format;

		if (!g->disks[i].format_given) {
			rc = guess_format(g->disks[i].path, &fmt);
			if (rc < 0)
				goto out;
		}
		rc = vk_image_open(g->disks[i].path, fmt, VK_IMAGE_RDONLY, &imgs[i]);
		if (rc < 0)
			goto out;
		vk_blockdev_from_image(imgs[i], &disks[i]);
		rc = vk_ptable_read(&disks[i], &pts[i]);
		if (rc < 0) {
			rc = vk_error_prefix(rc, "%s", g->disks[i].path);
			goto out;
		}
	}
	for (i = 0; i < g->n_disks; i++) {
		if (pts[i].count)
			continue;
		vk_df_device_name((unsigned)i, 0, name, sizeof name);
		rc = probe_device(&disks[i], name, list, n);
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < g->n_disks; i++) {
		for (p = 0; p < pts[i].count; p++) {
			struct vk_blockdev part;

			vk_df_device_name((unsigned)i, pts[i].parts[p].number, name, sizeof name);
			rc = vk_blockdev_sub(&disks[i], pts[i].parts[p].start, pts[i].parts[p].size, &part);
			if (rc < 0)
				goto out;
			rc = probe_device(&part, name, list, n);
			if (rc < 0)
				goto out;
		}
	}
out:
	if (imgs)
		for (i = 0; i < g->n_disks; i++)
			if (imgs[i])
				vk_image_close(imgs[i]);
	free(imgs);
	free(pts);
	free(disks);
	return rc;
}

/* The slow path, for what the fast path cannot read: virt-df's own steps. */
static int df_guestfs(const struct guest *g, struct found_fs **list, size_t *n)
{
	const struct vk_guestfs *gfs;
	guestfs_h *h;
	char **fses = NULL;
	size_t i;
	int rc = vk_guestfs_load(&gfs, "or use --engine=fast");

	if (rc < 0)
		return rc;
	rc = vk_guestfs_create(gfs, &h);
	if (rc < 0)
		return rc;
	/* Its errors reach the user once, in vdf's message. */
	gfs->push_error_handler(h, NULL, NULL);
	for (i = 0; i < g->n_disks; i++) {
		struct guestfs_add_drive_opts_argv opts = {
			.bitmask = GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK,
			.readonly = 1,
		};

		if (g->disks[i].format_given) {
			opts.bitmask |= GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK;
			opts.format = vk_image_format_name(g->disks[i].format);
		}
		if (gfs->add_drive_opts_argv(h, g->disks[i].path, &opts) == -1) {
			rc = vk_errorx(EIO, "%s: %s", g->disks[i].path, gfs->last_error(h));
			goto out;
		}
	}
	if (gfs->launch(h) == -1) {
		rc = vk_errorx(EIO, "libguestfs: %s", gfs->last_error(h));
		goto out;
	}
	fses = gfs->list_filesystems(h);
	if (!fses) {
		rc = vk_errorx(EIO, "libguestfs: %s", gfs->last_error(h));
		goto out;
	}
	for (i = 0; fses[i] && fses[i + 1]; i += 2) {
		struct guestfs_statvfs *st = NULL;
		const char *type = fses[i + 1];

		if (!*type || !strcmp(type, "swap") || !strcmp(type, "unknown"))
			continue;
		/* Filesystems that do not mount are skipped silently, as in virt-df. */
		gfs->push_error_handler(h, NULL, NULL);
		if (gfs->mount_ro(h, fses[i], "/") == 0) {
			st = gfs->statvfs(h, "/");
			gfs->umount_all(h);
		}
		gfs->pop_error_handler(h);
		if (st) {
			struct vk_fs_stat s = {
				.bsize = (uint64_t)st->bsize, .blocks = (uint64_t)st->blocks,
				.bfree = (uint64_t)st->bfree, .bavail = (uint64_t)st->bavail,
				.files = (uint64_t)st->files, .ffree = (uint64_t)st->ffree,
			};
			char *canon = gfs->canonical_device_name(h, fses[i]);

			/* The guest kernel's statfs is no more trusted than ours. */
			rc = vk_fs_stat_check(type, &s);
			if (rc < 0)
				vk_error_prefix(rc, "libguestfs: %s", canon ? canon : fses[i]);
			else
				rc = add_found(list, n, canon ? canon : fses[i], &s);
			free(canon);
			gfs->free_statvfs(st);
			if (rc < 0)
				goto out;
		}
	}
out:
	if (fses) {
		for (i = 0; fses[i]; i++)
			free(fses[i]);
		free(fses);
	}
	gfs->close(h);
	return rc;
}

/* Failures the appliance may get past: contents we do not read, features
 * we do not support, metadata our checks reject.  A missing or unreadable
 * image is reported as it is. */
static bool appliance_may_know_better(int rc)
{
	return rc == -EOPNOTSUPP || rc == -EUCLEAN || rc == -EIO;
}

/* title: print the column titles first, as virt-df does once its
 * appliance is up: a guest that cannot be read gets no title. */
static int df_guest(const struct guest *g, bool title)
{
	char *fast_reason = NULL, *gfs_reason = NULL;
	struct found_fs *list = NULL;
	size_t n = 0, i;
	int rc;

	rc = check_guessed_formats(g);
	if (rc < 0)
		return rc;
	if (opt_engine == ENGINE_GUESTFS) {
		rc = df_guestfs(g, &list, &n);
	} else {
		rc = df_fast(g, &list, &n);
		if (rc < 0 && opt_engine == ENGINE_AUTO && appliance_may_know_better(rc)) {
			vk_debug("%s: %s; using libguestfs", g->name, vk_last_error());
			fast_reason = strdup(vk_last_error());
			free(list);
			list = NULL;
			n = 0;
			rc = df_guestfs(g, &list, &n);
			/* libguestfs's failure alone ("appliance crashed") hides
			 * what was wrong: the direct reader's reason comes first.
			 * Its success is said too: a filesystem the guest kernel
			 * cannot mount is left out of its list without a word. */
			if (rc < 0 && fast_reason && (gfs_reason = strdup(vk_last_error())))
				vk_errorx(-rc, "%s; libguestfs, tried next, failed too: %s", fast_reason, gfs_reason);
			else if (rc == 0 && fast_reason)
				fprintf(stderr, "%s: %s: warning: %s; the figures below are libguestfs's\n",
					program_invocation_short_name, g->name, fast_reason);
		}
	}
	if (rc == 0 && title)
		vk_df_print_title(stdout, out_flags);
	if (rc == 0)
		for (i = 0; i < n; i++)
			vk_df_print_row(stdout, out_flags, opt_uuid && g->uuid ? g->uuid : g->name,
					list[i].dev, &list[i].stat);
	free(list);
	free(fast_reason);
	free(gfs_reason);
	return rc;
}

/* virt-df's display name: the first disk's base name, a '+' per other disk. */
static char *display_name(const char *first, size_t others)
{
	const char *base = strrchr(first, '/');
	size_t len;
	char *name;

	base = base ? base + 1 : first;
	len = strlen(base);
	name = malloc(len + others + 1);
	if (!name)
		return NULL;
	memcpy(name, base, len);
	memset(name + len, '+', others);
	name[len + others] = '\0';
	return name;
}

static int guest_from_vm(const struct vk_vm *vm, struct guest *g)
{
	size_t i;

	memset(g, 0, sizeof *g);
	g->name = strdup(vm->name);
	g->disks = calloc(vm->n_disks ? vm->n_disks : 1, sizeof *g->disks);
	if (!g->name || !g->disks)
		return vk_error(ENOMEM, "%s", vm->name);
	for (i = 0; i < vm->n_disks; i++) {
		if (!vm->disks[i].path)
			continue;
		g->disks[g->n_disks].path = vm->disks[i].path;
		g->disks[g->n_disks].format = vm->disks[i].format;
		g->disks[g->n_disks].format_given = true;
		g->n_disks++;
	}
	return 0;
}

/* all_mode: one of every VM, title already printed; else -d NAME. */
static int df_domain(const char *name, bool all_mode)
{
	struct vk_vm *vm = NULL;
	struct guest g = { 0 };
	int rc = vk_vm_lookup(name, &vm);

	if (rc < 0)
		return rc;
	rc = guest_from_vm(vm, &g);
	if (rc == 0) {
		if (all_mode)
			g.uuid = vm->uuid;
		rc = df_guest(&g, !all_mode);
		if (rc < 0)
			rc = vk_error_prefix(rc, "%s", name);
	}
	free(g.name);
	free(g.disks);
	vk_vm_free(vm);
	return rc;
}

static int df_all_domains(void)
{
	char **names = NULL;
	size_t n = 0, i;
	int rc = vk_vm_list(&names, &n), err = 0;

	if (rc < 0)
		return rc;
	vk_df_print_title(stdout, out_flags);
	for (i = 0; i < n; i++) {
		rc = df_domain(names[i], true);
		if (rc < 0) {
			vk_report(NULL);
			err = rc;
		}
	}
	vk_strv_free(names);
	return err;
}

/*
 * virt-df's old syntax, kept by virt-df itself: with no -a or -d, each
 * argument that names a file (or has a '/') is a disk, anything else the
 * name of a virtual machine.
 */
static int old_style_arguments(poptContext ctx)
{
	const char *arg;

	if (n_cmdline_disks || opt_domain)
		return vk_errorx(EINVAL, "unexpected argument '%s': use -a IMAGE or -d NAME",
				 poptPeekArg(ctx));
	while ((arg = poptGetArg(ctx)) != NULL) {
		if (strchr(arg, '/') || access(arg, F_OK) == 0) {
			struct poptOption add = { .val = 'a' };

			option_callback(ctx, POPT_CALLBACK_REASON_OPTION, &add, arg, NULL);
		} else if (!opt_domain) {
			opt_domain = arg;
		} else {
			return vk_errorx(EINVAL, "'%s' and '%s': only one virtual machine at a time",
					 opt_domain, arg);
		}
	}
	if (opt_domain && n_cmdline_disks)
		return vk_errorx(EINVAL, "give either disk images or one virtual machine name");
	return 0;
}

int main(int argc, const char **argv)
{
	int human = 0, inodes = 0, csv = 0, uuid = 0, one_per_guest = 0, threads = 0;
	/* popt stores POPT_ARG_STRING values malloc'd; freed at the end. */
	char *engine = NULL, *domain_arg = NULL;
	struct poptOption disk_options[] = {
		{ NULL, '\0', POPT_ARG_CALLBACK, (void *)option_callback, 0, NULL, NULL },
		{ "add", 'a', POPT_ARG_STRING, NULL, 'a', "Add a disk image", "IMAGE" },
		{ "format", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, 'F',
		  "Format of the following -a images (raw, qcow2; default: probe, and refuse a qcow2 image with a backing file)", "raw|qcow2" },
		POPT_TABLEEND
	};
	struct poptOption table[] = {
		{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, disk_options, 0, "Disks:", NULL },
		{ "domain", 'd', POPT_ARG_STRING, &domain_arg, 0, "Show the VM named NAME", "NAME" },
		{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_connect_options, 0, NULL, NULL },
		{ "human-readable", 'h', POPT_ARG_NONE, &human, 0, "Sizes like 1.5G", NULL },
		{ "inodes", 'i', POPT_ARG_NONE, &inodes, 0, "Show inodes instead of blocks", NULL },
		{ "csv", '\0', POPT_ARG_NONE, &csv, 0, "Comma-separated values", NULL },
		{ "uuid", '\0', POPT_ARG_NONE, &uuid, 0, "Print UUIDs instead of names (all-VMs mode)", NULL },
		{ "one-per-guest", '\0', POPT_ARG_NONE, &one_per_guest, 0, "Accepted for virt-df compatibility", NULL },
		{ NULL, 'P', POPT_ARG_INT, &threads, 0, "Accepted for virt-df compatibility", "N" },
		{ "engine", '\0', POPT_ARG_STRING, &engine, 0,
		  "auto (read images directly, libguestfs when needed), fast, guestfs", "ENGINE" },
		{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = NULL;
	int rc, status = EXIT_FAILURE;

	rc = vk_options_parse(argc, argv, table, "[-a IMAGE ... | -d NAME]", &ctx);
	if (rc != 0) {
		status = rc > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}
	opt_domain = domain_arg;
	if (poptPeekArg(ctx)) {
		rc = old_style_arguments(ctx);
		if (rc < 0) {
			vk_report(NULL);
			goto out;
		}
	}
	if (human && csv) {
		vk_report("you cannot use -h and --csv options together");
		goto out;
	}
	if (!engine || !strcmp(engine, "auto"))
		opt_engine = ENGINE_AUTO;
	else if (!strcmp(engine, "fast"))
		opt_engine = ENGINE_FAST;
	else if (!strcmp(engine, "guestfs"))
		opt_engine = ENGINE_GUESTFS;
	else {
		fprintf(stderr, "vdf: --engine: '%s' is not auto, fast or guestfs\n", engine);
		goto out;
	}
	if (opt_domain && n_cmdline_disks) {
		vk_report("use either -a or -d, not both");
		goto out;
	}
	out_flags = (human ? VK_DF_HUMAN : 0) | (inodes ? VK_DF_INODES : 0) | (csv ? VK_DF_CSV : 0);
	opt_uuid = uuid;

	if (n_cmdline_disks) {
		struct guest g = { .disks = cmdline_disks, .n_disks = n_cmdline_disks };

		g.name = display_name(cmdline_disks[0].path, n_cmdline_disks - 1);
		if (!g.name) {
			vk_report("out of memory");
			goto out;
		}
		rc = df_guest(&g, true);
		if (rc < 0)
			vk_error_prefix(rc, "%s", g.name);	/* as -d names the VM */
		free(g.name);
		if (rc < 0) {
			vk_report(NULL);
			goto out;
		}
	} else if (opt_domain) {
		rc = df_domain(opt_domain, false);
		if (rc < 0) {
			vk_report(NULL);
			goto out;
		}
	} else {
		rc = df_all_domains();
		if (rc < 0)
			goto out;
	}
	status = EXIT_SUCCESS;
out:
	if (fflush(stdout) != 0)
		status = EXIT_FAILURE;
	poptFreeContext(ctx);
	for (size_t i = 0; i < n_cmdline_disks; i++)
		free(cmdline_disks[i].path);
	free(cmdline_disks);
	free(pending_format);
	free(engine);
	free(domain_arg);
	return status;
}
