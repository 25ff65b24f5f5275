/* bench-exit.c - the cost of a port-I/O exit under vrun, against a minimal KVM_RUN loop (and QEMU), plus vrun's start time and RSS. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SKIP			77
#define GUEST_SIZE		0x10000u
#define GUEST_BASE		(0x100000000ull - GUEST_SIZE)
#define TESTDEV_EXIT_PORT	0x501
#define SMALL_EXITS		1000
#define LARGE_EXITS		100000
#define ROUNDS			3
#define RUN_TIMEOUT_S		120

struct run_result {
	double seconds;		/* whole run */
	double first_output;	/* spawn to the guest's first serial byte; <0 unknown */
	long maxrss_kib;
	int status;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_image(const char *path, uint8_t *buf)
{
	int fd = open(path, O_RDONLY);
	ssize_t got;

	if (fd < 0) {
		fprintf(stderr, "bench-exit: %s: %s\n", path, strerror(errno));
		return -1;
	}
	got = read(fd, buf, GUEST_SIZE);
	close(fd);
	if (got != GUEST_SIZE) {
		fprintf(stderr, "bench-exit: %s: not a 64 KiB guest image\n", path);
		return -1;
	}
	return 0;
}

/* The reference: the least a VMM can do per exit. */
static int minimal_loop(int kvm, const char *image, double *seconds, double *first_exit)
{
	uint8_t *mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int vm = -1, vcpu = -1, rc = -1;
	struct kvm_run *run = MAP_FAILED;
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	double t0, created = now();

	if (mem == MAP_FAILED || read_image(image, mem) < 0)
		goto out;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = GUEST_BASE,
						 .memory_size = GUEST_SIZE, .userspace_addr = (uintptr_t)mem };
	if (vm < 0 || ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0 ||
	    ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		goto out;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		goto out;
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		goto out;
	t0 = now();
	*first_exit = -1;
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			goto out;
		if (*first_exit < 0)
			*first_exit = now() - created;
		if (run->exit_reason != KVM_EXIT_IO)
			goto out;
		if (run->io.port == TESTDEV_EXIT_PORT)
			break;
	}
	*seconds = now() - t0;
	rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "bench-exit: minimal loop failed: %s\n", strerror(errno));
	if (run != MAP_FAILED)
		munmap(run, (size_t)run_size);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	if (mem != MAP_FAILED)
		munmap(mem, GUEST_SIZE);
	return rc;
}

/* Run argv with stdout on a pipe; time the first byte and the exit. */
static int run_program(char *const argv[], struct run_result *res)
{
	int p[2];
	pid_t pid;
	struct rusage ru;
	char buf[256];
	double t0 = now();
	ssize_t got;
	int status;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(p[1], 1);
		close(p[0]);
		alarm(RUN_TIMEOUT_S);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	res->first_output = -1;
	while ((got = read(p[0], buf, sizeof(buf))) > 0)
		if (res->first_output < 0)
			res->first_output = now() - t0;
	close(p[0]);
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	res->seconds = now() - t0;
	res->maxrss_kib = ru.ru_maxrss;
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

static double best_of(char *const argv[], struct run_result *best)
{
	struct run_result r;

	best->seconds = 1e9;
	for (int i = 0; i < ROUNDS; i++) {
		if (run_program(argv, &r) < 0)
			return -1;
		if (r.seconds < best->seconds)
			*best = r;
	}
	return best->seconds;
}

static double per_exit(double small, double large)
{
	return (large - small) / (LARGE_EXITS - SMALL_EXITS) * 1e6;
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_builddir") ? getenv("top_builddir") : ".";
	const char *vrun = getenv("VRUN");
	char small[4096], large[4096], vrun_path[4096];
	double min_small = 1e9, min_large = 1e9, t, first, min_first = 1e9;
	struct run_result vs, vl, qs, ql;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0) {
		printf("bench-exit: /dev/kvm: %s: nothing to measure here (skipped)\n", strerror(errno));
		return SKIP;
	}
	snprintf(small, sizeof(small), "%s/tests/vmm/guests/exits-1k.bin", top);
	snprintf(large, sizeof(large), "%s/tests/vmm/guests/exits-100k.bin", top);
	if (!vrun) {
		snprintf(vrun_path, sizeof(vrun_path), "%s/vmm/vrun", top);
		vrun = vrun_path;
	}
	for (int i = 0; i < ROUNDS; i++) {
		if (minimal_loop(kvm, small, &t, &first) < 0)
			return 1;
		min_small = t < min_small ? t : min_small;
		min_first = first < min_first ? first : min_first;
		if (minimal_loop(kvm, large, &t, &first) < 0)
			return 1;
		min_large = t < min_large ? t : min_large;
	}
	double ref = per_exit(min_small, min_large);
	printf("minimal KVM_RUN loop: %.2f us per port-I/O exit; VM creation to first exit %.2f ms (in-process)\n",
	       ref, min_first * 1e3);

	char *va_s[] = { (char *)vrun, "--memory", "16", "--bios", small, NULL };
	char *va_l[] = { (char *)vrun, "--memory", "16", "--bios", large, NULL };
	if (best_of(va_s, &vs) < 0 || best_of(va_l, &vl) < 0 || vs.status || vl.status) {
		fprintf(stderr, "bench-exit: %s failed (status %d/%d)\n", vrun, vs.status, vl.status);
		return 1;
	}
	double v = per_exit(vs.seconds, vl.seconds);
	printf("vrun: %.2f us per exit, ratio to the minimal loop %.3f (goal <= 1.02)\n", v, v / ref);
	printf("vrun: start to first guest output %.2f ms (goal < 5 ms), start to exit %.2f ms\n",
	       vs.first_output * 1e3, vs.seconds * 1e3);
	printf("vrun: max RSS %ld KiB with a 16 MiB guest that touches < 256 KiB of it (goal < 4096 KiB beyond guest memory)\n",
	       vs.maxrss_kib);

	if (access("/usr/bin/qemu-system-x86_64", X_OK) == 0) {
		char *qa_s[] = { "qemu-system-x86_64", "-accel", "kvm", "-M", "pc", "-m", "16", "-nodefaults",
				 "-no-user-config", "-display", "none", "-serial", "stdio", "-monitor", "none",
				 "-device", "isa-debug-exit,iobase=0x501,iosize=1", "-bios", small, NULL };
		char *qa_l[sizeof(qa_s) / sizeof(qa_s[0])];

		memcpy(qa_l, qa_s, sizeof(qa_s));
		qa_l[18] = large;
		if (best_of(qa_s, &qs) > 0 && best_of(qa_l, &ql) > 0 && qs.status == 1 && ql.status == 1) {
			double q = per_exit(qs.seconds, ql.seconds);
			printf("qemu: %.2f us per exit, ratio to the minimal loop %.3f; start to exit %.2f ms\n",
			       q, q / ref, qs.seconds * 1e3);
		} else {
			printf("qemu: did not run the guest with KVM here (status %d)\n", qs.status);
		}
	}
	close(kvm);
	return 0;
}
