/* cdrom.c - tiny guest: finds the AHCI controller on PCI, brings up both of its CD-ROM ports and drives them (IDENTIFY, INQUIRY, READ CAPACITY, READ(10) over scattered PRDs), then hostile command tables that must be answered with errors. */
#include <stdint.h>

#include "guest.h"

/*
 * Runs under vrun --bios with two CD-ROMs (tests/vmm/tiny-guests.sh).  It
 * prints what it read (checksums as POSIX cksum computes them, so the
 * script compares them with the images) and "FAIL: ..." on anything
 * unexpected; guest_main's value is the exit status.  No globals: the
 * image is ROM, so state lives on the stack and in RAM below 16 MiB.
 */

#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc
#define AHCI_ID		0x29228086u
#define CLB(p)		(0x100000u + 0x1000u * (p))
#define FB(p)		(CLB(p) + 0x400)
#define CT(p)		(CLB(p) + 0x800)
#define BUF		0x200000u
#define OUTSIDE_RAM	0xf0000000u
#define POLLS		2000000

/* AHCI registers and bits (AHCI 1.3.1). */
#define GHC		0x04
#define PI		0x0c
#define PxCLB		0x00
#define PxFB		0x08
#define PxIS		0x10
#define PxCMD		0x18
#define PxTFD		0x20
#define PxSIG		0x24
#define PxSSTS		0x28
#define PxCI		0x38
#define IS_DHRS		(1u << 0)
#define IS_PSS		(1u << 1)
#define IS_HBDS		(1u << 28)
#define IS_HBFS		(1u << 29)
#define IS_TFES		(1u << 30)
#define CMD_ST		(1u << 0)
#define CMD_FRE		(1u << 4)
#define CMD_FR		(1u << 14)
#define CMD_CR		(1u << 15)

struct hba {
	volatile uint8_t *abar;
};

struct prd {
	uint32_t addr, len;
};

/* The compiler may call these even in a freestanding program. */
void *memset(void *d, int c, unsigned long n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void puts(const char *s)
{
	while (*s)
		outb(COM1, (uint8_t)*s++);
}

static void put_hex(uint32_t v, int digits)
{
	while (digits--)
		outb(COM1, (uint8_t)"0123456789abcdef"[v >> (4 * digits) & 0xf]);
}

static void put_dec(uint32_t v)
{
	char s[11];
	int n = 0;

	do
		s[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n--)
		outb(COM1, (uint8_t)s[n]);
}

static int fail(const char *what)
{
	puts("FAIL: ");
	puts(what);
	puts("\n");
	return 3;
}

static uint32_t pci_read(unsigned slot, unsigned reg)
{
	outl(PCI_ADDR, 0x80000000u | slot << 11 | reg);
	return inl(PCI_DATA);
}

static void pci_write(unsigned slot, unsigned reg, uint32_t v)
{
	outl(PCI_ADDR, 0x80000000u | slot << 11 | reg);
	outl(PCI_DATA, v);
}

static uint32_t rd(const struct hba *h, uint32_t off)
{
	return *(volatile uint32_t *)(h->abar + off);
}

static void wr(const struct hba *h, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(h->abar + off) = v;
}

static uint32_t prd_rd(const struct hba *h, unsigned p, uint32_t off)
{
	return rd(h, 0x100 + 0x80 * p + off);
}

static void prd_wr(const struct hba *h, unsigned p, uint32_t off, uint32_t v)
{
	wr(h, 0x100 + 0x80 * p + off, v);
}

static uint8_t *ram(uint32_t addr)
{
	return (uint8_t *)(uintptr_t)addr;
}

static void put32(uint32_t addr, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)addr = v;
}

/* POSIX cksum's CRC, fed in pieces; cksum_end() adds the length. */
static uint32_t cksum_add(uint32_t crc, const uint8_t *p, uint32_t n)
{
	while (n--) {
		crc ^= (uint32_t)*p++ << 24;
		for (int b = 0; b < 8; b++)
			crc = crc & 0x80000000u ? crc << 1 ^ 0x04c11db7u : crc << 1;
	}
	return crc;
}

