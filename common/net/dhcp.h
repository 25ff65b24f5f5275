/* dhcp.h - DHCP and DNS for a NAT network's guests: dnsmasq's configuration, the process, its leases. */
#ifndef VK_NET_DHCP_H
#define VK_NET_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/net/netdef.h"

/* The files of one network's dnsmasq, all under run/net/ of the state
 * directory and private to root. */
struct vk_dnsmasq_files {
	char *conf;			/* its configuration */
	char *pid;			/* its pid file */
	char *leases;			/* its lease database, kept across restarts */
	char *log;			/* its log (log-facility) */
};

int vk_dnsmasq_files_get(const char *network, struct vk_dnsmasq_files *f);
void vk_dnsmasq_files_free(struct vk_dnsmasq_files *f);

/* dnsmasq's configuration for def (malloc'd): DHCP on the bridge only,
 * the fixed hosts, DNS for the guests' names and the definition's
 * records, and it runs as user (after binding, as dnsmasq does). */
char *vk_dnsmasq_conf(const struct vk_netdef *def, const struct vk_dnsmasq_files *f, const char *user);

/* Writes the configuration and starts dnsmasq (it daemonizes, and its
 * parent reports a failed start); *pid is the daemon's. */
int vk_dnsmasq_start(const struct vk_netdef *def, const struct vk_dnsmasq_files *f, pid_t *pid);
/* Whether pid is the dnsmasq started with conf (not a pid reused since). */
bool vk_dnsmasq_is_ours(pid_t pid, const char *conf);
/* Stops it (SIGTERM, then SIGKILL after a few seconds); a pid that is not
 * ours (gone, reused) is left alone.  Removes its pid and configuration
 * files; the leases stay for its next start. */
int vk_dnsmasq_stop(pid_t pid, const struct vk_dnsmasq_files *f);
/* The pid in f->pid, 0 when there is none. */
pid_t vk_dnsmasq_read_pid(const struct vk_dnsmasq_files *f);

struct vk_lease {
	time_t expiry;			/* 0: never */
	char mac[18];
	uint32_t ip;			/* host byte order */
	char hostname[64];		/* "" when the guest gave none */
	char client_id[128];		/* "" when none */
};

/* dnsmasq's lease file (guest-supplied names are checked: a name that is
 * not plain letters, digits, '-', '_' or '.' is shown as "-").  A missing
 * file has no leases. */
int vk_leases_read(const char *path, struct vk_lease **out, size_t *n);

#endif
