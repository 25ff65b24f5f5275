/* devices/legacy.h - the PC devices vrun emulates itself: 8250 UART, i8042 reset, CMOS RTC, POST port, debug port, vkit test device. */
#ifndef VK_DEVICES_LEGACY_H
#define VK_DEVICES_LEGACY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vmm/bus.h"

struct vk_machine;

#define VK_COM1_PORT		0x3f8
#define VK_COM1_GSI		4
#define VK_UART_REGS		8
#define VK_UART_RX_FIFO		256

struct vk_serial {
	struct vk_machine *m;
	unsigned gsi;
	int out_fd;			/* where the guest's output goes */
	pthread_mutex_t lock;		/* vCPU threads write, the console thread feeds rx */
	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	bool thr_ipending;		/* "transmitter empty" interrupt not yet seen in IIR */
	bool irq_level;
	uint8_t rx[VK_UART_RX_FIFO];
	unsigned rx_head, rx_len;
};

int vk_serial_init(struct vk_serial *s, struct vk_machine *m, struct vk_bus *pio,
		   uint16_t base, unsigned gsi, int out_fd);
/* The port handler, exposed for unit tests. */
void vk_serial_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
/* Queue input for the guest; returns how many bytes fit. */
size_t vk_serial_receive(struct vk_serial *s, const uint8_t *buf, size_t len);
size_t vk_serial_rx_space(struct vk_serial *s);
/* Reset (a machine reset): registers as at power-on, input not yet read
 * dropped, the interrupt line low.  The console stays. */
void vk_serial_reset(struct vk_serial *s);

/* i8042: answers the probe commands Linux sends and turns the pulse-reset
 * command (0xFE to port 0x64) into a reset of the machine. */
#define VK_I8042_DATA_PORT	0x60
#define VK_I8042_CMD_PORT	0x64
struct vk_i8042 {
	struct vk_machine *m;
	uint8_t ctr;		/* controller configuration ("command byte") */
	uint8_t pending_cmd;	/* command waiting for its data byte */
	uint8_t out[4];
	unsigned out_len;
};
int vk_i8042_init(struct vk_i8042 *k, struct vk_machine *m, struct vk_bus *pio);
void vk_i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
void vk_i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
/* The controller as at power-on (a machine reset, vCPUs parked). */
void vk_i8042_reset(struct vk_i8042 *k);

/* MC146818 CMOS RTC at 0x70/0x71: the host's UTC time. */
#define VK_RTC_PORT		0x70
#define VK_CMOS_SIZE		128
struct vk_rtc {
	uint8_t index;
	uint8_t cmos[VK_CMOS_SIZE];
	time_t (*now)(time_t *);	/* time(); tests fix it */
};
int vk_rtc_init(struct vk_rtc *r, struct vk_bus *pio);
/* CMOS RAM outside the clock registers (index 0x0e..0x7f), as firmware
 * finds it at power-on (vmm/x86/firmware.c fills it). */
void vk_rtc_set_nvram(struct vk_rtc *r, uint8_t index, uint8_t value);
uint8_t vk_rtc_nvram(const struct vk_rtc *r, uint8_t index);
void vk_rtc_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
/* A machine reset: interrupt enables off; time and CMOS RAM kept, as the
 * battery keeps them on a PC. */
void vk_rtc_reset(struct vk_rtc *r);

/* The vkit test device, for tiny guests (docs/vmm.md):
 *   port 0x501, write:        power off; vrun exits with the byte written
 *   port 0x502, 4 bytes:      scratch register, reads back what was written
 *   MMIO 0xFEF00000, 4 bytes: scratch register, reads back what was written */
#define VK_TESTDEV_EXIT_PORT	0x501
#define VK_TESTDEV_SCRATCH_PORT	0x502
#define VK_TESTDEV_MMIO		0xFEF00000ull
struct vk_testdev {
	struct vk_machine *m;
	uint32_t port_scratch, mmio_scratch;
};
int vk_testdev_init(struct vk_testdev *t, struct vk_machine *m, struct vk_bus *pio, struct vk_bus *mmio);
/* Scratch registers back to 0 (a machine reset). */
void vk_testdev_reset(struct vk_testdev *t);

/* QEMU's debug console at port 0x402 (isa-debugcon): reads 0xe9, so
 * SeaBIOS finds it and writes its log there; complete lines go to fd
 * prefixed "vrun: firmware: ". */
#define VK_DEBUGCON_PORT	0x402
#define VK_DEBUGCON_LINE	256
struct vk_debugcon {
	int fd;
	pthread_mutex_t lock;
	char line[VK_DEBUGCON_LINE];
	size_t len;
};
int vk_debugcon_init(struct vk_debugcon *d, struct vk_bus *pio, int fd);
void vk_debugcon_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

/* Port 0x80, the POST code port Linux writes for I/O delays: ignored. */
int vk_post_port_init(struct vk_bus *pio);

#endif
