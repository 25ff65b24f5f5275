/* fuzz-qcow2.c - libFuzzer target for the qcow2 open path: header, L1, refcount table, a few reads and a write. */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/image/image.h"

static char path[64];

static int write_input(const uint8_t *data, size_t size)
{
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz-qcow2.%d.qcow2", (int)getpid());
	f = fopen(path, "wb");
	if (!f)
		return -1;
	if (size && fwrite(data, size, 1, f) != 1) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static void exercise(unsigned flags)
{
	static uint8_t buf[65536];
	struct vk_image *img;
	uint64_t size, offs[4];
	size_t i;

	if (vk_image_open(path, VK_IMAGE_QCOW2, flags, &img) < 0)
		return;
	size = vk_image_virtual_size(img);
	offs[0] = 0;
	offs[1] = size / 2;
	offs[2] = size > sizeof(buf) ? size - sizeof(buf) : 0;
	offs[3] = size / 3;
	for (i = 0; i < 4; i++) {
		size_t n = size - offs[i] < sizeof(buf) ? (size_t)(size - offs[i]) : sizeof(buf);

		vk_image_read(img, buf, n, offs[i]);
	}
	if (!(flags & VK_IMAGE_RDONLY) && size >= 4096) {
		memset(buf, 0x5a, 4096);
		vk_image_write(img, buf, 4096, size / 2 & ~4095ull);
		vk_image_discard(img, 0, size < 65536 ? size : 65536);
		vk_image_flush(img);
	}
	vk_image_close(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (write_input(data, size) < 0)
		return 0;
	exercise(VK_IMAGE_RDONLY);
	if (write_input(data, size) < 0)
		return 0;
	exercise(0);
	unlink(path);
	return 0;
}
