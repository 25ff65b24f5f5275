/* network.h - virtual networks at run time: net-start and net-destroy, what is running, and the networks a starting VM needs. */
#ifndef VK_NET_NETWORK_H
#define VK_NET_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/net/dhcp.h"
#include "common/net/netdef.h"
#include "common/vm/vmdef.h"

/*
 * A started network keeps what it added in run/net/NAME.json: the bridge
 * it created, its nftables table, its dnsmasq's pid, whether it turned on
 * IPv4 forwarding.  net-destroy removes exactly those.  The file names the
 * boot and the network namespace it was made in: after a reboot the
 * network is not active, whatever the file says.
 */

struct vk_net_status {
	bool active;
	bool bridge_present;		/* the bridge is there */
	bool rules_present;		/* nat: its table is there */
	pid_t dnsmasq;			/* nat: the pid it was started with, 0: none */
	bool dnsmasq_running;		/* ... and it still runs */
	char problem[256];		/* what an active network lacks, "" when nothing */
};

int vk_net_status_get(const struct vk_netdef *def, struct vk_net_status *st);
/* 1 when active, 0 when not (or unknown name: 0 with no message). */
int vk_net_is_active(const char *name);

/*
 * net-start: for nat, the bridge with its address, the table, forwarding,
 * dnsmasq; for bridge, a check that the host's bridge is there.  Checked
 * first, undone on failure.  An active network that lost a part (its
 * dnsmasq died, its table was flushed) gets the part back, and *repaired
 * says so; one that lacks nothing is -EEXIST.  *warning (may be NULL) gets
 * a malloc'd note the user should see (the host's firewall drops forwarded
 * traffic), or NULL.
 */
int vk_net_start(const char *name, bool *repaired, char **warning);
/* net-destroy: removes what net-start added; -ESRCH when not active. */
int vk_net_destroy(const char *name);

/* dnsmasq's files for a network (for its leases). */
int vk_net_dnsmasq_files(const char *name, struct vk_dnsmasq_files *f);

/*
 * Before vrun starts vm: each network its NICs name must be defined
 * ("default" is defined on first use, as libvirt has it) and active.  A
 * network marked autostart that is not active is started (libvirtd would
 * have started it at boot); one that is not marked is an error naming it
 * and "vctl net-start NAME".  A dead dnsmasq is started again.  note
 * (may be NULL) is told what was done, one line each.
 */
int vk_vm_networks_up(const struct vk_vm *vm, void (*note)(const char *line));
/* The bridge a NIC of vm goes on: its own source for bridge NICs, its
 * network's bridge for network NICs (default as planned when not yet
 * defined). */
int vk_nic_bridge(const struct vk_nic *nic, char bridge[VK_IFNAME_MAX + 1]);

/* Starts every network marked autostart that is not active (at host boot,
 * before the VMs); each failure is reported through report and counted. */
int vk_net_start_autostarted(void (*report)(const char *name, const char *msg), size_t *failed);

#endif
