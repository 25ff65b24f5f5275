# sandbox-lib.sh - shared by run-l1.sh and mkinitramfs-l2.sh: find the sandbox kernel, resolve and copy modules, write cpio archives.
#
# Sourced, not run.  Needs $vk_sb_srcdir (tests/sandbox in the source tree)
# and $vk_sb_cache (tests/sandbox/cache in the build tree).  Functions
# return non-zero with a reason in $vk_sb_why instead of exiting, so a
# test can turn the reason into a TAP skip.

vk_sb_why=

# vk_sb_has_kvm_amd MODDIR: the module tree has kvm-amd (compressed or not).
vk_sb_has_kvm_amd() {
	for _f in "$1"/kernel/arch/x86/kvm/kvm-amd.ko*; do
		[ -f "$_f" ] && return 0
	done
	return 1
}

# vk_sb_find_kernel: sets VK_SANDBOX_KERNEL (a bzImage) and
# VK_SANDBOX_MODDIR (its /lib/modules/VERSION).  In order: the two
# variables if the caller set them (run-l1.sh sets them inside L1), an
# installed Debian kernel whose modules have kvm-amd (newest first), one
# already unpacked in the cache, one downloaded with apt-get into the cache
# (unless VK_SANDBOX_DOWNLOAD=no).
vk_sb_find_kernel() {
	if [ -n "${VK_SANDBOX_KERNEL:-}" ] && [ -n "${VK_SANDBOX_MODDIR:-}" ]; then
		[ -r "$VK_SANDBOX_KERNEL" ] && [ -f "$VK_SANDBOX_MODDIR/modules.dep" ] && return 0
		vk_sb_why="VK_SANDBOX_KERNEL=$VK_SANDBOX_KERNEL / VK_SANDBOX_MODDIR=$VK_SANDBOX_MODDIR: not readable"
		return 1
	fi
	for _k in $(ls -v -r /boot/vmlinuz-* "$vk_sb_cache"/kernel/boot/vmlinuz-* 2>/dev/null); do
		_root=${_k%/boot/vmlinuz-*}
		_ver=${_k##*/vmlinuz-}
		if [ -r "$_k" ] && [ -f "$_root/lib/modules/$_ver/modules.dep" ] &&
		    vk_sb_has_kvm_amd "$_root/lib/modules/$_ver"; then
			VK_SANDBOX_KERNEL=$_k
			VK_SANDBOX_MODDIR=$_root/lib/modules/$_ver
			return 0
		fi
	done
	vk_sb_download_kernel
}

# vk_sb_download_kernel: apt-get download the package linux-image-amd64
# depends on and unpack it under $vk_sb_cache/kernel (no root needed).
vk_sb_download_kernel() {
	vk_sb_why="no readable /boot/vmlinuz-* with kvm-amd.ko in /lib/modules (apt-get install linux-image-amd64)"
	[ "${VK_SANDBOX_DOWNLOAD:-yes}" != no ] || return 1
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || return 1
	_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$_pkg" ] || return 1
	mkdir -p "$vk_sb_cache/debs" || return 1
	echo "sandbox: downloading $_pkg into $vk_sb_cache/debs" >&2
	(cd "$vk_sb_cache/debs" && apt-get download "$_pkg") >&2 || {
		vk_sb_why="$vk_sb_why; apt-get download $_pkg failed"
		return 1
	}
	_deb=$(ls "$vk_sb_cache/debs/${_pkg}_"*.deb 2>/dev/null | head -n1)
	rm -rf "$vk_sb_cache/kernel.tmp"
	dpkg-deb -x "$_deb" "$vk_sb_cache/kernel.tmp" &&
		rm -rf "$vk_sb_cache/kernel" && mv "$vk_sb_cache/kernel.tmp" "$vk_sb_cache/kernel" || {
		vk_sb_why="$vk_sb_why; dpkg-deb -x $_deb failed"
		return 1
	}
	# The package ships no modules.dep; depmod writes it in the unpacked tree.
	_ver=$(ls "$vk_sb_cache/kernel/lib/modules" | head -n1)
	depmod -b "$vk_sb_cache/kernel" "$_ver" 2>/dev/null || /sbin/depmod -b "$vk_sb_cache/kernel" "$_ver" || {
		vk_sb_why="$vk_sb_why; depmod failed on $_deb"
		return 1
	}
	VK_SANDBOX_KERNEL=$vk_sb_cache/kernel/boot/vmlinuz-$_ver
	VK_SANDBOX_MODDIR=$vk_sb_cache/kernel/lib/modules/$_ver
	[ -r "$VK_SANDBOX_KERNEL" ]
}

# vk_sb_find_busybox: sets VK_SANDBOX_BUSYBOX to a statically linked busybox.
vk_sb_find_busybox() {
	for _b in "${VK_SANDBOX_BUSYBOX:-}" /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null)"; do
		[ -n "$_b" ] && [ -x "$_b" ] || continue
		# A dynamic busybox would need its libraries in the initramfs.
		if ! LC_ALL=C ldd "$_b" 2>&1 | grep -q "=>"; then
			VK_SANDBOX_BUSYBOX=$_b
			return 0
		fi
	done
	vk_sb_why="no statically linked busybox (apt-get install busybox-static)"
	return 1
}

