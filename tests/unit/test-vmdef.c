/* test-vmdef.c - VM definitions: JSON round trip and every validation rule. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
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
#include "common/util/fileutil.h"
#include "common/vm/vmdef.h"

#define UUID "6f9619ff-8b86-4011-b42d-00c04fc964ff"

static struct vk_vm *full_vm(void)
{
	struct vk_disk disk = { 0 };
	struct vk_nic nic = { 0 };
	struct vk_vm *vm = vk_vm_new("web01");

	assert_non_null(vm);
	snprintf(vm->uuid, sizeof(vm->uuid), "%s", UUID);
	vm->memory_mib = 2048;
	vm->max_memory_mib = 4096;
	vm->vcpus = 2;
	vm->max_vcpus = 4;
	vm->topology = (struct vk_cpu_topology){ .sockets = 2, .cores = 2, .threads = 1 };
	vm->os_variant = strdup("debian12");
	vm->boot.kind = VK_BOOT_KERNEL;
	vm->boot.kernel = strdup("/var/lib/vkit/boot/web01/vmlinuz");
	vm->boot.initrd = strdup("/var/lib/vkit/boot/web01/initrd");
	vm->boot.cmdline = strdup("console=ttyS0 root=/dev/vda1");
	disk.path = (char *)"/var/lib/vkit/images/web01.qcow2";
	disk.format = VK_IMAGE_QCOW2;
	disk.cache = VK_CACHE_NONE;
	disk.serial = (char *)"web01-root";
	assert_int_equal(vk_vm_add_disk(vm, &disk), 0);
	disk.path = (char *)"/isos/debian.iso";
	disk.format = VK_IMAGE_RAW;
	disk.device = VK_DEVICE_CDROM;
	disk.bus = VK_BUS_SATA;
	disk.cache = VK_CACHE_DEFAULT;
	disk.serial = NULL;
	assert_int_equal(vk_vm_add_disk(vm, &disk), 0);
	nic.kind = VK_NIC_BRIDGE;
	nic.source = (char *)"br0";
	nic.model = (char *)"virtio";
	snprintf(nic.mac, sizeof(nic.mac), "52:54:00:12:34:56");
	assert_int_equal(vk_vm_add_nic(vm, &nic), 0);
	vm->console.kind = VK_CONSOLE_FILE;
	vm->console.path = strdup("/var/lib/vkit/log/web01.log");
	vm->autostart = true;
	assert_int_equal(vk_vm_validate(vm), 0);
	return vm;
}

static void round_trip(void **state)
{
	struct vk_vm *vm = full_vm(), *back = NULL, *copy;
	char *json = vk_vm_to_json(vm), *again;

	assert_non_null(json);
	assert_non_null(strstr(json, "\"version\": 1"));
	assert_non_null(strstr(json, "\"memory\": 2048"));
	assert_non_null(strstr(json, "\"kind\": \"kernel\""));
	assert_int_equal(vk_vm_from_json(json, &back), 0);
	assert_string_equal(back->name, "web01");
	assert_string_equal(back->uuid, UUID);
	assert_int_equal(back->n_disks, 2);
	assert_true(back->disks[1].readonly);	/* cdrom */
	assert_int_equal(back->disks[0].format, VK_IMAGE_QCOW2);
	assert_string_equal(back->nics[0].mac, "52:54:00:12:34:56");
	assert_int_equal(back->topology.sockets, 2);
	assert_int_equal(back->topology.cores, 2);
	assert_int_equal(back->topology.threads, 1);
	again = vk_vm_to_json(back);
	assert_string_equal(json, again);
	free(again);
	copy = vk_vm_dup(back);
	assert_non_null(copy);
	again = vk_vm_to_json(copy);
	assert_string_equal(json, again);
	free(again);
	vk_vm_free(copy);
	vk_vm_free(back);
	vk_vm_free(vm);
	free(json);
}

