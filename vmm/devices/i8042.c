/* devices/i8042.c - just enough keyboard controller for Linux's probe and for the 0xFE reset pulse (reboot). */
#include "config.h"

#include <string.h>

#include "vmm/devices/legacy.h"
#include "vmm/machine.h"

#define I8042_STR_OBF		0x01	/* output buffer full: data for the host */
#define I8042_STR_SYSFLAG	0x04
#define I8042_STR_KEYLOCK	0x10	/* set means unlocked */
#define I8042_CTR_KBDDIS	0x10
#define I8042_CTR_AUXDIS	0x20
#define I8042_CMD_AUX_DISABLE	0xa7
#define I8042_CMD_AUX_ENABLE	0xa8
#define I8042_CMD_KBD_DISABLE	0xad
#define I8042_CMD_KBD_ENABLE	0xae
#define I8042_CMD_CTL_RCTR	0x20
#define I8042_CMD_CTL_WCTR	0x60
#define I8042_CMD_AUX_TEST	0xa9
#define I8042_CMD_CTL_TEST	0xaa
#define I8042_CMD_KBD_TEST	0xab
#define I8042_CMD_PULSE_RESET	0xfe
#define I8042_SELFTEST_OK	0x55
#define I8042_PORT_TEST_OK	0x00
#define I8042_PORT_TEST_FAIL	0xff	/* we have no mouse */
#define I8042_CTR_DEFAULT	0x45	/* kbd interrupt, system flag, translate */

static void queue(struct vk_i8042 *k, uint8_t v)
{
	if (k->out_len < sizeof(k->out))
		k->out[k->out_len++] = v;
}

static uint8_t read_data(struct vk_i8042 *k)
{
	uint8_t v;

	if (!k->out_len)
		return 0;
	v = k->out[0];
	memmove(k->out, k->out + 1, --k->out_len);
	return v;
}

static void command(struct vk_i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case I8042_CMD_CTL_RCTR:
		queue(k, k->ctr);
		break;
	case I8042_CMD_CTL_WCTR:
		k->pending_cmd = cmd;
		break;
	case I8042_CMD_CTL_TEST:
		queue(k, I8042_SELFTEST_OK);
		break;
	case I8042_CMD_KBD_TEST:
		queue(k, I8042_PORT_TEST_OK);
		break;
	case I8042_CMD_AUX_TEST:
		queue(k, I8042_PORT_TEST_FAIL);
		break;
	case I8042_CMD_AUX_DISABLE:
		k->ctr |= I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_ENABLE:
		k->ctr &= ~I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_KBD_DISABLE:
		k->ctr |= I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_KBD_ENABLE:
		k->ctr &= ~I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_PULSE_RESET:
		vk_machine_request_reset(k->m, VK_RESET_I8042);
		break;
	default:
		break;
	}
}

static void i8042_io(struct vk_i8042 *k, bool cmd_port, uint8_t *data, unsigned len, bool is_write)
{
	if (len != 1) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (!is_write) {
		if (cmd_port)
			data[0] = I8042_STR_SYSFLAG | I8042_STR_KEYLOCK | (k->out_len ? I8042_STR_OBF : 0);
		else
			data[0] = read_data(k);
	} else if (cmd_port) {
		command(k, data[0]);
	} else if (k->pending_cmd == I8042_CMD_CTL_WCTR) {
		k->ctr = data[0];
		k->pending_cmd = 0;
	}
	/* Bytes for the keyboard itself are dropped: no keyboard is attached. */
}

void vk_i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	i8042_io(opaque, false, data, len, is_write);
}

void vk_i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	i8042_io(opaque, true, data, len, is_write);
}

void vk_i8042_reset(struct vk_i8042 *k)
{
	k->ctr = I8042_CTR_DEFAULT;
	k->pending_cmd = 0;
	k->out_len = 0;
}

int vk_i8042_init(struct vk_i8042 *k, struct vk_machine *m, struct vk_bus *pio)
{
	memset(k, 0, sizeof(*k));
	k->m = m;
	vk_i8042_reset(k);
	/* Two ranges: 0x61 between them is the PIT's speaker port, KVM's. */
	int rc = vk_bus_register(pio, VK_I8042_DATA_PORT, 1, vk_i8042_data_io, k, "i8042 data");

	if (rc == 0)
		rc = vk_bus_register(pio, VK_I8042_CMD_PORT, 1, vk_i8042_cmd_io, k, "i8042 command");
	return rc;
}
