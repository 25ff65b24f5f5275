/* x86/smbios.c - the SMBIOS 3.0 tables and entry point handed to firmware through fw_cfg (SeaBIOS adds its own type 0). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "vmm/x86/firmware.h"

/* DMTF DSP0134 3.0: structure types and field values used here. */
#define SMBIOS_TYPE_SYSTEM		1
#define SMBIOS_TYPE_CHASSIS		3
#define SMBIOS_TYPE_PROCESSOR		4
#define SMBIOS_TYPE_MEMORY_ARRAY	16
#define SMBIOS_TYPE_MEMORY_DEVICE	17
#define SMBIOS_TYPE_MEMORY_MAPPED	19
#define SMBIOS_TYPE_BOOT_INFO		32
#define SMBIOS_TYPE_END			127
#define SMBIOS_WAKEUP_POWER_SWITCH	0x06
#define SMBIOS_CHASSIS_OTHER		0x01
#define SMBIOS_STATE_SAFE		0x03
#define SMBIOS_SECURITY_UNKNOWN		0x02
#define SMBIOS_PROCESSOR_CENTRAL	0x03
#define SMBIOS_PROCESSOR_FAMILY_OTHER	0x01
#define SMBIOS_PROCESSOR_ENABLED	0x41	/* socket populated, CPU enabled */
#define SMBIOS_UPGRADE_OTHER		0x01
#define SMBIOS_CHAR_UNKNOWN		0x02
#define SMBIOS_NO_HANDLE		0xffff
#define SMBIOS_NO_ERROR_INFO		0xfffe
#define SMBIOS_LOCATION_OTHER		0x01
#define SMBIOS_USE_SYSTEM_MEMORY	0x03
#define SMBIOS_ECC_MULTI_BIT		0x06
#define SMBIOS_FORM_DIMM		0x09
#define SMBIOS_MEMORY_TYPE_RAM		0x07
#define SMBIOS_TYPE_DETAIL_OTHER	0x0002
#define SMBIOS_SIZE_EXTENDED		0x7fff	/* type 17: size is in extended_size */
#define SMBIOS_CAPACITY_EXTENDED	0x80000000u
#define SMBIOS3_ANCHOR			"_SM3_"

struct smbios_header {
	uint8_t type, length;
	uint16_t handle;
} __attribute__((packed));

struct smbios_type1 {
	struct smbios_header h;
	uint8_t manufacturer, product, version, serial;
	uint8_t uuid[16];
	uint8_t wakeup_type, sku, family;
} __attribute__((packed));

struct smbios_type3 {
	struct smbios_header h;
	uint8_t manufacturer, type, version, serial, asset_tag;
	uint8_t bootup_state, power_supply_state, thermal_state, security_status;
} __attribute__((packed));

struct smbios_type4 {
	struct smbios_header h;
	uint8_t socket, processor_type, family, manufacturer;
	uint32_t id_eax, id_edx;
	uint8_t version, voltage;
	uint16_t external_clock, max_speed, current_speed;
	uint8_t status, upgrade;
	uint16_t l1_cache, l2_cache, l3_cache;
	uint8_t serial, asset_tag, part_number;
	uint8_t core_count, core_enabled, thread_count;
	uint16_t characteristics, family2;
} __attribute__((packed));

struct smbios_type16 {
	struct smbios_header h;
	uint8_t location, use, error_correction;
	uint32_t maximum_capacity;
	uint16_t error_handle, devices;
	uint64_t extended_maximum_capacity;
} __attribute__((packed));

struct smbios_type17 {
	struct smbios_header h;
	uint16_t array_handle, error_handle, total_width, data_width, size;
	uint8_t form_factor, device_set, locator, bank_locator, memory_type;
	uint16_t type_detail, speed;
	uint8_t manufacturer, serial, asset_tag, part_number, attributes;
	uint32_t extended_size;
	uint16_t configured_speed;
} __attribute__((packed));

struct smbios_type19 {
	struct smbios_header h;
	uint32_t start_kib, end_kib;
	uint16_t array_handle;
	uint8_t partition_width;
	uint64_t extended_start, extended_end;
} __attribute__((packed));

