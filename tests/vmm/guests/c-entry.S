/* c-entry.S - entry of the tiny guests written in C: from the reset vector to flat 32-bit protected mode, guest_main(), and its return value as the exit status. */
#include "guest.h"

#define CODE32_SEL	0x08
#define DATA32_SEL	0x10
#define STACK_TOP	0x90000		/* in RAM: the image is ROM */
#define ENTRY_OFFSET	0xff00		/* where c-guest.ld puts .entry in the image */

	.section .entry, "ax"
	.code16
start16:
	cli
	lgdtl %cs:(ENTRY_OFFSET + gdtr - start16)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $CODE32_SEL, $pm32

	.code32
pm32:
	mov $DATA32_SEL, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $STACK_TOP, %esp
	call guest_main
	mov $TESTDEV_EXIT, %dx
	out %al, %dx
1:	hlt
	jmp 1b

	.balign 8
gdt:
	.quad 0
	/* Accessed bits preset: the CPU would write them, and the GDT is ROM. */
	.quad 0x00cf9b000000ffff	/* flat 4 GiB code */
	.quad 0x00cf93000000ffff	/* flat 4 GiB data */
gdtr:
	.word gdtr - gdt - 1
	.long gdt

	/* The reset vector: the last 16 bytes of the image. */
	.org 0xf0
	.code16
	jmp start16
	.org 0x100