static void minimal_json_gets_defaults(void **state)
{
	struct vk_vm *vm = NULL;

	assert_int_equal(vk_vm_from_json("{\"version\":1,\"name\":\"a\",\"uuid\":\"" UUID "\","
					 "\"memory\":512,\"vcpus\":1}\n", &vm), 0);
	assert_int_equal(vm->max_memory_mib, 512);
	assert_int_equal(vm->max_vcpus, 1);
	assert_int_equal(vm->boot.kind, VK_BOOT_DISK);
	assert_int_equal(vm->console.kind, VK_CONSOLE_PTY);
	assert_int_equal(vm->n_disks, 0);
	assert_false(vm->autostart);
	vk_vm_free(vm);
}

static void new_has_defaults(void **state)
{
	struct vk_vm *vm = vk_vm_new("x"), *other = vk_vm_new("y");
	struct vk_nic nic = { .kind = VK_NIC_USER };

	assert_non_null(vm);
	assert_int_equal(vm->memory_mib, 1024);
	assert_int_equal(vm->vcpus, 1);
	assert_string_not_equal(vm->uuid, other->uuid);
	assert_int_equal(vk_vm_add_nic(vm, &nic), 0);
	assert_int_equal(strncmp(vm->nics[0].mac, "52:54:00:", 9), 0);
	assert_int_equal(vk_vm_validate(vm), 0);
	vk_vm_free(vm);
	vk_vm_free(other);
	assert_null(vk_vm_new("../x"));
	assert_int_equal(errno, EINVAL);
}

/* Each validation rule: break one thing in a valid VM, expect its message. */
static void invalid(struct vk_vm *vm, const char *msg)
{
	char *json;

	assert_int_equal(vk_vm_validate(vm), -EINVAL);
	assert_non_null(strstr(vk_last_error(), msg));
	/* the same definition read from JSON is refused the same way */
	json = vk_vm_to_json(vm);
	if (json && vm->name[0] && strchr(vm->name, '/') == NULL) {
		struct vk_vm *back = NULL;

		assert_true(vk_vm_from_json(json, &back) < 0);
		assert_null(back);
	}
	free(json);
	vk_vm_free(vm);
}

static void bad_name(void **state)
{
	struct vk_vm *vm = full_vm();

	snprintf(vm->name, sizeof(vm->name), "../x");
	invalid(vm, "VM name '../x' must not start with '.'");
	vm = full_vm();
	vm->name[0] = '\0';
	invalid(vm, "empty VM name");
}

static void bad_uuid(void **state)
{
	struct vk_vm *vm = full_vm();

	snprintf(vm->uuid, sizeof(vm->uuid), "not-a-uuid");
	invalid(vm, "uuid 'not-a-uuid' is not a UUID");
}

static void bad_memory(void **state)
{
	struct vk_vm *vm = full_vm();

	vm->memory_mib = 0;
	invalid(vm, "memory must be at least 1 MiB");
	vm = full_vm();
	vm->memory_mib = 8192;
	invalid(vm, "memory (8192 MiB) is more than max_memory (4096 MiB)");
	vm = full_vm();
	vm->memory_mib = vm->max_memory_mib = UINT64_C(1) << 40;
	invalid(vm, "memory 1099511627776 MiB is more than");
	vm = full_vm();
	vm->max_memory_mib = UINT64_C(1) << 40;
	invalid(vm, "max_memory 1099511627776 MiB is more than");
}

static void bad_vcpus(void **state)
{
	struct vk_vm *vm = full_vm();

	vm->vcpus = 0;
	invalid(vm, "vcpus must be at least 1");
	vm = full_vm();
	vm->vcpus = 5;
	invalid(vm, "vcpus (5) is more than max_vcpus (4)");
	vm = full_vm();
	vm->vcpus = vm->max_vcpus = 256;
	invalid(vm, "vcpus 256 is more than 255");
	vm = full_vm();
	vm->max_vcpus = 300;
	invalid(vm, "max_vcpus 300 is more than 255");
	vm = full_vm();
	vm->topology.threads = 2;
	invalid(vm, "topology sockets=2 * cores=2 * threads=2 is not max_vcpus (4)");
	vm = full_vm();
	vm->topology.cores = 0;
	invalid(vm, "topology needs sockets, cores and threads");
}

