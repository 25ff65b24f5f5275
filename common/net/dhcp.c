/* dhcp.c - a NAT network's dnsmasq: its configuration, starting and stopping it, reading its leases. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/net/dhcp.h"
#include "common/net/hostcmd.h"
#include "common/vm/statedir.h"
#include "common/util/strbuf.h"

/* Where a network's running state lives in the state directory. */
#define RUN_SUBDIR "run/net"
/* dnsmasq's lease file holds a line per guest; a file this large is not one. */
#define LEASES_FILE_MAX (4 * 1024 * 1024)
/* /proc/PID/cmdline of dnsmasq: its name and two options. */
#define CMDLINE_MAX 8192
/* How long dnsmasq has to go on SIGTERM before SIGKILL, then after it. */
#define STOP_WAIT_MS 5000
#define STOP_TICK_MS 50

/* Reading leases makes nothing; vk_dnsmasq_start makes the directory. */
static int run_file(const char *network, const char *ext, char **out)
{
	char file[VK_NAME_MAX + 16];

	snprintf(file, sizeof(file), "%s.%s", network, ext);
	return vk_state_path_peek(out, RUN_SUBDIR, file);
}

int vk_dnsmasq_files_get(const char *network, struct vk_dnsmasq_files *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = vk_name_check_as(network, "network name")) < 0 ||
	    (rc = run_file(network, "dnsmasq.conf", &f->conf)) < 0 ||
	    (rc = run_file(network, "dnsmasq.pid", &f->pid)) < 0 ||
	    (rc = run_file(network, "leases", &f->leases)) < 0 ||
	    (rc = run_file(network, "dnsmasq.log", &f->log)) < 0)
		vk_dnsmasq_files_free(f);
	return rc;
}

void vk_dnsmasq_files_free(struct vk_dnsmasq_files *f)
{
	free(f->conf);
	free(f->pid);
	free(f->leases);
	free(f->log);
	memset(f, 0, sizeof(*f));
}

static const char *ip(uint32_t a, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { .s_addr = htonl(a) };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

/*
 * Everything written here comes from a validated definition: interface,
 * DNS and file names of a fixed character set, addresses as numbers, so
 * no value can carry a newline or an option of its own into the file.
 */
char *vk_dnsmasq_conf(const struct vk_netdef *def, const struct vk_dnsmasq_files *f, const char *user)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];
	struct vk_strbuf t = { 0 };
	size_t i, j;

	vk_strbuf_printf(&t, "# dnsmasq of vkit network %s: written by vctl net-start, removed by vctl net-destroy\n",
	    def->name);
	/* Only the bridge, bound when it is there, never the host's other
	 * interfaces: a DHCP server on a LAN it does not own breaks it. */
	vk_strbuf_printf(&t, "strict-order\nexcept-interface=lo\nbind-dynamic\ninterface=%s\n", def->bridge);
	vk_strbuf_printf(&t, "pid-file=%s\ndhcp-leasefile=%s\nlog-facility=%s\n", f->pid, f->leases, f->log);
	if (user)
		vk_strbuf_printf(&t, "user=%s\n", user);
	if (def->dhcp) {
		vk_strbuf_printf(&t, "dhcp-range=%s,%s,%s\n", ip(def->dhcp_start, a), ip(def->dhcp_end, b),
		    ip(vk_ip4_mask(def->prefix), m));
		/* As libvirt: the only DHCP server here, so it answers a
		 * guest asking for an address from an old lease at once. */
		vk_strbuf_printf(&t, "dhcp-no-override\ndhcp-authoritative\ndhcp-lease-max=%u\n",
		    def->dhcp_end - def->dhcp_start + 1);
		for (i = 0; i < def->n_hosts; i++)
			vk_strbuf_printf(&t, "dhcp-host=%s,%s%s%s\n", def->hosts[i].mac, ip(def->hosts[i].ip, a),
			    def->hosts[i].name ? "," : "", def->hosts[i].name ? def->hosts[i].name : "");
	}
	if (def->domain)
		vk_strbuf_printf(&t, "domain=%s\nlocal=/%s/\nexpand-hosts\n", def->domain, def->domain);
	for (i = 0; i < def->n_dns_hosts; i++) {
		vk_strbuf_printf(&t, "host-record=");
		for (j = 0; j < def->dns_hosts[i].n_names; j++)
			vk_strbuf_printf(&t, "%s,", def->dns_hosts[i].names[j]);
		vk_strbuf_printf(&t, "%s\n", ip(def->dns_hosts[i].ip, a));
	}
	return vk_strbuf_take(&t, "dnsmasq's configuration");
}

