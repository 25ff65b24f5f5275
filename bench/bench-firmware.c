/* bench-firmware.c - time from starting the runner to the boot loader's first serial output, SeaBIOS booting a GRUB disk: vrun against QEMU in the same run. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SKIP		77
#define NEEDLE		"GRUB loading"	/* GRUB's boot.img/core.img, through SeaBIOS's serial console */
#define TIMEOUT_S	120.0
#define MAX_ROUNDS	21
#define SEABIOS		"/usr/share/seabios/bios-256k.bin"
#define QEMU		"/usr/bin/qemu-system-x86_64"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds from fork to NEEDLE on argv's stdout (the serial console), or -1;
 * the runner is killed once it is seen. */
static double time_to_needle(char **argv)
{
	char buf[4096], seen[2 * sizeof(buf)];
	size_t kept = 0;
	double t0 = now(), found = -1;
	int pipefd[2], status;
	pid_t pid;

	if (pipe(pipefd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		if (freopen("/dev/null", "r", stdin) == NULL)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (found < 0 && now() - t0 < TIMEOUT_S) {
		ssize_t n = read(pipefd[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		/* Keep the tail, so a needle split across reads is found. */
		if (kept + (size_t)n > sizeof(seen)) {
			size_t drop = kept + (size_t)n - sizeof(seen);

			memmove(seen, seen + drop, kept - drop);
			kept -= drop;
		}
		memcpy(seen + kept, buf, (size_t)n);
		kept += (size_t)n;
		if (memmem(seen, kept, NEEDLE, strlen(NEEDLE)))
			found = now() - t0;
	}
	kill(pid, SIGKILL);
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return found;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), compare);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	char vrun_disk[4200], qemu_drive[4200];
	const char *vrun = getenv("VRUN") ? getenv("VRUN") : "vmm/vrun";
	double tv[MAX_ROUNDS], tq[MAX_ROUNDS];
	int rounds = argc > 2 ? atoi(argv[2]) : 5;

	if (argc < 2 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: bench-firmware DISK [ROUNDS (1-%d, default 5)]\n"
			"  DISK: a raw disk that boots GRUB (tests/vmm/mkgrubdisk.sh); run where /dev/kvm\n"
			"  is hardware KVM (bench/bench-firmware.sh runs it in the nested sandbox)\n", MAX_ROUNDS);
		return 2;
	}
	if (access("/dev/kvm", R_OK | W_OK) < 0 || access(SEABIOS, R_OK) < 0 || access(QEMU, X_OK) < 0) {
		fprintf(stderr, "bench-firmware: needs /dev/kvm, %s and %s\n", SEABIOS, QEMU);
		return SKIP;
	}
	snprintf(vrun_disk, sizeof(vrun_disk), "path=%s,readonly=on", argv[1]);
	snprintf(qemu_drive, sizeof(qemu_drive), "file=%s,format=raw,if=virtio,readonly=on", argv[1]);
	char *va[] = { (char *)vrun, "--memory", "256", "--console", "stdio", "--firmware", SEABIOS,
		       "--disk", vrun_disk, NULL };
	/* The same machine for QEMU: i440FX, SeaBIOS, a virtio disk, no
	 * display (-nographic: SeaBIOS's text goes to the serial port). */
	char *qa[] = { QEMU, "-accel", "kvm", "-M", "pc", "-m", "256", "-nodefaults", "-nographic",
		       "-serial", "stdio", "-monitor", "none", "-bios", SEABIOS, "-drive", qemu_drive, NULL };

	/* Alternating, so a change in the machine's load hits both. */
	for (int i = 0; i < rounds; i++) {
		tv[i] = time_to_needle(va);
		tq[i] = time_to_needle(qa);
		printf("round %d: vrun %.1f ms, qemu %.1f ms\n", i + 1, tv[i] * 1e3, tq[i] * 1e3);
		if (tv[i] < 0 || tq[i] < 0) {
			fprintf(stderr, "bench-firmware: '%s' not seen within %.0f s from %s\n", NEEDLE, TIMEOUT_S,
				tv[i] < 0 ? "vrun" : "qemu");
			return 1;
		}
	}
	double mv = median(tv, rounds), mq = median(tq, rounds);

	printf("start to the boot loader's first output (\"%s\"), median of %d: vrun %.1f ms, "
	       "qemu -accel kvm %.1f ms, ratio %.3f (goal <= 1.0)\n", NEEDLE, rounds, mv * 1e3, mq * 1e3, mv / mq);
	return 0;
}
