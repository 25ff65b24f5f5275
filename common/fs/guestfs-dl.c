/* guestfs-dl.c - libguestfs loaded with dlopen() on first use, and handles with vkit's backend choice. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/fs/guestfs-dl.h"

#define LIBGUESTFS_SONAME "libguestfs.so.0"

static struct vk_guestfs table;

int vk_guestfs_load(const struct vk_guestfs **out, const char *hint)
{
	static void *lib;
	struct vk_guestfs t;
	const struct { const char *name; void **slot; } syms[] = {
#define SYM(f) { "guestfs_" #f, (void **)&t.f }
		SYM(create), SYM(close), SYM(set_backend), SYM(set_backend_settings),
		SYM(add_drive_opts_argv), SYM(last_error), SYM(launch), SYM(push_error_handler),
		SYM(pop_error_handler), SYM(inspect_os), SYM(inspect_get_mountpoints),
		SYM(list_filesystems), SYM(canonical_device_name), SYM(mount_ro), SYM(umount_all),
		SYM(is_dir), SYM(is_file), SYM(ls), SYM(download), SYM(vfs_uuid), SYM(statvfs),
		SYM(free_statvfs), SYM(mount), SYM(read_file), SYM(write), SYM(truncate), SYM(rm_f),
		SYM(glob_expand), SYM(shutdown),
#undef SYM
	};
	void *handle;

	*out = NULL;
	if (lib) {
		*out = &table;
		return 0;
	}
	handle = dlopen(LIBGUESTFS_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!handle)
		return vk_errorx(ENOENT, "cannot load %s (%s): install the Debian package libguestfs0%s%s",
				 LIBGUESTFS_SONAME, dlerror(), hint ? ", " : "", hint ? hint : "");
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(handle, syms[i].name);
		if (!*syms[i].slot) {
			dlclose(handle);
			return vk_errorx(ENOENT, "%s lacks %s", LIBGUESTFS_SONAME, syms[i].name);
		}
	}
	table = t;
	lib = handle;
	*out = &table;
	return 0;
}

/* The appliance needs VT-x/AMD-V and a /dev/kvm we may use; otherwise TCG. */
static bool host_has_hw_virt(void)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && (strstr(line, " vmx") || strstr(line, " svm")))
			found = true;
	fclose(f);
	return found && access("/dev/kvm", R_OK | W_OK) == 0;
}

int vk_guestfs_create(const struct vk_guestfs *gfs, guestfs_h **out)
{
	guestfs_h *g = gfs->create();

	*out = g;
	if (!g)
		return vk_error(errno ? errno : ENOMEM, "cannot create a libguestfs handle");
	if (!getenv("LIBGUESTFS_BACKEND"))
		gfs->set_backend(g, "direct");
	if (!getenv("LIBGUESTFS_BACKEND_SETTINGS") && !host_has_hw_virt()) {
		char *settings[] = { (char *)"force_tcg", NULL };

		gfs->set_backend_settings(g, settings);
	}
	return 0;
}
