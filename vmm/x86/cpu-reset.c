/* x86/cpu-reset.c - the power-on state of each vCPU and of the in-kernel PIC, IOAPIC and PIT: saved before the first KVM_RUN, put back by a reset. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/util/error.h"
#include "vmm/machine.h"

/*
 * KVM has no "reset this vCPU" call: what KVM_CREATE_VCPU leaves (and
 * vk_msrs_init() adds) is the state of a CPU after RESET, so it is read
 * back before any vCPU runs and written again at every reset, as QEMU puts
 * its reset state.  Everything KVM keeps per vCPU goes back: registers,
 * segments and control registers (real mode at F000:FFF0, the APIC base),
 * FPU/SSE/AVX (XSAVE), XCR0, the local APIC, the MP state (the boot CPU
 * runnable, the others waiting for INIT/SIPI), pending events, debug
 * registers, and every MSR KVM lists: kvmclock, steal time, async page
 * faults and PV EOI among them, which would otherwise go on writing into
 * the new boot's memory at the old boot's addresses.
 */

/* MSRs whose write is an action, not state: a write of the wall clock
 * MSR makes KVM write the wall clock into guest memory at that address. */
#define MSR_KVM_WALL_CLOCK	0x11
#define MSR_KVM_WALL_CLOCK_NEW	0x4b564d00
#define MAX_MSRS		1024

/* Which vCPU event fields a restore sets (the rest need capabilities
 * vrun does not enable). */
#define EVENTS_VALID	(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
			 KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM)

struct vk_vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	bool has_xsave, has_xcrs, has_events, has_debugregs;
	struct kvm_xsave xsave;
	struct kvm_fpu fpu;		/* without KVM_CAP_XSAVE */
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	struct kvm_msrs *msrs;		/* with nmsrs entries */
};

struct vk_irqchip_state {
	struct kvm_irqchip chip[3];	/* KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE, _IOAPIC */
	struct kvm_pit_state2 pit;
	bool has_pit;
};

