/* x86/cpuid.c - CPUID for the guest: what KVM supports, the hypervisor bit and an SMP topology; initial MSRs. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/util/error.h"
#include "vmm/x86/cpu.h"

#define CPUID_FEATURES			0x1
#define CPUID_1_ECX_HYPERVISOR		(1u << 31)
#define CPUID_1_EDX_HTT			(1u << 28)
#define CPUID_EXT_TOPOLOGY		0xB
#define CPUID_V2_EXT_TOPOLOGY		0x1F
#define CPUID_PERF_MONITORING		0xA
#define TOPO_LEVEL_SMT			1
#define TOPO_LEVEL_CORE			2

#define MSR_IA32_SYSENTER_CS		0x174
#define MSR_IA32_SYSENTER_ESP		0x175
#define MSR_IA32_SYSENTER_EIP		0x176
#define MSR_IA32_MISC_ENABLE		0x1a0
#define MSR_IA32_MISC_ENABLE_FAST_STRING 1ull
#define MSR_STAR			0xc0000081
#define MSR_LSTAR			0xc0000082
#define MSR_CSTAR			0xc0000083
#define MSR_SYSCALL_MASK		0xc0000084
#define MSR_KERNEL_GS_BASE		0xc0000102

/* KVM_MAX_CPUID_ENTRIES in Linux: the first call is big enough.  A call
 * that comes back E2BIG still costs the whole walk (about 1 ms on a PVM
 * host, docs/vmm.md), so starting small only added one. */
#define CPUID_ENTRIES_FIRST_TRY		256

int vk_cpuid_init(struct vk_machine *m)
{
	for (unsigned nent = CPUID_ENTRIES_FIRST_TRY; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

		if (!c)
			return vk_error(ENOMEM, "CPUID");
		c->nent = nent;
		if (ioctl(m->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			m->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return vk_error(errno, "KVM_GET_SUPPORTED_CPUID");
	}
	return vk_errorx(E2BIG, "KVM_GET_SUPPORTED_CPUID: too many entries");
}

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

void vk_cpuid_patch(struct kvm_cpuid2 *cpuid, unsigned apic_id, unsigned ncpus)
{
	for (unsigned i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case CPUID_FEATURES:
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			/* EBX[31:24] initial APIC id, [23:16] logical processors. */
			e->ebx = (e->ebx & 0xffff) | (apic_id << 24) | ((ncpus & 0xff) << 16);
			if (ncpus > 1)
				e->edx |= CPUID_1_EDX_HTT;
			break;
		case CPUID_EXT_TOPOLOGY:
		case CPUID_V2_EXT_TOPOLOGY:
			/* One thread per core, ncpus cores in one package. */
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = (TOPO_LEVEL_SMT << 8) | 0;
			} else if (e->index == 1) {
				e->eax = bits_for(ncpus);
				e->ebx = ncpus;
				e->ecx = (TOPO_LEVEL_CORE << 8) | 1;
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			e->edx = apic_id;
			break;
		case CPUID_PERF_MONITORING:
			/* No PMU: the host's counters would leak and may not work nested. */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		}
	}
}

int vk_cpuid_apply(struct vk_vcpu *vcpu)
{
	const struct kvm_cpuid2 *sup = vcpu->m->cpuid;
	size_t size = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	int rc = 0;

	if (!c)
		return vk_error(ENOMEM, "CPUID");
	memcpy(c, sup, size);
	vk_cpuid_patch(c, vcpu->id, vcpu->m->ncpus);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
		rc = vk_error(errno, "vCPU %u: KVM_SET_CPUID2", vcpu->id);
	free(c);
	return rc;
}

int vk_msrs_init(struct vk_vcpu *vcpu)
{
	static const struct { uint32_t index; uint64_t value; } init[] = {
		{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 }, { MSR_LSTAR, 0 },
		{ MSR_CSTAR, 0 }, { MSR_SYSCALL_MASK, 0 }, { MSR_KERNEL_GS_BASE, 0 },
		{ MSR_IA32_MISC_ENABLE, MSR_IA32_MISC_ENABLE_FAST_STRING },
	};
	enum { N = sizeof(init) / sizeof(init[0]) };
	struct { struct kvm_msrs hdr; struct kvm_msr_entry e[N]; } msrs;
	int done;

	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = N;
	for (unsigned i = 0; i < N; i++) {
		msrs.e[i].index = init[i].index;
		msrs.e[i].data = init[i].value;
	}
	done = ioctl(vcpu->fd, KVM_SET_MSRS, &msrs);
	if (done < 0)
		return vk_error(errno, "vCPU %u: KVM_SET_MSRS", vcpu->id);
	if (done < N)
		vk_debug("vCPU %u: KVM took %d of %d MSRs (MSR 0x%x refused)", vcpu->id, done, N,
			 init[done].index);
	return 0;
}
