/* x86/cpu.h - per-vCPU x86 state vrun sets up: CPUID with topology, MSRs, boot registers. */
#ifndef VK_X86_CPU_H
#define VK_X86_CPU_H

#include <stdint.h>

#include "vmm/machine.h"

/* Fetch KVM_GET_SUPPORTED_CPUID once into m->cpuid. */
int vk_cpuid_init(struct vk_machine *m);
/* The supported set with the hypervisor bit and vcpu->id's APIC id and the
 * topology of m->ncpus single-thread cores in one package. */
int vk_cpuid_apply(struct vk_vcpu *vcpu);
/* Patch entries for vCPU apic_id of ncpus; exposed for unit tests. */
void vk_cpuid_patch(struct kvm_cpuid2 *cpuid, unsigned apic_id, unsigned ncpus);
int vk_msrs_init(struct vk_vcpu *vcpu);

#endif