static bool has_cap(const struct vk_machine *m, int cap)
{
	return ioctl(m->kvm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

/* The MSRs KVM saves and restores for migration, less the actions. */
static int msr_index_list(const struct vk_machine *m, struct kvm_msr_list **out)
{
	struct kvm_msr_list *list = calloc(1, sizeof(*list) + MAX_MSRS * sizeof(list->indices[0]));
	unsigned keep = 0;

	if (!list)
		return vk_error(ENOMEM, "MSR list");
	list->nmsrs = MAX_MSRS;
	if (ioctl(m->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		free(list);
		return vk_error(errno, "KVM_GET_MSR_INDEX_LIST");
	}
	for (unsigned i = 0; i < list->nmsrs; i++)
		if (list->indices[i] != MSR_KVM_WALL_CLOCK && list->indices[i] != MSR_KVM_WALL_CLOCK_NEW)
			list->indices[keep++] = list->indices[i];
	list->nmsrs = keep;
	*out = list;
	return 0;
}

/* KVM_GET_MSRS or KVM_SET_MSRS on n entries: how many KVM did (it stops
 * at the first it refuses), or -errno. */
static int msrs_ioctl(int fd, unsigned long req, struct kvm_msr_entry *e, unsigned n)
{
	struct kvm_msrs *call = malloc(sizeof(*call) + n * sizeof(*e));
	int got;

	if (!call)
		return -ENOMEM;
	call->nmsrs = n;
	call->pad = 0;
	memcpy(call->entries, e, n * sizeof(*e));
	got = ioctl(fd, req, call);
	if (got < 0)
		got = -errno;
	else
		memcpy(e, call->entries, n * sizeof(*e));
	free(call);
	return got;
}

/* Read the listed MSRs; one KVM cannot read (a feature this vCPU's CPUID
 * hides) is dropped from the list, which stays for the other vCPUs. */
static int save_msrs(struct vk_vcpu *v, struct kvm_msr_list *list, struct kvm_msrs **out)
{
	struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + list->nmsrs * sizeof(msrs->entries[0]));
	unsigned done = 0;
	int got;

	if (!msrs)
		return vk_error(ENOMEM, "vCPU %u: MSRs", v->id);
	for (unsigned i = 0; i < list->nmsrs; i++)
		msrs->entries[i].index = list->indices[i];
	while (done < list->nmsrs) {
		got = msrs_ioctl(v->fd, KVM_GET_MSRS, &msrs->entries[done], list->nmsrs - done);
		if (got < 0) {
			free(msrs);
			return vk_error(-got, "vCPU %u: KVM_GET_MSRS", v->id);
		}
		done += (unsigned)got;
		if (done < list->nmsrs) {
			vk_debug("vCPU %u: MSR 0x%x cannot be read; a reset leaves it alone", v->id,
				 list->indices[done]);
			list->nmsrs--;
			memmove(&list->indices[done], &list->indices[done + 1],
				(list->nmsrs - done) * sizeof(list->indices[0]));
			memmove(&msrs->entries[done], &msrs->entries[done + 1],
				(list->nmsrs - done) * sizeof(msrs->entries[0]));
		}
	}
	msrs->nmsrs = list->nmsrs;
	*out = msrs;
	return 0;
}

static int save_vcpu(struct vk_vcpu *v, struct kvm_msr_list *list, bool xsave, bool xcrs, bool events,
		     bool debugregs)
{
	struct vk_vcpu_state *s = calloc(1, sizeof(*s));
	int rc = 0;

	if (!s)
		return vk_error(ENOMEM, "vCPU %u: power-on state", v->id);
	v->power_on = s;
	s->has_xsave = xsave;
	s->has_xcrs = xcrs;
	s->has_events = events;
	s->has_debugregs = debugregs;
	if (ioctl(v->fd, KVM_GET_REGS, &s->regs) < 0)
		rc = vk_error(errno, "vCPU %u: KVM_GET_REGS", v->id);
	else if (ioctl(v->fd, KVM_GET_SREGS, &s->sregs) < 0)
		rc = vk_error(errno, "vCPU %u: KVM_GET_SREGS", v->id);
	else if (xsave && ioctl(v->fd, KVM_GET_XSAVE, &s->xsave) < 0)
		rc = vk_error(errno, "vCPU %u: KVM_GET_XSAVE", v->id);
	else if (!xsave && ioctl(v->fd, KVM_GET_FPU, &s->fpu) < 0)
		rc = vk_error(errno, "vCPU %u: KVM_GET_FPU", v->id);
	else if (xcrs && ioctl(v->fd, KVM_GET_XCRS, &s->xcrs) < 0)
		rc = vk_error(errno, "vCPU %u: KVM_GET_XCRS", v->id);
	else if (ioctl(v->fd, KVM_GET_LAPIC, &s->lapic) < 0)
		rc = vk_error(errno, "vCPU %u: KVM_GET_LAPIC", v->id);
	else if (ioctl(v->fd, KVM_GET_MP_STATE, &s->mp) < 0)
		rc = vk_error(errno, "vCPU %u: KVM_GET_MP_STATE", v->id);
	else if (events && ioctl(v->fd, KVM_GET_VCPU_EVENTS, &s->events) < 0)
		rc = vk_error(errno, "vCPU %u: KVM_GET_VCPU_EVENTS", v->id);
	else if (debugregs && ioctl(v->fd, KVM_GET_DEBUGREGS, &s->debugregs) < 0)
		rc = vk_error(errno, "vCPU %u: KVM_GET_DEBUGREGS", v->id);
	else
		rc = save_msrs(v, list, &s->msrs);
	s->events.flags &= EVENTS_VALID;
	return rc;
}

int vk_machine_save_power_on(struct vk_machine *m)
{
	bool xsave = has_cap(m, KVM_CAP_XSAVE), xcrs = has_cap(m, KVM_CAP_XCRS);
	bool events = has_cap(m, KVM_CAP_VCPU_EVENTS), debugregs = has_cap(m, KVM_CAP_DEBUGREGS);
	struct vk_irqchip_state *ic = calloc(1, sizeof(*ic));
	struct kvm_msr_list *list = NULL;
	int rc;

	if (!ic)
		return vk_error(ENOMEM, "irqchip power-on state");
	m->irqchip_power_on = ic;
	for (unsigned i = 0; i < 3; i++) {
		ic->chip[i].chip_id = i;
		if (ioctl(m->vm_fd, KVM_GET_IRQCHIP, &ic->chip[i]) < 0)
			return vk_error(errno, "KVM_GET_IRQCHIP %u", i);
	}
	ic->has_pit = has_cap(m, KVM_CAP_PIT_STATE2);
	if (ic->has_pit && ioctl(m->vm_fd, KVM_GET_PIT2, &ic->pit) < 0)
		return vk_error(errno, "KVM_GET_PIT2");
	rc = msr_index_list(m, &list);
	for (unsigned i = 0; rc == 0 && i < m->ncpus; i++)
		rc = save_vcpu(&m->vcpus[i], list, xsave, xcrs, events, debugregs);
	free(list);
	return rc;
}

/* The MSRs after one KVM refuses are set all the same. */
static int restore_msrs(struct vk_vcpu *v, struct kvm_msrs *msrs)
{
	unsigned done = 0;
	int got;

	while (done < msrs->nmsrs) {
		got = msrs_ioctl(v->fd, KVM_SET_MSRS, &msrs->entries[done], msrs->nmsrs - done);
		if (got < 0)
			return vk_error(-got, "vCPU %u: KVM_SET_MSRS", v->id);
		done += (unsigned)got;
		if (done < msrs->nmsrs) {
			vk_debug("vCPU %u: MSR 0x%x refused its power-on value", v->id, msrs->entries[done].index);
			done++;
		}
	}
	return 0;
}

/* In QEMU's order: SREGS before the MSRs (EFER) and the LAPIC (the APIC
 * base), the MP state before the LAPIC, events last. */
static int restore_vcpu(struct vk_vcpu *v)
{
	const struct vk_vcpu_state *s = v->power_on;
	const char *what = NULL;
	int rc;

	if (ioctl(v->fd, KVM_SET_REGS, &s->regs) < 0)
		what = "KVM_SET_REGS";
	else if (s->has_xsave && ioctl(v->fd, KVM_SET_XSAVE, &s->xsave) < 0)
		what = "KVM_SET_XSAVE";
	else if (!s->has_xsave && ioctl(v->fd, KVM_SET_FPU, &s->fpu) < 0)
		what = "KVM_SET_FPU";
	else if (s->has_xcrs && ioctl(v->fd, KVM_SET_XCRS, &s->xcrs) < 0)
		what = "KVM_SET_XCRS";
	else if (ioctl(v->fd, KVM_SET_SREGS, &s->sregs) < 0)
		what = "KVM_SET_SREGS";
	if (what)
		return vk_error(errno, "vCPU %u: %s", v->id, what);
	if ((rc = restore_msrs(v, s->msrs)) < 0)
		return rc;
	if (ioctl(v->fd, KVM_SET_MP_STATE, &s->mp) < 0)
		what = "KVM_SET_MP_STATE";
	else if (ioctl(v->fd, KVM_SET_LAPIC, &s->lapic) < 0)
		what = "KVM_SET_LAPIC";
	else if (s->has_events && ioctl(v->fd, KVM_SET_VCPU_EVENTS, &s->events) < 0)
		what = "KVM_SET_VCPU_EVENTS";
	else if (s->has_debugregs && ioctl(v->fd, KVM_SET_DEBUGREGS, &s->debugregs) < 0)
		what = "KVM_SET_DEBUGREGS";
	return what ? vk_error(errno, "vCPU %u: %s", v->id, what) : 0;
}

int vk_machine_restore_power_on(struct vk_machine *m)
{
	struct vk_irqchip_state *ic = m->irqchip_power_on;
	int rc = 0;

	if (!ic)
		return vk_errorx(EINVAL, "no power-on state was saved");
	for (unsigned i = 0; i < 3; i++)
		if (ioctl(m->vm_fd, KVM_SET_IRQCHIP, &ic->chip[i]) < 0)
			return vk_error(errno, "KVM_SET_IRQCHIP %u", i);
	if (ic->has_pit && ioctl(m->vm_fd, KVM_SET_PIT2, &ic->pit) < 0)
		return vk_error(errno, "KVM_SET_PIT2");
	for (unsigned i = 0; rc == 0 && i < m->ncpus; i++) {
		rc = restore_vcpu(&m->vcpus[i]);
		atomic_store(&m->vcpus[i].dead_halted, false);
	}
	return rc;
}

void vk_machine_free_power_on(struct vk_machine *m)
{
	for (unsigned i = 0; m->vcpus && i < m->ncpus; i++) {
		if (m->vcpus[i].power_on)
			free(m->vcpus[i].power_on->msrs);
		free(m->vcpus[i].power_on);
		m->vcpus[i].power_on = NULL;
	}
	free(m->irqchip_power_on);
	m->irqchip_power_on = NULL;
}
