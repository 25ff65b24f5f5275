/* test-seccomp.c - each thread kind's filter kills a forbidden call with SIGSYS and lets the calls vrun makes through. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/vm/control-client.h"
#include "common/util/error.h"
#include "vmm/console-log.h"
#include "vmm/control.h"
#include "vmm/seccomp.h"

/* Child exit codes: 0 all calls behaved, 10+n call n failed unexpectedly. */
typedef int (*child_fn)(void);

static enum vk_thread_kind child_kind;
static enum vk_sandbox_mode child_mode = VK_SANDBOX_ON;

/* Run fn in a child that has entered child_kind's filter; its wait status. */
static int run_sandboxed(child_fn fn)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (vk_sandbox_prepare(child_mode) < 0) {
			fprintf(stderr, "# %s\n", vk_last_error());
			_exit(2);
		}
		if (vk_sandbox_enter(child_kind) < 0)
			_exit(3);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_killed(enum vk_thread_kind kind, child_fn fn)
{
	int status;

	child_kind = kind;
	status = run_sandboxed(fn);
	if (!WIFSIGNALED(status))
		print_error("%s thread: child exited %d instead of dying\n", vk_thread_kind_name(kind),
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void assert_survives(enum vk_thread_kind kind, child_fn fn)
{
	int status;

	child_kind = kind;
	status = run_sandboxed(fn);
	if (WIFSIGNALED(status))
		print_error("%s thread: killed by signal %d\n", vk_thread_kind_name(kind), WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Forbidden calls: each ends the child, so the return is never reached. */
static int call_execve(void)
{
	char *argv[] = { "true", NULL };

	execve("/bin/true", argv, NULL);
	return 1;
}

static int call_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 1 : 1;
}

static int call_open(void)
{
	return open("/etc/passwd", O_RDONLY) >= 0 ? 1 : 1;
}

static int call_fork(void)
{
	return syscall(SYS_fork) >= 0 ? 1 : 1;
}

static int call_mmap_exec(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ? 1 : 1;
}

static int call_kill_init(void)
{
	return syscall(SYS_tgkill, 1, 1, 0) ? 1 : 1;
}

static int call_ioctl_create_vm(void)
{
	return ioctl(-1, KVM_CREATE_VM, 0) ? 1 : 1;
}

static int call_ioctl_kvm_run(void)
{
	return ioctl(-1, KVM_RUN, 0) ? 1 : 1;
}

static int call_ioctl_tiocsti(void)
{
	char c = 'x';

	return ioctl(0, TIOCSTI, &c) ? 1 : 1;
}

/* KVM_RUN with garbage in the upper 32 bits still is KVM_RUN for the
 * kernel, so it must pass; a request differing in the low bits must not. */
static int call_ioctl_near_kvm_run(void)
{
	return syscall(SYS_ioctl, -1, (unsigned long)KVM_RUN + 1, 0) ? 1 : 1;
}

static int call_eventfd(void)
{
	return eventfd(0, 0) >= 0 ? 1 : 1;
}

static int call_setuid(void)
{
	return syscall(SYS_setresuid, 0, 0, 0) ? 1 : 1;
}

static int call_ptrace(void)
{
	return syscall(SYS_ptrace, 0, 0, 0, 0) ? 1 : 1;
}

static int call_poll(void)
{
	return poll(NULL, 0, 0) ? 1 : 1;
}

static int call_unlink(void)
{
	return unlink("/nonexistent/vkit") ? 1 : 1;
}

static int call_fcntl_setfd(void)
{
	return fcntl(0, F_SETFD, 0) ? 1 : 1;
}

static void every_kind_kills_exec_socket_open_fork(void **state)
{
	child_fn forbidden[] = { call_execve, call_socket, call_open, call_fork, call_mmap_exec,
				 call_kill_init, call_setuid, call_ptrace };

	for (int k = 0; k < VK_THREAD_KINDS; k++)
		for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
			assert_killed((enum vk_thread_kind)k, forbidden[i]);
}

static void ioctls_are_checked_by_request(void **state)
{
	assert_killed(VK_THREAD_VCPU, call_ioctl_create_vm);
	assert_killed(VK_THREAD_VCPU, call_ioctl_tiocsti);
	assert_killed(VK_THREAD_VCPU, call_ioctl_near_kvm_run);
	assert_killed(VK_THREAD_IO, call_ioctl_kvm_run);
	assert_killed(VK_THREAD_MAIN, call_ioctl_kvm_run);
	assert_killed(VK_THREAD_MAIN, call_ioctl_tiocsti);
	assert_killed(VK_THREAD_CONSOLE, call_ioctl_kvm_run);
	assert_killed(VK_THREAD_CONTROL, call_ioctl_kvm_run);
	assert_killed(VK_THREAD_CONTROL, call_ioctl_tiocsti);
}

static void kinds_differ(void **state)
{
	assert_killed(VK_THREAD_CONSOLE, call_eventfd);
	assert_killed(VK_THREAD_IO, call_eventfd);
	assert_killed(VK_THREAD_VCPU, call_poll);
	assert_killed(VK_THREAD_CONSOLE, call_poll);
	assert_killed(VK_THREAD_CONTROL, call_eventfd);
	assert_killed(VK_THREAD_CONTROL, call_unlink);
	assert_killed(VK_THREAD_CONTROL, call_fcntl_setfd);
	assert_killed(VK_THREAD_VCPU, call_unlink);
}

/* What every thread does: memory, locks, clocks, stderr, signals to itself. */
static int common_calls(void)
{
	struct timespec ts;
	struct stat st;
	char *big = malloc(8 << 20);	/* mmap'd by malloc */
	void *page;

	if (!big)
		return 10;
	memset(big, 1, 8 << 20);
	free(big);
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) < 0)
		return 11;
	if (fstat(2, &st) < 0)
		return 12;
	if (syscall(SYS_tgkill, getpid(), gettid(), 0) < 0)
		return 13;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || mprotect(page, 4096, PROT_READ) < 0 || munmap(page, 4096) < 0)
		return 14;
	return 0;
}

