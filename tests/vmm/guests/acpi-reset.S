/* acpi-reset.S - resets through the FADT's reset register (port 0x60C, value 1); vrun exits 2. */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	PUTS16(msg)
	mov $ACPI_RESET_PORT, %dx
	mov $ACPI_RESET_VAL, %al
	out %al, %dx
	EXIT(3)		/* not reached when the reset register works */
PUTS16_ROUTINE
msg:	.asciz "ACPI reset\r\n"
RESET_VECTOR
