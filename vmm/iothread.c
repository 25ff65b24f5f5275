/* iothread.c - the per-device epoll thread: device I/O happens here, never on a vCPU thread. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util/error.h"
#include "vmm/iothread.h"

#define STOP_TAG UINT32_MAX
#define CALL_TAG (UINT32_MAX - 1)

static int (*start_hook)(void);

void vk_iothread_set_start_hook(int (*hook)(void))
{
	start_hook = hook;
}

int vk_iothread_init(struct vk_iothread *t, vk_iothread_fn fn, void *opaque)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->opaque = opaque;
	t->stopfd = t->callfd = -1;
	pthread_mutex_init(&t->call_serial, NULL);
	pthread_mutex_init(&t->call_lock, NULL);
	pthread_cond_init(&t->call_cond, NULL);
	t->call_ready = true;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0)
		return vk_error(errno, "epoll_create1");
	t->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->callfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->stopfd < 0 || t->callfd < 0)
		return vk_error(errno, "eventfd");	/* vk_iothread_free() closes what exists */
	if (vk_iothread_watch(t, t->stopfd, STOP_TAG) < 0)
		return -errno;
	return vk_iothread_watch(t, t->callfd, CALL_TAG);
}

int vk_iothread_watch(struct vk_iothread *t, int fd, unsigned tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return vk_error(errno, "epoll_ctl(ADD)");
	return 0;
}

int vk_iothread_pause(struct vk_iothread *t, int fd, unsigned tag, bool paused)
{
	struct epoll_event ev = { .events = paused ? 0 : EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(t->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return vk_error(errno, "epoll_ctl(MOD)");
	return 0;
}

int vk_iothread_unwatch(struct vk_iothread *t, int fd)
{
	if (epoll_ctl(t->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
		return vk_error(errno, "epoll_ctl(DEL)");
	return 0;
}

/* A vk_iothread_call() is waiting: run it and wake its caller. */
static void serve_call(struct vk_iothread *t)
{
	uint64_t count;

	if (read(t->callfd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&t->call_lock);
	if (t->call_pending) {
		t->call_rc = t->call_fn(t->call_arg);
		if (t->call_rc < 0)
			snprintf(t->call_error, sizeof(t->call_error), "%s", vk_last_error());
		t->call_pending = false;
		pthread_cond_broadcast(&t->call_cond);
	}
	pthread_mutex_unlock(&t->call_lock);
}

static void serve(struct vk_iothread *t)
{
	struct epoll_event evs[16];

	for (;;) {
		int n = epoll_wait(t->epfd, evs, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == STOP_TAG)
				return;
			if (evs[i].data.u32 == CALL_TAG)
				serve_call(t);
			else
				t->fn(t->opaque, evs[i].data.u32);
		}
	}
}

static void *iothread_main(void *arg)
{
	struct vk_iothread *t = arg;

	/* When the hook fails it has reported why; the thread serves nothing. */
	if (!start_hook || start_hook() == 0)
		serve(t);
	pthread_mutex_lock(&t->call_lock);
	t->ended = true;	/* a waiting caller must not wait for ever */
	pthread_cond_broadcast(&t->call_cond);
	pthread_mutex_unlock(&t->call_lock);
	return NULL;
}

int vk_iothread_call(struct vk_iothread *t, int (*fn)(void *arg), void *arg)
{
	uint64_t one = 1;
	bool served = false;
	int rc = 0;

	if (!t->running)
		return fn(arg);
	pthread_mutex_lock(&t->call_serial);
	pthread_mutex_lock(&t->call_lock);
	if (!t->ended && write(t->callfd, &one, sizeof(one)) == sizeof(one)) {
		t->call_fn = fn;
		t->call_arg = arg;
		t->call_pending = true;
		while (t->call_pending && !t->ended)
			pthread_cond_wait(&t->call_cond, &t->call_lock);
		served = !t->call_pending;
		rc = t->call_rc;
		t->call_pending = false;
	}
	pthread_mutex_unlock(&t->call_lock);
	pthread_mutex_unlock(&t->call_serial);
	if (!served)
		return vk_errorx(ESHUTDOWN, "the I/O thread has stopped");
	if (rc < 0)
		vk_errorx(-rc, "%s", t->call_error);
	return rc;
}

int vk_iothread_start(struct vk_iothread *t, const char *name)
{
	int rc = pthread_create(&t->tid, NULL, iothread_main, t);

	if (rc)
		return vk_error(rc, "%s: cannot start I/O thread", name);
	pthread_setname_np(t->tid, name);
	t->running = true;
	return 0;
}

void vk_iothread_stop(struct vk_iothread *t)
{
	uint64_t one = 1;

	if (!t->running)
		return;
	if (write(t->stopfd, &one, sizeof(one)) != sizeof(one))
		return;		/* cannot happen with a non-full eventfd */
	pthread_join(t->tid, NULL);
	t->running = false;
}

void vk_iothread_free(struct vk_iothread *t)
{
	vk_iothread_stop(t);
	if (t->stopfd >= 0)
		close(t->stopfd);
	if (t->callfd >= 0)
		close(t->callfd);
	if (t->epfd >= 0)
		close(t->epfd);
	t->stopfd = t->callfd = t->epfd = -1;
	if (t->call_ready) {
		pthread_mutex_destroy(&t->call_serial);
		pthread_mutex_destroy(&t->call_lock);
		pthread_cond_destroy(&t->call_cond);
		t->call_ready = false;
	}
}
