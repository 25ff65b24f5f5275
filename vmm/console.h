/* console.h - where the guest's serial console goes: the terminal (raw, with an escape key), a pty or a file. */
#ifndef VK_CONSOLE_H
#define VK_CONSOLE_H

#include <stdbool.h>
#include <termios.h>

#include "vmm/console-log.h"
#include "vmm/devices/legacy.h"

#define VK_CONSOLE_ESCAPE	0x1d	/* Ctrl-] */
#define VK_CONSOLE_QUIT		'q'

struct vk_console {
	int in_fd, out_fd;	/* in_fd -1: no input */
	int pty_slave;		/* held open so the master never hangs up */
	bool escapes;		/* input is the user's terminal: Ctrl-] commands */
	bool raw;		/* the terminal's settings are to be restored */
	bool escape_seen;
	struct termios saved;
	bool logging;		/* file=: out_fd is the log's pipe */
	const char *kind;	/* "stdio", "pty" or "file", for the control socket's status */
	char *path;		/* the pty's or the log's path (malloc'd), or NULL */
	struct vk_console_log log;
};

/* spec: "stdio", "pty" or "file=PATH[,max=SIZE]" (a log capped at SIZE
 * bytes, default VK_CONSOLE_LOG_DEFAULT_MAX, see console-log.h). */
int vk_console_open(struct vk_console *c, const char *spec);
/* Check a spec without opening anything (option checking). */
int vk_console_check(const char *spec);
/* Start what runs beside the vCPUs (the log writer thread for file=). */
int vk_console_start(struct vk_console *c);
/* Move what the user typed into the UART.  Returns 1 when the user asked to
 * quit, 0 otherwise; on end of input in_fd becomes -1. */
int vk_console_input(struct vk_console *c, struct vk_serial *s);
void vk_console_close(struct vk_console *c);

#endif
