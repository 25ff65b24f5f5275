/* pci.c - the virtio-pci modern transport: capabilities, common config, status machine, ISR, doorbells, interrupts. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util/error.h"
#include "vmm/virtio/virtio.h"

/* What the transport offers on top of the device's own features. */
#define TRANSPORT_FEATURES \
	(1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX)

static uint32_t get_le(const uint8_t *p, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

static void add_virtio_cap(struct vk_virtio_dev *vdev, uint8_t type, uint32_t off,
			   uint32_t len, bool notify)
{
	uint8_t cap[20] = { PCI_CAP_ID_VNDR, 0, notify ? 20 : 16, type, 0 /* BAR 0 */ };

	put_le(cap + 8, off, 4);
	put_le(cap + 12, len, 4);
	if (notify)
		put_le(cap + 16, VK_VIRTIO_NOTIFY_MULTIPLIER, 4);
	vk_pci_dev_add_cap(&vdev->pci, cap, notify ? 20 : 16);
}

/* struct virtio_pci_cfg_cap (virtio 1.1, 4.1.4.7): the cap, then pci_cfg_data. */
#define PCI_CFG_CAP_BAR		4
#define PCI_CFG_CAP_OFFSET	8
#define PCI_CFG_CAP_LENGTH	12
#define PCI_CFG_CAP_DATA	16
#define PCI_CFG_CAP_SIZE	20

/* The access the driver set up in the window, or false when its bar,
 * length (1, 2 or 4) or offset (aligned to it) is not one to make. */
static bool pci_cfg_access(const struct vk_virtio_dev *vdev, uint32_t *off, unsigned *len)
{
	const uint8_t *cap = vdev->pci.cfg + vdev->pci_cfg_cap;

	*off = get_le(cap + PCI_CFG_CAP_OFFSET, 4);
	*len = get_le(cap + PCI_CFG_CAP_LENGTH, 4);
	return cap[PCI_CFG_CAP_BAR] == 0 && (*len == 1 || *len == 2 || *len == 4) && *off % *len == 0;
}

static bool touches_data(const struct vk_virtio_dev *vdev, unsigned off, unsigned len)
{
	unsigned data = vdev->pci_cfg_cap + PCI_CFG_CAP_DATA;

	return off < data + 4 && data < off + len;
}

/* A write of pci_cfg_data is a write to the BAR (PCI lock held). */
static void pci_cfg_written(struct vk_pci_dev *pdev, unsigned off, unsigned len)
{
	struct vk_virtio_dev *vdev = pdev->owner;
	uint32_t bar_off;
	unsigned n;

	if (touches_data(vdev, off, len) && pci_cfg_access(vdev, &bar_off, &n))
		vk_pci_bar_access(pdev, 0, bar_off, pdev->cfg + vdev->pci_cfg_cap + PCI_CFG_CAP_DATA, n, true);
}

/* A read of pci_cfg_data reads the BAR first (PCI lock held). */
static void pci_cfg_read(struct vk_pci_dev *pdev, unsigned off, unsigned len)
{
	struct vk_virtio_dev *vdev = pdev->owner;
	uint8_t *data = pdev->cfg + vdev->pci_cfg_cap + PCI_CFG_CAP_DATA;
	uint32_t bar_off;
	unsigned n;

	if (!touches_data(vdev, off, len) || !pci_cfg_access(vdev, &bar_off, &n))
		return;
	memset(data, 0, 4);
	vk_pci_bar_access(pdev, 0, bar_off, data, n, false);
}

/* SeaBIOS and iPXE look for this capability (iPXE refuses a device
 * without it); they use it where a BAR is out of their reach. */
static void add_pci_cfg_cap(struct vk_virtio_dev *vdev)
{
	uint8_t cap[PCI_CFG_CAP_SIZE] = { PCI_CAP_ID_VNDR, 0, PCI_CFG_CAP_SIZE, VIRTIO_PCI_CAP_PCI_CFG };
	int off = vk_pci_dev_add_cap(&vdev->pci, cap, sizeof(cap));

	if (off < 0)
		return;
	vdev->pci_cfg_cap = (unsigned)off;
	vk_pci_dev_set_wmask(&vdev->pci, off + PCI_CFG_CAP_BAR, 1, 0xff);
	vk_pci_dev_set_wmask(&vdev->pci, off + PCI_CFG_CAP_OFFSET, 4, 0xffffffff);
	vk_pci_dev_set_wmask(&vdev->pci, off + PCI_CFG_CAP_LENGTH, 4, 0xffffffff);
	vk_pci_dev_set_wmask(&vdev->pci, off + PCI_CFG_CAP_DATA, 4, 0xffffffff);
	vdev->pci.config_written = pci_cfg_written;
	vdev->pci.config_read = pci_cfg_read;
}

void vk_virtio_init(struct vk_virtio_dev *vdev, const struct vk_virtio_ops *ops,
		    const char *name, const struct vk_guest_memory *mem,
		    uint64_t features, unsigned config_size)
{
	memset(vdev, 0, sizeof(*vdev));
	vk_pci_dev_init(&vdev->pci, vdev->name, VIRTIO_PCI_VENDOR_ID,
			VIRTIO_PCI_DEVICE_ID_BASE + ops->device_id, ops->class_code,
			VIRTIO_PCI_VENDOR_ID, ops->device_id);
	snprintf(vdev->name, sizeof(vdev->name), "%s", name);
	vdev->pci.owner = vdev;
	vdev->ops = ops;
	vdev->mem = mem;
	vdev->device_features = features | TRANSPORT_FEATURES;
	vdev->config_size = config_size < VK_VIRTIO_CONFIG_MAX ? config_size : VK_VIRTIO_CONFIG_MAX;
	vdev->msix_config = VIRTIO_MSI_NO_VECTOR;
	vdev->io.epfd = vdev->io.stopfd = vdev->io.callfd = -1;
	for (unsigned q = 0; q < VK_VIRTIO_MAX_QUEUES; q++) {
		snprintf(vdev->vq_name[q], sizeof(vdev->vq_name[q]), "%s queue %u", name, q);
		vdev->vq[q].name = vdev->vq_name[q];
		vdev->vq[q].mem = mem;
		vdev->vq_msix[q] = VIRTIO_MSI_NO_VECTOR;
		vdev->kick_fd[q] = -1;
	}
	vk_pci_dev_add_bar(&vdev->pci, 0, VK_VIRTIO_BAR_SIZE, vk_virtio_bar_io, vdev);
	add_virtio_cap(vdev, VIRTIO_PCI_CAP_COMMON_CFG, VK_VIRTIO_BAR_COMMON, VIRTIO_PCI_COMMON_SIZE, false);
	add_virtio_cap(vdev, VIRTIO_PCI_CAP_ISR_CFG, VK_VIRTIO_BAR_ISR, 1, false);
	if (config_size)
		add_virtio_cap(vdev, VIRTIO_PCI_CAP_DEVICE_CFG, VK_VIRTIO_BAR_DEVICE,
			       vdev->config_size, false);
	add_virtio_cap(vdev, VIRTIO_PCI_CAP_NOTIFY_CFG, VK_VIRTIO_BAR_NOTIFY,
		       VK_VIRTIO_NOTIFY_MULTIPLIER * ops->n_queues, true);
	add_pci_cfg_cap(vdev);
}

bool vk_virtio_has_feature(const struct vk_virtio_dev *vdev, unsigned bit)
{
	return vdev->driver_features & (1ull << bit);
}

static void signal_vector(struct vk_virtio_dev *vdev, uint16_t vector, uint8_t isr_bit)
{
	if (vk_pci_msix_enabled(&vdev->pci)) {
		if (vector != VIRTIO_MSI_NO_VECTOR)
			vk_pci_msix_notify(&vdev->pci, vector);
		return;
	}
	vdev->isr |= isr_bit;
	vk_pci_intx_set(&vdev->pci, true);
}

void vk_virtio_notify_queue(struct vk_virtio_dev *vdev, unsigned q)
{
	if (q < VK_VIRTIO_MAX_QUEUES && vk_virtq_need_interrupt(&vdev->vq[q]))
		signal_vector(vdev, vdev->vq_msix[q], VIRTIO_PCI_ISR_QUEUE);
}

void vk_virtio_notify_config(struct vk_virtio_dev *vdev)
{
	vdev->config_generation++;
	signal_vector(vdev, vdev->msix_config, VIRTIO_PCI_ISR_CONFIG);
}

void vk_virtio_set_needs_reset(struct vk_virtio_dev *vdev)
{
	if (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	/* One line per incident: a hostile guest cannot flood the log. */
	fprintf(stderr, "vrun: %s: %s\n", vdev->name, vk_last_error());
	vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		vk_virtio_notify_config(vdev);
}

static void virtio_reset(struct vk_virtio_dev *vdev)
{
	vdev->status = 0;
	vdev->driver_features = 0;
	vdev->dfselect = vdev->gfselect = 0;
	vdev->queue_select = 0;
	vdev->msix_config = VIRTIO_MSI_NO_VECTOR;
	vdev->isr = 0;
	for (unsigned q = 0; q < VK_VIRTIO_MAX_QUEUES; q++) {
		vk_virtq_reset(&vdev->vq[q]);
		if (q < vdev->ops->n_queues)
			vdev->vq[q].size = vdev->ops->queue_size;
		vdev->vq_msix[q] = VIRTIO_MSI_NO_VECTOR;
	}
	vk_pci_intx_set(&vdev->pci, false);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
}

void vk_virtio_reset(struct vk_virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->pci.lock);
	virtio_reset(vdev);
	pthread_mutex_unlock(&vdev->pci.lock);
}

/* FEATURES_OK sticks only if the driver accepted a subset of what we offer
 * that includes VERSION_1 (we are a modern-only device, 2.2.2 / 6.1). */
static bool features_acceptable(const struct vk_virtio_dev *vdev)
{
	return !(vdev->driver_features & ~vdev->device_features) &&
	       (vdev->driver_features & (1ull << VIRTIO_F_VERSION_1));
}

static void write_status(struct vk_virtio_dev *vdev, uint8_t val)
{
	uint8_t old = vdev->status;

	if (val == 0) {
		virtio_reset(vdev);
		return;
	}
	/* NEEDS_RESET is the device's bit; FEATURES_OK needs acceptable features. */
	val = (val & ~VIRTIO_CONFIG_S_NEEDS_RESET) | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !features_acceptable(vdev))
		val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(val & VIRTIO_CONFIG_S_FEATURES_OK))
		val &= ~VIRTIO_CONFIG_S_DRIVER_OK;	/* out of order: refuse */
	vdev->status = val;
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		for (unsigned q = 0; q < vdev->ops->n_queues; q++) {
			vdev->vq[q].event_idx = vk_virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX);
			vdev->vq[q].indirect = vk_virtio_has_feature(vdev, VIRTIO_F_INDIRECT_DESC);
		}
	}
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    vdev->ops->driver_ok)
		vdev->ops->driver_ok(vdev);
}

