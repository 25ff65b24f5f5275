/* bootorder.c - a firmware boot order as virt-install spells it: "hd,cdrom,network,menu=on". */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/vm/bootorder.h"
#include "common/util/error.h"
#include "common/util/subopt.h"

static const char *const bootdev_names[VK_BOOTDEV_KINDS] = {
	[VK_BOOTDEV_HD] = "hd", [VK_BOOTDEV_CDROM] = "cdrom", [VK_BOOTDEV_NETWORK] = "network",
};
static const char *const boot_order_keys[] = { "hd", "cdrom", "network", "menu", NULL };

const char *vk_bootdev_name(enum vk_bootdev dev)
{
	return (unsigned)dev < VK_BOOTDEV_KINDS ? bootdev_names[dev] : "?";
}

int vk_boot_order_parse(const char *text, const char *what, struct vk_boot_order *out)
{
	struct vk_subopts so = { 0 };
	int rc = vk_subopts_parse(text, boot_order_keys, NULL, what, &so);

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; rc == 0 && i < so.n; i++) {
		const char *key = so.items[i].key, *value = so.items[i].value;

		if (strcmp(key, "menu") == 0)
			continue;
		if (*value) {
			rc = vk_errorx(EINVAL, "%s %s: '%s' takes no value (give the devices in order, "
				       "e.g. hd,cdrom,network)", what, text, key);
			break;
		}
		for (unsigned d = 0; d < VK_BOOTDEV_KINDS; d++)
			if (strcmp(key, bootdev_names[d]) == 0)
				out->dev[out->n++] = (enum vk_bootdev)d;
	}
	if (rc == 0)
		rc = vk_subopts_get_bool(&so, "menu", what, &out->menu);
	if (rc == 0 && out->n == 0 && !vk_subopts_get(&so, "menu"))
		rc = vk_errorx(EINVAL, "%s %s: name the devices to boot from in order: hd, cdrom, network",
			       what, text);
	vk_subopts_free(&so);
	return rc;
}

int vk_boot_order_format(const struct vk_boot_order *o, char *buf, size_t size)
{
	size_t len = 0;
	int n;

	if (size)
		buf[0] = '\0';
	for (unsigned i = 0; i < o->n && i < VK_BOOTDEV_KINDS; i++) {
		n = snprintf(buf + len, size > len ? size - len : 0, "%s%s", i ? "," : "",
			     vk_bootdev_name(o->dev[i]));
		len += (size_t)n;
	}
	if (o->menu) {
		n = snprintf(buf + len, size > len ? size - len : 0, "%smenu=on", o->n ? "," : "");
		len += (size_t)n;
	}
	if (len >= size)
		return vk_errorx(ENOSPC, "boot order: %zu bytes do not hold it", size);
	return (int)len;
}
