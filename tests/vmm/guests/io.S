/* io.S - checks port and MMIO dispatch: the test device's scratch registers read back, unclaimed ranges read all ones, the firmware is ROM. */
#include "guest.h"

#define CODE32_SEL	0x08
#define DATA32_SEL	0x10
#define FAIL_STATUS	3

	.code16
	.text
	.globl _start
_start:
	cli
	/* Port: 32-bit scratch register. */
	mov $TESTDEV_SCRATCH, %dx
	mov $0xdeadbeef, %eax
	out %eax, %dx
	xor %eax, %eax
	in %dx, %eax
	cmp $0xdeadbeef, %eax
	jne fail16
	PUTS16(port_ok)
	/* Port nobody claims: all ones. */
	mov $UNCLAIMED_PORT, %dx
	in %dx, %al
	cmp $0xff, %al
	jne fail16
	PUTS16(unclaimed_port_ok)
	/* MMIO needs 32-bit addresses: flat protected mode. */
	lgdtl %cs:gdtr
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $CODE32_SEL, $LIN(pm32)
fail16:
	PUTS16(failed)
	EXIT(FAIL_STATUS)
	hlt
PUTS16_ROUTINE

	.code32
pm32:
	mov $DATA32_SEL, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7000, %esp	/* in RAM: the image is ROM, no stack there */
	movl $0x12345678, TESTDEV_MMIO
	mov TESTDEV_MMIO, %eax
	cmp $0x12345678, %eax
	jne fail32
	mov $LIN(mmio_ok), %esi
	call puts32
	mov UNCLAIMED_MMIO, %eax
	cmp $0xffffffff, %eax
	jne fail32
	mov $LIN(unclaimed_mmio_ok), %esi
	call puts32
	/* The image is ROM (as under QEMU -bios): a write to it is dropped. */
	movl $0x11223344, LIN(rom_word)
	mov LIN(rom_word), %eax
	cmp $0x55aa55aa, %eax
	jne fail32
	mov $LIN(rom_ok), %esi
	call puts32
	EXIT(0)
	hlt
fail32:
	mov $LIN(failed), %esi
	call puts32
	EXIT(FAIL_STATUS)
	hlt

puts32:
	mov $COM1, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	ret

	.p2align 3
gdt:
	.quad 0
	.quad 0x00cf9b000000ffff	/* CODE32_SEL: flat 32-bit code */
	.quad 0x00cf93000000ffff	/* DATA32_SEL: flat data */
gdtr:
	.word gdtr - gdt - 1
	.long LIN(gdt)

port_ok:		.asciz "port scratch ok\r\n"
unclaimed_port_ok:	.asciz "unclaimed port ok\r\n"
mmio_ok:		.asciz "mmio scratch ok\r\n"
unclaimed_mmio_ok:	.asciz "unclaimed mmio ok\r\n"
rom_ok:			.asciz "firmware rom ok\r\n"
failed:			.asciz "FAILED\r\n"
	.p2align 2
rom_word:		.long 0x55aa55aa
RESET_VECTOR
