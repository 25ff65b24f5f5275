# vmm/devices.mk - build fragment (see Makefile.am); owned by the virtio (device models) area
#
# vmm/libvkdev.a: PCI and virtio device models, linked into vrun after
# vmm/ objects and before $(VKIT_LIBS) (it uses common/image/image.h and ids.h).
noinst_LIBRARIES += vmm/libvkdev.a
vmm_libvkdev_a_CFLAGS = $(VKIT_CFLAGS)
vmm_libvkdev_a_SOURCES = vmm/devices.c vmm/devices.h \
	vmm/pci.c vmm/pci.h vmm/iothread.c vmm/iothread.h \
	vmm/virtio/queue.c vmm/virtio/queue.h \
	vmm/virtio/pci.c vmm/virtio/virtio.h \
	vmm/virtio/blk.c vmm/virtio/rng.c vmm/virtio/net.c vmm/tap.c vmm/tap.h \
	vmm/devices/ahci.c vmm/devices/ahci.h vmm/devices/atapi.c vmm/devices/atapi.h

# Unit tests run the devices against guest memory in malloc'd buffers
# (the real translation and bus code) and a fake machine
# (tests/unit/fake-*.c), so they need no /dev/kvm.
DEVICE_TEST_FAKES = tests/unit/fake-machine.c tests/unit/fake-machine.h \
	vmm/guest-memory.c vmm/bus.c \
	tests/unit/fake-driver.c tests/unit/fake-driver.h
DEVICE_TEST_LIBS = vmm/libvkdev.a $(UNIT_LIBS)

DEVICE_UNIT_TESTS = tests/unit/test-virtqueue tests/unit/test-pci \
	tests/unit/test-virtio-pci tests/unit/test-virtio-blk tests/unit/test-virtio-net \
	tests/unit/test-devices tests/unit/test-atapi tests/unit/test-ahci
check_PROGRAMS += $(DEVICE_UNIT_TESTS)
TESTS += $(DEVICE_UNIT_TESTS)

tests_unit_test_virtqueue_SOURCES = tests/unit/test-virtqueue.c $(DEVICE_TEST_FAKES)
tests_unit_test_virtqueue_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_virtqueue_LDADD = $(DEVICE_TEST_LIBS)
tests_unit_test_pci_SOURCES = tests/unit/test-pci.c $(DEVICE_TEST_FAKES)
tests_unit_test_pci_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pci_LDADD = $(DEVICE_TEST_LIBS)

tests_unit_test_virtio_pci_SOURCES = tests/unit/test-virtio-pci.c $(DEVICE_TEST_FAKES)
tests_unit_test_virtio_pci_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_virtio_pci_LDADD = $(DEVICE_TEST_LIBS)

# fake-image.c (plain files) in place of the image layer: device bugs only.
tests_unit_test_virtio_blk_SOURCES = tests/unit/test-virtio-blk.c tests/unit/fake-image.c \
	$(DEVICE_TEST_FAKES)
tests_unit_test_virtio_blk_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_virtio_blk_LDADD = $(DEVICE_TEST_LIBS)

# fake-ids.c: a fixed generated MAC, so the expected values stay put.
tests_unit_test_virtio_net_SOURCES = tests/unit/test-virtio-net.c tests/unit/fake-ids.c \
	$(DEVICE_TEST_FAKES)
tests_unit_test_virtio_net_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_virtio_net_LDADD = $(DEVICE_TEST_LIBS)

# The ATAPI drive alone, on the real image layer (its open refuses symlinks
# and FIFOs through common/image/image.c).
tests_unit_test_atapi_SOURCES = tests/unit/test-atapi.c tests/unit/cd-image.h
tests_unit_test_atapi_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_atapi_LDADD = vmm/libvkdev.a $(UNIT_LIBS)

# The controller and its drives on the real image layer too.
tests_unit_test_ahci_SOURCES = tests/unit/test-ahci.c tests/unit/cd-image.h $(DEVICE_TEST_FAKES)
tests_unit_test_ahci_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ahci_LDADD = $(DEVICE_TEST_LIBS)

tests_unit_test_devices_SOURCES = tests/unit/test-devices.c tests/unit/fake-image.c \
	tests/unit/fake-ids.c $(DEVICE_TEST_FAKES)
tests_unit_test_devices_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_devices_LDADD = $(DEVICE_TEST_LIBS)


# Benchmark (run by hand: bench/bench-virtqueue); kept in this fragment so
# the device area does not edit bench/bench.mk, which another area owns.
noinst_PROGRAMS += bench/bench-virtqueue
bench_bench_virtqueue_SOURCES = bench/bench-virtqueue.c tests/unit/fake-image.c $(DEVICE_TEST_FAKES)
bench_bench_virtqueue_CFLAGS = $(VKIT_CFLAGS) -O2
bench_bench_virtqueue_LDADD = vmm/libvkdev.a $(VKIT_LIBS)