static struct vk_virtq *selected_queue(struct vk_virtio_dev *vdev)
{
	return vdev->queue_select < vdev->ops->n_queues ? &vdev->vq[vdev->queue_select] : NULL;
}

static uint64_t common_read(struct vk_virtio_dev *vdev, unsigned off)
{
	struct vk_virtq *vq = selected_queue(vdev);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: return vdev->dfselect;
	case VIRTIO_PCI_COMMON_DF:
		return vdev->dfselect < 2 ? (uint32_t)(vdev->device_features >> (32 * vdev->dfselect)) : 0;
	case VIRTIO_PCI_COMMON_GFSELECT: return vdev->gfselect;
	case VIRTIO_PCI_COMMON_GF:
		return vdev->gfselect < 2 ? (uint32_t)(vdev->driver_features >> (32 * vdev->gfselect)) : 0;
	case VIRTIO_PCI_COMMON_MSIX: return vdev->msix_config;
	case VIRTIO_PCI_COMMON_NUMQ: return vdev->ops->n_queues;
	case VIRTIO_PCI_COMMON_STATUS: return vdev->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION: return vdev->config_generation;
	case VIRTIO_PCI_COMMON_Q_SELECT: return vdev->queue_select;
	}
	if (!vq)
		return 0;	/* 4.1.4.3.2: queue_size 0 for a queue that does not exist */
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE: return vq->size;
	case VIRTIO_PCI_COMMON_Q_MSIX: return vdev->vq_msix[vdev->queue_select];
	case VIRTIO_PCI_COMMON_Q_ENABLE: return vq->ready;
	case VIRTIO_PCI_COMMON_Q_NOFF: return vdev->queue_select;
	case VIRTIO_PCI_COMMON_Q_DESCLO: return (uint32_t)vq->desc_gpa;
	case VIRTIO_PCI_COMMON_Q_DESCHI: return vq->desc_gpa >> 32;
	case VIRTIO_PCI_COMMON_Q_AVAILLO: return (uint32_t)vq->avail_gpa;
	case VIRTIO_PCI_COMMON_Q_AVAILHI: return vq->avail_gpa >> 32;
	case VIRTIO_PCI_COMMON_Q_USEDLO: return (uint32_t)vq->used_gpa;
	case VIRTIO_PCI_COMMON_Q_USEDHI: return vq->used_gpa >> 32;
	}
	return 0;
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	*v = high ? (*v & 0xffffffffull) | (uint64_t)val << 32 : (*v & ~0xffffffffull) | val;
}

