/* nicspec.h - virt-install's --network spellings, read into a VM's NIC (vinstall; the definitions' "nics"). */
#ifndef VK_NET_NICSPEC_H
#define VK_NET_NICSPEC_H

#include <stdbool.h>

#include "common/vm/vmdef.h"

/* One --network value. */
struct vk_nicspec {
	bool none;			/* "none": no NIC */
	struct vk_nic nic;		/* otherwise: source and model malloc'd, mac "" when not given */
};

/*
 * Reads virt-install's spellings: "network=NAME", "bridge=BR", "default"
 * (the default network), the older "network:NAME" and "bridge:BR",
 * "type=network|bridge,source=X", vrun's own "tap=NAME", "none", with
 * mac= (mac.address=) and model= (model.type=).  What vrun cannot do
 * ("user", type=direct, ...) is -ENOTSUP with a message saying what to
 * use instead; a malformed value is -EINVAL.  model is NULL when not
 * given.
 */
int vk_nicspec_parse(const char *text, struct vk_nicspec *out);
void vk_nicspec_clear(struct vk_nicspec *s);

#endif
