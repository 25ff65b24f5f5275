/* exits.S - the benchmark guest: 'S' on COM1 first, then COUNT port writes to the test device, then power off. */
#include "guest.h"

#ifndef COUNT
#define COUNT 1000
#endif

	.code16
	.text
	.globl _start
_start:
	mov $COM1, %dx
	mov $'S', %al
	out %al, %dx
	mov $COUNT, %ecx
	mov $TESTDEV_SCRATCH, %dx
1:	out %al, %dx
	dec %ecx
	jnz 1b
	EXIT(0)
	hlt
RESET_VECTOR
