# tools/vdf.mk - build fragment (see Makefile.am); owned by the vdf area
# vdf: virt-df's output from disk images read directly (docs/vdf.md).
bin_PROGRAMS += tools/vdf
tools_vdf_SOURCES = tools/vdf.c
tools_vdf_CFLAGS = $(VKIT_CFLAGS) $(GUESTFS_CFLAGS)
# libguestfs is dlopen()ed by vdf when a guest needs it; --as-needed keeps
# it and the other unused libraries of VKIT_LIBS out of vdf's start-up.
tools_vdf_LDFLAGS = $(AM_LDFLAGS) -Wl,--as-needed
tools_vdf_LDADD = $(VKIT_LIBS)
dist_man1_MANS += tools/vdf.1

TESTS += tests/tools/vdf.sh tests/tools/vdf-corrupt.sh
dist_noinst_SCRIPTS += tests/tools/vdf.sh tests/tools/vdf-corrupt.sh tests/tools/vdf-mkimages.sh \
	tests/tools/vdf-record-expected.sh tests/tools/vdf-disks.sh \
	bench/vdf-bench.sh
dist_noinst_DATA += tests/expected/vdf/all.plain tests/expected/vdf/all.h \
	tests/expected/vdf/all.i tests/expected/vdf/all.csv tests/expected/vdf/more.plain

# Defines VMs for the -d tests through the core library.
check_PROGRAMS += tests/tools/vdf-define-vm
tests_tools_vdf_define_vm_SOURCES = tests/tools/vdf-define-vm.c
tests_tools_vdf_define_vm_CFLAGS = $(VKIT_CFLAGS)
tests_tools_vdf_define_vm_LDADD = $(VKIT_LIBS)
