/* x86/linux.c - boot a bzImage through its 64-bit entry: zero page, e820, initrd, page tables, registers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "vmm/x86/boot.h"

#define LOADER_TYPE_UNDEFINED	0xff
#define PAGE_SIZE		4096ull
#define PTE_PRESENT_RW		0x3ull
#define PDE_2MIB_PAGE		0x83ull	/* present, writable, page size */
#define IDENTITY_MAPPED_GIB	4
#define CR0_PE			(1ull << 0)
#define CR0_ET			(1ull << 4)
#define CR0_NE			(1ull << 5)
#define CR0_PG			(1ull << 31)
#define CR4_PAE			(1ull << 5)
#define EFER_LME		(1ull << 8)
#define EFER_LMA		(1ull << 10)
#define BOOT_CS			0x10	/* __BOOT_CS in Linux */
#define BOOT_DS			0x18
#define EBDA_SEGMENT_PTR	0x40e	/* BIOS data area: segment of the EBDA */

struct file_map {
	uint8_t *data;
	size_t len;
};

/* The file behind fd, mapped for reading (kernel and initrd are read
 * once per boot, from the descriptors vk_linux_open() keeps). */
static int map_file(int fd, const char *path, const char *what, struct file_map *f)
{
	struct stat st;

	f->data = NULL;
	f->len = 0;
	if (fstat(fd, &st) < 0)
		return vk_error(errno, "%s %s", what, path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return vk_errorx(EINVAL, "%s %s: not a regular, non-empty file", what, path);
	f->len = (size_t)st.st_size;
	f->data = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f->data == MAP_FAILED) {
		f->data = NULL;
		return vk_error(errno, "%s %s", what, path);
	}
	return 0;
}

int vk_linux_open(struct vk_linux_boot *b)
{
	int rc;

	b->kernel_fd = b->initrd_fd = -1;
	rc = vk_open_input(b->kernel, O_RDONLY, VK_INPUT_REGULAR, "kernel", &b->kernel_fd);
	if (rc == 0 && b->initrd)
		rc = vk_open_input(b->initrd, O_RDONLY, VK_INPUT_REGULAR, "initrd", &b->initrd_fd);
	if (rc < 0)
		vk_linux_close(b);
	return rc;
}

void vk_linux_close(struct vk_linux_boot *b)
{
	if (b->kernel_fd >= 0)
		close(b->kernel_fd);
	if (b->initrd_fd >= 0)
		close(b->initrd_fd);
	b->kernel_fd = b->initrd_fd = -1;
}

static void unmap_file(struct file_map *f)
{
	if (f->data)
		munmap(f->data, f->len);
}

static int write_page_tables(struct vk_machine *m)
{
	uint64_t pml4 = VK_BOOT_PML4, pdpt = pml4 + PAGE_SIZE, pd = pdpt + PAGE_SIZE;
	uint64_t *p = vk_gpa_to_host(&m->mem, pml4, (2 + IDENTITY_MAPPED_GIB) * PAGE_SIZE);

	if (!p)
		return vk_errorx(ENOMEM, "guest memory too small for page tables");
	memset(p, 0, (2 + IDENTITY_MAPPED_GIB) * PAGE_SIZE);
	p[0] = pdpt | PTE_PRESENT_RW;
	for (unsigned g = 0; g < IDENTITY_MAPPED_GIB; g++) {
		p[512 + g] = (pd + g * PAGE_SIZE) | PTE_PRESENT_RW;
		for (unsigned i = 0; i < 512; i++)
			p[1024 + g * 512 + i] = ((uint64_t)g << 30 | (uint64_t)i << 21) | PDE_2MIB_PAGE;
	}
	return 0;
}

static int write_gdt(struct vk_machine *m)
{
	static const uint64_t gdt[] = {
		0, 0,
		0x00af9b000000ffffull,	/* BOOT_CS: 64-bit code */
		0x00cf93000000ffffull,	/* BOOT_DS: flat data */
	};

	return vk_gpa_write(&m->mem, VK_BOOT_GDT, gdt, sizeof(gdt));
}

static int set_boot_registers(struct vk_vcpu *v, uint64_t entry)
{
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = BOOT_CS,
				    .type = 0xb, .present = 1, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = BOOT_DS,
				    .type = 0x3, .present = 1, .s = 1, .db = 1, .g = 1 };
	struct kvm_regs regs = { .rip = entry, .rsi = VK_BOOT_ZERO_PAGE, .rflags = 0x2 };
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return vk_error(errno, "KVM_GET_SREGS");
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr.type = 0xb;	/* busy 64-bit TSS: entry checks want one */
	s.tr.present = 1;
	s.tr.limit = 0x67;
	s.tr.selector = 0;
	s.gdt.base = VK_BOOT_GDT;
	s.gdt.limit = 4 * 8 - 1;
	s.cr3 = VK_BOOT_PML4;
	s.cr4 = CR4_PAE;
	s.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s.efer = EFER_LME | EFER_LMA;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return vk_error(errno, "KVM_SET_SREGS");
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return vk_error(errno, "KVM_SET_REGS");
	return 0;
}

static uint64_t low_ram_end(const struct vk_machine *m)
{
	return m->ram_size < VK_PCI_HOLE_START ? m->ram_size : VK_PCI_HOLE_START;
}

