/* devices/serial.c - a 16550A-compatible UART: transmit at once, a receive FIFO, THRE and RX interrupts. */
#include "config.h"

#include <errno.h>
#include <linux/serial_reg.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "vmm/devices/legacy.h"
#include "vmm/irq.h"

/* Modem status as if a terminal were attached: carrier, DSR, CTS. */
#define MSR_CONNECTED	(UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

static uint8_t serial_iir(const struct vk_serial *s)
{
	uint8_t fifo = (s->fcr & UART_FCR_ENABLE_FIFO) ? 0xc0 : 0;

	if ((s->ier & UART_IER_RDI) && s->rx_len)
		return UART_IIR_RDI | fifo;
	if ((s->ier & UART_IER_THRI) && s->thr_ipending)
		return UART_IIR_THRI | fifo;
	return UART_IIR_NO_INT | fifo;
}

static void update_irq(struct vk_serial *s)
{
	bool level = !(serial_iir(s) & UART_IIR_NO_INT);

	if (level != s->irq_level) {
		s->irq_level = level;
		vk_irq_set_level(s->m, s->gsi, level);
	}
}

static void rx_push(struct vk_serial *s, uint8_t c)
{
	if (s->rx_len < VK_UART_RX_FIFO) {
		s->rx[(s->rx_head + s->rx_len) % VK_UART_RX_FIFO] = c;
		s->rx_len++;
	}
}

static void transmit(struct vk_serial *s, uint8_t c)
{
	if (s->mcr & UART_MCR_LOOP) {
		rx_push(s, c);
	} else if (s->out_fd >= 0) {
		/* The console may be a slow terminal; a lost byte beats a stuck vCPU. */
		while (write(s->out_fd, &c, 1) < 0 && errno == EINTR)
			;
	}
	s->thr_ipending = true;	/* sent at once, so the holding register is empty again */
}

static uint8_t modem_status(const struct vk_serial *s)
{
	uint8_t msr = 0;

	if (!(s->mcr & UART_MCR_LOOP))
		return MSR_CONNECTED;
	/* Loopback wires the modem outputs to the inputs (16550 datasheet). */
	if (s->mcr & UART_MCR_DTR)
		msr |= UART_MSR_DSR;
	if (s->mcr & UART_MCR_RTS)
		msr |= UART_MSR_CTS;
	if (s->mcr & UART_MCR_OUT1)
		msr |= UART_MSR_RI;
	if (s->mcr & UART_MCR_OUT2)
		msr |= UART_MSR_DCD;
	return msr;
}

static uint8_t serial_read(struct vk_serial *s, unsigned reg)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	uint8_t v = 0;

	switch (reg) {
	case UART_RX:
		if (dlab)
			return s->dll;
		if (s->rx_len) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % VK_UART_RX_FIFO;
			s->rx_len--;
		}
		return v;
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR:
		v = serial_iir(s);
		if ((v & 0x0f) == UART_IIR_THRI)
			s->thr_ipending = false;	/* reading IIR acknowledges THRE */
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return UART_LSR_TEMT | UART_LSR_THRE | (s->rx_len ? UART_LSR_DR : 0);
	case UART_MSR:
		return modem_status(s);
	default:
		return s->scr;
	}
}

static void serial_write(struct vk_serial *s, unsigned reg, uint8_t v)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_TX:
		if (dlab)
			s->dll = v;
		else
			transmit(s, v);
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
		} else {
			/* Enabling THRE with an empty holding register interrupts at once. */
			if ((v & UART_IER_THRI) && !(s->ier & UART_IER_THRI))
				s->thr_ipending = true;
			s->ier = v & 0x0f;
		}
		break;
	case UART_FCR:
		s->fcr = v & (UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_MASK);
		if (v & UART_FCR_CLEAR_RCVR)
			s->rx_len = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:
		break;	/* LSR and MSR are read-only */
	}
}

void vk_serial_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_serial *s = opaque;

	if (len != 1 || offset >= VK_UART_REGS) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (is_write)
		serial_write(s, (unsigned)offset, data[0]);
	else
		data[0] = serial_read(s, (unsigned)offset);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

size_t vk_serial_receive(struct vk_serial *s, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	for (n = 0; n < len && s->rx_len < VK_UART_RX_FIFO; n++)
		rx_push(s, buf[n]);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t vk_serial_rx_space(struct vk_serial *s)
{
	size_t space;

	pthread_mutex_lock(&s->lock);
	space = VK_UART_RX_FIFO - s->rx_len;
	pthread_mutex_unlock(&s->lock);
	return space;
}

/* The registers as at power-on; the receive FIFO empty. */
static void power_on(struct vk_serial *s)
{
	s->ier = s->lcr = s->fcr = s->scr = s->dll = s->dlm = 0;
	s->mcr = UART_MCR_OUT2;
	s->thr_ipending = false;
	s->rx_head = s->rx_len = 0;
}

void vk_serial_reset(struct vk_serial *s)
{
	pthread_mutex_lock(&s->lock);
	power_on(s);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

int vk_serial_init(struct vk_serial *s, struct vk_machine *m, struct vk_bus *pio,
		   uint16_t base, unsigned gsi, int out_fd)
{
	memset(s, 0, sizeof(*s));
	s->m = m;
	s->gsi = gsi;
	s->out_fd = out_fd;
	power_on(s);
	pthread_mutex_init(&s->lock, NULL);
	return vk_bus_register(pio, base, VK_UART_REGS, vk_serial_io, s, "serial (COM1)");
}
