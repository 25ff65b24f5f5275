/* count.S - COUNT port writes to the test device, 'D' on COM1, then spins with interrupts off: stats must show COUNT + 1 port-I/O exits. */
#include "guest.h"

#ifndef COUNT
#define COUNT 5000
#endif

	.code16
	.text
	.globl _start
_start:
	cli
	mov $COUNT, %ecx
	mov $TESTDEV_SCRATCH, %dx
1:	out %al, %dx
	dec %ecx
	jnz 1b
	mov $COM1, %dx
	mov $'D', %al
	out %al, %dx
	/* No I/O from here on, and never halted, so vrun keeps it running. */
2:	jmp 2b
RESET_VECTOR
