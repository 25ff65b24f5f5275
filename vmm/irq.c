/* irq.c - legacy interrupt lines, MSI routes with irqfd, and ioeventfds on KVM. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/util/error.h"
#include "vmm/irq.h"
#include "vmm/machine.h"

#define ISA_IRQS	16
#define PIC_PINS	8
#define MSI_GSI_MAX	64	/* bits in msi_gsi_used */

static int routing_add(struct vk_machine *m, const struct kvm_irq_routing_entry *e)
{
	if (m->routing->nr == m->routing_cap) {
		unsigned cap = m->routing_cap * 2;
		struct kvm_irq_routing *r = realloc(m->routing, sizeof(*r) + cap * sizeof(*e));

		if (!r)
			return -ENOMEM;
		m->routing = r;
		m->routing_cap = cap;
	}
	m->routing->entries[m->routing->nr++] = *e;
	return 0;
}

static void routing_remove_gsi(struct vk_machine *m, unsigned gsi)
{
	struct kvm_irq_routing *r = m->routing;

	for (unsigned i = 0; i < r->nr; ) {
		if (r->entries[i].gsi == gsi)
			r->entries[i] = r->entries[--r->nr];
		else
			i++;
	}
}

static int routing_commit(struct vk_machine *m)
{
	if (ioctl(m->vm_fd, KVM_SET_GSI_ROUTING, m->routing) < 0)
		return vk_error(errno, "KVM_SET_GSI_ROUTING");
	return 0;
}

/* KVM_SET_GSI_ROUTING replaces the whole table, so we keep the default one
 * (ISA IRQ n on PIC pin n and IOAPIC pin n, PCI GSIs 16-23 on the IOAPIC)
 * ourselves and append MSI routes to it. */
int vk_irq_init(struct vk_machine *m)
{
	int rc = 0;

	pthread_mutex_init(&m->irq_lock, NULL);
	m->routing_cap = 64;
	m->routing = calloc(1, sizeof(*m->routing) + m->routing_cap * sizeof(m->routing->entries[0]));
	if (!m->routing)
		return vk_error(ENOMEM, "interrupt routing");
	for (unsigned gsi = 0; gsi < VK_IOAPIC_PINS && rc == 0; gsi++) {
		struct kvm_irq_routing_entry e = { .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP };

		if (gsi < ISA_IRQS && gsi != 2) {	/* IRQ 2 is the PIC cascade */
			e.u.irqchip.irqchip = gsi < PIC_PINS ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
			e.u.irqchip.pin = gsi % PIC_PINS;
			rc = routing_add(m, &e);
		}
		e.u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e.u.irqchip.pin = gsi;
		if (rc == 0)
			rc = routing_add(m, &e);
	}
	if (rc < 0)
		return vk_error(-rc, "interrupt routing");
	return routing_commit(m);
}

void vk_irq_free(struct vk_machine *m)
{
	free(m->routing);
	m->routing = NULL;
	pthread_mutex_destroy(&m->irq_lock);
}

