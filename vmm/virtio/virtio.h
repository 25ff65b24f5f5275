/* virtio.h - a virtio device on the modern PCI transport (virtio 1.x section 4.1), as device models see it. */
#ifndef VK_VIRTIO_H
#define VK_VIRTIO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest-memory.h"
#include "vmm/iothread.h"
#include "vmm/pci.h"
#include "vmm/virtio/queue.h"

/* Device status bits, 2.1. */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE	1
#define VIRTIO_CONFIG_S_DRIVER		2
#define VIRTIO_CONFIG_S_DRIVER_OK	4
#define VIRTIO_CONFIG_S_FEATURES_OK	8
#define VIRTIO_CONFIG_S_NEEDS_RESET	0x40
#define VIRTIO_CONFIG_S_FAILED		0x80

/* Reserved feature bits, 6. */
#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32

/* Device IDs, 5. */
#define VIRTIO_ID_NET			1
#define VIRTIO_ID_BLOCK			2
#define VIRTIO_ID_RNG			4

#define VIRTIO_PCI_VENDOR_ID		0x1af4
#define VIRTIO_PCI_DEVICE_ID_BASE	0x1040	/* + device ID: modern-only */
#define VIRTIO_MSI_NO_VECTOR		0xffff

/* Capability types, 4.1.4. */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5	/* a window onto the BARs through config space */

/* ISR bits, 4.1.4.5. */
#define VIRTIO_PCI_ISR_QUEUE		1
#define VIRTIO_PCI_ISR_CONFIG		2

/* struct virtio_pci_common_cfg field offsets, 4.1.4.3. */
#define VIRTIO_PCI_COMMON_DFSELECT	0x00
#define VIRTIO_PCI_COMMON_DF		0x04
#define VIRTIO_PCI_COMMON_GFSELECT	0x08
#define VIRTIO_PCI_COMMON_GF		0x0c
#define VIRTIO_PCI_COMMON_MSIX		0x10
#define VIRTIO_PCI_COMMON_NUMQ		0x12
#define VIRTIO_PCI_COMMON_STATUS	0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION	0x15
#define VIRTIO_PCI_COMMON_Q_SELECT	0x16
#define VIRTIO_PCI_COMMON_Q_SIZE	0x18
#define VIRTIO_PCI_COMMON_Q_MSIX	0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE	0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF	0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO	0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI	0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO	0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI	0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO	0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI	0x34
#define VIRTIO_PCI_COMMON_SIZE		0x38

/* Our BAR 0 layout: one 4 KiB page per structure. */
#define VK_VIRTIO_BAR_COMMON		0x0000
#define VK_VIRTIO_BAR_ISR		0x1000
#define VK_VIRTIO_BAR_DEVICE		0x2000
#define VK_VIRTIO_BAR_NOTIFY		0x3000
#define VK_VIRTIO_NOTIFY_MULTIPLIER	4
#define VK_VIRTIO_BAR_MSIX_TABLE	0x4000
#define VK_VIRTIO_BAR_MSIX_PBA		0x5000
#define VK_VIRTIO_BAR_SIZE		0x8000
#define VK_VIRTIO_MAX_QUEUES		8
#define VK_VIRTIO_CONFIG_MAX		256

struct vk_virtio_dev;

/* Traffic counters for the control socket's stats, indexed per device type. */
#define VK_VIRTIO_STATS		6
#define VK_BLK_STAT_READ_REQS	0
#define VK_BLK_STAT_READ_BYTES	1
#define VK_BLK_STAT_WRITE_REQS	2
#define VK_BLK_STAT_WRITE_BYTES	3
#define VK_BLK_STAT_FLUSH_REQS	4
#define VK_BLK_STAT_ERRORS	5
#define VK_NET_STAT_RX_PACKETS	0
#define VK_NET_STAT_RX_BYTES	1
#define VK_NET_STAT_TX_PACKETS	2
#define VK_NET_STAT_TX_BYTES	3
#define VK_NET_STAT_TX_DROPPED	4

struct vk_virtio_ops {
	uint16_t device_id;		/* VIRTIO_ID_* */
	uint32_t class_code;		/* PCI class */
	unsigned n_queues;
	uint16_t queue_size;		/* largest we offer, power of two */
	/* A queue was kicked (or an extra fd of the I/O thread fired, q >=
	 * VK_VIRTIO_MAX_QUEUES); called on the I/O thread with the lock held
	 * and only while DRIVER_OK is set. */
	void (*process)(struct vk_virtio_dev *vdev, unsigned q);
	/* Driver wrote the device config (lock held); may be NULL. */
	void (*config_write)(struct vk_virtio_dev *vdev, unsigned off, unsigned len);
	/* Device-specific state back to power-on (lock held); may be NULL. */
	void (*reset)(struct vk_virtio_dev *vdev);
	/* DRIVER_OK was just set (lock held); may be NULL. */
	void (*driver_ok)(struct vk_virtio_dev *vdev);
	/* A backend fd (tag >= VK_VIRTIO_MAX_QUEUES) fired while the device
	 * cannot run (no DRIVER_OK, or NEEDS_RESET): stop watching it so the
	 * I/O thread does not spin (lock held); may be NULL. */
	void (*backend_stalled)(struct vk_virtio_dev *vdev, unsigned tag);
	/* End of vk_virtio_realize(): watch backend fds (tags >=
	 * VK_VIRTIO_MAX_QUEUES) on vdev->io; may be NULL. */
	int (*realize)(struct vk_virtio_dev *vdev);
	/* The vCPUs are parked (pause): complete what the driver has queued,
	 * if vk_virtio_can_run(), and make completed writes durable, so the
	 * backing files can be copied (lock held, on the I/O thread); NULL:
	 * nothing to do. */
	int (*quiesce)(struct vk_virtio_dev *vdev);
	/* Release the device's own resources and the struct holding vdev. */
	void (*destroy)(struct vk_virtio_dev *vdev);
};

