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
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/util/clock.h"
#include "common/vm/control-client.h"
#include "common/util/error.h"
#include "common/util/ids.h"
#include "common/util/options.h"
#include "common/vm/statedir.h"
#include "common/vm/vmstats.h"
#include "tools/vtop.h"

/* A runner that has not answered in a second is skipped for this
 * refresh: one stuck VM must not freeze the others' figures. */
#define CALL_TIMEOUT_MS	1000
#define DELAY_MAX_S	86400.0

static const char *const sort_names[] = { "cpu", "mem", "time", "id", "name", "netrx", "nettx",
					  "blockrdrq", "blockwrrq", NULL };

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

/* The defined VMs that do not run, as virt-top counts and lists them. */
static int collect_inactive(struct top *t)
{
	char **names = NULL;
	size_t n = 0, kept = 0;
	int rc = vk_vm_list(&names, &n);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (vk_vm_running_pid(names[i]) > 0 || find_vm(t, names[i])) {
			free(names[i]);
			continue;
		}
		names[kept++] = names[i];
	}
	names[kept] = NULL;
	vk_strv_free(t->inactive);
	t->inactive = names;
	t->n_inactive = kept;
	return 0;
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
	if (rc == 0)
		rc = collect_inactive(t);
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

const char *state_word(enum vk_vm_run_state state)
{
	return state == VK_VM_PAUSED ? "paused" : state == VK_VM_STOPPING ? "stopping" : "running";
}

double mem_pct(const struct top *t, const struct vm *vm)
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

void totals_get(const struct top *t, struct totals *o)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < t->n; i++) {
		o->running += t->vms[i].state == VK_VM_RUNNING;
		o->paused += t->vms[i].state == VK_VM_PAUSED;
		o->stopping += t->vms[i].state == VK_VM_STOPPING;
		o->guest_bytes += t->vms[i].sample.guest_bytes;
		if (t->vms[i].have_rates) {
			o->cpu_pct += t->vms[i].rates.cpu_pct;
			o->cpu_ns += t->vms[i].rates.cpu_ns;
		}
	}
	o->active = (unsigned)t->n;
	o->inactive = (unsigned)t->n_inactive;
	o->count = o->active + o->inactive;
}

/* The column heads of each view; NAME starts at the same column in all. */
static const char *view_header(const struct top *t)
{
	switch (t->view) {
	case VIEW_NET:
		return "     ID S   RXBY   RXPK   TXBY   TXPK                     NAME";
	case VIEW_BLOCK:
		return "     ID S   RDRQ   WRRQ   RDBY   WRBY                     NAME";
	default:
		return t->block_in_bytes ? "     ID S  RDBY  WRBY  RXBY  TXBY   %CPU  %MEM       TIME NAME"
					 : "     ID S  RDRQ  WRRQ  RXBY  TXBY   %CPU  %MEM       TIME NAME";
	}
}

/* One VM's row in the network or block view: four counts per second. */
static void show_io_row(const struct vm *vm, const double v[4], char *line, size_t len)
{
	char c[4][8];

	for (int i = 0; i < 4; i++)
		count_field(c[i], sizeof(c[i]), vm->have_rates, v[i]);
	snprintf(line, len, "%7d %c  %s  %s  %s  %s %20s%s", vm->pid, state_letter(vm->state), c[0], c[1], c[2],
		 c[3], "", vm->name);
}

