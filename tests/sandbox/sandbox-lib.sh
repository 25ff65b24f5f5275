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