# vk_sb_module_paths MODDIR NAME...: the modules NAME need, dependencies
# first, one path relative to MODDIR a line.  Names may use - or _;
# modules built into the kernel are left out.
vk_sb_module_paths() {
	_moddir=$1; shift
	awk -v want="$*" -v builtin="$_moddir/modules.builtin" '
	function key(p,  b) {
		b = p; sub(/.*\//, "", b); sub(/\.ko(\.[a-z]+)?$/, "", b); gsub(/-/, "_", b)
		return b
	}
	# modules.dep lists every dependency, the one to load first last.
	{
		p = $1; sub(/:$/, "", p); k = key(p); path[k] = p; deps[k] = ""
		for (i = NF; i >= 2; i--) deps[k] = deps[k] " " key($i)
	}
	function emit(k,  n, a, i) {
		if (k in done) return
		done[k] = 1
		if (!(k in path)) { if (!(k in inkernel)) missing = missing " " k; return }
		n = split(deps[k], a, " ")
		for (i = 1; i <= n; i++) emit(a[i])
		print path[k]
	}
	END {
		while ((getline line < builtin) > 0) inkernel[key(line)] = 1
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) { k = w[i]; gsub(/-/, "_", k); emit(k) }
		if (missing != "") { print "no module" missing > "/dev/stderr"; exit 1 }
	}' "$_moddir/modules.dep"
}

# vk_sb_copy_modules MODDIR DEST NAME...: copies the modules (decompressed,
# so busybox insmod loads them) into DEST and writes DEST/order, the load order.
vk_sb_copy_modules() {
	_moddir=$1; _dest=$2; shift 2
	mkdir -p "$_dest" || return 1
	: >"$_dest/order"
	_paths=$(vk_sb_module_paths "$_moddir" "$@") || {
		vk_sb_why="$_moddir lacks a module the sandbox needs"
		return 1
	}
	for _p in $_paths; do
		_n=${_p##*/}; _n=${_n%%.ko*}
		case $_p in
		*.ko.xz) xz -dc "$_moddir/$_p" >"$_dest/$_n.ko" ;;
		*.ko.zst) zstd -qdc "$_moddir/$_p" >"$_dest/$_n.ko" ;;
		*.ko.gz) gzip -dc "$_moddir/$_p" >"$_dest/$_n.ko" ;;
		*) cp "$_moddir/$_p" "$_dest/$_n.ko" ;;
		esac || { vk_sb_why="cannot copy $_moddir/$_p"; return 1; }
		echo "$_n" >>"$_dest/order"
	done
}

# vk_sb_cpio DIR OUT: an uncompressed newc archive of DIR, written to OUT
# atomically.  Uncompressed: gunzip under TCG costs more than the copy.
vk_sb_cpio() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$2.tmp.$$" &&
		mv "$2.tmp.$$" "$2" || {
		rm -f "$2.tmp.$$"
		vk_sb_why="cannot write $2"
		return 1
	}
}

# Debian's installer (debian-installer-12-netboot-amd64): its kernel and initrd.
VK_SB_DI_DIR=/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64

