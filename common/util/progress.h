/* progress.h - a progress bar for long work (downloads, copies). */
#ifndef VK_PROGRESS_H
#define VK_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vk_progress;

/* A bar labelled label for total bytes (0 = unknown).  It draws only when
 * stderr is a TTY and quiet is false; otherwise every call is a no-op. */
struct vk_progress *vk_progress_new(const char *label, uint64_t total, bool quiet);
/* Redraws at most ~10 times a second: rate and ETA. */
void vk_progress_update(struct vk_progress *p, uint64_t done);
/* Final line (with a newline); frees p. NULL is fine. */
void vk_progress_finish(struct vk_progress *p, bool ok);
/* Adapter for vk_progress_fn callbacks (opaque = struct vk_progress *). */
int vk_progress_callback(void *opaque, uint64_t done, uint64_t total);

/* The bar's text for width columns, into buf (what a redraw prints, without
 * the carriage return); returns snprintf's count.  Exposed for tests. */
int vk_progress_render(char *buf, size_t len, int width, const char *label, uint64_t done,
		       uint64_t total, double elapsed_s);

#endif
