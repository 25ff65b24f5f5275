/* test-vmlaunch.c - vrun's command line from a definition, its console, the detached spawn, the console's escape keys. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/vm/console-relay.h"
#include "common/util/error.h"
#include "common/vm/vmlaunch.h"

static char tmpdir[64];

static int setup(void **state)
{
	char dir[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vkit-vmlaunch.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(dir, sizeof(dir), "%s/state", tmpdir);
	return setenv("VKIT_DIR", dir, 1);
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct vk_vm *kernel_vm(void)
{
	struct vk_vm *vm = vk_vm_new("web01");

	assert_non_null(vm);
	vm->boot.kind = VK_BOOT_KERNEL;
	vm->boot.kernel = strdup("/boot/vmlinuz");
	vm->boot.initrd = strdup("/boot/initrd.img");
	vm->boot.cmdline = strdup("root=/dev/vda console=ttyS0");
	vm->vcpus = vm->max_vcpus = 2;
	return vm;
}

static char *joined(const struct vk_argv *a)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < a->n; i++)
		len += strlen(a->v[i]) + 1;
	s = calloc(1, len);
	assert_non_null(s);
	for (size_t i = 0; i < a->n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, a->v[i]);
	}
	assert_null(a->v[a->n]);
	return s;
}

static void argv_from_definition(void **state)
{
	struct vk_disk d = { .path = "/data/web01.qcow2", .format = VK_IMAGE_QCOW2, .serial = "SER1" };
	struct vk_disk iso = { .path = "/data/d.iso", .format = VK_IMAGE_RAW, .device = VK_DEVICE_CDROM,
			       .readonly = true };
	struct vk_nic n = { .kind = VK_NIC_TAP, .source = "tap0", .mac = "52:54:00:12:34:56", .model = "virtio" };
	struct vk_vm *vm = kernel_vm();
	struct vk_argv a = { 0 };
	char *s;

	assert_int_equal(vk_vm_add_disk(vm, &d), 0);
	assert_int_equal(vk_vm_add_disk(vm, &iso), 0);
	assert_int_equal(vk_vm_add_nic(vm, &n), 0);
	assert_int_equal(vk_vrun_argv(vm, "/bin/vrun", "pty", &a), 0);
	s = joined(&a);
	assert_string_equal(s, "/bin/vrun --name web01 --kernel /boot/vmlinuz --initrd /boot/initrd.img "
			    "--cmdline root=/dev/vda console=ttyS0 --memory 1024 --cpus 2 "
			    "--disk path=/data/web01.qcow2,format=qcow2,serial=SER1 "
			    "--disk path=/data/d.iso,format=raw,device=cdrom "
			    "--net tap=tap0,mac=52:54:00:12:34:56 --console pty");
	free(s);
	vk_argv_free(&a);
	vk_vm_free(vm);
}

/* The old fixed vector dropped arguments silently past 63. */
static void argv_grows(void **state)
{
	struct vk_vm *vm = kernel_vm();
	struct vk_argv a = { 0 };
	char path[64];

	for (int i = 0; i < 50; i++) {
		struct vk_disk d = { .path = path, .format = VK_IMAGE_RAW };

		snprintf(path, sizeof(path), "/data/d%d.img", i);
		assert_int_equal(vk_vm_add_disk(vm, &d), 0);
	}
	assert_int_equal(vk_vrun_argv(vm, "vrun", "pty", &a), 0);
	assert_int_equal(a.n, 13 + 2 * 50 + 2);
	assert_string_equal(a.v[a.n - 3], "path=/data/d49.img,format=raw");
	assert_string_equal(a.v[a.n - 1], "pty");
	vk_argv_free(&a);
	vk_vm_free(vm);
}

