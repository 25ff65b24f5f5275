/* netconf.c - a bridge in the host's systemd-networkd or ifupdown configuration, so that it comes back after a reboot. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/net/netconf.h"
#include "common/vm/statedir.h"
#include "common/util/strbuf.h"

/* Network configuration files are small; a larger one is not one of them. */
#define CONF_FILE_MAX (256 * 1024)
/* ifupdown's "source" may nest; deeper than this is a loop. */
#define SOURCE_DEPTH_MAX 4
#define NETWORKD_PREFIX "00-vkit-"
#define IFUPDOWN_MARK "#vkit-iface-bridge"
/* The mode of configuration files: the host's, readable by its services. */
#define CONF_MODE 0644

static const char *const networkd_dirs[] = {
	"/etc/systemd/network", "/run/systemd/network", "/usr/lib/systemd/network", "/lib/systemd/network",
};

static const char *conf_root(void)
{
	const char *root = getenv("VKIT_NETCONF_ROOT");

	return root && *root ? root : "";
}

void vk_netconf_free(struct vk_netconf *c)
{
	for (size_t i = 0; i < c->n_files; i++) {
		free(c->files[i].path);
		free(c->files[i].text);
	}
	free(c->files);
	free(c->note);
	memset(c, 0, sizeof(*c));
}

static int add_file(struct vk_netconf *c, char *path, char *text, mode_t mode)
{
	struct vk_netconf_file *bigger = realloc(c->files, (c->n_files + 1) * sizeof(*bigger));

	if (!bigger || !path) {
		free(path);
		free(text);
		return vk_error(ENOMEM, "network configuration");
	}
	c->files = bigger;
	c->files[c->n_files++] = (struct vk_netconf_file){ path, text, mode };
	return 0;
}

