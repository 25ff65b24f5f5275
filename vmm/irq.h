/* irq.h - how devices raise interrupts and get doorbells: the machine implements, tests fake. */
#ifndef VK_IRQ_H
#define VK_IRQ_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Implemented by vmm/irq.c on top of KVM (KVM_IRQ_LINE, KVM_SET_GSI_ROUTING,
 * KVM_IRQFD, KVM_IOEVENTFD).  Device models only call these, so unit tests
 * link a fake (tests/unit/fake-machine.c) that records what was raised.
 */
struct vk_machine;

/* Level of a legacy interrupt line (IOAPIC GSI / ISA IRQ). */
int vk_irq_set_level(struct vk_machine *m, unsigned gsi, bool level);
/* Edge: raise then lower. */
int vk_irq_pulse(struct vk_machine *m, unsigned gsi);

/* An MSI route: a GSI with an eventfd bound through KVM_IRQFD; writing 1 to
 * the eventfd (from any thread) injects the message. */
struct vk_msi {
	int gsi;
	int eventfd;
};
int vk_msi_alloc(struct vk_machine *m, struct vk_msi *out);
/* Point the route at (addr, data); masked routes are kept but not delivered. */
int vk_msi_update(struct vk_machine *m, struct vk_msi *msi, uint64_t addr,
		  uint32_t data, bool masked);
int vk_msi_signal(struct vk_msi *msi);
void vk_msi_free(struct vk_machine *m, struct vk_msi *msi);

/* An eventfd that KVM signals when the guest writes len bytes to the MMIO
 * address addr (any value); the write never exits to userspace. */
int vk_ioeventfd_add(struct vk_machine *m, uint64_t addr, unsigned len, int *eventfd_out);
int vk_ioeventfd_remove(struct vk_machine *m, uint64_t addr, unsigned len, int eventfd);

#endif
