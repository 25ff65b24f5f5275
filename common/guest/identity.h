/* identity.h - a cloned guest made a machine of its own, inside its disks. */
#ifndef VK_IDENTITY_H
#define VK_IDENTITY_H

#include <stddef.h>

#include "common/image/image.h"

/*
 * What virt-sysprep's machine-id, ssh-hostkeys, udev-persistent-net,
 * net-hwaddr and net-hostname operations and its hostname setting do, on
 * every filesystem of disks[0..n) that holds /etc: the machine-id emptied,
 * SSH host keys removed, persistent net rules removed, ifcfg files freed of
 * the original's HWADDR/UUID/HOSTNAME, the hostname set to hostname.
 * Through libguestfs, loaded only now (vk_guestfs_load): a tool that never
 * resets an identity never pays for its sixty libraries.  0, or -errno
 * with a message (-ENOENT when no disk holds /etc).
 */
int vk_identity_reset(const char *const *disks, const enum vk_image_format *formats, size_t n,
		      const char *hostname);

#endif