struct vk_virtio_dev {
	struct vk_pci_dev pci;		/* first: the PCI callbacks get &pci */
	const struct vk_virtio_ops *ops;
	void *priv;
	const struct vk_guest_memory *mem;
	char name[32];
	uint64_t device_features;	/* offered, VERSION_1 included */
	uint64_t driver_features;	/* accepted */
	uint32_t dfselect, gfselect;
	uint16_t msix_config;
	uint16_t queue_select;
	uint8_t status;
	uint8_t isr;
	uint8_t config_generation;
	uint8_t config[VK_VIRTIO_CONFIG_MAX];
	unsigned config_size;
	struct vk_virtq vq[VK_VIRTIO_MAX_QUEUES];
	uint16_t vq_msix[VK_VIRTIO_MAX_QUEUES];
	char vq_name[VK_VIRTIO_MAX_QUEUES][48];
	int kick_fd[VK_VIRTIO_MAX_QUEUES];
	bool kick_is_ioeventfd[VK_VIRTIO_MAX_QUEUES];
	struct vk_iothread io;
	unsigned pci_cfg_cap;		/* config offset of VIRTIO_PCI_CAP_PCI_CFG */
	/* Written with the device lock held (one writer at a time), read by
	 * the control thread without it: relaxed loads and stores. */
	_Atomic uint64_t stats[VK_VIRTIO_STATS];
};

static inline void vk_virtio_stat_add(struct vk_virtio_dev *vdev, unsigned i, uint64_t n)
{
	uint64_t v = atomic_load_explicit(&vdev->stats[i], memory_order_relaxed);

	atomic_store_explicit(&vdev->stats[i], v + n, memory_order_relaxed);
}

/* Fill in PCI identity, capabilities and BAR 0; features are the device's
 * own (the transport adds VERSION_1, INDIRECT_DESC and EVENT_IDX). */
void vk_virtio_init(struct vk_virtio_dev *vdev, const struct vk_virtio_ops *ops,
		    const char *name, const struct vk_guest_memory *mem,
		    uint64_t features, unsigned config_size);
/* After vk_pci_bus_add(): MSI-X vectors, doorbells (ioeventfds) and the I/O thread's fds. */
int vk_virtio_realize(struct vk_virtio_dev *vdev);
void vk_virtio_free(struct vk_virtio_dev *vdev);

bool vk_virtio_has_feature(const struct vk_virtio_dev *vdev, unsigned bit);
/* Interrupt the driver for queue q if it wants one now (lock held). */
void vk_virtio_notify_queue(struct vk_virtio_dev *vdev, unsigned q);
/* Device config changed (lock held). */
void vk_virtio_notify_config(struct vk_virtio_dev *vdev);
/* The driver broke the rules: set DEVICE_NEEDS_RESET and tell it (lock held).
 * The message recorded by the failed call is printed once. */
void vk_virtio_set_needs_reset(struct vk_virtio_dev *vdev);
/* Run the device's work for queue q as the I/O thread would (takes the lock). */
void vk_virtio_kick(struct vk_virtio_dev *vdev, unsigned q);
/* May the device work on its queues (DRIVER_OK, not NEEDS_RESET)?  Lock held. */
bool vk_virtio_can_run(const struct vk_virtio_dev *vdev);
/* A machine reset: as the driver's own reset (status 0): queues, features
 * and the device's state back to power-on (takes the lock).  The PCI
 * function is vk_pci_bus_reset()'s. */
void vk_virtio_reset(struct vk_virtio_dev *vdev);
/* ops->quiesce on the device's I/O thread, once the vCPUs are parked. */
int vk_virtio_quiesce(struct vk_virtio_dev *vdev);

/* The BAR 0 handler (tests drive the transport through it). */
void vk_virtio_bar_io(void *vdev, uint64_t off, uint8_t *data, unsigned len, bool is_write);


/* The device models (each in its own file); *out is ready for
 * vk_pci_bus_add() and vk_virtio_realize(), freed by vk_virtio_destroy(). */
struct vk_blk_config;
struct vk_net_config;
int vk_virtio_blk_create(const struct vk_guest_memory *mem, const struct vk_blk_config *cfg,
			 const char *name, struct vk_virtio_dev **out);
int vk_virtio_net_create(const struct vk_guest_memory *mem, const struct vk_net_config *cfg,
			 const char *name, struct vk_virtio_dev **out);
/* The tap a virtio-net device uses, "" for a plain fd. */
const char *vk_virtio_net_ifname(const struct vk_virtio_dev *vdev);
int vk_virtio_rng_create(const struct vk_guest_memory *mem, const char *name,
			 struct vk_virtio_dev **out);
/* Free a device made by one of the above (frees the transport too). */
void vk_virtio_destroy(struct vk_virtio_dev *vdev);

#endif
