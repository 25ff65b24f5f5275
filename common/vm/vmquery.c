/* vmquery.c - a running VM's status and counters asked over its control socket, as the typed replies of vmstats.h. */
#include "config.h"

#include "common/vm/control-client.h"
#include "common/vm/vmstats.h"

int vk_vm_status_get(const char *name, struct vk_vm_status *out)
{
	struct json_object *r = NULL;
	int rc = vk_control_call_vm(name, "status", VK_CONTROL_TIMEOUT_MS, &r);

	if (rc == 0)
		rc = vk_vm_status_parse(r, out);
	json_object_put(r);
	return rc;
}

int vk_vm_sample_get(const char *name, struct vk_vm_sample *out)
{
	struct json_object *r = NULL;
	int rc = vk_control_call_vm(name, "stats", VK_CONTROL_TIMEOUT_MS, &r);

	if (rc == 0)
		rc = vk_vm_sample_parse(r, out);
	json_object_put(r);
	return rc;
}

int vk_vm_nic_ifnames_get(const char *name, char (*names)[VK_VMSTATS_IFNAME_MAX], size_t max, size_t *n)
{
	struct json_object *r = NULL;
	int rc = vk_control_call_vm(name, "stats", VK_CONTROL_TIMEOUT_MS, &r);

	*n = 0;
	if (rc == 0)
		rc = vk_vm_nic_ifnames_parse(r, names, max, n);
	json_object_put(r);
	return rc;
}
