/* test-virtio-pci.c - the virtio-pci modern transport, driven as a guest driver would, on a virtio-rng device. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/fake-driver.h"
#include "tests/unit/fake-machine.h"
#include "vmm/virtio/virtio.h"

#define C(field) (VK_VIRTIO_BAR_COMMON + VIRTIO_PCI_COMMON_##field)
#define ACK_DRIVER (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)
#define BUF 0x80000

struct env {
	struct vk_guest_memory *mem;
	struct vk_pci_bus pci;
	struct vk_virtio_dev *vdev;
	struct fake_ring ring;
};

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	fake_machine_reset();
	e->mem = fake_mem_new(1 << 20);
	e->pci.m = FAKE_MACHINE;
	e->pci.next_bar = VK_PCI_MMIO_BASE;
	e->pci.n_devs = 1;	/* slot 0 is the host bridge's */
	assert_int_equal(vk_virtio_rng_create(e->mem, "rng0", &e->vdev), 0);
	assert_int_equal(vk_pci_bus_add(&e->pci, &e->vdev->pci), 0);
	assert_int_equal(vk_virtio_realize(e->vdev), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	vk_virtio_destroy(e->vdev);
	fake_mem_free(e->mem);
	test_free(e);
	fake_machine_reset();
	return 0;
}

static uint64_t rd(struct env *e, uint64_t off, unsigned len) { return fake_bar_read(e->vdev, off, len); }
static void wr(struct env *e, uint64_t off, uint64_t v, unsigned len) { fake_bar_write(e->vdev, off, v, len); }

static void set_features(struct env *e, uint64_t f)
{
	wr(e, C(GFSELECT), 0, 4);
	wr(e, C(GF), (uint32_t)f, 4);
	wr(e, C(GFSELECT), 1, 4);
	wr(e, C(GF), f >> 32, 4);
}

static void test_pci_identity_is_modern_virtio(void **state)
{
	struct env *e = *state;

	assert_int_equal(vk_pci_config_read(&e->vdev->pci, PCI_VENDOR_ID, 2), VIRTIO_PCI_VENDOR_ID);
	assert_int_equal(vk_pci_config_read(&e->vdev->pci, PCI_DEVICE_ID, 2), 0x1040 + VIRTIO_ID_RNG);
	assert_true(vk_pci_config_read(&e->vdev->pci, PCI_REVISION_ID, 1) >= 1);
	assert_int_equal(vk_pci_config_read(&e->vdev->pci, PCI_SUBSYSTEM_ID, 2), VIRTIO_ID_RNG);
}

static void test_virtio_capabilities_present(void **state)
{
	struct env *e = *state;
	struct vk_pci_dev *p = &e->vdev->pci;
	unsigned seen = 0, off;

	for (off = p->cfg[PCI_CAPABILITY_LIST]; off; off = p->cfg[off + 1]) {
		if (p->cfg[off] != PCI_CAP_ID_VNDR)
			continue;
		assert_int_equal(p->cfg[off + 4], 0);	/* BAR 0 */
		seen |= 1u << p->cfg[off + 3];
		if (p->cfg[off + 3] == VIRTIO_PCI_CAP_NOTIFY_CFG) {
			assert_int_equal(p->cfg[off + 2], 20);
			assert_int_equal(vk_pci_config_read(p, off + 16, 4), VK_VIRTIO_NOTIFY_MULTIPLIER);
			assert_int_equal(vk_pci_config_read(p, off + 8, 4), VK_VIRTIO_BAR_NOTIFY);
		}
		if (p->cfg[off + 3] == VIRTIO_PCI_CAP_COMMON_CFG)
			assert_int_equal(vk_pci_config_read(p, off + 12, 4), VIRTIO_PCI_COMMON_SIZE);
	}
	/* rng has no device config: common, notify, ISR and the config-space window. */
	assert_int_equal(seen, 1u << VIRTIO_PCI_CAP_COMMON_CFG | 1u << VIRTIO_PCI_CAP_NOTIFY_CFG |
			       1u << VIRTIO_PCI_CAP_ISR_CFG | 1u << VIRTIO_PCI_CAP_PCI_CFG);
}

