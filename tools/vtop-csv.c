/* vtop-csv.c - vtop's CSV files: virt-top's layout (--csv) and one line per VM per refresh (--csv-detail). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "tools/vtop.h"

/* virt-top's CSV (its csv_output.ml): a header naming the summary columns
 * and, once, the columns each running VM repeats on every row. */
static void write_csv_header(const struct top *t)
{
	const struct csv_groups *g = &t->groups;

	fputs("Hostname,Time,Arch,Physical CPUs,Count,Running,Blocked,Paused,Shutdown,Shutoff,Crashed,"
	      "Active,Inactive,%CPU,Total hardware memory (KB),Total memory (KB),Total guest memory (KB),"
	      "Total CPU time (ns),Domain ID,Domain name", t->csv);
	if (g->cpu)
		fputs(",CPU (ns),%CPU", t->csv);
	if (g->mem)
		fputs(",Mem (bytes),%Mem", t->csv);
	if (g->block)
		fputs(t->block_in_bytes ? ",Block RDBY,Block WRBY" : ",Block RDRQ,Block WRRQ", t->csv);
	if (g->net)
		fputs(",Net RXBY,Net TXBY", t->csv);
	fputc('\n', t->csv);
}

static int compare_pid(const void *pa, const void *pb)
{
	const struct vm *a = pa, *b = pb;

	return (a->pid > b->pid) - (a->pid < b->pid);
}

/* A count over the last interval, as virt-top's are (not per second);
 * empty before the VM has an interval. */
static void csv_count(FILE *f, const struct vm *vm, double per_second)
{
	if (vm->have_rates)
		fprintf(f, ",%.0f", per_second * (double)vm->rates.interval_ns / 1e9);
	else
		fputs(",", f);
}

/* One row per refresh: the host's summary, then each running VM's fields
 * by Id (virt-top leaves the inactive ones out). */
void vtop_write_csv(struct top *t)
{
	const struct csv_groups *g = &t->groups;
	struct totals o;

	totals_get(t, &o);
	fprintf(t->csv, "%s,%s,%s,%ld,%u,%u,0,%u,%u,0,0,%u,%u,%.1f,%llu,%llu,%llu,%llu", t->hostname, t->when,
		t->arch, t->host_cpus, o.count, o.running, o.paused, o.stopping, o.active, o.inactive, o.cpu_pct,
		(unsigned long long)(t->host_ram >> 10), (unsigned long long)(o.guest_bytes >> 10),
		(unsigned long long)(o.guest_bytes >> 10), (unsigned long long)o.cpu_ns);
	if (t->n)
		qsort(t->vms, t->n, sizeof(*t->vms), compare_pid);
	for (size_t i = 0; i < t->n; i++) {
		const struct vm *vm = &t->vms[i];
		const struct vk_vm_rates *r = &vm->rates;

		fprintf(t->csv, ",%d,%s", vm->pid, vm->name);
		if (g->cpu && vm->have_rates)
			fprintf(t->csv, ",%llu,%.1f", (unsigned long long)r->cpu_ns, r->cpu_pct);
		else if (g->cpu)
			fputs(",,", t->csv);
		if (g->mem)
			fprintf(t->csv, ",%llu,%llu", (unsigned long long)vm->sample.guest_bytes,
				t->host_ram ? (unsigned long long)(100 * vm->sample.guest_bytes / t->host_ram) : 0ULL);
		if (g->block) {
			csv_count(t->csv, vm, t->block_in_bytes ? r->rd_bytes : r->rd_reqs);
			csv_count(t->csv, vm, t->block_in_bytes ? r->wr_bytes : r->wr_reqs);
		}
		if (g->net) {
			csv_count(t->csv, vm, r->rx_bytes);
			csv_count(t->csv, vm, r->tx_bytes);
		}
	}
	fputc('\n', t->csv);
	fflush(t->csv);
}

static const char csv_detail_header[] =
	"Time,Domain ID,Domain name,State,Interval (ns),CPU (ns),%CPU,Mem (bytes),RSS (bytes),%Mem,"
	"Block RDRQ,Block WRRQ,Block RDBY,Block WRBY,Net RXBY,Net TXBY,Net RXPK,Net TXPK,Exits\n";

/* --csv-detail: one line per VM per refresh in the screen's order, rates
 * per second; a VM seen for the first time has no interval yet and
 * leaves the rate fields empty. */
void vtop_write_csv_detail(struct top *t)
{
	FILE *f = t->csv_detail;

	for (size_t i = 0; i < t->n; i++) {
		const struct vm *vm = &t->vms[i];
		const struct vk_vm_rates *r = &vm->rates;

		fprintf(f, "%s,%d,%s,%s,", t->when, vm->pid, vm->name, state_word(vm->state));
		if (vm->have_rates)
			fprintf(f, "%llu,%llu,%.1f,", (unsigned long long)r->interval_ns,
				(unsigned long long)r->cpu_ns, r->cpu_pct);
		else
			fputs(",,,", f);
		fprintf(f, "%llu,%llu,%.1f,", (unsigned long long)vm->sample.guest_bytes,
			(unsigned long long)vm->sample.rss_bytes, mem_pct(t, vm));
		if (vm->have_rates)
			fprintf(f, "%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n", r->rd_reqs, r->wr_reqs,
				r->rd_bytes, r->wr_bytes, r->rx_bytes, r->tx_bytes, r->rx_packets,
				r->tx_packets, r->exits);
		else
			fputs(",,,,,,,,\n", f);
	}
	fflush(f);
}

int vtop_csv_open(struct top *t, const char *csv_path, const char *detail_path)
{
	if (csv_path) {
		t->csv = fopen(csv_path, "w");
		if (!t->csv)
			return vk_error(errno, "%s", csv_path);
		write_csv_header(t);
	}
	if (detail_path) {
		t->csv_detail = fopen(detail_path, "w");
		if (!t->csv_detail)
			return vk_error(errno, "%s", detail_path);
		fputs(csv_detail_header, t->csv_detail);
	}
	return 0;
}

bool vtop_csv_close(struct top *t, const char *csv_path, const char *detail_path)
{
	bool complete = true;

	if (t->csv && fclose(t->csv) != 0) {
		fprintf(stderr, "vtop: %s: %s\n", csv_path, strerror(errno));
		complete = false;
	}
	if (t->csv_detail && fclose(t->csv_detail) != 0) {
		fprintf(stderr, "vtop: %s: %s\n", detail_path, strerror(errno));
		complete = false;
	}
	t->csv = t->csv_detail = NULL;
	return complete;
}
