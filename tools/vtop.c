/* vtop.c - virt-top for vkit: CPU, memory, disk and network activity of the running VMs, asked of their control sockets. */
#include "config.h"

#include <curses.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <popt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "common/util/clock.h"
#include "common/vm/control-client.h"
#include "common/util/error.h"
#include "common/util/ids.h"
#include "common/util/options.h"
#include "common/vm/statedir.h"
#include "common/vm/vmstats.h"

/* A runner that has not answered in a second is skipped for this
 * refresh: one stuck VM must not freeze the others' figures. */
#define CALL_TIMEOUT_MS	1000
#define DELAY_MAX_S	86400.0
#define NOTE_MAX	512

enum sort_key { SORT_CPU, SORT_MEM, SORT_TIME, SORT_ID, SORT_NAME, SORT_NETRX, SORT_NETTX,
		SORT_BLOCKRDRQ, SORT_BLOCKWRRQ };
static const char *const sort_names[] = { "cpu", "mem", "time", "id", "name", "netrx", "nettx",
					  "blockrdrq", "blockwrrq", NULL };

/* One running VM as last seen; rates once it has been seen twice. */
struct vm {
	char name[VK_NAME_MAX + 1];
	int pid;
	enum vk_vm_run_state state;
	uint64_t sampled_ns;		/* CLOCK_MONOTONIC when its stats reply came */
	struct vk_vm_sample sample;
	bool have_rates;
	struct vk_vm_rates rates;
	bool seen;
};

struct top {
	struct vm *vms;
	size_t n, cap;
	uint64_t host_ram;
	long host_cpus;
	bool batch, vcpu_view;
	enum sort_key sort;
	double delay;
	char when[16];			/* HH:MM:SS of the last refresh */
	char note[NOTE_MAX];		/* the last problem, shown on the screen */
	FILE *csv;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* A VM that could not be read: on stderr in batch mode, on the screen's
 * last line otherwise (stderr would scribble over the screen). */
static void note_problem(struct top *t, const char *name)
{
	if (t->batch)
		vk_report_object(name);
	else
		snprintf(t->note, sizeof(t->note), "%s: %s", name, vk_last_error());
}

/* status and stats of one VM, on one connection; both replies are
 * hostile and parsed as such (common/vm/vmstats.h). */
static int poll_vm(const char *name, enum vk_vm_run_state *state, struct vk_vm_sample *sample,
		   uint64_t *sampled_ns)
{
	struct vk_control_client *c = NULL;
	struct json_object *status = NULL, *stats = NULL;
	struct vk_vm_status st;
	int rc;

	rc = vk_control_connect_vm(name, CALL_TIMEOUT_MS, &c);
	if (rc < 0)
		goto out;
	rc = vk_control_call(c, "status", CALL_TIMEOUT_MS, &status);
	if (rc == 0)
		rc = vk_vm_status_parse(status, &st);
	if (rc < 0)
		goto out;
	*state = st.state;
	rc = vk_control_call(c, "stats", CALL_TIMEOUT_MS, &stats);
	if (rc < 0)
		goto out;
	*sampled_ns = vk_now_ns();
	rc = vk_vm_sample_parse(stats, sample);
out:
	json_object_put(status);
	json_object_put(stats);
	vk_control_close(c);
	return rc;
}

static struct vm *find_vm(struct top *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->vms[i].name, name) == 0)
			return &t->vms[i];
	return NULL;
}

/* Read one VM and fold it into the table.  A VM that stopped since it was
 * listed just disappears; any other failure is noted and the VM skipped. */
static int refresh_vm(struct top *t, const char *name, int pid)
{
	struct vk_vm_sample *sample = NULL;
	enum vk_vm_run_state state = VK_VM_RUNNING;
	uint64_t sampled_ns = 0;
	struct vm *vm;
	int rc;

	sample = malloc(sizeof(*sample));
	if (!sample)
		return vk_error(ENOMEM, "%s", name);
	rc = poll_vm(name, &state, sample, &sampled_ns);
	if (rc < 0 && vk_vm_running_pid(name) != pid) {
		/* Its vrun is gone, and its socket with it. */
		vk_error_clear();
		rc = 0;
		goto out;
	}
	if (rc < 0) {
		note_problem(t, name);
		rc = 0;
		goto out;
	}
	vm = find_vm(t, name);
	if (vm && vm->pid != pid) {
		/* Another vrun took the name: its counters start again. */
		vm->have_rates = false;
		vm->sampled_ns = 0;
	}
	if (!vm) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 8;
			struct vm *grown = realloc(t->vms, cap * sizeof(*grown));

			if (!grown) {
				rc = vk_error(ENOMEM, "%s", name);
				goto out;
			}
			t->vms = grown;
			t->cap = cap;
		}
		vm = &t->vms[t->n++];
		memset(vm, 0, sizeof(*vm));
		snprintf(vm->name, sizeof(vm->name), "%s", name);
	}
	vm->have_rates = vm->sampled_ns && sampled_ns > vm->sampled_ns &&
			 vk_vm_rates_compute(&vm->sample, sample, sampled_ns - vm->sampled_ns, &vm->rates) == 0;
	vm->pid = pid;
	vm->state = state;
	vm->sample = *sample;
	vm->sampled_ns = sampled_ns;
	vm->seen = true;
