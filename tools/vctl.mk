# tools/vctl.mk - build fragment (see Makefile.am); owned by the vctl area
bin_PROGRAMS += tools/vctl
tools_vctl_SOURCES = tools/vctl.c tools/vctl.h tools/vctl-net.c
tools_vctl_CFLAGS = $(VKIT_CFLAGS)
tools_vctl_LDFLAGS = $(AM_LDFLAGS) -Wl,--as-needed
tools_vctl_LDADD = $(VKIT_LIBS)
dist_man1_MANS += tools/vctl.1

TESTS += tests/tools/vctl.sh
dist_noinst_SCRIPTS += tests/tools/vctl.sh tests/tools/fake-vrun
EXTRA_DIST += tests/expected/vctl

# vkit-autostart.service: vctl start --autostart at boot, with the installed vctl's path.
if SYSTEMD_UNIT
systemdsystemunit_DATA = tools/vkit-autostart.service
endif
tools/vkit-autostart.service: tools/vkit-autostart.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) tools && sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/tools/vkit-autostart.service.in >$@.tmp && mv $@.tmp $@
EXTRA_DIST += tools/vkit-autostart.service.in
TESTS += tests/tools/autostart-unit.sh
dist_noinst_SCRIPTS += tests/tools/autostart-unit.sh
tests/tools/autostart-unit.log: tools/vkit-autostart.service tools/vctl
CLEANFILES += tools/vkit-autostart.service