static void set_note(struct vk_netconf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_note(struct vk_netconf *c, const char *fmt, ...)
{
	va_list ap;

	free(c->note);
	va_start(ap, fmt);
	if (vasprintf(&c->note, fmt, ap) < 0)
		c->note = NULL;
	va_end(ap);
}

static char *path_of(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s%s/%s", conf_root(), dir, name) < 0 ? NULL : p;
}

/* ---- systemd-networkd ---- */

/* Does a .network file's [Match] Name= list match iface?  (The other
 * [Match] keys narrow it further; a file matching by name alone is the
 * one a user wrote for the interface.) */
static bool networkd_matches(const char *text, const char *iface)
{
	const char *line = text, *end;
	bool in_match = false, found = false;
	char buf[1024], *tok, *save;

	for (; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		snprintf(buf, sizeof(buf), "%.*s", (int)(end - line), line);
		if (buf[0] == '[') {
			in_match = !strncmp(buf, "[Match]", 7);
			continue;
		}
		if (!in_match || strncmp(buf, "Name=", 5))
			continue;
		for (tok = strtok_r(buf + 5, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
			if (fnmatch(tok, iface, 0) == 0)
				found = true;
	}
	return found;
}

/* The first .network file (by name, /etc shadowing the others) that
 * matches iface: the one systemd-networkd uses for it. */
static int networkd_file_for(const char *iface, char **path, char **name)
{
	char *best = NULL, *best_path = NULL, *text = NULL, *p;
	struct dirent *e;
	size_t i, len;
	DIR *d;

	*path = *name = NULL;
	for (i = 0; i < sizeof(networkd_dirs) / sizeof(networkd_dirs[0]); i++) {
		if (asprintf(&p, "%s%s", conf_root(), networkd_dirs[i]) < 0)
			return vk_error(ENOMEM, "networkd");
		d = opendir(p);
		free(p);
		while (d && (e = readdir(d))) {
			len = strlen(e->d_name);
			if (len < 9 || strcmp(e->d_name + len - 8, ".network") ||
			    !strncmp(e->d_name, NETWORKD_PREFIX, strlen(NETWORKD_PREFIX)) ||
			    (best && strcmp(e->d_name, best) >= 0))
				continue;
			p = path_of(networkd_dirs[i], e->d_name);
			if (p && vk_read_file(p, CONF_FILE_MAX, &text, NULL) == 0 && networkd_matches(text, iface)) {
				free(best);
				free(best_path);
				best = strdup(e->d_name);
				best_path = p;
				p = NULL;
			}
			vk_error_clear();
			free(text);
			text = NULL;
			free(p);
		}
		if (d)
			closedir(d);
	}
	*path = best_path;
	*name = best;
	return 0;
}

/* The user's file without its [Match] section: what the bridge inherits. */
static void copy_but_match(struct vk_strbuf *t, const char *text)
{
	const char *line = text, *end;
	bool skip = false;

	for (; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (*line == '[')
			skip = !strncmp(line, "[Match]", 7);
		if (!skip)
			vk_strbuf_printf(t, "%.*s\n", (int)(end - line), line);
	}
}

/* A file of ours in /etc/systemd/network, its text built in b. */
static int add_built(struct vk_netconf *c, const char *name, struct vk_strbuf *b)
{
	char *text = vk_strbuf_take(b, "network configuration");

	return text ? add_file(c, path_of(networkd_dirs[0], name), text, CONF_MODE) : -ENOMEM;
}

static int networkd_bridge(const char *iface, const char *bridge, bool stp, unsigned delay,
			   const unsigned char *mac, const char *user_path, const char *user_name,
			   struct vk_netconf *c)
{
	struct vk_strbuf netdev = { 0 }, port = { 0 }, br = { 0 };
	char *user = NULL, file[64];
	int rc;

	snprintf(file, sizeof(file), NETWORKD_PREFIX "%s.network", bridge);
	if (strcmp(user_name, file) <= 0) {
		set_note(c, "not persistent: %s's systemd-networkd file %s sorts before the " NETWORKD_PREFIX
			 "* files vkit would add, so it would still win at boot; rename it (or write the bridge's "
			 "files by hand)", iface, user_path);
		return 0;
	}
	rc = vk_read_file(user_path, CONF_FILE_MAX, &user, NULL);
	if (rc < 0)
		return rc;
	vk_strbuf_printf(&netdev, "# Written by vctl iface-bridge %s %s; vctl iface-unbridge %s removes it.\n", iface, bridge,
	    bridge);
	vk_strbuf_printf(&netdev, "[NetDev]\nName=%s\nKind=bridge\n", bridge);
	vk_strbuf_printf(&netdev, "MACAddress=%02x:%02x:%02x:%02x:%02x:%02x\n\n", mac[0], mac[1], mac[2], mac[3], mac[4],
	    mac[5]);
	vk_strbuf_printf(&netdev, "[Bridge]\nSTP=%s\nForwardDelaySec=%u\n", stp ? "yes" : "no", delay);
	vk_strbuf_printf(&port, "# Written by vctl iface-bridge %s %s; vctl iface-unbridge %s removes it.\n", iface, bridge,
	    bridge);
	vk_strbuf_printf(&port, "[Match]\nName=%s\n\n[Network]\nBridge=%s\n", iface, bridge);
	vk_strbuf_printf(&br, "# Written by vctl iface-bridge %s %s from %s (%s's settings, now the bridge's);\n"
	    "# vctl iface-unbridge %s removes it.\n", iface, bridge, user_path, iface, bridge);
	vk_strbuf_printf(&br, "[Match]\nName=%s\n\n", bridge);
	copy_but_match(&br, user);
	free(user);
	c->system = "systemd-networkd";
	snprintf(file, sizeof(file), NETWORKD_PREFIX "%s.netdev", bridge);
	rc = add_built(c, file, &netdev);
	snprintf(file, sizeof(file), NETWORKD_PREFIX "%s-port.network", iface);
	if (rc == 0)
		rc = add_built(c, file, &port);
	snprintf(file, sizeof(file), NETWORKD_PREFIX "%s.network", bridge);
	if (rc == 0)
		rc = add_built(c, file, &br);
	vk_strbuf_free(&netdev);
	vk_strbuf_free(&port);
	vk_strbuf_free(&br);
	return rc;
}

/* Our three files, if they are there and say they are ours. */
static int networkd_unbridge(const char *iface, const char *bridge, struct vk_netconf *c)
{
	char names[3][64], *path, *text;
	int rc = 0;

	snprintf(names[0], sizeof(names[0]), NETWORKD_PREFIX "%s.netdev", bridge);
	snprintf(names[1], sizeof(names[1]), NETWORKD_PREFIX "%s-port.network", iface);
	snprintf(names[2], sizeof(names[2]), NETWORKD_PREFIX "%s.network", bridge);
	for (int i = 0; rc == 0 && i < 3; i++) {
		path = path_of(networkd_dirs[0], names[i]);
		if (!path)
			return vk_error(ENOMEM, "networkd");
		text = NULL;
		if (vk_read_file(path, CONF_FILE_MAX, &text, NULL) == 0 && strstr(text, "vctl iface-bridge")) {
			c->system = "systemd-networkd";
			rc = add_file(c, path, NULL, 0);
			path = NULL;
		}
		vk_error_clear();
		free(text);
		free(path);
	}
	return rc;
}

/* ---- ifupdown ---- */

struct ifupdown_file {
	char *path;
	char *text;
};

struct ifupdown {
	struct ifupdown_file *files;
	size_t n;
};

static void ifupdown_free(struct ifupdown *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->files[i].path);
		free(u->files[i].text);
	}
	free(u->files);
}

/* The first word of a line and the rest, without leading blanks. */
static bool word_is(const char *line, const char *word)
{
	size_t len = strlen(word);

	line += strspn(line, " \t");
	return !strncmp(line, word, len) && (line[len] == ' ' || line[len] == '\t' || line[len] == '\n' ||
					     line[len] == '\0');
}

static int ifupdown_read(const char *path, int depth, struct ifupdown *u);

/* "source PATTERN" / "source-directory DIR", relative to /etc/network. */
static int ifupdown_source(const char *arg, bool directory, int depth, struct ifupdown *u)
{
	char *pattern = NULL;
	glob_t g = { 0 };
	int rc = 0;

	if (asprintf(&pattern, "%s%s%s%s", conf_root(), arg[0] == '/' ? "" : "/etc/network/", arg,
		     directory ? "/*" : "") < 0)
		return vk_error(ENOMEM, "ifupdown");
	if (glob(pattern, 0, NULL, &g) == 0)
		for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
			/* source-directory takes only plain names, as run-parts */
			const char *base = strrchr(g.gl_pathv[i], '/');

			if (directory && base && strspn(base + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
							    "0123456789_-") != strlen(base + 1))
				continue;
			rc = ifupdown_read(g.gl_pathv[i], depth + 1, u);
		}
	globfree(&g);
	free(pattern);
	return rc;
}