out:
	free(sample);
	return rc;
}

/* Every run/NAME.sock whose vrun is alive, read once; VMs gone since the
 * last refresh leave the table. */
static int collect(struct top *t)
{
	char *dir = NULL, name[VK_NAME_MAX + 1];
	struct dirent *de;
	DIR *d = NULL;
	time_t now = time(NULL);
	struct tm tm;
	size_t kept = 0;
	int rc;

	for (size_t i = 0; i < t->n; i++)
		t->vms[i].seen = false;
	rc = vk_state_path(&dir, "run", NULL);
	if (rc < 0)
		goto out;
	d = opendir(dir);
	if (!d) {
		rc = vk_error(errno, "%s", dir);
		goto out;
	}
	while (rc == 0 && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		int pid;

		if (len <= 5 || len - 5 > VK_NAME_MAX || strcmp(de->d_name + len - 5, ".sock") != 0)
			continue;
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = '\0';
		if (vk_name_check(name) < 0) {
			vk_error_clear();	/* not a socket vrun made */
			continue;
		}
		pid = vk_vm_running_pid(name);
		if (pid > 0)
			rc = refresh_vm(t, name, pid);
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->vms[i].seen)
			t->vms[kept++] = t->vms[i];
	t->n = kept;
	localtime_r(&now, &tm);
	strftime(t->when, sizeof(t->when), "%H:%M:%S", &tm);
out:
	if (d)
		closedir(d);
	free(dir);
	return rc;
}

static enum sort_key current_sort;

static double sort_value(const struct vm *vm)
{
	const struct vk_vm_rates *r = &vm->rates;

	switch (current_sort) {
	case SORT_CPU:
		return vm->have_rates ? r->cpu_pct : -1;
	case SORT_MEM:
		return (double)vm->sample.rss_bytes;
	case SORT_TIME:
		return (double)vm->sample.cpu_ns;
	case SORT_NETRX:
		return vm->have_rates ? r->rx_bytes : -1;
	case SORT_NETTX:
		return vm->have_rates ? r->tx_bytes : -1;
	case SORT_BLOCKRDRQ:
		return vm->have_rates ? r->rd_reqs : -1;
	case SORT_BLOCKWRRQ:
		return vm->have_rates ? r->wr_reqs : -1;
	default:
		return 0;
	}
}