static uint16_t checked_vector(struct vk_virtio_dev *vdev, uint32_t val)
{
	/* 4.1.5.1.2: an unusable vector reads back as NO_VECTOR. */
	return val < vdev->pci.msix.nvec ? val : VIRTIO_MSI_NO_VECTOR;
}

static void queue_enable(struct vk_virtio_dev *vdev, struct vk_virtq *vq)
{
	if (vq->ready || !vq->size)
		return;		/* 1.x has no way to disable a queue but reset */
	if (vk_virtq_enable(vq, vdev->mem) < 0)
		vk_virtio_set_needs_reset(vdev);
}

static void queue_write(struct vk_virtio_dev *vdev, unsigned off, uint32_t val)
{
	struct vk_virtq *vq = selected_queue(vdev);
	bool configurable = vq && !vq->ready && !(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK);

	if (!vq)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		/* The driver may shrink the queue, to a power of two. */
		if (configurable && val && val <= vdev->ops->queue_size && !(val & (val - 1)))
			vq->size = val;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		vdev->vq_msix[vdev->queue_select] = checked_vector(vdev, val);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (val == 1 && !(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK))
			queue_enable(vdev, vq);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO: case VIRTIO_PCI_COMMON_Q_DESCHI:
		if (configurable)
			set_half(&vq->desc_gpa, off == VIRTIO_PCI_COMMON_Q_DESCHI, val);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO: case VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (configurable)
			set_half(&vq->avail_gpa, off == VIRTIO_PCI_COMMON_Q_AVAILHI, val);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO: case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (configurable)
			set_half(&vq->used_gpa, off == VIRTIO_PCI_COMMON_Q_USEDHI, val);
		break;
	}
}

