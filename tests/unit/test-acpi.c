/* test-acpi.c - the ACPI tables (checksums, lengths, pointers), the AML of the DSDT read back by a small parser, and the PM registers. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/devices/acpi-pm.h"
#include "vmm/irq.h"
#include "vmm/machine.h"
#include "vmm/x86/acpi.h"
#include "vmm/x86/aml.h"

/* Fakes of the machine: the SCI line, the stop and reset requests. */
static int sci_level = -1, sci_changes, stop_status = -1, reset_cause = -1;

int vk_irq_set_level(struct vk_machine *m, unsigned gsi, bool level)
{
	assert_int_equal(gsi, VK_ACPI_SCI_IRQ);
	sci_level = level;
	sci_changes++;
	return 0;
}

void vk_machine_stop(struct vk_machine *m, int status, const char *fmt, ...)
{
	stop_status = status;
}

void vk_machine_request_reset(struct vk_machine *m, enum vk_reset_cause cause)
{
	reset_cause = (int)cause;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* ---- AML emitter ---- */

static void test_pkglength(void **state)
{
	uint8_t b[4];

	assert_int_equal(vk_aml_pkglength(0x3f, b), 1);
	assert_int_equal(b[0], 0x3f);
	assert_int_equal(vk_aml_pkglength(0x40, b), 2);
	assert_int_equal(b[0], 0x40);
	assert_int_equal(b[1], 0x04);
	assert_int_equal(vk_aml_pkglength(0xfff, b), 2);
	assert_int_equal(b[0], 0x4f);
	assert_int_equal(b[1], 0xff);
	assert_int_equal(vk_aml_pkglength(0x1000, b), 3);
	assert_int_equal(b[0], 0x80);
	assert_int_equal(b[1], 0x00);
	assert_int_equal(b[2], 0x01);
	assert_int_equal(vk_aml_pkglength(0x10000000, b), 0);
}

static void test_eisaid(void **state)
{
	assert_int_equal(vk_aml_eisaid_value("PNP0A03"), 0x030ad041);
	assert_int_equal(vk_aml_eisaid_value("PNP0C0C"), 0x0c0cd041);
	assert_int_equal(vk_aml_eisaid_value("pnp0a03"), 0);
	assert_int_equal(vk_aml_eisaid_value("PNP0A0"), 0);
	assert_int_equal(vk_aml_eisaid_value("PNP0A0G"), 0);
}

static void test_known_bytes(void **state)
{
	/* Name (\_S5, Package (0x04) { 0x05, 0x05, Zero, Zero }) as iasl writes it. */
	static const uint8_t s5[] = { 0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x08, 0x04,
				      0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	/* Scope (\_SB.PCI0) {} */
	static const uint8_t scope[] = { 0x10, 0x0b, 0x5c, 0x2e, 0x5f, 0x53, 0x42, 0x5f,
					 0x50, 0x43, 0x49, 0x30 };
	uint8_t buf[64];
	struct vk_aml a;

	vk_aml_init(&a, buf, sizeof(buf));
	vk_aml_name(&a, "\\_S5");
	vk_aml_package_open(&a, 4);
	vk_aml_integer(&a, 5);
	vk_aml_integer(&a, 5);
	vk_aml_integer(&a, 0);
	vk_aml_integer(&a, 0);
	vk_aml_close(&a);
	assert_int_equal(vk_aml_finish(&a), sizeof(s5));
	assert_memory_equal(buf, s5, sizeof(s5));

	vk_aml_init(&a, buf, sizeof(buf));
	vk_aml_scope_open(&a, "\\_SB.PCI0");
	vk_aml_close(&a);
	assert_int_equal(vk_aml_finish(&a), sizeof(scope));
	assert_memory_equal(buf, scope, sizeof(scope));

	/* Integers take the shortest encoding. */
	vk_aml_init(&a, buf, sizeof(buf));
	vk_aml_integer(&a, 1);
	vk_aml_integer(&a, 0x1234);
	vk_aml_integer(&a, 0x12345678);
	vk_aml_integer(&a, 0x100000000ull);
	assert_int_equal(vk_aml_finish(&a), 1 + 3 + 5 + 9);
	assert_int_equal(buf[0], AML_ONE_OP);
	assert_int_equal(buf[1], AML_WORD_PREFIX);
	assert_int_equal(buf[4], AML_DWORD_PREFIX);
	assert_int_equal(buf[9], AML_QWORD_PREFIX);
}

static void test_long_package(void **state)
{
	uint8_t buf[512];
	struct vk_aml a;

	/* A body over 63 bytes needs a two-byte PkgLength: the body moves up. */
	vk_aml_init(&a, buf, sizeof(buf));
	vk_aml_package_open(&a, 40);
	for (int i = 0; i < 40; i++)
		vk_aml_integer(&a, 0x80);
	vk_aml_close(&a);
	assert_int_equal(vk_aml_finish(&a), 1 + 2 + 1 + 80);
	assert_int_equal(buf[0], AML_PACKAGE_OP);
	assert_int_equal(buf[1], 0x40 | ((2 + 1 + 80) & 0xf));
	assert_int_equal(buf[2], (2 + 1 + 80) >> 4);
	assert_int_equal(buf[3], 40);
	assert_int_equal(buf[4], AML_BYTE_PREFIX);
	assert_int_equal(buf[5], 0x80);
}

static void test_emitter_errors(void **state)
{
	uint8_t buf[8];
	struct vk_aml a;

	vk_aml_init(&a, buf, sizeof(buf));
	vk_aml_string(&a, "longer than eight");
	assert_int_equal(vk_aml_finish(&a), -E2BIG);

	vk_aml_init(&a, buf, sizeof(buf));
	vk_aml_name_string(&a, "toolong");
	assert_int_equal(vk_aml_finish(&a), -EINVAL);
	vk_aml_init(&a, buf, sizeof(buf));
	vk_aml_name_string(&a, "_SB.");
	assert_int_equal(vk_aml_finish(&a), -EINVAL);
	vk_aml_init(&a, buf, sizeof(buf));
	vk_aml_name_string(&a, "1ABC");
	assert_int_equal(vk_aml_finish(&a), -EINVAL);

	vk_aml_init(&a, buf, sizeof(buf));
	vk_aml_package_open(&a, 0);
	assert_int_equal(vk_aml_finish(&a), -EINVAL);	/* never closed */
	vk_aml_init(&a, buf, sizeof(buf));
	vk_aml_close(&a);
	assert_int_equal(vk_aml_finish(&a), -EINVAL);	/* closed too often */
}

/* ---- A reader for the AML subset the DSDT uses ---- */

#define MAX_OBJECTS 64
struct aml_object {
	char path[64];		/* "\_SB_.PCI0._HID" */
	uint8_t kind;		/* AML_*_OP / prefix of the value */
	uint64_t value;		/* integers */
	const uint8_t *data;	/* packages and buffers: the body */
	size_t len;
	unsigned n_elements;
};
struct aml_reader {
	const uint8_t *p, *end;
	struct aml_object objs[MAX_OBJECTS];
	unsigned n;
};

static size_t read_pkglength(struct aml_reader *r)
{
	unsigned follow = r->p[0] >> 6;
	size_t len = follow ? r->p[0] & 0xf : r->p[0] & 0x3f;

	assert_true(r->p + 1 + follow <= r->end);
	for (unsigned i = 0; i < follow; i++)
		len |= (size_t)r->p[1 + i] << (4 + 8 * i);
	return len;
}

static void read_name(struct aml_reader *r, const char *scope, char *out, size_t size)
{
	unsigned segs = 1;
	char tmp[64] = "";

	if (*r->p == AML_ROOT_CHAR) {
		scope = "";
		r->p++;
	}
	if (*r->p == AML_DUAL_NAME_PREFIX) {
		segs = 2;
		r->p++;
	} else if (*r->p == AML_MULTI_NAME_PREFIX) {
		segs = r->p[1];
		r->p += 2;
	}
	for (unsigned i = 0; i < segs; i++) {
		assert_true(r->p + 4 <= r->end);
		for (int k = 0; k < 4; k++)
			assert_true((r->p[k] >= 'A' && r->p[k] <= 'Z') || r->p[k] == '_' ||
				    (k && r->p[k] >= '0' && r->p[k] <= '9'));
		snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), "%s%.4s", i ? "." : "", r->p);
		r->p += 4;
	}
	snprintf(out, size, "%s%s%s", scope, *scope ? "." : "\\", tmp);
}

