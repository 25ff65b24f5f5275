/* ids.h - names, UUIDs and MAC addresses of VMs. */
#ifndef VK_IDS_H
#define VK_IDS_H

#include <stdbool.h>

#include "common/vm/vmdef.h"

/* A VM name: 1..VK_NAME_MAX of [A-Za-z0-9_.+-], not starting with '.' or '-'
 * (so "../x", "", ".hidden" and "a/b" are refused with a message). */
int vk_name_check(const char *name);
/* The same rule for other names; what names them in messages ("network name"). */
int vk_name_check_as(const char *name, const char *what);

/* Random version-4 UUID from getrandom(). */
int vk_uuid_generate(char out[VK_UUID_LEN + 1]);
bool vk_uuid_valid(const char *s);

/* Random MAC with KVM's 52:54:00 prefix. */
int vk_mac_generate(char out[VK_MAC_LEN + 1]);
/* Parse "aa:bb:cc:dd:ee:ff" (any case; '-' also accepted), refusing
 * multicast and all-zero addresses; out gets the canonical lower-case form. */
int vk_mac_parse(const char *s, char out[VK_MAC_LEN + 1]);

#endif
