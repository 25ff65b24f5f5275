# tests/fuzz/fuzz.mk - build fragment (see Makefile.am); owned by the fuzz area

# Virtqueue parser and virtio-blk request path (virtio area).
TESTS += tests/fuzz/fuzz-virtqueue.sh
dist_noinst_SCRIPTS += tests/fuzz/fuzz-virtqueue.sh
EXTRA_DIST += tests/fuzz/fuzz-virtqueue.c tests/fuzz/corpus-virtqueue

# virtio-blk requests built from the input, against the real image layer
# (raw, read-only raw, qcow2) and checked against a model (hardening area).
TESTS += tests/fuzz/fuzz-virtio-blk.sh
dist_noinst_SCRIPTS += tests/fuzz/fuzz-virtio-blk.sh
EXTRA_DIST += tests/fuzz/fuzz-virtio-blk.c tests/fuzz/corpus-virtio-blk

# The AHCI controller's command-list walker on fuzzed RAM, and the ATAPI
# drive's command parser alone (CD-ROM area).
TESTS += tests/fuzz/fuzz-ahci.sh
dist_noinst_SCRIPTS += tests/fuzz/fuzz-ahci.sh
EXTRA_DIST += tests/fuzz/fuzz-ahci.c tests/fuzz/corpus-ahci
