# tools/vtop.mk - build fragment (see Makefile.am); owned by the vtop area
# vtop: virt-top's view of the running VMs, over vrun's control socket
# (docs/control.md).

bin_PROGRAMS += tools/vtop
tools_vtop_SOURCES = tools/vtop.c tools/vtop-csv.c tools/vtop.h
tools_vtop_CFLAGS = $(VKIT_CFLAGS) $(NCURSES_CFLAGS)
tools_vtop_LDFLAGS = $(AM_LDFLAGS) -Wl,--as-needed
tools_vtop_LDADD = $(VKIT_LIBS) $(NCURSES_LIBS)
dist_man1_MANS += tools/vtop.1

# Stand-in control sockets with known counters; a real tiny guest where
# /dev/kvm works.
TESTS += tests/tools/vtop.sh
dist_noinst_SCRIPTS += tests/tools/vtop.sh tests/tools/vtop-fake-vrun.py tests/tools/vtop-lib.sh
dist_noinst_DATA += tests/expected/vtop/empty.out tests/expected/vtop/idle.out \
	tests/expected/vtop/csv-detail-header tests/expected/vtop/csv-virt-top-header
tests/tools/vtop.log: tools/vtop vmm/vrun $(VK_MGMT_GUEST_BINS)

# virt-top habits: stopped VMs, its CSV, --script, --end-time, views, keys.
TESTS += tests/tools/vtop-virttop.sh
dist_noinst_SCRIPTS += tests/tools/vtop-virttop.sh
tests/tools/vtop-virttop.log: tools/vtop
