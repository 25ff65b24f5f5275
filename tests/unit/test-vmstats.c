/* test-vmstats.c - vrun's stats reply parsed (good and hostile), rates between snapshots, virt-top's number formats. */
#include "config.h"
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "common/vm/vmstats.h"

/* What vrun answers for 2 vCPUs, 2 disks and one NIC (docs/control.md). */
static const char good_reply[] =
	"{\"uptime_ms\": 1500,"
	" \"vcpus\": [{\"id\": 0, \"tid\": 101, \"cpu_time_ns\": 1000000000,"
	"   \"exits\": {\"io\": 5, \"mmio\": 1}},"
	"  {\"id\": 1, \"tid\": 102, \"cpu_time_ns\": 500000000, \"exits\": {\"io\": 2}}],"
	" \"exits\": {\"io\": 7, \"mmio\": 1, \"intr\": 3, \"shutdown\": 0, \"system_event\": 0,"
	"   \"internal_error\": 0, \"fail_entry\": 0, \"other\": 1},"
	" \"disks\": [{\"name\": \"blk0\", \"read_reqs\": 10, \"read_bytes\": 40960, \"write_reqs\": 4,"
	"   \"write_bytes\": 8192, \"flush_reqs\": 1, \"errors\": 0},"
	"  {\"name\": \"blk1\", \"read_reqs\": 1, \"read_bytes\": 512, \"write_reqs\": 0,"
	"   \"write_bytes\": 0, \"flush_reqs\": 0, \"errors\": 0}],"
	" \"nics\": [{\"name\": \"net0\", \"ifname\": \"vk0\", \"rx_packets\": 3, \"rx_bytes\": 180,"
	"   \"tx_packets\": 2, \"tx_bytes\": 120, \"tx_dropped\": 0}],"
	" \"memory\": {\"guest_bytes\": 16777216, \"rss_bytes\": 8388608}}";

static int parse_text(const char *text, struct vk_vm_sample *s)
{
	struct json_object *o = json_tokener_parse(text);
	int rc;

	rc = vk_vm_sample_parse(o, s);
	json_object_put(o);
	return rc;
}

static void test_parse_good(void **state)
{
	struct vk_vm_sample s;

	assert_int_equal(parse_text(good_reply, &s), 0);
	assert_int_equal(s.uptime_ms, 1500);
	assert_int_equal(s.n_vcpus, 2);
	assert_int_equal(s.cpu_ns, 1500000000);
	assert_int_equal(s.vcpu_ns[1], 500000000);
	assert_int_equal(s.vcpu_tid[0], 101);
	assert_int_equal(s.exits, 12);
	assert_int_equal(s.rd_reqs, 11);
	assert_int_equal(s.rd_bytes, 41472);
	assert_int_equal(s.wr_reqs, 4);
	assert_int_equal(s.wr_bytes, 8192);
	assert_int_equal(s.rx_bytes, 180);
	assert_int_equal(s.rx_packets, 3);
	assert_int_equal(s.tx_bytes, 120);
	assert_int_equal(s.tx_packets, 2);
	assert_int_equal(s.guest_bytes, 16777216);
	assert_int_equal(s.rss_bytes, 8388608);
}

static void test_parse_big_counters(void **state)
{
	struct vk_vm_sample s;

	/* Above INT64_MAX json-c keeps the value unsigned: still a counter. */
	assert_int_equal(parse_text("{\"uptime_ms\": 18446744073709551615, \"vcpus\": [], \"exits\": {},"
				    " \"disks\": [], \"nics\": [],"
				    " \"memory\": {\"guest_bytes\": 9223372036854775808, \"rss_bytes\": 0}}",
				    &s), 0);
	assert_true(s.uptime_ms == UINT64_MAX);
	assert_true(s.guest_bytes == UINT64_C(9223372036854775808));
}

