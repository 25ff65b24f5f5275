#!/bin/sh
# vdf.sh - vdf against virt-df's recorded and live output on images built with mkfs/sfdisk.
. "$top_srcdir/tests/lib/tap.sh"
tap_setup_tmp

for t in mke2fs mkfs.xfs mkfs.vfat mkfs.btrfs mkswap mcopy sfdisk debugfs qemu-img xorriso; do
	command -v "$t" >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
	command -v "$t" >/dev/null 2>&1 ||
		skip_all "$t is not installed (see scripts/deps/reference-tools.txt)"
done
expected="$top_srcdir/tests/expected/vdf"
img="$TMP/img"
check "test images are built" sh "$top_srcdir/tests/tools/vdf-mkimages.sh" "$img"
. "$top_srcdir/tests/tools/vdf-disks.sh"
cd "$img" || exit 99

# 1. The fast path alone (no appliance) gives virt-df's recorded output.
for variant in plain h i csv; do
	case $variant in
	plain) opt= ;;
	h) opt=-h ;;
	i) opt=-i ;;
	csv) opt=--csv ;;
	esac
	# shellcheck disable=SC2086
	"$VDF" --engine=fast $opt $VDF_TEST_DISKS > "$TMP/out.$variant" 2> "$TMP/err.$variant"
	ok $? "vdf $opt exits 0"
	diff_ok "vdf $opt equals virt-df's output" "$expected/all.$variant" "$TMP/out.$variant"
done

# shellcheck disable=SC2086
"$VDF" --engine=fast $VDF_MORE_DISKS > "$TMP/out.more" 2>&1
diff_ok "geometry variations equal virt-df's output" "$expected/more.plain" "$TMP/out.more"

# 2. The default engine needs no appliance for these images.
# shellcheck disable=SC2086
LIBGUESTFS_BACKEND=none-such "$VDF" $VDF_TEST_DISKS > "$TMP/out.auto" 2>&1
diff_ok "default engine reads everything directly" "$expected/all.plain" "$TMP/out.auto"

# 3. One disk; names and the wrapped name column.
"$VDF" --engine=fast -a mbr.img > "$TMP/out.one"
grep -q '^mbr.img:/dev/sda5 ' "$TMP/out.one"; ok $? "single -a: name is the image's base name"
ln -s "$img/ext4-4k.img" "$TMP/a-disk-image-with-a-really-long-file-name.img"
"$VDF" --engine=fast -a "$TMP/a-disk-image-with-a-really-long-file-name.img" > "$TMP/out.long"
sed -n 2p "$TMP/out.long" | grep -qx 'a-disk-image-with-a-really-long-file-name.img:/dev/sda'
ok $? "a long name:device goes on a line of its own"
sed -n 3p "$TMP/out.long" | grep -q '^ \{36\} *57300 '; ok $? "figures follow on the next line, indented"

"$VDF" --engine=fast mbr.img ./fat32.img > "$TMP/out.old"
"$VDF" --engine=fast -a mbr.img -a ./fat32.img > "$TMP/out.new"
diff_ok "virt-df's old syntax: file arguments are disks" "$TMP/out.new" "$TMP/out.old"

# 3b. Virtual machines: -d NAME, and every VM when no disk is named.
DEFINE="$top_builddir/tests/tools/vdf-define-vm"
U1=6b1d0e3a-5d36-4c3f-9f2b-000000000001
U2=6b1d0e3a-5d36-4c3f-9f2b-000000000002
check "define web01" "$DEFINE" web01 $U1 "raw:$img/mbr.img" "qcow2:$img/chain-top.qcow2"
check "define db01" "$DEFINE" db01 $U2 "raw:$img/fat32.img"
"$VDF" --engine=fast --csv -a mbr.img --format=qcow2 -a chain-top.qcow2 |
	sed 's/^mbr\.img+,/web01,/' > "$TMP/web01.want"
"$VDF" --engine=fast --csv -d web01 > "$TMP/web01.got"
diff_ok "-d web01 reads the VM's disks, with their formats" "$TMP/web01.want" "$TMP/web01.got"
{
	"$VDF" --engine=fast --csv -a fat32.img | sed 's/^fat32\.img,/db01,/'
	sed 1d "$TMP/web01.want"
} > "$TMP/all.want"
"$VDF" --engine=fast --csv > "$TMP/all.got"
diff_ok "no argument: every VM, by name" "$TMP/all.want" "$TMP/all.got"
sed "s/^db01,/$U2,/; s/^web01,/$U1,/" "$TMP/all.want" > "$TMP/uuid.want"
"$VDF" --engine=fast --csv --uuid > "$TMP/uuid.got"
diff_ok "--uuid names VMs by UUID" "$TMP/uuid.want" "$TMP/uuid.got"
expect_fail "-d with an unknown VM" "not found" "$VDF" -d nosuch

