/* iothread.c - the per-device epoll thread: device I/O happens here, never on a vCPU thread. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/error.h"
#include "vmm/iothread.h"

#define STOP_TAG UINT32_MAX

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
	t->stopfd = -1;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0)
		return vk_error(errno, "epoll_create1");
	t->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->stopfd < 0) {
		int rc = vk_error(errno, "eventfd");

		close(t->epfd);
		t->epfd = -1;
		return rc;
	}
	return vk_iothread_watch(t, t->stopfd, STOP_TAG);
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

static void *iothread_main(void *arg)
{
	struct vk_iothread *t = arg;
	struct epoll_event evs[16];

	if (start_hook && start_hook() < 0)
		return NULL;	/* the hook has reported why */
	for (;;) {
		int n = epoll_wait(t->epfd, evs, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == STOP_TAG)
				return NULL;
			t->fn(t->opaque, evs[i].data.u32);
		}
	}
	return NULL;
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
	if (t->epfd >= 0)
		close(t->epfd);
	t->stopfd = t->epfd = -1;
}
