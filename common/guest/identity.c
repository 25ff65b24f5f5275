/* identity.c - a clone's machine-id, SSH host keys, MAC pins and hostname reset in its disks, through the dlopen'ed libguestfs. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/fs/guestfs-dl.h"
#include "common/guest/identity.h"
#include "common/guest/shellvars.h"

/*
 * Rewrites a shell-variable file (ifcfg-*, /etc/sysconfig/network) in the
 * disk (vk_shellvars_edit says how).  The disk is the clone's, not yet
 * published by the caller, so a failure leaves nothing a guest could boot.
 */
static int edit_vars(const struct vk_guestfs *gfs, guestfs_h *g, const char *path, const char *const *drop,
		     const char *set_key, const char *set_value)
{
	char *text = NULL, *out = NULL;
	size_t size = 0, n = 0;
	bool changed = false;
	int rc = -EIO;

	if (!(text = gfs->read_file(g, path, &size)))
		goto out;
	rc = vk_shellvars_edit(text, size, drop, set_key, set_value, &out, &n, &changed);
	if (rc == 0 && changed && gfs->write(g, path, out, n) < 0)
		rc = -EIO;
out:
	free(text);
	free(out);
	return rc;
}

/* Removes every path the glob matches; -EIO if one could not be. */
static int remove_glob(const struct vk_guestfs *gfs, guestfs_h *g, const char *pattern)
{
	char **paths = gfs->glob_expand(g, pattern);
	int rc = 0;

	for (size_t i = 0; paths && paths[i]; i++) {
		if (gfs->rm_f(g, paths[i]) < 0)
			rc = -EIO;
		free(paths[i]);
	}
	free(paths);
	return rc;
}

/* One filesystem holding /etc, mounted at /. */
static int reset_fs(const struct vk_guestfs *gfs, guestfs_h *g, const char *hostname)
{
	/* HWADDR= pins the file to the original's MAC, so the clone's NIC would
	 * go unconfigured; UUID= is the original's NetworkManager connection,
	 * which the clone's is not; HOSTNAME= and DHCP_HOSTNAME= name the
	 * original. */
	static const char *const ifcfg_drop[] = { "HWADDR", "UUID", "HOSTNAME", "DHCP_HOSTNAME", NULL };
	static const char *const nothing[] = { NULL };
	char **ifcfgs;
	int rc = 0;

	if (gfs->is_file(g, "/etc/machine-id") > 0 && gfs->truncate(g, "/etc/machine-id") < 0)
		rc = -EIO;
	if (gfs->is_file(g, "/var/lib/dbus/machine-id") > 0)
		gfs->rm_f(g, "/var/lib/dbus/machine-id");
	if (remove_glob(gfs, g, "/etc/ssh/ssh_host_*") < 0)
		rc = -EIO;
	if (gfs->rm_f(g, "/etc/udev/rules.d/70-persistent-net.rules") < 0)
		rc = -EIO;
	ifcfgs = gfs->glob_expand(g, "/etc/sysconfig/network-scripts/ifcfg-*");
	for (size_t i = 0; ifcfgs && ifcfgs[i]; i++) {
		if (gfs->is_file(g, ifcfgs[i]) > 0 && edit_vars(gfs, g, ifcfgs[i], ifcfg_drop, NULL, NULL) < 0)
			rc = -EIO;
		free(ifcfgs[i]);
	}
	free(ifcfgs);
	/* systemd guests read /etc/hostname; RHEL/CentOS 6 and older only
	 * HOSTNAME= in /etc/sysconfig/network.  Each is set where it exists. */
	if (gfs->is_file(g, "/etc/hostname") > 0) {
		char *text;

		if (asprintf(&text, "%s\n", hostname) < 0)
			return -ENOMEM;
		if (gfs->write(g, "/etc/hostname", text, strlen(text)) < 0)
			rc = -EIO;
		free(text);
	}
	if (gfs->is_file(g, "/etc/sysconfig/network") > 0 &&
	    edit_vars(gfs, g, "/etc/sysconfig/network", nothing, "HOSTNAME", hostname) < 0)
		rc = -EIO;
	return rc;
}

int vk_identity_reset(const char *const *disks, const enum vk_image_format *formats, size_t n,
		      const char *hostname)
{
	const struct vk_guestfs *gfs = NULL;
	guestfs_h *g = NULL;
	char **fss = NULL;
	int rc, roots = 0;

	rc = vk_guestfs_load(&gfs, NULL);
	if (rc == 0)
		rc = vk_guestfs_create(gfs, &g);
	if (rc < 0)
		return vk_error_prefix(rc, "--reset-identity");
	for (size_t d = 0; d < n && rc == 0; d++) {
		struct guestfs_add_drive_opts_argv opts = {
			.bitmask = GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK,
			.format = vk_image_format_name(formats[d]),
		};

		if (gfs->add_drive_opts_argv(g, disks[d], &opts) < 0)
			rc = vk_errorx(EIO, "--reset-identity: %s: %s", disks[d], gfs->last_error(g));
	}
	if (rc == 0 && gfs->launch(g) < 0)
		rc = vk_errorx(EIO, "--reset-identity: %s", gfs->last_error(g));
	if (rc == 0 && !(fss = gfs->list_filesystems(g)))
		rc = vk_errorx(EIO, "--reset-identity: %s", gfs->last_error(g));
	/* fss alternates device and filesystem type. */
	for (size_t i = 0; rc == 0 && fss && fss[i] && fss[i + 1]; i += 2) {
		if (strcmp(fss[i + 1], "swap") == 0 || strcmp(fss[i + 1], "unknown") == 0)
			continue;
		if (gfs->mount(g, fss[i], "/") < 0)
			continue;
		if (gfs->is_dir(g, "/etc") > 0) {
			roots++;
			if (reset_fs(gfs, g, hostname) < 0)
				rc = vk_errorx(EIO, "--reset-identity: %s: %s", fss[i], gfs->last_error(g));
		}
		gfs->umount_all(g);
	}
	if (rc == 0 && roots == 0)
		rc = vk_errorx(ENOENT, "--reset-identity: no filesystem with /etc in the clone's disks");
	if (rc == 0 && gfs->shutdown(g) < 0)
		rc = vk_errorx(EIO, "--reset-identity: %s", gfs->last_error(g));
	for (size_t i = 0; fss && fss[i]; i++)
		free(fss[i]);
	free(fss);
	gfs->close(g);
	return rc;
}
