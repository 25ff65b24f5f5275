/* test-media.c - unit tests for .treeinfo and OS-variant template parsing and initrd injection. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/guest/bootinspect.h"
#include "common/util/error.h"
#include "common/media/media.h"
#include "common/media/osvariant.h"

static void treeinfo_images_section(void **state)
{
	const char *text = "[general]\nfamily = Fedora\nkernel = wrong\n"
			   "[images-aarch64]\nkernel = images/aarch64/vmlinuz\ninitrd = x\n"
			   "[images-x86_64]\r\n  kernel = images/pxeboot/vmlinuz \r\ninitrd=images/pxeboot/initrd.img\n";
	char *k, *i;

	assert_int_equal(vk_treeinfo_parse(text, &k, &i), 0);
	assert_string_equal(k, "images/pxeboot/vmlinuz");
	assert_string_equal(i, "images/pxeboot/initrd.img");
	free(k);
	free(i);
}

static void treeinfo_without_x86(void **state)
{
	char *k = (char *)1, *i = (char *)1;

	assert_int_equal(vk_treeinfo_parse("[images-aarch64]\nkernel=a\ninitrd=b\n", &k, &i), -ENOENT);
	assert_null(k);
	assert_null(i);
	assert_int_equal(vk_treeinfo_parse("[images-x86_64]\nkernel=a\n", &k, &i), -ENOENT);
	assert_int_equal(vk_treeinfo_parse("[images-x86_64]\nkernel=\ninitrd=b\n", &k, &i), -ENOENT);
	assert_int_equal(vk_treeinfo_parse("", &k, &i), -ENOENT);
}

#define GOOD_TEMPLATE "{\"name\":\"t\",\"family\":\"linux\",\"supported\":true,\"memory_mib\":512," \
	"\"vcpus\":1,\"disk_size_gib\":4,\"disk_bus\":\"virtio\",\"nic_model\":\"virtio\"," \
	"\"media\":[{\"kernel\":\"a\",\"initrd\":\"b\"}]"

static void osvariant_good(void **state)
{
	struct vk_osvariant *v = NULL;

	assert_int_equal(vk_osvariant_parse(GOOD_TEMPLATE "}", "t.json", &v), 0);
	assert_string_equal(v->name, "t");
	assert_int_equal(v->memory_mib, 512);
	assert_int_equal(v->n_layouts, 1);
	assert_string_equal(v->layouts[0].initrd, "b");
	assert_string_equal(v->kernel_args, "");
	vk_osvariant_free(v);
}

static void osvariant_bad(void **state)
{
	static const char *const bad[] = {
		GOOD_TEMPLATE ",\"colour\":\"red\"}",			/* unknown key */
		GOOD_TEMPLATE ",\"memory_mib\":\"lots\"}",		/* wrong type */
		GOOD_TEMPLATE ",\"vcpus\":0}",				/* out of range */
		GOOD_TEMPLATE ",\"vcpus\":-3}",
		"{\"name\":\"t\"}",					/* missing fields */
		GOOD_TEMPLATE ",\"supported\":false}",			/* no reason */
		GOOD_TEMPLATE ",\"media\":[{\"kernel\":\"a\"}]}",	/* half a layout */
		GOOD_TEMPLATE ",\"media\":[]}",				/* supported, no layout */
		"[1,2,3]",
		"{",
		"",
	};
	struct vk_osvariant *v = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(vk_osvariant_parse(bad[i], "bad.json", &v) < 0);
		assert_non_null(strstr(vk_last_error(), "bad.json"));
	}
}

static void shipped_templates_load(void **state)
{
	struct vk_osvariant **list = NULL, *v = NULL;
	size_t n = 0, i;

	setenv("VKIT_TEMPLATEDIR", VK_SRC_TEMPLATEDIR, 1);
	assert_int_equal(vk_osvariant_list(&list, &n), 0);
	assert_true(n >= 25);
	for (i = 1; i < n; i++)
		assert_true(strcmp(list[i - 1]->name, list[i]->name) < 0);
	vk_osvariant_list_free(list, n);
	assert_int_equal(vk_osvariant_load("centos6", &v), 0);	/* an alias */
	assert_string_equal(v->name, "rhel6");
	vk_osvariant_free(v);
	assert_int_equal(vk_osvariant_load("win2k19", &v), 0);
	assert_false(v->supported);
	assert_non_null(v->unsupported_reason);
	vk_osvariant_free(v);
	assert_int_equal(vk_osvariant_load("beos", &v), -ENOENT);
	assert_non_null(strstr(vk_last_error(), "--osinfo list"));
}

static unsigned long hex8(const char *p)
{
	char buf[9];

	memcpy(buf, p, 8);
	buf[8] = '\0';
	return strtoul(buf, NULL, 16);
}

static void initrd_inject_appends_newc(void **state)
{
	char initrd[] = "/tmp/vk-test-initrd.XXXXXX", file[] = "/tmp/vk-test-ks.XXXXXX";
	char *files[] = { file }, buf[1024];
	const char *base;
	FILE *f;
	size_t len;
	int fd;

	fd = mkstemp(initrd);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);	/* an unaligned existing archive */
	close(fd);
	fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "kickstart\n", 10), 10);
	close(fd);
	assert_int_equal(vk_initrd_inject(initrd, files, 1), 0);
	f = fopen(initrd, "r");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	base = strrchr(file, '/') + 1;
	/* 3 bytes, 1 of padding, then a newc header. */
	assert_true(len > 4 + 110);
	assert_memory_equal(buf + 4, "070701", 6);
	assert_int_equal(hex8(buf + 4 + 6 + 6 * 8), 10);			/* c_filesize */
	assert_int_equal(hex8(buf + 4 + 6 + 11 * 8), strlen(base) + 1);	/* c_namesize */
	assert_string_equal(buf + 4 + 110, base);
	assert_non_null(memmem(buf, len, "kickstart\n", 10));
	assert_non_null(memmem(buf, len, "TRAILER!!!", 10));
	unlink(initrd);
	unlink(file);
}

static void media_refuses_unknown_schemes(void **state)
{
	struct vk_media *m = NULL;

	assert_int_equal(vk_media_open("nfs://server/tree", &m), -EPROTONOSUPPORT);
	assert_true(vk_media_open("/nonexistent/vk.iso", &m) < 0);
	assert_null(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(treeinfo_images_section),
		cmocka_unit_test(treeinfo_without_x86),
		cmocka_unit_test(osvariant_good),
		cmocka_unit_test(osvariant_bad),
		cmocka_unit_test(shipped_templates_load),
		cmocka_unit_test(initrd_inject_appends_newc),
		cmocka_unit_test(media_refuses_unknown_schemes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