/* VIRTIO_PCI_CAP_PCI_CFG: bar, offset and length set up an access that a
 * read or write of pci_cfg_data makes (how iPXE and SeaBIOS may reach BAR 0). */
static void test_pci_cfg_window(void **state)
{
	struct env *e = *state;
	struct vk_pci_dev *p = &e->vdev->pci;
	unsigned cap = 0, off;
	uint64_t n;

	for (off = p->cfg[PCI_CAPABILITY_LIST]; off; off = p->cfg[off + 1])
		if (p->cfg[off] == PCI_CAP_ID_VNDR && p->cfg[off + 3] == VIRTIO_PCI_CAP_PCI_CFG)
			cap = off;
	assert_true(cap);
	assert_int_equal(p->cfg[cap + 2], 20);
	/* Read num_queues (2 bytes) through the window. */
	vk_pci_config_write(p, cap + 4, 1, 0);
	vk_pci_config_write(p, cap + 8, 4, C(NUMQ));
	vk_pci_config_write(p, cap + 12, 4, 2);
	assert_int_equal(vk_pci_config_read(p, cap + 16, 4), 1);
	/* Write the status register through it; the BAR sees it. */
	vk_pci_config_write(p, cap + 8, 4, C(STATUS));
	vk_pci_config_write(p, cap + 12, 4, 1);
	vk_pci_config_write(p, cap + 16, 1, ACK_DRIVER);
	assert_int_equal(rd(e, C(STATUS), 1), ACK_DRIVER);
	/* A notify through the window wakes the queue's doorbell. */
	vk_pci_config_write(p, cap + 8, 4, VK_VIRTIO_BAR_NOTIFY);
	vk_pci_config_write(p, cap + 12, 4, 2);
	vk_pci_config_write(p, cap + 16, 2, 0);
	assert_int_equal(read(e->vdev->kick_fd[0], &n, sizeof(n)), sizeof(n));
	/* Bad set-ups do nothing: length 3, a misaligned offset, another BAR,
	 * an offset past the BAR (which reads as all ones). */
	vk_pci_config_write(p, cap + 8, 4, C(STATUS));
	vk_pci_config_write(p, cap + 12, 4, 3);
	vk_pci_config_write(p, cap + 16, 1, 0);
	assert_int_equal(rd(e, C(STATUS), 1), ACK_DRIVER);
	vk_pci_config_write(p, cap + 8, 4, C(STATUS) + 1);
	vk_pci_config_write(p, cap + 12, 4, 2);
	vk_pci_config_write(p, cap + 16, 2, 0);
	assert_int_equal(rd(e, C(STATUS), 1), ACK_DRIVER);
	vk_pci_config_write(p, cap + 4, 1, 2);
	vk_pci_config_write(p, cap + 8, 4, C(STATUS));
	vk_pci_config_write(p, cap + 12, 4, 1);
	vk_pci_config_write(p, cap + 16, 1, 0);
	assert_int_equal(rd(e, C(STATUS), 1), ACK_DRIVER);
	vk_pci_config_write(p, cap + 4, 1, 0);
	vk_pci_config_write(p, cap + 8, 4, VK_VIRTIO_BAR_SIZE);
	vk_pci_config_write(p, cap + 12, 4, 4);
	assert_int_equal(vk_pci_config_read(p, cap + 16, 4), 0xffffffffu);
	vk_pci_config_write(p, cap + 8, 4, 0xfffffffc);
	assert_int_equal(vk_pci_config_read(p, cap + 16, 4), 0xffffffffu);
}

/* Debian 12's iPXE reads 32-bit common fields 16 bits at a time: a
 * narrower read gets that part of the field; a narrower write is dropped. */
