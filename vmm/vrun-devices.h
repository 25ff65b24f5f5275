/* vrun-devices.h - the one table of vrun's device kinds (legacy and PCI): their options, --help lines and creation. */
#ifndef VK_VRUN_DEVICES_H
#define VK_VRUN_DEVICES_H

#include <popt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/devices.h"
#include "vmm/devices/acpi-pm.h"
#include "vmm/devices/fw_cfg.h"
#include "vmm/devices/legacy.h"
#include "vmm/machine.h"

/* Room for the table's entries in fixed arrays (a static assertion in
 * vrun-devices.c keeps the table within it). */
#define VRUN_DEVICE_KINDS_MAX	24

/* What the command line gave one device kind, filled by popt. */
struct vrun_device_args {
	const char **values;	/* POPT_ARG_ARGV: NULL-terminated, NULL if not given */
	int given;		/* POPT_ARG_NONE: the switch was given */
};

/* The devices of one VM and what their creation needs; vrun fills the
 * first block, vrun_devices_create() the rest. */
struct vrun_devices {
	struct vk_machine *machine;
	int console_fd;			/* the serial port's output */
	bool firmware;			/* PC firmware boots: fw_cfg, the PC chipset, a PCI bus always */
	bool net_rom;			/* every NIC gets iPXE (--pxe, --boot network) */
	const struct vrun_device_args *args;	/* indexed like vrun_device_kinds[] */

	struct vk_serial serial;
	struct vk_i8042 i8042;
	struct vk_rtc rtc;
	struct vk_testdev testdev;
	struct vk_debugcon debugcon;
	struct vk_acpi_pm pm;
	struct vk_fw_cfg fw_cfg;
	struct vk_devices *pci;		/* NULL: no device needed a PCI bus */
	uint8_t *net_rom_image;		/* loaded with the first NIC */
	size_t net_rom_len;
	bool created[VRUN_DEVICE_KINDS_MAX];	/* add() was called: free() is due */
};

/*
 * One device kind.  A kind with an option adds one device per value given
 * (POPT_ARG_ARGV) or one when the switch is given (POPT_ARG_NONE); a kind
 * without one is always there, or where wanted() says so.  Kinds are
 * created in table order, so the order of the PCI kinds is the order of
 * the guest's PCI slots.
 */
struct vrun_device_kind {
	const char *name;		/* for messages and docs: "virtio-blk", "serial" */
	const char *option;		/* long option without "--", or NULL */
	int arg_kind;			/* POPT_ARG_ARGV or POPT_ARG_NONE (with an option) */
	const char *descrip, *arg_descrip;	/* its --help line */
	bool pci;			/* sits on the PCI bus: the bus is made before it */
	bool (*wanted)(const struct vrun_devices *d);	/* kinds without option; NULL: always */
	int (*add)(struct vrun_devices *d, const char *arg);	/* arg: one value, or NULL */
	void (*reset)(struct vrun_devices *d);	/* back to power-on state; NULL: it keeps none */
	void (*free)(struct vrun_devices *d);	/* after add(), failed or not; NULL: nothing */
};

extern const struct vrun_device_kind vrun_device_kinds[];
extern const size_t vrun_n_device_kinds;

/* The options of the kinds that have one, storing into args[] (indexed
 * like the table), for POPT_ARG_INCLUDE_TABLE; table holds
 * VRUN_DEVICE_KINDS_MAX + 1 entries. */
void vrun_device_options(struct poptOption *table, struct vrun_device_args *args);
void vrun_device_args_free(struct vrun_device_args *args);

/* Create every device d's fields and args ask for, kind by kind; call
 * before the buses are sealed.  On failure what was made stays in d for
 * vrun_devices_free(). */
int vrun_devices_create(struct vrun_devices *d);
/* Every device back to power-on, for a reset in place (the vCPUs parked):
 * the legacy kinds' reset(), then the PCI devices (vk_devices_reset()).
 * The console, disks, taps and the CMOS clock and RAM stay. */
void vrun_devices_reset(struct vrun_devices *d);
/* Free what vrun_devices_create() made, last kind first: the PCI devices
 * stop their I/O threads, so call it once the vCPUs are joined. */
void vrun_devices_free(struct vrun_devices *d);

#endif