static int ifupdown_read(const char *path, int depth, struct ifupdown *u)
{
	struct ifupdown_file *bigger;
	char *text = NULL, arg[4096];
	const char *line, *end;
	size_t k;
	int rc;

	if (depth > SOURCE_DEPTH_MAX)
		return 0;
	rc = vk_read_file(path, CONF_FILE_MAX, &text, NULL);
	if (rc < 0) {
		vk_error_clear();
		return 0;
	}
	bigger = realloc(u->files, (u->n + 1) * sizeof(*bigger));
	if (!bigger) {
		free(text);
		return vk_error(ENOMEM, "ifupdown");
	}
	u->files = bigger;
	k = u->n++;
	u->files[k].path = strdup(path);
	u->files[k].text = text;
	if (!u->files[k].path)
		return vk_error(ENOMEM, "ifupdown");
	for (line = text; rc == 0 && *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (word_is(line, "source") || word_is(line, "source-directory")) {
			const char *a = line + strspn(line, " \t");
			bool dir = word_is(line, "source-directory");

			a += dir ? strlen("source-directory") : strlen("source");
			a += strspn(a, " \t");
			snprintf(arg, sizeof(arg), "%.*s", (int)(end - a), a);
			arg[strcspn(arg, " \t")] = '\0';
			if (arg[0])
				rc = ifupdown_source(arg, dir, depth, u);
		}
	}
	return rc;
}

/* A stanza starts with one of these; an option line is anything else. */
static bool stanza_start(const char *line)
{
	static const char *const words[] = { "iface", "auto", "mapping", "source", "source-directory", "rename",
					     "allow-auto", "allow-hotplug", NULL };

	for (int i = 0; words[i]; i++)
		if (word_is(line, words[i]))
			return true;
	return !strncmp(line + strspn(line, " \t"), "allow-", 6);
}

