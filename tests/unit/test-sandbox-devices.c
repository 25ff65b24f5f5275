/* test-sandbox-devices.c - the real virtio-blk (raw, qcow2), virtio-net and virtio-rng I/O threads serve requests inside the I/O seccomp filter, and the main thread tears them down inside its own. */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "common/image/image.h"
#include "tests/unit/fake-driver.h"
#include "tests/unit/fake-machine.h"
#include "vmm/devices.h"
#include "vmm/iothread.h"
#include "vmm/seccomp.h"
#include "vmm/virtio/virtio.h"

#define RAM	(1u << 20)
#define HDR	0x80000
#define DATA	0x81000
#define STATUS	0x90000
#define SECTOR	512

enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11 };

struct dev {
	struct vk_guest_memory *mem;
	struct vk_virtio_dev *vdev;
	struct fake_ring ring[2];
};

static struct vk_pci_bus pci;
static char dir[] = "/tmp/vkit-sandbox-dev.XXXXXX";

static int enter_io(void)
{
	return vk_sandbox_enter(VK_THREAD_IO);
}

/* Publish a chain, ring the doorbell, wait (poll: no nanosleep on the
 * lists) until the device has used it.  False on timeout. */
static bool submit(struct dev *d, unsigned q, const struct fake_buf *bufs, unsigned n)
{
	uint16_t before = fake_ring_used_idx(&d->ring[q]);
	uint64_t one = 1;

	fake_ring_add(&d->ring[q], bufs, n);
	if (write(d->vdev->kick_fd[q], &one, sizeof(one)) != sizeof(one))
		return false;
	for (int i = 0; i < 5000 && fake_ring_used_idx(&d->ring[q]) == before; i++)
		poll(NULL, 0, 1);
	return fake_ring_used_idx(&d->ring[q]) != before;
}

static int blk_request(struct dev *d, uint32_t type, uint64_t sector, uint32_t len, bool to_guest)
{
	uint8_t *hdr = fake_host(d->mem, HDR);
	struct fake_buf bufs[3] = { { HDR, 16, false } };
	unsigned n = 1;

	memset(hdr, 0, 16);
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	if (len)
		bufs[n++] = (struct fake_buf){ DATA, len, to_guest };
	bufs[n++] = (struct fake_buf){ STATUS, 1, true };
	*(uint8_t *)fake_host(d->mem, STATUS) = 0xff;
	if (!submit(d, 0, bufs, n))
		return -1;
	return *(uint8_t *)fake_host(d->mem, STATUS);
}

/* Write, flush, read back, discard (then zeros), get-id; 0 or a code. */
static int exercise_blk(struct dev *d)
{
	uint8_t *data = fake_host(d->mem, DATA);

	for (unsigned i = 0; i < 8192; i++)
		data[i] = (uint8_t)(i * 3 + 1);
	if (blk_request(d, T_OUT, 24, 8192, false) != 0)
		return 1;
	if (blk_request(d, T_FLUSH, 0, 0, false) != 0)
		return 2;
	memset(data, 0, 8192);
	if (blk_request(d, T_IN, 24, 8192, true) != 0)
		return 3;
	for (unsigned i = 0; i < 8192; i++)
		if (data[i] != (uint8_t)(i * 3 + 1))
			return 4;
	/* discard segment: sector 24, 16 sectors, flags 0 */
	memset(data, 0, 16);
	data[0] = 24;
	data[8] = 16;
	if (blk_request(d, T_DISCARD, 0, 16, false) != 0)
		return 5;
	memset(data, 0xee, 8192);
	if (blk_request(d, T_IN, 24, 8192, true) != 0)
		return 6;
	for (unsigned i = 0; i < 8192; i++)
		if (data[i])
			return 7;
	if (blk_request(d, T_GET_ID, 0, 20, true) != 0 || memcmp(data, "sandboxed", 9) != 0)
		return 8;
	return 0;
}

static int exercise_rng(struct dev *d)
{
	struct fake_buf buf = { DATA, 64, true };
	uint8_t *data = fake_host(d->mem, DATA);
	uint32_t id, len;

	memset(data, 0, 64);
	if (!submit(d, 0, &buf, 1))
		return 20;
	fake_ring_used(&d->ring[0], 0, &id, &len);
	return len == 64 ? 0 : 21;
}