# vk_sb_di_modules NAME...: sets VK_SANDBOX_DI_MODULES to a gzip'd cpio
# archive to append to the installer's initrd.gz: the modules NAME (with
# their dependencies) for the installer's own kernel, from the
# linux-image package of its ABI (apt-get download, unless
# VK_SANDBOX_DOWNLOAD=no), and modules.dep/alias regenerated over the
# initrd's modules and these.  The netboot initrd fetches disk and CD
# drivers from a mirror later; the installer CD's initrd has them (as
# udebs) from the start, and so has this one.  Cached in $vk_sb_cache.
vk_sb_di_modules() {
	vk_sb_why="Debian's installer is not installed (apt-get install debian-installer-12-netboot-amd64)"
	[ -r "$VK_SB_DI_DIR/initrd.gz" ] && [ -r "$VK_SB_DI_DIR/linux" ] || return 1
	_ver=$(gzip -dc "$VK_SB_DI_DIR/initrd.gz" | cpio -t --quiet 2>/dev/null |
		sed -n 's|^lib/modules/\([^/]*\)/.*|\1|p' | head -n 1)
	vk_sb_why="no kernel modules in $VK_SB_DI_DIR/initrd.gz"
	[ -n "$_ver" ] || return 1
	VK_SANDBOX_DI_MODULES=$vk_sb_cache/di-modules-$_ver-$(echo "$*" | cksum | cut -d' ' -f1).cpio.gz
	[ -s "$VK_SANDBOX_DI_MODULES" ] && return 0
	vk_sb_why="the installer's kernel's modules (linux-image-$_ver) are not in the cache and VK_SANDBOX_DOWNLOAD=no"
	[ "${VK_SANDBOX_DOWNLOAD:-yes}" != no ] || return 1
	mkdir -p "$vk_sb_cache" || return 1
	_work=$(mktemp -d "${TMPDIR:-/tmp}/vkit-di.XXXXXX") || return 1
	mkdir -p "$_work/deb" "$_work/pkg" "$_work/initrd" "$_work/add" || return 1
	echo "sandbox: downloading linux-image-$_ver for the installer's modules" >&2
	if ! (cd "$_work/deb" && apt-get download "linux-image-$_ver") >&2 ||
	    ! dpkg-deb -x "$_work"/deb/*.deb "$_work/pkg" ||
	    ! { depmod -b "$_work/pkg" "$_ver" 2>/dev/null || /sbin/depmod -b "$_work/pkg" "$_ver"; }; then
		vk_sb_why="cannot download or unpack linux-image-$_ver (the installer's kernel)"
		rm -rf "$_work"
		return 1
	fi
	_paths=$(vk_sb_module_paths "$_work/pkg/lib/modules/$_ver" "$@") &&
		(cd "$_work/initrd" && gzip -dc "$VK_SB_DI_DIR/initrd.gz" | cpio -id --quiet "lib/modules/*") || {
		vk_sb_why="linux-image-$_ver lacks one of $*, or the installer's initrd is unreadable"
		rm -rf "$_work"
		return 1
	}
	_rc=0
	for _p in $_paths; do
		mkdir -p "$_work/initrd/lib/modules/$_ver/${_p%/*}" "$_work/add/lib/modules/$_ver/${_p%/*}" &&
			cp "$_work/pkg/lib/modules/$_ver/$_p" "$_work/initrd/lib/modules/$_ver/$_p" &&
			cp "$_work/pkg/lib/modules/$_ver/$_p" "$_work/add/lib/modules/$_ver/$_p" || _rc=1
	done
	# The later archive's files replace the earlier's as the kernel unpacks.
	[ $_rc = 0 ] && { depmod -b "$_work/initrd" "$_ver" 2>/dev/null || /sbin/depmod -b "$_work/initrd" "$_ver"; } &&
		cp "$_work/initrd/lib/modules/$_ver"/modules.* "$_work/add/lib/modules/$_ver/" &&
		(cd "$_work/add" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 >"$_work/add.cpio.gz" &&
		mv "$_work/add.cpio.gz" "$VK_SANDBOX_DI_MODULES"
	_rc=$?
	rm -rf "$_work"
	vk_sb_why="cannot build $VK_SANDBOX_DI_MODULES"
	return $_rc
}

# vk_sb_root_initrd OUT: the initramfs of a system installed on a disk (an
# ext4 root= on virtio-blk): mkinitramfs-l2.sh's busybox and modules with
# ext4, and tests/sandbox/root-init as /init, which mounts root= and
# switches to the disk's /sbin/init.
vk_sb_root_initrd() {
	_rd=$(mktemp -d "${TMPDIR:-/tmp}/vkit-rootrd.XXXXXX") || return 1
	mkdir -p "$_rd/tree" && cp "$vk_sb_srcdir/root-init" "$_rd/tree/init" && chmod 755 "$_rd/tree/init" &&
		"$vk_sb_srcdir/mkinitramfs-l2.sh" "$_rd/base.cpio" /dev/null crc32c_generic ext4 &&
		vk_sb_cpio "$_rd/tree" "$_rd/init.cpio" && cat "$_rd/base.cpio" "$_rd/init.cpio" >"$1"
	_rc=$?
	rm -rf "$_rd"
	vk_sb_why="cannot build the initramfs $1"
	return $_rc
}
