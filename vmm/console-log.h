/* console-log.h - the guest's console output in a file of capped size, written by its own thread. */
#ifndef VK_CONSOLE_LOG_H
#define VK_CONSOLE_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define VK_CONSOLE_LOG_DEFAULT_MAX	(1024 * 1024)	/* bytes per file */
#define VK_CONSOLE_LOG_MIN_MAX		4096

/*
 * PATH never grows beyond max bytes: when it is full, its content replaces
 * PATH.1 and PATH starts again from empty.  So at most 2 * max bytes are on
 * disk and the newest max bytes (at least) are always there, PATH.1 then
 * PATH.  Both files are opened (and emptied) at open time, so rotation needs
 * no open() or rename(): the writer thread's seccomp list stays small and a
 * dropped user needs no right on the directory.
 */
struct vk_console_log {
	char *path;
	int fd, old_fd;		/* PATH and PATH.1 */
	uint64_t max, size;	/* size: bytes now in PATH */
	unsigned rotations;
	bool failed;		/* a write failed: output is dropped from then on */
	int pipe_in, pipe_out;	/* the UART writes pipe_in; the thread reads pipe_out */
	pthread_t thread;
	bool running;
};

/* Open (create or empty) PATH and PATH.1 and the pipe.  0 or -errno with a message. */
int vk_console_log_open(struct vk_console_log *l, const char *path, uint64_t max);
/* Append len bytes, rotating as needed.  0, or -errno (with a message) once
 * a write failed; later calls then drop their bytes and return the same. */
int vk_console_log_write(struct vk_console_log *l, const void *buf, size_t len);
/* Start the thread that moves what arrives on the pipe into the file (it
 * enters the console seccomp filter first). */
int vk_console_log_start(struct vk_console_log *l);
/* Close the pipe's write end, let the thread write what is left, join it,
 * close the files.  Safe on a log that was never opened (fd -1). */
void vk_console_log_close(struct vk_console_log *l);

#endif