static int vcpu_calls(void)
{
	unsigned long reqs[] = { KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_MP_STATE,
				 KVM_IRQ_LINE, KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_IOEVENTFD };
	int efd, rc = common_calls();

	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (ioctl(-1, reqs[i], 0) != -1 || errno != EBADF)
			return 20 + (int)i;
	/* KVM_RUN with junk above bit 31: the kernel ignores those bits. */
	if (syscall(SYS_ioctl, -1, (1ul << 40) | KVM_RUN, 0) != -1 || errno != EBADF)
		return 30;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);	/* a moved doorbell */
	if (efd < 0 || write(efd, &(uint64_t){ 1 }, 8) != 8 || close(efd) < 0)
		return 31;
	if (epoll_ctl(-1, EPOLL_CTL_DEL, 0, NULL) != -1 || errno != EBADF)
		return 32;
	return 0;
}

static int io_fixture_fd = -1, io_epoll_fd = -1, io_socks[2] = { -1, -1 };

static int io_calls(void)
{
	uint8_t buf[4096] = { 1 };
	struct epoll_event ev;
	int rc = common_calls();

	if (rc)
		return rc;
	if (pwrite(io_fixture_fd, buf, sizeof(buf), 8192) != sizeof(buf) ||
	    pread(io_fixture_fd, buf, sizeof(buf), 0) != sizeof(buf))
		return 20;
	if (fdatasync(io_fixture_fd) < 0 || fsync(io_fixture_fd) < 0)
		return 21;
	if (fallocate(io_fixture_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) < 0)
		return 22;
	if (ftruncate(io_fixture_fd, 1 << 20) < 0)
		return 23;
	if (getrandom(buf, 64, 0) != 64)
		return 24;
	if (epoll_wait(io_epoll_fd, &ev, 1, 0) < 0)
		return 25;
	if (send(io_socks[0], buf, 10, MSG_DONTWAIT) != 10 || recv(io_socks[1], buf, 10, MSG_DONTWAIT) != 10)
		return 26;
	if (read(io_socks[1], buf, 1) != -1 || errno != EAGAIN)
		return 27;
	if (ioctl(-1, KVM_IRQ_LINE, 0) != -1 || errno != EBADF)
		return 28;
	return 0;
}

static struct vk_console_log console_fixture;

/* The real writer, forced to rotate many times under the filter. */
static int console_calls(void)
{
	char line[1000];
	int rc = common_calls();

	if (rc)
		return rc;
	memset(line, 'x', sizeof(line));
	for (int i = 0; i < 50; i++)
		if (vk_console_log_write(&console_fixture, line, sizeof(line)) < 0)
			return 20;
	return console_fixture.rotations >= 10 ? 0 : 21;
}

