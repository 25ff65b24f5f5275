/* triple.S - a real-mode interrupt with an empty IDT: #GP, #DF, then shutdown (triple fault, exit 1). */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	PUTS16(msg)
	lidt %cs:empty_idt
	int $3
	EXIT(0)			/* never reached */
PUTS16_ROUTINE
empty_idt:
	.word 0			/* limit: no vector is valid */
	.long 0
msg:	.asciz "faulting\r\n"
RESET_VECTOR