static int exercise_net(struct dev *d, int peer)
{
	struct fake_buf tx = { DATA, 12 + 60, false }, rx = { DATA + 0x1000, 1526, true };
	uint8_t frame[60], got[100];

	memset(fake_host(d->mem, DATA), 0, 12);
	memset(fake_host(d->mem, DATA + 12), 0x5a, 60);
	if (!submit(d, 1, &tx, 1) || recv(peer, got, sizeof(got), MSG_DONTWAIT) != 60 || got[0] != 0x5a)
		return 30;
	memset(frame, 0x77, sizeof(frame));
	if (send(peer, frame, sizeof(frame), 0) != sizeof(frame) || !submit(d, 0, &rx, 1))
		return 31;
	return *(uint8_t *)fake_host(d->mem, DATA + 0x1000 + 12) == 0x77 ? 0 : 32;
}

static struct dev *new_dev(void)
{
	struct dev *d = calloc(1, sizeof(*d));

	if (d)
		d->mem = fake_mem_new(RAM);
	return d;
}

static int plug(struct dev *d, unsigned n_queues, const char *name)
{
	if (vk_pci_bus_add(&pci, &d->vdev->pci) < 0 || vk_virtio_realize(d->vdev) < 0)
		return -1;
	if (!(fake_driver_start(d->vdev, d->ring, n_queues, 0, 64) &
	      VIRTIO_CONFIG_S_DRIVER_OK))
		return -1;
	return vk_iothread_start(&d->vdev->io, name);
}

/* Everything runs in a child: the filters cannot be taken off again. */
static int child(void)
{
	struct vk_image_create_opts q = { .format = VK_IMAGE_QCOW2, .size = 1 << 20, .cluster_size = 4096 };
	struct vk_image_create_opts r = { .format = VK_IMAGE_RAW, .size = 1 << 20 };
	char raw_path[96], qcow2_path[96];
	struct dev *raw = new_dev(), *qc = new_dev(), *rng = new_dev(), *net = new_dev();
	struct vk_blk_config cfg = { .format = VK_IMAGE_RAW, .serial = "sandboxed" };
	int socks[2], rc;

	if (!raw || !qc || !rng || !net)
		return 50;
	snprintf(raw_path, sizeof(raw_path), "%s/disk.raw", dir);
	snprintf(qcow2_path, sizeof(qcow2_path), "%s/disk.qcow2", dir);
	r.path = raw_path;
	q.path = qcow2_path;
	if (vk_image_create(&r) < 0 || vk_image_create(&q) < 0)
		return 51;
	pci.m = FAKE_MACHINE;
	pci.next_bar = VK_PCI_MMIO_BASE;
	pci.n_devs = 1;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, socks) < 0)
		return 52;
	cfg.path = raw_path;
	if (vk_virtio_blk_create(raw->mem, &cfg, "blk0", &raw->vdev) < 0)
		return 53;
	cfg.path = qcow2_path;
	cfg.format = VK_IMAGE_QCOW2;
	if (vk_virtio_blk_create(qc->mem, &cfg, "blk1", &qc->vdev) < 0)
		return 54;
	if (vk_virtio_rng_create(rng->mem, "rng0", &rng->vdev) < 0)
		return 55;
	if (vk_virtio_net_create(net->mem, &(struct vk_net_config){ .backend = VK_NET_FD, .fd = socks[0] },
				 "net0", &net->vdev) < 0)
		return 56;
	/* As vrun does: filters compiled, then the I/O threads enter theirs. */
	if (vk_sandbox_prepare(VK_SANDBOX_ON) < 0)
		return 57;
	vk_iothread_set_start_hook(enter_io);
	if (plug(raw, 1, "blk0") < 0 || plug(qc, 1, "blk1") < 0 || plug(rng, 1, "rng0") < 0 ||
	    plug(net, 2, "net0") < 0)
		return 58;
	rc = exercise_blk(raw);
	if (rc == 0)
		rc = exercise_blk(qc);
	if (rc)
		return 100 + rc;
	if ((rc = exercise_rng(rng)) || (rc = exercise_net(net, socks[1])))
		return rc;
	/* The teardown vrun's main thread does, inside the main filter:
	 * I/O threads stopped and joined, doorbells, images (qcow2 flushes
	 * its metadata) and the tap closed, memory freed. */
	if (vk_sandbox_enter(VK_THREAD_MAIN) < 0)
		return 59;
	vk_virtio_destroy(raw->vdev);
	vk_virtio_destroy(qc->vdev);
	vk_virtio_destroy(rng->vdev);
	vk_virtio_destroy(net->vdev);
	fake_mem_free(raw->mem);
	free(raw);
	return 0;
}

static void devices_work_inside_the_filters(void **state)
{
	int status = 0;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		print_error("killed by signal %d (31 = SIGSYS: a call missing from a list)\n", WTERMSIG(status));
	else if (WEXITSTATUS(status))
		print_error("child failed with code %d\n", WEXITSTATUS(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int cleanup(void **state)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/disk.raw", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/disk.qcow2", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(devices_work_inside_the_filters, cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
