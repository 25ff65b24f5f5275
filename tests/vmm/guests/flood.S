/* flood.S - floods COM1 with 16 KiB (rep outsb of zeros; under AMD-V every byte is an exit, 10 s for 64 KiB in the nested sandbox), then a marker line, and powers off (exit 0): the capped console log test. */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov $COM1, %dx
	mov $2, %bx
	cld
1:	xor %si, %si
	mov $0x2000, %cx
	rep outsb
	dec %bx
	jnz 1b
	PUTS16(msg)
	EXIT(0)
	hlt
PUTS16_ROUTINE
msg:	.asciz "END OF FLOOD\r\n"
RESET_VECTOR
