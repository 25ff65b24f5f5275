/* console-relay.h - a VM's serial console (vrun's pty) on the user's terminal, with Ctrl-] escapes. */
#ifndef VK_CONSOLE_RELAY_H
#define VK_CONSOLE_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

/* Ctrl-] as vrun's own stdio console uses it (vmm/console.h), plus a detach. */
#define VK_RELAY_ESCAPE	0x1d
#define VK_RELAY_QUIT	'q'	/* stop the VM */
#define VK_RELAY_DETACH	'd'	/* leave it running */

struct vk_console_relay {
	int in_fd;		/* the user's keys; -1 at end of input */
	int out_fd;		/* where the guest's output goes; -1 once it failed */
	int con_fd;		/* the pty; -1 before it is open, -2 once vrun closed it */
	bool raw;		/* tty_fd's terminal settings are to be restored */
	int tty_fd;
	struct termios saved;
	bool escape_seen;
	/* virsh's console: Ctrl-] alone detaches, and no key stops the VM
	 * (vctl console); otherwise Ctrl-] starts a two-key escape. */
	bool escape_detaches;
	bool quit;		/* Ctrl-] q was typed */
	bool detach;		/* Ctrl-] d */
	bool input_ended;
};

/* in_fd -1: output only. */
void vk_relay_init(struct vk_console_relay *r, int in_fd, int out_fd);
/* Put in_fd's terminal in raw mode, when it is one; true when it did. */
bool vk_relay_raw(struct vk_console_relay *r);
/* Open the pty vrun announced (read-write, non-blocking). */
int vk_relay_open(struct vk_console_relay *r, const char *pty);
/* The two descriptors to poll (negative ones are ignored by poll()). */
void vk_relay_pollfds(const struct vk_console_relay *r, struct pollfd fds[2]);
/* After poll(): move the keys that came in to the pty and the guest's
 * output to out_fd. */
void vk_relay_step(struct vk_console_relay *r, const struct pollfd fds[2]);
/* Restore the terminal and close the pty. */
void vk_relay_close(struct vk_console_relay *r);

/* The escape filter on its own: what of in[0..n) goes to the guest lands
 * in out (room for 2n bytes); sets quit/detach.  Keys after a detach are
 * dropped.  Returns the bytes in out. */
size_t vk_relay_filter_keys(struct vk_console_relay *r, const char *in, size_t n, char *out);

#endif
