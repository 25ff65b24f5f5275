/* fwcfg.S - the fw_cfg protocol as firmware drives it: signature, ID, directory walk, file reads through the data port and DMA, and hostile DMA requests answered with the error bit. */
#include "guest.h"

/* vrun runs this guest with --memory 16: RAM is [0, 16 MiB). */
#define FW_CFG_SEL	0x510
#define FW_CFG_DATA	0x511
#define FW_CFG_DMA_HI	0x514
#define FW_CFG_DMA_LO	0x518
#define KEY_SIGNATURE	0x00
#define KEY_ID		0x01
#define KEY_FILE_DIR	0x19
#define CTL_ERROR	0x01
#define CTL_READ	0x02
#define CTL_SKIP	0x04
#define CTL_SELECT	0x08
#define CTL_WRITE	0x10
#define ACCESS		0x1000	/* FWCfgDmaAccess, in RAM */
#define BUF		0x2000
#define DIRENT		0x3000	/* one FWCfgFile, read from the directory */
#define RAM_END		0x1000000
#define FAIL_STATUS	3
#define SERCON_KEY	0x500	/* the keys found in the directory, in RAM */
#define E820_KEY	0x502

/* Fail with the message at label unless the flags say equal (CHECK) or
 * not equal (CHECK_NE). */
#define CHECK(label)	jne 9f; jmp 8f; 9: mov $label, %si; jmp fail; 8:
#define CHECK_NE(label)	je 9f; jmp 8f; 9: mov $label, %si; jmp fail; 8:

	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7000, %sp

	/* Signature through the data port, the ID with its DMA bit. */
	mov $KEY_SIGNATURE, %ax
	call select
	call read_be32
	cmp $0x51454d55, %eax		/* "QEMU" */
	CHECK(bad_signature)
	mov $KEY_ID, %ax
	call select
	mov $FW_CFG_DATA, %dx
	in %dx, %al
	test $2, %al
	jnz 1f
	mov $bad_id, %si
	jmp fail
1:	/* The DMA register reads "QEMU CFG", big-endian. */
	mov $FW_CFG_DMA_HI, %dx
	in %dx, %eax
	cmp $0x554d4551, %eax
	CHECK(bad_dma_signature)
	mov $FW_CFG_DMA_LO, %dx
	in %dx, %eax
	cmp $0x47464320, %eax
	CHECK(bad_dma_signature)
	PUTS16(signature_ok)

	/* Walk the directory to etc/sercon-port and etc/e820. */
	mov $sercon_name, %bx
	call find_file
	cmp $2, %ecx			/* two bytes */
	CHECK(no_sercon)
	mov %ax, SERCON_KEY
	mov $e820_name, %bx
	call find_file
	cmp $0, %ecx
	CHECK_NE(no_e820)
	mov %ax, E820_KEY
	PUTS16(directory_ok)

	/* etc/sercon-port through the data port: COM1, then zeros past its end. */
	mov SERCON_KEY, %ax
	call select
	mov $FW_CFG_DATA, %dx
	in %dx, %al
	mov %al, %bl
	in %dx, %al
	mov %al, %bh
	cmp $0x3f8, %bx
	CHECK(bad_sercon)
	in %dx, %al
	cmp $0, %al
	CHECK(past_end)
	PUTS16(data_port_ok)

	/* The same file through DMA with select: 0x3f8 again, then zeros. */
	movl $0xffffffff, BUF
	movzwl SERCON_KEY, %eax
	shl $16, %eax
	or $(CTL_SELECT | CTL_READ), %eax
	mov $4, %ecx
	mov $BUF, %ebx
	call dma
	cmp $0, %eax
	CHECK(dma_failed)
	cmpl $0x3f8, BUF
	CHECK(bad_sercon)
	/* etc/e820 with a skip: the first entry's length is all of RAM. */
	movzwl E820_KEY, %eax
	shl $16, %eax
	or $(CTL_SELECT | CTL_SKIP), %eax
	mov $8, %ecx
	xor %ebx, %ebx
	call dma
	cmp $0, %eax
	CHECK(dma_failed)
	mov $CTL_READ, %eax
	mov $8, %ecx
	mov $BUF, %ebx
	call dma
	cmpl $RAM_END, BUF
	CHECK(bad_e820)
	PUTS16(dma_ok)

	/* Unknown selector: reads as zeros. */
	mov $0x1234, %ax
	call select
	call read_be32
	cmp $0, %eax
	CHECK(unknown_not_zero)

	/* Hostile DMA: outside RAM, huge, into the firmware, a write. */
	mov $(CTL_SELECT | CTL_READ), %eax
	mov $4, %ecx
	mov $(RAM_END + 0x100000), %ebx
	call dma
	cmp $CTL_ERROR, %eax
	CHECK(err_outside)
	mov $CTL_READ, %eax
	mov $0xffffffff, %ecx
	mov $BUF, %ebx
	call dma
	cmp $CTL_ERROR, %eax
	CHECK(err_huge)
	mov $CTL_READ, %eax
	mov $16, %ecx
	mov $IMAGE_BASE, %ebx
	call dma
	cmp $CTL_ERROR, %eax
	CHECK(err_rom)
	mov $CTL_READ, %eax
	mov $(RAM_END - 8), %ebx	/* straddles the end of RAM */
	call dma
	cmp $CTL_ERROR, %eax
	CHECK(err_straddle)
	movzwl SERCON_KEY, %eax
	shl $16, %eax
	or $(CTL_SELECT | CTL_WRITE), %eax
	mov $2, %ecx
	mov $BUF, %ebx
	call dma
	cmp $CTL_ERROR, %eax
	CHECK(err_write)
	/* The request itself outside RAM (high half set, then below 4 GiB):
	 * nothing to answer, and the device still works afterwards. */
	movl $0xdeadbeef, ACCESS
	mov $FW_CFG_DMA_HI, %dx
	mov $0x01000000, %eax		/* big-endian 1: 4 GiB up */
	out %eax, %dx
	mov $FW_CFG_DMA_LO, %dx
	mov $0x00100000, %eax		/* big-endian 0x1000 */
	out %eax, %dx
	cmpl $0xdeadbeef, ACCESS
	CHECK(touched_ram)
	mov $FW_CFG_DMA_LO, %dx
	mov $0x00000002, %eax		/* big-endian 0x02000000: past RAM */
	out %eax, %dx
	movl $0xffffffff, BUF
	movzwl SERCON_KEY, %eax
	shl $16, %eax
	or $(CTL_SELECT | CTL_READ), %eax
	mov $2, %ecx
	mov $BUF, %ebx
	call dma
	cmp $0, %eax
	CHECK(dma_failed)
	cmpw $0x3f8, BUF
	CHECK(bad_sercon)
	PUTS16(hostile_ok)
	EXIT(0)
	hlt