/* Largest first, as virt-top; by ID and name smallest first; ties by name. */
static int compare_vms(const void *pa, const void *pb)
{
	const struct vm *a = pa, *b = pb;
	double va, vb;

	if (current_sort == SORT_ID && a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (current_sort != SORT_ID && current_sort != SORT_NAME) {
		va = sort_value(a);
		vb = sort_value(b);
		if (va != vb)
			return va > vb ? -1 : 1;
	}
	return strcmp(a->name, b->name);
}

/* virt-top's letters, and the CSV's words (vrun's own). */
static char state_letter(enum vk_vm_run_state state)
{
	return state == VK_VM_PAUSED ? 'P' : state == VK_VM_STOPPING ? 'D' : 'R';
}

static const char *state_word(enum vk_vm_run_state state)
{
	return state == VK_VM_PAUSED ? "paused" : state == VK_VM_STOPPING ? "stopping" : "running";
}

static double mem_pct(const struct top *t, const struct vm *vm)
{
	return t->host_ram ? 100.0 * (double)vm->sample.rss_bytes / (double)t->host_ram : 0;
}

/* The screen and batch mode print the same lines; emit puts one out. */
typedef void (*emit_fn)(const char *line, bool bold);

static void count_field(char *out, size_t len, bool have, double v)
{
	char buf[VK_COUNT_STR_MAX];

	vk_format_count(have ? v : -1, buf);
	snprintf(out, len, "%5s", buf);
}

static void show_frame(struct top *t, emit_fn emit)
{
	char line[512], rdrq[8], wrrq[8], rxby[8], txby[8], cpu[16], tm[VK_CPUTIME_STR_MAX];
	unsigned running = 0, paused = 0;
	uint64_t guest = 0;
	double total_cpu = 0;

	current_sort = t->sort;
	if (t->n)	/* qsort(NULL, 0, ...) is undefined */
		qsort(t->vms, t->n, sizeof(*t->vms), compare_vms);
	for (size_t i = 0; i < t->n; i++) {
		running += t->vms[i].state == VK_VM_RUNNING;
		paused += t->vms[i].state == VK_VM_PAUSED;
		guest += t->vms[i].sample.guest_bytes;
		if (t->vms[i].have_rates)
			total_cpu += t->vms[i].rates.cpu_pct;
	}
	snprintf(line, sizeof(line), "vtop %s - %ld CPUs, %llu MB, sorted by %s", t->when, t->host_cpus,
		 (unsigned long long)(t->host_ram >> 20), sort_names[t->sort]);
	emit(line, false);
	snprintf(line, sizeof(line), "%zu domains, %u running, %u paused", t->n, running, paused);
	emit(line, false);
	snprintf(line, sizeof(line), "CPU: %.1f%%  Mem: %llu MB (%llu MB by guests)", total_cpu,
		 (unsigned long long)(t->host_ram >> 20), (unsigned long long)(guest >> 20));
	emit(line, false);
	emit("", false);
	emit("     ID S  RDRQ  WRRQ  RXBY  TXBY   %CPU  %MEM       TIME NAME", true);
	for (size_t i = 0; i < t->n; i++) {
		const struct vm *vm = &t->vms[i];
		const struct vk_vm_rates *r = &vm->rates;

		count_field(rdrq, sizeof(rdrq), vm->have_rates, r->rd_reqs);
		count_field(wrrq, sizeof(wrrq), vm->have_rates, r->wr_reqs);
		count_field(rxby, sizeof(rxby), vm->have_rates, r->rx_bytes);
		count_field(txby, sizeof(txby), vm->have_rates, r->tx_bytes);
		if (vm->have_rates)
			snprintf(cpu, sizeof(cpu), "%6.1f", r->cpu_pct);
		else
			snprintf(cpu, sizeof(cpu), "%6s", "-");
		vk_format_cputime(vm->sample.cpu_ns, tm);
		snprintf(line, sizeof(line), "%7d %c %s %s %s %s %s %5.1f %10s %s", vm->pid,
			 state_letter(vm->state), rdrq, wrrq, rxby, txby, cpu, mem_pct(t, vm), tm, vm->name);
		emit(line, false);
		for (unsigned j = 0; t->vcpu_view && j < vm->sample.n_vcpus; j++) {
			bool have = vm->have_rates && j < r->n_vcpus;

			if (have)
				snprintf(cpu, sizeof(cpu), "%6.1f", r->vcpu_pct[j]);
			else
				snprintf(cpu, sizeof(cpu), "%6s", "-");
			vk_format_cputime(vm->sample.vcpu_ns[j], tm);
			snprintf(line, sizeof(line), "%7s   vCPU %-3u tid %-10llu %s %5s %10s", "", j,
				 (unsigned long long)vm->sample.vcpu_tid[j], cpu, "", tm);
			emit(line, false);
		}
	}
}

static const char csv_header[] =
	"Time,Domain ID,Domain name,State,Interval (ns),CPU (ns),%CPU,Mem (bytes),RSS (bytes),%Mem,"
	"Block RDRQ,Block WRRQ,Block RDBY,Block WRBY,Net RXBY,Net TXBY,Net RXPK,Net TXPK,Exits\n";

/* One line per VM per refresh, rates per second; a VM seen for the first
 * time has no interval yet and leaves the rate fields empty. */
static void write_csv(struct top *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct vm *vm = &t->vms[i];
		const struct vk_vm_rates *r = &vm->rates;

		fprintf(t->csv, "%s,%d,%s,%s,", t->when, vm->pid, vm->name, state_word(vm->state));
		if (vm->have_rates)
			fprintf(t->csv, "%llu,%llu,%.1f,", (unsigned long long)r->interval_ns,
				(unsigned long long)r->cpu_ns, r->cpu_pct);
		else
			fputs(",,,", t->csv);
		fprintf(t->csv, "%llu,%llu,%.1f,", (unsigned long long)vm->sample.guest_bytes,
			(unsigned long long)vm->sample.rss_bytes, mem_pct(t, vm));
		if (vm->have_rates)
			fprintf(t->csv, "%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n", r->rd_reqs, r->wr_reqs,
				r->rd_bytes, r->wr_bytes, r->rx_bytes, r->tx_bytes, r->rx_packets,
				r->tx_packets, r->exits);
		else
			fputs(",,,,,,,,\n", t->csv);
	}
	fflush(t->csv);
}

