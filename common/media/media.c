/* media.c - finds and copies installer kernels from ISO images, local trees and URL trees. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/media/download.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/media/media.h"

/* ISO 9660 (ECMA-119 8.4): the primary volume descriptor is in sector 16. */
#define ISO_SECTOR_SIZE 2048
#define ISO_PVD_OFFSET (16 * ISO_SECTOR_SIZE)
#define ISO_PVD_TYPE_PRIMARY 1
#define ISO_PVD_VOLUME_ID_OFFSET 40
#define ISO_PVD_VOLUME_ID_LEN 32
/* The volume descriptor set (ECMA-119 8.1): from sector 16 to a terminator;
 * an El Torito boot record (El Torito 1.0, 2.0) names its system. */
#define ISO_VD_TYPE_BOOT_RECORD 0
#define ISO_VD_TYPE_TERMINATOR 255
#define ISO_VD_MAX 64			/* more is no ISO anyone made */
#define ISO_BOOT_SYSTEM_ID_OFFSET 7
#define ELTORITO_SYSTEM_ID "EL TORITO SPECIFICATION"

#define TREEINFO_MAX_BYTES (64 * 1024)
#define COPY_CHUNK (256 * 1024)

struct vk_media {
	enum vk_media_kind kind;
	char *location;			/* as given; URL without trailing '/' */
	char volume_id[ISO_PVD_VOLUME_ID_LEN + 1];
	char **entries;			/* ISO: every path, normalized */
	struct iso_link *links;		/* ISO: per entry, its type and where it points */
	size_t n_entries;
	int tree_fd;			/* directory tree: the tree's root, for openat2() */
};

/* An ISO entry that is no plain file: a symlink (Rock Ridge) or a hard link
 * (libarchive reports the second name of shared data as one, with no data). */
struct iso_link {
	unsigned type;			/* AE_IFREG, AE_IFLNK, AE_IFDIR, ... */
	char *symlink;			/* target as recorded, or NULL */
	char *hardlink;			/* the entry that carries the data, normalized, or NULL */
};

/* Symlinks followed inside one medium before giving up (as the kernel's 40
 * would be silly for an install tree). */
#define MEDIA_MAX_SYMLINKS 8

const char *vk_media_kind_name(enum vk_media_kind kind)
{
	switch (kind) {
	case VK_MEDIA_ISO: return "ISO image";
	case VK_MEDIA_DIR: return "directory tree";
	case VK_MEDIA_URL: return "URL tree";
	}
	return "?";
}

enum vk_media_kind vk_media_kind(const struct vk_media *m) { return m->kind; }
const char *vk_media_location(const struct vk_media *m) { return m->location; }
const char *vk_media_volume_id(const struct vk_media *m) { return m->volume_id; }

void vk_media_close(struct vk_media *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_entries; i++) {
		free(m->entries[i]);
		free(m->links[i].symlink);
		free(m->links[i].hardlink);
	}
	free(m->entries);
	free(m->links);
	if (m->tree_fd >= 0)
		close(m->tree_fd);
	free(m->location);
	free(m);
}

/* "./isolinux/vmlinuz" and "/isolinux/vmlinuz" both name isolinux/vmlinuz. */
static const char *skip_leading(const char *p)
{
	for (;;) {
		if (p[0] == '/')
			p++;
		else if (p[0] == '.' && p[1] == '/')
			p += 2;
		else
			return p;
	}
}

