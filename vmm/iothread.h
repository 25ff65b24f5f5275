/* iothread.h - one epoll thread per device: waits on doorbell eventfds and backend fds, calls the device. */
#ifndef VK_IOTHREAD_H
#define VK_IOTHREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef void (*vk_iothread_fn)(void *opaque, unsigned tag);

struct vk_iothread {
	int epfd;		/* -1 until vk_iothread_init() */
	int stopfd;		/* eventfd: written by vk_iothread_stop() */
	int callfd;		/* eventfd: written by vk_iothread_call() */
	pthread_t tid;
	bool running;
	vk_iothread_fn fn;
	void *opaque;
	/* vk_iothread_call(): one caller at a time (call_serial); the rest
	 * under call_lock, done or ended signalled on call_cond. */
	pthread_mutex_t call_serial, call_lock;
	pthread_cond_t call_cond;
	int (*call_fn)(void *arg);
	void *call_arg;
	int call_rc;
	char call_error[256];	/* fn's message: error.h's are per thread */
	bool call_pending;
	bool ended;		/* the thread has returned (or never served) */
	bool call_ready;	/* the call's lock and condition exist */
};

int vk_iothread_init(struct vk_iothread *t, vk_iothread_fn fn, void *opaque);
/* Watch fd for input; fn(opaque, tag) runs on the thread when it is readable.
 * Level-triggered: fn must consume the input or vk_iothread_pause() the fd. */
int vk_iothread_watch(struct vk_iothread *t, int fd, unsigned tag);
int vk_iothread_pause(struct vk_iothread *t, int fd, unsigned tag, bool paused);
int vk_iothread_unwatch(struct vk_iothread *t, int fd);
int vk_iothread_start(struct vk_iothread *t, const char *name);
/* What every I/O thread does first (vrun: enter its seccomp filter); when
 * the hook fails, the thread ends without serving its device. */
void vk_iothread_set_start_hook(int (*hook)(void));
/* Run fn(arg) on the I/O thread, between two of its events, and return
 * its value: work that must not race the device's own (draining and
 * flushing a disk while the VM is paused).  Runs fn here when the thread
 * is not running (never started, or stopped and joined); -ESHUTDOWN when
 * it ended by itself (its start hook failed). */
int vk_iothread_call(struct vk_iothread *t, int (*fn)(void *arg), void *arg);
void vk_iothread_stop(struct vk_iothread *t);
void vk_iothread_free(struct vk_iothread *t);

#endif
