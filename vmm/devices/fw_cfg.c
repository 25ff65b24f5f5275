/* devices/fw_cfg.c - QEMU's firmware configuration device: selector and data ports, the file directory, the DMA interface. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "vmm/devices/fw_cfg.h"

#define FW_CFG_SIGNATURE_TEXT	"QEMU"
#define FW_CFG_DMA_PORT_LEN	8

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static int find_key(const struct vk_fw_cfg *f, uint16_t key)
{
	for (size_t i = 0; i < f->n_items; i++)
		if (f->items[i].key == key)
			return (int)i;
	return -1;
}

/* Store an item; data may be NULL for len zero bytes. */
static int put_item(struct vk_fw_cfg *f, uint16_t key, const char *name, const void *data, size_t len)
{
	struct vk_fw_cfg_item *it;
	uint8_t *copy = NULL;

	if (len > UINT32_MAX)
		return vk_errorx(EFBIG, "fw_cfg item 0x%x: %zu bytes is more than fw_cfg can describe", key, len);
	if (len) {
		copy = malloc(len);
		if (!copy)
			return vk_error(ENOMEM, "fw_cfg item 0x%x", key);
		memcpy(copy, data, len);
	}
	if (f->n_items == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 32;
		struct vk_fw_cfg_item *items = realloc(f->items, cap * sizeof(*items));

		if (!items) {
			free(copy);
			return vk_error(ENOMEM, "fw_cfg items");
		}
		f->items = items;
		f->cap = cap;
	}
	it = &f->items[f->n_items++];
	memset(it, 0, sizeof(*it));
	it->key = key;
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->data = copy;
	it->len = (uint32_t)len;
	return 0;
}

/* Replace the directory item with one listing every file (big-endian
 * count, then size, select, reserved and name per file). */
static int rebuild_directory(struct vk_fw_cfg *f)
{
	size_t len = 4 + (size_t)f->n_files * FW_CFG_FILE_SIZE;
	int dir = find_key(f, FW_CFG_FILE_DIR);
	uint8_t *buf = calloc(1, len), *p;

	if (!buf)
		return vk_error(ENOMEM, "fw_cfg file directory");
	put_be32(buf, f->n_files);
	p = buf + 4;
	for (size_t i = 0; i < f->n_items; i++) {
		const struct vk_fw_cfg_item *it = &f->items[i];

		if (it->key < FW_CFG_FILE_FIRST || (it->key & FW_CFG_ARCH_LOCAL))
			continue;
		put_be32(p, it->len);
		put_be16(p + 4, it->key);
		memcpy(p + 8, it->name, strlen(it->name));
		p += FW_CFG_FILE_SIZE;
	}
	free(f->items[dir].data);
	f->items[dir].data = buf;
	f->items[dir].len = (uint32_t)len;
	return 0;
}

int vk_fw_cfg_add(struct vk_fw_cfg *f, uint16_t key, const void *data, size_t len)
{
	uint16_t entry = key & FW_CFG_ENTRY_MASK;

	if (key & FW_CFG_WRITE_CHANNEL || (!(key & FW_CFG_ARCH_LOCAL) && entry >= FW_CFG_FILE_FIRST))
		return vk_errorx(EINVAL, "fw_cfg key 0x%x is not a fixed item's key", key);
	if (find_key(f, key) >= 0)
		return vk_errorx(EEXIST, "fw_cfg key 0x%x is already set", key);
	return put_item(f, key, "", data, len);
}

int vk_fw_cfg_add_u16(struct vk_fw_cfg *f, uint16_t key, uint16_t value)
{
	uint8_t le[2] = { (uint8_t)value, (uint8_t)(value >> 8) };

	return vk_fw_cfg_add(f, key, le, sizeof(le));
}

const struct vk_fw_cfg_item *vk_fw_cfg_find_file(const struct vk_fw_cfg *f, const char *name)
{
	for (size_t i = 0; i < f->n_items; i++)
		if (f->items[i].key >= FW_CFG_FILE_FIRST && !(f->items[i].key & FW_CFG_ARCH_LOCAL) &&
		    strcmp(f->items[i].name, name) == 0)
			return &f->items[i];
	return NULL;
}

int vk_fw_cfg_add_file(struct vk_fw_cfg *f, const char *name, const void *data, size_t len)
{
	int rc;

	if (!*name || strlen(name) >= FW_CFG_MAX_FILE_PATH)
		return vk_errorx(EINVAL, "fw_cfg file name '%s' must be 1 to %d bytes", name,
				 FW_CFG_MAX_FILE_PATH - 1);
	if (vk_fw_cfg_find_file(f, name))
		return vk_errorx(EEXIST, "fw_cfg file '%s' is already there", name);
	if (f->n_files >= FW_CFG_MAX_FILES)
		return vk_errorx(ENOSPC, "fw_cfg file '%s': all %d file slots are taken", name,
				 FW_CFG_MAX_FILES);
	rc = put_item(f, (uint16_t)(FW_CFG_FILE_FIRST + f->n_files), name, data, len);
	if (rc < 0)
		return rc;
	f->n_files++;
	rc = rebuild_directory(f);
	if (rc < 0) {
		f->n_items--;
		free(f->items[f->n_items].data);
		f->n_files--;
	}
	return rc;
}

/* Called with the lock held. */
static void select_key(struct vk_fw_cfg *f, uint16_t key)
{
	/* The write-channel bit only asks for writes, which no item takes;
	 * the item is the same one. */
	f->cur = find_key(f, key & (uint16_t)~FW_CFG_WRITE_CHANNEL);
	f->offset = 0;
}

