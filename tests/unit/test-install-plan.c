/* test-install-plan.c - virt-install's options mapped to a plan (common/vm/install.h), with no tool in between. */
#include "config.h"
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "common/media/osvariant.h"
#include "common/util/size.h"
#include "common/vm/install.h"
#include "common/vm/install-internal.h"

static char tmpdir[64], kernel[128], tree[128];
static FILE *sink;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vkit-install-plan.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	setenv("VKIT_DIR", path, 1);
	setenv("VKIT_TEMPLATEDIR", VK_SRC_TEMPLATEDIR, 1);
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", tmpdir);
	write_file(kernel, "kernel");
	/* A local install tree laid out as Debian's. */
	snprintf(tree, sizeof(tree), "%s/tree", tmpdir);
	mkdir(tree, 0700);
	snprintf(path, sizeof(path), "%s/install.amd", tree);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/install.amd/vmlinuz", tree);
	write_file(path, "k");
	snprintf(path, sizeof(path), "%s/install.amd/initrd.gz", tree);
	write_file(path, "i");
	sink = fopen("/dev/null", "w");
	return sink ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	fclose(sink);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Build req's plan; the plan is returned even when the build fails. */
static int build(const struct vk_install_request *req, struct vk_install_plan **p)
{
	return vk_install_plan_build(req, sink, sink, p);
}

/* A kernel install with a new disk: the simplest complete request. */
static struct vk_install_request kernel_request(const char *name)
{
	static char boot[256];
	static char *const disks[] = { "size=0.01", NULL };
	static char *const nets[] = { "none", NULL };

	snprintf(boot, sizeof(boot), "kernel=%s,kernel_args=console=ttyS0", kernel);
	return (struct vk_install_request){ .name = name, .boot = boot, .disks = disks, .networks = nets };
}

/*
 * --vcpus against what virt-install 4.1 writes for the same value
 * (virt-install --connect test:///default --dry-run --print-xml --vcpus V):
 * <vcpu current=vcpus>max_vcpus</vcpu> and <topology sockets cores threads>,
 * or its error message.
 */
static const struct vcpus_case {
	const char *option;
	unsigned vcpus, max_vcpus, sockets, cores, threads;
	const char *error;
} vcpus_cases[] = {
	{ "4", 4, 4, 0, 0, 0, NULL },
	{ "sockets=2,cores=2", 4, 4, 2, 2, 1, NULL },
	{ "4,sockets=2", 4, 4, 2, 2, 1, NULL },
	{ "4,cores=2", 4, 4, 2, 2, 1, NULL },
	{ "4,maxvcpus=8", 4, 8, 0, 0, 0, NULL },
	{ "4,maxvcpus=8,sockets=2", 4, 8, 2, 4, 1, NULL },
	{ "sockets=2,cores=2,threads=2", 8, 8, 2, 2, 2, NULL },
	{ "maxvcpus=8", 8, 8, 0, 0, 0, NULL },
	{ "2,maxvcpus=8,sockets=2,cores=2", 2, 8, 2, 2, 2, NULL },
	{ "6,threads=2", 6, 6, 1, 3, 2, NULL },
	{ "cores=4", 4, 4, 1, 4, 1, NULL },
	{ "sockets=3,cores=2", 6, 6, 3, 2, 1, NULL },
	{ "maxvcpus=8,sockets=2", 8, 8, 2, 4, 1, NULL },
	{ "4,sockets=2,cores=2,threads=2", 0, 0, 0, 0, 0,
	  "Total CPUs implied by topology (sockets=2 * dies=1 * cores=2 * threads=2 == 8) "
	  "does not match vCPU count 4" },
	/* the rest: the same message (the first is whole) */
	{ "3,sockets=2,cores=2", 0, 0, 0, 0, 0,
	  "(sockets=2 * dies=1 * cores=2 * threads=0 == 4) does not match vCPU count 3" },
	{ "5,sockets=2", 0, 0, 0, 0, 0,
	  "(sockets=2 * dies=1 * cores=2 * threads=1 == 4) does not match vCPU count 5" },
	{ "2,maxvcpus=8,sockets=2,cores=2,threads=1", 0, 0, 0, 0, 0,
	  "(sockets=2 * dies=1 * cores=2 * threads=1 == 4) does not match vCPU count 8" },
	{ "2,maxvcpus=6,cores=4", 0, 0, 0, 0, 0,
	  "(sockets=1 * dies=1 * cores=4 * threads=1 == 4) does not match vCPU count 6" },
	/* virt-install writes these; vkit refuses them (libvirt would too) */
	{ "8,maxvcpus=4", 0, 0, 0, 0, 0, "maxvcpus=4 is below vcpus=8" },
	{ "sockets=16,cores=16,threads=2", 0, 0, 0, 0, 0, "512 vCPUs is more than the 255" },
};

