/* nat.h - a NAT network's nftables rules: one table of its own (inet vkit-NAME), added and removed whole. */
#ifndef VK_NET_NAT_H
#define VK_NET_NAT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/net/netdef.h"

#define VK_NAT_TABLE_FAMILY "inet"
#define VK_NAT_TABLE_PREFIX "vkit-"

/* "vkit-NAME": every rule a network adds lives in this table and nowhere
 * else, so removing the table removes exactly what was added, and the
 * host's own tables are never touched. */
void vk_nat_table_name(const char *network, char *buf, size_t len);

/* nft's JSON input that (re)creates the table for def: masquerading of
 * the subnet's traffic to anywhere else, forwarding for it and its
 * replies, guest to guest on the bridge, and nothing else through the
 * bridge (as libvirt's NAT mode).  malloc'd. */
char *vk_nat_ruleset(const struct vk_netdef *def);

/* nft's path, or -ENOENT saying to install nftables. */
int vk_nat_find_nft(char **out);
/* Creates (or replaces) the network's table, in one nft transaction. */
int vk_nat_add(const struct vk_netdef *def);
/* Deletes the network's table; one that is not there is not an error. */
int vk_nat_remove(const char *network);
/* What is there of def's table: 0 nothing, 1 all its rules, 2 the table
 * with rules missing (flushed, edited by hand). */
int vk_nat_state(const struct vk_netdef *def);
/*
 * The host's own forward hooks that drop by default (a firewall, Docker's
 * "ip filter FORWARD"): a packet must pass every base chain on a hook, so
 * guests' traffic stops there whatever our table says.  Returns how many
 * (0 when none, or nft could not tell) and their "family table chain"
 * names in *names (NULL-terminated, free with vk_strv_free()).
 */
int vk_nat_host_forward_drops(char ***names);

#endif