static void read_data(struct aml_reader *r, struct aml_object *o);

static uint64_t read_integer(struct aml_reader *r)
{
	struct aml_object o;

	read_data(r, &o);
	assert_true(o.kind != AML_PACKAGE_OP && o.kind != AML_BUFFER_OP && o.kind != AML_STRING_PREFIX);
	return o.value;
}

static void read_data(struct aml_reader *r, struct aml_object *o)
{
	static const unsigned width[] = { [AML_BYTE_PREFIX] = 1, [AML_WORD_PREFIX] = 2,
					  [AML_DWORD_PREFIX] = 4, [AML_QWORD_PREFIX] = 8 };
	const uint8_t *start, *end;
	uint8_t op;

	assert_true(r->p < r->end);
	op = *r->p++;
	o->kind = op;
	o->value = 0;
	switch (op) {
	case AML_ZERO_OP:
	case AML_ONE_OP:
		o->value = op;
		return;
	case AML_BYTE_PREFIX: case AML_WORD_PREFIX: case AML_DWORD_PREFIX: case AML_QWORD_PREFIX:
		assert_true(r->p + width[op] <= r->end);
		for (unsigned i = 0; i < width[op]; i++)
			o->value |= (uint64_t)r->p[i] << (8 * i);
		r->p += width[op];
		return;
	case AML_STRING_PREFIX:
		o->data = r->p;
		while (r->p < r->end && *r->p)
			r->p++;
		assert_true(r->p < r->end);
		o->len = (size_t)(r->p++ - o->data);
		return;
	case AML_PACKAGE_OP:
	case AML_BUFFER_OP:
		start = r->p;
		end = start + read_pkglength(r);
		assert_true(end <= r->end);
		r->p += (*start >> 6) + 1;
		if (op == AML_PACKAGE_OP) {
			const uint8_t *saved_end = r->end;

			o->n_elements = *r->p++;
			o->data = r->p;
			r->end = end;
			for (unsigned i = 0; i < o->n_elements; i++) {
				struct aml_object e;

				read_data(r, &e);
			}
			assert_ptr_equal(r->p, end);	/* the length matches the elements */
			r->end = saved_end;
		} else {
			o->len = read_integer(r);
			o->data = r->p;
			assert_ptr_equal(r->p + o->len, end);
			r->p = end;
		}
		o->len = o->len ? o->len : (size_t)(end - o->data);
		return;
	default:
		fail_msg("unexpected AML opcode 0x%02x", op);
	}
}

