/* halt.S - halts with interrupts disabled, as Linux ends "poweroff -f" without ACPI: vrun exits 0. */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	PUTS16(msg)
1:	hlt
	jmp 1b
PUTS16_ROUTINE
msg:	.asciz "halting\r\n"
RESET_VECTOR