static int load_initrd(struct vk_machine *m, const struct vk_bzimage *bz, uint64_t kernel_end,
		       int fd, const char *path, struct boot_params *zp)
{
	struct file_map f;
	uint64_t top = low_ram_end(m), addr;
	int rc = map_file(fd, path, "initrd", &f);

	if (rc < 0)
		return rc;
	if (bz->initrd_addr_max && top > (uint64_t)bz->initrd_addr_max + 1)
		top = (uint64_t)bz->initrd_addr_max + 1;
	addr = (top - f.len) & ~(PAGE_SIZE - 1);
	if (f.len > top || addr < kernel_end) {
		rc = vk_errorx(ENOMEM, "initrd %s (%zu MiB) does not fit below 0x%llx next to the kernel; "
			       "give the guest more --memory", path, f.len >> 20,
			       (unsigned long long)top);
		goto out;
	}
	rc = vk_gpa_write(&m->mem, addr, f.data, f.len);
	if (rc < 0) {
		rc = vk_errorx(ENOMEM, "initrd %s does not fit in guest memory", path);
		goto out;
	}
	zp->hdr.ramdisk_image = (uint32_t)addr;
	zp->hdr.ramdisk_size = (uint32_t)f.len;
	zp->ext_ramdisk_image = (uint32_t)(addr >> 32);
	zp->ext_ramdisk_size = (uint32_t)((uint64_t)f.len >> 32);
out:
	unmap_file(&f);
	return rc;
}

int vk_linux_load(struct vk_machine *m, const struct vk_linux_boot *b)
{
	struct file_map k = { 0 };
	struct vk_bzimage bz;
	struct boot_params *zp;
	uint64_t load, kernel_end;
	const char *cmdline = b->cmdline ? b->cmdline : "";
	uint8_t mptable[4096];
	size_t mp_len, cmd_len = strlen(cmdline);
	int rc;

	rc = map_file(b->kernel_fd, b->kernel, "kernel", &k);
	if (rc < 0)
		return rc;
	rc = vk_bzimage_parse(k.data, k.len, &bz);
	if (rc < 0) {
		rc = vk_error_prefix(rc, "kernel %s", b->kernel);
		goto out;
	}
	/* A relocatable kernel moves itself where it wants to run; others must
	 * be loaded at their preferred address. */
	load = bz.relocatable ? VK_BOOT_KERNEL : bz.pref_address;
	kernel_end = (bz.pref_address > load ? bz.pref_address : load) + bz.init_size;
	if (kernel_end > low_ram_end(m) || vk_gpa_write(&m->mem, load, k.data + bz.kernel_offset, bz.kernel_size) < 0) {
		rc = vk_errorx(ENOMEM, "kernel %s needs %llu MiB of guest memory; give it more --memory",
			       b->kernel, (unsigned long long)(kernel_end >> 20) + 1);
		goto out;
	}
	if (cmd_len >= VK_BOOT_CMDLINE_MAX || (bz.cmdline_size && cmd_len > bz.cmdline_size)) {
		rc = vk_errorx(E2BIG, "kernel command line is %zu bytes; this kernel takes at most %u",
			       cmd_len, bz.cmdline_size);
		goto out;
	}
	zp = vk_gpa_to_host(&m->mem, VK_BOOT_ZERO_PAGE, sizeof(*zp));
	if (!zp || vk_gpa_write(&m->mem, VK_BOOT_CMDLINE, cmdline, cmd_len + 1) < 0) {
		rc = vk_errorx(ENOMEM, "guest memory too small");
		goto out;
	}
	memset(zp, 0, sizeof(*zp));
	memcpy((uint8_t *)zp + 0x1f1, k.data + 0x1f1, bz.header_end - 0x1f1);
	zp->hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	zp->hdr.loadflags = bz.loadflags | CAN_USE_HEAP;
	zp->hdr.heap_end_ptr = 0xfe00;
	zp->hdr.code32_start = (uint32_t)load;
	zp->hdr.cmd_line_ptr = (uint32_t)VK_BOOT_CMDLINE;
	zp->acpi_rsdp_addr = b->acpi_rsdp;	/* Linux also scans 0xE0000 for it */
	zp->e820_entries = (uint8_t)vk_e820_build(m->ram_size, zp->e820_table,
						  sizeof(zp->e820_table) / sizeof(zp->e820_table[0]));
	if (b->initrd) {
		rc = load_initrd(m, &bz, kernel_end, b->initrd_fd, b->initrd, zp);
		if (rc < 0)
			goto out;
	}
	mp_len = vk_mptable_build(mptable, sizeof(mptable), (uint32_t)VK_MPTABLE_BASE,
				  m->ncpus, b->intx, b->n_intx);
	if (mp_len == 0 || vk_gpa_write(&m->mem, VK_MPTABLE_BASE, mptable, mp_len) < 0) {
		rc = vk_errorx(E2BIG, "MP table does not fit for %u vCPUs", m->ncpus);
		goto out;
	}
	uint16_t ebda = (uint16_t)(VK_MPTABLE_BASE >> 4);
	rc = vk_gpa_write(&m->mem, EBDA_SEGMENT_PTR, &ebda, sizeof(ebda));
	if (rc == 0)
		rc = write_gdt(m);
	if (rc == 0)
		rc = write_page_tables(m);
	if (rc == 0)
		rc = set_boot_registers(&m->vcpus[0], load + 0x200);	/* startup_64 */
out:
	unmap_file(&k);
	return rc;
}