struct smbios_type32 {
	struct smbios_header h;
	uint8_t reserved[6];
	uint8_t status;
} __attribute__((packed));

struct smbios3_entry {
	char anchor[5];
	uint8_t checksum, length, major, minor, docrev, revision, reserved;
	uint32_t table_max_size;
	uint64_t table_address;
} __attribute__((packed));

_Static_assert(sizeof(struct smbios_type1) == 0x1b, "type 1");
_Static_assert(sizeof(struct smbios_type4) == 0x2a, "type 4");
_Static_assert(sizeof(struct smbios_type16) == 0x17, "type 16");
_Static_assert(sizeof(struct smbios_type17) == 0x22, "type 17");
_Static_assert(sizeof(struct smbios_type19) == 0x1f, "type 19");
_Static_assert(sizeof(struct smbios3_entry) == VK_SMBIOS3_ENTRY_LEN, "SMBIOS 3.0 entry point");

struct writer {
	uint8_t *buf;
	size_t size, len;
	bool full;
	uint16_t next_handle;
};

/* One structure: the formatted part, then its strings (each NUL-ended),
 * then the extra NUL that ends the set (two NULs when there are none). */
static uint16_t put_struct(struct writer *w, void *fmt, size_t len, uint8_t type,
			   const char *const *strings, size_t n_strings)
{
	struct smbios_header *h = fmt;
	size_t need = len + 1 + (n_strings ? 0 : 1);

	for (size_t i = 0; i < n_strings; i++)
		need += strlen(strings[i]) + 1;
	h->type = type;
	h->length = (uint8_t)len;
	h->handle = w->next_handle++;
	if (w->full || need > w->size - w->len) {
		w->full = true;
		return h->handle;
	}
	memcpy(w->buf + w->len, fmt, len);
	w->len += len;
	for (size_t i = 0; i < n_strings; i++) {
		memcpy(w->buf + w->len, strings[i], strlen(strings[i]) + 1);
		w->len += strlen(strings[i]) + 1;
	}
	if (!n_strings)
		w->buf[w->len++] = 0;
	w->buf[w->len++] = 0;
	return h->handle;
}

