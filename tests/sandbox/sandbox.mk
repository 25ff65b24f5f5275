# tests/sandbox/sandbox.mk - build fragment (see Makefile.am); owned by the sandbox area
#
# The nested sandbox (docs/sandbox.md): run-l1.sh boots L1 and runs a
# script in it, mkinitramfs-l2.sh builds guests' initramfs.  Its cache
# (tests/sandbox/cache/) lives in the build tree.

dist_noinst_SCRIPTS += tests/sandbox/run-l1.sh tests/sandbox/mkinitramfs-l2.sh
dist_noinst_DATA += tests/sandbox/sandbox-lib.sh tests/sandbox/l1-init tests/sandbox/l2-init \
	tests/sandbox/root-init

# The cache survives "make clean" (it may hold a downloaded kernel package).
distclean-local: clean-sandbox-cache
clean-sandbox-cache:
	-rm -rf tests/sandbox/cache
.PHONY: clean-sandbox-cache

# End-to-end tests: each boots L1 once (run-l1.sh takes a lock, so two
# never boot at the same time even under make -j2).
TESTS += tests/sandbox/tiny-guests-l1.sh tests/sandbox/vrun-linux.sh
dist_noinst_SCRIPTS += tests/sandbox/tiny-guests-l1.sh tests/sandbox/vrun-linux.sh
dist_noinst_DATA += tests/sandbox/enter-l1.sh
tests/sandbox/tiny-guests-l1.log: vmm/vrun $(VK_GUEST_BINS)
tests/sandbox/vrun-linux.log: vmm/vrun

# CD-ROMs on AHCI: Debian's kernel drives them with its in-box modules.
TESTS += tests/sandbox/cdrom.sh
dist_noinst_SCRIPTS += tests/sandbox/cdrom.sh
tests/sandbox/cdrom.log: vmm/vrun