static void test_common_narrow_access(void **state)
{
	struct env *e = *state;
	uint32_t df;

	wr(e, C(DFSELECT), 1, 4);
	df = (uint32_t)rd(e, C(DF), 4);
	assert_int_equal(rd(e, C(DF), 2), df & 0xffff);
	assert_int_equal(rd(e, C(DF) + 2, 2), df >> 16);
	assert_int_equal(rd(e, C(DF) + 1, 1), (df >> 8) & 0xff);
	assert_int_equal(rd(e, C(DFSELECT), 2), 1);
	wr(e, C(DFSELECT), 0, 2);		/* dropped */
	assert_int_equal(rd(e, C(DFSELECT), 4), 1);
	assert_int_equal(rd(e, C(DF) + 1, 2), 0);	/* misaligned: nothing */
	assert_int_equal(rd(e, C(NUMQ), 4), 0);	/* wider than the field: nothing */
}

static void test_device_features_offer_version_1(void **state)
{
	struct env *e = *state;

	wr(e, C(DFSELECT), 1, 4);
	assert_true(rd(e, C(DF), 4) & 1);	/* bit 32 */
	wr(e, C(DFSELECT), 0, 4);
	assert_true(rd(e, C(DF), 4) & (1u << VIRTIO_F_INDIRECT_DESC));
	wr(e, C(DFSELECT), 7, 4);
	assert_int_equal(rd(e, C(DF), 4), 0);
	assert_int_equal(rd(e, C(NUMQ), 2), 1);
}