static void bad_os_variant(void **state)
{
	struct vk_vm *vm = full_vm();

	free(vm->os_variant);
	vm->os_variant = strdup("../../etc/passwd");
	invalid(vm, "os_variant '../../etc/passwd' is not a template name");
}

static void bad_boot(void **state)
{
	struct vk_vm *vm = full_vm();

	free(vm->boot.kernel);
	vm->boot.kernel = NULL;
	invalid(vm, "boot from a kernel needs boot.kernel");
	vm = full_vm();
	free(vm->boot.kernel);
	vm->boot.kernel = strdup("vmlinuz");
	invalid(vm, "boot.kernel 'vmlinuz' must be an absolute path");
	vm = full_vm();
	free(vm->boot.initrd);
	vm->boot.initrd = strdup("initrd.img");
	invalid(vm, "boot.initrd 'initrd.img' must be an absolute path");
	/* The firmware's boot order: only for a disk boot, in virt-install's words. */
	vm = full_vm();
	vm->boot.order = strdup("hd");
	invalid(vm, "boot.order is the firmware's boot order: it goes with boot.kind disk");
	vm = full_vm();
	vm->boot.kind = VK_BOOT_DISK;
	vm->boot.order = strdup("hd,floppy");
	invalid(vm, "boot.order: unknown option 'floppy'");
}

/* boot.order survives the trip through JSON. */
static void boot_order_round_trip(void **state)
{
	struct vk_vm *vm = vk_vm_new("pc01"), *back = NULL;
	char *json = NULL;

	vm->boot.order = strdup("cdrom,hd,menu=on");
	json = vk_vm_to_json(vm);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"order\": \"cdrom,hd,menu=on\""));
	assert_int_equal(vk_vm_from_json(json, &back), 0);
	assert_string_equal(back->boot.order, "cdrom,hd,menu=on");
	assert_int_equal(back->boot.kind, VK_BOOT_DISK);
	free(json);
	vk_vm_free(back);
	vk_vm_free(vm);
}

/* A symlink and a hard link to an existing disk are the same disk. */
static void same_disk_through_links(void **state)
{
	char dir[] = "/tmp/vkit-vmdef-XXXXXX", file[64], sym[64], hard[64];
	struct vk_vm *vm;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/disk.img", dir);
	snprintf(sym, sizeof(sym), "%s/sym.img", dir);
	snprintf(hard, sizeof(hard), "%s/hard.img", dir);
	assert_int_equal(vk_write_file_atomic(file, "x", 1, 0644), 0);
	assert_int_equal(symlink(file, sym), 0);
	assert_int_equal(link(file, hard), 0);
	for (int i = 0; i < 2; i++) {
		vm = full_vm();
		free(vm->disks[0].path);
		vm->disks[0].path = strdup(file);
		free(vm->disks[1].path);
		vm->disks[1].path = strdup(i ? hard : sym);
		invalid(vm, "are the same file");
	}
	unlink(sym);
	unlink(hard);
	unlink(file);
	rmdir(dir);
}

static void bad_disks(void **state)
{
	struct vk_vm *vm = full_vm();

	free(vm->disks[1].path);
	vm->disks[1].path = strdup("/var/lib/vkit/images/web01.qcow2");
	invalid(vm, "disks[0] (/var/lib/vkit/images/web01.qcow2) and disks[1] "
		"(/var/lib/vkit/images/web01.qcow2) are the same file");
	/* Other spellings of one file: "//" and "/./" (the file need not exist). */
	vm = full_vm();
	free(vm->disks[1].path);
	vm->disks[1].path = strdup("/tmp//./vkit-no-such-disk.img");
	free(vm->disks[0].path);
	vm->disks[0].path = strdup("/tmp/vkit-no-such-disk.img");
	invalid(vm, "are the same file");
	vm = full_vm();
	free(vm->disks[0].path);
	vm->disks[0].path = strdup("web01.qcow2");
	invalid(vm, "disks[0].path 'web01.qcow2' must be an absolute path");
	vm = full_vm();
	free(vm->disks[1].path);
	vm->disks[1].path = NULL;
	invalid(vm, "disks[1].path is missing");
	vm = full_vm();
	free(vm->disks[0].serial);
	vm->disks[0].serial = strdup("123456789012345678901");
	invalid(vm, "disks[0].serial '123456789012345678901' is longer than 20 bytes");
	vm = full_vm();
	free(vm->disks[0].serial);
	vm->disks[0].serial = strdup("a b");
	invalid(vm, "disks[0].serial 'a b' must be printable ASCII");
}

