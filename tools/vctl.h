/* vctl.h - what vctl's command files share: the options, virsh's table, the checks on a running VM. */
#ifndef VK_TOOLS_VCTL_H
#define VK_TOOLS_VCTL_H

#include <stddef.h>

#include "common/vm/vmdef.h"

/* Every option of every subcommand; each subcommand says which it takes. */
struct vctl_options {
	int all, names, console, remove_storage, disable, config, persistent, live, autostart, no_autostart, force;
	int no_stp, dry_run;
	char *driver, *subdriver, *mode, *type, *cache, *serial, *targetbus, *delay, *mac, *model;
};
extern struct vctl_options opt;

/* virsh's table of cols columns: rows[0] is the header (left out with
 * -q); cells are row-major. */
void vctl_print_table(char *const *cells, size_t rows, size_t cols);
/* Refuses unless the VM runs; *pid (may be NULL) is vrun's. */
int vctl_need_running(const char *name, int *pid);
/* vrun has no hot-plug: a command that changes the definition (cmd names
 * it) needs --config (or --persistent); --live is refused. */
int vctl_need_config(const char *name, const char *cmd);

/* The network commands (tools/vctl-net.c): virsh's net-*, iface-bridge,
 * iface-unbridge, domifaddr and domiflist. */
int vctl_net_list(char **args);
int vctl_net_info(char **args);
int vctl_net_define(char **args);
int vctl_net_undefine(char **args);
int vctl_net_start(char **args);
int vctl_net_destroy(char **args);
int vctl_net_autostart(char **args);
int vctl_net_dhcp_leases(char **args);
int vctl_domifaddr(char **args);
int vctl_attach_interface(char **args);
int vctl_detach_interface(char **args);
int vctl_domiflist(char **args);
int vctl_iface_bridge(char **args);
int vctl_iface_unbridge(char **args);
/* vctl start --autostart: the networks marked autostart first; returns
 * how many failed. */
size_t vctl_start_autostarted_networks(void);

#endif