static void show_vm(const struct top *t, const struct vm *vm, emit_fn emit)
{
	char line[512], rdrq[8], wrrq[8], rxby[8], txby[8], cpu[16], tm[VK_CPUTIME_STR_MAX];
	const struct vk_vm_rates *r = &vm->rates;

	if (t->view == VIEW_NET) {
		const double v[4] = { r->rx_bytes, r->rx_packets, r->tx_bytes, r->tx_packets };

		show_io_row(vm, v, line, sizeof(line));
		emit(line, false);
		return;
	}
	if (t->view == VIEW_BLOCK) {
		const double v[4] = { r->rd_reqs, r->wr_reqs, r->rd_bytes, r->wr_bytes };

		show_io_row(vm, v, line, sizeof(line));
		emit(line, false);
		return;
	}
	count_field(rdrq, sizeof(rdrq), vm->have_rates, t->block_in_bytes ? r->rd_bytes : r->rd_reqs);
	count_field(wrrq, sizeof(wrrq), vm->have_rates, t->block_in_bytes ? r->wr_bytes : r->wr_reqs);
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
	for (unsigned j = 0; t->view == VIEW_VCPUS && j < vm->sample.n_vcpus; j++) {
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

static void show_frame(struct top *t, emit_fn emit)
{
	char line[512];
	struct totals o;

	current_sort = t->sort;
	if (t->n)	/* qsort(NULL, 0, ...) is undefined */
		qsort(t->vms, t->n, sizeof(*t->vms), compare_vms);
	totals_get(t, &o);
	snprintf(line, sizeof(line), "vtop %s - %ld CPUs, %llu MB, sorted by %s", t->when, t->host_cpus,
		 (unsigned long long)(t->host_ram >> 20), sort_names[t->sort]);
	emit(line, false);
	snprintf(line, sizeof(line), "%u domains, %u active, %u running, 0 sleeping, %u paused, %u inactive "
		 "D:%u O:0 X:0", o.count, o.active, o.running, o.paused, o.inactive, o.stopping);
	emit(line, false);
	snprintf(line, sizeof(line), "CPU: %.1f%%  Mem: %llu MB (%llu MB by guests)", o.cpu_pct,
		 (unsigned long long)(t->host_ram >> 20), (unsigned long long)(o.guest_bytes >> 20));
	emit(line, false);
	emit("", false);
	emit(view_header(t), true);
	for (size_t i = 0; i < t->n; i++)
		show_vm(t, &t->vms[i], emit);
	/* virt-top lists the inactive ones last, by name, in brackets. */
	for (size_t i = 0; i < t->n_inactive; i++) {
		snprintf(line, sizeof(line), "%7s %50s(%s)", "-", "", t->inactive[i]);
		emit(line, false);
	}
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

static const char *const help_lines[] = {
	"vtop: the keys, as in virt-top",
	"",
	"  space, ^L  refresh now",
	"  d, s       set the delay between refreshes",
	"  P M T N    sort by %CPU, memory, total time, Id",
	"  B          sort by block read requests",
	"  0          the domains",
	"  1          each VM's vCPUs (virt-top: physical CPUs)",
	"  2          each VM's network counters",
	"  3          each VM's block counters",
	"  h          this help",
	"  q          quit",
	"",
	"Any key goes back.",
};

/* 'h': the keys, until a key is pressed. */
static void show_help(void)
{
	erase();
	for (size_t i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]) && (int)i < LINES; i++)
		mvaddnstr((int)i, 0, help_lines[i], COLS);
	refresh();
	timeout(-1);
	getch();
}

/* 1, 2, 3: that view, or back to the domains when it is already shown. */
static void toggle_view(struct top *t, enum view v)
{
	t->view = t->view == v ? VIEW_DOMAINS : v;
}

/* Keys until deadline (CLOCK_MONOTONIC ns); false once 'q' is pressed
 * or --end-time has come. */
static bool wait_keys(struct top *t, uint64_t *deadline)
{
	for (;;) {
		uint64_t now = vk_now_ns(), until = *deadline;
		int key;

		if (t->end_ns && t->end_ns < until)
			until = t->end_ns;
		if (stop_requested || (t->end_ns && now >= t->end_ns))
			return false;
		if (now >= until)
			return true;
		timeout((int)((until - now + 999999) / 1000000));
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
		case '0': t->view = VIEW_DOMAINS; break;
		case '1': toggle_view(t, VIEW_VCPUS); break;
		case '2': toggle_view(t, VIEW_NET); break;
		case '3': toggle_view(t, VIEW_BLOCK); break;
		case 'h': case 'H': case '?': show_help(); break;
		case ' ': case 12: *deadline = vk_now_ns(); break;
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
		if (!(t->batch ? wait_batch(t->end_ns && t->end_ns < deadline ? t->end_ns : deadline)
			       : wait_keys(t, &deadline)))
			break;
		if (t->end_ns && vk_now_ns() >= t->end_ns)
			break;
		/* Behind (a slow VM, a suspended terminal): start again from now
		 * rather than refreshing in a burst. */
		deadline += (uint64_t)(t->delay * 1e9);
		if (deadline < vk_now_ns())
			deadline = vk_now_ns() + (uint64_t)(t->delay * 1e9);
		rc = collect(t);
		if (rc < 0)
			return rc;
		if (t->script) {
			/* --script: no user interface; the CSV is the output. */
		} else if (t->batch) {
			show_frame(t, emit_stdout);
			putchar('\n');
			if (fflush(stdout) != 0)
				return vk_error(errno, "standard output");
		} else {
			draw_screen(t);
		}
		if (t->csv_detail)
			vtop_write_csv_detail(t);
		if (t->csv_detail && ferror(t->csv_detail))
			return vk_error(EIO, "the --csv-detail file");
		if (t->csv)
			vtop_write_csv(t);
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

/* --end-time as virt-top takes it: "YYYY-MM-DD HH:MM:SS", "HH:MM:SS"
 * (today), "+HH:MM:SS" or "+SECONDS" from now.  *seconds: how long from
 * now (0 when the time has passed). */
static int parse_end_time(const char *arg, double *seconds)
{
	struct tm tm = { 0 };
	time_t now = time(NULL), end;
	unsigned h, m, sec;
	char *rest;
	int used = 0;

	if (arg[0] == '+' && sscanf(arg + 1, "%u:%u:%u%n", &h, &m, &sec, &used) == 3 && !arg[1 + used] &&
	    m < 60 && sec < 60) {
		*seconds = h * 3600.0 + m * 60.0 + sec;
		return 0;
	}
	if (arg[0] == '+') {
		*seconds = strtod(arg + 1, &rest);
		if (rest != arg + 1 && !*rest && *seconds >= 0 && *seconds <= 1e9)
			return 0;
		return vk_errorx(EINVAL, "--end-time: '%s' is not +SECONDS or +HH:MM:SS", arg);
	}
	localtime_r(&now, &tm);
	rest = strptime(arg, "%Y-%m-%d %H:%M:%S", &tm);
	if (!rest || *rest) {
		localtime_r(&now, &tm);
		rest = strptime(arg, "%H:%M:%S", &tm);
	}
	if (!rest || *rest)
		return vk_errorx(EINVAL, "--end-time: '%s' is not YYYY-MM-DD HH:MM:SS, HH:MM:SS, +HH:MM:SS "
				 "or +SECONDS", arg);
	tm.tm_isdst = -1;
	end = mktime(&tm);
	*seconds = end > now ? difftime(end, now) : 0;
	return 0;
}

/* The host's side of the header and of virt-top's CSV. */
static void host_info_get(struct top *t)
{
	struct sysinfo si;
	struct utsname uts;

	if (gethostname(t->hostname, sizeof(t->hostname) - 1) < 0)
		snprintf(t->hostname, sizeof(t->hostname), "localhost");
	if (uname(&uts) == 0)
		snprintf(t->arch, sizeof(t->arch), "%s", uts.machine);
	t->host_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (sysinfo(&si) == 0)
		t->host_ram = (uint64_t)si.totalram * si.mem_unit;
}

/* The command line, as popt leaves it. */
static struct {
	int batch, stream, iterations, script, view1, view2, view3;
	int no_csv_cpu, no_csv_mem, no_csv_block, no_csv_net, block_in_bytes, secure;
	int no_init_file, hist_cpu;
	double delay;
	char *sort_arg, *csv_path, *csv_detail_path, *end_time;
} opt = { .delay = 3.0 };

static struct poptOption vtop_options[] = {
	{ "delay", 'd', POPT_ARG_DOUBLE, &opt.delay, 0, "Seconds between refreshes (default 3)", "DELAY" },
	{ "iterations", 'n', POPT_ARG_INT, &opt.iterations, 0, "Stop after N refreshes", "N" },
	{ "batch", 'b', POPT_ARG_NONE, &opt.batch, 0, "Plain text on standard output, no screen", NULL },
	{ "stream", '\0', POPT_ARG_NONE, &opt.stream, 0, "The same as --batch", NULL },
	{ "script", '\0', POPT_ARG_NONE, &opt.script, 0, "No user interface: only the CSV (with --csv, -n)",
	  NULL },
	{ "end-time", '\0', POPT_ARG_STRING, &opt.end_time, 0, "Exit at TIME: YYYY-MM-DD HH:MM:SS, HH:MM:SS, "
	  "+HH:MM:SS or +SECONDS", "TIME" },
	{ NULL, '1', POPT_ARG_NONE, &opt.view1, 0, "Start showing each VM's vCPUs", NULL },
	{ NULL, '2', POPT_ARG_NONE, &opt.view2, 0, "Start showing network counters", NULL },
	{ NULL, '3', POPT_ARG_NONE, &opt.view3, 0, "Start showing block counters", NULL },
	{ "block-in-bytes", '\0', POPT_ARG_NONE, &opt.block_in_bytes, 0, "Block I/O in bytes, not requests",
	  NULL },
	{ "csv", '\0', POPT_ARG_STRING, &opt.csv_path, 0, "Also write each refresh to FILE, as virt-top's CSV",
	  "FILE" },
	{ "no-csv-cpu", '\0', POPT_ARG_NONE, &opt.no_csv_cpu, 0, "No CPU columns in the CSV", NULL },
	{ "no-csv-mem", '\0', POPT_ARG_NONE, &opt.no_csv_mem, 0, "No memory columns in the CSV", NULL },
	{ "no-csv-block", '\0', POPT_ARG_NONE, &opt.no_csv_block, 0, "No block columns in the CSV", NULL },
	{ "no-csv-net", '\0', POPT_ARG_NONE, &opt.no_csv_net, 0, "No network columns in the CSV", NULL },
	{ "csv-detail", '\0', POPT_ARG_STRING, &opt.csv_detail_path, 0,
	  "Write a line per VM per refresh to FILE, rates per second", "FILE" },
	{ NULL, 's', POPT_ARG_NONE, &opt.secure, 0, "Secure mode: accepted, as virt-top (changes nothing)",
	  NULL },
	{ "no-init-file", '\0', POPT_ARG_NONE, &opt.no_init_file, 0, "Accepted: vtop reads no init file", NULL },
	{ "hist-cpu", '\0', POPT_ARG_INT, &opt.hist_cpu, 0, "Accepted: vtop shows no CPU history", "SECS" },
	{ NULL, 'o', POPT_ARG_STRING, &opt.sort_arg, 0,
	  "Sort by cpu (default), mem, time, id, name, netrx, nettx, blockrdrq, blockwrrq", "SORT" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_connect_options, 0, NULL, NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

int main(int argc, const char **argv)
{
	double end_in = 0;
	struct top t = { .sort = SORT_CPU };
	struct sigaction sa = { .sa_handler = on_stop_signal };
	poptContext ctx = NULL;
	SCREEN *term = NULL;
	bool screen = false;
	int rc, status = EXIT_FAILURE;

	rc = vk_options_parse(argc, argv, vtop_options, NULL, &ctx);
	if (rc != 0) {
		status = rc > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}
	if (poptPeekArg(ctx)) {
		fprintf(stderr, "vtop: unexpected argument '%s'\n", poptPeekArg(ctx));
		goto out;
	}
	if (!(opt.delay > 0 && opt.delay <= DELAY_MAX_S)) {
		fprintf(stderr, "vtop: -d: the delay must be more than 0 and at most %.0f seconds\n", DELAY_MAX_S);
		goto out;
	}
	if (opt.iterations < 0) {
		fprintf(stderr, "vtop: -n: the number of opt.iterations must be positive\n");
		goto out;
	}
	if (opt.sort_arg && parse_sort(opt.sort_arg, &t.sort) < 0) {
		vk_report(NULL);
		goto out;
	}
	if (opt.end_time && parse_end_time(opt.end_time, &end_in) < 0) {
		vk_report(NULL);
		goto out;
	}
	if (opt.end_time)
		t.end_ns = vk_now_ns() + (uint64_t)(end_in * 1e9) + 1;
	t.delay = opt.delay;
	t.script = opt.script;
	t.batch = opt.batch || opt.stream || opt.script;
	t.view = opt.view3 ? VIEW_BLOCK : opt.view2 ? VIEW_NET : opt.view1 ? VIEW_VCPUS : VIEW_DOMAINS;
	t.block_in_bytes = opt.block_in_bytes;
	t.groups = (struct csv_groups){ !opt.no_csv_cpu, !opt.no_csv_mem, !opt.no_csv_block, !opt.no_csv_net };
	host_info_get(&t);
	if (vtop_csv_open(&t, opt.csv_path, opt.csv_detail_path) < 0) {
		vk_report(NULL);
		goto out;
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
	rc = run(&t, opt.iterations);
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
	if (!vtop_csv_close(&t, opt.csv_path, opt.csv_detail_path))
		status = EXIT_FAILURE;
	if (fflush(stdout) != 0)
		status = EXIT_FAILURE;
	poptFreeContext(ctx);
	free(t.vms);
	vk_strv_free(t.inactive);
	free(opt.sort_arg);
	free(opt.csv_path);
	free(opt.csv_detail_path);
	free(opt.end_time);
	return status;
}