static void emit_stdout(const char *line, bool bold)
{
	(void)bold;
	puts(line);
}

static int screen_row;

static void emit_screen(const char *line, bool bold)
{
	if (screen_row >= LINES - 1)	/* the last line is for notes and prompts */
		return;
	if (bold)
		attron(A_REVERSE);
	mvaddnstr(screen_row, 0, line, COLS);
	if (bold) {
		for (int x = (int)strlen(line); x < COLS; x++)
			addch(' ');
		attroff(A_REVERSE);
	}
	screen_row++;
}

static void draw_screen(struct top *t)
{
	erase();
	screen_row = 0;
	show_frame(t, emit_screen);
	if (t->note[0])
		mvaddnstr(LINES - 1, 0, t->note, COLS);
	refresh();
}

/* 'd': a new delay typed on the last line. */
static void ask_delay(struct top *t)
{
	char buf[32];
	double d;
	char *end;

	move(LINES - 1, 0);
	clrtoeol();
	printw("Change delay from %.1f to: ", t->delay);
	echo();
	timeout(-1);
	getnstr(buf, sizeof(buf) - 1);
	noecho();
	d = strtod(buf, &end);
	if (end != buf && *end == '\0' && d > 0 && d <= DELAY_MAX_S) {
		t->delay = d;
		t->note[0] = '\0';
	} else {
		snprintf(t->note, sizeof(t->note), "not a delay in seconds: '%s'", buf);
	}
}

/* Keys until deadline (CLOCK_MONOTONIC ns); false once 'q' is pressed. */
static bool wait_keys(struct top *t, uint64_t *deadline)
{
	for (;;) {
		uint64_t now = vk_now_ns();
		int key;

		if (stop_requested)
			return false;
		if (now >= *deadline)
			return true;
		timeout((int)((*deadline - now + 999999) / 1000000));
		key = getch();
		switch (key) {
		case 'q':
		case 'Q':
			return false;
		case 'P': t->sort = SORT_CPU; break;
		case 'M': t->sort = SORT_MEM; break;
		case 'T': t->sort = SORT_TIME; break;
		case 'N': t->sort = SORT_ID; break;
		case 'B': t->sort = SORT_BLOCKRDRQ; break;
		case '1': t->vcpu_view = !t->vcpu_view; break;
		case 'd':
		case 's': {
			double old = t->delay;

			ask_delay(t);
			*deadline = *deadline - (uint64_t)(old * 1e9) + (uint64_t)(t->delay * 1e9);
			break;
		}
		case ERR:
			continue;
		default:
			break;
		}
		draw_screen(t);
	}
}

/* Wait for deadline in batch mode; false when a signal asks us to stop. */
static bool wait_batch(uint64_t deadline)
{
	struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000),
			       .tv_nsec = (long)(deadline % 1000000000) };

	while (!stop_requested) {
		int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

		if (rc == 0)
			return true;
		if (rc != EINTR)
			return false;
	}
	return false;
}

/* The first refresh only takes the snapshot the first rates start from;
 * the screen shows it at once (rates as "-"), batch mode prints nothing
 * for it. */
static int run(struct top *t, int iterations)
{
	uint64_t deadline;
	int rc;

	rc = collect(t);
	if (rc < 0)
		return rc;
	if (!t->batch)
		draw_screen(t);
	deadline = vk_now_ns() + (uint64_t)(t->delay * 1e9);
	for (int i = 0; iterations <= 0 || i < iterations; i++) {
		if (!(t->batch ? wait_batch(deadline) : wait_keys(t, &deadline)))
			break;
		/* Behind (a slow VM, a suspended terminal): start again from now
		 * rather than refreshing in a burst. */
		deadline += (uint64_t)(t->delay * 1e9);
		if (deadline < vk_now_ns())
			deadline = vk_now_ns() + (uint64_t)(t->delay * 1e9);
		rc = collect(t);
		if (rc < 0)
			return rc;
		if (t->batch) {
			show_frame(t, emit_stdout);
			putchar('\n');
			if (fflush(stdout) != 0)
				return vk_error(errno, "standard output");
		} else {
			draw_screen(t);
		}
		if (t->csv)
			write_csv(t);
		if (t->csv && ferror(t->csv))
			return vk_error(EIO, "the CSV file");
	}
	return 0;
}

