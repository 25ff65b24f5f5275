# tests/fuzz/fuzz.mk - build fragment (see Makefile.am); owned by the fuzz area

# Virtqueue parser and virtio-blk request path (virtio area).
TESTS += tests/fuzz/fuzz-virtqueue.sh
dist_noinst_SCRIPTS += tests/fuzz/fuzz-virtqueue.sh
EXTRA_DIST += tests/fuzz/fuzz-virtqueue.c tests/fuzz/corpus-virtqueue