static void read_terms(struct aml_reader *r, const char *scope)
{
	while (r->p < r->end) {
		uint8_t op = *r->p++;
		char name[64];

		if (op == AML_NAME_OP) {
			struct aml_object *o = &r->objs[r->n++];

			assert_true(r->n <= MAX_OBJECTS);
			read_name(r, scope, o->path, sizeof(o->path));
			read_data(r, o);
		} else if (op == AML_SCOPE_OP || (op == AML_EXT_OP_PREFIX && *r->p == AML_EXT_DEVICE_OP)) {
			const uint8_t *start, *end, *saved_end = r->end;

			if (op == AML_EXT_OP_PREFIX)
				r->p++;
			start = r->p;
			end = start + read_pkglength(r);
			assert_true(end <= r->end);
			r->p += (*start >> 6) + 1;
			read_name(r, scope, name, sizeof(name));
			r->end = end;
			read_terms(r, name);
			assert_ptr_equal(r->p, end);
			r->end = saved_end;
		} else {
			fail_msg("unexpected AML term 0x%02x", op);
		}
	}
}

static const struct aml_object *find(const struct aml_reader *r, const char *path)
{
	for (unsigned i = 0; i < r->n; i++)
		if (strcmp(r->objs[i].path, path) == 0)
			return &r->objs[i];
	fail_msg("%s not in the DSDT", path);
	return NULL;
}

/* ---- The tables ---- */

static const struct vk_mp_intx intx[] = { { 1, 1, 16 }, { 2, 1, 17 }, { 3, 1, 18 } };

