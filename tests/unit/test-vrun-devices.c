/* test-vrun-devices.c - vrun's device table: every entry complete, the PCI kinds in slot order, its options parsed into the right slots. */
#include "config.h"

#include <popt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/vrun-devices.h"

static size_t kind_index(const char *name)
{
	for (size_t i = 0; i < vrun_n_device_kinds; i++)
		if (strcmp(vrun_device_kinds[i].name, name) == 0)
			return i;
	fail_msg("no device kind %s", name);
	return 0;
}

static void entries_complete(void **state)
{
	(void)state;
	assert_true(vrun_n_device_kinds <= VRUN_DEVICE_KINDS_MAX);
	for (size_t i = 0; i < vrun_n_device_kinds; i++) {
		const struct vrun_device_kind *k = &vrun_device_kinds[i];

		assert_non_null(k->name);
		assert_non_null(k->add);
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(k->name, vrun_device_kinds[j].name);
			if (k->option && vrun_device_kinds[j].option)
				assert_string_not_equal(k->option, vrun_device_kinds[j].option);
		}
		if (!k->option) {
			assert_int_equal(k->arg_kind, 0);
			continue;
		}
		assert_null(k->wanted);		/* the option decides */
		assert_non_null(k->descrip);
		assert_true(k->arg_kind == POPT_ARG_ARGV || k->arg_kind == POPT_ARG_NONE);
		if (k->arg_kind == POPT_ARG_ARGV)
			assert_non_null(k->arg_descrip);
		else
			assert_null(k->arg_descrip);
	}
}

/* The guest's PCI slots follow the table: the chipset right after the bus
 * is made (vk_devices_add_pc_chipset() wants no device before it), then
 * --disk, --cdrom, --net, --rng as before the table existed. */
static void pci_slot_order(void **state)
{
	const char *const pci_order[] = { "pc-chipset", "virtio-blk", "ahci-cdrom", "virtio-net", "virtio-rng" };
	size_t first_pci = vrun_n_device_kinds, n = 0;

	(void)state;
	for (size_t i = 0; i < vrun_n_device_kinds; i++) {
		if (!vrun_device_kinds[i].pci) {
			assert_true(i < first_pci);	/* legacy kinds all before the bus */
			continue;
		}
		if (first_pci == vrun_n_device_kinds)
			first_pci = i;
		assert_true(n < sizeof(pci_order) / sizeof(pci_order[0]));
		assert_string_equal(vrun_device_kinds[i].name, pci_order[n]);
		n++;
	}
	assert_int_equal(n, sizeof(pci_order) / sizeof(pci_order[0]));
	assert_string_equal(vrun_device_kinds[kind_index("virtio-blk")].option, "disk");
	assert_string_equal(vrun_device_kinds[kind_index("ahci-cdrom")].option, "cdrom");
	assert_string_equal(vrun_device_kinds[kind_index("virtio-net")].option, "net");
	assert_string_equal(vrun_device_kinds[kind_index("virtio-rng")].option, "rng");
}

/* Values land in the slot of their kind, in the order given. */
static void options_parsed(void **state)
{
	struct vrun_device_args args[VRUN_DEVICE_KINDS_MAX] = { 0 };
	struct poptOption devices[VRUN_DEVICE_KINDS_MAX + 1];
	struct poptOption table[] = {
		{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, devices, 0, "Devices:", NULL },
		POPT_TABLEEND
	};
	const char *argv[] = { "vrun", "--disk", "path=a", "--cdrom", "c.iso", "--rng", "--disk", "path=b",
			       "--net", "tap=t0", NULL };
	size_t blk = kind_index("virtio-blk"), cd = kind_index("ahci-cdrom");
	size_t net = kind_index("virtio-net"), rng = kind_index("virtio-rng");
	poptContext ctx;
	int rc;

	(void)state;
	vrun_device_options(devices, args);
	ctx = poptGetContext("vrun", 10, argv, table, 0);
	assert_non_null(ctx);
	while ((rc = poptGetNextOpt(ctx)) > 0)
		;
	assert_int_equal(rc, -1);
	poptFreeContext(ctx);
	assert_string_equal(args[blk].values[0], "path=a");
	assert_string_equal(args[blk].values[1], "path=b");
	assert_null(args[blk].values[2]);
	assert_string_equal(args[cd].values[0], "c.iso");
	assert_null(args[cd].values[1]);
	assert_string_equal(args[net].values[0], "tap=t0");
	assert_int_equal(args[rng].given, 1);
	assert_null(args[rng].values);
	for (size_t i = 0; i < vrun_n_device_kinds; i++)
		if (i != blk && i != cd && i != net)
			assert_null(args[i].values);
	vrun_device_args_free(args);
	assert_null(args[blk].values);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(entries_complete),
		cmocka_unit_test(pci_slot_order),
		cmocka_unit_test(options_parsed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