static void vcpus_topology_as_virt_install(void **state)
{
	struct vk_install_request req = kernel_request("t1");
	struct vk_install_plan *p = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vcpus_cases) / sizeof(vcpus_cases[0]); i++) {
		const struct vcpus_case *c = &vcpus_cases[i];

		req.vcpus = c->option;
		if (c->error) {
			assert_int_equal(build(&req, &p), -EINVAL);
			if (!strstr(vk_last_error(), c->error))
				fail_msg("--vcpus %s: '%s' lacks '%s'", c->option, vk_last_error(), c->error);
		} else {
			assert_int_equal(build(&req, &p), 0);
			if (p->vm->vcpus != c->vcpus || p->vm->max_vcpus != c->max_vcpus ||
			    p->vm->topology.sockets != c->sockets || p->vm->topology.cores != c->cores ||
			    p->vm->topology.threads != c->threads)
				fail_msg("--vcpus %s: got %u/%u %u:%u:%u", c->option, p->vm->vcpus,
					 p->vm->max_vcpus, p->vm->topology.sockets, p->vm->topology.cores,
					 p->vm->topology.threads);
		}
		vk_install_plan_free(p);
		p = NULL;
	}
}

static void memory_and_vcpus(void **state)
{
	struct vk_install_request req = kernel_request("m1");
	struct vk_install_plan *p = NULL;

	(void)state;
	req.memory = "2048,maxmemory=3072";
	req.vcpus = "2,maxvcpus=4";
	assert_int_equal(build(&req, &p), 0);
	assert_int_equal(p->vm->memory_mib, 2048);
	assert_int_equal(p->vm->max_memory_mib, 3072);
	assert_int_equal(p->vm->vcpus, 2);
	assert_int_equal(p->vm->max_vcpus, 4);
	vk_install_plan_free(p);

	req.ram = "512";
	assert_int_equal(build(&req, &p), -EINVAL);	/* --ram and --memory */
	assert_non_null(strstr(vk_last_error(), "--ram and --memory"));
	vk_install_plan_free(p);
	req.ram = NULL;
	req.memory = "1024,maxmemory=512";
	assert_int_equal(build(&req, &p), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "maxmemory=512 is below"));
	vk_install_plan_free(p);
}

