/* test-control.c - the control protocol (requests, replies, errors), the server's socket handling and the client library, without KVM. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/vm/control-client.h"
#include "common/util/error.h"
#include "vmm/control.h"

/* A fake machine: counts what was asked of it. */
struct fake {
	int status_calls, pauses;
	int paused;
};

static int fake_status(void *opaque, struct json_object *r)
{
	struct fake *f = opaque;

	f->status_calls++;
	json_object_object_add(r, "state", json_object_new_string(f->paused ? "paused" : "running"));
	json_object_object_add(r, "calls", json_object_new_int(f->status_calls));
	return 0;
}

static int fake_pause(void *opaque, struct json_object *r)
{
	struct fake *f = opaque;

	if (f->paused)
		return vk_errorx(EALREADY, "already paused (fake)");
	f->paused = 1;
	f->pauses++;
	return 0;
}

static const struct vk_control_command cmds[] = {
	{ "status", fake_status },
	{ "pause", fake_pause },
	{ NULL, NULL },
};

static struct fake fake;
static char tmpdir[] = "/tmp/vkit-test-control.XXXXXX";

/* Handle one line and parse the reply line back. */
static struct json_object *handle(const char *line)
{
	char *reply = vk_control_handle_line(cmds, &fake, line, strlen(line));
	struct json_object *o;
	size_t len;

	assert_non_null(reply);
	len = strlen(reply);
	assert_true(len > 0 && reply[len - 1] == '\n');
	assert_null(memchr(reply, '\n', len - 1));	/* exactly one line */
	o = json_tokener_parse(reply);
	assert_non_null(o);
	free(reply);
	return o;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void expect_error(const char *line, const char *want)
{
	struct json_object *o = handle(line);

	assert_string_equal(get_str(o, "ok"), "false");
	assert_non_null(get_str(o, "error"));
	if (!strstr(get_str(o, "error"), want))
		fail_msg("error '%s' lacks '%s'", get_str(o, "error"), want);
	json_object_put(o);
}

static void test_requests(void **state)
{
	struct json_object *o, *ret;

	memset(&fake, 0, sizeof(fake));
	o = handle("{\"command\": \"status\"}");
	assert_string_equal(get_str(o, "ok"), "true");
	assert_true(json_object_object_get_ex(o, "return", &ret));
	assert_string_equal(get_str(ret, "state"), "running");
	assert_null(get_str(o, "id"));
	json_object_put(o);

	/* The id comes back as given, whatever JSON it is. */
	o = handle("{\"id\": [1, \"x\"], \"command\": \"pause\"}  ");
	assert_string_equal(get_str(o, "ok"), "true");
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(o, "id"),
							   JSON_C_TO_STRING_PLAIN), "[1,\"x\"]");
	json_object_put(o);
	assert_int_equal(fake.pauses, 1);

	/* A command that fails says why, with the command's name. */
	expect_error("{\"command\": \"pause\", \"id\": 7}", "pause: already paused (fake)");
	o = handle("{\"command\": \"pause\", \"id\": 7}");
	assert_string_equal(get_str(o, "id"), "7");
	json_object_put(o);
	assert_int_equal(fake.pauses, 1);
}

static void test_malformed(void **state)
{
	char big[VK_CONTROL_MAX_REQUEST + 10];

	expect_error("", "malformed request");
	expect_error("{\"command\": \"status\"", "malformed request");
	expect_error("{\"command\": \"status\"} {}", "malformed request");
	expect_error("not json", "malformed request");
	expect_error("[\"status\"]", "not a JSON object");
	expect_error("\"status\"", "not a JSON object");
	expect_error("{}", "no \"command\" string");
	expect_error("{\"command\": 5}", "no \"command\" string");
	expect_error("{\"command\": \"reboot-the-host\"}", "unknown command 'reboot-the-host'");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "{\"command\": \"status\"}", 21);
	expect_error(big, "request longer than");
}

/* ---- the server on a socketpair ---- */

static int read_reply(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		ssize_t n = recv(fd, buf + len, 1, 0);

		if (n <= 0)
			return -1;
		if (buf[len++] == '\n')
			break;
	}
	buf[len] = '\0';
	return (int)len;
}