/* "iface IFACE FAMILY METHOD": the family and method, or false. */
static bool iface_line(const char *line, const char *iface, char *family, char *method)
{
	char w[4][64], one[512];

	/* One line only: sscanf's blanks would read on past its end. */
	snprintf(one, sizeof(one), "%.*s", (int)strcspn(line, "\n"), line);
	if (sscanf(one, " %63s %63s %63s %63s", w[0], w[1], w[2], w[3]) != 4)
		return false;
	if (strcmp(w[0], "iface") || strcmp(w[1], iface))
		return false;
	snprintf(family, 16, "%s", w[2]);
	snprintf(method, 32, "%s", w[3]);
	return true;
}

/* The bridge's stanzas (block) and the port's (port), between markers, in
 * out; both are emptied for a next stanza of iface. */
static void emit_block(struct vk_strbuf *out, struct vk_strbuf *block, struct vk_strbuf *port, const char *iface,
		       const char *bridge)
{
	vk_strbuf_printf(out, IFUPDOWN_MARK " %s begin: vctl iface-bridge %s %s moved %s's stanza above to %s; "
			 "vctl iface-unbridge %s puts it back\n", bridge, iface, bridge, iface, bridge, bridge);
	if (port->len)
		vk_strbuf_printf(out, "%s\n", port->s);
	vk_strbuf_printf(out, "auto %s\n%s" IFUPDOWN_MARK " %s end\n", bridge, block->s ? block->s : "", bridge);
	out->failed |= block->failed || port->failed;
	vk_strbuf_free(block);
	vk_strbuf_free(port);
}