/* Port 0x510 (offset 0, 16 bits) and 0x511 (offset 1, 8 bits). */
void vk_fw_cfg_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_fw_cfg *f = opaque;

	pthread_mutex_lock(&f->lock);
	if (offset == 0 && len == 2 && is_write) {
		select_key(f, (uint16_t)(data[0] | data[1] << 8));
	} else if (offset == 1 && len == 1 && !is_write) {
		const struct vk_fw_cfg_item *it = f->cur >= 0 ? &f->items[f->cur] : NULL;

		if (it && f->offset < it->len)
			data[0] = it->data[f->offset++];
		else
			data[0] = 0;	/* past the end, or no such item */
	} else if (!is_write) {
		memset(data, 0xff, len);	/* the selector is write-only */
	}
	/* Writes to the data port are ignored, as in QEMU since v2.4. */
	pthread_mutex_unlock(&f->lock);
}

/* One FWCfgDmaAccess operation; returns the control word to write back
 * (0 or QEMU_CFG_DMA_CTL_ERROR).  Lock held. */
static uint32_t dma_transfer(struct vk_fw_cfg *f, uint32_t control, uint32_t length, uint64_t address)
{
	const struct vk_fw_cfg_item *it;
	uint32_t avail, n;
	uint8_t *dst;

	if (control & QEMU_CFG_DMA_CTL_SELECT)
		select_key(f, (uint16_t)(control >> 16));
	it = f->cur >= 0 ? &f->items[f->cur] : NULL;
	avail = it && f->offset < it->len ? it->len - f->offset : 0;
	if (control & QEMU_CFG_DMA_CTL_READ) {
		/* The whole buffer must be RAM before a byte is written. */
		dst = length ? vk_gpa_to_host(f->mem, address, length) : NULL;
		if (length && !dst)
			return QEMU_CFG_DMA_CTL_ERROR;
		n = length < avail ? length : avail;
		if (n)
			memcpy(dst, it->data + f->offset, n);
		if (length > n)
			memset(dst + n, 0, length - n);		/* past the end reads as 0 */
		f->offset += n;
		return 0;
	}
	if (control & QEMU_CFG_DMA_CTL_WRITE)
		return QEMU_CFG_DMA_CTL_ERROR;		/* every item is read-only */
	if (control & QEMU_CFG_DMA_CTL_SKIP)
		f->offset += length < avail ? length : avail;
	return 0;
}

static void dma_start(struct vk_fw_cfg *f, uint64_t gpa)
{
	uint8_t access[FW_CFG_DMA_ACCESS_SIZE];
	uint32_t control, length, result;
	uint64_t address;

	if (vk_gpa_read(f->mem, gpa, access, sizeof(access)) < 0)
		return;		/* nowhere to report to: dropped */
	control = get_be32(access);
	length = get_be32(access + 4);
	address = (uint64_t)get_be32(access + 8) << 32 | get_be32(access + 12);
	result = dma_transfer(f, control, length, address);
	put_be32(access, result);
	vk_gpa_write(f->mem, gpa, access, 4);
}

/* Port 0x514..0x51b: the big-endian DMA address, high half first. */
void vk_fw_cfg_dma_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	static const uint8_t signature[FW_CFG_DMA_PORT_LEN] = { 'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G' };
	struct vk_fw_cfg *f = opaque;

	if (!is_write) {
		/* The signature in big-endian order: byte n of the register is its byte n. */
		memcpy(data, signature + offset, len);
		return;
	}
	if (len != 4 || offset % 4)
		return;
	pthread_mutex_lock(&f->lock);
	if (offset == 0) {
		f->dma_high = get_be32(data);
	} else {
		uint64_t gpa = (uint64_t)f->dma_high << 32 | get_be32(data);

		f->dma_high = 0;	/* the register reads 0 again after an operation */
		dma_start(f, gpa);
	}
	pthread_mutex_unlock(&f->lock);
}

int vk_fw_cfg_init(struct vk_fw_cfg *f, const struct vk_guest_memory *mem, struct vk_bus *pio)
{
	uint8_t id[4] = { FW_CFG_VERSION | FW_CFG_VERSION_DMA, 0, 0, 0 };
	int rc;

	memset(f, 0, sizeof(*f));
	f->mem = mem;
	f->cur = -1;
	pthread_mutex_init(&f->lock, NULL);
	rc = put_item(f, FW_CFG_SIGNATURE, "", FW_CFG_SIGNATURE_TEXT, strlen(FW_CFG_SIGNATURE_TEXT));
	if (rc == 0)
		rc = put_item(f, FW_CFG_ID, "", id, sizeof(id));
	if (rc == 0)
		rc = put_item(f, FW_CFG_FILE_DIR, "", NULL, 0);
	if (rc == 0)
		rc = rebuild_directory(f);
	if (rc == 0)
		rc = vk_bus_register(pio, FW_CFG_PORT_SEL, 2, vk_fw_cfg_io, f, "fw_cfg");
	if (rc == 0)
		rc = vk_bus_register(pio, FW_CFG_PORT_DMA, FW_CFG_DMA_PORT_LEN, vk_fw_cfg_dma_io, f,
				     "fw_cfg DMA");
	return rc;
}

void vk_fw_cfg_reset(struct vk_fw_cfg *f)
{
	pthread_mutex_lock(&f->lock);
	f->cur = -1;
	f->offset = 0;
	f->dma_high = 0;
	pthread_mutex_unlock(&f->lock);
}

void vk_fw_cfg_free(struct vk_fw_cfg *f)
{
	for (size_t i = 0; i < f->n_items; i++)
		free(f->items[i].data);
	free(f->items);
	f->items = NULL;
	f->n_items = f->cap = 0;
	pthread_mutex_destroy(&f->lock);
}
