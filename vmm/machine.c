/* machine.c - open KVM, check its capabilities, create the VM, its RAM, irqchip and PIT. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "vmm/machine.h"

#define KVM_DEV			"/dev/kvm"
#define KVM_API_VERSION_WANTED	12
#define ISA_BIOS_SIZE		(128 * 1024)	/* last 128 KiB of firmware, aliased below 1 MiB */
#define ISA_BIOS_BASE		0xE0000ull
#define OPTION_ROM_BASE		0xC0000ull	/* option ROMs, shadowed by the firmware */
#define FIRMWARE_MAX		(16u * 1024 * 1024)
#define TSS_ADDR		0xFFFBD000ull	/* 3 pages KVM needs on Intel, out of RAM */
#define IDENTITY_MAP_ADDR	0xFFFBC000ull

static const struct { int cap; const char *name; } required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

bool vk_host_is_pvm(void)
{
	struct stat st;
	char line[4096];
	bool hw_virt = false;
	FILE *f;

	if (stat("/sys/module/kvm_pvm", &st) < 0)
		return false;
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return true;
	while (!hw_virt && fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0)
			hw_virt = strstr(line, " vmx") || strstr(line, " svm");
	fclose(f);
	return !hw_virt;
}

static int open_kvm(struct vk_machine *m)
{
	int version;

	m->kvm_fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (m->kvm_fd < 0) {
		if (errno == ENOENT)
			return vk_errorx(ENOENT, "%s does not exist: this host has no KVM "
					 "(load kvm_intel or kvm_amd, or enable virtualization in the firmware)",
					 KVM_DEV);
		if (errno == EACCES)
			return vk_error(errno, "%s (add yourself to the 'kvm' group)", KVM_DEV);
		return vk_error(errno, "%s", KVM_DEV);
	}
	version = ioctl(m->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION_WANTED)
		return vk_errorx(ENOTSUP, "%s: KVM API version %d, vrun needs %d",
				 KVM_DEV, version, KVM_API_VERSION_WANTED);
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++)
		if (ioctl(m->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
			return vk_errorx(ENOTSUP, "%s: KVM lacks %s, which vrun needs (kernel too old?)",
					 KVM_DEV, required_caps[i].name);
	m->run_size = ioctl(m->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (m->run_size <= 0)
		return vk_error(errno, "KVM_GET_VCPU_MMAP_SIZE");
	return 0;
}

static int add_slot(struct vk_machine *m, uint64_t gpa, uint64_t size, void *host, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = m->next_slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)host,
	};

	if (ioctl(m->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return vk_error(errno, "KVM_SET_USER_MEMORY_REGION at 0x%llx", (unsigned long long)gpa);
	m->next_slot++;
	return 0;
}

static void add_region(struct vk_machine *m, uint64_t gpa, uint64_t size, uint8_t *host)
{
	struct vk_mem_region *r = &m->mem.regions[m->mem.n_regions++];

	r->gpa = gpa;
	r->size = size;
	r->host = host;
	m->mem.ram_size += size;
}

static int setup_ram(struct vk_machine *m, uint64_t ram_mib)
{
	uint64_t low, high;
	int rc;

	m->ram_size = ram_mib << 20;
	m->ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->ram == MAP_FAILED) {
		m->ram = NULL;
		return vk_error(errno, "cannot map %llu MiB of guest memory", (unsigned long long)ram_mib);
	}
	madvise(m->ram, m->ram_size, MADV_MERGEABLE);
	low = m->ram_size < VK_PCI_HOLE_START ? m->ram_size : VK_PCI_HOLE_START;
	high = m->ram_size - low;
	rc = add_slot(m, 0, low, m->ram, 0);
	if (rc == 0)
		add_region(m, 0, low, m->ram);
	if (rc == 0 && high) {
		rc = add_slot(m, VK_4GIB, high, m->ram + low, 0);
		if (rc == 0)
			add_region(m, VK_4GIB, high, m->ram + low);
	}
	return rc;
}

int vk_machine_init(struct vk_machine *m, uint64_t ram_mib, unsigned ncpus)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int rc;

	memset(m, 0, sizeof(*m));
	m->kvm_fd = m->vm_fd = m->stop_efd = m->reset_efd = -1;
	atomic_init(&m->stop_status, -1);
	pthread_mutex_init(&m->pause_lock, NULL);
	pthread_cond_init(&m->pause_cond, NULL);
	m->ncpus = ncpus;
	m->pvm = vk_host_is_pvm();
	rc = open_kvm(m);
	if (rc < 0)
		return rc;
	if ((unsigned)ioctl(m->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS) < ncpus &&
	    (unsigned)ioctl(m->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS) < ncpus)
		return vk_errorx(EINVAL, "KVM supports fewer than %u vCPUs", ncpus);
	m->vm_fd = ioctl(m->kvm_fd, KVM_CREATE_VM, 0);
	if (m->vm_fd < 0)
		return vk_error(errno, "KVM_CREATE_VM");
	m->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	m->reset_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->stop_efd < 0 || m->reset_efd < 0)
		return vk_error(errno, "eventfd");
	/* Intel needs these pages out of RAM before the first vCPU; AMD ignores them. */
	if (ioctl(m->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)TSS_ADDR) < 0)
		return vk_error(errno, "KVM_SET_TSS_ADDR");
	uint64_t idmap = IDENTITY_MAP_ADDR;
	if (ioctl(m->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		vk_debug("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	rc = setup_ram(m, ram_mib);
	if (rc < 0)
		return rc;
	if (ioctl(m->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return vk_error(errno, "KVM_CREATE_IRQCHIP");
	if (ioctl(m->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return vk_error(errno, "KVM_CREATE_PIT2");
	return vk_irq_init(m);
}

/* As on a PC (and QEMU -bios): the last 128 KiB also answer below 1 MiB,
 * so real-mode code keeps running after a far jump to F000:xxxx. */
static int copy_isa_bios(struct vk_machine *m)
{
	uint64_t isa = m->firmware_size < ISA_BIOS_SIZE ? m->firmware_size : ISA_BIOS_SIZE;

	return vk_gpa_write(&m->mem, ISA_BIOS_BASE + ISA_BIOS_SIZE - isa, m->firmware + m->firmware_size - isa,
			    isa);
}

int vk_machine_load_firmware(struct vk_machine *m, const char *path)
{
	struct stat st;
	uint64_t size;
	uint32_t flags = 0;
	int fd, rc = 0;
	ssize_t got;

	rc = vk_open_input(path, O_RDONLY, VK_INPUT_REGULAR, "firmware", &fd);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0) {
		rc = vk_error(errno, "%s", path);
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > FIRMWARE_MAX || st.st_size % 4096) {
		rc = vk_errorx(EINVAL, "%s: firmware must be a multiple of 4 KiB and at most %u MiB "
			       "(it is %lld bytes)", path, FIRMWARE_MAX >> 20, (long long)st.st_size);
		goto out;
	}
	size = (uint64_t)st.st_size;
	m->firmware = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->firmware == MAP_FAILED) {
		m->firmware = NULL;
		rc = vk_error(errno, "%s", path);
		goto out;
	}
	m->firmware_size = size;
	got = pread(fd, m->firmware, size, 0);
	if (got != (ssize_t)size) {
		rc = got < 0 ? vk_error(errno, "%s", path) : vk_errorx(EIO, "%s: short read", path);
		goto out;
	}
	/* ROM, as QEMU maps -bios: a guest's write to it exits as MMIO to
	 * nobody and is dropped.  A KVM without read-only slots gets RAM. */
	if (ioctl(m->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0)
		flags = KVM_MEM_READONLY;
	else
		vk_debug("%s: KVM has no read-only memory: the firmware is writable", path);
	rc = add_slot(m, VK_4GIB - size, size, m->firmware, flags);
	if (rc < 0)
		goto out;
	if (flags && mprotect(m->firmware, size, PROT_READ) < 0)
		vk_debug("%s: mprotect: %s", path, strerror(errno));
	rc = copy_isa_bios(m);
	if (rc < 0)
		rc = vk_errorx(EINVAL, "%s: the guest needs at least 1 MiB of RAM for the firmware", path);
out:
	close(fd);
	return rc;
}

int vk_machine_restore_bios_area(struct vk_machine *m)
{
	uint8_t *area = vk_gpa_to_host(&m->mem, OPTION_ROM_BASE, ISA_BIOS_BASE + ISA_BIOS_SIZE - OPTION_ROM_BASE);

	if (!m->firmware || !area)
		return vk_errorx(EINVAL, "no firmware, or no RAM below 1 MiB for it");
	/* Empty, as at power-on: the firmware copies option ROMs there again. */
	memset(area, 0, ISA_BIOS_BASE + ISA_BIOS_SIZE - OPTION_ROM_BASE);
	return copy_isa_bios(m);
}

void vk_machine_stop(struct vk_machine *m, int status, const char *fmt, ...)
{
	int running = -1;
	uint64_t one = 1;
	va_list ap;

	if (status == VK_EXIT_POWEROFF && atomic_exchange(&m->reboot_at_poweroff, false)) {
		vk_machine_request_reset(m, VK_RESET_POWEROFF_REBOOT);
		return;
	}
	if (!atomic_compare_exchange_strong(&m->stop_status, &running, status))
		return;
	va_start(ap, fmt);
	vsnprintf(m->stop_reason, sizeof(m->stop_reason), fmt, ap);
	va_end(ap);
	if (write(m->stop_efd, &one, sizeof(one)) < 0)
		vk_debug("stop eventfd: %s", strerror(errno));
}

static const struct {
	const char *name;		/* in the log of a reset in place */
	const char *stop;		/* the stop reason under --no-reboot */
} reset_causes[] = {
	[VK_RESET_ACPI] = { "ACPI reset", "guest reset through the ACPI reset register" },
	[VK_RESET_I8042] = { "keyboard controller reset", "guest reset through the keyboard controller" },
	[VK_RESET_PIIX] = { "reset control register 0xCF9", "guest rebooted (port 0xCF9)" },
	[VK_RESET_SYSTEM_EVENT] = { "KVM system reset event", "guest rebooted" },
	[VK_RESET_CONTROL] = { "reset from the control socket", "reset from the control socket" },
	[VK_RESET_POWEROFF_REBOOT] = { "powered off after 'reboot' on the control socket",
				       "guest powered off after 'reboot' on the control socket" },
};

const char *vk_reset_cause_name(enum vk_reset_cause cause)
{
	return (unsigned)cause < sizeof(reset_causes) / sizeof(reset_causes[0]) ? reset_causes[cause].name : "reset";
}

void vk_machine_request_reset(struct vk_machine *m, enum vk_reset_cause cause)
{
	bool idle = false;
	uint64_t one = 1;

	if (m->no_reboot) {
		vk_machine_stop(m, VK_EXIT_REBOOT, "%s", (unsigned)cause < sizeof(reset_causes) /
				sizeof(reset_causes[0]) ? reset_causes[cause].stop : "guest rebooted");
		return;
	}
	/* A second request while one waits (another vCPU's, or the guest
	 * writing the register twice) is the same reset. */
	if (!atomic_compare_exchange_strong(&m->reset_pending, &idle, true))
		return;
	atomic_store(&m->reset_cause, (int)cause);
	/* The asking vCPU parks at its next turn instead of running on. */
	atomic_fetch_or(&m->park, VK_PARK_RESET);
	if (write(m->reset_efd, &one, sizeof(one)) < 0)
		vk_debug("reset eventfd: %s", strerror(errno));
}

void vk_machine_reboot_at_poweroff(struct vk_machine *m)
{
	atomic_store(&m->reboot_at_poweroff, true);
}

bool vk_machine_reset_pending(struct vk_machine *m, enum vk_reset_cause *cause)
{
	uint64_t n;

	if (read(m->reset_efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		vk_debug("reset eventfd: %s", strerror(errno));
	if (!atomic_load(&m->reset_pending))
		return false;
	*cause = (enum vk_reset_cause)atomic_load(&m->reset_cause);
	return true;
}

void vk_machine_reset_done(struct vk_machine *m)
{
	atomic_store(&m->reset_pending, false);
	pthread_mutex_lock(&m->pause_lock);
	atomic_fetch_and(&m->park, ~VK_PARK_RESET);
	pthread_cond_broadcast(&m->pause_cond);
	pthread_mutex_unlock(&m->pause_lock);
}

bool vk_machine_stopping(const struct vk_machine *m)
{
	return atomic_load(&m->stop_status) != -1;
}

void vk_machine_free(struct vk_machine *m)
{
	vk_bus_free(&m->pio);
	vk_bus_free(&m->mmio);
	if (m->routing)
		vk_irq_free(m);
	free(m->cpuid);
	vk_machine_free_power_on(m);
	for (unsigned i = 0; m->vcpus && i < m->ncpus; i++) {
		if (m->vcpus[i].run)
			munmap(m->vcpus[i].run, (size_t)m->run_size);
		if (m->vcpus[i].fd > 0)
			close(m->vcpus[i].fd);
	}
	free(m->vcpus);
	if (m->ram)
		munmap(m->ram, m->ram_size);
	if (m->firmware)
		munmap(m->firmware, m->firmware_size);
	if (m->stop_efd >= 0)
		close(m->stop_efd);
	if (m->reset_efd >= 0)
		close(m->reset_efd);
	if (m->vm_fd >= 0)
		close(m->vm_fd);
	if (m->kvm_fd >= 0)
		close(m->kvm_fd);
	pthread_cond_destroy(&m->pause_cond);
	pthread_mutex_destroy(&m->pause_lock);
}
