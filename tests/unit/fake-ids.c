/* fake-ids.c - the MAC helpers of common/util/ids.h for device tests, with a fixed generated MAC so expected outputs stay the same run to run. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util/ids.h"

int vk_mac_generate(char out[VK_MAC_LEN + 1])
{
	snprintf(out, VK_MAC_LEN + 1, "52:54:00:00:00:01");	/* fixed: tests stay deterministic */
	return 0;
}

int vk_mac_parse(const char *s, char out[VK_MAC_LEN + 1])
{
	unsigned b[6];
	char tail;

	if (strlen(s) != VK_MAC_LEN ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6 ||
	    (b[0] & 1))
		return -EINVAL;
	snprintf(out, VK_MAC_LEN + 1, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	return 0;
}
