/* pci.c - PCI host bridge (configuration mechanism #1), generic functions, BAR placement, MSI and MSI-X. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "vmm/pci.h"

/*
 * The MMIO bus is sealed once vCPUs run, but a guest may move BARs at any
 * time.  So the whole PCI window is one range on the bus, and this file
 * finds the BAR an access falls in.  A BAR decodes only while its device
 * has memory decoding on and lies entirely inside the window.
 */

static void put_le(uint8_t *p, uint32_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

static uint32_t get_le(const uint8_t *p, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static bool valid_access(unsigned off, unsigned len, unsigned space)
{
	return (len == 1 || len == 2 || len == 4) && off % len == 0 && off + len <= space;
}

void vk_pci_dev_init(struct vk_pci_dev *dev, const char *name, uint16_t vendor,
		     uint16_t device, uint32_t class_code, uint16_t subsys_vendor,
		     uint16_t subsys_id)
{
	memset(dev, 0, sizeof(*dev));
	dev->name = name;
	pthread_mutex_init(&dev->lock, NULL);
	put_le(dev->cfg + PCI_VENDOR_ID, vendor, 2);
	put_le(dev->cfg + PCI_DEVICE_ID, device, 2);
	/* Decoding on from the start: the BARs arrive placed, as firmware would leave them. */
	put_le(dev->cfg + PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	put_le(dev->cfg + PCI_REVISION_ID, class_code << 8 | 1, 4);
	put_le(dev->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor, 2);
	put_le(dev->cfg + PCI_SUBSYSTEM_ID, subsys_id, 2);
	vk_pci_dev_set_wmask(dev, PCI_COMMAND, 2,
			     PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			     PCI_COMMAND_INTX_DISABLE);
	vk_pci_dev_set_wmask(dev, PCI_INTERRUPT_LINE, 1, 0xff);
	dev->cap_end = PCI_CAP_START;
}

void vk_pci_dev_set_wmask(struct vk_pci_dev *dev, unsigned off, unsigned len, uint32_t mask)
{
	if (off + len <= PCI_CONFIG_SPACE_SIZE && len <= 4)
		put_le(dev->wmask + off, mask, len);
}

static int add_bar(struct vk_pci_dev *dev, unsigned bar, bool mem64, uint64_t size,
		   vk_io_handler handler, void *opaque)
{
	unsigned last = mem64 ? bar + 1 : bar;

	if ((mem64 && bar % 2) || last >= VK_PCI_MAX_BARS || size < 4096 || (size & (size - 1)) ||
	    size > VK_PCI_MMIO_SIZE || dev->bars[bar].size || (mem64 && dev->bars[last].size) ||
	    (bar % 2 && dev->bars[bar - 1].mem64))
		return vk_errorx(EINVAL, "%s: bad BAR %u of size %llu", dev->name, bar,
				 (unsigned long long)size);
	dev->bars[bar].size = size;
	dev->bars[bar].mem64 = mem64;
	dev->bars[bar].handler = handler;
	dev->bars[bar].opaque = opaque;
	return 0;
}

int vk_pci_dev_add_bar(struct vk_pci_dev *dev, unsigned bar, uint64_t size,
		       vk_io_handler handler, void *opaque)
{
	return add_bar(dev, bar, true, size, handler, opaque);
}

int vk_pci_dev_add_bar32(struct vk_pci_dev *dev, unsigned bar, uint64_t size,
			 vk_io_handler handler, void *opaque)
{
	return add_bar(dev, bar, false, size, handler, opaque);
}

#define PCI_ROM_MIN_SIZE	2048	/* the address bits start at bit 11 */
#define PCI_ROM_MAX_SIZE	(16u << 20)

int vk_pci_dev_set_rom(struct vk_pci_dev *dev, const void *image, size_t len)
{
	uint32_t size = PCI_ROM_MIN_SIZE;

	if (len == 0 || len > PCI_ROM_MAX_SIZE)
		return vk_errorx(EINVAL, "%s: an option ROM of %zu bytes; give 1 byte to %u MiB",
				 dev->name, len, PCI_ROM_MAX_SIZE >> 20);
	while (size < len)
		size *= 2;
	free(dev->rom);
	dev->rom = malloc(len);
	if (!dev->rom)
		return vk_error(ENOMEM, "%s: option ROM", dev->name);
	memcpy(dev->rom, image, len);
	dev->rom_len = (uint32_t)len;
	dev->rom_size = size;
	put_le(dev->cfg + PCI_ROM_ADDRESS, 0, 4);
	vk_pci_dev_set_wmask(dev, PCI_ROM_ADDRESS, 4, (~(size - 1) & PCI_ROM_ADDRESS_MASK) |
			     PCI_ROM_ADDRESS_ENABLE);
	return 0;
}

int vk_pci_dev_add_cap(struct vk_pci_dev *dev, const void *cap, unsigned len)
{
	unsigned off = dev->cap_end;

	if (len < 2 || off + len > PCI_CONFIG_SPACE_SIZE)
		return vk_errorx(ENOSPC, "%s: no room for a %u-byte capability", dev->name, len);
	memcpy(dev->cfg + off, cap, len);
	dev->cfg[off + 1] = 0;
	if (dev->last_cap)
		dev->cfg[dev->last_cap + 1] = off;
	else
		dev->cfg[PCI_CAPABILITY_LIST] = off;
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->last_cap = off;
	dev->cap_end = (off + len + 3) & ~3u;	/* capabilities are dword aligned */
	return off;
}

static uint64_t bar_value(const struct vk_pci_dev *dev, unsigned i)
{
	const uint8_t *p = dev->cfg + PCI_BASE_ADDRESS_0 + 4 * i;
	uint64_t v = get_le(p, 4) & ~0xfu;

	if (dev->bars[i].mem64)
		v |= (uint64_t)get_le(p + 4, 4) << 32;
	return v;
}

static void write_bar(struct vk_pci_dev *dev, unsigned i, uint64_t addr)
{
	uint8_t *p = dev->cfg + PCI_BASE_ADDRESS_0 + 4 * i;
	bool mem64 = dev->bars[i].mem64;

	put_le(p, (uint32_t)addr | (mem64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0), 4);
	/* Address bits below the size read back as zero: that is how the
	 * guest learns the size after writing all ones. */
	put_le(dev->wmask + PCI_BASE_ADDRESS_0 + 4 * i, ~(uint32_t)(dev->bars[i].size - 1) & ~0xfu, 4);
	if (mem64) {
		put_le(p + 4, addr >> 32, 4);
		put_le(dev->wmask + PCI_BASE_ADDRESS_0 + 4 * i + 4, 0xffffffff, 4);
	}
}

static bool inside_window(uint64_t addr, uint64_t size)
{
	return addr >= VK_PCI_MMIO_BASE && size <= VK_PCI_MMIO_SIZE &&
	       addr - VK_PCI_MMIO_BASE <= VK_PCI_MMIO_SIZE - size;
}

/* Recompute where each BAR decodes after a command or BAR write. */
static void update_bars(struct vk_pci_dev *dev)
{
	bool mem = get_le(dev->cfg + PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
	uint32_t rom = get_le(dev->cfg + PCI_ROM_ADDRESS, 4);

	if (dev->rom_size) {
		dev->rom_addr = rom & PCI_ROM_ADDRESS_MASK;
		dev->rom_active = mem && (rom & PCI_ROM_ADDRESS_ENABLE) &&
				  inside_window(dev->rom_addr, dev->rom_size);
	}

	for (unsigned i = 0; i < VK_PCI_MAX_BARS; i++) {
		struct vk_pci_bar *b = &dev->bars[i];
		uint64_t addr = bar_value(dev, i);

		if (!b->size)
			continue;
		b->addr = addr;
		b->active = mem && inside_window(addr, b->size);
		if (b->active && addr != b->placed) {
			uint64_t old = b->placed;

			b->placed = addr;
			if (dev->bar_moved)
				dev->bar_moved(dev, i, old, addr);
		}
	}
}

static bool msix_vector_masked(const struct vk_pci_dev *dev, unsigned v)
{
	uint16_t ctrl = get_le(dev->cfg + dev->msix.cap + PCI_MSIX_FLAGS, 2);

	return !(ctrl & PCI_MSIX_FLAGS_ENABLE) || (ctrl & PCI_MSIX_FLAGS_MASKALL) ||
	       (dev->msix.table[v][3] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

bool vk_pci_msix_enabled(const struct vk_pci_dev *dev)
{
	return dev->msix.nvec &&
	       (get_le(dev->cfg + dev->msix.cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
}

/* Point KVM's route at the entry and deliver what waited while masked. */
static void msix_sync_vector(struct vk_pci_dev *dev, unsigned v)
{
	struct vk_pci_msix *x = &dev->msix;
	uint64_t addr = x->table[v][0] | (uint64_t)x->table[v][1] << 32;
	bool masked = msix_vector_masked(dev, v);

	vk_msi_update(dev->m, &x->msi[v], addr, x->table[v][2], masked);
	if (!masked && (x->pending & (1ull << v))) {
		x->pending &= ~(1ull << v);
		vk_msi_signal(&x->msi[v]);
	}
}

int vk_pci_msix_notify(struct vk_pci_dev *dev, unsigned vector)
{
	if (vector >= dev->msix.nvec)
		return -EINVAL;
	if (!vk_pci_msix_enabled(dev))
		return -EAGAIN;
	if (msix_vector_masked(dev, vector)) {
		dev->msix.pending |= 1ull << vector;
		return 0;
	}
	return vk_msi_signal(&dev->msix.msi[vector]);
}

void vk_pci_intx_set(struct vk_pci_dev *dev, bool level)
{
	if (get_le(dev->cfg + PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE)
		level = false;
	if (level)
		dev->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		dev->cfg[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
	if (level != dev->intx_level && dev->gsi) {
		dev->intx_level = level;
		vk_irq_set_level(dev->m, dev->gsi, level);
	}
}

int vk_pci_dev_add_msix(struct vk_pci_dev *dev, unsigned nvec, unsigned bar,
			uint32_t table_off, uint32_t pba_off)
{
	uint8_t cap[12] = { PCI_CAP_ID_MSIX, 0 };
	int off, rc;

	if (!nvec || nvec > VK_PCI_MAX_MSIX || bar >= VK_PCI_MAX_BARS ||
	    table_off % 8 || pba_off % 8 ||
	    table_off + nvec * PCI_MSIX_ENTRY_SIZE > dev->bars[bar].size ||
	    pba_off + 8 > dev->bars[bar].size)
		return vk_errorx(EINVAL, "%s: bad MSI-X layout", dev->name);
	put_le(cap + PCI_MSIX_FLAGS, nvec - 1, 2);
	put_le(cap + PCI_MSIX_TABLE, table_off | bar, 4);
	put_le(cap + PCI_MSIX_PBA, pba_off | bar, 4);
	off = vk_pci_dev_add_cap(dev, cap, sizeof(cap));
	if (off < 0)
		return off;
	vk_pci_dev_set_wmask(dev, off + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	dev->msix.cap = off;
	dev->msix.bar = bar;
	dev->msix.table_off = table_off;
	dev->msix.pba_off = pba_off;
	for (unsigned v = 0; v < nvec; v++) {
		dev->msix.table[v][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;	/* reset state */
		rc = vk_msi_alloc(dev->m, &dev->msix.msi[v]);
		if (rc < 0) {
			while (v--)
				vk_msi_free(dev->m, &dev->msix.msi[v]);
			return vk_error(-rc, "%s: MSI-X vector %u", dev->name, v);
		}
		dev->msix.nvec = v + 1;
	}
	return 0;
}

int vk_pci_dev_add_msi(struct vk_pci_dev *dev)
{
	uint8_t cap[PCI_MSI_CAP_SIZE_64] = { PCI_CAP_ID_MSI, 0 };
	int off, rc;

	put_le(cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT, 2);	/* one message (MMC 0) */
	off = vk_pci_dev_add_cap(dev, cap, sizeof(cap));
	if (off < 0)
		return off;
	/* Multiple Message Enable stays 0: one message is all we have. */
	vk_pci_dev_set_wmask(dev, off + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
	vk_pci_dev_set_wmask(dev, off + PCI_MSI_ADDRESS_LO, 4, ~3u);
	vk_pci_dev_set_wmask(dev, off + PCI_MSI_ADDRESS_HI, 4, 0xffffffff);
	vk_pci_dev_set_wmask(dev, off + PCI_MSI_DATA_64, 2, 0xffff);
	rc = vk_msi_alloc(dev->m, &dev->msi.route);
	if (rc < 0)
		return vk_error(-rc, "%s: MSI route", dev->name);
	dev->msi.cap = off;
	return 0;
}

bool vk_pci_msi_enabled(const struct vk_pci_dev *dev)
{
	return dev->msi.cap && (get_le(dev->cfg + dev->msi.cap + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);
}

/* Point KVM's route at the message the guest programmed. */
static void msi_sync(struct vk_pci_dev *dev)
{
	const uint8_t *c = dev->cfg + dev->msi.cap;
	uint64_t addr = get_le(c + PCI_MSI_ADDRESS_LO, 4) | (uint64_t)get_le(c + PCI_MSI_ADDRESS_HI, 4) << 32;

	vk_msi_update(dev->m, &dev->msi.route, addr, get_le(c + PCI_MSI_DATA_64, 2),
		      !vk_pci_msi_enabled(dev));
}

int vk_pci_msi_notify(struct vk_pci_dev *dev)
{
	if (!vk_pci_msi_enabled(dev))
		return -EAGAIN;
	return vk_msi_signal(&dev->msi.route);
}

uint32_t vk_pci_config_read(struct vk_pci_dev *dev, unsigned off, unsigned len)
{
	uint32_t v;

	if (!valid_access(off, len, PCI_CONFIG_SPACE_SIZE))
		return 0xffffffff;
	pthread_mutex_lock(&dev->lock);
	if (dev->config_read)
		dev->config_read(dev, off, len);
	v = get_le(dev->cfg + off, len);
	pthread_mutex_unlock(&dev->lock);
	return v;
}

static bool overlaps(unsigned off, unsigned len, unsigned start, unsigned n)
{
	return off < start + n && start < off + len;
}

void vk_pci_config_write(struct vk_pci_dev *dev, unsigned off, unsigned len, uint32_t val)
{
	if (!valid_access(off, len, PCI_CONFIG_SPACE_SIZE))
		return;
	pthread_mutex_lock(&dev->lock);
	for (unsigned i = 0; i < len; i++) {
		uint8_t m = dev->wmask[off + i];

		dev->cfg[off + i] = (dev->cfg[off + i] & ~m) | ((val >> (8 * i)) & m);
	}
	if (overlaps(off, len, PCI_COMMAND, 2) || overlaps(off, len, PCI_BASE_ADDRESS_0, 24) ||
	    overlaps(off, len, PCI_ROM_ADDRESS, 4))
		update_bars(dev);
	if (overlaps(off, len, PCI_COMMAND, 2) && dev->intx_level)
		vk_pci_intx_set(dev, true);	/* INTX_DISABLE may have changed */
	if (dev->msi.cap && overlaps(off, len, dev->msi.cap, PCI_MSI_CAP_SIZE_64))
		msi_sync(dev);
	if (dev->msix.nvec && overlaps(off, len, dev->msix.cap + PCI_MSIX_FLAGS, 2))
		for (unsigned v = 0; v < dev->msix.nvec; v++)
			msix_sync_vector(dev, v);
	if (dev->config_written)
		dev->config_written(dev, off, len);
	pthread_mutex_unlock(&dev->lock);
}

static void msix_table_io(struct vk_pci_dev *dev, uint64_t off, uint8_t *data,
			  unsigned len, bool is_write)
{
	unsigned v = off / PCI_MSIX_ENTRY_SIZE, field = off % PCI_MSIX_ENTRY_SIZE / 4;

	if ((len != 4 && len != 8) || off % len) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	for (unsigned i = 0; i < len / 4; i++, field++) {
		if (is_write)
			dev->msix.table[v][field] = get_le(data + 4 * i, 4);
		else
			put_le(data + 4 * i, dev->msix.table[v][field], 4);
	}
	if (is_write)
		msix_sync_vector(dev, v);
}

static void msix_pba_io(struct vk_pci_dev *dev, uint64_t off, uint8_t *data,
			unsigned len, bool is_write)
{
	if (is_write)
		return;		/* the PBA is read-only */
	for (unsigned i = 0; i < len; i++)
		data[i] = off + i < 8 ? dev->msix.pending >> (8 * (off + i)) : 0;
}

static void bar_io(struct vk_pci_dev *dev, unsigned i, uint64_t off, uint8_t *data,
		   unsigned len, bool is_write)
{
	struct vk_pci_msix *x = &dev->msix;

	if (x->nvec && x->bar == i && off >= x->table_off &&
	    off + len <= x->table_off + x->nvec * PCI_MSIX_ENTRY_SIZE)
		msix_table_io(dev, off - x->table_off, data, len, is_write);
	else if (x->nvec && x->bar == i && off >= x->pba_off && off + len <= x->pba_off + 8)
		msix_pba_io(dev, off - x->pba_off, data, len, is_write);
	else if (dev->bars[i].handler)
		dev->bars[i].handler(dev->bars[i].opaque, off, data, len, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
}

void vk_pci_bar_access(struct vk_pci_dev *dev, unsigned bar, uint64_t off, uint8_t *data, unsigned len,
		       bool is_write)
{
	unsigned i = bar / 2;

	if (bar % 2 || i >= VK_PCI_MAX_BARS || !dev->bars[i].size || off > dev->bars[i].size ||
	    len > dev->bars[i].size - off) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	bar_io(dev, i, off, data, len, is_write);
}

void vk_pci_window_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_pci_bus *bus = opaque;
	uint64_t addr = VK_PCI_MMIO_BASE + offset;

	for (unsigned d = 0; d < VK_PCI_MAX_SLOTS; d++) {
		struct vk_pci_dev *dev = bus->devs[d];

		if (!dev)
			continue;
		pthread_mutex_lock(&dev->lock);
		if (dev->rom_active && addr >= dev->rom_addr && addr - dev->rom_addr + len <= dev->rom_size) {
			/* ROM: writes are dropped, bytes past the image read as 0. */
			for (unsigned i = 0; !is_write && i < len; i++) {
				uint64_t at = addr - dev->rom_addr + i;

				data[i] = at < dev->rom_len ? dev->rom[at] : 0;
			}
			pthread_mutex_unlock(&dev->lock);
			return;
		}
		for (unsigned i = 0; i < VK_PCI_MAX_BARS; i++) {
			struct vk_pci_bar *b = &dev->bars[i];

			if (b->active && addr >= b->addr && addr - b->addr + len <= b->size) {
				bar_io(dev, i, addr - b->addr, data, len, is_write);
				pthread_mutex_unlock(&dev->lock);
				return;
			}
		}
		pthread_mutex_unlock(&dev->lock);
	}
	if (!is_write)
		memset(data, 0xff, len);
}

/* Ports 0xCF8-0xCFF: offset 0 is the address register (dword access only),
 * offsets 4-7 the data window into the addressed dword. */
void vk_pci_config_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_pci_bus *bus = opaque;
	uint32_t addr = __atomic_load_n(&bus->config_addr, __ATOMIC_RELAXED);
	unsigned devfn, reg;
	struct vk_pci_dev *dev;

	if (offset == 1 && len == 1 && bus->rcr_io) {
		bus->rcr_io(bus, data, is_write);
		return;
	}
	if (offset == 0 && len == 4) {
		if (is_write)
			__atomic_store_n(&bus->config_addr, get_le(data, 4) & ~3u, __ATOMIC_RELAXED);
		else
			put_le(data, addr, 4);
		return;
	}
	devfn = addr >> 8 & 0xff;
	reg = (addr & 0xfc) + (unsigned)offset - 4;
	dev = NULL;
	if (offset >= 4 && (addr & PCI_CONF1_ENABLE) && (addr >> 16 & 0xff) == 0 && devfn % 8 == 0)
		dev = bus->devs[devfn / 8];
	if (!dev) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		vk_pci_config_write(dev, reg, len, get_le(data, len));
	else
		put_le(data, vk_pci_config_read(dev, reg, len), len);
}

int vk_pci_bus_add(struct vk_pci_bus *bus, struct vk_pci_dev *dev)
{
	unsigned slot = bus->n_devs;

	if (slot >= VK_PCI_MAX_SLOTS)
		return vk_errorx(ENOSPC, "%s: all %u PCI slots are taken", dev->name, VK_PCI_MAX_SLOTS);
	for (unsigned i = 0; i < VK_PCI_MAX_BARS; i++) {
		uint64_t size = dev->bars[i].size, addr;

		if (!size)
			continue;
		addr = (bus->next_bar + size - 1) & ~(size - 1);
		if (addr - VK_PCI_MMIO_BASE + size > VK_PCI_MMIO_SIZE)
			return vk_errorx(ENOSPC, "%s: the PCI window is full", dev->name);
		bus->next_bar = addr + size;
		write_bar(dev, i, addr);
		dev->bars[i].placed = addr;
	}
	dev->slot = slot;
	dev->m = bus->m;
	if (slot) {
		dev->gsi = VK_PCI_INTX_GSI(slot);
		dev->cfg[PCI_INTERRUPT_PIN] = 1;
		dev->cfg[PCI_INTERRUPT_LINE] = dev->gsi;
	}
	update_bars(dev);
	bus->devs[slot] = dev;
	bus->n_devs++;
	return 0;
}

int vk_pci_bus_init(struct vk_pci_bus *bus, struct vk_machine *m,
		    struct vk_bus *pio, struct vk_bus *mmio)
{
	int rc;

	memset(bus, 0, sizeof(*bus));
	bus->m = m;
	bus->next_bar = VK_PCI_MMIO_BASE;
	vk_pci_dev_init(&bus->host, "pci-host", VK_PCI_VENDOR_REDHAT, VK_PCI_DEVICE_HOST,
			PCI_CLASS_BRIDGE_HOST, VK_PCI_VENDOR_REDHAT, 0);
	rc = vk_pci_bus_add(bus, &bus->host);
	if (rc < 0)
		return rc;
	rc = vk_bus_register(pio, VK_PCI_CONFIG_ADDR_PORT, 8, vk_pci_config_io, bus, "pci-config");
	if (rc < 0)
		return rc;
	return vk_bus_register(mmio, VK_PCI_MMIO_BASE, VK_PCI_MMIO_SIZE, vk_pci_window_io, bus,
			       "pci-window");
}

static void each_dev_locked(struct vk_pci_bus *bus, void (*fn)(struct vk_pci_dev *dev))
{
	for (unsigned d = 0; d < VK_PCI_MAX_SLOTS; d++) {
		struct vk_pci_dev *dev = bus->devs[d];

		if (!dev)
			continue;
		pthread_mutex_lock(&dev->lock);
		fn(dev);
		pthread_mutex_unlock(&dev->lock);
	}
}

static void save_power_on(struct vk_pci_dev *dev)
{
	memcpy(dev->cfg_power_on, dev->cfg, sizeof(dev->cfg));
}

void vk_pci_bus_save_power_on(struct vk_pci_bus *bus)
{
	each_dev_locked(bus, save_power_on);
}

static void dev_reset(struct vk_pci_dev *dev)
{
	memcpy(dev->cfg, dev->cfg_power_on, sizeof(dev->cfg));
	dev->msix.pending = 0;
	for (unsigned v = 0; v < dev->msix.nvec; v++) {
		memset(dev->msix.table[v], 0, sizeof(dev->msix.table[v]));
		dev->msix.table[v][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		msix_sync_vector(dev, v);
	}
	if (dev->msi.cap)
		msi_sync(dev);
	update_bars(dev);
	if (dev->intx_level && dev->gsi)
		vk_irq_set_level(dev->m, dev->gsi, false);
	dev->intx_level = false;
}

void vk_pci_bus_reset(struct vk_pci_bus *bus)
{
	each_dev_locked(bus, dev_reset);
	__atomic_store_n(&bus->config_addr, 0, __ATOMIC_RELAXED);
	bus->rcr = 0;
}

void vk_pci_dev_free(struct vk_pci_dev *dev)
{
	for (unsigned v = 0; v < dev->msix.nvec; v++)
		vk_msi_free(dev->m, &dev->msix.msi[v]);
	dev->msix.nvec = 0;
	if (dev->msi.cap)
		vk_msi_free(dev->m, &dev->msi.route);
	dev->msi.cap = 0;
	free(dev->rom);
	dev->rom = NULL;
	pthread_mutex_destroy(&dev->lock);
}

void vk_pci_bus_free(struct vk_pci_bus *bus)
{
	vk_pci_dev_free(&bus->host);
}
