/* fake-machine.h - what the fake vmm/irq.h implementation recorded, for device unit tests. */
#ifndef VK_FAKE_MACHINE_H
#define VK_FAKE_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest-memory.h"

#define FAKE_MAX_GSI 64
#define FAKE_MAX_IOEVENTFD 32

struct fake_route {
	uint64_t addr;
	uint32_t data;
	bool masked;
	unsigned updates;
	unsigned signals;	/* vk_msi_signal() calls on this route */
};

struct fake_machine {
	bool irq_level[FAKE_MAX_GSI];
	unsigned irq_changes;
	unsigned n_msi;
	struct fake_route route[FAKE_MAX_GSI];
	bool ioeventfd_fails;		/* make vk_ioeventfd_add() fail */
	unsigned n_ioeventfd;
	struct { uint64_t addr; unsigned len; int fd; bool live; } ioeventfd[FAKE_MAX_IOEVENTFD];
};

extern struct fake_machine fake;
#define FAKE_MACHINE ((struct vk_machine *)&fake)

void fake_machine_reset(void);
/* Live ioeventfd bound to addr, or -1. */
int fake_ioeventfd_at(uint64_t addr);

/* Guest RAM: one region [0, size) over calloc'd memory. */
struct vk_guest_memory *fake_mem_new(uint64_t size);
void fake_mem_free(struct vk_guest_memory *mem);

#endif