static void common_write(struct vk_virtio_dev *vdev, unsigned off, uint32_t val)
{
	bool features_open = (vdev->status & VIRTIO_CONFIG_S_DRIVER) &&
			     !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: vdev->dfselect = val; return;
	case VIRTIO_PCI_COMMON_GFSELECT: vdev->gfselect = val; return;
	case VIRTIO_PCI_COMMON_GF:
		if (features_open && vdev->gfselect < 2)
			set_half(&vdev->driver_features, vdev->gfselect == 1, val);
		return;
	case VIRTIO_PCI_COMMON_MSIX: vdev->msix_config = checked_vector(vdev, val); return;
	case VIRTIO_PCI_COMMON_STATUS: write_status(vdev, val); return;
	case VIRTIO_PCI_COMMON_Q_SELECT: vdev->queue_select = val; return;
	}
	queue_write(vdev, off, val);
}

/* Each common config field has one width (4.1.4.3): a write of another
 * width is dropped; a narrower read gets that part of the field. */
static unsigned common_width(unsigned off)
{
	if (off < VIRTIO_PCI_COMMON_MSIX)
		return 4;
	if (off == VIRTIO_PCI_COMMON_STATUS || off == VIRTIO_PCI_COMMON_CFGGENERATION)
		return 1;
	if (off < VIRTIO_PCI_COMMON_Q_DESCLO)
		return 2;
	return off < VIRTIO_PCI_COMMON_SIZE ? 4 : 0;
}

