/* test-x86-boot.c - bzImage header checks, the e820 map, the MP table and the CPUID topology. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "vmm/x86/boot.h"
#include "vmm/x86/cpu.h"

#define FAKE_SETUP_SECTS	4
#define FAKE_SIZE		(64 * 1024)

/* A synthetic bzImage: a setup header as Linux 6.x writes it, then zeros. */
static uint8_t *fake_bzimage(void)
{
	uint8_t *img = calloc(1, FAKE_SIZE);
	struct setup_header h = { 0 };

	h.setup_sects = FAKE_SETUP_SECTS;
	h.boot_flag = 0xAA55;
	h.jump = 0x6aeb;		/* jmp to 0x26c: header through init_size and more */
	h.header = 0x53726448;
	h.version = 0x020f;
	h.loadflags = LOADED_HIGH;
	h.initrd_addr_max = 0x7fffffff;
	h.kernel_alignment = 0x200000;
	h.relocatable_kernel = 1;
	h.xloadflags = XLF_KERNEL_64;
	h.cmdline_size = 2047;
	h.pref_address = 0x1000000;
	h.init_size = 0x2000000;
	memcpy(img + 0x1f1, &h, sizeof(h));
	return img;
}

static void good_header(void **state)
{
	uint8_t *img = fake_bzimage();
	struct vk_bzimage bz;

	assert_int_equal(vk_bzimage_parse(img, FAKE_SIZE, &bz), 0);
	assert_int_equal(bz.protocol, 0x020f);
	assert_int_equal(bz.setup_size, (FAKE_SETUP_SECTS + 1) * 512);
	assert_int_equal(bz.kernel_offset, bz.setup_size);
	assert_int_equal(bz.kernel_size, FAKE_SIZE - bz.setup_size);
	assert_int_equal(bz.cmdline_size, 2047);
	assert_int_equal(bz.init_size, 0x2000000);
	assert_int_equal(bz.header_end, 0x202 + 0x6a);
	assert_int_equal(bz.relocatable, 1);
	free(img);
}

static void expect_reject(uint8_t *img, size_t len, const char *why)
{
	struct vk_bzimage bz;

	assert_int_equal(vk_bzimage_parse(img, len, &bz), -EINVAL);
	if (!strstr(vk_last_error(), why))
		fail_msg("message '%s' lacks '%s'", vk_last_error(), why);
}

static void malformed_headers(void **state)
{
	uint8_t *img = fake_bzimage();
	struct setup_header *h = (struct setup_header *)(img + 0x1f1);

	expect_reject(img, 0x200, "too small");
	h->header = 0x12345678;
	expect_reject(img, FAKE_SIZE, "not a Linux bzImage");
	h->header = 0x53726448;
	h->boot_flag = 0;
	expect_reject(img, FAKE_SIZE, "not a Linux bzImage");
	h->boot_flag = 0xAA55;
	h->version = 0x0204;
	expect_reject(img, FAKE_SIZE, "too old");
	h->version = 0x020f;
	h->loadflags = 0;
	expect_reject(img, FAKE_SIZE, "zImage");
	h->loadflags = LOADED_HIGH;
	h->xloadflags = 0;
	expect_reject(img, FAKE_SIZE, "64-bit");
	h->xloadflags = XLF_KERNEL_64;
	h->setup_sects = 200;	/* setup runs past the end of the file */
	expect_reject(img, 0x4000, "past the end");
	h->setup_sects = FAKE_SETUP_SECTS;
	h->jump = 0x0aeb;	/* header claims to end before init_size */
	expect_reject(img, FAKE_SIZE, "too short");
	free(img);
}

static void setup_sects_zero_means_four(void **state)
{
	uint8_t *img = fake_bzimage();
	struct vk_bzimage bz;

	((struct setup_header *)(img + 0x1f1))->setup_sects = 0;
	assert_int_equal(vk_bzimage_parse(img, FAKE_SIZE, &bz), 0);
	assert_int_equal(bz.setup_size, 5 * 512);
	free(img);
}

static void e820_small_machine(void **state)
{
	struct boot_e820_entry e[8];
	unsigned n = vk_e820_build(256ull << 20, e, 8);

	assert_int_equal(n, 5);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, 0x9fc00);
	assert_int_equal(e[0].type, VK_E820_RAM);
	assert_int_equal(e[1].type, VK_E820_RESERVED);	/* EBDA with the MP table */
	assert_int_equal(e[1].addr, VK_MPTABLE_BASE);
	assert_int_equal(e[2].addr, 0xe0000);
	assert_int_equal(e[2].type, VK_E820_RESERVED);
	assert_int_equal(e[3].addr, 0x100000);
	assert_int_equal(e[3].size, (256ull << 20) - 0x100000);
	assert_int_equal(e[4].addr, VK_IOAPIC_BASE);
	assert_int_equal(e[4].addr + e[4].size, VK_4GIB);
}