static int control_listen_fd = -1;

/* The control socket's thread: accept, talk, flags, statm, the SCI. */
static int control_calls(void)
{
	char buf[64] = "{}\n";
	struct pollfd p = { .fd = control_listen_fd, .events = POLLIN };
	int rc = common_calls(), fl;

	if (rc)
		return rc;
	if (poll(&p, 1, 0) < 0)
		return 20;
	if (accept4(control_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK) != -1 || errno != EAGAIN)
		return 21;
	if (send(io_socks[0], buf, 3, MSG_NOSIGNAL | MSG_DONTWAIT) != 3 ||
	    recv(io_socks[1], buf, sizeof(buf), MSG_DONTWAIT) != 3 || read(io_socks[1], buf, 1) != -1)
		return 22;
	fl = fcntl(io_socks[1], F_GETFL);
	if (fl < 0 || fcntl(io_socks[1], F_SETFL, fl | O_NONBLOCK) < 0)
		return 23;
	if (pread(io_fixture_fd, buf, sizeof(buf), 0) != sizeof(buf))
		return 24;
	if (ioctl(-1, KVM_IRQ_LINE, 0) != -1 || errno != EBADF)
		return 25;
	if (getrandom(buf, 8, 0) != 8)	/* json-c's hash seed */
		return 27;
	if (close(control_listen_fd) < 0)
		return 26;
	return 0;
}

static int main_teardown_calls(void)
{
	struct termios t;
	int rc = common_calls();

	if (rc)
		return rc;
	if (poll(NULL, 0, 1) < 0)
		return 20;
	if (ioctl(-1, TCGETS, &t) != -1 || errno != EBADF)
		return 21;
	if (ioctl(-1, KVM_IRQFD, 0) != -1 || ioctl(-1, KVM_IOEVENTFD, 0) != -1 ||
	    ioctl(-1, KVM_SET_GSI_ROUTING, 0) != -1)
		return 22;
	if (close(io_fixture_fd) < 0 || pread(io_epoll_fd, &t, 1, 0) != -1)
		return 23;
	if (unlink("/nonexistent/vkit") != -1 || errno != ENOENT)	/* pid file, socket */
		return 24;
	fflush(stdout);
	return 0;	/* _exit(): exit_group */
}

/* A reset in place, on the main thread with the vCPUs parked: power-on
 * state into every vCPU and the irqchip, a kernel's boot registers,
 * doorbells re-bound (eventfd2), the kernel mapped again from its fd. */
static int main_reset_calls(void)
{
	static const unsigned long reqs[] = {
		KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_SET_XSAVE, KVM_SET_FPU, KVM_SET_XCRS,
		KVM_SET_MSRS, KVM_SET_MP_STATE, KVM_SET_LAPIC, KVM_SET_VCPU_EVENTS, KVM_SET_DEBUGREGS,
		KVM_SET_IRQCHIP, KVM_SET_PIT2,
	};
	void *map;
	int efd;

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (ioctl(-1, reqs[i], 0) != -1 || errno != EBADF)
			return 30 + (int)i;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0 || close(efd) < 0)
		return 50;
	map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, io_fixture_fd, 0);
	if (map == MAP_FAILED || munmap(map, 4096) < 0)
		return 51;
	return 0;
}

static void allowed_calls_work(void **state)
{
	char path[] = "/tmp/vkit-seccomp-test.XXXXXX";
	int fd;

	assert_survives(VK_THREAD_VCPU, vcpu_calls);

	io_fixture_fd = memfd_create("disk", MFD_CLOEXEC);
	io_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(io_fixture_fd >= 0 && io_epoll_fd >= 0);
	assert_int_equal(ftruncate(io_fixture_fd, 65536), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, io_socks), 0);
	assert_survives(VK_THREAD_IO, io_calls);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vk_console_log_open(&console_fixture, path, 4096), 0);
	assert_survives(VK_THREAD_CONSOLE, console_calls);
	vk_console_log_close(&console_fixture);
	unlink(path);
	strcat(path, ".1");
	unlink(path);

	control_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(control_listen_fd >= 0);
	/* An abstract name of the kernel's choosing (autobind). */
	assert_int_equal(bind(control_listen_fd, &(struct sockaddr){ .sa_family = AF_UNIX },
			      sizeof(sa_family_t)), 0);
	assert_int_equal(listen(control_listen_fd, 1), 0);
	assert_survives(VK_THREAD_CONTROL, control_calls);
	close(control_listen_fd);

	assert_survives(VK_THREAD_MAIN, main_reset_calls);
	assert_survives(VK_THREAD_MAIN, main_teardown_calls);
	close(io_fixture_fd);
	close(io_epoll_fd);
	close(io_socks[0]);
	close(io_socks[1]);
}

