/* devices/debugcon.c - QEMU's debug console port (0x402): the firmware's log, a line at a time, on vrun's stderr. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "vmm/devices/legacy.h"

#define DEBUGCON_READBACK	0xe9	/* what SeaBIOS checks for before it logs */
#define DEBUGCON_PREFIX		"vrun: firmware: "

/* The guest's bytes are printed as they are except control characters
 * (a hostile guest must not drive the user's terminal); lock held. */
static void flush_line(struct vk_debugcon *d)
{
	char out[sizeof(DEBUGCON_PREFIX) + VK_DEBUGCON_LINE + 1];
	size_t n = sizeof(DEBUGCON_PREFIX) - 1;

	memcpy(out, DEBUGCON_PREFIX, n);
	for (size_t i = 0; i < d->len; i++)
		out[n++] = (d->line[i] >= 0x20 && d->line[i] < 0x7f) ? d->line[i] : '.';
	out[n++] = '\n';
	if (write(d->fd, out, n) < 0) {
		/* the log is best effort: the guest runs on */
	}
	d->len = 0;
}

void vk_debugcon_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_debugcon *d = opaque;

	if (!is_write) {
		memset(data, DEBUGCON_READBACK, len);
		return;
	}
	pthread_mutex_lock(&d->lock);
	for (unsigned i = 0; i < len; i++) {
		if (data[i] == '\n' || d->len == VK_DEBUGCON_LINE)
			flush_line(d);
		if (data[i] != '\n' && data[i] != '\r')
			d->line[d->len++] = (char)data[i];
	}
	pthread_mutex_unlock(&d->lock);
}

int vk_debugcon_init(struct vk_debugcon *d, struct vk_bus *pio, int fd)
{
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	pthread_mutex_init(&d->lock, NULL);
	return vk_bus_register(pio, VK_DEBUGCON_PORT, 1, vk_debugcon_io, d, "debug console");
}
