# common/media.mk - build fragment (see Makefile.am); owned by the media area
common_libvkit_a_SOURCES += common/media.c common/media.h \
	common/download.c common/download.h \
	common/osvariant.c common/osvariant.h \
	common/bootinspect.c common/bootinspect.h