static void notify_write(struct vk_virtio_dev *vdev, unsigned off)
{
	unsigned q = off / VK_VIRTIO_NOTIFY_MULTIPLIER;
	uint64_t one = 1;

	/* Reached when KVM could not take the doorbell as an ioeventfd, and
	 * through the VIRTIO_PCI_CAP_PCI_CFG window. */
	if (q < vdev->ops->n_queues && vdev->kick_fd[q] >= 0 &&
	    write(vdev->kick_fd[q], &one, sizeof(one)) < 0)
		return;
}

void vk_virtio_bar_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_virtio_dev *vdev = opaque;

	if (off < VK_VIRTIO_BAR_COMMON + VIRTIO_PCI_COMMON_SIZE) {
		unsigned width = common_width(off);
		unsigned field = off & ~(width - 1);

		if (is_write && width == len && off % len == 0) {
			common_write(vdev, off, get_le(data, len));
		} else if (!is_write && len <= width && off % len == 0) {
			/* Part of a field reads as that part: Debian 12's iPXE
			 * (2019) reads 32-bit fields with 16-bit reads (fixed in
			 * iPXE in 2023), and QEMU answers them too. */
			put_le(data, common_read(vdev, field) >> (8 * (off - field)), len);
		} else if (!is_write) {
			memset(data, 0, len);
		}
	} else if (off == VK_VIRTIO_BAR_ISR && len == 1 && !is_write) {
		data[0] = vdev->isr;	/* reading acknowledges (4.1.4.5) */
		vdev->isr = 0;
		vk_pci_intx_set(&vdev->pci, false);
	} else if (off >= VK_VIRTIO_BAR_DEVICE && off - VK_VIRTIO_BAR_DEVICE + len <= vdev->config_size) {
		unsigned coff = off - VK_VIRTIO_BAR_DEVICE;

		if (!is_write) {
			memcpy(data, vdev->config + coff, len);
		} else if (vdev->ops->config_write) {
			memcpy(vdev->config + coff, data, len);
			vdev->ops->config_write(vdev, coff, len);
		}
	} else if (off >= VK_VIRTIO_BAR_NOTIFY && off < VK_VIRTIO_BAR_NOTIFY + 0x1000) {
		if (is_write)
			notify_write(vdev, off - VK_VIRTIO_BAR_NOTIFY);
		else
			memset(data, 0, len);
	} else if (!is_write) {
		memset(data, 0, len);
	}
}

