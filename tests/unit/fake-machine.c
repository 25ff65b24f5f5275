/* fake-machine.c - vmm/irq.h for unit tests: records interrupts, routes and ioeventfds instead of calling KVM. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/unit/fake-machine.h"
#include "vmm/irq.h"

struct fake_machine fake;

void fake_machine_reset(void)
{
	for (unsigned i = 0; i < fake.n_ioeventfd; i++)
		if (fake.ioeventfd[i].live)
			close(fake.ioeventfd[i].fd);
	memset(&fake, 0, sizeof(fake));
}

int fake_ioeventfd_at(uint64_t addr)
{
	for (unsigned i = 0; i < fake.n_ioeventfd; i++)
		if (fake.ioeventfd[i].live && fake.ioeventfd[i].addr == addr)
			return fake.ioeventfd[i].fd;
	return -1;
}

int vk_irq_set_level(struct vk_machine *m, unsigned gsi, bool level)
{
	if (gsi >= FAKE_MAX_GSI)
		return -EINVAL;
	fake.irq_level[gsi] = level;
	fake.irq_changes++;
	return 0;
}

int vk_irq_pulse(struct vk_machine *m, unsigned gsi)
{
	return vk_irq_set_level(m, gsi, false);
}

int vk_msi_alloc(struct vk_machine *m, struct vk_msi *out)
{
	if (fake.n_msi >= FAKE_MAX_GSI)
		return -ENOSPC;
	out->gsi = fake.n_msi++;
	out->eventfd = -1;
	return 0;
}

int vk_msi_update(struct vk_machine *m, struct vk_msi *msi, uint64_t addr, uint32_t data, bool masked)
{
	struct fake_route *r = &fake.route[msi->gsi];

	r->addr = addr;
	r->data = data;
	r->masked = masked;
	r->updates++;
	return 0;
}

int vk_msi_signal(struct vk_msi *msi)
{
	fake.route[msi->gsi].signals++;
	return 0;
}

void vk_msi_free(struct vk_machine *m, struct vk_msi *msi)
{
	msi->gsi = -1;
}

int vk_ioeventfd_add(struct vk_machine *m, uint64_t addr, unsigned len, int *eventfd_out)
{
	int fd;

	if (fake.ioeventfd_fails || fake.n_ioeventfd >= FAKE_MAX_IOEVENTFD)
		return -ENOSYS;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	fake.ioeventfd[fake.n_ioeventfd].addr = addr;
	fake.ioeventfd[fake.n_ioeventfd].len = len;
	fake.ioeventfd[fake.n_ioeventfd].fd = fd;
	fake.ioeventfd[fake.n_ioeventfd].live = true;
	fake.n_ioeventfd++;
	*eventfd_out = fd;
	return 0;
}

/* Like vmm/irq.c: removing deregisters and closes the eventfd. */
int vk_ioeventfd_remove(struct vk_machine *m, uint64_t addr, unsigned len, int eventfd)
{
	for (unsigned i = 0; i < fake.n_ioeventfd; i++)
		if (fake.ioeventfd[i].live && fake.ioeventfd[i].fd == eventfd &&
		    fake.ioeventfd[i].addr == addr) {
			fake.ioeventfd[i].live = false;
			close(eventfd);
			return 0;
		}
	return -ENOENT;
}

/* Guest RAM for tests, in a malloc'd buffer behind the real translation
 * (vmm/guest-memory.c). */
struct vk_guest_memory *fake_mem_new(uint64_t size)
{
	struct vk_guest_memory *mem = calloc(1, sizeof(*mem));

	if (!mem)
		return NULL;
	mem->regions[0].host = calloc(1, size);
	if (!mem->regions[0].host) {
		free(mem);
		return NULL;
	}
	mem->regions[0].size = size;
	mem->n_regions = 1;
	mem->ram_size = size;
	return mem;
}

void fake_mem_free(struct vk_guest_memory *mem)
{
	if (mem)
		free(mem->regions[0].host);
	free(mem);
}
