/* vctl-disk.c - vctl attach-disk and detach-disk: a disk added to or removed from a definition, with virsh's options. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/image/image.h"
#include "common/util/error.h"
#include "common/util/options.h"
#include "common/vm/lifecycle.h"
#include "common/vm/statedir.h"
#include "common/vm/vmdef.h"
#include "tools/vctl.h"

int vctl_need_config(const char *name, const char *cmd)
{
	int pid = vk_vm_running_pid(name);

	if (opt.live)
		return vk_errorx(ENOTSUP, "--live: vrun has no hot-plug; %s changes the definition only "
				 "(--config)%s", cmd, pid > 0 ? ", seen at the next start" : "");
	if (opt.config || opt.persistent)
		return 0;
	if (pid > 0)
		return vk_errorx(ENOTSUP, "domain is running and vrun has no hot-plug; give --config to "
				 "change its definition, seen at its next start");
	return vk_errorx(EINVAL, "%s changes the definition: give --config", cmd);
}

/* Formats are stated, never guessed (docs/images.md). */
static const struct vk_format_rule attach_format_rule = { .what = "disk", .option = "--subdriver " };

int vctl_attach_disk(char **args)
{
	const char *name = args[0], *source = args[1];
	const char *target = args[2];
	struct vk_disk disk = { .bus = VK_BUS_VIRTIO };
	char *path = NULL, cwd[PATH_MAX];
	struct vk_vm *vm = NULL;
	struct stat st;
	int rc = vk_vm_lookup(name, &vm);

	vk_vm_free(vm);
	if (rc == 0)
		rc = vctl_need_config(name, "attach-disk");
	if (rc < 0)
		return rc;
	if (opt.driver && strcmp(opt.driver, "qemu"))
		return vk_errorx(EINVAL, "--driver %s: vkit's disks are qemu-style images; give --driver qemu "
				 "or leave it out", opt.driver);
	if (opt.targetbus && strcmp(opt.targetbus, "virtio"))
		return vk_errorx(EINVAL, "--targetbus %s: vrun attaches every disk as virtio-blk; give "
				 "--targetbus virtio or leave it out", opt.targetbus);
	if (!opt.type || !strcmp(opt.type, "disk"))
		disk.device = VK_DEVICE_DISK;
	else if (!strcmp(opt.type, "cdrom"))
		disk.device = VK_DEVICE_CDROM;
	else
		return vk_errorx(EINVAL, "--type %s: give disk or cdrom", opt.type);
	if (opt.mode && !strcmp(opt.mode, "readonly"))
		disk.readonly = true;
	else if (opt.mode && !strcmp(opt.mode, "shareable"))
		disk.shareable = true;
	else if (opt.mode)
		return vk_errorx(EINVAL, "--mode %s: give readonly or shareable", opt.mode);
	disk.readonly |= disk.device == VK_DEVICE_CDROM;
	if (opt.cache && (rc = vk_disk_cache_parse(opt.cache, &disk.cache)) < 0)
		return vk_error_prefix(rc, "--cache");
	disk.serial = opt.serial;
	if (source[0] == '/')
		path = strdup(source);
	else if (getcwd(cwd, sizeof(cwd)) && asprintf(&path, "%s/%s", cwd, source) < 0)
		path = NULL;
	if (!path)
		return vk_error(ENOMEM, "%s", source);
	if (stat(path, &st) < 0) {
		rc = vk_error(errno, "disk %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		rc = vk_errorx(EINVAL, "disk %s is not a file or a block device", path);
		goto out;
	}
	if (opt.subdriver && (rc = vk_image_format_parse(opt.subdriver, &disk.format)) < 0) {
		vk_error_prefix(rc, "--subdriver");
		goto out;
	}
	rc = vk_image_format_decide(path, &attach_format_rule, opt.subdriver != NULL, &disk.format);
	if (rc < 0)
		goto out;
	disk.path = path;
	rc = vk_vm_attach_disk(name, &disk, target);
	if (rc < 0)
		goto out;
	printf("Disk attached successfully\n");
	if (vk_vm_running_pid(name) > 0 && !vk_quiet)
		printf("(%s runs: the guest sees %s from its next start)\n", name, target);
out:
	free(path);
	return rc;
}

int vctl_detach_disk(char **args)
{
	struct vk_vm *vm = NULL;
	char from[16], to[16];
	size_t n_after = 0;
	long index = 0;
	int rc = vk_vm_lookup(args[0], &vm);

	vk_vm_free(vm);
	if (rc == 0)
		rc = vctl_need_config(args[0], "detach-disk");
	if (rc == 0)
		rc = vk_vm_detach_disk(args[0], args[1], &index, &n_after);
	if (rc < 0)
		return rc;
	printf("Disk detached successfully\n");
	/* The guest names disks by position: the later ones move up. */
	for (size_t i = (size_t)index; !vk_quiet && i < n_after; i++) {
		vk_disk_target_name("vd", i + 1, from, sizeof(from));
		vk_disk_target_name("vd", i, to, sizeof(to));
		printf("(%s is now %s)\n", from, to);
	}
	return 0;
}
