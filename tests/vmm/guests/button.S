/* button.S - an ACPI OS in miniature: enables the power-button event, says 'R', polls PM1_STS until the button is pressed, then enters S5. */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	mov $PM1_EN, %dx
	mov $PM1_PWRBTN, %ax
	out %ax, %dx
	mov $COM1, %dx
	mov $'R', %al
	out %al, %dx
	mov $PM1_STS, %dx
1:	in %dx, %ax
	test $PM1_PWRBTN, %ax
	jz 1b
	out %ax, %dx		/* write 1 to clear, as the OS does */
	PUTS16(msg)
	mov $PM1_CNT, %dx
	mov $PM1_SLEEP_S5, %ax
	out %ax, %dx
	EXIT(3)
PUTS16_ROUTINE
msg:	.asciz "power button\r\n"
RESET_VECTOR