# 4. Usage errors, with virt-df's wording where it has one.
"$VDF" --engine=fast -a no-such.img > "$TMP/out.missing" 2>/dev/null
[ ! -s "$TMP/out.missing" ]; ok $? "an unreadable guest gets no title line"
expect_fail "-h with --csv is refused" "cannot use -h and --csv" "$VDF" -h --csv -a mbr.img
expect_fail "a missing image is named" "no-such.img" "$VDF" --engine=fast -a no-such.img
expect_fail "bad --engine" "not auto, fast or guestfs" "$VDF" --engine=turbo -a mbr.img
expect_fail "bad --format" "qcow3" "$VDF" --format=qcow3 -a mbr.img

# 5. Hostile and foreign images never crash the fast path; it says why.
head -c $((70 * 1024 * 1024)) mbr.img > "$TMP/truncated.img"
expect_fail "a filesystem larger than its partition is refused" "exceeds the size" \
	"$VDF" --engine=fast -a "$TMP/truncated.img"
truncate -s 8M "$TMP/lvm.img"
printf 'LABELONE' | dd of="$TMP/lvm.img" bs=1 seek=512 conv=notrunc status=none
printf 'LVM2 001' | dd of="$TMP/lvm.img" bs=1 seek=536 conv=notrunc status=none
expect_fail "LVM is left to libguestfs" "LVM2_member is read through libguestfs" \
	"$VDF" --engine=fast -a "$TMP/lvm.img"
head -c 1048576 /dev/urandom > "$TMP/random.img"
"$VDF" --engine=fast -a "$TMP/random.img" > "$TMP/out.random" 2>&1
[ $? -le 1 ] && ! grep -q -i sanitizer "$TMP/out.random"; ok $? "random bytes: no crash"

# 5b. A "raw" guest disk whose first sector is a qcow2 header naming a host
# file as its backing file: guessing must not follow it.
qemu-img create -q -f qcow2 -b "$img/ext4-4k.img" -F raw "$TMP/evil.img" 64M
"$VDF" --engine=fast -a "$TMP/evil.img" > "$TMP/out.evil" 2> "$TMP/err.evil"
[ $? -ne 0 ] && [ ! -s "$TMP/out.evil" ]
ok $? "guessed qcow2 with a backing file: refused, nothing printed"
grep -q "state --format=qcow2" "$TMP/err.evil"; ok $? "the refusal says how to trust the image"
LIBGUESTFS_BACKEND=none-such "$VDF" -a "$TMP/evil.img" > "$TMP/out.evil2" 2> "$TMP/err.evil2"
[ $? -ne 0 ] && [ ! -s "$TMP/out.evil2" ] && grep -q "state --format=qcow2" "$TMP/err.evil2"
ok $? "the default engine refuses it too, before libguestfs"
"$VDF" --engine=fast --format=qcow2 -a "$TMP/evil.img" > "$TMP/out.trusted" 2>&1
grep -q '^evil.img:/dev/sda ' "$TMP/out.trusted"; ok $? "--format=qcow2 follows the backing file"
"$VDF" --engine=fast -a chain-base.qcow2 > "$TMP/out.nobacking" 2>&1
ok $? "a guessed qcow2 without a backing file is still read"

# 6. Live: one virt-df run must still agree with the recording, and vdf's
# own libguestfs path must agree too (about 40 s each under TCG).
if [ "${VK_VDF_LIVE:-yes}" = no ]; then
	skip "live virt-df comparison (VK_VDF_LIVE=no)"
	skip "vdf --engine=guestfs (VK_VDF_LIVE=no)"
elif ! command -v virt-df >/dev/null 2>&1; then
	skip "virt-df is not installed (apt-get install libguestfs-tools)"
	skip "vdf --engine=guestfs: no libguestfs appliance without libguestfs-tools"
else
	export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	# shellcheck disable=SC2086
	timeout 600 virt-df $VDF_TEST_DISKS > "$TMP/virt-df.live" 2> "$TMP/virt-df.err"
	diff_ok "virt-df live equals the recorded output" "$expected/all.plain" "$TMP/virt-df.live"
	# shellcheck disable=SC2086
	timeout 600 "$VDF" --engine=guestfs --csv $VDF_TEST_DISKS > "$TMP/guestfs.csv" 2>&1
	diff_ok "vdf --engine=guestfs equals virt-df" "$expected/all.csv" "$TMP/guestfs.csv"
fi
done_testing
