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
	pthread_t tid;
	bool running;
	vk_iothread_fn fn;
	void *opaque;
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
void vk_iothread_stop(struct vk_iothread *t);
void vk_iothread_free(struct vk_iothread *t);

#endif