static void bad_nics(void **state)
{
	struct vk_vm *vm = full_vm();
	struct vk_nic nic = { .kind = VK_NIC_TAP, .source = (char *)"tap0" };

	snprintf(nic.mac, sizeof(nic.mac), "52:54:00:12:34:56");
	assert_int_equal(vk_vm_add_nic(vm, &nic), 0);
	invalid(vm, "nics[0] and nics[1] both use MAC 52:54:00:12:34:56");
	vm = full_vm();
	snprintf(vm->nics[0].mac, sizeof(vm->nics[0].mac), "01:00:5e:00:00:01");
	invalid(vm, "nics[0].mac: MAC address '01:00:5e:00:00:01' is a multicast address");
	vm = full_vm();
	snprintf(vm->nics[0].mac, sizeof(vm->nics[0].mac), "nonsense");
	invalid(vm, "nics[0].mac: 'nonsense' is not a MAC address");
	vm = full_vm();
	free(vm->nics[0].source);
	vm->nics[0].source = NULL;
	invalid(vm, "nics[0] of type bridge needs a source");
	vm = full_vm();
	free(vm->nics[0].source);
	vm->nics[0].source = strdup("a-very-long-bridge-name");
	invalid(vm, "nics[0].source 'a-very-long-bridge-name' is not an interface name");
	/* a network NIC names a network: a definition's name, not an interface's */
	vm = full_vm();
	vm->nics[0].kind = VK_NIC_NETWORK;
	free(vm->nics[0].source);
	vm->nics[0].source = strdup("a-network-of-a-longer-name");
	assert_int_equal(vk_vm_validate(vm), 0);
	free(vm->nics[0].source);
	vm->nics[0].source = strdup("../x");
	invalid(vm, "nics[0].source: network name '../x' must not start with '.'");
}

static void bad_console(void **state)
{
	struct vk_vm *vm = full_vm();

	free(vm->console.path);
	vm->console.path = NULL;
	invalid(vm, "console of type file needs console.path");
	vm = full_vm();
	free(vm->console.path);
	vm->console.path = strdup("web01.log");
	invalid(vm, "console.path 'web01.log' must be an absolute path");
}

/* JSON-level errors: the text is a valid minimal definition plus extra. */
static void json_fails(const char *extra, const char *msg)
{
	char text[1024];
	struct vk_vm *vm = NULL;

	snprintf(text, sizeof(text), "{\"version\":1,\"name\":\"a\",\"uuid\":\"" UUID "\","
		 "\"memory\":512,\"vcpus\":1%s}", extra);
	assert_int_equal(vk_vm_from_json(text, &vm), -EINVAL);
	assert_null(vm);
	assert_non_null(strstr(vk_last_error(), msg));
}

static void json_unknown_keys(void **state)
{
	json_fails(",\"memry\":1", "unknown key 'memry' in the definition; known keys: version, name");
	json_fails(",\"boot\":{\"kind\":\"disk\",\"kernal\":\"/k\"}", "unknown key 'kernal' in boot");
	json_fails(",\"disks\":[{\"path\":\"/a\",\"format\":\"raw\",\"size\":3}]",
		   "unknown key 'size' in disks[0]; known keys: path, format");
	json_fails(",\"nics\":[{\"type\":\"user\",\"mac\":\"52:54:00:00:00:01\",\"ip\":\"x\"}]",
		   "unknown key 'ip' in nics[0]");
	json_fails(",\"console\":{\"type\":\"pty\",\"tty\":\"x\"}", "unknown key 'tty' in console");
}