/* dnsmasq drops root once its sockets are open: to the user Debian's
 * package makes for it, else nobody (dnsmasq's own default). */
static const char *dnsmasq_user(void)
{
	if (geteuid() != 0)
		return NULL;
	return getpwnam("dnsmasq") ? "dnsmasq" : "nobody";
}

pid_t vk_dnsmasq_read_pid(const struct vk_dnsmasq_files *f)
{
	char *text = NULL, *end;
	long v;

	if (vk_read_file(f->pid, 64, &text, NULL) < 0) {
		vk_error_clear();
		return 0;
	}
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || v <= 1 || v > INT32_MAX || (*end && *end != '\n'))
		v = 0;
	free(text);
	return (pid_t)v;
}

/* A private, empty-or-kept file dnsmasq then opens: created 0600 by us,
 * so neither its mode nor a planted link is dnsmasq's choice. */
static int prepare_file(const char *path)
{
	int fd, rc = vk_open_private(path, O_WRONLY | O_APPEND, &fd);

	if (rc == 0)
		close(fd);
	return rc;
}

int vk_dnsmasq_start(const struct vk_netdef *def, const struct vk_dnsmasq_files *f, pid_t *pid)
{
	char *prog = NULL, *conf = NULL, *out = NULL, *conf_opt = NULL, *run_dir = NULL, *old_log = NULL;
	int rc;

	*pid = 0;
	rc = vk_hostcmd_find("dnsmasq", "dnsmasq-base", "a NAT network's DHCP and DNS", &prog);
	if (rc < 0)
		return rc;
	conf = vk_dnsmasq_conf(def, f, dnsmasq_user());
	if (!conf) {
		rc = -ENOMEM;
		goto out;
	}
	unlink(f->pid);
	/* dnsmasq makes its log its own user's: each start gets a new one,
	 * the last one kept beside it (it may say why that dnsmasq died). */
	if (asprintf(&old_log, "%s.old", f->log) < 0) {
		old_log = NULL;
		rc = vk_error(ENOMEM, "dnsmasq");
		goto out;
	}
	if (rename(f->log, old_log) < 0 && errno != ENOENT) {
		rc = vk_error(errno, "%s", f->log);
		goto out;
	}
	if ((rc = vk_state_path(&run_dir, RUN_SUBDIR, NULL)) < 0 ||
	    (rc = vk_write_file_atomic(f->conf, conf, strlen(conf), VK_MODE_PRIVATE_FILE)) < 0 ||
	    (rc = prepare_file(f->leases)) < 0 || (rc = prepare_file(f->log)) < 0)
		goto out;
	if (asprintf(&conf_opt, "--conf-file=%s", f->conf) < 0) {
		conf_opt = NULL;
		rc = vk_error(ENOMEM, "dnsmasq");
		goto out;
	}
	{
		char *argv[] = { prog, conf_opt, NULL };

		rc = vk_hostcmd_run(argv, NULL, &out);
	}
	if (rc > 0) {
		rc = vk_errorx(EIO, "dnsmasq did not start: %s",
			       out && *out ? vk_hostcmd_last_line(out) : "(no message; see its log)");
		goto out;
	}
	if (rc < 0)
		goto out;
	/* dnsmasq makes its pid file 0644 and its log 0660; ours are private
	 * (in a private directory besides). */
	chmod(f->pid, VK_MODE_PRIVATE_FILE);
	chmod(f->log, VK_MODE_PRIVATE_FILE);
	*pid = vk_dnsmasq_read_pid(f);
	if (!*pid || !vk_dnsmasq_is_ours(*pid, f->conf))
		rc = vk_errorx(EIO, "dnsmasq said it started, but %s holds no pid of a running dnsmasq; "
			       "see %s", f->pid, f->log);
out:
	free(old_log);
	free(run_dir);
	free(out);
	free(conf_opt);
	free(conf);
	free(prog);
	return rc;
}

