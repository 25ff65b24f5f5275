# tools/vinstall.mk - build fragment (see Makefile.am); owned by the vinstall area
bin_PROGRAMS += tools/vinstall
tools_vinstall_SOURCES = tools/vinstall.c
tools_vinstall_CFLAGS = $(VKIT_CFLAGS)
tools_vinstall_LDADD = $(VKIT_LIBS)
dist_man1_MANS += tools/vinstall.1

TESTS += tests/tools/vinstall-options.sh tests/tools/vinstall-media.sh tests/tools/vinstall-flow.sh \
	tests/tools/vinstall-virtinst.sh tests/tools/vinstall-download.sh tests/tools/vinstall-compat.sh
dist_noinst_SCRIPTS += tests/tools/vinstall-options.sh tests/tools/vinstall-media.sh tests/tools/vinstall-download.sh \
	tests/tools/vinstall-flow.sh tests/tools/vinstall-virtinst.sh tests/tools/vinstall-compat.sh tests/tools/vinstall-lib.sh tests/tools/httpserver.py scripts/demo

# Interrupted and concurrent runs (docs/vinstall.md, "Losing nothing"): about 35 s and 20 s.
TESTS += tests/tools/vinstall-undo.sh tests/tools/vinstall-race.sh
dist_noinst_SCRIPTS += tests/tools/vinstall-undo.sh tests/tools/vinstall-race.sh
EXTRA_DIST += tests/expected/vinstall

# Real-world virt-install and virt-clone command lines (tests/compat/*.lines, each citing its source).
TESTS += tests/compat/compat.sh
dist_noinst_SCRIPTS += tests/compat/compat.sh
EXTRA_DIST += tests/compat/virt-install.lines tests/compat/virt-clone.lines

# End to end in the nested sandbox (two L2 boots): skips when run-l1.sh
# says the sandbox cannot run, or with --disable-sandbox-tests.
TESTS += tests/sandbox/vinstall-e2e.sh
dist_noinst_SCRIPTS += tests/sandbox/vinstall-e2e.sh scripts/mk-demo-media