/* Each is a reply vrun never sends; none may be taken for counters. */
static void test_parse_hostile(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"uptime_ms\": -1, \"vcpus\": [], \"exits\": {}, \"disks\": [], \"nics\": [],"
		" \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
		"{\"uptime_ms\": 1.5, \"vcpus\": [], \"exits\": {}, \"disks\": [], \"nics\": [],"
		" \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
		"{\"uptime_ms\": \"1\", \"vcpus\": [], \"exits\": {}, \"disks\": [], \"nics\": [],"
		" \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
		"{\"uptime_ms\": 1, \"vcpus\": {}, \"exits\": {}, \"disks\": [], \"nics\": [],"
		" \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
		"{\"uptime_ms\": 1, \"vcpus\": [7], \"exits\": {}, \"disks\": [], \"nics\": [],"
		" \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
		"{\"uptime_ms\": 1, \"vcpus\": [{\"tid\": 1}], \"exits\": {}, \"disks\": [], \"nics\": [],"
		" \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
		"{\"uptime_ms\": 1, \"vcpus\": [], \"exits\": {\"io\": null}, \"disks\": [], \"nics\": [],"
		" \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
		"{\"uptime_ms\": 1, \"vcpus\": [], \"exits\": [], \"disks\": [], \"nics\": [],"
		" \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
		"{\"uptime_ms\": 1, \"vcpus\": [], \"exits\": {}, \"disks\": [null], \"nics\": [],"
		" \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
		"{\"uptime_ms\": 1, \"vcpus\": [], \"exits\": {}, \"disks\": [], \"nics\": [{\"rx_bytes\": 1}],"
		" \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
		"{\"uptime_ms\": 1, \"vcpus\": [], \"exits\": {}, \"disks\": [], \"nics\": [], \"memory\": 5}",
		"{\"uptime_ms\": 1, \"vcpus\": [], \"exits\": {}, \"disks\": [], \"nics\": []}",
		/* Totals that wrap around. */
		"{\"uptime_ms\": 1, \"vcpus\": [], \"exits\": {\"io\": 18446744073709551615, \"mmio\": 1},"
		" \"disks\": [], \"nics\": [], \"memory\": {\"guest_bytes\": 0, \"rss_bytes\": 0}}",
	};
	struct vk_vm_sample s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vk_error_clear();
		assert_int_equal(parse_text(bad[i], &s), -EPROTO);
		assert_true(strncmp(vk_last_error(), "stats: ", 7) == 0);
		assert_int_equal(s.n_vcpus, 0);
	}
	assert_int_equal(vk_vm_sample_parse(NULL, &s), -EPROTO);
}

static void test_parse_too_many(void **state)
{
	struct json_object *o = json_tokener_parse(good_reply), *vcpus, *disks;
	struct vk_vm_sample s;

	json_object_object_get_ex(o, "vcpus", &vcpus);
	while (json_object_array_length(vcpus) <= VK_VMSTATS_MAX_VCPUS)
		json_object_array_add(vcpus, json_object_get(json_object_array_get_idx(vcpus, 0)));
	assert_int_equal(vk_vm_sample_parse(o, &s), -EPROTO);
	assert_non_null(strstr(vk_last_error(), "more than 256 vcpus"));
	json_object_array_del_idx(vcpus, 0, json_object_array_length(vcpus) - VK_VMSTATS_MAX_VCPUS);
	assert_int_equal(vk_vm_sample_parse(o, &s), 0);
	assert_int_equal(s.n_vcpus, VK_VMSTATS_MAX_VCPUS);

	json_object_object_get_ex(o, "disks", &disks);
	while (json_object_array_length(disks) <= VK_VMSTATS_MAX_DEVICES)
		json_object_array_add(disks, json_object_get(json_object_array_get_idx(disks, 0)));
	assert_int_equal(vk_vm_sample_parse(o, &s), -EPROTO);
	json_object_put(o);
}

static int parse_ifnames(const char *text, char (*names)[VK_VMSTATS_IFNAME_MAX], size_t max, size_t *n)
{
	struct json_object *o = json_tokener_parse(text);
	int rc = vk_vm_nic_ifnames_parse(o, names, max, n);

	json_object_put(o);
	return rc;
}

