/* progress.c - a one-line progress bar with rate and ETA, drawn only on a terminal. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/util/clock.h"
#include "common/util/progress.h"
#include "common/util/size.h"

#define REDRAW_INTERVAL_NS 100000000LL	/* at most 10 redraws a second */
#define BAR_WIDTH_DEFAULT 80

struct vk_progress {
	char *label;
	uint64_t total, done;
	long long start_ns, last_draw_ns;
	bool enabled;
	FILE *out;
};

static int terminal_width(FILE *out)
{
	struct winsize ws;

	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return BAR_WIDTH_DEFAULT;
}

int vk_progress_render(char *buf, size_t len, int width, const char *label, uint64_t done,
		       uint64_t total, double elapsed_s)
{
	char done_s[32], total_s[32], rate_s[32], eta[32] = "";
	double rate = elapsed_s > 0 ? (double)done / elapsed_s : 0;
	unsigned pct = 0;
	int bar, fill, n, i;

	vk_size_format(done, done_s, sizeof(done_s));
	vk_size_format((uint64_t)rate, rate_s, sizeof(rate_s));
	if (total == 0)
		return snprintf(buf, len, "%s %s %s/s", label, done_s, rate_s);
	if (done > total)
		done = total;
	pct = (unsigned)((double)done * 100 / (double)total);
	vk_size_format(total, total_s, sizeof(total_s));
	if (rate > 0 && done < total) {
		unsigned long long left = (unsigned long long)((double)(total - done) / rate);

		snprintf(eta, sizeof(eta), " ETA %llu:%02llu:%02llu", left / 3600, left / 60 % 60,
			 left % 60);
	}
	n = snprintf(buf, len, "%s %3u%% [", label, pct);
	bar = width - n - (int)strlen(done_s) - (int)strlen(total_s) - (int)strlen(rate_s) -
	      (int)strlen(eta) - 8;
	if (bar < 10)
		bar = 10;
	fill = (int)((uint64_t)bar * done / total);
	for (i = 0; i < bar && n >= 0 && (size_t)n + 1 < len; i++)
		buf[n++] = i < fill ? '=' : ' ';
	if (n >= 0 && (size_t)n < len)
		buf[n] = '\0';
	return n + snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, "] %s/%s %s/s%s",
			    done_s, total_s, rate_s, eta);
}

struct vk_progress *vk_progress_new(const char *label, uint64_t total, bool quiet)
{
	struct vk_progress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->label = strdup(label ? label : "");
	p->total = total;
	p->out = stderr;
	p->enabled = !quiet && isatty(fileno(stderr));
	p->start_ns = (long long)vk_now_ns();
	return p;
}

static void draw(struct vk_progress *p)
{
	char line[512];

	vk_progress_render(line, sizeof(line), terminal_width(p->out) - 1,
			   p->label ? p->label : "", p->done, p->total,
			   (double)((long long)vk_now_ns() - p->start_ns) / 1e9);
	fprintf(p->out, "\r%s\033[K", line);
	fflush(p->out);
}

void vk_progress_update(struct vk_progress *p, uint64_t done)
{
	long long t;

	if (!p)
		return;
	p->done = done;
	if (!p->enabled)
		return;
	t = (long long)vk_now_ns();
	if (p->last_draw_ns && t - p->last_draw_ns < REDRAW_INTERVAL_NS)
		return;
	p->last_draw_ns = t;
	draw(p);
}

void vk_progress_finish(struct vk_progress *p, bool ok)
{
	if (!p)
		return;
	if (p->enabled) {
		draw(p);
		fprintf(p->out, " %s\n", ok ? "done" : "failed");
	}
	free(p->label);
	free(p);
}

int vk_progress_callback(void *opaque, uint64_t done, uint64_t total)
{
	struct vk_progress *p = opaque;

	if (p && total && !p->total)
		p->total = total;
	vk_progress_update(p, done);
	return 0;
}
