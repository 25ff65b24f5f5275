/* devices/acpi-pm.h - ACPI fixed hardware: PM1 event and control registers, PM timer, reset register, the SCI. */
#ifndef VK_DEVICES_ACPI_PM_H
#define VK_DEVICES_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "vmm/bus.h"

struct vk_machine;

/*
 * Ports VK_PM_BASE.. (vmm/x86/acpi.h): PM1_STS, PM1_EN, PM1_CNT, PM_TMR and
 * the reset register.  Writing SLP_TYP = \_S5's value with SLP_EN powers the
 * machine off (exit status 0); the reset value to the reset register
 * reboots it (status 2).  The SCI (ISA IRQ 9, level) is high while an
 * enabled status bit is set.  vCPU threads and the control thread both get
 * here, so the registers have a lock.
 */
struct vk_acpi_pm {
	struct vk_machine *m;
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
	bool sci_level;
	struct timespec t0;				/* the PM timer counts from here */
	int (*clock)(clockid_t, struct timespec *);	/* clock_gettime; tests fix it */
};

int vk_acpi_pm_init(struct vk_acpi_pm *pm, struct vk_machine *m, struct vk_bus *pio);
void vk_acpi_pm_free(struct vk_acpi_pm *pm);
/* The port handler (offset from VK_PM_BASE), exposed for unit tests. */
void vk_acpi_pm_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
/* Press the power button: PWRBTN_STS, and the SCI if the guest enabled it.
 * Returns true when the guest had enabled the power-button event (an OS
 * with ACPI is listening). */
bool vk_acpi_pm_power_button(struct vk_acpi_pm *pm);
/* A machine reset: status, enables and sleep type cleared, the SCI low;
 * the PM timer runs on, as the chipset's does. */
void vk_acpi_pm_reset(struct vk_acpi_pm *pm);

#endif