/* The NICs' tap names (vctl domiflist, domifaddr): names, never more. */
static void test_nic_ifnames(void **state)
{
	char names[4][VK_VMSTATS_IFNAME_MAX];
	size_t n = 9;

	assert_int_equal(parse_ifnames(good_reply, names, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "vk0");
	assert_int_equal(parse_ifnames("{\"nics\": [{\"name\": \"net0\"}, {\"ifname\": \"tap-b.1\"}]}", names, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "-");
	assert_string_equal(names[1], "tap-b.1");
	assert_int_equal(parse_ifnames("{\"nics\": [{\"ifname\": \"a\"}, {\"ifname\": \"b\"}]}", names, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(parse_ifnames("{\"nics\": [{\"ifname\": \"vk0\\u001b[31m\"}]}", names, 4, &n), -EPROTO);
	assert_string_equal(vk_last_error(), "stats: nics[0].ifname is not an interface name");
	assert_int_equal(n, 0);
	assert_int_equal(parse_ifnames("{\"nics\": [{\"ifname\": \"a-name-of-16-chr\"}]}", names, 4, &n), -EPROTO);
	assert_int_equal(parse_ifnames("{\"nics\": [{\"ifname\": 7}]}", names, 4, &n), -EPROTO);
	assert_int_equal(parse_ifnames("{\"nics\": {}}", names, 4, &n), -EPROTO);
}

static int parse_status(const char *text, struct vk_vm_status *st)
{
	struct json_object *o = json_tokener_parse(text);
	int rc = vk_vm_status_parse(o, st);

	json_object_put(o);
	return rc;
}

/* The status reply, typed once for vctl and vtop, and as hostile as stats. */
static void test_status(void **state)
{
	struct vk_vm_status st;
	char *big;

	(void)state;
	assert_int_equal(parse_status("{\"name\": \"web01\", \"state\": \"paused\", \"pid\": 42, "
				      "\"uptime_ms\": 7, \"console\": {\"kind\": \"pty\", \"path\": \"/dev/pts/3\"}}", &st), 0);
	assert_int_equal(st.state, VK_VM_PAUSED);
	assert_int_equal(st.pid, 42);
	assert_int_equal(st.uptime_ms, 7);
	assert_int_equal(st.console, VK_VM_CONSOLE_PTY);
	assert_string_equal(st.console_path, "/dev/pts/3");
	assert_string_equal(vk_vm_run_state_name(st.state), "paused");
	assert_int_equal(parse_status("{\"state\": \"stopping\"}", &st), 0);
	assert_int_equal(st.console, VK_VM_CONSOLE_UNKNOWN);	/* an older vrun names none */
	assert_int_equal(st.pid, -1);
	assert_string_equal(vk_vm_run_state_name(st.state), "in shutdown");
	assert_int_equal(parse_status("{\"state\": \"running\", \"console\": {\"kind\": \"stdio\"}}", &st), 0);
	assert_int_equal(st.console, VK_VM_CONSOLE_STDIO);
	/* hostile */
	assert_int_equal(parse_status("[]", &st), -EPROTO);
	assert_int_equal(parse_status("{}", &st), -EPROTO);
	assert_non_null(strstr(vk_last_error(), "no \"state\" string"));
	assert_int_equal(parse_status("{\"state\": 3}", &st), -EPROTO);
	assert_int_equal(parse_status("{\"state\": \"exploded\"}", &st), -EPROTO);
	assert_non_null(strstr(vk_last_error(), "'exploded'"));
	assert_int_equal(parse_status("{\"state\": \"run\\u0000ning\"}", &st), -EPROTO);
	assert_int_equal(parse_status("{\"state\": \"running\", \"pid\": -1}", &st), -EPROTO);
	assert_int_equal(parse_status("{\"state\": \"running\", \"pid\": \"1\"}", &st), -EPROTO);
	assert_int_equal(parse_status("{\"state\": \"running\", \"console\": {\"kind\": \"pty\"}}", &st), -EPROTO);
	assert_int_equal(parse_status("{\"state\": \"running\", \"console\": {\"kind\": \"tty\", \"path\": \"/x\"}}",
					&st), -EPROTO);
	assert_int_equal(parse_status("{\"state\": \"running\", \"console\": \"pty\"}", &st), -EPROTO);
	big = malloc(VK_VM_CONSOLE_PATH_MAX + 128);	/* a path one byte too long */
	assert_non_null(big);
	strcpy(big, "{\"state\": \"running\", \"console\": {\"kind\": \"file\", \"path\": \"");
	memset(big + strlen(big), 'a', VK_VM_CONSOLE_PATH_MAX);
	strcpy(big + strlen("{\"state\": \"running\", \"console\": {\"kind\": \"file\", \"path\": \"") +
	       VK_VM_CONSOLE_PATH_MAX, "\"}}");
	assert_int_equal(parse_status(big, &st), -EPROTO);
	free(big);
}

static void test_rates(void **state)
{
	struct vk_vm_sample a, b;
	struct vk_vm_rates r;

	assert_int_equal(parse_text(good_reply, &a), 0);
	b = a;
	b.cpu_ns += 750000000;		/* 0.75 s of CPU in 0.5 s: 150 % */
	b.vcpu_ns[0] += 500000000;
	b.vcpu_ns[1] += 250000000;
	b.rd_reqs += 100;
	b.rd_bytes += 4096;
	b.wr_reqs += 1;
	b.wr_bytes += 512;
	b.rx_bytes += 1000;
	b.rx_packets += 10;
	b.tx_bytes += 3;
	b.tx_packets += 1;
	b.exits += 50;
	assert_int_equal(vk_vm_rates_compute(&a, &b, 500000000, &r), 0);
	assert_int_equal(r.interval_ns, 500000000);
	assert_int_equal(r.cpu_ns, 750000000);
	assert_true(r.cpu_pct == 150.0);
	assert_int_equal(r.n_vcpus, 2);
	assert_true(r.vcpu_pct[0] == 100.0 && r.vcpu_pct[1] == 50.0);
	assert_true(r.rd_reqs == 200 && r.rd_bytes == 8192 && r.wr_reqs == 2 && r.wr_bytes == 1024);
	assert_true(r.rx_bytes == 2000 && r.rx_packets == 20 && r.tx_bytes == 6 && r.tx_packets == 2);
	assert_true(r.exits == 100);

	/* Nothing moved: all zero, not "no value". */
	assert_int_equal(vk_vm_rates_compute(&a, &a, 1000000000, &r), 0);
	assert_true(r.cpu_pct == 0 && r.rd_reqs == 0 && r.exits == 0);

	/* Another vCPU set (a new vrun with as many counts): no per-vCPU rates. */
	b.vcpu_tid[1] = 999;
	assert_int_equal(vk_vm_rates_compute(&a, &b, 500000000, &r), 0);
	assert_int_equal(r.n_vcpus, 0);
	assert_true(r.cpu_pct == 150.0);

	assert_int_equal(vk_vm_rates_compute(&a, &b, 0, &r), -EINVAL);
	assert_int_equal(vk_vm_rates_compute(&b, &a, 500000000, &r), -ERANGE);
	assert_non_null(strstr(vk_last_error(), "went backwards"));
}

static void check_count(double v, const char *want)
{
	char buf[VK_COUNT_STR_MAX];

	vk_format_count(v, buf);
	assert_string_equal(buf, want);
	assert_true(strlen(buf) <= 5);
}

static void test_format_count(void **state)
{
	check_count(0, "0");
	check_count(0.4, "0");
	check_count(0.5, "1");
	check_count(99999, "99999");
	check_count(100000, "100K");
	check_count(999999, "999K");
	check_count(1000000, "1.0M");
	check_count(9999999, "9.9M");
	check_count(10000000, "10M");
	check_count(999999999, "999M");
	check_count(1e9, "1.0G");
	check_count(123e9, "123G");
	check_count(4.5e12, "4.5T");
	check_count(1e30, "18E");
	check_count(-1, "-");
}

static void test_format_cputime(void **state)
{
	char buf[VK_CPUTIME_STR_MAX];

	vk_format_cputime(0, buf);
	assert_string_equal(buf, "0:00.00");
	vk_format_cputime(1234567890, buf);
	assert_string_equal(buf, "0:01.23");
	vk_format_cputime(UINT64_C(3723450000000), buf);	/* 1 h 2 min 3.45 s */
	assert_string_equal(buf, "62:03.45");
	vk_format_cputime(UINT64_C(13) * 3600 * 1000000000 + UINT64_C(5) * 60 * 1000000000, buf);
	assert_string_equal(buf, "13h05");
	vk_format_cputime(UINT64_MAX, buf);
	assert_true(strlen(buf) < VK_CPUTIME_STR_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_big_counters),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_parse_too_many),
		cmocka_unit_test(test_nic_ifnames),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_format_count),
		cmocka_unit_test(test_format_cputime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