/* The new text of a file that holds iface's stanzas, or NULL (none there). */
static char *ifupdown_bridge_text(const char *text, const char *iface, const char *bridge, bool stp,
				  unsigned delay, const unsigned char *mac, bool *failed)
{
	struct vk_strbuf out = { 0 }, block = { 0 }, port = { 0 };
	const char *line, *end, *opt;
	char family[16], method[32];
	bool in_stanza = false, found = false;

	for (line = text; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		opt = line + strspn(line, " \t");
		if (stanza_start(line))
			in_stanza = false;
		if (iface_line(line, iface, family, method)) {
			in_stanza = found = true;
			vk_strbuf_printf(&block, "iface %s %s %s\n", bridge, family, method);
			if (!strcmp(family, "inet")) {
				vk_strbuf_printf(&port, "iface %s inet manual\n", iface);
				vk_strbuf_printf(&block, "\tbridge_ports %s\n\tbridge_stp %s\n\tbridge_fd %u\n"
						 "\tbridge_hw %02x:%02x:%02x:%02x:%02x:%02x\n", iface, stp ? "on" : "off",
						 delay, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
			}
			vk_strbuf_printf(&out, IFUPDOWN_MARK " %s: %.*s\n", bridge, (int)(end - line), line);
		} else if (in_stanza && *opt != '#' && *opt != '\n' && *opt) {
			/* an option of the stanza: the bridge's now */
			vk_strbuf_printf(&block, "\t%.*s\n", (int)(end - opt), opt);
			vk_strbuf_printf(&out, IFUPDOWN_MARK " %s: %.*s\n", bridge, (int)(end - line), line);
		} else {
			/* the first line after the stanza: our block goes before it */
			if (!in_stanza && block.len)
				emit_block(&out, &block, &port, iface, bridge);
			vk_strbuf_printf(&out, "%.*s\n", (int)(end - line), line);
		}
	}
	if (block.len)
		emit_block(&out, &block, &port, iface, bridge);
	*failed = out.failed;
	if (!found || out.failed) {
		vk_strbuf_free(&out);
		return NULL;
	}
	return vk_strbuf_take(&out, "ifupdown");
}

/* The text with our marked lines put back and our block gone, or NULL. */
static char *ifupdown_unbridge_text(const char *text, const char *bridge, bool *failed)
{
	char mark[64], begin[80], finish[80];
	struct vk_strbuf out = { 0 };
	const char *line, *end;
	bool in_block = false, found = false;

	snprintf(mark, sizeof(mark), IFUPDOWN_MARK " %s: ", bridge);
	snprintf(begin, sizeof(begin), IFUPDOWN_MARK " %s begin", bridge);
	snprintf(finish, sizeof(finish), IFUPDOWN_MARK " %s end", bridge);
	for (line = text; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (!strncmp(line, begin, strlen(begin))) {
			in_block = found = true;
		} else if (in_block) {
			in_block = strncmp(line, finish, strlen(finish)) != 0;
		} else if (!strncmp(line, mark, strlen(mark))) {
			found = true;
			vk_strbuf_printf(&out, "%.*s\n", (int)(end - line - strlen(mark)), line + strlen(mark));
		} else {
			vk_strbuf_printf(&out, "%.*s\n", (int)(end - line), line);
		}
	}
	*failed = out.failed;
	if (!found || out.failed) {
		vk_strbuf_free(&out);
		return NULL;
	}
	return vk_strbuf_take(&out, "ifupdown");
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : CONF_MODE;
}

static int ifupdown_plan(const char *iface, const char *bridge, bool stp, unsigned delay,
			 const unsigned char *mac, bool unbridge, struct vk_netconf *c)
{
	struct ifupdown u = { 0 };
	char *interfaces = NULL, *text, hook[4096];
	bool failed = false;
	int rc;

	if (asprintf(&interfaces, "%s/etc/network/interfaces", conf_root()) < 0)
		return vk_error(ENOMEM, "ifupdown");
	rc = ifupdown_read(interfaces, 0, &u);
	for (size_t i = 0; rc == 0 && i < u.n; i++) {
		text = unbridge ? ifupdown_unbridge_text(u.files[i].text, bridge, &failed)
				: ifupdown_bridge_text(u.files[i].text, iface, bridge, stp, delay, mac, &failed);
		if (failed) {
			free(text);
			rc = vk_error(ENOMEM, "ifupdown");
		} else if (text) {
			c->system = "ifupdown";
			rc = add_file(c, strdup(u.files[i].path), text, mode_of(u.files[i].path));
		}
	}
	snprintf(hook, sizeof(hook), "%s/etc/network/if-pre-up.d/bridge", conf_root());
	if (rc == 0 && c->system && !unbridge && access(hook, F_OK) < 0)
		set_note(c, "ifupdown reads bridge_ports through the bridge-utils package's hooks, which are "
			 "not installed: apt-get install bridge-utils before the next boot");
	ifupdown_free(&u);
	free(interfaces);
	return rc;
}

/* ---- both ---- */

int vk_netconf_plan_bridge(const char *iface, const char *bridge, bool stp, unsigned delay,
			   const unsigned char mac[VK_ETH_ALEN], struct vk_netconf *c)
{
	char *user_path = NULL, *user_name = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = networkd_file_for(iface, &user_path, &user_name);
	if (rc == 0 && user_path)
		rc = networkd_bridge(iface, bridge, stp, delay, mac, user_path, user_name, c);
	else if (rc == 0)
		rc = ifupdown_plan(iface, bridge, stp, delay, mac, false, c);
	if (rc == 0 && !c->system && !c->note)
		set_note(c, "not persistent: neither systemd-networkd (/etc/systemd/network) nor ifupdown "
			 "(/etc/network/interfaces) configures %s here, so after a reboot %s has its old settings "
			 "and there is no %s; configure the bridge in the host's network manager to keep it",
			 iface, iface, bridge);
	free(user_path);
	free(user_name);
	if (rc < 0)
		vk_netconf_free(c);
	return rc;
}

int vk_netconf_plan_unbridge(const char *iface, const char *bridge, struct vk_netconf *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	rc = networkd_unbridge(iface, bridge, c);
	if (rc == 0 && !c->system)
		rc = ifupdown_plan(iface, bridge, false, 0, NULL, true, c);
	if (rc == 0 && !c->system)
		set_note(c, "no configuration of vctl iface-bridge for %s was found: the host's configuration is "
			 "left as it is", bridge);
	if (rc < 0)
		vk_netconf_free(c);
	return rc;
}

int vk_netconf_apply(const struct vk_netconf *c)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < c->n_files; i++) {
		const struct vk_netconf_file *f = &c->files[i];

		if (f->text)
			rc = vk_write_file_atomic(f->path, f->text, strlen(f->text), f->mode);
		else if (unlink(f->path) < 0 && errno != ENOENT)
			rc = vk_error(errno, "%s", f->path);
	}
	return rc;
}