static int iso_read_volume_id(struct vk_media *m)
{
	unsigned char pvd[ISO_SECTOR_SIZE];
	ssize_t n;
	int fd, i;

	fd = open(m->location, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vk_error(errno, "%s", m->location);
	n = pread(fd, pvd, sizeof(pvd), ISO_PVD_OFFSET);
	close(fd);
	if (n != (ssize_t)sizeof(pvd) || pvd[0] != ISO_PVD_TYPE_PRIMARY || memcmp(pvd + 1, "CD001", 5))
		return vk_errorx(EINVAL, "%s: not an ISO 9660 image (no primary volume descriptor)", m->location);
	memcpy(m->volume_id, pvd + ISO_PVD_VOLUME_ID_OFFSET, ISO_PVD_VOLUME_ID_LEN);
	m->volume_id[ISO_PVD_VOLUME_ID_LEN] = '\0';
	for (i = ISO_PVD_VOLUME_ID_LEN - 1; i >= 0 && (m->volume_id[i] == ' ' || !m->volume_id[i]); i--)
		m->volume_id[i] = '\0';
	return 0;
}

int vk_media_iso_bootable(const struct vk_media *m)
{
	unsigned char vd[ISO_SECTOR_SIZE];
	int fd = -1, rc;

	if (m->kind != VK_MEDIA_ISO)
		return 0;
	rc = vk_open_input(m->location, O_RDONLY, VK_INPUT_REGULAR | VK_INPUT_BLOCK, "ISO", &fd);
	if (rc < 0)
		return rc;
	rc = 0;
	for (unsigned i = 0; i < ISO_VD_MAX; i++) {
		ssize_t n = pread(fd, vd, sizeof(vd), ISO_PVD_OFFSET + (off_t)i * ISO_SECTOR_SIZE);

		if (n != (ssize_t)sizeof(vd) || memcmp(vd + 1, "CD001", 5) || vd[0] == ISO_VD_TYPE_TERMINATOR)
			break;
		if (vd[0] == ISO_VD_TYPE_BOOT_RECORD &&
		    !memcmp(vd + ISO_BOOT_SYSTEM_ID_OFFSET, ELTORITO_SYSTEM_ID, sizeof(ELTORITO_SYSTEM_ID) - 1)) {
			rc = 1;
			break;
		}
	}
	close(fd);
	return rc;
}

static int iso_open_archive(struct vk_media *m, struct archive **out)
{
	struct archive *a = archive_read_new();

	if (!a)
		return vk_error(ENOMEM, "%s", m->location);
	archive_read_support_format_iso9660(a);
	if (archive_read_open_filename(a, m->location, COPY_CHUNK) != ARCHIVE_OK) {
		int rc = vk_errorx(EINVAL, "%s: cannot read the ISO image: %s", m->location,
				   archive_error_string(a));
		archive_read_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

static int iso_list(struct vk_media *m)
{
	struct archive_entry *e;
	struct archive *a;
	size_t cap = 0;
	struct iso_link *more;
	char **bigger;
	int rc, r;

	rc = iso_open_archive(m, &a);
	if (rc < 0)
		return rc;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (!name)
			continue;
		if (m->n_entries == cap) {
			cap = cap ? cap * 2 : 256;
			bigger = realloc(m->entries, cap * sizeof(*bigger));
			if (!bigger) {
				rc = vk_error(ENOMEM, "%s", m->location);
				goto out;
			}
			m->entries = bigger;
			more = realloc(m->links, cap * sizeof(*more));
			if (!more) {
				rc = vk_error(ENOMEM, "%s", m->location);
				goto out;
			}
			m->links = more;
		}
		memset(&m->links[m->n_entries], 0, sizeof(m->links[0]));
		m->links[m->n_entries].type = archive_entry_filetype(e);
		if (archive_entry_symlink(e))
			m->links[m->n_entries].symlink = strdup(archive_entry_symlink(e));
		if (archive_entry_hardlink(e))
			m->links[m->n_entries].hardlink = strdup(skip_leading(archive_entry_hardlink(e)));
		m->entries[m->n_entries] = strdup(skip_leading(name));
		if (!m->entries[m->n_entries] ||
		    (archive_entry_symlink(e) && !m->links[m->n_entries].symlink) ||
		    (archive_entry_hardlink(e) && !m->links[m->n_entries].hardlink)) {
			free(m->entries[m->n_entries]);
			free(m->links[m->n_entries].symlink);
			free(m->links[m->n_entries].hardlink);
			rc = vk_error(ENOMEM, "%s", m->location);
			goto out;
		}
		m->n_entries++;
	}
	if (r != ARCHIVE_EOF)
		rc = vk_errorx(EINVAL, "%s: damaged ISO image: %s", m->location, archive_error_string(a));
out:
	archive_read_free(a);
	return rc;
}

int vk_media_open(const char *location, struct vk_media **out)
{
	struct vk_media *m;
	struct stat st;
	size_t len;
	int rc = 0;

	m = calloc(1, sizeof(*m));
	if (m)
		m->tree_fd = -1;
	if (!m || !(m->location = strdup(location))) {
		rc = vk_error(ENOMEM, "%s", location);
		goto out;
	}
	if (vk_url_is_remote(location)) {
		m->kind = VK_MEDIA_URL;
		len = strlen(m->location);
		while (len > 1 && m->location[len - 1] == '/')
			m->location[--len] = '\0';
		goto done;
	}
	if (strstr(location, "://")) {
		rc = vk_errorx(EPROTONOSUPPORT, "%s: only http://, https:// and ftp:// URLs are supported", location);
		goto out;
	}
	if (stat(location, &st) < 0) {
		rc = vk_error(errno, "%s", location);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		m->kind = VK_MEDIA_DIR;
		m->tree_fd = open(location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (m->tree_fd < 0)
			rc = vk_error(errno, "%s", location);
		goto check;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		rc = vk_errorx(EINVAL, "%s: neither an ISO image, a directory nor a URL", location);
		goto out;
	}
	m->kind = VK_MEDIA_ISO;
	rc = iso_read_volume_id(m);
	if (rc == 0)
		rc = iso_list(m);
check:
	if (rc < 0)
		goto out;
done:
	*out = m;
	m = NULL;
out:
	vk_media_close(m);
	return rc;
}

static char *join(const struct vk_media *m, const char *relpath)
{
	char *p;

	if (asprintf(&p, "%s/%s", m->location, skip_leading(relpath)) < 0)
		return NULL;
	return p;
}

/* Media paths come from templates, .treeinfo files or the user: none may
 * climb out of the tree. */
static int check_relpath(const char *relpath)
{
	const char *p = relpath;

	while ((p = strstr(p, "..")) != NULL) {
		if ((p == relpath || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return vk_errorx(EINVAL, "%s: '..' is not allowed in a path on the install medium", relpath);
		p += 2;
	}
	return 0;
}

/* Index of the entry named path (plain ISO 9660 names are upper case; Rock
 * Ridge keeps the case), or -1. */
static ssize_t iso_index(const struct vk_media *m, const char *path)
{
	const char *want = skip_leading(path);
	size_t i;

	for (i = 0; i < m->n_entries; i++)
		if (!strcmp(m->entries[i], want))
			return (ssize_t)i;
	for (i = 0; i < m->n_entries; i++)
		if (!strcasecmp(m->entries[i], want))
			return (ssize_t)i;
	return -1;
}

/* The path a symlink at entry names, resolved inside the medium: relative
 * to the link's directory, or to the medium's root when absolute.  -EXDEV
 * when its ".." climbs above the root: the medium has nothing there, and
 * the host's files are never what an ISO's link means. */
static int iso_link_target(const char *entry, const char *target, char *out, size_t len)
{
	char buf[PATH_MAX];
	const char *slash = strrchr(entry, '/');
	size_t used = 0;
	char *part, *save = NULL;
	int n;

	if (target[0] == '/' || !slash)
		n = snprintf(buf, sizeof(buf), "%s", target);
	else
		n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)(slash - entry), entry, target);
	if (n < 0 || (size_t)n >= sizeof(buf) || len == 0)
		return -ENAMETOOLONG;
	out[0] = '\0';
	for (part = strtok_r(buf, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			char *up = strrchr(out, '/');

			if (used == 0)
				return -EXDEV;
			used = up ? (size_t)(up - out) : 0;
			out[used] = '\0';
			continue;
		}
		n = snprintf(out + used, len - used, "%s%s", used ? "/" : "", part);
		if (n < 0 || (size_t)n >= len - used)
			return -ENAMETOOLONG;
		used += (size_t)n;
	}
	return 0;
}

/*
 * Find the entry holding relpath's data: 1 and *out when found, 0 when the
 * medium has no such name, -errno (with a message) when the name is there
 * but is no file: a directory, a link that leaves the medium, dangles or
 * loops.  A link taken at its word used to read as a 0-byte kernel.
 */
static int iso_find(const struct vk_media *m, const char *relpath, const char **out)
{
	char target[PATH_MAX];
	const char *name = relpath;
	ssize_t i = iso_index(m, relpath);
	int hops, rc;

	if (i < 0)
		return 0;
	for (hops = 0; hops <= MEDIA_MAX_SYMLINKS; hops++) {
		const struct iso_link *l = &m->links[i];

		if (l->hardlink) {
			name = l->hardlink;
		} else if (l->type == AE_IFLNK && l->symlink) {
			rc = iso_link_target(m->entries[i], l->symlink, target, sizeof(target));
			if (rc < 0)
				return vk_errorx(-rc, "%s: %s is a symbolic link to %s, which is outside the ISO "
						 "image; a medium's links are not followed onto the host", m->location,
						 relpath, l->symlink);
			name = target;
		} else if (l->type != AE_IFREG) {
			return vk_errorx(EINVAL, "%s: %s is %s in the ISO image, not a file", m->location, relpath,
					 l->type == AE_IFDIR ? "a directory" : "a special file");
		} else {
			*out = m->entries[i];
			return 1;
		}
		i = iso_index(m, name);
		if (i < 0)
			return vk_errorx(ENOENT, "%s: %s is a link to %s, which is not in the ISO image",
					 m->location, relpath, name);
	}
	return vk_errorx(ELOOP, "%s: %s: more than %d symbolic links in a row in the ISO image", m->location,
			 relpath, MEDIA_MAX_SYMLINKS);
}

/*
 * Open relpath inside a directory tree: through symlinks that stay in the
 * tree (RESOLVE_BENEATH), never out of it, so a tree whose vmlinuz links to
 * /etc/shadow cannot make root copy that file into a boot file.  Only a
 * regular file is opened; a FIFO in the tree cannot hang us.
 */
static int tree_open(const struct vk_media *m, const char *relpath, int *fd_out)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	struct stat st;
	int fd, rc = 0;

	fd = (int)syscall(SYS_openat2, m->tree_fd, skip_leading(relpath), &how, sizeof(how));
	if (fd < 0 && errno == EXDEV)
		return vk_errorx(EXDEV, "%s: %s leads outside the install tree (a symbolic link or '..'); "
				 "only files inside the tree are used", m->location, relpath);
	if (fd < 0 && errno == ENOSYS)
		return vk_errorx(ENOSYS, "%s: this kernel has no openat2() (Linux 5.6+), needed to read an "
				 "install tree safely; use an ISO image or a URL", m->location);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : vk_error(errno, "%s/%s", m->location, relpath);
	if (fstat(fd, &st) < 0)
		rc = vk_error(errno, "%s/%s", m->location, relpath);
	else if (!S_ISREG(st.st_mode))
		rc = -ENOENT;	/* a directory or FIFO by that name is no kernel */
	else if (fcntl(fd, F_SETFL, 0) < 0)
		rc = vk_error(errno, "%s/%s", m->location, relpath);
	if (rc < 0)
		close(fd);
	else
		*fd_out = fd;
	return rc;
}

int vk_media_exists(struct vk_media *m, const char *relpath)
{
	const char *name;
	int fd, rc;
	char *p;

	rc = check_relpath(relpath);
	if (rc < 0)
		return rc;
	switch (m->kind) {
	case VK_MEDIA_ISO:
		return iso_find(m, relpath, &name);
	case VK_MEDIA_DIR:
		rc = tree_open(m, relpath, &fd);
		if (rc == -ENOENT)
			return 0;
		if (rc < 0)
			return rc;
		close(fd);
		return 1;
	case VK_MEDIA_URL:
		p = join(m, relpath);
		if (!p)
			return vk_error(ENOMEM, "%s", relpath);
		rc = vk_url_exists(p);
		free(p);
		return rc;
	}
	return -EINVAL;
}

/* Stream one ISO entry into fd (or into a memory buffer when fd < 0). */
static int iso_copy_entry(struct vk_media *m, const char *name, int fd, size_t max, char **buf, size_t *len)
{
	struct archive_entry *e;
	struct archive *a;
	char *chunk = NULL;
	size_t have = 0;
	ssize_t n;
	int rc, r;

	rc = iso_open_archive(m, &a);
	if (rc < 0)
		return rc;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);

		if (p && !strcmp(skip_leading(p), name))
			break;
	}
	if (r != ARCHIVE_OK) {
		rc = vk_errorx(ENOENT, "%s: %s: not found in the ISO image", m->location, name);
		goto out;
	}
	chunk = malloc(fd < 0 ? max + 1 : COPY_CHUNK);
	if (!chunk) {
		rc = vk_error(ENOMEM, "%s", name);
		goto out;
	}
	for (;;) {
		if (fd < 0) {
			if (have > max) {
				rc = vk_errorx(EFBIG, "%s: %s: larger than %zu bytes", m->location, name, max);
				goto out;
			}
			n = archive_read_data(a, chunk + have, max + 1 - have);
		} else {
			n = archive_read_data(a, chunk, COPY_CHUNK);
		}
		if (n < 0) {
			rc = vk_errorx(EIO, "%s: %s: %s", m->location, name, archive_error_string(a));
			goto out;
		}
		if (n == 0)
			break;
		if (fd < 0) {
			have += (size_t)n;
			if (have > max) {
				rc = vk_errorx(EFBIG, "%s: %s: larger than %zu bytes", m->location, name, max);
				goto out;
			}
		} else {
			ssize_t done = 0, w;

			while (done < n) {
				w = write(fd, chunk + done, (size_t)(n - done));
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					rc = vk_error(errno, "writing %s", name);
					goto out;
				}
				done += w;
			}
		}
	}
	if (fd < 0) {
		chunk[have] = '\0';
		*buf = chunk;
		*len = have;
		chunk = NULL;
	}
