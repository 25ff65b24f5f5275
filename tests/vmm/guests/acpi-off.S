/* acpi-off.S - powers off as an ACPI OS does: SLP_TYP of \_S5 with SLP_EN into PM1a_CNT; vrun exits 0. */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	PUTS16(msg)
	mov $PM1_CNT, %dx
	mov $PM1_SLEEP_S5, %ax
	out %ax, %dx
	EXIT(3)		/* not reached when S5 works */
PUTS16_ROUTINE
msg:	.asciz "ACPI S5\r\n"
RESET_VECTOR
