/* reset.S - pulses reset through the i8042 keyboard controller: vrun exits 2 (reboot). */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	PUTS16(msg)
	mov $I8042_RESET, %al
	out %al, $I8042_CMD
	hlt
	jmp _start
PUTS16_ROUTINE
msg:	.asciz "resetting\r\n"
RESET_VECTOR
