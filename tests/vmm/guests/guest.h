/* guest.h - shared definitions for the tiny test guests run with vrun --bios (and qemu -bios). */
#ifndef VK_TEST_GUEST_H
#define VK_TEST_GUEST_H

/*
 * A guest image is 64 KiB, mapped at 0xFFFF0000 (top of 4 GiB), reset vector
 * at its offset 0xFFF0.  The CPU starts in real mode with CS base 0xFFFF0000,
 * so offsets in the image are the IP values; LIN() is a label's linear
 * address for 32-bit code.
 */
#define IMAGE_BASE	0xffff0000
#define LIN(label)	(IMAGE_BASE + (label))

#define COM1		0x3f8
#define TESTDEV_EXIT	0x501	/* write: power off with this status */
#define TESTDEV_SCRATCH	0x502	/* 4 bytes, reads back */
#define TESTDEV_MMIO	0xfef00000
#define UNCLAIMED_PORT	0x520	/* 0x510-0x51b is fw_cfg */
#define UNCLAIMED_MMIO	0xfef01000
#define I8042_CMD	0x64
#define I8042_RESET	0xfe
/* ACPI fixed hardware (vmm/x86/acpi.h) */
#define PM1_STS		0x600
#define PM1_EN		0x602
#define PM1_CNT		0x604
#define PM1_PWRBTN	0x100
#define PM1_SLEEP_S5	0x3400	/* SLP_TYP 5, SLP_EN */
#define ACPI_RESET_PORT	0x60c
#define ACPI_RESET_VAL	0x01

/* CMOS RAM keeps its bytes across a reset, as a battery does: a guest that
 * reboots counts its boots in a byte no firmware setup of vrun's writes. */
#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define BOOTS_CMOS	0x7e
/* Real mode: add one to the boot count in CMOS; the new count in %bl. */
#define COUNT_BOOT			\
	mov $BOOTS_CMOS, %al;		\
	out %al, $CMOS_INDEX;		\
	in $CMOS_DATA, %al;		\
	inc %al;			\
	mov %al, %bl;			\
	mov $BOOTS_CMOS, %al;		\
	out %al, $CMOS_INDEX;		\
	mov %bl, %al;			\
	out %al, $CMOS_DATA

/* Real mode: print the NUL-terminated string at %cs:label. */
#define PUTS16(label)	mov $label, %si; call puts16
/* Power off through the vkit test device with status. */
#define EXIT(status)	mov $TESTDEV_EXIT, %dx; mov $(status), %al; out %al, %dx

/* The end of every image: the reset vector jumps to _start.  The CPU is
 * in real mode there, whatever the code before it was assembled for. */
#define RESET_VECTOR		\
	.code16;		\
	.org 0xfff0;		\
	jmp _start;		\
	.org 0x10000

/* puts16: print %cs:%si up to NUL on COM1. */
#define PUTS16_ROUTINE		\
puts16:				\
	mov $COM1, %dx;		\
1:	movb %cs:(%si), %al;	\
	test %al, %al;		\
	jz 2f;			\
	out %al, %dx;		\
	inc %si;		\
	jmp 1b;			\
2:	ret

#endif