/* Fail: print %si's message, power off with status 3. */
fail:
	call puts16
	PUTS16(failed)
	EXIT(FAIL_STATUS)
	hlt

/* select: the item %ax. */
select:
	mov $FW_CFG_SEL, %dx
	out %ax, %dx
	ret

/* read_be32: the next 4 data bytes, big-endian, in %eax. */
read_be32:
	push %cx
	mov $FW_CFG_DATA, %dx
	mov $4, %cx
1:	shl $8, %eax
	in %dx, %al
	loop 1b
	pop %cx
	ret

/* find_file: look up the NUL-terminated %cs:%bx in the directory; its
 * select key in %ax and its size in %ecx, or %ecx = 0 when absent. */
find_file:
	mov $KEY_FILE_DIR, %ax
	call select
	call read_be32
	mov %eax, %ebp			/* entries left */
1:	xor %ecx, %ecx
	test %ebp, %ebp
	jz 4f
	dec %ebp
	mov $DIRENT, %di
	mov $64, %cx
	mov $FW_CFG_DATA, %dx
	rep insb
	mov %bx, %si
	mov $(DIRENT + 8), %di
2:	movb %cs:(%si), %al
	cmpb (%di), %al
	jne 1b
	inc %si
	inc %di
	test %al, %al
	jnz 2b
	mov DIRENT, %ecx		/* size, big-endian */
	bswap %ecx
	mov DIRENT + 4, %ax		/* select, big-endian */
	xchg %al, %ah
4:	ret

/* dma: control %eax, length %ecx, buffer %ebx (below 4 GiB); the control
 * word read back (0 or CTL_ERROR) in %eax. */
dma:
	bswap %eax
	mov %eax, ACCESS
	bswap %ecx
	mov %ecx, ACCESS + 4
	bswap %ecx
	movl $0, ACCESS + 8
	bswap %ebx
	mov %ebx, ACCESS + 12
	bswap %ebx
	mov $FW_CFG_DMA_LO, %dx
	mov $ACCESS, %eax
	bswap %eax
	out %eax, %dx
	mov ACCESS, %eax
	bswap %eax
	ret

PUTS16_ROUTINE

sercon_name:		.asciz "etc/sercon-port"
e820_name:		.asciz "etc/e820"
signature_ok:		.asciz "fw_cfg signature ok\r\n"
directory_ok:		.asciz "fw_cfg directory ok\r\n"
data_port_ok:		.asciz "fw_cfg data port ok\r\n"
dma_ok:			.asciz "fw_cfg dma ok\r\n"
hostile_ok:		.asciz "fw_cfg hostile dma ok\r\n"
bad_signature:		.asciz "bad signature "
bad_id:			.asciz "no DMA bit in the ID "
bad_dma_signature:	.asciz "bad DMA signature "
no_sercon:		.asciz "no etc/sercon-port "
no_e820:		.asciz "no etc/e820 "
bad_sercon:		.asciz "etc/sercon-port is not 0x3f8 "
past_end:		.asciz "a read past the end is not 0 "
dma_failed:		.asciz "a good DMA failed "
bad_e820:		.asciz "e820's first entry is not 16 MiB "
unknown_not_zero:	.asciz "an unknown item is not zeros "
err_outside:		.asciz "a DMA outside RAM lacks the error bit "
err_huge:		.asciz "a 4 GiB DMA lacks the error bit "
err_rom:		.asciz "a DMA into the firmware lacks the error bit "
err_straddle:		.asciz "a DMA across the end of RAM lacks the error bit "
err_write:		.asciz "a DMA write lacks the error bit "
touched_ram:		.asciz "a request outside RAM wrote RAM "
failed:			.asciz "FAILED\r\n"

RESET_VECTOR
