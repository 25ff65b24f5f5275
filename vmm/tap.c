/* tap.c - host tap devices for virtio-net: open with the virtio net header, bring up, attach to a bridge. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util/error.h"
#include "vmm/tap.h"

int vk_tap_open(const char *name, char ifname[IFNAMSIZ], int *fd_out)
{
	struct ifreq ifr = { 0 };
	int fd, hdr_len = VK_VNET_HDR_LEN, rc;

	if (name && strlen(name) >= IFNAMSIZ)
		return vk_errorx(EINVAL, "tap %s: name longer than %d characters", name, IFNAMSIZ - 1);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return vk_error(errno, "/dev/net/tun (is the tun module loaded?)");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name && *name ? name : "vk%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = vk_error(errno, "tap %s: TUNSETIFF (creating a tap needs CAP_NET_ADMIN)", ifr.ifr_name);
		goto fail;
	}
	/* No offloads: the guest sends and receives plain frames, so we
	 * never have to trust its checksum or segmentation metadata. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		rc = vk_error(errno, "tap %s: setting the virtio net header", ifr.ifr_name);
		goto fail;
	}
	snprintf(ifname, IFNAMSIZ, "%s", ifr.ifr_name);
	*fd_out = fd;
	return 0;
fail:
	close(fd);
	return rc;
}

int vk_tap_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (s < 0)
		return vk_error(errno, "socket");
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = vk_error(errno, "tap %s: SIOCGIFFLAGS", ifname);
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		rc = vk_error(errno, "tap %s: cannot set the interface up", ifname);
out:
	close(s);
	return rc;
}

int vk_tap_attach_bridge(const char *ifname, const char *bridge)
{
	struct ifreq ifr = { 0 };
	int s, rc = 0;

	ifr.ifr_ifindex = if_nametoindex(ifname);
	if (!ifr.ifr_ifindex)
		return vk_error(errno, "tap %s", ifname);
	if (strlen(bridge) >= IFNAMSIZ)
		return vk_errorx(EINVAL, "bridge %s: name too long", bridge);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", bridge);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return vk_error(errno, "socket");
	if (ioctl(s, SIOCBRADDIF, &ifr) < 0)
		rc = vk_error(errno, "bridge %s: cannot add %s (does the bridge exist?)", bridge, ifname);
	close(s);
	return rc;
}
