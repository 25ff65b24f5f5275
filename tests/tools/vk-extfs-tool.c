/* vk-extfs-tool.c - a test-only driver of common/fs/extfs.h and the direct boot finder, so shell tests can compare with the files mkfs -d was given. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/image/blockdev.h"
#include "common/guest/bootinspect.h"
#include "common/util/error.h"
#include "common/fs/extfs.h"
#include "common/image/image.h"

static int usage(void)
{
	fprintf(stderr, "usage: vk-extfs-tool IMAGE ls PATH | cat PATH | type | uuid\n"
			"       vk-extfs-tool IMAGE find-boot DEST_DIR\n");
	return 2;
}

static int fail(const char *what)
{
	fprintf(stderr, "vk-extfs-tool: %s: %s\n", what, vk_last_error());
	return 1;
}

/* One line per entry: name, inode, type letter, size. */
static int print_entry(void *opaque, const char *name, uint32_t ino)
{
	struct vk_extfs *fs = opaque;
	struct vk_extfs_stat st;
	int rc = vk_extfs_stat(fs, ino, &st);

	if (rc < 0)
		return rc;
	printf("%s %c %llu\n", name, S_ISDIR(st.mode) ? 'd' : S_ISREG(st.mode) ? 'f' : S_ISLNK(st.mode) ? 'l' : '?',
	       S_ISDIR(st.mode) ? 0ull : (unsigned long long)st.size);
	return 0;
}

static int find_boot(const char *image, const char *dest)
{
	struct vk_installed_boot b;
	int rc = vk_find_installed_boot_direct(image, VK_IMAGE_RAW, dest, &b);

	if (rc < 0)
		return fail(image);
	if (rc == 0) {
		printf("not found\n");
		return 3;
	}
	printf("kernel %s\ninitrd %s\n%s\nfound %s\n", b.kernel, b.initrd ? b.initrd : "(none)", b.root_arg,
	       b.found_on);
	vk_installed_boot_free(&b);
	return 0;
}

int main(int argc, char **argv)
{
	struct vk_image *img = NULL;
	struct vk_extfs *fs = NULL;
	struct vk_blockdev dev;
	struct vk_extfs_stat st;
	char uuid[37];
	int rc;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[2], "find-boot"))
		return argc == 4 ? find_boot(argv[1], argv[3]) : usage();
	if (vk_image_open(argv[1], VK_IMAGE_RAW, VK_IMAGE_RDONLY, &img) < 0)
		return fail(argv[1]);
	vk_blockdev_from_image(img, &dev);
	rc = vk_extfs_open(&dev, &fs);
	if (rc <= 0) {
		if (rc == 0)
			fprintf(stderr, "vk-extfs-tool: %s: no ext filesystem\n", argv[1]);
		else
			fail(argv[1]);
		rc = 1;
		goto out;
	}
	if (!strcmp(argv[2], "type")) {
		printf("%s\n", vk_extfs_type(fs));
		rc = 0;
	} else if (!strcmp(argv[2], "uuid")) {
		vk_extfs_uuid(fs, uuid);
		printf("%s\n", uuid);
		rc = 0;
	} else if (argc == 4 && !strcmp(argv[2], "ls")) {
		rc = vk_extfs_lookup(fs, argv[3], &st);
		if (rc == 0)
			rc = vk_extfs_readdir(fs, st.ino, print_entry, fs);
		rc = rc < 0 ? fail(argv[3]) : 0;
	} else if (argc == 4 && !strcmp(argv[2], "cat")) {
		rc = vk_extfs_lookup(fs, argv[3], &st);
		if (rc == 0)
			rc = vk_extfs_copy_out(fs, st.ino, STDOUT_FILENO, UINT64_MAX);
		rc = rc < 0 ? fail(argv[3]) : 0;
	} else {
		rc = usage();
	}
out:
	vk_extfs_close(fs);
	vk_image_close(img);
	return rc;
}
