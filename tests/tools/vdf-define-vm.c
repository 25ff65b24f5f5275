/* vdf-define-vm.c - test helper: define a VM with the given disks, for vdf's -d tests. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/vm/statedir.h"
#include "common/vm/vmdef.h"

/* Usage: vdf-define-vm NAME UUID FORMAT:PATH... */
int main(int argc, char **argv)
{
	struct vk_vm *vm;
	int i, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: vdf-define-vm NAME UUID FORMAT:PATH...\n");
		return 2;
	}
	vm = vk_vm_new(argv[1]);
	if (!vm) {
		fprintf(stderr, "vdf-define-vm: %s\n", vk_last_error());
		return 1;
	}
	snprintf(vm->uuid, sizeof vm->uuid, "%s", argv[2]);
	vm->boot.kind = VK_BOOT_DISK;
	for (i = 3; i < argc; i++) {
		struct vk_disk disk = { 0 };
		char *colon = strchr(argv[i], ':');

		if (!colon) {
			fprintf(stderr, "vdf-define-vm: %s: want FORMAT:PATH\n", argv[i]);
			return 2;
		}
		*colon = '\0';
		if (vk_image_format_parse(argv[i], &disk.format) < 0)
			goto fail;
		disk.path = colon + 1;
		if (vk_vm_add_disk(vm, &disk) < 0)
			goto fail;
	}
	rc = vk_vm_define(vm, false);
	if (rc < 0)
		goto fail;
	vk_vm_free(vm);
	return 0;
fail:
	fprintf(stderr, "vdf-define-vm: %s\n", vk_last_error());
	vk_vm_free(vm);
	return 1;
}