static void disks_and_console(void **state)
{
	static char *const disks[] = { "size=0.01", "path=/nonexistent-dir/x.img,size=2,sparse=no", NULL };
	struct vk_install_request req = kernel_request("d1");
	struct vk_install_plan *p = NULL;
	char want[256];

	(void)state;
	req.disks = disks;
	req.console = "file,path=/tmp/d1.log";
	assert_int_equal(build(&req, &p), 0);
	assert_int_equal(p->n_disks, 2);
	/* No path: a qcow2 in the state directory's images/. */
	snprintf(want, sizeof(want), "%s/state/images/d1.qcow2", tmpdir);
	assert_string_equal(p->disks[0].disk.path, want);
	assert_int_equal(p->disks[0].disk.format, VK_IMAGE_QCOW2);
	assert_true(p->disks[0].create && p->disks[0].sparse);
	assert_int_equal(p->disks[1].size, 2 * VK_GiB);
	assert_false(p->disks[1].sparse);
	assert_int_equal(p->vm->console.kind, VK_CONSOLE_FILE);
	assert_string_equal(p->vm->console.path, "/tmp/d1.log");
	assert_int_equal(p->vm->boot.kind, VK_BOOT_KERNEL);
	assert_string_equal(p->vm->boot.cmdline, "console=ttyS0");
	assert_int_equal(p->kind, VK_INSTALL_KERNEL);
	vk_install_plan_free(p);
}

static void location_tree(void **state)
{
	static char *const nets[] = { "none", NULL };
	static char *const disks[] = { "size=0.01", NULL };
	struct vk_install_request req = { .name = "l1", .location = tree, .os_variant = "debian12",
					  .disks = disks, .networks = nets, .extra_args = "console=ttyS0 priority=low" };
	struct vk_install_plan *p = NULL;

	(void)state;
	assert_int_equal(build(&req, &p), 0);
	assert_int_equal(p->kind, VK_INSTALL_LOCATION);
	assert_string_equal(p->media_kernel, "install.amd/vmlinuz");
	assert_string_equal(p->media_initrd, "install.amd/initrd.gz");
	/* The variant's words first, --extra-args last, nothing twice. */
	assert_non_null(strstr(p->cmdline, "priority=low"));
	assert_null(strstr(strstr(p->cmdline, "console=ttyS0") + 1, "console=ttyS0"));
	vk_install_plan_free(p);
}

/* What vrun cannot do is listed, all of it, and nothing else stops first. */
static void refusals(void **state)
{
	struct vk_install_request req = kernel_request("r1");
	struct vk_install_plan *p = NULL;

	(void)state;
	req.graphics = "vnc";
	req.console = "pty,target_type=virtio";
	assert_int_equal(build(&req, &p), -ENOTSUP);
	assert_int_equal(p->n_refusals, 2);
	assert_non_null(strstr(p->refusals[0], "vnc graphics"));
	assert_non_null(strstr(p->refusals[1], "target_type=virtio"));
	vk_install_plan_free(p);
}

static void checks_and_wait(void **state)
{
	static char *const off[] = { "path_in_use=off", "disk_size=off", NULL };
	struct vk_install_request req = kernel_request("c1");
	struct vk_install_plan *p = NULL;

	(void)state;
	req.checks = off;
	req.wait = "5";
	assert_int_equal(build(&req, &p), 0);
	assert_false(p->checks.path_in_use);
	assert_false(p->checks.disk_size);
	assert_true(p->checks.path_exists);
	assert_int_equal(p->wait_minutes, 5);
	vk_install_plan_free(p);
	/* --force is --check all=off, as in virt-install. */
	req.checks = NULL;
	req.force = true;
	req.wait = NULL;
	assert_int_equal(build(&req, &p), 0);
	assert_false(p->checks.path_in_use || p->checks.path_exists || p->checks.disk_size ||
		     p->checks.mac_in_use);
	assert_int_equal(p->wait_minutes, -1);
	vk_install_plan_free(p);
	req.wait = "soon";
	assert_int_equal(build(&req, &p), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "--wait"));
	vk_install_plan_free(p);
}