static void json_wrong_types(void **state)
{
	json_fails(",\"max_memory\":\"1G\"", "max_memory must be a whole number");
	json_fails(",\"max_vcpus\":-1", "max_vcpus must be between 0 and");
	json_fails(",\"max_vcpus\":1.5", "max_vcpus must be a whole number");
	json_fails(",\"autostart\":\"yes\"", "autostart must be true or false");
	json_fails(",\"os_variant\":5", "os_variant must be a string");
	json_fails(",\"disks\":{}", "disks must be an array");
	json_fails(",\"disks\":[3]", "disks[0] must be an object");
	json_fails(",\"nics\":[\"br0\"]", "nics[0] must be an object");
	json_fails(",\"boot\":[]", "boot must be an object");
	json_fails(",\"console\":\"pty\"", "console must be an object");
	json_fails(",\"disks\":[{\"path\":\"/a\",\"format\":\"raw\",\"readonly\":1}]",
		   "disks[0].readonly must be true or false");
}

static void json_bad_values(void **state)
{
	json_fails(",\"disks\":[{\"path\":\"/a\",\"format\":\"vmdk\"}]",
		   "disks[0].format 'vmdk' is not known; use one of: raw, qcow2");
	json_fails(",\"disks\":[{\"path\":\"/a\"}]", "disks[0].format is missing");
	json_fails(",\"disks\":[{\"path\":\"/a\",\"format\":\"raw\",\"bus\":\"floppy\"}]",
		   "disks[0].bus 'floppy' is not known");
	json_fails(",\"nics\":[{\"type\":\"vde\",\"mac\":\"52:54:00:00:00:01\"}]",
		   "nics[0].type 'vde' is not known; use one of: bridge, tap, user");
	json_fails(",\"nics\":[{\"type\":\"user\"}]", "nics[0].mac is missing");
	json_fails(",\"nics\":[{\"type\":\"user\",\"mac\":\"00:00:00:00:00:00\"}]",
		   "nics[0].mac: MAC address '00:00:00:00:00:00' is all zeros");
	json_fails(",\"boot\":{\"kind\":\"pxe\"}", "boot.kind 'pxe' is not known");
	json_fails(",\"console\":{\"type\":\"vnc\"}", "console.type 'vnc' is not known");
	json_fails(",\"boot\":{\"kind\":\"kernel\"}", "boot from a kernel needs boot.kernel");
	json_fails(",\"topology\":{\"sockets\":1,\"cores\":1}", "topology.threads is missing");
	json_fails(",\"topology\":{\"sockets\":1,\"cores\":2,\"threads\":1}",
		   "is not max_vcpus (1)");
	json_fails(",\"topology\":{\"sockets\":1,\"cores\":1,\"threads\":1,\"dies\":1}",
		   "unknown key 'dies' in topology");
}

static void json_bad_documents(void **state)
{
	struct vk_vm *vm = NULL;

	assert_int_equal(vk_vm_from_json("{\"name\":", &vm), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "not valid JSON"));
	assert_int_equal(vk_vm_from_json("[1,2]", &vm), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "must be a JSON object"));
	assert_int_equal(vk_vm_from_json("{} {}", &vm), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "text after the end"));
	assert_int_equal(vk_vm_from_json("{\"name\":\"a\"}", &vm), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "version is missing"));
	assert_int_equal(vk_vm_from_json("{\"version\":2}", &vm), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "definition version 2 is not supported"));
	assert_int_equal(vk_vm_from_json("{\"version\":1,\"name\":\"../x\"}", &vm), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "must not start with '.'"));
	assert_int_equal(vk_vm_from_json("{\"version\":1,\"name\":\"a\",\"uuid\":\"x\"}", &vm),
			 -EINVAL);
	assert_non_null(strstr(vk_last_error(), "uuid 'x' is not a UUID"));
	assert_int_equal(vk_vm_from_json("{\"version\":1,\"name\":\"a\",\"uuid\":\"" UUID "\"}",
					 &vm), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "memory is missing"));
	assert_int_equal(vk_vm_from_json("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
					 &vm), -EINVAL);
	assert_null(vm);
}