static void test_server_socketpair(void **state)
{
	struct vk_control_server *s;
	char sock[sizeof(tmpdir) + 16], reply[8192], *big;
	int sv[2];

	memset(&fake, 0, sizeof(fake));
	snprintf(sock, sizeof(sock), "%s/pair.sock", tmpdir);
	assert_int_equal(vk_control_server_start(sock, cmds, &fake, &s), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(vk_control_server_add_client(s, sv[1]), 0);

	/* A request split across writes, then two in one write. */
	assert_int_equal(write(sv[0], "{\"comm", 6), 6);
	usleep(20000);
	assert_int_equal(write(sv[0], "and\": \"status\"}\n", 16), 16);
	assert_true(read_reply(sv[0], reply, sizeof(reply)) > 0);
	assert_non_null(strstr(reply, "\"calls\":1"));
	const char *two = "{\"command\":\"status\"}\n\n{\"command\":\"status\"}\n";
	assert_int_equal(write(sv[0], two, strlen(two)), (ssize_t)strlen(two));
	assert_true(read_reply(sv[0], reply, sizeof(reply)) > 0);
	assert_non_null(strstr(reply, "\"calls\":2"));
	assert_true(read_reply(sv[0], reply, sizeof(reply)) > 0);	/* the blank line got none */
	assert_non_null(strstr(reply, "\"calls\":3"));

	/* An oversized line: one error, and the connection is closed. */
	big = malloc(3 * VK_CONTROL_MAX_REQUEST);
	assert_non_null(big);
	memset(big, 'x', 3 * VK_CONTROL_MAX_REQUEST);
	big[3 * VK_CONTROL_MAX_REQUEST - 1] = '\n';
	assert_int_equal(write(sv[0], big, VK_CONTROL_MAX_REQUEST), VK_CONTROL_MAX_REQUEST);
	free(big);
	assert_true(read_reply(sv[0], reply, sizeof(reply)) > 0);
	assert_non_null(strstr(reply, "request longer than 4095 bytes; closing the connection"));
	assert_int_equal(read(sv[0], reply, 1), 0);
	close(sv[0]);

	/* A good request on a new connection is still answered. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(vk_control_server_add_client(s, sv[1]), 0);
	assert_int_equal(write(sv[0], "{\"command\":\"status\"}\n", 21), 21);
	assert_true(read_reply(sv[0], reply, sizeof(reply)) > 0);
	assert_non_null(strstr(reply, "\"calls\":4"));

	vk_control_server_stop(s);
	assert_int_equal(read(sv[0], reply, 1), 0);	/* the server closed its end */
	close(sv[0]);
}

/* ---- the server on its socket, through the client library ---- */

static void test_server_and_client(void **state)
{
	struct vk_control_server *s, *s2;
	struct vk_control_client *c[VK_CONTROL_MAX_CLIENTS + 1];
	struct json_object *ret;
	char sock[sizeof(tmpdir) + 16], *raw;
	struct stat st;

	memset(&fake, 0, sizeof(fake));
	snprintf(sock, sizeof(sock), "%s/vm.sock", tmpdir);
	assert_int_equal(vk_control_server_start(sock, cmds, &fake, &s), 0);
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A second server on a live socket is refused. */
	assert_int_equal(vk_control_server_start(sock, cmds, &fake, &s2), -EADDRINUSE);

	/* Many clients at once, each answered in turn.  The refused start's
	 * probe was a connection too: once c[0] has its answer, the server has
	 * seen that one hang up. */
	assert_int_equal(vk_control_connect(sock, 1000, &c[0]), 0);
	assert_int_equal(vk_control_call(c[0], "status", 2000, &ret), 0);
	json_object_put(ret);
	for (int i = 1; i < VK_CONTROL_MAX_CLIENTS; i++)
		assert_int_equal(vk_control_connect(sock, 1000, &c[i]), 0);
	for (int i = VK_CONTROL_MAX_CLIENTS - 1; i >= 0; i--) {
		assert_int_equal(vk_control_call(c[i], "status", 2000, &ret), 0);
		assert_string_equal(get_str(ret, "state"), "running");
		json_object_put(ret);
	}
	/* One more is served too: the client idle the longest (c[15], answered
	 * first in the loop above) is told why and closed to make room. */
	assert_int_equal(vk_control_connect(sock, 1000, &c[VK_CONTROL_MAX_CLIENTS]), 0);
	assert_int_equal(vk_control_call(c[VK_CONTROL_MAX_CLIENTS], "status", 2000, &ret), 0);
	json_object_put(ret);
	vk_control_close(c[VK_CONTROL_MAX_CLIENTS]);
	assert_int_equal(vk_control_call_raw(c[VK_CONTROL_MAX_CLIENTS - 1], "{\"command\":\"status\"}", 2000, &raw), 0);
	assert_non_null(strstr(raw, "too many clients (16); closing the one idle the longest"));
	free(raw);
	vk_control_close(c[VK_CONTROL_MAX_CLIENTS - 1]);
	c[VK_CONTROL_MAX_CLIENTS - 1] = NULL;

	/* Errors reach the caller as -EREMOTEIO with the runner's message. */
	assert_int_equal(vk_control_call(c[0], "pause", 2000, &ret), 0);
	json_object_put(ret);
	assert_int_equal(vk_control_call(c[0], "pause", 2000, &ret), -EREMOTEIO);
	assert_null(ret);
	assert_non_null(strstr(vk_last_error(), "already paused"));
	assert_int_equal(vk_control_call(c[1], "frobnicate", 2000, &ret), -EREMOTEIO);
	assert_non_null(strstr(vk_last_error(), "unknown command"));
	/* A client that hangs up does not disturb the others. */
	vk_control_close(c[2]);
	c[2] = NULL;
	assert_int_equal(vk_control_call(c[3], "status", 2000, &ret), 0);
	assert_string_equal(get_str(ret, "state"), "paused");
	json_object_put(ret);

	for (int i = 0; i < VK_CONTROL_MAX_CLIENTS; i++)
		vk_control_close(c[i]);
	vk_control_server_stop(s);
	assert_int_equal(stat(sock, &st), -1);	/* removed */
	assert_int_equal(vk_control_connect(sock, 200, &c[0]), -ENOENT);
	assert_non_null(strstr(vk_last_error(), "no vrun is listening"));
}

/* Sixteen connections that never send a request do not lock a tool out,
 * and each of them is closed once it has been idle for the timeout. */
static void test_idle_clients(void **state)
{
	struct vk_control_server *s;
	struct vk_control_client *idle[VK_CONTROL_MAX_CLIENTS], *c;
	struct json_object *ret;
	char sock[sizeof(tmpdir) + 16], *raw;
	struct timespec t0, t1;
	long waited_ms;

	memset(&fake, 0, sizeof(fake));
	snprintf(sock, sizeof(sock), "%s/idle.sock", tmpdir);
	assert_int_equal(vk_control_server_start(sock, cmds, &fake, &s), 0);
	for (int i = 0; i < VK_CONTROL_MAX_CLIENTS; i++)
		assert_int_equal(vk_control_connect(sock, 1000, &idle[i]), 0);
	usleep(100000);	/* all of them accepted */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(vk_control_connect(sock, 1000, &c), 0);
	assert_int_equal(vk_control_call(c, "pause", 2000, &ret), 0);
	json_object_put(ret);
	assert_int_equal(fake.pauses, 1);
	assert_int_equal(vk_control_call(c, "status", 2000, &ret), 0);
	assert_string_equal(get_str(ret, "state"), "paused");
	json_object_put(ret);
	/* The first idle one made room; it hears why when it finally asks. */
	assert_int_equal(vk_control_call_raw(idle[0], "{\"command\":\"status\"}", 2000, &raw), 0);
	assert_non_null(strstr(raw, "too many clients"));
	free(raw);

	/* The others are closed after VK_CONTROL_IDLE_TIMEOUT_MS, each with a
	 * last line saying why (a blank line is no request and does not keep
	 * idle[1] open); c, which made requests, goes the same way. */
	assert_int_equal(vk_control_call_raw(idle[1], "", VK_CONTROL_IDLE_TIMEOUT_MS + 2000, &raw), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_non_null(strstr(raw, "no request for 5000 ms; closing the connection"));
	free(raw);
	assert_true(waited_ms >= VK_CONTROL_IDLE_TIMEOUT_MS - 500);
	for (int i = 2; i < VK_CONTROL_MAX_CLIENTS; i++) {
		assert_int_equal(vk_control_call_raw(idle[i], "", 2000, &raw), 0);
		assert_non_null(strstr(raw, "closing the connection"));
		free(raw);
	}
	usleep(1000 * 1000);
	assert_int_equal(vk_control_call(c, "status", 2000, &ret), -EREMOTEIO);
	assert_non_null(strstr(vk_last_error(), "no request for"));
	for (int i = 0; i < VK_CONTROL_MAX_CLIENTS; i++)
		vk_control_close(idle[i]);
	vk_control_close(c);
	vk_control_server_stop(s);
}

static void test_stale_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vk_control_server *s;
	struct vk_control_client *c;
	struct json_object *ret;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	/* A socket file nobody listens on (a vrun that was killed) is replaced. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stale.sock", tmpdir);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(vk_control_connect(sa.sun_path, 200, &c), -ECONNREFUSED);
	assert_int_equal(vk_control_server_start(sa.sun_path, cmds, &fake, &s), 0);
	assert_int_equal(vk_control_connect(sa.sun_path, 1000, &c), 0);
	assert_int_equal(vk_control_call(c, "status", 2000, &ret), 0);
	json_object_put(ret);
	vk_control_close(c);
	vk_control_server_stop(s);
	/* A regular file there is not ours to remove. */
	FILE *f = fopen(sa.sun_path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(vk_control_server_start(sa.sun_path, cmds, &fake, &s), -EEXIST);
	unlink(sa.sun_path);
}

static void test_client_timeout_and_names(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vk_control_client *c;
	struct json_object *ret;
	char *path = NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), peer;

	/* A listener that never answers: the call times out. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mute.sock", tmpdir);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(vk_control_connect(sa.sun_path, 1000, &c), 0);
	peer = accept(fd, NULL, NULL);
	assert_true(peer >= 0);
	assert_int_equal(vk_control_call(c, "status", 200, &ret), -ETIMEDOUT);
	assert_non_null(strstr(vk_last_error(), "no answer from its control socket ("));
	assert_non_null(strstr(vk_last_error(), "mute.sock): no reply within 200 ms"));
	/* A reply that is not the protocol. */
	assert_int_equal(write(peer, "hello\n", 6), 6);
	assert_int_equal(vk_control_call(c, "status", 1000, &ret), -EPROTO);
	close(peer);
	assert_int_equal(vk_control_call(c, "status", 1000, &ret), -ECONNRESET);
	assert_non_null(strstr(vk_last_error(), "mute.sock): vrun closed the connection"));
	vk_control_close(c);
	close(fd);

	/* By name: $VKIT_DIR/run/NAME.sock; a VM that is not running is named. */
	setenv("VKIT_DIR", tmpdir, 1);
	assert_int_equal(vk_control_socket_path("web01", &path), 0);
	assert_true(strlen(path) > strlen(tmpdir));
	assert_string_equal(path + strlen(tmpdir), "/run/web01.sock");
	free(path);
	assert_int_equal(vk_control_connect_vm("web01", 200, &c), -ENOENT);
	assert_non_null(strstr(vk_last_error(), "domain 'web01' is not running"));
	assert_int_equal(vk_control_connect_vm("../etc", 200, &c), -EINVAL);
}

static void test_parse_reply(void **state)
{
	struct json_object *r;
	const char *ok = "{\"ok\":true,\"return\":{\"a\":1}}";

	assert_int_equal(vk_control_parse_reply(ok, strlen(ok), &r), 0);
	assert_string_equal(get_str(r, "a"), "1");
	json_object_put(r);
	assert_int_equal(vk_control_parse_reply("{\"ok\":false,\"error\":\"nope\"}", 27, &r), -EREMOTEIO);
	assert_string_equal(vk_last_error(), "nope");
	assert_int_equal(vk_control_parse_reply("{\"ok\":true}", 11, &r), -EPROTO);
	assert_int_equal(vk_control_parse_reply("{\"ok\":1,\"return\":{}}", 20, &r), -EPROTO);
	assert_int_equal(vk_control_parse_reply("[]", 2, &r), -EPROTO);
	assert_int_equal(vk_control_parse_reply("{\"ok\":tr", 8, &r), -EPROTO);
	assert_null(r);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[sizeof(tmpdir) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_server_socketpair),
		cmocka_unit_test(test_server_and_client),
		cmocka_unit_test(test_idle_clients),
		cmocka_unit_test(test_stale_socket),
		cmocka_unit_test(test_client_timeout_and_names),
		cmocka_unit_test(test_parse_reply),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
