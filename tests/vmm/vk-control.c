/* vk-control.c - test helper: one request to a vrun control socket through common/control-client, the reply (or one field of it) on stdout. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/vm/control-client.h"
#include "common/util/error.h"

/* "vcpus.0.tid": object keys and array indexes separated by dots. */
static struct json_object *lookup(struct json_object *o, const char *path)
{
	char *copy = strdup(path), *save = NULL;

	for (char *k = strtok_r(copy, ".", &save); o && k; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array)) {
			char *end;
			long i = strtol(k, &end, 10);

			o = *end || i < 0 ? NULL : json_object_array_get_idx(o, (size_t)i);
		} else if (!json_object_object_get_ex(o, k, &o)) {
			o = NULL;
		}
	}
	free(copy);
	return o;
}

static void usage(void)
{
	fprintf(stderr, "usage: vk-control [--wait SECONDS] [--raw] SOCKET COMMAND|LINE [FIELD]\n"
		"  --wait: wait for the socket to appear; --raw: send LINE as is, print the reply line\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct vk_control_client *c = NULL;
	struct json_object *ret = NULL, *v;
	int wait_s = 0, raw = 0, i = 1, rc, status = 1;
	char *reply = NULL;
	struct stat st;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
			wait_s = atoi(argv[++i]);
		else if (strcmp(argv[i], "--raw") == 0)
			raw = 1;
		else
			usage();
	}
	if (argc - i < 2 || argc - i > 3)
		usage();
	for (int t = 0; t < wait_s * 10 && stat(argv[i], &st) < 0; t++)
		usleep(100000);
	rc = vk_control_connect(argv[i], VK_CONTROL_TIMEOUT_MS, &c);
	if (rc == 0 && raw) {
		rc = vk_control_call_raw(c, argv[i + 1], VK_CONTROL_TIMEOUT_MS, &reply);
		if (rc == 0)
			printf("%s\n", reply);
		status = rc < 0;
		goto out;
	}
	if (rc == 0)
		rc = vk_control_call(c, argv[i + 1], VK_CONTROL_TIMEOUT_MS, &ret);
	if (rc < 0) {
		fprintf(stderr, "vk-control: %s\n", vk_last_error());
		goto out;
	}
	v = argc - i == 3 ? lookup(ret, argv[i + 2]) : ret;
	if (!v) {
		fprintf(stderr, "vk-control: no field %s in %s\n", argv[i + 2],
			json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PLAIN));
		goto out;
	}
	printf("%s\n", json_object_is_type(v, json_type_string) ? json_object_get_string(v)
		: json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	status = 0;
out:
	free(reply);
	json_object_put(ret);
	vk_control_close(c);
	return status;
}