int vk_smbios_build(uint8_t *buf, size_t size, const struct vk_smbios_config *cfg, uint8_t *entry,
		    size_t entry_size)
{
	static const char *const system_strings[] = { "vkit", "vrun", "1.0" };
	static const char *const chassis_strings[] = { "vkit" };
	static const char *const dimm_strings[] = { "DIMM 0", "vkit" };
	struct writer w = { buf, size, 0, false, 0x100 };
	struct smbios3_entry *ep = (struct smbios3_entry *)entry;
	uint64_t ram_kib = cfg->ram_size >> 10, ram_mib = cfg->ram_size >> 20;
	uint16_t array;
	uint8_t sum = 0;

	if (entry_size < sizeof(*ep) || cfg->ncpus < 1 || cfg->ncpus > 255 || !cfg->ram_size)
		return -EINVAL;
	struct smbios_type1 t1 = { .manufacturer = 1, .product = 2, .version = 3,
				   .wakeup_type = SMBIOS_WAKEUP_POWER_SWITCH };
	memcpy(t1.uuid, cfg->uuid, sizeof(t1.uuid));
	put_struct(&w, &t1, sizeof(t1), SMBIOS_TYPE_SYSTEM, system_strings, 3);
	struct smbios_type3 t3 = { .manufacturer = 1, .type = SMBIOS_CHASSIS_OTHER,
				   .bootup_state = SMBIOS_STATE_SAFE, .power_supply_state = SMBIOS_STATE_SAFE,
				   .thermal_state = SMBIOS_STATE_SAFE, .security_status = SMBIOS_SECURITY_UNKNOWN };
	put_struct(&w, &t3, sizeof(t3), SMBIOS_TYPE_CHASSIS, chassis_strings, 1);
	for (unsigned i = 0; i < cfg->ncpus; i++) {
		char socket[16];
		const char *strings[] = { socket, "vkit" };
		struct smbios_type4 t4 = {
			.socket = 1, .processor_type = SMBIOS_PROCESSOR_CENTRAL,
			.family = SMBIOS_PROCESSOR_FAMILY_OTHER, .manufacturer = 2,
			.status = SMBIOS_PROCESSOR_ENABLED, .upgrade = SMBIOS_UPGRADE_OTHER,
			.l1_cache = SMBIOS_NO_HANDLE, .l2_cache = SMBIOS_NO_HANDLE, .l3_cache = SMBIOS_NO_HANDLE,
			.core_count = 1, .core_enabled = 1, .thread_count = 1,
			.characteristics = SMBIOS_CHAR_UNKNOWN, .family2 = SMBIOS_PROCESSOR_FAMILY_OTHER,
		};

		snprintf(socket, sizeof(socket), "CPU %u", i);
		put_struct(&w, &t4, sizeof(t4), SMBIOS_TYPE_PROCESSOR, strings, 2);
	}
	struct smbios_type16 t16 = { .location = SMBIOS_LOCATION_OTHER, .use = SMBIOS_USE_SYSTEM_MEMORY,
				     .error_correction = SMBIOS_ECC_MULTI_BIT,
				     .error_handle = SMBIOS_NO_ERROR_INFO, .devices = 1 };
	if (ram_kib < SMBIOS_CAPACITY_EXTENDED) {
		t16.maximum_capacity = (uint32_t)ram_kib;
	} else {
		t16.maximum_capacity = SMBIOS_CAPACITY_EXTENDED;
		t16.extended_maximum_capacity = cfg->ram_size;
	}
	array = put_struct(&w, &t16, sizeof(t16), SMBIOS_TYPE_MEMORY_ARRAY, NULL, 0);
	struct smbios_type17 t17 = { .array_handle = array, .error_handle = SMBIOS_NO_ERROR_INFO,
				     .total_width = 0xffff, .data_width = 0xffff,
				     .form_factor = SMBIOS_FORM_DIMM, .locator = 1, .manufacturer = 2,
				     .memory_type = SMBIOS_MEMORY_TYPE_RAM, .type_detail = SMBIOS_TYPE_DETAIL_OTHER };
	if (ram_mib < SMBIOS_SIZE_EXTENDED) {
		t17.size = (uint16_t)ram_mib;
	} else {
		t17.size = SMBIOS_SIZE_EXTENDED;
		t17.extended_size = (uint32_t)ram_mib;
	}
	put_struct(&w, &t17, sizeof(t17), SMBIOS_TYPE_MEMORY_DEVICE, dimm_strings, 2);
	for (unsigned i = 0; i < cfg->n_ram; i++) {
		uint64_t start = cfg->ram[i].addr, end = cfg->ram[i].addr + cfg->ram[i].size - 1;
		struct smbios_type19 t19 = { .array_handle = array, .partition_width = 1 };

		/* KiB fields up to 4 TiB; above that the 64-bit byte fields. */
		if ((end >> 10) < UINT32_MAX) {
			t19.start_kib = (uint32_t)(start >> 10);
			t19.end_kib = (uint32_t)(end >> 10);
		} else {
			t19.start_kib = t19.end_kib = UINT32_MAX;
			t19.extended_start = start;
			t19.extended_end = end;
		}
		put_struct(&w, &t19, sizeof(t19), SMBIOS_TYPE_MEMORY_MAPPED, NULL, 0);
	}
	struct smbios_type32 t32 = { .status = 0 };	/* no errors detected */
	put_struct(&w, &t32, sizeof(t32), SMBIOS_TYPE_BOOT_INFO, NULL, 0);
	struct smbios_header end = { 0 };
	put_struct(&w, &end, sizeof(end), SMBIOS_TYPE_END, NULL, 0);
	if (w.full)
		return -E2BIG;

	/* The firmware places the tables and fills table_address, then fixes
	 * the checksum by the difference: it must be right as given. */
	memset(ep, 0, sizeof(*ep));
	memcpy(ep->anchor, SMBIOS3_ANCHOR, sizeof(ep->anchor));
	ep->length = VK_SMBIOS3_ENTRY_LEN;
	ep->major = 3;
	ep->minor = 0;
	ep->revision = 1;
	ep->table_max_size = (uint32_t)w.len;
	for (size_t i = 0; i < sizeof(*ep); i++)
		sum += entry[i];
	ep->checksum = (uint8_t)-sum;
	return (int)w.len;
}
