/* devices/acpi-pm.c - ACPI fixed hardware in port I/O: sleep (power off), the power button, the PM timer, reset. */
#include "config.h"

#include <string.h>

#include "common/util/error.h"
#include "vmm/devices/acpi-pm.h"
#include "vmm/irq.h"
#include "vmm/machine.h"
#include "vmm/x86/acpi.h"

#define PM1_STS_OFF		(VK_PM1_EVT_BLK - VK_PM_BASE)
#define PM1_EN_OFF		(PM1_STS_OFF + 2)
#define PM1_CNT_OFF		(VK_PM1_CNT_BLK - VK_PM_BASE)
#define PM_TMR_OFF		(VK_PM_TMR_BLK - VK_PM_BASE)
#define RESET_OFF		(VK_ACPI_RESET_PORT - VK_PM_BASE)

/* Status bits that exist here (write 1 to clear), enables that stick.
 * ACPICA checks that an enable it writes reads back: Linux's rtc-cmos
 * enables the RTC event, so RTC_EN sticks although the alarm is never
 * signalled; there is no sleep button (FADT SLP_BUTTON), so SLPBTN_EN
 * does not. */
#define PM1_STS_BITS	(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC | ACPI_PM1_WAK_STS)
#define PM1_EN_BITS	(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC)
#define PM1_SCI_BITS	(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC)
/* SCI_EN is always set (no SMM to hand over from); SLP_EN reads as 0. */
#define PM1_CNT_BITS	ACPI_PM1_CNT_SLP_TYP_MASK

static void update_sci(struct vk_acpi_pm *pm)
{
	bool level = (pm->sts & pm->en & PM1_SCI_BITS) != 0;

	if (level == pm->sci_level)
		return;
	pm->sci_level = level;
	vk_irq_set_level(pm->m, VK_ACPI_SCI_IRQ, level);
}

static uint32_t timer_value(struct vk_acpi_pm *pm)
{
	struct timespec now;
	uint64_t sec, nsec;

	pm->clock(CLOCK_MONOTONIC, &now);
	if (now.tv_nsec < pm->t0.tv_nsec) {
		now.tv_nsec += 1000000000L;
		now.tv_sec--;
	}
	sec = (uint64_t)(now.tv_sec - pm->t0.tv_sec);
	nsec = (uint64_t)(now.tv_nsec - pm->t0.tv_nsec);
	/* 32 bits wide (TMR_VAL_EXT); wraps every 20 minutes, as on hardware. */
	return (uint32_t)(sec * ACPI_PM_TIMER_HZ + nsec * ACPI_PM_TIMER_HZ / 1000000000u);
}

/* Register bytes as the guest reads them, offsets 0..VK_PM_LEN-1. */
static uint8_t read_byte(struct vk_acpi_pm *pm, unsigned off, uint32_t tmr)
{
	switch (off) {
	case PM1_STS_OFF: case PM1_STS_OFF + 1:
		return (uint8_t)(pm->sts >> (8 * (off - PM1_STS_OFF)));
	case PM1_EN_OFF: case PM1_EN_OFF + 1:
		return (uint8_t)(pm->en >> (8 * (off - PM1_EN_OFF)));
	case PM1_CNT_OFF: case PM1_CNT_OFF + 1:
		return (uint8_t)((pm->cnt | ACPI_PM1_CNT_SCI_EN) >> (8 * (off - PM1_CNT_OFF)));
	case PM_TMR_OFF: case PM_TMR_OFF + 1: case PM_TMR_OFF + 2: case PM_TMR_OFF + 3:
		return (uint8_t)(tmr >> (8 * (off - PM_TMR_OFF)));
	default:
		return 0;
	}
}

/* Apply one written byte; PM1_CNT bytes are also collected in cnt_written (for SLP_EN). */
static void write_byte(struct vk_acpi_pm *pm, unsigned off, uint8_t v, uint16_t *cnt_written)
{
	unsigned shift;

	switch (off) {
	case PM1_STS_OFF: case PM1_STS_OFF + 1:
		shift = 8 * (off - PM1_STS_OFF);
		pm->sts &= (uint16_t)~(((unsigned)v << shift) & PM1_STS_BITS);
		break;
	case PM1_EN_OFF: case PM1_EN_OFF + 1:
		shift = 8 * (off - PM1_EN_OFF);
		pm->en = (uint16_t)((pm->en & ~(0xffu << shift)) | (((unsigned)v << shift) & PM1_EN_BITS));
		break;
	case PM1_CNT_OFF: case PM1_CNT_OFF + 1:
		shift = 8 * (off - PM1_CNT_OFF);
		pm->cnt = (uint16_t)((pm->cnt & ~(0xffu << shift)) | (((unsigned)v << shift) & PM1_CNT_BITS));
		*cnt_written |= (uint16_t)((unsigned)v << shift);
		break;
	case RESET_OFF:
		if (v == VK_ACPI_RESET_VALUE)
			vk_machine_request_reset(pm->m, VK_RESET_ACPI);
		break;
	default:
		break;	/* reserved: dropped */
	}
}

void vk_acpi_pm_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_acpi_pm *pm = opaque;
	uint16_t cnt_written = 0;
	uint32_t tmr = 0;

	if (offset >= VK_PM_LEN || len > VK_PM_LEN - offset) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (!is_write && offset + len > PM_TMR_OFF && offset < PM_TMR_OFF + VK_PM_TMR_LEN)
		tmr = timer_value(pm);
	pthread_mutex_lock(&pm->lock);
	for (unsigned i = 0; i < len; i++) {
		if (is_write)
			write_byte(pm, (unsigned)offset + i, data[i], &cnt_written);
		else
			data[i] = read_byte(pm, (unsigned)offset + i, tmr);
	}
	if (is_write)
		update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	if (cnt_written & ACPI_PM1_CNT_SLP_EN) {
		unsigned typ = (cnt_written & ACPI_PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT;

		/* Only \_S5 is offered; other sleep types are not ours to enter. */
		if (typ == VK_ACPI_S5_SLP_TYP)
			vk_machine_stop(pm->m, VK_EXIT_POWEROFF, "guest powered off through ACPI (S5)");
		else
			vk_debug("ACPI: ignoring sleep type %u (only S5 = %u exists)", typ, VK_ACPI_S5_SLP_TYP);
	}
}

bool vk_acpi_pm_power_button(struct vk_acpi_pm *pm)
{
	bool enabled;

	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPI_PM1_PWRBTN;
	enabled = (pm->en & ACPI_PM1_PWRBTN) != 0;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	return enabled;
}

void vk_acpi_pm_reset(struct vk_acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts = pm->en = pm->cnt = 0;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

int vk_acpi_pm_init(struct vk_acpi_pm *pm, struct vk_machine *m, struct vk_bus *pio)
{
	memset(pm, 0, sizeof(*pm));
	pm->m = m;
	pm->clock = clock_gettime;
	pthread_mutex_init(&pm->lock, NULL);
	pm->clock(CLOCK_MONOTONIC, &pm->t0);
	return vk_bus_register(pio, VK_PM_BASE, VK_PM_LEN, vk_acpi_pm_io, pm, "ACPI PM");
}

void vk_acpi_pm_free(struct vk_acpi_pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}
