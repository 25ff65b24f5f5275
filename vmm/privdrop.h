/* privdrop.h - vrun --user: become an unprivileged user once /dev/kvm, disks and taps are open. */
#ifndef VK_PRIVDROP_H
#define VK_PRIVDROP_H

#include <sys/types.h>

struct vk_runas {
	char name[64];
	uid_t uid;
	gid_t gid;
};

/* Look the user up (name or numeric uid) and check that the drop can
 * happen: vrun runs as root and the user is not root.  0 or -errno with a
 * message naming the user and what to do. */
int vk_runas_lookup(const char *user, struct vk_runas *out);

/*
 * Become that user for good: supplementary groups reduced to the user's
 * primary group, then real, effective and saved gid and uid.  Call it
 * before starting threads that install seccomp filters (glibc changes the
 * ids of every thread, and the filters forbid it).  Checks afterwards that
 * root cannot be regained.  0 or -errno with a message.
 */
int vk_runas_apply(const struct vk_runas *r);

#endif