static uint32_t cksum_end(uint32_t crc, uint32_t len)
{
	uint8_t b;

	for (; len; len >>= 8) {
		b = (uint8_t)len;
		crc = cksum_add(crc, &b, 1);
	}
	return ~crc;
}

/* Issue one command in slot 0 of port p and wait for it: PACKET with cdb,
 * or the ATA command alone; the table at ctba.  Returns PxIS then. */
static uint32_t run(const struct hba *h, unsigned p, uint8_t command, const uint8_t *cdb,
		    const struct prd *prds, unsigned n, uint32_t ctba)
{
	uint8_t *ct = ram(CT(p));

	memset(ct, 0, 0x80);
	ct[0] = 0x27;			/* Register H2D FIS */
	ct[1] = 0x80;			/* command */
	ct[2] = command;
	ct[3] = cdb ? 1 : 0;		/* DMA */
	ct[6] = 0x08;			/* byte count limit 2048 */
	if (cdb)
		memcpy(ct + 0x40, cdb, 12);
	for (unsigned i = 0; i < n; i++) {
		put32(CT(p) + 0x80 + 16 * i, prds[i].addr);
		put32(CT(p) + 0x84 + 16 * i, 0);
		put32(CT(p) + 0x88 + 16 * i, 0);
		put32(CT(p) + 0x8c + 16 * i, prds[i].len - 1);
	}
	put32(CLB(p), 5 | (cdb ? 0x20 : 0) | n << 16);
	put32(CLB(p) + 4, 0);
	put32(CLB(p) + 8, ctba);
	put32(CLB(p) + 12, 0);
	prd_wr(h, p, PxIS, 0xffffffff);
	prd_wr(h, p, PxCI, 1);
	/* The controller runs the command on its own thread: PxIS is read
	 * again once the slot is done, not before. */
	for (int i = 0; i < POLLS; i++)
		if ((prd_rd(h, p, PxIS) & (IS_TFES | IS_HBFS | IS_HBDS)) || !(prd_rd(h, p, PxCI) & 1))
			return prd_rd(h, p, PxIS);
	return 0;
}

/* Did the command just run end well? */
static int good(const struct hba *h, unsigned p, uint32_t is)
{
	return is && !(is & IS_TFES) && !(prd_rd(h, p, PxCI) & 1) && prd_rd(h, p, PxTFD) == 0x50;
}

/* Clear ST, wait for CR to drop, start again (AHCI 6.2.2.1). */
static int recover(const struct hba *h, unsigned p)
{
	prd_wr(h, p, PxCMD, CMD_FRE);
	for (int i = 0; i < POLLS && (prd_rd(h, p, PxCMD) & CMD_CR); i++)
		;
	if (prd_rd(h, p, PxCMD) & CMD_CR || prd_rd(h, p, PxCI))
		return fail("clearing ST leaves the list engine running");
	prd_wr(h, p, PxIS, 0xffffffff);
	prd_wr(h, p, PxCMD, CMD_FRE | CMD_ST);
	return 0;
}

/* REQUEST SENSE; prints "KK/AA/QQ" and returns them packed. */
static uint32_t request_sense(const struct hba *h, unsigned p)
{
	const uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 };
	const struct prd buf = { BUF, 18 };
	const uint8_t *s = ram(BUF);

	if (!good(h, p, run(h, p, 0xa0, cdb, &buf, 1, CT(p))))
		return 0xffffffffu;
	put_hex(s[2], 2);
	puts("/");
	put_hex(s[12], 2);
	puts("/");
	put_hex(s[13], 2);
	puts("\n");
	return (uint32_t)s[2] << 16 | (uint32_t)s[12] << 8 | s[13];
}

