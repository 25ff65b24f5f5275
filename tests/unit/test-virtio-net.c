/* test-virtio-net.c - virtio-net frame handling with a datagram socketpair standing in for the tap. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/fake-driver.h"
#include "tests/unit/fake-machine.h"
#include "vmm/devices.h"
#include "vmm/virtio/virtio.h"

#define HDR_LEN	12	/* virtio_net_hdr with num_buffers, 5.1.6 */
#define RX	0
#define TX	1
#define BUF	0x80000
#define BACKEND_TAG VK_VIRTIO_MAX_QUEUES

struct env {
	struct vk_guest_memory *mem;
	struct vk_pci_bus pci;
	struct vk_virtio_dev *vdev;
	struct fake_ring ring[2];
	int peer;		/* the "network" side of the socketpair */
};

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));
	struct vk_net_config cfg = { .backend = VK_NET_FD, .mac = "52:54:00:AB:CD:EF" };
	int sv[2];

	fake_machine_reset();
	e->mem = fake_mem_new(1 << 20);
	e->pci.m = FAKE_MACHINE;
	e->pci.next_bar = VK_PCI_MMIO_BASE;
	e->pci.n_devs = 1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	cfg.fd = sv[0];
	e->peer = sv[1];
	assert_int_equal(vk_virtio_net_create(e->mem, &cfg, "net0", &e->vdev), 0);
	assert_int_equal(vk_pci_bus_add(&e->pci, &e->vdev->pci), 0);
	assert_int_equal(vk_virtio_realize(e->vdev), 0);
	assert_true(fake_driver_start(e->vdev, e->ring, 2, 1ull << 5 /* MAC */, 64) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	vk_virtio_destroy(e->vdev);
	close(e->peer);
	fake_mem_free(e->mem);
	test_free(e);
	fake_machine_reset();
	return 0;
}

static void test_mac_in_config(void **state)
{
	struct env *e = *state;
	const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	uint8_t mac[6];

	for (unsigned i = 0; i < 6; i++)
		mac[i] = fake_bar_read(e->vdev, VK_VIRTIO_BAR_DEVICE + i, 1);
	assert_memory_equal(mac, want, 6);
	fake_bar_write(e->vdev, VK_VIRTIO_BAR_DEVICE, 0, 1);	/* read-only */
	assert_int_equal(fake_bar_read(e->vdev, VK_VIRTIO_BAR_DEVICE, 1), 0x52);
}

static void test_bad_mac_refused(void **state)
{
	struct vk_net_config cfg = { .backend = VK_NET_FD, .mac = "01:00:5e:00:00:01" };
	struct vk_virtio_dev *v = NULL;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	cfg.fd = sv[0];		/* the device owns it, even on failure */
	assert_true(vk_virtio_net_create(NULL, &cfg, "net9", &v) < 0);
	assert_null(v);
	assert_int_equal(close(sv[0]), -1);	/* already closed */
	close(sv[1]);
}

static void test_tx_sends_frame_without_header(void **state)
{
	struct env *e = *state;
	struct fake_buf bufs[] = { { BUF, HDR_LEN, false }, { BUF + 0x100, 60, false } };
	uint8_t frame[128];
	uint32_t id, len;

	memset(fake_host(e->mem, BUF), 0, HDR_LEN);
	memset(fake_host(e->mem, BUF + 0x100), 0xab, 60);
	fake_ring_add(&e->ring[TX], bufs, 2);
	vk_virtio_kick(e->vdev, TX);
	assert_int_equal(recv(e->peer, frame, sizeof(frame), 0), 60);
	assert_int_equal(frame[0], 0xab);
	assert_int_equal(frame[59], 0xab);
	assert_int_equal(fake_ring_used_idx(&e->ring[TX]), 1);
	fake_ring_used(&e->ring[TX], 0, &id, &len);
	assert_int_equal(len, 0);
}

static void test_tx_frame_in_one_buffer(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { BUF, HDR_LEN + 1500, false };
	uint8_t frame[2048];

	memset(fake_host(e->mem, BUF), 0x11, HDR_LEN + 1500);
	fake_ring_add(&e->ring[TX], &buf, 1);
	vk_virtio_kick(e->vdev, TX);
	assert_int_equal(recv(e->peer, frame, sizeof(frame), 0), 1500);
}

static void test_tx_short_chain_dropped_but_returned(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { BUF, HDR_LEN, false };
	uint8_t frame[64];

	fake_ring_add(&e->ring[TX], &buf, 1);
	vk_virtio_kick(e->vdev, TX);
	assert_int_equal(recv(e->peer, frame, sizeof(frame), MSG_DONTWAIT), -1);
	assert_int_equal(fake_ring_used_idx(&e->ring[TX]), 1);
}

