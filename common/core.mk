# common/core.mk - build fragment (see Makefile.am); owned by the core area
common_libvkit_a_SOURCES += common/error.c common/error.h \
	common/size.c common/size.h common/subopt.c common/subopt.h \
	common/ids.c common/ids.h common/fileutil.c common/fileutil.h \
	common/vmdef.c common/vmdef.h \
	common/statedir.c common/statedir.h \
	common/options.c common/options.h common/progress.c common/progress.h
