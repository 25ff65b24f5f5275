/* test-legacy-devices.c - the UART register model and its interrupt line, the CMOS clock, the i8042 reset, and each device's machine reset. */
#include "config.h"

#include <linux/serial_reg.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/devices/legacy.h"
#include "vmm/irq.h"
#include "vmm/machine.h"

/* Fakes of the machine: what the devices raised or asked for. */
static int irq_level = -1, irq_changes, stop_status = -1, reset_cause = -1;

int vk_irq_set_level(struct vk_machine *m, unsigned gsi, bool level)
{
	assert_int_equal(gsi, VK_COM1_GSI);
	irq_level = level;
	irq_changes++;
	return 0;
}

void vk_machine_stop(struct vk_machine *m, int status, const char *fmt, ...)
{
	stop_status = status;
}

void vk_machine_request_reset(struct vk_machine *m, enum vk_reset_cause cause)
{
	reset_cause = (int)cause;
}

static struct vk_serial serial;
static struct vk_bus pio;
static int out_pipe[2];

static int serial_setup(void **state)
{
	irq_level = -1;
	irq_changes = 0;
	memset(&pio, 0, sizeof(pio));
	assert_int_equal(pipe(out_pipe), 0);
	return vk_serial_init(&serial, NULL, &pio, VK_COM1_PORT, VK_COM1_GSI, out_pipe[1]);
}

static int serial_teardown(void **state)
{
	close(out_pipe[0]);
	close(out_pipe[1]);
	vk_bus_free(&pio);
	return 0;
}

static uint8_t in8(unsigned reg)
{
	uint8_t v = 0;

	assert_true(vk_bus_dispatch(&pio, VK_COM1_PORT + reg, &v, 1, false));
	return v;
}

static void out8(unsigned reg, uint8_t v)
{
	assert_true(vk_bus_dispatch(&pio, VK_COM1_PORT + reg, &v, 1, true));
}