int vk_irq_set_level(struct vk_machine *m, unsigned gsi, bool level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(m->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return vk_error(errno, "KVM_IRQ_LINE %u", gsi);
	return 0;
}

int vk_irq_pulse(struct vk_machine *m, unsigned gsi)
{
	int rc = vk_irq_set_level(m, gsi, true);

	return rc < 0 ? rc : vk_irq_set_level(m, gsi, false);
}

int vk_msi_alloc(struct vk_machine *m, struct vk_msi *out)
{
	struct kvm_irqfd irqfd = { 0 };
	int rc = 0, efd = -1;
	unsigned n;

	pthread_mutex_lock(&m->irq_lock);
	for (n = 0; n < MSI_GSI_MAX && (m->msi_gsi_used & (1ull << n)); n++)
		;
	if (n == MSI_GSI_MAX) {
		rc = vk_errorx(ENOSPC, "no free MSI interrupt route (%d in use)", MSI_GSI_MAX);
		goto out;
	}
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0) {
		rc = vk_error(errno, "eventfd");
		goto out;
	}
	/* The route itself is installed by vk_msi_update() once the guest
	 * programs it; until then the eventfd injects nothing. */
	irqfd.fd = efd;
	irqfd.gsi = VK_IOAPIC_PINS + n;
	if (ioctl(m->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		rc = vk_error(errno, "KVM_IRQFD");
		goto out;
	}
	m->msi_gsi_used |= 1ull << n;
	out->gsi = (int)irqfd.gsi;
	out->eventfd = efd;
	efd = -1;
out:
	if (efd >= 0)
		close(efd);
	pthread_mutex_unlock(&m->irq_lock);
	return rc;
}

int vk_msi_update(struct vk_machine *m, struct vk_msi *msi, uint64_t addr,
		  uint32_t data, bool masked)
{
	struct kvm_irq_routing_entry e = { .gsi = (unsigned)msi->gsi, .type = KVM_IRQ_ROUTING_MSI };
	int rc = 0;

	e.u.msi.address_lo = (uint32_t)addr;
	e.u.msi.address_hi = (uint32_t)(addr >> 32);
	e.u.msi.data = data;
	pthread_mutex_lock(&m->irq_lock);
	routing_remove_gsi(m, e.gsi);
	if (!masked && routing_add(m, &e) < 0)
		rc = vk_error(ENOMEM, "MSI route");
	if (rc == 0)
		rc = routing_commit(m);
	pthread_mutex_unlock(&m->irq_lock);
	return rc;
}

int vk_msi_signal(struct vk_msi *msi)
{
	uint64_t one = 1;

	if (write(msi->eventfd, &one, sizeof(one)) != sizeof(one))
		return vk_error(errno, "MSI eventfd");
	return 0;
}

void vk_msi_free(struct vk_machine *m, struct vk_msi *msi)
{
	struct kvm_irqfd irqfd = { .fd = msi->eventfd, .gsi = (unsigned)msi->gsi,
				   .flags = KVM_IRQFD_FLAG_DEASSIGN };

	if (msi->eventfd < 0)
		return;
	pthread_mutex_lock(&m->irq_lock);
	ioctl(m->vm_fd, KVM_IRQFD, &irqfd);
	routing_remove_gsi(m, (unsigned)msi->gsi);
	routing_commit(m);
	if (msi->gsi >= VK_IOAPIC_PINS && msi->gsi < VK_IOAPIC_PINS + MSI_GSI_MAX)
		m->msi_gsi_used &= ~(1ull << (msi->gsi - VK_IOAPIC_PINS));
	pthread_mutex_unlock(&m->irq_lock);
	close(msi->eventfd);
	msi->eventfd = -1;
	msi->gsi = -1;
}

static int ioeventfd_ctl(struct vk_machine *m, uint64_t addr, unsigned len, int efd, bool remove)
{
	struct kvm_ioeventfd io = { .addr = addr, .len = len, .fd = efd,
				    .flags = remove ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0 };

	if (ioctl(m->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return vk_error(errno, "KVM_IOEVENTFD at 0x%llx", (unsigned long long)addr);
	return 0;
}

int vk_ioeventfd_add(struct vk_machine *m, uint64_t addr, unsigned len, int *eventfd_out)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), rc;

	if (efd < 0)
		return vk_error(errno, "eventfd");
	rc = ioeventfd_ctl(m, addr, len, efd, false);
	if (rc < 0) {
		close(efd);
		return rc;
	}
	*eventfd_out = efd;
	return 0;
}

int vk_ioeventfd_remove(struct vk_machine *m, uint64_t addr, unsigned len, int eventfd)
{
	int rc = ioeventfd_ctl(m, addr, len, eventfd, true);

	close(eventfd);
	return rc;
}
