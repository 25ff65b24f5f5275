/* vctl-dom.c - vctl's read-outs of one domain (domstate, domid, domuuid, domname, domblklist, dumpconfig) and edit, in virsh's formats. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/options.h"
#include "common/vm/lifecycle.h"
#include "common/vm/statedir.h"
#include "common/vm/vmdef.h"
#include "tools/vctl.h"

/* The state of a defined VM: a name that is not defined is refused. */
static int defined_state(const char *name, int *pid, const char **state)
{
	struct vk_vm *vm = NULL;
	int rc = vk_vm_lookup(name, &vm);

	vk_vm_free(vm);
	return rc < 0 ? rc : vk_vm_state(name, pid, state);
}

int vctl_domstate(char **args)
{
	const char *state;
	int pid, rc = defined_state(args[0], &pid, &state);

	if (rc < 0)
		return rc;
	if (opt.reason)
		printf("%s (%s)\n\n", state, vk_vm_state_reason(state));
	else
		printf("%s\n\n", state);
	return 0;
}

int vctl_domid(char **args)
{
	const char *state;
	int pid, rc = defined_state(args[0], &pid, &state);

	if (rc < 0)
		return rc;
	if (pid)
		printf("%d\n\n", pid);
	else
		printf("-\n\n");
	return 0;
}

static int print_field(const char *name, bool uuid)
{
	struct vk_vm *vm = NULL;
	int rc = vk_vm_lookup(name, &vm);

	if (rc == 0)
		printf("%s\n\n", uuid ? vm->uuid : vm->name);
	vk_vm_free(vm);
	return rc;
}

int vctl_domuuid(char **args)
{
	return print_field(args[0], true);
}

int vctl_domname(char **args)
{
	return print_field(args[0], false);
}

/* virsh's table: Target and Source, with --details Type and Device first. */
int vctl_domblklist(char **args)
{
	struct vk_vm *vm = NULL;
	char **cells = NULL, target[16];
	size_t cols = opt.details ? 4 : 2, rows = 1, i;
	struct stat st;
	int rc = vk_vm_lookup(args[0], &vm);

	if (rc < 0)
		return rc;
	cells = calloc((vm->n_disks + 1) * cols, sizeof(*cells));
	if (!cells) {
		rc = vk_error(ENOMEM, "domblklist");
		goto out;
	}
	if (opt.details) {
		cells[0] = strdup("Type");
		cells[1] = strdup("Device");
	}
	cells[cols - 2] = strdup("Target");
	cells[cols - 1] = strdup("Source");
	for (i = 0; i < vm->n_disks; i++, rows++) {
		char **row = &cells[rows * cols];

		vk_disk_target_name("vd", i, target, sizeof(target));
		if (opt.details) {
			row[0] = strdup(stat(vm->disks[i].path, &st) == 0 && S_ISBLK(st.st_mode) ? "block" : "file");
			row[1] = strdup(vm->disks[i].device == VK_DEVICE_CDROM ? "cdrom" : "disk");
		}
		row[cols - 2] = strdup(target);
		row[cols - 1] = strdup(vm->disks[i].path);
	}
	for (i = 0; i < rows * cols; i++)
		if (!cells[i]) {
			rc = vk_error(ENOMEM, "domblklist");
			goto out;
		}
	vctl_print_table(cells, rows, cols);
	printf("\n");
out:
	for (i = 0; cells && i < rows * cols; i++)
		free(cells[i]);
	free(cells);
	vk_vm_free(vm);
	return rc;
}

int vctl_dumpconfig(char **args)
{
	struct vk_vm *vm = NULL;
	char *json = NULL;
	int rc = vk_vm_lookup(args[0], &vm);

	if (rc == 0 && !(json = vk_vm_to_json(vm)))
		rc = vk_error(ENOMEM, "dumpconfig");
	if (rc == 0)
		fputs(json, stdout);
	free(json);
	vk_vm_free(vm);
	return rc;
}

/* ---- edit ---- */

/* $VISUAL, else $EDITOR, else vi, run by the shell as virsh does (so
 * EDITOR="code --wait" works); 0 when it exited 0. */
static int run_editor(const char *path)
{
	const char *editor = getenv("VISUAL");
	int status;
	pid_t pid;

	if (!editor || !editor[0])
		editor = getenv("EDITOR");
	if (!editor || !editor[0])
		editor = "vi";
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return vk_error(errno, "fork");
	if (pid == 0) {
		/* "$1" keeps a path with spaces one word. */
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", editor, path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return vk_error(errno, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return vk_errorx(ECANCELED, "the editor (%s) failed; the definition is unchanged", editor);
	return 0;
}

/* Ask on the terminal, as virsh does, whether to edit the copy again;
 * without a terminal the answer is no. */
static bool ask_again(void)
{
	char answer[16];

	if (!isatty(STDIN_FILENO))
		return false;
	fprintf(stderr, "vctl: %s\nFailed. Try again? [y,n]: ", vk_last_error());
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

/* The copy as the editor left it (vk_vm_load's messages name the file and
 * line), and its canonical text to compare with the original. */
static int read_copy(const char *path, struct vk_vm **vm, char **text)
{
	int rc = vk_vm_load(path, vm);

	if (rc == 0 && !(*text = vk_vm_to_json(*vm)))
		rc = vk_error(ENOMEM, "edit");
	return rc;
}

int vctl_edit(char **args)
{
	const char *name = args[0], *tmpdir = getenv("TMPDIR");
	struct vk_vm *vm = NULL, *edited = NULL;
	char *old_json = NULL, *text = NULL, path[PATH_MAX];
	int fd = -1, rc = vk_vm_lookup(name, &vm);

	path[0] = '\0';
	if (rc < 0)
		return rc;
	if (!(old_json = vk_vm_to_json(vm))) {
		rc = vk_error(ENOMEM, "edit");
		goto out;
	}
	/* A private copy (mkstemps: 0600, O_EXCL) the editor changes; the
	 * definition itself is written only once the copy validates. */
	snprintf(path, sizeof(path), "%s/vctl-%s-XXXXXX.json", tmpdir && tmpdir[0] ? tmpdir : "/tmp", name);
	fd = mkstemps(path, 5);
	if (fd < 0) {
		rc = vk_error(errno, "%s", path);
		path[0] = '\0';
		goto out;
	}
	if (write(fd, old_json, strlen(old_json)) != (ssize_t)strlen(old_json) || close(fd) < 0) {
		fd = -1;
		rc = vk_error(errno, "%s", path);
		goto out;
	}
	fd = -1;
	for (;;) {
		rc = run_editor(path);
		if (rc < 0)
			goto out;
		free(text);
		text = NULL;
		vk_vm_free(edited);
		edited = NULL;
		rc = read_copy(path, &edited, &text);
		if (rc == 0 && !strcmp(text, old_json)) {
			printf("Domain '%s' configuration not changed.\n", name);
			goto out;
		}
		if (rc == 0)
			rc = vk_vm_replace(name, old_json, edited);
		if (rc == 0 || rc == -EAGAIN || !ask_again())
			break;
	}
	if (rc < 0)
		goto out;
	printf("Domain '%s' configuration edited.\n", name);
	if (vk_vm_running_pid(name) > 0 && !vk_quiet)
		printf("(%s runs: the changes apply from its next start)\n", name);
out:
	if (fd >= 0)
		close(fd);
	if (path[0])
		unlink(path);
	free(text);
	free(old_json);
	vk_vm_free(edited);
	vk_vm_free(vm);
	return rc;
}