static void test_features_negotiated(void **state)
{
	struct env *e = *state;

	wr(e, C(STATUS), ACK_DRIVER, 1);
	set_features(e, 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_EVENT_IDX);
	wr(e, C(STATUS), ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	assert_int_equal(rd(e, C(STATUS), 1), ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_true(vk_virtio_has_feature(e->vdev, VIRTIO_F_EVENT_IDX));
	assert_true(e->vdev->vq[0].event_idx);
	/* Frozen once FEATURES_OK is set. */
	set_features(e, 1ull << VIRTIO_F_VERSION_1);
	assert_true(vk_virtio_has_feature(e->vdev, VIRTIO_F_EVENT_IDX));
}

static void test_features_before_driver_status_ignored(void **state)
{
	struct env *e = *state;

	set_features(e, 1ull << VIRTIO_F_VERSION_1);
	assert_int_equal(e->vdev->driver_features, 0);
}

static void test_legacy_driver_refused(void **state)
{
	struct env *e = *state;

	wr(e, C(STATUS), ACK_DRIVER, 1);
	set_features(e, 1ull << VIRTIO_F_INDIRECT_DESC);	/* no VERSION_1 */
	wr(e, C(STATUS), ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	assert_int_equal(rd(e, C(STATUS), 1), ACK_DRIVER);
}

static void test_unoffered_feature_refused(void **state)
{
	struct env *e = *state;

	wr(e, C(STATUS), ACK_DRIVER, 1);
	set_features(e, 1ull << VIRTIO_F_VERSION_1 | 1ull << 40);
	wr(e, C(STATUS), ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	assert_false(rd(e, C(STATUS), 1) & VIRTIO_CONFIG_S_FEATURES_OK);
}

static void test_driver_ok_needs_features_ok(void **state)
{
	struct env *e = *state;

	wr(e, C(STATUS), ACK_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	assert_false(rd(e, C(STATUS), 1) & VIRTIO_CONFIG_S_DRIVER_OK);
}

static void test_queue_configuration(void **state)
{
	struct env *e = *state;

	wr(e, C(Q_SELECT), 0, 2);
	assert_int_equal(rd(e, C(Q_SIZE), 2), 64);
	wr(e, C(Q_SIZE), 33, 2);			/* not a power of two */
	assert_int_equal(rd(e, C(Q_SIZE), 2), 64);
	wr(e, C(Q_SIZE), 128, 2);			/* more than offered */
	assert_int_equal(rd(e, C(Q_SIZE), 2), 64);
	wr(e, C(Q_SIZE), 16, 2);
	assert_int_equal(rd(e, C(Q_SIZE), 2), 16);
	wr(e, C(Q_DESCLO), 0x12345000, 4);
	wr(e, C(Q_DESCHI), 0x1, 4);
	assert_int_equal(rd(e, C(Q_DESCLO), 4), 0x12345000);
	assert_int_equal(rd(e, C(Q_DESCHI), 4), 1);
	assert_int_equal(rd(e, C(Q_NOFF), 2), 0);
	wr(e, C(Q_SELECT), 3, 2);			/* no such queue */
	assert_int_equal(rd(e, C(Q_SIZE), 2), 0);
	wr(e, C(Q_SIZE), 16, 2);
	wr(e, C(Q_ENABLE), 1, 2);
	assert_int_equal(rd(e, C(Q_ENABLE), 2), 0);
	/* Wrong widths are dropped. */
	wr(e, C(Q_SELECT), 0, 2);
	assert_int_equal(rd(e, C(Q_SIZE), 4), 0);
	wr(e, C(Q_SIZE), 8, 1);
	assert_int_equal(rd(e, C(Q_SIZE), 2), 16);
}

static void test_queue_outside_ram_needs_reset(void **state)
{
	struct env *e = *state;

	wr(e, C(STATUS), ACK_DRIVER, 1);
	wr(e, C(Q_SELECT), 0, 2);
	wr(e, C(Q_DESCLO), 0xfffff000, 4);
	wr(e, C(Q_ENABLE), 1, 2);
	assert_int_equal(rd(e, C(Q_ENABLE), 2), 0);
	assert_true(rd(e, C(STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* The driver cannot clear the device's bit, only reset. */
	wr(e, C(STATUS), ACK_DRIVER, 1);
	assert_true(rd(e, C(STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(e, C(STATUS), 0, 1);
	assert_int_equal(rd(e, C(STATUS), 1), 0);
}

static void test_reset_restores_power_on_state(void **state)
{
	struct env *e = *state;
	struct fake_ring rings[1];

	assert_int_equal(fake_driver_start(e->vdev, rings, 1, 0, 16), ACK_DRIVER |
			 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(rd(e, C(Q_ENABLE), 2), 1);
	wr(e, C(STATUS), 0, 1);
	assert_int_equal(rd(e, C(STATUS), 1), 0);
	assert_int_equal(e->vdev->driver_features, 0);
	assert_int_equal(rd(e, C(Q_ENABLE), 2), 0);
	assert_int_equal(rd(e, C(Q_SIZE), 2), 64);
	assert_int_equal(rd(e, C(Q_MSIX), 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(rd(e, C(MSIX), 2), VIRTIO_MSI_NO_VECTOR);
}

static void test_msix_vector_bounds(void **state)
{
	struct env *e = *state;

	wr(e, C(MSIX), 1, 2);
	assert_int_equal(rd(e, C(MSIX), 2), 1);
	wr(e, C(MSIX), 2, 2);			/* rng has 2 vectors: 0 and 1 */
	assert_int_equal(rd(e, C(MSIX), 2), VIRTIO_MSI_NO_VECTOR);
	wr(e, C(Q_MSIX), 60, 2);
	assert_int_equal(rd(e, C(Q_MSIX), 2), VIRTIO_MSI_NO_VECTOR);
}

static void test_isr_read_acknowledges_intx(void **state)
{
	struct env *e = *state;
	struct fake_ring rings[1];
	struct fake_buf buf = { BUF, 16, true };
	unsigned gsi = e->vdev->pci.gsi;

	fake_driver_start(e->vdev, rings, 1, 0, 16);	/* MSI-X stays disabled */
	fake_ring_add(&rings[0], &buf, 1);
	vk_virtio_kick(e->vdev, 0);
	assert_int_equal(fake_ring_used_idx(&rings[0]), 1);
	assert_true(fake.irq_level[gsi]);
	assert_int_equal(rd(e, VK_VIRTIO_BAR_ISR, 1), VIRTIO_PCI_ISR_QUEUE);
	assert_false(fake.irq_level[gsi]);
	assert_int_equal(rd(e, VK_VIRTIO_BAR_ISR, 1), 0);
}

static void enable_msix_vectors(struct env *e)
{
	struct vk_pci_dev *p = &e->vdev->pci;

	uint64_t table = p->bars[0].addr - VK_PCI_MMIO_BASE + VK_VIRTIO_BAR_MSIX_TABLE;
	uint32_t addr = 0xfee00000, unmasked = 0;

	/* Through the PCI window: the table belongs to the PCI layer. */
	for (unsigned v = 0; v < p->msix.nvec; v++) {
		vk_pci_window_io(&e->pci, table + 16 * v, (uint8_t *)&addr, 4, true);
		vk_pci_window_io(&e->pci, table + 16 * v + 12, (uint8_t *)&unmasked, 4, true);
	}
	vk_pci_config_write(p, p->msix.cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
}

static void test_rng_fills_buffer_and_signals_msix(void **state)
{
	struct env *e = *state;
	struct fake_ring rings[1];
	struct fake_buf buf = { BUF, 64, true };
	uint8_t zero[64] = { 0 };
	uint32_t id, len;

	enable_msix_vectors(e);
	fake_driver_start(e->vdev, rings, 1, 0, 16);
	fake_ring_add(&rings[0], &buf, 1);
	vk_virtio_kick(e->vdev, 0);
	fake_ring_used(&rings[0], 0, &id, &len);
	assert_int_equal(len, 64);
	assert_memory_not_equal(fake_host(e->mem, BUF), zero, 64);
	assert_int_equal(fake.route[e->vdev->pci.msix.msi[1].gsi].signals, 1);
	assert_false(fake.irq_level[e->vdev->pci.gsi]);
}

static void test_rng_caps_large_requests(void **state)
{
	struct env *e = *state;
	struct fake_ring rings[1];
	struct fake_buf buf = { BUF, 0x10000, true };
	uint32_t id, len;

	fake_driver_start(e->vdev, rings, 1, 0, 16);
	fake_ring_add(&rings[0], &buf, 1);
	vk_virtio_kick(e->vdev, 0);
	fake_ring_used(&rings[0], 0, &id, &len);
	assert_int_equal(len, 4096);
}

static void test_kick_before_driver_ok_does_nothing(void **state)
{
	struct env *e = *state;
	struct fake_ring rings[1];
	struct fake_buf buf = { BUF, 8, true };

	fake_driver_start(e->vdev, rings, 1, 0, 16);
	wr(e, C(STATUS), 0, 1);
	fake_ring_add(&rings[0], &buf, 1);
	vk_virtio_kick(e->vdev, 0);
	assert_int_equal(fake_ring_used_idx(&rings[0]), 0);
}

static void test_hostile_chain_sets_needs_reset_and_interrupts(void **state)
{
	struct env *e = *state;
	struct fake_ring rings[1];

	enable_msix_vectors(e);
	fake_driver_start(e->vdev, rings, 1, 0, 16);
	fake_ring_set_desc(&rings[0], 0, BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	fake_ring_publish(&rings[0], 0);
	vk_virtio_kick(e->vdev, 0);
	assert_true(rd(e, C(STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(fake.route[e->vdev->pci.msix.msi[0].gsi].signals, 1);	/* config vector */
	assert_int_equal(rd(e, C(CFGGENERATION), 1), 1);
	assert_int_equal(fake_ring_used_idx(&rings[0]), 0);
	/* Reset and start again: the device works. */
	fake_driver_start(e->vdev, rings, 1, 0, 16);
	assert_false(rd(e, C(STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_doorbells_are_ioeventfds_that_follow_the_bar(void **state)
{
	struct env *e = *state;
	uint64_t bar = e->vdev->pci.bars[0].addr, new = VK_PCI_MMIO_BASE + 0x100000;
	int fd = fake_ioeventfd_at(bar + VK_VIRTIO_BAR_NOTIFY);

	assert_true(fd >= 0);
	assert_int_equal(fd, e->vdev->kick_fd[0]);
	vk_pci_config_write(&e->vdev->pci, PCI_BASE_ADDRESS_0, 4, (uint32_t)new);
	assert_int_equal(fake_ioeventfd_at(bar + VK_VIRTIO_BAR_NOTIFY), -1);
	fd = fake_ioeventfd_at(new + VK_VIRTIO_BAR_NOTIFY);
	assert_true(fd >= 0);
	assert_int_equal(fd, e->vdev->kick_fd[0]);
}

static void test_doorbell_without_ioeventfd_still_kicks(void **state)
{
	struct env *e = *state;
	struct vk_virtio_dev *v;
	struct pollfd pfd;

	fake.ioeventfd_fails = true;
	assert_int_equal(vk_virtio_rng_create(e->mem, "rng1", &v), 0);
	assert_int_equal(vk_pci_bus_add(&e->pci, &v->pci), 0);
	assert_int_equal(vk_virtio_realize(v), 0);
	assert_false(v->kick_is_ioeventfd[0]);
	fake_bar_write(v, VK_VIRTIO_BAR_NOTIFY, 0, 2);
	pfd = (struct pollfd){ .fd = v->kick_fd[0], .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 1);
	fake_bar_write(v, VK_VIRTIO_BAR_NOTIFY + 4 * 5, 0, 2);	/* no queue 5: ignored */
	vk_virtio_destroy(v);
}

static void test_iothread_runs_kicked_queue(void **state)
{
	struct env *e = *state;
	struct fake_ring rings[1];
	struct fake_buf buf = { BUF, 32, true };
	uint64_t one = 1;

	fake_driver_start(e->vdev, rings, 1, 0, 16);
	fake_ring_add(&rings[0], &buf, 1);
	assert_int_equal(vk_iothread_start(&e->vdev->io, "test-rng"), 0);
	assert_int_equal(write(e->vdev->kick_fd[0], &one, sizeof(one)), sizeof(one));
	/* Wait for the thread (bounded: 10 s), not for a time. */
	for (unsigned i = 0; i < 10000 && fake_ring_used_idx(&rings[0]) == 0; i++)
		usleep(1000);
	vk_iothread_stop(&e->vdev->io);
	assert_int_equal(fake_ring_used_idx(&rings[0]), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pci_identity_is_modern_virtio),
		T(test_virtio_capabilities_present),
		T(test_pci_cfg_window),
		T(test_common_narrow_access),
		T(test_device_features_offer_version_1),
		T(test_features_negotiated),
		T(test_features_before_driver_status_ignored),
		T(test_legacy_driver_refused),
		T(test_unoffered_feature_refused),
		T(test_driver_ok_needs_features_ok),
		T(test_queue_configuration),
		T(test_queue_outside_ram_needs_reset),
		T(test_reset_restores_power_on_state),
		T(test_msix_vector_bounds),
		T(test_isr_read_acknowledges_intx),
		T(test_rng_fills_buffer_and_signals_msix),
		T(test_rng_caps_large_requests),
		T(test_kick_before_driver_ok_does_nothing),
		T(test_hostile_chain_sets_needs_reset_and_interrupts),
		T(test_doorbells_are_ioeventfds_that_follow_the_bar),
		T(test_doorbell_without_ioeventfd_still_kicks),
		T(test_iothread_runs_kicked_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