bool vk_virtio_can_run(const struct vk_virtio_dev *vdev)
{
	return (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) && !(vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

void vk_virtio_kick(struct vk_virtio_dev *vdev, unsigned q)
{
	pthread_mutex_lock(&vdev->pci.lock);
	if (vk_virtio_can_run(vdev))
		vdev->ops->process(vdev, q);
	else if (q >= VK_VIRTIO_MAX_QUEUES && vdev->ops->backend_stalled)
		vdev->ops->backend_stalled(vdev, q);
	pthread_mutex_unlock(&vdev->pci.lock);
}

static int quiesce_on_io_thread(void *opaque)
{
	struct vk_virtio_dev *vdev = opaque;
	int rc;

	pthread_mutex_lock(&vdev->pci.lock);
	rc = vdev->ops->quiesce(vdev);
	pthread_mutex_unlock(&vdev->pci.lock);
	return rc;
}

int vk_virtio_quiesce(struct vk_virtio_dev *vdev)
{
	if (!vdev->ops->quiesce)
		return 0;
	return vk_error_prefix(vk_iothread_call(&vdev->io, quiesce_on_io_thread, vdev), "%s", vdev->name);
}

static void iothread_event(void *opaque, unsigned tag)
{
	struct vk_virtio_dev *vdev = opaque;
	uint64_t count;

	if (tag < VK_VIRTIO_MAX_QUEUES && read(vdev->kick_fd[tag], &count, sizeof(count)) < 0 &&
	    errno != EAGAIN)
		return;
	vk_virtio_kick(vdev, tag);
}

static uint64_t notify_addr(const struct vk_virtio_dev *vdev, uint64_t bar, unsigned q)
{
	return bar + VK_VIRTIO_BAR_NOTIFY + VK_VIRTIO_NOTIFY_MULTIPLIER * q;
}

/* Bind queue q's doorbell at BAR address bar: an ioeventfd when KVM takes
 * it, else our own eventfd that notify_write() signals. */
static int bind_doorbell(struct vk_virtio_dev *vdev, uint64_t bar, unsigned q)
{
	int fd = -1;

	if (vk_ioeventfd_add(vdev->pci.m, notify_addr(vdev, bar, q), 2, &fd) == 0) {
		vdev->kick_is_ioeventfd[q] = true;
	} else {
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			return vk_error(errno, "%s: eventfd", vdev->name);
		vdev->kick_is_ioeventfd[q] = false;
	}
	vdev->kick_fd[q] = fd;
	return vk_iothread_watch(&vdev->io, fd, q);
}

static void unbind_doorbell(struct vk_virtio_dev *vdev, uint64_t bar, unsigned q)
{
	int fd = vdev->kick_fd[q];

	if (fd < 0)
		return;
	vk_iothread_unwatch(&vdev->io, fd);
	/* The machine closes an ioeventfd when it removes it (vmm/irq.c). */
	if (vdev->kick_is_ioeventfd[q])
		vk_ioeventfd_remove(vdev->pci.m, notify_addr(vdev, bar, q), 2, fd);
	else
		close(fd);
	vdev->kick_fd[q] = -1;
}

/* The guest moved BAR 0 (PCI lock held): doorbells follow it. */
static void bar_moved(struct vk_pci_dev *pdev, unsigned bar, uint64_t old, uint64_t new)
{
	struct vk_virtio_dev *vdev = pdev->owner;

	if (bar != 0)
		return;
	for (unsigned q = 0; q < vdev->ops->n_queues; q++) {
		unbind_doorbell(vdev, old, q);
		if (bind_doorbell(vdev, new, q) < 0)
			fprintf(stderr, "vrun: %s: %s\n", vdev->name, vk_last_error());
	}
}

int vk_virtio_realize(struct vk_virtio_dev *vdev)
{
	int rc;

	rc = vk_pci_dev_add_msix(&vdev->pci, vdev->ops->n_queues + 1, 0,
				 VK_VIRTIO_BAR_MSIX_TABLE, VK_VIRTIO_BAR_MSIX_PBA);
	if (rc < 0)
		return rc;
	rc = vk_iothread_init(&vdev->io, iothread_event, vdev);
	if (rc < 0)
		return rc;
	for (unsigned q = 0; q < vdev->ops->n_queues; q++) {
		vdev->vq[q].size = vdev->ops->queue_size;
		rc = bind_doorbell(vdev, vdev->pci.bars[0].placed, q);
		if (rc < 0)
			return rc;
	}
	vdev->pci.bar_moved = bar_moved;
	return vdev->ops->realize ? vdev->ops->realize(vdev) : 0;
}

void vk_virtio_free(struct vk_virtio_dev *vdev)
{
	vk_iothread_stop(&vdev->io);
	for (unsigned q = 0; q < VK_VIRTIO_MAX_QUEUES; q++)
		unbind_doorbell(vdev, vdev->pci.bars[0].placed, q);
	vk_iothread_free(&vdev->io);
	vk_pci_dev_free(&vdev->pci);
}

void vk_virtio_destroy(struct vk_virtio_dev *vdev)
{
	if (!vdev)
		return;
	vk_virtio_free(vdev);
	vdev->ops->destroy(vdev);
}