/* A disk boot is vrun without --kernel (SeaBIOS), with the boot order. */
static void argv_disk_boot(void **state)
{
	struct vk_vm *vm = vk_vm_new("disky");
	struct vk_argv a = { 0 };
	struct vk_disk d = { .path = "/data/disky.img", .format = VK_IMAGE_RAW };

	vm->boot.kind = VK_BOOT_DISK;
	assert_int_equal(vk_vm_add_disk(vm, &d), 0);
	assert_int_equal(vk_vrun_argv(vm, "vrun", "pty", &a), 0);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_not_equal(a.v[i], "--kernel");
		assert_string_not_equal(a.v[i], "--boot");
	}
	vk_argv_free(&a);
	vm->boot.order = strdup("hd,network,menu=on");
	assert_int_equal(vk_vrun_argv(vm, "vrun", "pty", &a), 0);
	assert_string_equal(a.v[3], "--boot");
	assert_string_equal(a.v[4], "hd,network,menu=on");
	vk_argv_free(&a);
	/* A kernel boot without a kernel is refused. */
	vm->boot.kind = VK_BOOT_KERNEL;
	assert_int_equal(vk_vrun_argv(vm, "vrun", "pty", &a), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "domain 'disky' boots a kernel but names none"));
	assert_int_equal(a.n, 0);
	vk_vm_free(vm);
}

static void console_spec(void **state)
{
	struct vk_vm *vm = kernel_vm();
	char *spec, expect[PATH_MAX], log[PATH_MAX];
	struct stat st;

	vm->console.kind = VK_CONSOLE_PTY;
	assert_int_equal(vk_vrun_console_spec(vm, &spec), 0);
	assert_string_equal(spec, "pty");
	free(spec);
	/* vrun must outlive the tool: never the tool's own terminal */
	vm->console.kind = VK_CONSOLE_STDIO;
	assert_int_equal(vk_vrun_console_spec(vm, &spec), 0);
	assert_string_equal(spec, "pty");
	free(spec);
	vm->console.kind = VK_CONSOLE_FILE;
	vm->console.path = strdup("/var/log/web01.console");
	assert_int_equal(vk_vrun_console_spec(vm, &spec), 0);
	assert_string_equal(spec, "file=/var/log/web01.console");
	free(spec);
	vm->console.kind = VK_CONSOLE_NONE;
	assert_int_equal(vk_vrun_console_spec(vm, &spec), 0);
	snprintf(expect, sizeof(expect), "file=%s/state/log/web01.log", tmpdir);
	assert_string_equal(spec, expect);
	free(spec);
	/* a dry run shows this: nothing may be created */
	snprintf(log, sizeof(log), "%s/state", tmpdir);
	assert_int_equal(stat(log, &st), -1);
	vk_vm_free(vm);
}