static int port_up(const struct hba *h, unsigned p)
{
	prd_wr(h, p, PxCLB, CLB(p));
	prd_wr(h, p, PxFB, FB(p));
	prd_wr(h, p, PxCMD, CMD_FRE);
	if (!(prd_rd(h, p, PxCMD) & CMD_FR))
		return fail("FIS receive does not run");
	if (prd_rd(h, p, PxSIG) != 0xeb140101u || (prd_rd(h, p, PxSSTS) & 0xf) != 3)
		return fail("no ATAPI device signature on the port");
	if (ram(FB(p) + 0x40)[0] != 0x34 || ram(FB(p) + 0x40)[6] != 0xeb)
		return fail("the signature FIS is not in the received-FIS area");
	prd_wr(h, p, PxCMD, CMD_FRE | CMD_ST);
	puts("port ");
	put_dec(p);
	puts(": ATAPI signature, link up\n");
	return 0;
}

/* READ CAPACITY: the last LBA, printed. */
static uint32_t last_lba(const struct hba *h, unsigned p)
{
	const uint8_t cdb[12] = { 0x25 };
	const struct prd buf = { BUF, 8 };
	const uint8_t *b = ram(BUF);
	uint32_t lba;

	if (!good(h, p, run(h, p, 0xa0, cdb, &buf, 1, CT(p))))
		return 0xffffffffu;
	lba = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	puts("port ");
	put_dec(p);
	puts(" capacity: last lba ");
	put_dec(lba);
	puts(", block ");
	put_dec((uint32_t)b[6] << 8 | b[7]);
	puts("\n");
	return lba;
}

/* READ(10) into the PRDs; prints the data's cksum. */
static int read10(const struct hba *h, unsigned p, uint32_t lba, uint16_t count, const struct prd *prds,
		  unsigned n)
{
	const uint8_t cdb[12] = { 0x28, 0, (uint8_t)(lba >> 24), (uint8_t)(lba >> 16), (uint8_t)(lba >> 8),
				  (uint8_t)lba, 0, (uint8_t)(count >> 8), (uint8_t)count };
	uint32_t crc = 0, total = 0;

	if (!good(h, p, run(h, p, 0xa0, cdb, prds, n, CT(p))))
		return fail("READ(10) did not end well");
	for (unsigned i = 0; i < n; i++) {
		crc = cksum_add(crc, ram(prds[i].addr), prds[i].len);
		total += prds[i].len;
	}
	puts("port ");
	put_dec(p);
	puts(" read10 lba ");
	put_dec(lba);
	puts(" count ");
	put_dec(count);
	puts(": cksum ");
	put_dec(cksum_end(crc, total));
	puts(" ");
	put_dec(total);
	puts(" prdbc ");
	put_dec(*(volatile uint32_t *)(uintptr_t)(CLB(p) + 4));
	puts("\n");
	return 0;
}

static int identify_and_inquiry(const struct hba *h)
{
	const uint8_t inquiry[12] = { 0x12, 0, 0, 0, 36 };
	const struct prd id[2] = { { BUF, 256 }, { BUF + 0x1000, 256 } }, inq = { BUF, 36 };
	const uint8_t *b = ram(BUF);
	char model[41];
	uint32_t is = run(h, 0, 0xa1, 0, id, 2, CT(0));

	if (!good(h, 0, is) || !(is & IS_PSS))
		return fail("IDENTIFY PACKET DEVICE");
	if ((b[0] | b[1] << 8) != 0x85c0)
		return fail("IDENTIFY PACKET DEVICE word 0 is not ATAPI CD-ROM");
	for (int i = 0; i < 40; i += 2) {
		model[i] = (char)b[54 + i + 1];
		model[i + 1] = (char)b[54 + i];
	}
	model[40] = 0;
	for (int i = 39; i >= 0 && model[i] == ' '; i--)
		model[i] = 0;
	puts("identify: model '");
	puts(model);
	puts("'\n");
	if (!good(h, 0, run(h, 0, 0xa0, inquiry, &inq, 1, CT(0))) || b[0] != 0x05)
		return fail("INQUIRY");
	model[24] = 0;
	memcpy(model, b + 8, 24);
	puts("inquiry: '");
	puts(model);
	puts("'\n");
	return 0;
}

