/* nicspec.c - virt-install's --network spellings for a NIC: network=, bridge=, default, bridge:BR, none, user. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/util/ids.h"
#include "common/net/netdef.h"
#include "common/net/nicspec.h"
#include "common/util/subopt.h"

static const char *const network_keys[] = { "bridge", "tap", "network", "type", "source", "mac", "mac.address",
					    "model", "model.type", NULL };

void vk_nicspec_clear(struct vk_nicspec *s)
{
	free(s->nic.source);
	free(s->nic.model);
	memset(s, 0, sizeof(*s));
}

static int user_mode(void)
{
	return vk_errorx(ENOTSUP, "--network user: vrun has no user-mode (SLIRP) networking; the default NAT "
			 "network does that job: leave --network out, or give --network network=default");
}

/* The older "bridge:BR" / "network:NAME" first item as key=value; a
 * lone "default" as network=default, as virt-install reads them. */
static int modernize(const char *text, char **out)
{
	size_t first = strcspn(text, ",");
	const char *colon = memchr(text, ':', first);

	*out = NULL;
	if (!strncmp(text, "user", first) && first == 4)
		return user_mode();
	if (first == strlen(VK_NET_DEFAULT) && !strncmp(text, VK_NET_DEFAULT, first)) {
		if (asprintf(out, "network=%s", text) < 0)
			*out = NULL;
	} else if (colon && !memchr(text, '=', first)) {
		size_t kind = (size_t)(colon - text);

		if (!((kind == 6 && !strncmp(text, "bridge", 6)) || (kind == 7 && !strncmp(text, "network", 7))))
			return vk_errorx(EINVAL, "--network %.*s: the old form is bridge:BR or network:NAME",
					 (int)first, text);
		if (asprintf(out, "%.*s=%s", (int)kind, text, colon + 1) < 0)
			*out = NULL;
	} else {
		*out = strdup(text);
	}
	return *out ? 0 : vk_error(ENOMEM, "--network");
}

/* type=...,source=...: the modern form of the same thing. */
static int typed_source(const struct vk_subopts *so, const char **bridge, const char **net)
{
	const char *type = vk_subopts_get(so, "type"), *source = vk_subopts_get(so, "source");

	if (!type) {
		if (source)
			return vk_errorx(EINVAL, "--network source= goes with type=network or type=bridge");
		return 0;
	}
	if (!strcmp(type, "user"))
		return user_mode();
	if (strcmp(type, "network") && strcmp(type, "bridge"))
		return vk_errorx(ENOTSUP, "--network type=%s: vrun puts NICs on a bridge or a network only; for a "
				 "guest on the host's LAN use a bridge (vctl iface-bridge eth0 br0, then --network "
				 "bridge=br0)", type);
	if (!strcmp(type, "network") && !*net)
		*net = source ? source : VK_NET_DEFAULT;
	if (!strcmp(type, "bridge") && !*bridge) {
		if (!source)
			return vk_errorx(EINVAL, "--network type=bridge: name the bridge (source=BR or bridge=BR)");
		*bridge = source;
	}
	if ((!strcmp(type, "network") && *bridge) || (!strcmp(type, "bridge") && *net))
		return vk_errorx(EINVAL, "--network type=%s does not go with %s=", type,
				 *bridge ? "bridge" : "network");
	return 0;
}

static int nic_from(const struct vk_subopts *so, const char *text, struct vk_nicspec *out)
{
	const char *bridge = vk_subopts_get(so, "bridge"), *tap = vk_subopts_get(so, "tap"),
		   *net = vk_subopts_get(so, "network"), *mac = vk_subopts_get(so, "mac"),
		   *model = vk_subopts_get(so, "model");
	int rc = typed_source(so, &bridge, &net);

	if (rc < 0)
		return rc;
	if (!mac)
		mac = vk_subopts_get(so, "mac.address");
	if (!model)
		model = vk_subopts_get(so, "model.type");
	if (!!bridge + !!tap + !!net > 1)
		return vk_errorx(EINVAL, "--network %s: give one of network=, bridge= and tap=", text);
	if (!bridge && !tap && !net)
		return vk_errorx(EINVAL, "--network %s: say where the NIC goes: network=NAME (network=default: NAT), "
				 "bridge=BR or tap=NAME", text);
	if (bridge && !*bridge)
		return vk_errorx(EINVAL, "--network: bridge= needs a name");
	if (tap && !*tap)
		return vk_errorx(EINVAL, "--network: tap= needs a name");
	if (net && (rc = vk_name_check_as(net, "network name")) < 0)
		return vk_error_prefix(rc, "--network");
	if (mac && (rc = vk_mac_parse(mac, out->nic.mac)) < 0)
		return vk_error_prefix(rc, "--network mac");
	out->nic.kind = net ? VK_NIC_NETWORK : tap ? VK_NIC_TAP : VK_NIC_BRIDGE;
	out->nic.source = strdup(net ? net : tap ? tap : bridge);
	if (!out->nic.source || (model && !(out->nic.model = strdup(model))))
		return vk_error(ENOMEM, "--network");
	return 0;
}

int vk_nicspec_parse(const char *text, struct vk_nicspec *out)
{
	struct vk_subopts so = { 0 };
	char *modern = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!strcmp(text, "none")) {
		out->none = true;
		return 0;
	}
	rc = modernize(text, &modern);
	if (rc == 0)
		rc = vk_subopts_parse(modern, network_keys, NULL, "--network", &so);
	if (rc == 0)
		rc = nic_from(&so, text, out);
	if (rc < 0)
		vk_nicspec_clear(out);
	vk_subopts_free(&so);
	free(modern);
	return rc;
}
