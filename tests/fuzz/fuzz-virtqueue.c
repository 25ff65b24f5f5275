/* fuzz-virtqueue.c - libFuzzer target: fuzzed guest RAM under the descriptor parser and the virtio-blk request path. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/fake-driver.h"
#include "tests/unit/fake-machine.h"
#include "vmm/devices.h"
#include "vmm/virtio/virtio.h"

/*
 * Input layout: byte 0 = options (bit 0 indirect, bit 1 event idx, bits 4-7
 * log2 of the queue size), then guest RAM from address 0.  The rings sit at
 * fixed addresses inside that RAM (DESC, AVAIL, USED), so the fuzzer
 * controls every descriptor, index and buffer; RAM beyond the input is zero.
 */
#define RAM_SIZE	(256 * 1024)
#define DESC		0x1000
#define AVAIL		0x2000
#define USED		0x3000

static struct vk_guest_memory *mem;
static struct vk_pci_bus pci;
static struct vk_virtio_dev *blk;
static char image_path[64];

static void setup_once(void)
{
	struct vk_blk_config cfg = { .path = image_path, .format = VK_IMAGE_RAW, .serial = "fuzz" };
	int fd;

	mem = fake_mem_new(RAM_SIZE);
	snprintf(image_path, sizeof(image_path), "/tmp/vkit-fuzz-blk.XXXXXX");
	fd = mkstemp(image_path);
	if (fd < 0 || ftruncate(fd, 64 * 1024) < 0)
		abort();
	close(fd);
	pci.m = FAKE_MACHINE;
	pci.next_bar = VK_PCI_MMIO_BASE;
	pci.n_devs = 1;
	if (vk_virtio_blk_create(mem, &cfg, "fuzzblk", &blk) < 0 || vk_pci_bus_add(&pci, &blk->pci) < 0 ||
	    vk_virtio_realize(blk) < 0)
		abort();
	/* The image is only a scratch disk for this process. */
	unlink(image_path);
}

/* What the parser promises about an accepted chain (queue.h). */
static void check_chain(const struct vk_virtq_chain *c)
{
	const uint8_t *ram = mem->regions[0].host;
	uint64_t out = 0, in = 0;

	if (c->n_out + c->n_in > VK_VIRTQ_MAX_SEGS || c->out_len > UINT32_MAX || c->in_len > UINT32_MAX)
		abort();
	for (unsigned s = 0; s < c->n_out + c->n_in; s++) {
		const uint8_t *b = c->iov[s].iov_base;
		size_t len = c->iov[s].iov_len;

		if (len == 0 || b < ram || b > ram + RAM_SIZE || len > (size_t)(ram + RAM_SIZE - b))
			abort();
		if (s < c->n_out)
			out += len;
		else
			in += len;
	}
	if (out != c->out_len || in != c->in_len)
		abort();
}

/* The parser alone, on a queue over the fuzzed RAM. */
static void fuzz_parser(uint8_t opts)
{
	struct vk_virtq q = { .name = "fuzz", .size = 1u << (opts >> 4 & 7), .desc_gpa = DESC,
			      .avail_gpa = AVAIL, .used_gpa = USED };
	static struct vk_virtq_chain c;
	uint8_t sink[64];

	if (vk_virtq_enable(&q, mem) < 0)
		return;
	q.indirect = opts & 1;
	q.event_idx = opts & 2;
	for (unsigned i = 0; i < 2 * q.size; i++) {
		int rc = vk_virtq_pop(&q, &c);

		if (rc < 0 && (!q.broken || vk_virtq_pop(&q, &c) != 0))
			abort();	/* a refused chain leaves the queue broken and silent */
		if (rc <= 0)
			break;
		check_chain(&c);
		/* Touch every buffer the parser handed out: ASan checks they are real. */
		vk_virtq_chain_read(&c, 0, sink, sizeof(sink));
		vk_virtq_chain_write(&c, c.in_len > 8 ? c.in_len - 8 : 0, sink, 8);
		for (unsigned s = 0; s < c.n_out + c.n_in; s++)
			((volatile uint8_t *)c.iov[s].iov_base)[c.iov[s].iov_len - 1];
		vk_virtq_push(&q, c.head, (uint32_t)c.in_len);
		vk_virtq_need_interrupt(&q);
	}
}

static void cw(uint64_t off, uint64_t v, unsigned len)
{
	fake_bar_write(blk, VK_VIRTIO_BAR_COMMON + off, v, len);
}

/* The same RAM through the whole virtio-blk device. */
static void fuzz_blk(uint8_t opts, const uint8_t *ram, size_t len)
{
	uint64_t features = 1ull << VIRTIO_F_VERSION_1 | (opts & 1 ? 1ull << VIRTIO_F_INDIRECT_DESC : 0) |
			    (opts & 2 ? 1ull << VIRTIO_F_EVENT_IDX : 0) | 1ull << 13 /* DISCARD */;

	cw(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	cw(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER, 1);
	cw(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	cw(VIRTIO_PCI_COMMON_GF, (uint32_t)features, 4);
	cw(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	cw(VIRTIO_PCI_COMMON_GF, features >> 32, 4);
	cw(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	   VIRTIO_CONFIG_S_FEATURES_OK, 1);
	cw(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	cw(VIRTIO_PCI_COMMON_Q_SIZE, 1u << (opts >> 4 & 7), 2);
	cw(VIRTIO_PCI_COMMON_Q_DESCLO, DESC, 4);
	cw(VIRTIO_PCI_COMMON_Q_AVAILLO, AVAIL, 4);
	cw(VIRTIO_PCI_COMMON_Q_USEDLO, USED, 4);
	cw(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	cw(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	memset(mem->regions[0].host, 0, RAM_SIZE);
	memcpy(mem->regions[0].host, ram, len);
	vk_virtio_kick(blk, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem)
		setup_once();
	if (size < 1)
		return 0;
	size--;
	if (size > RAM_SIZE)
		size = RAM_SIZE;
	memset(mem->regions[0].host, 0, RAM_SIZE);
	memcpy(mem->regions[0].host, data + 1, size);
	fuzz_parser(data[0]);
	fuzz_blk(data[0], data + 1, size);
	return 0;
}