static void transmit_reaches_console(void **state)
{
	char got[4] = { 0 };

	out8(UART_TX, 'h');
	out8(UART_TX, 'i');
	assert_int_equal(read(out_pipe[0], got, sizeof(got)), 2);
	assert_string_equal(got, "hi");
	assert_int_equal(in8(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(in8(UART_IIR) & 0x0f, UART_IIR_NO_INT);
}

static void divisor_latch(void **state)
{
	char c;

	out8(UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	out8(UART_DLL, 1);
	out8(UART_DLM, 0);
	assert_int_equal(in8(UART_DLL), 1);
	out8(UART_LCR, UART_LCR_WLEN8);
	out8(UART_TX, 'x');
	assert_int_equal(read(out_pipe[0], &c, 1), 1);
	assert_int_equal(c, 'x');
}

static void thre_interrupt(void **state)
{
	out8(UART_IER, UART_IER_THRI);
	assert_int_equal(irq_level, 1);
	assert_int_equal(in8(UART_IIR) & 0x0f, UART_IIR_THRI);
	/* Reading IIR acknowledged it. */
	assert_int_equal(irq_level, 0);
	assert_int_equal(in8(UART_IIR) & 0x0f, UART_IIR_NO_INT);
	out8(UART_TX, 'y');
	assert_int_equal(irq_level, 1);
	out8(UART_IER, 0);
	assert_int_equal(irq_level, 0);
}

static void receive_with_interrupt(void **state)
{
	out8(UART_IER, UART_IER_RDI);
	assert_int_equal(irq_changes, 0);
	assert_int_equal(vk_serial_receive(&serial, (const uint8_t *)"ok", 2), 2);
	assert_int_equal(irq_level, 1);
	assert_true(in8(UART_LSR) & UART_LSR_DR);
	assert_int_equal(in8(UART_IIR) & 0x0f, UART_IIR_RDI);
	assert_int_equal(in8(UART_RX), 'o');
	assert_int_equal(irq_level, 1);
	assert_int_equal(in8(UART_RX), 'k');
	assert_int_equal(irq_level, 0);
	assert_false(in8(UART_LSR) & UART_LSR_DR);
	assert_int_equal(in8(UART_RX), 0);	/* empty FIFO reads 0 */
}

static void receive_fifo_full(void **state)
{
	uint8_t big[VK_UART_RX_FIFO + 10];

	memset(big, 'a', sizeof(big));
	assert_int_equal(vk_serial_receive(&serial, big, sizeof(big)), VK_UART_RX_FIFO);
	assert_int_equal(vk_serial_rx_space(&serial), 0);
	out8(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	assert_int_equal(vk_serial_rx_space(&serial), VK_UART_RX_FIFO);
}

static void loopback(void **state)
{
	out8(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	assert_int_equal(in8(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_CTS);
	out8(UART_TX, 'L');
	assert_int_equal(in8(UART_RX), 'L');
	out8(UART_MCR, UART_MCR_OUT2);
}

static void scratch_and_bad_width(void **state)
{
	uint8_t wide[2] = { 0 };

	out8(UART_SCR, 0x5a);
	assert_int_equal(in8(UART_SCR), 0x5a);
	assert_true(vk_bus_dispatch(&pio, VK_COM1_PORT, wide, 2, false));
	assert_int_equal(wide[0], 0xff);
}

static time_t fixed_time(time_t *t)
{
	return 1795589767;	/* 2026-11-25 06:56:07 UTC, a Wednesday */
}

static uint8_t cmos_read(struct vk_bus *bus, uint8_t reg)
{
	uint8_t v = reg;

	vk_bus_dispatch(bus, VK_RTC_PORT, &v, 1, true);
	vk_bus_dispatch(bus, VK_RTC_PORT + 1, &v, 1, false);
	return v;
}

static void cmos_clock(void **state)
{
	struct vk_bus bus = { 0 };
	struct vk_rtc rtc;
	uint8_t v;

	assert_int_equal(vk_rtc_init(&rtc, &bus), 0);
	rtc.now = fixed_time;
	assert_int_equal(cmos_read(&bus, 0x00), 0x07);	/* BCD seconds */
	assert_int_equal(cmos_read(&bus, 0x02), 0x56);
	assert_int_equal(cmos_read(&bus, 0x04), 0x06);
	assert_int_equal(cmos_read(&bus, 0x06), 0x04);	/* Wednesday: day 4 */
	assert_int_equal(cmos_read(&bus, 0x07), 0x25);
	assert_int_equal(cmos_read(&bus, 0x08), 0x11);
	assert_int_equal(cmos_read(&bus, 0x09), 0x26);
	assert_int_equal(cmos_read(&bus, 0x32), 0x20);
	assert_int_equal(cmos_read(&bus, 0x0a) & 0x80, 0);	/* never "update in progress" */
	assert_int_equal(cmos_read(&bus, 0x0d), 0x80);
	/* The guest asks for binary; bit 7 of the index (NMI mask) is ignored. */
	v = 0x80 | 0x0b;
	vk_bus_dispatch(&bus, VK_RTC_PORT, &v, 1, true);
	v = 0x06;
	vk_bus_dispatch(&bus, VK_RTC_PORT + 1, &v, 1, true);
	assert_int_equal(cmos_read(&bus, 0x02), 56);
	assert_int_equal(cmos_read(&bus, 0x09), 26);
	/* Time writes do not change the host's clock; NVRAM keeps what it gets. */
	v = 0x00;
	vk_bus_dispatch(&bus, VK_RTC_PORT, &v, 1, true);
	v = 0x30;
	vk_bus_dispatch(&bus, VK_RTC_PORT + 1, &v, 1, true);
	assert_int_equal(cmos_read(&bus, 0x00), 7);
	v = 0x40;
	vk_bus_dispatch(&bus, VK_RTC_PORT, &v, 1, true);
	v = 0x99;
	vk_bus_dispatch(&bus, VK_RTC_PORT + 1, &v, 1, true);
	assert_int_equal(cmos_read(&bus, 0x40), 0x99);
	vk_bus_free(&bus);
}

static void i8042_probe_and_reset(void **state)
{
	struct vk_bus bus = { 0 };
	struct vk_i8042 k;
	uint8_t v;

	stop_status = reset_cause = -1;
	assert_int_equal(vk_i8042_init(&k, NULL, &bus), 0);
	v = 0xaa;	/* self test */
	vk_bus_dispatch(&bus, VK_I8042_CMD_PORT, &v, 1, true);
	vk_bus_dispatch(&bus, VK_I8042_CMD_PORT, &v, 1, false);
	assert_true(v & 0x01);	/* output buffer full */
	vk_bus_dispatch(&bus, VK_I8042_DATA_PORT, &v, 1, false);
	assert_int_equal(v, 0x55);
	assert_int_equal(reset_cause, -1);
	v = 0xfe;
	vk_bus_dispatch(&bus, VK_I8042_CMD_PORT, &v, 1, true);
	assert_int_equal(reset_cause, VK_RESET_I8042);
	assert_int_equal(stop_status, -1);
	/* The machine reset that follows: the command byte back to its default,
	 * a half-written command and unread bytes gone. */
	v = 0xad;	/* keyboard off */
	vk_bus_dispatch(&bus, VK_I8042_CMD_PORT, &v, 1, true);
	v = 0x20;	/* read the command byte, left unread */
	vk_bus_dispatch(&bus, VK_I8042_CMD_PORT, &v, 1, true);
	v = 0x60;	/* write the command byte: its data never comes */
	vk_bus_dispatch(&bus, VK_I8042_CMD_PORT, &v, 1, true);
	vk_i8042_reset(&k);
	vk_bus_dispatch(&bus, VK_I8042_CMD_PORT, &v, 1, false);
	assert_false(v & 0x01);
	v = 0x77;	/* a data byte, no command pending: dropped */
	vk_bus_dispatch(&bus, VK_I8042_DATA_PORT, &v, 1, true);
	v = 0x20;
	vk_bus_dispatch(&bus, VK_I8042_CMD_PORT, &v, 1, true);
	vk_bus_dispatch(&bus, VK_I8042_DATA_PORT, &v, 1, false);
	assert_int_equal(v, 0x45);
	vk_bus_free(&bus);
}

/* A machine reset: registers as at power-on, unread input dropped, the
 * interrupt line low; the console stays. */
static void serial_machine_reset(void **state)
{
	char c;

	out8(UART_LCR, UART_LCR_DLAB);
	out8(UART_DLL, 12);
	out8(UART_LCR, UART_LCR_WLEN8);
	out8(UART_SCR, 0x5a);
	out8(UART_IER, UART_IER_RDI);
	assert_int_equal(vk_serial_receive(&serial, (const uint8_t *)"typed", 5), 5);
	assert_int_equal(irq_level, 1);
	vk_serial_reset(&serial);
	assert_int_equal(irq_level, 0);
	assert_int_equal(in8(UART_IER), 0);
	assert_int_equal(in8(UART_LCR), 0);
	assert_int_equal(in8(UART_MCR), UART_MCR_OUT2);
	assert_int_equal(in8(UART_SCR), 0);
	assert_false(in8(UART_LSR) & UART_LSR_DR);
	assert_int_equal(vk_serial_rx_space(&serial), VK_UART_RX_FIFO);
	out8(UART_LCR, UART_LCR_DLAB);
	assert_int_equal(in8(UART_DLL), 0);
	out8(UART_LCR, 0);
	out8(UART_TX, 'z');
	assert_int_equal(read(out_pipe[0], &c, 1), 1);
	assert_int_equal(c, 'z');
}

/* The battery keeps the clock and CMOS RAM across a reset; the interrupt
 * enables of register B go, its data mode stays. */
static void cmos_machine_reset(void **state)
{
	struct vk_bus bus = { 0 };
	struct vk_rtc rtc;
	uint8_t v;

	assert_int_equal(vk_rtc_init(&rtc, &bus), 0);
	rtc.now = fixed_time;
	vk_rtc_set_nvram(&rtc, 0x34, 0x12);
	v = 0x0b;
	vk_bus_dispatch(&bus, VK_RTC_PORT, &v, 1, true);
	v = 0x40 | 0x20 | 0x10 | 0x08 | 0x04 | 0x02;	/* PIE, AIE, UIE, SQWE, binary, 24h */
	vk_bus_dispatch(&bus, VK_RTC_PORT + 1, &v, 1, true);
	v = 0x7e;
	vk_bus_dispatch(&bus, VK_RTC_PORT, &v, 1, true);
	v = 3;
	vk_bus_dispatch(&bus, VK_RTC_PORT + 1, &v, 1, true);
	vk_rtc_reset(&rtc);
	assert_int_equal(cmos_read(&bus, 0x0b), 0x04 | 0x02);
	assert_int_equal(cmos_read(&bus, 0x7e), 3);
	assert_int_equal(cmos_read(&bus, 0x34), 0x12);
	assert_int_equal(cmos_read(&bus, 0x02), 56);	/* binary minutes: the clock runs on */
	vk_bus_free(&bus);
}

/* The test device's scratch registers read 0 again after a reset. */
static void testdev_machine_reset(void **state)
{
	struct vk_bus pio_bus = { 0 }, mmio_bus = { 0 };
	struct vk_testdev t;
	uint8_t d[4] = { 1, 2, 3, 4 };

	assert_int_equal(vk_testdev_init(&t, NULL, &pio_bus, &mmio_bus), 0);
	vk_bus_dispatch(&pio_bus, VK_TESTDEV_SCRATCH_PORT, d, 4, true);
	vk_bus_dispatch(&mmio_bus, VK_TESTDEV_MMIO, d, 4, true);
	vk_testdev_reset(&t);
	vk_bus_dispatch(&pio_bus, VK_TESTDEV_SCRATCH_PORT, d, 4, false);
	assert_int_equal(d[0] | d[1] | d[2] | d[3], 0);
	memset(d, 0xff, sizeof(d));
	vk_bus_dispatch(&mmio_bus, VK_TESTDEV_MMIO, d, 4, false);
	assert_int_equal(d[0] | d[1] | d[2] | d[3], 0);
	vk_bus_free(&pio_bus);
	vk_bus_free(&mmio_bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(transmit_reaches_console, serial_setup, serial_teardown),
		cmocka_unit_test_setup_teardown(divisor_latch, serial_setup, serial_teardown),
		cmocka_unit_test_setup_teardown(thre_interrupt, serial_setup, serial_teardown),
		cmocka_unit_test_setup_teardown(receive_with_interrupt, serial_setup, serial_teardown),
		cmocka_unit_test_setup_teardown(receive_fifo_full, serial_setup, serial_teardown),
		cmocka_unit_test_setup_teardown(loopback, serial_setup, serial_teardown),
		cmocka_unit_test_setup_teardown(scratch_and_bad_width, serial_setup, serial_teardown),
		cmocka_unit_test(cmos_clock),
		cmocka_unit_test(i8042_probe_and_reset),
		cmocka_unit_test_setup_teardown(serial_machine_reset, serial_setup, serial_teardown),
		cmocka_unit_test(cmos_machine_reset),
		cmocka_unit_test(testdev_machine_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
