/* hello.S - prints a line on COM1 and powers off through the vkit test device (exit 0). */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	PUTS16(msg)
	EXIT(0)
	hlt
PUTS16_ROUTINE
msg:	.asciz "Hello from a tiny guest\r\n"
RESET_VECTOR