static int parse_sort(const char *arg, enum sort_key *out)
{
	for (int i = 0; sort_names[i]; i++) {
		if (strcmp(arg, sort_names[i]) == 0) {
			*out = (enum sort_key)i;
			return 0;
		}
	}
	return vk_errorx(EINVAL, "-o: '%s' is not cpu, mem, time, id, name, netrx, nettx, blockrdrq or blockwrrq",
			 arg);
}

int main(int argc, const char **argv)
{
	int batch = 0, stream = 0, iterations = 0;
	double delay = 3.0;
	char *sort_arg = NULL, *csv_path = NULL, *connect_uri = NULL;
	struct poptOption table[] = {
		{ "delay", 'd', POPT_ARG_DOUBLE, &delay, 0, "Seconds between refreshes (default 3)", "DELAY" },
		{ "iterations", 'n', POPT_ARG_INT, &iterations, 0, "Stop after N refreshes", "N" },
		{ "batch", 'b', POPT_ARG_NONE, &batch, 0, "Plain text on standard output, no screen", NULL },
		{ "stream", '\0', POPT_ARG_NONE, &stream, 0, "The same as --batch", NULL },
		{ "csv", '\0', POPT_ARG_STRING, &csv_path, 0, "Also write each refresh to FILE as CSV", "FILE" },
		{ NULL, 'o', POPT_ARG_STRING, &sort_arg, 0,
		  "Sort by cpu (default), mem, time, id, name, netrx, nettx, blockrdrq, blockwrrq", "SORT" },
		{ "connect", 'c', POPT_ARG_STRING, &connect_uri, 0, "Accepted for virt-top compatibility; ignored",
		  "URI" },
		{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	struct top t = { .sort = SORT_CPU };
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct sysinfo si;
	poptContext ctx = NULL;
	SCREEN *term = NULL;
	bool screen = false;
	int rc, status = EXIT_FAILURE;

	rc = vk_options_parse(argc, argv, table, NULL, &ctx);
	if (rc != 0) {
		status = rc > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}
	if (poptPeekArg(ctx)) {
		fprintf(stderr, "vtop: unexpected argument '%s'\n", poptPeekArg(ctx));
		goto out;
	}
	if (!(delay > 0 && delay <= DELAY_MAX_S)) {
		fprintf(stderr, "vtop: -d: the delay must be more than 0 and at most %.0f seconds\n", DELAY_MAX_S);
		goto out;
	}
	if (iterations < 0) {
		fprintf(stderr, "vtop: -n: the number of iterations must be positive\n");
		goto out;
	}
	if (sort_arg && parse_sort(sort_arg, &t.sort) < 0) {
		vk_report(NULL);
		goto out;
	}
	t.delay = delay;
	t.batch = batch || stream;
	t.host_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (sysinfo(&si) == 0)
		t.host_ram = (uint64_t)si.totalram * si.mem_unit;
	if (csv_path) {
		t.csv = fopen(csv_path, "w");
		if (!t.csv) {
			vk_error(errno, "%s", csv_path);
			vk_report(NULL);
			goto out;
		}
		fputs(csv_header, t.csv);
	}
	/* Before initscr(): ncurses then leaves these signals to us, and
	 * every way out goes through endwin(). */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (!t.batch) {
		/* newterm(), not initscr(): initscr() exits on a bad $TERM. */
		if (!isatty(STDOUT_FILENO) || !(term = newterm(NULL, stdout, stdin))) {
			fprintf(stderr, "vtop: standard output is not a terminal (use -b for batch mode)\n");
			goto out;
		}
		screen = true;
		cbreak();
		noecho();
		curs_set(0);
		keypad(stdscr, TRUE);
	}
	rc = run(&t, iterations);
	if (screen)
		endwin();
	screen = false;
	if (rc < 0) {
		vk_report(NULL);
		goto out;
	}
	status = EXIT_SUCCESS;
out:
	if (screen)
		endwin();
	if (term)
		delscreen(term);
	if (t.csv && fclose(t.csv) != 0) {
		fprintf(stderr, "vtop: %s: %s\n", csv_path, strerror(errno));
		status = EXIT_FAILURE;
	}
	if (fflush(stdout) != 0)
		status = EXIT_FAILURE;
	poptFreeContext(ctx);
	free(t.vms);
	free(sort_arg);
	free(csv_path);
	free(connect_uri);
	return status;
}