static int count_temp_files(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

static void save_and_load(void **state)
{
	char dir[] = "/tmp/vkit-vmdef.XXXXXX", path[96], cmd[128];
	struct vk_vm *vm = full_vm(), *back = NULL;
	char *a, *b;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/web01.json", dir);
	assert_int_equal(vk_vm_save(vm, path), 0);
	assert_int_equal(vk_vm_load(path, &back), 0);
	a = vk_vm_to_json(vm);
	b = vk_vm_to_json(back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	vk_vm_free(back);
	/* an invalid VM is not written */
	vm->vcpus = 0;
	assert_int_equal(vk_vm_save(vm, path), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "web01: vcpus must be at least 1"));
	vm->vcpus = 1;
	/* a directory at the target: the save fails and leaves no temp file */
	snprintf(path, sizeof(path), "%s/dir.json", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_true(vk_vm_save(vm, path) < 0);
	assert_int_equal(count_temp_files(dir), 0);
	/* a missing directory */
	snprintf(path, sizeof(path), "%s/missing/web01.json", dir);
	assert_true(vk_vm_save(vm, path) < 0);
	/* load names the file */
	snprintf(path, sizeof(path), "%s/bad.json", dir);
	assert_int_equal(vk_write_file_atomic(path, "{", 1, 0644), 0);
	assert_int_equal(vk_vm_load(path, &back), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "bad.json: not valid JSON"));
	vk_vm_free(vm);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void enum_names(void **state)
{
	enum vk_disk_bus bus;
	enum vk_disk_cache cache;

	assert_int_equal(vk_disk_bus_parse("scsi", &bus), 0);
	assert_int_equal(bus, VK_BUS_SCSI);
	assert_string_equal(vk_disk_bus_name(VK_BUS_USB), "usb");
	assert_int_equal(vk_disk_bus_parse("floppy", &bus), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "disk bus 'floppy' is not known; use one of: virtio"));
	assert_int_equal(vk_disk_cache_parse("writeback", &cache), 0);
	assert_int_equal(cache, VK_CACHE_WRITEBACK);
	assert_string_equal(vk_disk_cache_name(VK_CACHE_UNSAFE), "unsafe");
	assert_int_equal(vk_disk_cache_parse("fast", &cache), -EINVAL);
}

/* One namer for every tool: vctl called the 27th disk vdaa, vclone vd26. */
static void disk_target_names(void **state)
{
	static const struct { size_t i; const char *name; } cases[] = {
		{ 0, "vda" }, { 1, "vdb" }, { 25, "vdz" }, { 26, "vdaa" }, { 27, "vdab" },
		{ 51, "vdaz" }, { 52, "vdba" }, { 701, "vdzz" }, { 702, "vdaaa" },
	};
	char name[16];

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		vk_disk_target_name("vd", cases[k].i, name, sizeof(name));
		assert_string_equal(name, cases[k].name);
		assert_int_equal(vk_disk_target_index("vd", name), (long)cases[k].i);
	}
	vk_disk_target_name("sd", 2, name, sizeof(name));
	assert_string_equal(name, "sdc");
	assert_int_equal(vk_disk_target_index("vd", "sdc"), -1);
	assert_int_equal(vk_disk_target_index("vd", "vd"), -1);
	assert_int_equal(vk_disk_target_index("vd", "vdA"), -1);
	assert_int_equal(vk_disk_target_index("vd", "vd1"), -1);
	assert_int_equal(vk_disk_target_index("vd", "vdaaaa"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(minimal_json_gets_defaults),
		cmocka_unit_test(new_has_defaults),
		cmocka_unit_test(bad_name),
		cmocka_unit_test(bad_uuid),
		cmocka_unit_test(bad_memory),
		cmocka_unit_test(bad_vcpus),
		cmocka_unit_test(bad_os_variant),
		cmocka_unit_test(bad_boot),
		cmocka_unit_test(boot_order_round_trip),
		cmocka_unit_test(bad_disks),
		cmocka_unit_test(same_disk_through_links),
		cmocka_unit_test(bad_nics),
		cmocka_unit_test(bad_console),
		cmocka_unit_test(json_unknown_keys),
		cmocka_unit_test(json_wrong_types),
		cmocka_unit_test(json_bad_values),
		cmocka_unit_test(json_bad_documents),
		cmocka_unit_test(save_and_load),
		cmocka_unit_test(enum_names),
		cmocka_unit_test(disk_target_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
