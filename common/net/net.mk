# common/net/net.mk - build fragment (see Makefile.am): virtual networks (docs/networks.md): definitions, bridges and addresses over netlink, nftables NAT, dnsmasq, bridging a host interface
common_libvkit_a_SOURCES += common/net/netdef.c common/net/netdef.h \
	common/net/netlink.c common/net/netlink.h \
	common/net/hostcmd.c common/net/hostcmd.h \
	common/net/nat.c common/net/nat.h \
	common/net/dhcp.c common/net/dhcp.h \
	common/net/network.c common/net/network.h \
	common/net/netconf.c common/net/netconf.h \
	common/net/ifbridge.c common/net/ifbridge.h \
	common/net/nicspec.c common/net/nicspec.h

check_PROGRAMS += tests/unit/test-net
TESTS += tests/unit/test-net
tests_unit_test_net_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_net_LDADD = $(UNIT_LIBS)

# For real, inside network namespaces the tests make (root; skipped otherwise).
TESTS += tests/tools/networks.sh
dist_noinst_SCRIPTS += tests/tools/networks.sh
dist_noinst_DATA += tests/tools/netns-lib.sh
tests/tools/networks.log: tools/vctl tools/vinstall tools/vclone
TESTS += tests/tools/iface-bridge.sh
dist_noinst_SCRIPTS += tests/tools/iface-bridge.sh
tests/tools/iface-bridge.log: tools/vctl

# Real guests on the default network, in the nested sandbox (docs/sandbox.md).
TESTS += tests/sandbox/networks-l1.sh
dist_noinst_SCRIPTS += tests/sandbox/networks-l1.sh
tests/sandbox/networks-l1.log: vmm/vrun tools/vctl
