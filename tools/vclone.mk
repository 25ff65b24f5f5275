# tools/vclone.mk - build fragment (see Makefile.am); owned by the vclone area
bin_PROGRAMS += tools/vclone
tools_vclone_SOURCES = tools/vclone.c
tools_vclone_CFLAGS = $(VKIT_CFLAGS)
tools_vclone_LDADD = $(VKIT_LIBS)
dist_man1_MANS += tools/vclone.1
TESTS += tests/tools/vclone.sh tests/tools/vclone-compat.sh
dist_noinst_SCRIPTS += tests/tools/vclone.sh tests/tools/vclone-compat.sh
dist_noinst_DATA += tests/expected/vclone/check.out tests/expected/vclone/print-config.json