/* Tables the controller must refuse, each followed by a recovery. */
static int hostile(const struct hba *h, uint32_t last)
{
	const uint8_t tur[12] = { 0x00 }, bad[12] = { 0xff };
	const uint8_t past[12] = { 0x28, 0, (uint8_t)((last + 1) >> 24), (uint8_t)((last + 1) >> 16),
				   (uint8_t)((last + 1) >> 8), (uint8_t)(last + 1), 0, 0, 1 };
	const uint8_t read1[12] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1 };
	const struct prd outside = { OUTSIDE_RAM, 2048 }, buf = { BUF, 2048 };
	uint32_t is;

	is = run(h, 0, 0xa0, tur, 0, 0, OUTSIDE_RAM);
	if (!(is & IS_HBFS) || !(prd_rd(h, 0, PxCI) & 1))
		return fail("a command table outside RAM is not a host bus fatal error");
	puts("hostile: command table outside RAM: HBFS, the slot stays issued\n");
	if (recover(h, 0) || !good(h, 0, run(h, 0, 0xa0, tur, 0, 0, CT(0))))
		return fail("TEST UNIT READY after recovery");
	puts("recovered: test unit ready ok\n");
	is = run(h, 0, 0xa0, read1, &outside, 1, CT(0));
	if (!(is & IS_HBDS))
		return fail("a data buffer outside RAM is not a host bus data error");
	puts("hostile: data buffer outside RAM: HBDS\n");
	if (recover(h, 0))
		return 3;
	is = run(h, 0, 0xa0, past, &buf, 1, CT(0));
	if (!(is & IS_TFES) || prd_rd(h, 0, PxTFD) >> 12 != 0x5 || recover(h, 0))
		return fail("READ(10) past the end is not CHECK CONDITION, ILLEGAL REQUEST");
	puts("sense after read past the end: ");
	if (request_sense(h, 0) != 0x052100)
		return fail("the sense is not LBA OUT OF RANGE");
	is = run(h, 0, 0xa0, bad, 0, 0, CT(0));
	if (!(is & IS_TFES) || recover(h, 0))
		return fail("an unknown opcode is not refused");
	puts("sense after an unknown opcode: ");
	if (request_sense(h, 0) != 0x052000)
		return fail("the sense is not INVALID COMMAND OPERATION CODE");
	return 0;
}

int guest_main(void)
{
	struct hba h = { 0 };
	unsigned slot;
	uint32_t last0, last1;
	const struct prd scattered[3] = { { BUF, 1001 }, { BUF + 0x10000, 3001 }, { BUF + 0x20000, 94 } };
	const struct prd one = { BUF, 2048 };

	for (slot = 0; slot < 32; slot++)
		if (pci_read(slot, 0) == AHCI_ID && pci_read(slot, 8) >> 8 == 0x010601)
			break;
	if (slot == 32)
		return fail("no AHCI controller (8086:2922, class 01.06.01) on PCI bus 0");
	pci_write(slot, 4, pci_read(slot, 4) | 0x6);	/* memory decoding, bus master */
	h.abar = (volatile uint8_t *)(uintptr_t)(pci_read(slot, 0x24) & ~0xfu);
	puts("ahci: found at slot ");
	put_dec(slot);
	puts("\n");
	wr(&h, GHC, 1);					/* HBA reset */
	for (int i = 0; i < POLLS && (rd(&h, GHC) & 1); i++)
		;
	if (rd(&h, GHC) != 0x80000000u || rd(&h, PI) != 0x3)
		return fail("after the HBA reset: GHC is not AE alone, or PI is not two ports");
	if (port_up(&h, 0) || port_up(&h, 1) || identify_and_inquiry(&h))
		return 3;
	last0 = last_lba(&h, 0);
	last1 = last_lba(&h, 1);
	if (last0 == 0xffffffffu || last1 == 0xffffffffu)
		return fail("READ CAPACITY");
	if (read10(&h, 0, 16, 2, scattered, 3) || read10(&h, 1, last1, 1, &one, 1))
		return 3;
	if (hostile(&h, last0))
		return 3;
	puts("cdrom guest: all checks passed\n");
	return 0;
}
