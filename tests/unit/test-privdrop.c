/* test-privdrop.c - vrun --user: lookups, refusals, and a real drop to nobody in a child when run as root. */
#include "config.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "vmm/privdrop.h"

static void unknown_user_is_named(void **state)
{
	struct vk_runas r;

	assert_int_equal(vk_runas_lookup("vkit-no-such-user", &r), -ENOENT);
	assert_non_null(strstr(vk_last_error(), "--user vkit-no-such-user: no such user"));
	assert_int_equal(vk_runas_lookup("", &r), -EINVAL);
}

static void root_is_no_drop(void **state)
{
	struct vk_runas r;

	assert_int_equal(vk_runas_lookup("root", &r), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "name an unprivileged user"));
	assert_int_equal(vk_runas_lookup("0", &r), -EINVAL);
}

/* In a child: as root, drop to nobody and check every id; then, no longer
 * root, a second drop is refused with the reason. */
static void drop_to_nobody(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	int status = 0;
	pid_t pid;

	if (geteuid() != 0 || !pw) {
		skip();	/* needs root and a 'nobody' user */
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vk_runas r;
		uid_t ru, eu, su;
		gid_t rg, eg, sg, groups[8];

		if (vk_runas_lookup("nobody", &r) < 0 || r.uid != pw->pw_uid)
			_exit(10);
		if (vk_runas_apply(&r) < 0)
			_exit(11);
		if (getresuid(&ru, &eu, &su) < 0 || ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid)
			_exit(12);
		if (getresgid(&rg, &eg, &sg) < 0 || rg != pw->pw_gid || eg != pw->pw_gid || sg != pw->pw_gid)
			_exit(13);
		if (getgroups(8, groups) != 1 || groups[0] != pw->pw_gid)
			_exit(14);
		if (setuid(0) == 0 || errno != EPERM)
			_exit(15);
		/* Now not root: both entry points refuse and say why. */
		if (vk_runas_apply(&r) != -EPERM || !strstr(vk_last_error(), "not running as root"))
			_exit(16);
		if (vk_runas_lookup("nobody", &r) != -EPERM || !strstr(vk_last_error(), "run it as root"))
			_exit(17);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void numeric_uid(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	struct vk_runas r;
	char uid[32];

	if (geteuid() != 0 || !pw) {
		skip();
		return;
	}
	snprintf(uid, sizeof(uid), "%u", (unsigned)pw->pw_uid);
	assert_int_equal(vk_runas_lookup(uid, &r), 0);
	assert_int_equal(r.uid, pw->pw_uid);
	assert_int_equal(r.gid, pw->pw_gid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_user_is_named),
		cmocka_unit_test(root_is_no_drop),
		cmocka_unit_test(drop_to_nobody),
		cmocka_unit_test(numeric_uid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