static void e820_memory_above_4g(void **state)
{
	struct boot_e820_entry e[8];
	unsigned n = vk_e820_build(4096ull << 20, e, 8);

	assert_int_equal(n, 6);
	assert_int_equal(e[3].addr + e[3].size, VK_PCI_HOLE_START);
	assert_int_equal(e[5].addr, VK_4GIB);
	assert_int_equal(e[5].size, (4096ull << 20) - VK_PCI_HOLE_START);
	assert_int_equal(e[5].type, VK_E820_RAM);
	/* No RAM entry overlaps the PCI hole. */
	for (unsigned i = 0; i < n; i++)
		if (e[i].type == VK_E820_RAM)
			assert_true(e[i].addr + e[i].size <= VK_PCI_HOLE_START || e[i].addr >= VK_4GIB);
}

static void e820_respects_max(void **state)
{
	struct boot_e820_entry e[2];

	assert_int_equal(vk_e820_build(4096ull << 20, e, 2), 2);
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static void mptable_checksums(void **state)
{
	uint8_t buf[4096];
	struct vk_mp_intx intx[] = { { 1, 1, 16 }, { 2, 1, 17 } };
	size_t len = vk_mptable_build(buf, sizeof(buf), 0x9fc00, 4, intx, 2);
	uint16_t cfg_len, count;
	uint32_t cfg_addr;

	assert_true(len > 16 + 44);
	assert_memory_equal(buf, "_MP_", 4);
	assert_int_equal(sum(buf, 16), 0);
	memcpy(&cfg_addr, buf + 4, 4);
	assert_int_equal(cfg_addr, 0x9fc00 + 16);
	assert_memory_equal(buf + 16, "PCMP", 4);
	memcpy(&cfg_len, buf + 16 + 4, 2);
	assert_int_equal(cfg_len, len - 16);
	assert_int_equal(sum(buf + 16, cfg_len), 0);
	memcpy(&count, buf + 16 + 34, 2);
	/* 4 CPUs, 2 buses, 1 IOAPIC, 15 ISA IRQs, 2 PCI INTx, 2 local interrupts. */
	assert_int_equal(count, 4 + 2 + 1 + 15 + 2 + 2);
	/* The first processor is the bootstrap processor; the others are not. */
	assert_int_equal(buf[16 + 44 + 3], 0x03);
	assert_int_equal(buf[16 + 44 + 20 + 3], 0x01);
}

static void mptable_too_small(void **state)
{
	uint8_t buf[100];

	assert_int_equal(vk_mptable_build(buf, sizeof(buf), 0x9fc00, 2, NULL, 0), 0);
}

static void cpuid_topology(void **state)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 4 * sizeof(c->entries[0]));

	c->nent = 4;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0xff0800, .ecx = 0 };
	c->entries[1] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0 };
	c->entries[2] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 1 };
	c->entries[3] = (struct kvm_cpuid_entry2){ .function = 0xa, .eax = 0x7300403 };
	vk_cpuid_patch(c, 5, 6);
	assert_true(c->entries[0].ecx & (1u << 31));
	assert_int_equal(c->entries[0].ebx >> 24, 5);
	assert_int_equal((c->entries[0].ebx >> 16) & 0xff, 6);
	assert_int_equal(c->entries[0].ebx & 0xffff, 0x0800);
	assert_int_equal(c->entries[1].ebx, 1);
	assert_int_equal(c->entries[1].edx, 5);
	assert_int_equal(c->entries[2].eax, 3);		/* 6 cores need 3 bits of APIC id */
	assert_int_equal(c->entries[2].ebx, 6);
	assert_int_equal(c->entries[2].ecx, (2 << 8) | 1);
	assert_int_equal(c->entries[3].eax, 0);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_header),
		cmocka_unit_test(malformed_headers),
		cmocka_unit_test(setup_sects_zero_means_four),
		cmocka_unit_test(e820_small_machine),
		cmocka_unit_test(e820_memory_above_4g),
		cmocka_unit_test(e820_respects_max),
		cmocka_unit_test(mptable_checksums),
		cmocka_unit_test(mptable_too_small),
		cmocka_unit_test(cpuid_topology),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