static void import_and_name(void **state)
{
	char disk[160], *disks[2] = { disk, NULL };
	struct vk_install_request req = kernel_request("i1");
	struct vk_install_plan *p = NULL;

	(void)state;
	snprintf(disk, sizeof(disk), "path=%s,format=raw", kernel);	/* any existing file */
	req.disks = disks;
	req.import = true;
	assert_int_equal(build(&req, &p), 0);
	assert_int_equal(p->kind, VK_INSTALL_IMPORT);
	assert_false(p->disks[0].create);
	vk_install_plan_free(p);
	/* no name: virt-install's generated one, vm1 with no variant named */
	req.name = NULL;
	assert_int_equal(build(&req, &p), 0);
	assert_string_equal(p->vm->name, "vm1");
	vk_install_plan_free(p);
	req.os_variant = "name=debian12,detect=on";
	assert_int_equal(build(&req, &p), 0);
	assert_string_equal(p->vm->name, "debian12");
	assert_string_equal(p->variant->name, "debian12");
	vk_install_plan_free(p);
	req.os_variant = NULL;
	req.name = "no/slash";
	assert_int_equal(build(&req, &p), -EINVAL);
	vk_install_plan_free(p);
	/* Nothing was created by any of this. */
	assert_int_not_equal(access(getenv("VKIT_DIR"), F_OK), 0);
}

/* --install: the installer's kernel and arguments, or no installer. */
static void install_option(void **state)
{
	static char *const nets[] = { "none", NULL };
	static char *const disks[] = { "size=0.01", NULL };
	struct vk_install_request req = { .name = "n1", .disks = disks, .networks = nets };
	struct vk_install_plan *p = NULL;
	char install[256];

	(void)state;
	snprintf(install, sizeof(install), "kernel=%s,kernel_args=console=ttyS0,115200n8 inst.ks=x", kernel);
	req.install = install;
	assert_int_equal(build(&req, &p), 0);
	assert_int_equal(p->kind, VK_INSTALL_KERNEL);
	assert_string_equal(p->kernel_src, kernel);
	assert_null(p->final_cmdline);
	assert_non_null(strstr(p->cmdline, "console=ttyS0,115200n8 inst.ks=x"));
	vk_install_plan_free(p);
	snprintf(install, sizeof(install), "kernel=%s,kernel_args=inst.ks=x,kernel_args_overwrite=on", kernel);
	assert_int_equal(build(&req, &p), 0);
	assert_string_equal(p->cmdline, "inst.ks=x");
	vk_install_plan_free(p);
	req.install = "no_install=yes";
	req.boot = "network,hd";
	assert_int_equal(build(&req, &p), 0);
	assert_int_equal(p->kind, VK_INSTALL_IMPORT);
	assert_true(p->firmware_boot);
	assert_int_equal(p->vm->boot.kind, VK_BOOT_DISK);
	assert_string_equal(p->vm->boot.order, "network,hd");
	vk_install_plan_free(p);
	req.boot = NULL;
	req.install = "fedora39";
	assert_int_equal(build(&req, &p), -ENOTSUP);
	assert_int_equal(p->n_refusals, 1);
	assert_non_null(strstr(p->refusals[0], "--location"));
	vk_install_plan_free(p);
	req.install = "initrd=/x";
	assert_int_equal(build(&req, &p), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "initrd= needs kernel="));
	vk_install_plan_free(p);
}

/* --arch, --machine, --virt-type, --cpu, --autoconsole: vrun's own accepted, the rest refused. */
static void platform(void **state)
{
	struct vk_install_request req = kernel_request("pl1");
	struct vk_install_plan *p = NULL;

	(void)state;
	req.arch = "x86_64";
	req.machine = "pc-i440fx-8.0";
	req.virt_type = "kvm";
	req.cpu = "host-model";
	req.autoconsole = "none";
	assert_int_equal(build(&req, &p), 0);
	assert_true(p->detached);
	assert_false(vk_install_console_attached(p));
	vk_install_plan_free(p);
	req.arch = "ppc64le";
	req.machine = "q35";
	req.virt_type = "xen";
	req.cpu = "Skylake-Client";
	req.autoconsole = "graphical";
	assert_int_equal(build(&req, &p), -ENOTSUP);
	assert_int_equal(p->n_refusals, 5);
	vk_install_plan_free(p);
	req.arch = NULL;
	req.machine = NULL;
	req.virt_type = NULL;
	req.cpu = NULL;
	req.autoconsole = "sideways";
	assert_int_equal(build(&req, &p), -EINVAL);
	vk_install_plan_free(p);
	req.autoconsole = NULL;
	req.nodisks = true;
	assert_int_equal(build(&req, &p), -EINVAL);	/* kernel_request has a --disk */
	assert_non_null(strstr(vk_last_error(), "--nodisks"));
	vk_install_plan_free(p);
}