static void spawn_detached(void **state)
{
	struct vk_argv a = { 0 };
	char msgs[128], pty[64] = "", out[64];
	int fd, status, out_fd;
	pid_t pid;
	FILE *f;

	snprintf(msgs, sizeof(msgs), "%s/msgs", tmpdir);
	snprintf(out, sizeof(out), "%s/facts", tmpdir);
	assert_int_equal(vk_argv_add(&a, "/bin/sh"), 0);
	assert_int_equal(vk_argv_add(&a, "-c"), 0);
	assert_int_equal(vk_argv_add(&a, "echo 'vrun: console is /dev/pts/77' >&2; "
				     "ps -o sid= -p $$ | tr -d ' ' >%s; readlink /proc/$$/fd/0 >>%s; echo $$ >>%s", out,
				     out, out), 0);
	assert_int_equal(vk_vrun_spawn(&a, msgs, &pid, &fd), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	out_fd = open("/dev/null", O_WRONLY);
	vk_vrun_relay_messages(fd, out_fd, false, pty, sizeof(pty));
	assert_string_equal(pty, "/dev/pts/77");
	close(out_fd);
	close(fd);
	f = fopen(out, "r");
	assert_non_null(f);
	{
		char sid[32], in[64], me[32];

		assert_non_null(fgets(sid, sizeof(sid), f));
		assert_non_null(fgets(in, sizeof(in), f));
		assert_non_null(fgets(me, sizeof(me), f));
		assert_string_equal(sid, me);	/* it leads its own session */
		assert_string_equal(in, "/dev/null\n");
	}
	fclose(f);
	vk_argv_free(&a);
	/* exec failing is exit 127, as a shell says it */
	assert_int_equal(vk_argv_add(&a, "/nonexistent/vrun"), 0);
	assert_int_equal(vk_vrun_spawn(&a, msgs, &pid, &fd), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 127);
	close(fd);
	vk_argv_free(&a);
}

static void escape_keys(void **state)
{
	struct vk_console_relay r;
	char out[64];
	size_t n;

	vk_relay_init(&r, -1, -1);
	n = vk_relay_filter_keys(&r, "ls\r", 3, out);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "ls\r", 3);
	/* Ctrl-] Ctrl-] is one Ctrl-] for the guest; Ctrl-] x is both */
	n = vk_relay_filter_keys(&r, "\035\035a\035x", 5, out);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\035a\035x", 4);
	/* an escape split between two reads */
	n = vk_relay_filter_keys(&r, "b\035", 2, out);
	assert_int_equal(n, 1);
	n = vk_relay_filter_keys(&r, "q", 1, out);
	assert_int_equal(n, 0);
	assert_true(r.quit);
	assert_false(r.detach);
	/* a detach drops what follows it */
	n = vk_relay_filter_keys(&r, "c\035dlost", 7, out);
	assert_int_equal(n, 1);
	assert_memory_equal(out, "c", 1);
	assert_true(r.detach);
	assert_int_equal(vk_relay_filter_keys(&r, "more", 4, out), 0);
}

/* vctl console's escape is virsh's: Ctrl-] alone detaches, no key stops. */
static void relay_virsh_escape(void **state)
{
	struct vk_console_relay r;
	char out[32];

	vk_relay_init(&r, 0, 1);
	r.escape_detaches = true;
	assert_int_equal(vk_relay_filter_keys(&r, "lsq", 3, out), 3);
	assert_int_equal(vk_relay_filter_keys(&r, "ab\035q", 4, out), 2);
	assert_memory_equal(out, "ab", 2);
	assert_true(r.detach);
	assert_false(r.quit);
	assert_int_equal(vk_relay_filter_keys(&r, "more", 4, out), 0);
}

/* Keys typed while vrun is still starting wait until its pty is open:
 * read earlier, they had nowhere to go and were lost (vinstall's Ctrl-] d
 * then failed under load). */
static void keys_wait_for_the_console(void **state)
{
	struct vk_console_relay r;
	struct pollfd fds[2];
	int in[2], con[2];
	char got[16] = { 0 };

	(void)state;
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(con), 0);
	vk_relay_init(&r, in[0], -1);
	assert_int_equal(write(in[1], "typed", 5), 5);
	vk_relay_pollfds(&r, fds);
	assert_int_equal(fds[0].fd, -1);	/* no pty yet: the keys stay put */
	r.con_fd = con[1];
	vk_relay_pollfds(&r, fds);
	assert_int_equal(fds[0].fd, in[0]);
	fds[1].fd = -1;		/* a pipe's write end stands in for the pty */
	assert_int_equal(poll(fds, 1, 1000), 1);
	vk_relay_step(&r, fds);
	assert_int_equal(read(con[0], got, sizeof(got) - 1), 5);
	assert_string_equal(got, "typed");
	close(in[0]);
	close(in[1]);
	close(con[0]);
	close(con[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(argv_from_definition),
		cmocka_unit_test(keys_wait_for_the_console),
		cmocka_unit_test(argv_grows),
		cmocka_unit_test(argv_disk_boot),
		cmocka_unit_test_setup_teardown(console_spec, setup, teardown),
		cmocka_unit_test_setup_teardown(spawn_detached, setup, teardown),
		cmocka_unit_test(escape_keys),
		cmocka_unit_test(relay_virsh_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