static void test_tx_malformed_chain_needs_reset(void **state)
{
	struct env *e = *state;

	fake_ring_set_desc(&e->ring[TX], 0, BUF, 100, VIRTQ_DESC_F_NEXT, 0);	/* loop */
	fake_ring_publish(&e->ring[TX], 0);
	vk_virtio_kick(e->vdev, TX);
	assert_true(fake_bar_read(e->vdev, VK_VIRTIO_BAR_COMMON + VIRTIO_PCI_COMMON_STATUS, 1) &
		    VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_rx_delivers_frame_with_header(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { BUF, 1526, true };
	uint8_t frame[60], *got = fake_host(e->mem, BUF);
	uint32_t id, len;

	memset(frame, 0xcd, sizeof(frame));
	memset(got, 0xff, 1526);
	fake_ring_add(&e->ring[RX], &buf, 1);
	assert_int_equal(send(e->peer, frame, sizeof(frame), 0), sizeof(frame));
	vk_virtio_kick(e->vdev, BACKEND_TAG);
	assert_int_equal(fake_ring_used_idx(&e->ring[RX]), 1);
	fake_ring_used(&e->ring[RX], 0, &id, &len);
	assert_int_equal(len, HDR_LEN + 60);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(got[i], 0);			/* no offload metadata */
	assert_int_equal(got[10] | got[11] << 8, 1);		/* num_buffers */
	assert_memory_equal(got + HDR_LEN, frame, 60);
}

static void test_rx_waits_for_buffers_without_dropping(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { BUF, 1526, true };
	uint8_t frame[60] = { 1, 2, 3 };
	uint32_t id, len;

	assert_int_equal(send(e->peer, frame, sizeof(frame), 0), sizeof(frame));
	vk_virtio_kick(e->vdev, BACKEND_TAG);		/* no buffers yet */
	assert_int_equal(fake_ring_used_idx(&e->ring[RX]), 0);
	fake_ring_add(&e->ring[RX], &buf, 1);
	vk_virtio_kick(e->vdev, RX);			/* the driver's kick */
	assert_int_equal(fake_ring_used_idx(&e->ring[RX]), 1);
	fake_ring_used(&e->ring[RX], 0, &id, &len);
	assert_int_equal(len, HDR_LEN + 60);
	assert_int_equal(((uint8_t *)fake_host(e->mem, BUF))[HDR_LEN + 2], 3);
}

static void test_rx_frame_larger_than_buffer_cut(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { BUF, 100, true };
	uint8_t frame[1000];
	uint32_t id, len;

	memset(frame, 0x77, sizeof(frame));
	memset(fake_host(e->mem, BUF + 100), 0x99, 16);
	fake_ring_add(&e->ring[RX], &buf, 1);
	assert_int_equal(send(e->peer, frame, sizeof(frame), 0), sizeof(frame));
	vk_virtio_kick(e->vdev, BACKEND_TAG);
	fake_ring_used(&e->ring[RX], 0, &id, &len);
	assert_int_equal(len, 100);
	assert_int_equal(((uint8_t *)fake_host(e->mem, BUF + 100))[0], 0x99);	/* nothing past it */
}

static void test_rx_into_readable_buffer_needs_reset(void **state)
{
	struct env *e = *state;
	struct fake_buf bufs[] = { { BUF, 100, true }, { BUF + 0x1000, 100, false } };
	uint8_t frame[60] = { 0 };

	fake_ring_add(&e->ring[RX], bufs, 2);
	assert_int_equal(send(e->peer, frame, sizeof(frame), 0), sizeof(frame));
	vk_virtio_kick(e->vdev, BACKEND_TAG);
	assert_int_equal(fake_ring_used_idx(&e->ring[RX]), 0);
	assert_true(fake_bar_read(e->vdev, VK_VIRTIO_BAR_COMMON + VIRTIO_PCI_COMMON_STATUS, 1) &
		    VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_rx_through_iothread(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { BUF, 1526, true };
	uint8_t frame[60] = { 9 };
	uint64_t one = 1;

	fake_ring_add(&e->ring[RX], &buf, 1);
	assert_int_equal(vk_iothread_start(&e->vdev->io, "test-net"), 0);
	assert_int_equal(write(e->vdev->kick_fd[RX], &one, sizeof(one)), sizeof(one));
	assert_int_equal(send(e->peer, frame, sizeof(frame), 0), sizeof(frame));
	for (unsigned i = 0; i < 10000 && fake_ring_used_idx(&e->ring[RX]) == 0; i++)
		usleep(1000);
	vk_iothread_stop(&e->vdev->io);
	assert_int_equal(fake_ring_used_idx(&e->ring[RX]), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mac_in_config),
		cmocka_unit_test(test_bad_mac_refused),
		T(test_tx_sends_frame_without_header),
		T(test_tx_frame_in_one_buffer),
		T(test_tx_short_chain_dropped_but_returned),
		T(test_tx_malformed_chain_needs_reset),
		T(test_rx_delivers_frame_with_header),
		T(test_rx_waits_for_buffers_without_dropping),
		T(test_rx_frame_larger_than_buffer_cut),
		T(test_rx_into_readable_buffer_needs_reset),
		T(test_rx_through_iothread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