/* xorriso makes an ISO of tree: bootable (El Torito, boot.bin) or not.
 * Returns 0, or -1 when xorriso is missing or failed. */
static int make_iso(const char *iso, bool bootable)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "xorriso -as mkisofs -quiet -R -V 'Demo CD' %s -o '%s' '%s' >/dev/null 2>&1",
		 bootable ? "-b boot.bin -no-emul-boot -boot-load-size 4" : "", iso, tree);
	return system(cmd) == 0 ? 0 : -1;
}

/* --cdrom: the ISO on a SATA CD-ROM ahead of a drivers CD, the definition
 * booting cdrom,hd through the firmware, nothing to copy; an ISO that
 * cannot boot, or a kernel's arguments, are refused with what to use. */
static void cdrom_install(void **state)
{
	static char *const nets[] = { "none", NULL };
	char iso[160], plain[160], bin[160], drivers[200];
	char *disks[3] = { "size=0.01", drivers, NULL };
	struct vk_install_request req = { .name = "cd1", .disks = disks, .networks = nets };
	struct vk_install_plan *p = NULL;

	(void)state;
	snprintf(bin, sizeof(bin), "%s/boot.bin", tree);
	write_file(bin, "boot code, padded by xorriso");
	snprintf(iso, sizeof(iso), "%s/boot.iso", tmpdir);
	snprintf(plain, sizeof(plain), "%s/plain.iso", tmpdir);
	if (make_iso(iso, true) < 0 || make_iso(plain, false) < 0)
		skip();		/* xorriso is in scripts/deps; a bare machine may lack it */
	snprintf(drivers, sizeof(drivers), "path=%s,device=cdrom", plain);
	req.cdrom = iso;
	assert_int_equal(build(&req, &p), 0);
	assert_int_equal(p->kind, VK_INSTALL_CDROM);
	assert_int_equal(p->n_disks, 3);
	assert_string_equal(p->disks[1].disk.path, iso);	/* the first CD-ROM */
	assert_true(p->disks[1].installer_medium && p->disks[1].disk.readonly);
	assert_int_equal(p->disks[1].disk.bus, VK_BUS_SATA);
	assert_int_equal(p->disks[2].disk.bus, VK_BUS_SATA);
	assert_int_equal(p->disks[0].disk.bus, VK_BUS_VIRTIO);
	assert_int_equal(p->vm->boot.kind, VK_BOOT_DISK);
	assert_string_equal(p->vm->boot.order, "cdrom,hd");
	assert_null(p->vm->boot.kernel);
	vk_install_plan_free(p);

	req.cdrom = plain;
	assert_int_equal(build(&req, &p), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "no El Torito boot record"));
	assert_non_null(strstr(vk_last_error(), "use --location"));
	vk_install_plan_free(p);
	req.cdrom = iso;
	req.extra_args = "console=ttyS0";
	assert_int_equal(build(&req, &p), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "use --location"));
	vk_install_plan_free(p);
	unlink(bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memory_and_vcpus),
		cmocka_unit_test(vcpus_topology_as_virt_install),
		cmocka_unit_test(disks_and_console),
		cmocka_unit_test(location_tree),
		cmocka_unit_test(refusals),
		cmocka_unit_test(checks_and_wait),
		cmocka_unit_test(import_and_name),
		cmocka_unit_test(install_option),
		cmocka_unit_test(platform),
		cmocka_unit_test(cdrom_install),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