static const uint8_t *table_at(const uint8_t *buf, size_t len, uint64_t gpa, const char *sig)
{
	const uint8_t *t;

	assert_true(gpa >= VK_ACPI_BASE && gpa - VK_ACPI_BASE + 36 <= len);
	t = buf + (gpa - VK_ACPI_BASE);
	assert_memory_equal(t, sig, 4);
	assert_true(gpa - VK_ACPI_BASE + le32(t + 4) <= len);
	assert_int_equal(sum(t, le32(t + 4)), 0);
	return t;
}

static void test_tables(void **state)
{
	static uint8_t buf[VK_ACPI_MAX];
	struct vk_acpi_config cfg = { .ncpus = 4, .pci = 1, .intx = intx, .n_intx = 3 };
	const uint8_t *xsdt, *rsdt, *fadt = NULL, *madt = NULL, *dsdt, *facs;
	int len = vk_acpi_build(buf, sizeof(buf), VK_ACPI_BASE, &cfg);
	unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	assert_true(len > 0);
	/* RSDP: both checksums, revision 2, pointers inside what was built. */
	assert_memory_equal(buf, "RSD PTR ", 8);
	assert_int_equal(sum(buf, 20), 0);
	assert_int_equal(sum(buf, 36), 0);
	assert_int_equal(buf[15], 2);
	assert_int_equal(le32(buf + 20), 36);
	xsdt = table_at(buf, (size_t)len, le64(buf + 24), "XSDT");
	rsdt = table_at(buf, (size_t)len, le32(buf + 16), "RSDT");
	assert_int_equal(le32(xsdt + 4), 36 + 2 * 8);
	assert_int_equal(le32(rsdt + 4), 36 + 2 * 4);
	for (int i = 0; i < 2; i++) {
		uint64_t gpa = le64(xsdt + 36 + 8 * i);
		const uint8_t *t = buf + (gpa - VK_ACPI_BASE);

		assert_int_equal(le32(rsdt + 36 + 4 * i), gpa);	/* RSDT and XSDT agree */
		if (memcmp(t, "FACP", 4) == 0)
			fadt = table_at(buf, (size_t)len, gpa, "FACP");
		else
			madt = table_at(buf, (size_t)len, gpa, "APIC");
	}
	assert_non_null(fadt);
	assert_non_null(madt);

	/* FADT revision 6: the blocks, the SCI, the reset register, flags. */
	assert_int_equal(le32(fadt + 4), 276);
	assert_int_equal(fadt[8], 6);
	assert_int_equal(fadt[46] | fadt[47] << 8, VK_ACPI_SCI_IRQ);
	assert_int_equal(le32(fadt + 48), 0);			/* SMI_CMD: no SMM */
	assert_int_equal(le32(fadt + 56), VK_PM1_EVT_BLK);
	assert_int_equal(le32(fadt + 64), VK_PM1_CNT_BLK);
	assert_int_equal(le32(fadt + 76), VK_PM_TMR_BLK);
	assert_int_equal(fadt[88], 4);
	assert_int_equal(fadt[89], 2);
	assert_int_equal(fadt[91], 4);
	assert_int_equal(le32(fadt + 112) & (1u << 4), 0);	/* fixed power button */
	assert_int_not_equal(le32(fadt + 112) & (1u << 10), 0);	/* RESET_REG_SUP */
	assert_int_equal(le32(fadt + 112) & (1u << 20), 0);	/* not hardware-reduced */
	assert_int_equal(fadt[116], 1);				/* reset: system I/O */
	assert_int_equal(le64(fadt + 120), VK_ACPI_RESET_PORT);
	assert_int_equal(fadt[128], VK_ACPI_RESET_VALUE);
	assert_int_equal(le64(fadt + 148 + 4), VK_PM1_EVT_BLK);	/* X_PM1a_EVT_BLK */
	assert_int_equal(le64(fadt + 140), le32(fadt + 40));	/* X_DSDT = DSDT */
	assert_int_equal(le64(fadt + 132), 0);			/* X_FIRMWARE_CTRL: FIRMWARE_CTRL has it */
	facs = buf + (le32(fadt + 36) - VK_ACPI_BASE);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(le32(facs + 4), 64);
	assert_int_equal(le32(fadt + 36) % 64, 0);
	dsdt = table_at(buf, (size_t)len, le32(fadt + 40), "DSDT");

	/* MADT: entries fill the table exactly; one LAPIC per vCPU. */
	assert_int_equal(le32(madt + 36), VK_LAPIC_BASE);
	for (size_t off = 44; off < le32(madt + 4);) {
		const uint8_t *e = madt + off;

		assert_true(e[1] >= 2 && off + e[1] <= le32(madt + 4));
		switch (e[0]) {
		case 0:
			assert_int_equal(e[3], lapics);	/* APIC id */
			assert_int_equal(le32(e + 4), 1);	/* enabled */
			lapics++;
			break;
		case 1:
			assert_int_equal(e[2], cfg.ncpus);	/* IOAPIC id after the LAPICs */
			assert_int_equal(le32(e + 4), VK_IOAPIC_BASE);
			assert_int_equal(le32(e + 8), 0);
			ioapics++;
			break;
		case 2:
			assert_int_equal(e[3], VK_ACPI_SCI_IRQ);
			assert_int_equal(le32(e + 4), VK_ACPI_SCI_IRQ);
			assert_int_equal(e[8] | e[9] << 8, 0x000d);	/* level, active high */
			isos++;
			break;
		case 4:
			assert_int_equal(e[5], 1);		/* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry %u", e[0]);
		}
		off += e[1];
	}
	assert_int_equal(lapics, 4);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 1);
	assert_int_equal(nmis, 1);

	/* The DSDT's AML parses to the end and says what we meant. */
	struct aml_reader r = { .p = dsdt + 36, .end = dsdt + le32(dsdt + 4) };
	const struct aml_object *o;

	read_terms(&r, "");
	o = find(&r, "\\_S5_");
	assert_int_equal(o->kind, AML_PACKAGE_OP);
	assert_int_equal(o->n_elements, 4);
	assert_int_equal(o->data[0], AML_BYTE_PREFIX);
	assert_int_equal(o->data[1], VK_ACPI_S5_SLP_TYP);
	o = find(&r, "\\_SB_.PCI0._HID");
	assert_int_equal(o->kind, AML_DWORD_PREFIX);
	assert_int_equal(o->value, vk_aml_eisaid_value("PNP0A03"));
	o = find(&r, "\\_SB_.PCI0._PRT");
	assert_int_equal(o->n_elements, 3);
	/* First entry: Package { 0x0001FFFF, Zero, Zero, 0x10 } */
	static const uint8_t prt0[] = { AML_PACKAGE_OP, 0x0b, 4, AML_DWORD_PREFIX, 0xff, 0xff, 0x01, 0x00,
					AML_ZERO_OP, AML_ZERO_OP, AML_BYTE_PREFIX, 16 };
	assert_memory_equal(o->data, prt0, sizeof(prt0));
	o = find(&r, "\\_SB_.PCI0._CRS");
	assert_int_equal(o->kind, AML_BUFFER_OP);
	/* Walk the resource descriptors: each length in bounds, the end tag last. */
	const uint8_t *d = o->data, *dend = o->data + o->len;
	unsigned windows = 0;
	while (d < dend) {
		size_t dlen = d[0] & 0x80 ? 3 + (d[1] | d[2] << 8) : 1 + (d[0] & 7);

		assert_true(d + dlen <= dend);
		if (d[0] == 0x79) {
			assert_ptr_equal(d + dlen, dend);
			break;
		}
		if (d[0] == 0x87) {
			assert_int_equal(le32(d + 10), 0xC0000000u);
			assert_int_equal(le32(d + 14), 0xFEBFFFFFu);
		}
		windows++;
		d += dlen;
	}
	assert_int_equal(windows, 5);	/* bus, config ports, 2 I/O ranges, MMIO */
}

static void test_tables_without_pci(void **state)
{
	static uint8_t buf[VK_ACPI_MAX];
	struct vk_acpi_config cfg = { .ncpus = VK_MAX_CPUS };
	uint8_t small[200];
	int len = vk_acpi_build_dsdt(buf, sizeof(buf), &cfg);
	struct aml_reader r = { .p = buf + 36, .end = buf + len };

	assert_true(len > 36);
	read_terms(&r, "");
	assert_int_equal(r.n, 1);	/* \_S5 alone */
	assert_true(vk_acpi_build(buf, sizeof(buf), VK_ACPI_BASE, &cfg) > 0);
	assert_int_equal(vk_acpi_build(small, sizeof(small), VK_ACPI_BASE, &cfg), -E2BIG);
	cfg.ncpus = 0;
	assert_int_equal(vk_acpi_build(buf, sizeof(buf), VK_ACPI_BASE, &cfg), -EINVAL);
	cfg.ncpus = 1;
	assert_int_equal(vk_acpi_build(buf, sizeof(buf), VK_ACPI_BASE + 4, &cfg), -EINVAL);
}

/* ---- PM registers ---- */

static struct vk_acpi_pm pm;
static struct vk_bus pio;
static struct timespec fake_now;

static int fake_clock(clockid_t id, struct timespec *ts)
{
	*ts = fake_now;
	return 0;
}

static int pm_setup(void **state)
{
	sci_level = -1;
	sci_changes = 0;
	stop_status = reset_cause = -1;
	memset(&pio, 0, sizeof(pio));
	fake_now = (struct timespec){ 100, 500000000 };
	assert_int_equal(vk_acpi_pm_init(&pm, NULL, &pio), 0);
	pm.clock = fake_clock;
	pm.t0 = fake_now;
	return 0;
}

static int pm_teardown(void **state)
{
	vk_acpi_pm_free(&pm);
	vk_bus_free(&pio);
	return 0;
}

static uint32_t in(uint16_t port, unsigned len)
{
	uint8_t d[4] = { 0 };

	assert_true(vk_bus_dispatch(&pio, port, d, len, false));
	return le32(d);
}

static void out(uint16_t port, uint32_t v, unsigned len)
{
	uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	assert_true(vk_bus_dispatch(&pio, port, d, len, true));
}

static void test_pm_power_button(void **state)
{
	assert_int_equal(in(VK_PM1_CNT_BLK, 2) & ACPI_PM1_CNT_SCI_EN, ACPI_PM1_CNT_SCI_EN);
	/* Pressed before the OS enables it: latched, no interrupt. */
	assert_false(vk_acpi_pm_power_button(&pm));
	assert_int_equal(in(VK_PM1_EVT_BLK, 2) & ACPI_PM1_PWRBTN, ACPI_PM1_PWRBTN);
	assert_int_equal(sci_changes, 0);
	out(VK_PM1_EVT_BLK + 2, ACPI_PM1_PWRBTN, 2);		/* PM1_EN */
	assert_int_equal(sci_level, 1);
	assert_int_equal(in(VK_PM1_EVT_BLK + 2, 2), ACPI_PM1_PWRBTN);
	out(VK_PM1_EVT_BLK, ACPI_PM1_PWRBTN, 2);		/* write 1 to clear */
	assert_int_equal(sci_level, 0);
	assert_int_equal(in(VK_PM1_EVT_BLK, 2) & ACPI_PM1_PWRBTN, 0);
	assert_true(vk_acpi_pm_power_button(&pm));
	assert_int_equal(sci_level, 1);
	/* Writing 0 clears nothing; a 32-bit access covers status and enable. */
	out(VK_PM1_EVT_BLK, 0, 2);
	assert_int_equal(sci_level, 1);
	assert_int_equal(in(VK_PM1_EVT_BLK, 4), ACPI_PM1_PWRBTN | ACPI_PM1_PWRBTN << 16);
	out(VK_PM1_EVT_BLK, ACPI_PM1_PWRBTN, 4);		/* clears status, disables */
	assert_int_equal(sci_level, 0);
	assert_int_equal(in(VK_PM1_EVT_BLK, 4), 0);
	/* Enables that ACPICA verifies stick (RTC for rtc-cmos, GBL for the
	 * global lock); the sleep button does not exist. */
	out(VK_PM1_EVT_BLK + 2, ACPI_PM1_RTC | ACPI_PM1_GBL | ACPI_PM1_SLPBTN, 2);
	assert_int_equal(in(VK_PM1_EVT_BLK + 2, 2), ACPI_PM1_RTC | ACPI_PM1_GBL);
	assert_int_equal(sci_level, 0);
	assert_int_equal(stop_status, -1);
}

static void test_pm_sleep(void **state)
{
	uint16_t s1 = 1u << ACPI_PM1_CNT_SLP_TYP_SHIFT | ACPI_PM1_CNT_SLP_EN;
	uint16_t s5 = VK_ACPI_S5_SLP_TYP << ACPI_PM1_CNT_SLP_TYP_SHIFT;

	out(VK_PM1_CNT_BLK, s1, 2);			/* a state we do not have */
	assert_int_equal(stop_status, -1);
	out(VK_PM1_CNT_BLK, s5, 2);			/* SLP_TYP first, as ACPICA does */
	assert_int_equal(stop_status, -1);
	assert_int_equal(in(VK_PM1_CNT_BLK, 2), s5 | ACPI_PM1_CNT_SCI_EN);
	out(VK_PM1_CNT_BLK + 1, (s5 | ACPI_PM1_CNT_SLP_EN) >> 8, 1);	/* then SLP_EN */
	assert_int_equal(stop_status, VK_EXIT_POWEROFF);
}

static void test_pm_reset(void **state)
{
	out(VK_ACPI_RESET_PORT, 0x00, 1);
	out(VK_ACPI_RESET_PORT, 0xfe, 1);
	assert_int_equal(reset_cause, -1);
	out(VK_ACPI_RESET_PORT, VK_ACPI_RESET_VALUE, 1);
	assert_int_equal(reset_cause, VK_RESET_ACPI);
	assert_int_equal(stop_status, -1);
}

/* A machine reset: status, enables and the sleep type go, the SCI drops,
 * the PM timer runs on (it is the chipset's free-running counter). */
static void test_pm_machine_reset(void **state)
{
	uint16_t s5 = VK_ACPI_S5_SLP_TYP << ACPI_PM1_CNT_SLP_TYP_SHIFT;

	fake_now.tv_sec += 2;
	out(VK_PM1_EVT_BLK + 2, ACPI_PM1_PWRBTN | ACPI_PM1_RTC, 2);
	vk_acpi_pm_power_button(&pm);
	out(VK_PM1_CNT_BLK, s5, 2);
	assert_int_equal(sci_level, 1);
	vk_acpi_pm_reset(&pm);
	assert_int_equal(sci_level, 0);
	assert_int_equal(in(VK_PM1_EVT_BLK, 4), 0);
	assert_int_equal(in(VK_PM1_CNT_BLK, 2), ACPI_PM1_CNT_SCI_EN);
	assert_int_equal(in(VK_PM_TMR_BLK, 4), 2 * ACPI_PM_TIMER_HZ);
	/* A press after the reset is latched for the next OS, no interrupt. */
	assert_false(vk_acpi_pm_power_button(&pm));
	assert_int_equal(sci_level, 0);
}

static void test_pm_timer(void **state)
{
	uint32_t t0 = in(VK_PM_TMR_BLK, 4);

	assert_int_equal(t0, 0);
	fake_now.tv_sec += 1;
	assert_int_equal(in(VK_PM_TMR_BLK, 4), ACPI_PM_TIMER_HZ);
	fake_now.tv_nsec += 100000000;	/* +0.1 s, across a second boundary */
	assert_int_equal(in(VK_PM_TMR_BLK, 4), ACPI_PM_TIMER_HZ + ACPI_PM_TIMER_HZ / 10);
	/* Byte reads see the same counter. */
	assert_int_equal(in(VK_PM_TMR_BLK + 2, 1), ((ACPI_PM_TIMER_HZ + ACPI_PM_TIMER_HZ / 10) >> 16) & 0xff);
	/* Beyond the block: reserved, reads 0, writes ignored. */
	assert_int_equal(in(VK_PM_BASE + 0xe, 2), 0);
	out(VK_PM_BASE + 0xe, 0xffff, 2);
	assert_int_equal(stop_status, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglength),
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_known_bytes),
		cmocka_unit_test(test_long_package),
		cmocka_unit_test(test_emitter_errors),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_tables_without_pci),
		cmocka_unit_test_setup_teardown(test_pm_power_button, pm_setup, pm_teardown),
		cmocka_unit_test_setup_teardown(test_pm_sleep, pm_setup, pm_teardown),
		cmocka_unit_test_setup_teardown(test_pm_reset, pm_setup, pm_teardown),
		cmocka_unit_test_setup_teardown(test_pm_timer, pm_setup, pm_teardown),
		cmocka_unit_test_setup_teardown(test_pm_machine_reset, pm_setup, pm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