/* A forbidden call in one thread ends the whole process (a VM whose vCPU
 * thread alone died would never stop). */
static void *forbidden_in_thread(void *arg)
{
	if (vk_sandbox_enter(VK_THREAD_VCPU) < 0)
		return NULL;
	call_socket();
	return NULL;
}

static void kill_takes_the_whole_process(void **state)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t t;

		if (vk_sandbox_prepare(VK_SANDBOX_ON) < 0 ||
		    pthread_create(&t, NULL, forbidden_in_thread, NULL) != 0)
			_exit(2);
		pthread_join(t, NULL);
		sleep(5);
		_exit(0);	/* the main thread would get here if only the thread died */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/* Threads end through glibc's exit path (arena and stack release, exit):
 * every kind must let its thread finish, or a stopping VM dies of SIGSYS. */
static void *enter_and_end(void *arg)
{
	enum vk_thread_kind kind = *(enum vk_thread_kind *)arg;
	void *p;

	if (vk_sandbox_enter(kind) < 0)
		return arg;
	p = malloc(100000);	/* a new thread's first malloc makes an arena */
	free(p);
	return NULL;
}

static void every_kind_can_end_its_thread(void **state)
{
	for (int k = 0; k < VK_THREAD_KINDS; k++) {
		enum vk_thread_kind kind = (enum vk_thread_kind)k;
		int status = 0;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			pthread_t t;
			void *ret = &kind;

			if (vk_sandbox_prepare(VK_SANDBOX_ON) < 0 ||
			    pthread_create(&t, NULL, enter_and_end, &kind) != 0 ||
			    pthread_join(t, &ret) != 0)
				_exit(2);
			_exit(ret == NULL ? 0 : 3);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status))
			print_error("%s thread: died ending (signal %d)\n", vk_thread_kind_name(kind),
				    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

/* The CMOS clock calls gmtime_r() on a vCPU thread; glibc reads
 * /etc/localtime on the first time conversion, which the filters forbid,
 * so vk_sandbox_prepare() does it first.  (A Linux guest reads the RTC at
 * boot: this killed vrun in the nested sandbox.) */
static int convert_time(void)
{
	time_t now = time(NULL);
	struct tm tm;

	return gmtime_r(&now, &tm) ? 0 : 40;
}

static void time_conversion_works_in_vcpu_filter(void **state)
{
	assert_survives(VK_THREAD_VCPU, convert_time);
}

/* More threads than glibc's arena test (8) make malloc ask how many CPUs
 * there are (sched_getaffinity): 64 vCPUs are allowed. */
static pthread_barrier_t many_barrier;

static void *malloc_in_filter(void *arg)
{
	void *p;

	if (vk_sandbox_enter(VK_THREAD_VCPU) < 0)
		return arg;
	pthread_barrier_wait(&many_barrier);	/* all alive at once: one arena each */
	p = malloc(1000);
	free(p);
	pthread_barrier_wait(&many_barrier);
	return NULL;
}

static void many_threads_can_malloc(void **state)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t t[24];

		if (vk_sandbox_prepare(VK_SANDBOX_ON) < 0 || pthread_barrier_init(&many_barrier, NULL, 24) != 0)
			_exit(2);
		for (int i = 0; i < 24; i++)
			if (pthread_create(&t[i], NULL, malloc_in_filter, NULL) != 0)
				_exit(3);
		for (int i = 0; i < 24; i++)
			pthread_join(t[i], NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		print_error("killed by signal %d\n", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int socket_then_exit(void)
{
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);

	return s >= 0 ? 0 : 40;
}

static void log_mode_lets_calls_through(void **state)
{
	child_mode = VK_SANDBOX_LOG;
	assert_survives(VK_THREAD_VCPU, socket_then_exit);
	child_mode = VK_SANDBOX_ON;
	assert_killed(VK_THREAD_VCPU, socket_then_exit);
}

static void off_and_modes(void **state)
{
	enum vk_sandbox_mode mode;

	assert_int_equal(vk_sandbox_parse_mode("on", &mode), 0);
	assert_int_equal(mode, VK_SANDBOX_ON);
	assert_int_equal(vk_sandbox_parse_mode("log", &mode), 0);
	assert_int_equal(mode, VK_SANDBOX_LOG);
	assert_int_equal(vk_sandbox_parse_mode("off", &mode), 0);
	assert_int_equal(mode, VK_SANDBOX_OFF);
	assert_int_equal(vk_sandbox_parse_mode("yes", &mode), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "--sandbox yes: give on, off or log"));
	/* Not prepared (or off): entering is a no-op, so tests and fuzzers run unfiltered. */
	assert_int_equal(vk_sandbox_prepare(VK_SANDBOX_OFF), 0);
	assert_int_equal(vk_sandbox_enter(VK_THREAD_VCPU), 0);
	assert_int_equal(vk_sandbox_filter_len(VK_THREAD_VCPU), 0);
}

static void filters_have_sizes(void **state)
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (vk_sandbox_prepare(VK_SANDBOX_ON) < 0)
			_exit(2);
		for (int k = 0; k < VK_THREAD_KINDS; k++) {
			unsigned len = vk_sandbox_filter_len((enum vk_thread_kind)k);

			printf("# %s thread filter: %u BPF instructions\n",
			       vk_thread_kind_name((enum vk_thread_kind)k), len);
			if (len < 10)
				_exit(3);
		}
		fflush(stdout);
		vk_sandbox_free();
		_exit(vk_sandbox_filter_len(VK_THREAD_MAIN) == 0 ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The real control socket server under its thread's filter, in a child:
 * json-c takes its hash seed (getrandom) at the first object it hashes,
 * which must happen on the filtered thread here, so the client side
 * speaks raw lines and uses no json-c. */
static int cmd_nested(void *opaque, struct json_object *r)
{
	struct json_object *inner = json_object_new_object();

	(void)opaque;
	json_object_object_add(inner, "read_bytes", json_object_new_int64(4096));
	json_object_object_add(r, "disk", inner);
	json_object_object_add(r, "state", json_object_new_string("running"));
	return 0;
}

static int enter_control(void)
{
	return vk_sandbox_enter(VK_THREAD_CONTROL);
}

static int serve_and_ask(const char *path)
{
	static const struct vk_control_command cmds[] = { { "stats", cmd_nested }, { NULL, NULL } };
	struct vk_control_server *s;
	struct vk_control_client *c;
	char *reply = NULL;
	int rc = 0;

	vk_control_set_start_hook(enter_control);
	if (vk_sandbox_prepare(VK_SANDBOX_ON) < 0 || vk_control_server_listen(path, cmds, NULL, &s) < 0)
		return 2;
	if (vk_control_server_serve(s) < 0 || vk_control_connect(path, 2000, &c) < 0)
		return 3;
	for (int i = 0; i < 3 && rc == 0; i++) {
		if (vk_control_call_raw(c, "{\"command\": \"stats\"}", 5000, &reply) < 0 ||
		    !strstr(reply, "\"read_bytes\":4096"))
			rc = 4;
		free(reply);
		reply = NULL;
	}
	if (rc == 0 && (vk_control_call_raw(c, "{\"command\": ", 5000, &reply) < 0 ||
			!strstr(reply, "\"ok\":false")))
		rc = 5;
	free(reply);
	vk_control_close(c);
	vk_control_server_stop(s);	/* joins the thread: it ends under its filter */
	return rc;
}

static void control_server_runs_under_its_filter(void **state)
{
	char dir[] = "/tmp/vkit-seccomp-ctl.XXXXXX", path[64];
	int status = 0;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(serve_and_ask(path));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	rmdir(dir);
	if (WIFSIGNALED(status))
		print_error("control server child killed by signal %d\n", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind_kills_exec_socket_open_fork),
		cmocka_unit_test(ioctls_are_checked_by_request),
		cmocka_unit_test(kinds_differ),
		cmocka_unit_test(allowed_calls_work),
		cmocka_unit_test(control_server_runs_under_its_filter),
		cmocka_unit_test(kill_takes_the_whole_process),
		cmocka_unit_test(every_kind_can_end_its_thread),
		cmocka_unit_test(time_conversion_works_in_vcpu_filter),
		cmocka_unit_test(many_threads_can_malloc),
		cmocka_unit_test(log_mode_lets_calls_through),
		cmocka_unit_test(off_and_modes),
		cmocka_unit_test(filters_have_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
