/* privdrop.c - drop root for an unprivileged user after setup: groups, gid, uid, and a check that it stuck. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "vmm/privdrop.h"

static int lookup_passwd(const char *user, struct passwd *pw, char *buf, size_t size)
{
	struct passwd *found = NULL;
	char *end;
	unsigned long uid;
	int rc;

	rc = getpwnam_r(user, pw, buf, size, &found);
	if (rc == 0 && !found && user[0] >= '0' && user[0] <= '9') {
		errno = 0;
		uid = strtoul(user, &end, 10);
		if (!*end && errno == 0 && uid == (uid_t)uid)
			rc = getpwuid_r((uid_t)uid, pw, buf, size, &found);
	}
	if (rc != 0)
		return vk_error(rc, "--user %s: cannot look the user up", user);
	if (!found)
		return vk_errorx(ENOENT, "--user %s: no such user (see /etc/passwd)", user);
	return 0;
}

int vk_runas_lookup(const char *user, struct vk_runas *out)
{
	struct passwd pw;
	char buf[4096];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!*user)
		return vk_errorx(EINVAL, "--user: give a user name or uid");
	if (strlen(user) >= sizeof(out->name))
		return vk_errorx(ENAMETOOLONG, "--user %.20s...: name too long", user);
	rc = lookup_passwd(user, &pw, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	if (pw.pw_uid == 0)
		return vk_errorx(EINVAL, "--user %s: that user is root, so nothing would be dropped; "
				 "name an unprivileged user", user);
	if (geteuid() != 0)
		return vk_errorx(EPERM, "--user %s: vrun is not running as root (uid %u), so it cannot "
				 "change user; run it as root or leave out --user", user, (unsigned)geteuid());
	snprintf(out->name, sizeof(out->name), "%s", user);
	out->uid = pw.pw_uid;
	out->gid = pw.pw_gid;
	return 0;
}

int vk_runas_apply(const struct vk_runas *r)
{
	if (geteuid() != 0)
		return vk_errorx(EPERM, "--user %s: vrun is not running as root (uid %u), so it cannot "
				 "change user; run it as root or leave out --user", r->name, (unsigned)geteuid());
	/* Groups first: once the uid is gone, they can no longer be changed. */
	if (setgroups(1, &r->gid) < 0)
		return vk_error(errno, "--user %s: setgroups", r->name);
	if (setresgid(r->gid, r->gid, r->gid) < 0)
		return vk_error(errno, "--user %s: setresgid(%u)", r->name, (unsigned)r->gid);
	if (setresuid(r->uid, r->uid, r->uid) < 0)
		return vk_error(errno, "--user %s: setresuid(%u)", r->name, (unsigned)r->uid);
	if (setresuid(0, 0, 0) == 0 || geteuid() == 0 || getegid() != r->gid)
		return vk_errorx(EPERM, "--user %s: root could be regained after the drop; refusing to run",
				 r->name);
	return 0;
}
