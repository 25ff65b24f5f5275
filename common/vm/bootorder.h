/* bootorder.h - a firmware boot order as virt-install spells it: "hd,cdrom,network,menu=on". */
#ifndef VK_BOOTORDER_H
#define VK_BOOTORDER_H

#include <stdbool.h>
#include <stddef.h>

/* Kinds of device the firmware boots from, in virt-install's words. */
enum vk_bootdev { VK_BOOTDEV_HD = 0, VK_BOOTDEV_CDROM, VK_BOOTDEV_NETWORK };
#define VK_BOOTDEV_KINDS	3

struct vk_boot_order {
	enum vk_bootdev dev[VK_BOOTDEV_KINDS];	/* most wanted first */
	unsigned n;
	bool menu;				/* the firmware's boot menu */
};

/* Parse "hd,cdrom,menu=on": the device kinds in order (each at most once,
 * at least one unless only menu= is given) and menu=on|off (default off).
 * Words that are not for the firmware boot order (kernel=, uefi, ...) are
 * refused naming what is accepted.  what names the option ("--boot"). */
int vk_boot_order_parse(const char *text, const char *what, struct vk_boot_order *out);
/* The same spelling back ("hd,cdrom" plus ",menu=on" when on); returns the
 * length, or -ENOSPC with a message when size is too small. */
int vk_boot_order_format(const struct vk_boot_order *o, char *buf, size_t size);
/* "hd", "cdrom", "network". */
const char *vk_bootdev_name(enum vk_bootdev dev);

#endif