out:
	free(chunk);
	archive_read_free(a);
	return rc;
}

static int copy_fd(int in, int out, const char *what)
{
	char *buf = malloc(COPY_CHUNK);
	ssize_t n, done, w;
	int rc = 0;

	if (!buf)
		return vk_error(ENOMEM, "%s", what);
	while ((n = read(in, buf, COPY_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = vk_error(errno, "%s", what);
			goto out;
		}
		for (done = 0; done < n; done += w) {
			w = write(out, buf + done, (size_t)(n - done));
			if (w < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				rc = vk_error(errno, "copying %s", what);
				goto out;
			}
		}
	}
out:
	free(buf);
	return rc;
}

int vk_media_read_small(struct vk_media *m, const char *relpath, size_t max, char **buf, size_t *len)
{
	const char *name;
	char *p;
	int fd, rc;

	rc = check_relpath(relpath);
	if (rc < 0)
		return rc;
	switch (m->kind) {
	case VK_MEDIA_ISO:
		rc = iso_find(m, relpath, &name);
		if (rc == 0)
			return vk_errorx(ENOENT, "%s: %s: not found in the ISO image", m->location, relpath);
		return rc < 0 ? rc : iso_copy_entry(m, name, -1, max, buf, len);
	case VK_MEDIA_DIR:
		rc = tree_open(m, relpath, &fd);
		if (rc == -ENOENT)
			return vk_errorx(ENOENT, "%s/%s: not found in the install tree", m->location,
					 skip_leading(relpath));
		if (rc == 0) {
			rc = vk_read_fd(fd, relpath, max, buf, len);
			close(fd);
		}
		return rc;
	case VK_MEDIA_URL:
		p = join(m, relpath);
		if (!p)
			return vk_error(ENOMEM, "%s", relpath);
		rc = vk_url_get_small(p, max, buf, len);
		free(p);
		return rc;
	}
	return -EINVAL;
}

int vk_media_fetch(struct vk_media *m, const char *relpath, const char *dest, enum vk_download_kind kind,
		   bool quiet)
{
	char *tmp = NULL, *src = NULL, *cached = NULL;
	const char *name;
	int fd = -1, in = -1, rc;

	rc = check_relpath(relpath);
	if (rc < 0)
		return rc;
	if (asprintf(&tmp, "%s.tmp.XXXXXX", dest) < 0) {
		tmp = NULL;
		return vk_error(ENOMEM, "%s", dest);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = vk_error(errno, "%s", dest);
		free(tmp);
		return rc;
	}
	switch (m->kind) {
	case VK_MEDIA_ISO:
		rc = iso_find(m, relpath, &name);
		if (rc == 0)
			rc = vk_errorx(ENOENT, "%s: %s: not found in the ISO image", m->location, relpath);
		else if (rc > 0)
			rc = iso_copy_entry(m, name, fd, 0, NULL, NULL);
		break;
	case VK_MEDIA_DIR:
		rc = tree_open(m, relpath, &in);
		if (rc == -ENOENT)
			rc = vk_errorx(ENOENT, "%s/%s: not found in the install tree", m->location,
				       skip_leading(relpath));
		if (rc == 0)
			rc = copy_fd(in, fd, relpath);
		break;
	case VK_MEDIA_URL:
		src = join(m, relpath);
		if (!src) {
			rc = vk_error(ENOMEM, "%s", relpath);
			break;
		}
		/* An open cache file, checked once and read the same. */
		rc = vk_download_cached(src, kind, quiet, &in, &cached);
		if (rc == 0)
			rc = copy_fd(in, fd, cached);
		break;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = vk_error(errno, "%s", dest);
	if (close(fd) < 0 && rc == 0)
		rc = vk_error(errno, "%s", dest);
	if (rc == 0 && rename(tmp, dest) < 0)
		rc = vk_error(errno, "%s", dest);
	if (rc < 0)
		unlink(tmp);
	if (in >= 0)
		close(in);
	free(tmp);
	free(src);
	free(cached);
	return rc;
}

/* The list of places looked at, for the error message. */
struct looked {
	char *text;
	size_t len;
};

static void looked_add(struct looked *l, const char *what)
{
	size_t add = strlen(what) + 3;
	char *bigger;

	if (l->len > VK_ERRMSG_MAX)
		return;
	bigger = realloc(l->text, l->len + add + 1);
	if (!bigger)
		return;
	l->text = bigger;
	l->len += (size_t)sprintf(l->text + l->len, "%s%s", l->len ? ", " : "", what);
}

/* 1 when both exist; 0 when either is missing. */
static int try_pair(struct vk_media *m, const char *k, const char *i, struct looked *l)
{
	char both[512];
	int rc;

	snprintf(both, sizeof(both), "%s + %s", k, i);
	looked_add(l, both);
	rc = vk_media_exists(m, k);
	if (rc == 1)
		rc = vk_media_exists(m, i);
	return rc;
}

/* "boot/vmlinuz-*": list the directory, take the suffix for the initrd. */
static int try_wildcard(struct vk_media *m, const struct vk_media_layout *lay, struct looked *l,
			char **kernel, char **initrd)
{
	const char *star = strchr(lay->initrd, '*');
	const char *slash = strrchr(lay->kernel, '/');
	size_t dirlen = slash ? (size_t)(slash - lay->kernel) + 1 : 0;
	const char *kpat = lay->kernel + dirlen;
	const char *kstar = strchr(kpat, '*');
	char both[512], **names = NULL;
	size_t n = 0, i, cap = 0;
	int rc = 0;

	snprintf(both, sizeof(both), "%s + %s", lay->kernel, lay->initrd);
	if (m->kind == VK_MEDIA_URL || !star || !kstar || strchr(lay->kernel, '*') < lay->kernel + dirlen) {
		snprintf(both + strlen(both), sizeof(both) - strlen(both), " (not searchable in a %s)",
			 vk_media_kind_name(m->kind));
		looked_add(l, both);
		return 0;
	}
	looked_add(l, both);
	if (m->kind == VK_MEDIA_ISO) {
		names = m->entries;
		n = m->n_entries;
	} else {
		char dir[4096];
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/%.*s", m->location, (int)dirlen, lay->kernel);
		d = opendir(dir);
		if (!d)
			return 0;
		while ((de = readdir(d))) {
			char **bigger;

			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				bigger = realloc(names, cap * sizeof(*names));
				if (!bigger)
					break;
				names = bigger;
			}
			if (asprintf(&names[n], "%.*s%s", (int)dirlen, lay->kernel, de->d_name) < 0)
				break;
			n++;
		}
		closedir(d);
	}
	for (i = 0; i < n && rc == 0; i++) {
		const char *name = names[i];
		size_t prefix = (size_t)(kstar - lay->kernel), suffix_len = strlen(kstar + 1), len = strlen(name);
		char cand[512];

		if (fnmatch(lay->kernel, name, FNM_PATHNAME) != 0 || len < prefix + suffix_len)
			continue;
		/* What the '*' stood for, put into the initrd pattern. */
		snprintf(cand, sizeof(cand), "%.*s%.*s%s", (int)(star - lay->initrd), lay->initrd,
			 (int)(len - prefix - suffix_len), name + prefix, star + 1);
		if (vk_media_exists(m, cand) == 1) {
			*kernel = strdup(name);
			*initrd = strdup(cand);
			rc = (*kernel && *initrd) ? 1 : vk_error(ENOMEM, "%s", name);
		}
	}
	if (names != m->entries) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return rc;
}

static int take_pair(const char *k, const char *i, char **kernel, char **initrd)
{
	*kernel = strdup(k);
	*initrd = strdup(i);
	if (!*kernel || !*initrd) {
		free(*kernel);
		free(*initrd);
		return vk_error(ENOMEM, "kernel path");
	}
	return 0;
}

int vk_media_find_boot(struct vk_media *m, const char *kernel_hint, const char *initrd_hint,
		       const struct vk_media_layout *layouts, size_t n_layouts,
		       char **kernel, char **initrd)
{
	static const char *const treeinfo_names[] = { ".treeinfo", "treeinfo" };
	struct looked l = { NULL, 0 };
	char *ti = NULL, *tk = NULL, *tr = NULL;
	size_t i, len;
	int rc = 0;

	*kernel = *initrd = NULL;
	if (kernel_hint && initrd_hint) {
		rc = try_pair(m, kernel_hint, initrd_hint, &l);
		if (rc == 1)
			rc = take_pair(kernel_hint, initrd_hint, kernel, initrd);
		else if (rc == 0)
			rc = vk_errorx(ENOENT, "%s: kernel=%s or initrd=%s is not on the medium",
				       m->location, kernel_hint, initrd_hint);
		goto out;
	}
	for (i = 0; i < 2; i++) {
		rc = vk_media_read_small(m, treeinfo_names[i], TREEINFO_MAX_BYTES, &ti, &len);
		looked_add(&l, treeinfo_names[i]);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			goto out;
		rc = vk_treeinfo_parse(ti, &tk, &tr);
		free(ti);
		ti = NULL;
		if (rc == 0) {
			rc = try_pair(m, kernel_hint ? kernel_hint : tk, initrd_hint ? initrd_hint : tr, &l);
			if (rc == 1) {
				rc = take_pair(kernel_hint ? kernel_hint : tk, initrd_hint ? initrd_hint : tr,
					       kernel, initrd);
				goto out;
			}
			if (rc < 0)
				goto out;
		}
		free(tk);
		free(tr);
		tk = tr = NULL;
	}
	for (i = 0; i < n_layouts; i++) {
		const char *k = kernel_hint ? kernel_hint : layouts[i].kernel;
		const char *r = initrd_hint ? initrd_hint : layouts[i].initrd;

		if (strchr(k, '*') || strchr(r, '*')) {
			struct vk_media_layout lay = { (char *)k, (char *)r };

			rc = try_wildcard(m, &lay, &l, kernel, initrd);
			if (rc != 0)
				goto out;
			continue;
		}
		rc = try_pair(m, k, r, &l);
		if (rc == 1) {
			rc = take_pair(k, r, kernel, initrd);
			goto out;
		}
		if (rc < 0)
			goto out;
	}
	rc = vk_errorx(ENOENT, "%s: no installer kernel and initrd found; looked for: %s "
		       "(name them with --location %s,kernel=PATH,initrd=PATH)",
		       m->location, l.text ? l.text : "nothing", m->location);
out:
	if (rc > 0)
		rc = 0;
	free(ti);
	free(tk);
	free(tr);
	free(l.text);
	return rc;
}