bool vk_dnsmasq_is_ours(pid_t pid, const char *conf)
{
	char path[64], buf[CMDLINE_MAX], want[4096 + 16];
	ssize_t n, i;
	bool found = false;
	int fd;

	if (pid <= 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "--conf-file=%s", conf);
	/* The arguments are NUL-separated: compare each whole. */
	for (i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (!strcmp(buf + i, want))
			found = true;
	return found && strstr(buf, "dnsmasq") != NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static bool wait_gone(pid_t pid, const char *conf)
{
	for (int waited = 0; waited < STOP_WAIT_MS; waited += STOP_TICK_MS) {
		if (!vk_dnsmasq_is_ours(pid, conf))
			return true;
		sleep_ms(STOP_TICK_MS);
	}
	return !vk_dnsmasq_is_ours(pid, conf);
}

int vk_dnsmasq_stop(pid_t pid, const struct vk_dnsmasq_files *f)
{
	int rc = 0;

	if (pid > 1 && vk_dnsmasq_is_ours(pid, f->conf)) {
		if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
			return vk_error(errno, "dnsmasq (pid %d)", (int)pid);
		if (!wait_gone(pid, f->conf)) {
			kill(pid, SIGKILL);
			if (!wait_gone(pid, f->conf))
				rc = vk_errorx(ETIMEDOUT, "dnsmasq (pid %d) did not stop, even on SIGKILL", (int)pid);
		}
	}
	if (rc == 0) {
		unlink(f->pid);
		unlink(f->conf);
	}
	return rc;
}

/* ---- leases ---- */

/* A name the guest sent is printed only when it is plainly a name. */
static void guest_name(const char *s, char *out, size_t len)
{
	size_t i, n = strlen(s);

	if (!strcmp(s, "*") || n == 0) {
		out[0] = '\0';
		return;
	}
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			break;
	snprintf(out, len, "%s", i == n && n < len ? s : "-");
}

static bool parse_lease(char *line, struct vk_lease *l)
{
	char *f[5], *save = NULL, *end, mac[18];
	struct in_addr in;
	long long exp;
	int k;

	for (k = 0; k < 5; k++)
		if (!(f[k] = strtok_r(k ? NULL : line, " \t", &save)))
			return false;
	errno = 0;
	exp = strtoll(f[0], &end, 10);
	if (errno || *end || exp < 0 || vk_mac_parse(f[1], mac) < 0 || inet_pton(AF_INET, f[2], &in) != 1) {
		vk_error_clear();
		return false;
	}
	memset(l, 0, sizeof(*l));
	l->expiry = (time_t)exp;
	memcpy(l->mac, mac, sizeof(l->mac));
	l->ip = ntohl(in.s_addr);
	guest_name(f[3], l->hostname, sizeof(l->hostname));
	guest_name(strcmp(f[4], "*") ? f[4] : "", l->client_id, sizeof(l->client_id));
	/* client ids are hex bytes with ':'; guest_name's set allows no ':' */
	if (strcmp(f[4], "*") && strspn(f[4], "0123456789abcdefABCDEF:") == strlen(f[4]))
		snprintf(l->client_id, sizeof(l->client_id), "%s", strlen(f[4]) < sizeof(l->client_id) ? f[4] : "-");
	return true;
}

int vk_leases_read(const char *path, struct vk_lease **out, size_t *n)
{
	char *text = NULL, *line, *save = NULL;
	struct vk_lease *v = NULL, *bigger, l;
	size_t k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = vk_read_file(path, LEASES_FILE_MAX, &text, NULL);
	if (rc == -ENOENT) {
		vk_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	/* IPv6 lines ("duid ...", addresses with ':') are not parsed as IPv4. */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!parse_lease(line, &l))
			continue;
		bigger = realloc(v, (k + 1) * sizeof(*v));
		if (!bigger) {
			rc = vk_error(ENOMEM, "%s", path);
			break;
		}
		v = bigger;
		v[k++] = l;
	}
	free(text);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = k;
	return 0;
}
