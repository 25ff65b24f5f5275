/* mbr.S - a boot sector for SeaBIOS to load at 0x7c00: prints its marker through the BIOS (int 10h, SeaBIOS's serial console) and ends as -DEND says. */
#include "guest.h"

/* -DMARK="..." names the sector; -DEND=0: power off (test device, status
 * 0), -DEND=1: on the first boot reset through the PIIX3's port 0xCF9
 * (in place the firmware boots the sector again; under --no-reboot vrun
 * exits 2), on the next power off.  Boots are counted in CMOS RAM, which
 * a reset keeps. */
#define PORT_PCI_REBOOT	0xcf9
#define BIOS_TELETYPE	0x0e

	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7c00, %sp
	mov $msg, %si
1:	lodsb
	test %al, %al
	jz 2f
	mov $BIOS_TELETYPE, %ah
	xor %bx, %bx
	int $0x10
	jmp 1b
2:	/* SeaBIOS's serial console sends the screen lazily, from its timer
	 * interrupt: give it a few ticks (18.2 a second) before the end. */
	sti
	mov $4, %cx
3:	hlt
	loop 3b
	cli
#if END == 1
	COUNT_BOOT
	cmp $1, %bl
	jne 4f
	mov $PORT_PCI_REBOOT, %dx
	mov $0x02, %al
	out %al, %dx
	mov $0x06, %al
	out %al, %dx
4:
#endif
	EXIT(0)
	hlt
msg:	.ascii MARK
	.asciz "\r\n"
	.org 510
	.byte 0x55, 0xaa
