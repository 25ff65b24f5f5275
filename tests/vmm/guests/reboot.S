/* reboot.S - counts its boots in CMOS and resets the machine a different way each boot (ACPI, i8042, port 0xCF9), then triple-faults, which stops vrun: reset in place boots it four times in one vrun. */
#include "guest.h"

#define UART_SCR	(COM1 + 7)	/* the UART's scratch register */
#define PIIX_RCR	0xcf9
#define RCR_SYS_RST	0x02
#define RCR_RST_CPU	0x04
#define CR0_RESET	0x60000010	/* CD, NW, ET: CR0 after RESET */

	.code16
	.text
	.globl _start
_start:
	cli
	COUNT_BOOT

	PUTS16(banner)
	mov $COM1, %dx
	mov %bl, %al
	add $'0', %al
	out %al, %dx
	/* What the last boot left must be gone: CR0 and EFER as after RESET,
	 * the test device's and the UART's scratch registers 0 again. */
	mov %cr0, %eax
	cmp $CR0_RESET, %eax
	jne dirty
	mov $0xc0000080, %ecx
	rdmsr
	test %eax, %eax
	jnz dirty
	mov $TESTDEV_SCRATCH, %dx
	in %dx, %eax
	test %eax, %eax
	jnz dirty
	mov $UART_SCR, %dx
	in %dx, %al
	test %al, %al
	jnz dirty
	PUTS16(clean)
	jmp leave_state
dirty:
	PUTS16(unclean)
leave_state:
	mov $TESTDEV_SCRATCH, %dx
	mov $0x12345678, %eax
	out %eax, %dx
	mov $UART_SCR, %dx
	mov $0x5a, %al
	out %al, %dx
	mov $0xc0000080, %ecx	/* EFER.SCE: a bit a reset must clear */
	rdmsr
	or $1, %eax
	wrmsr

	cmp $1, %bl
	je acpi_reset
	cmp $2, %bl
	je kbd_reset
	cmp $3, %bl
	je rcr_reset
	cmp $4, %bl
	je triple_fault
	EXIT(0)
acpi_reset:
	mov $ACPI_RESET_PORT, %dx
	mov $ACPI_RESET_VAL, %al
	out %al, %dx
	jmp stuck
kbd_reset:
	mov $I8042_RESET, %al
	out %al, $I8042_CMD
	jmp stuck
rcr_reset:
	mov $PIIX_RCR, %dx
	mov $RCR_SYS_RST, %al
	out %al, %dx
	mov $(RCR_SYS_RST | RCR_RST_CPU), %al
	out %al, %dx
	jmp stuck
triple_fault:
	/* IDT limit 0: INT 3 raises #GP, which raises #DF, which shuts the
	 * CPU down.  KVM's instruction emulator (all a PVM host has) skips the
	 * limit check and goes through the real-mode vector table: its entry
	 * points at no_shutdown, so that shows as status 4. */
	xor %ax, %ax
	mov %ax, %ds
	movw $no_shutdown, 4 * 3
	movw $0xf000, 4 * 3 + 2
	lidt %cs:empty_idt
	int $3
stuck:
	EXIT(3)			/* the reset did not happen */
no_shutdown:
	PUTS16(no_triple)
	EXIT(4)
PUTS16_ROUTINE
empty_idt:
	.word 0
	.long 0
banner:	.asciz "vkit boot "
clean:	.asciz ": reset state\r\n"
unclean: .asciz ": state left from the last boot\r\n"
no_triple: .asciz "INT 3 went through the vector table: no triple fault\r\n"
RESET_VECTOR
