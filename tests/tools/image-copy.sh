#!/bin/sh
# image-copy.sh - vk_image_copy: holes kept, formats converted, failures leave nothing behind.
. "$top_srcdir/tests/lib/tap.sh"

command -v qemu-img >/dev/null 2>&1 || skip_all "qemu-img is not installed (apt-get install qemu-utils)"
tap_setup_tmp
T="$top_builddir/tests/tools/vk-image-tool"
cd "$TMP" || exit 99
SIZE=$((64 << 20))

truncate -s $SIZE src.raw
dd if=/dev/urandom of=src.raw bs=1M count=2 seek=10 conv=notrunc status=none
dd if=/dev/urandom of=src.raw bs=4k count=3 seek=9000 conv=notrunc status=none
used() { du -k "$1" | cut -f1; }

check "raw -> raw" "$T" copy raw src.raw raw a.raw noreflink
check "raw -> raw: same bytes" cmp -s src.raw a.raw
[ "$(used a.raw)" -lt 4096 ]
ok $? "raw -> raw: holes preserved ($(used a.raw) KiB used)"

check "raw -> qcow2" "$T" copy raw src.raw qcow2 b.qcow2
check "raw -> qcow2: qemu-img compare" qemu-img compare -q -f raw -F qcow2 src.raw b.qcow2
check "raw -> qcow2: qemu-img check" qemu-img check -q b.qcow2
[ "$(used b.qcow2)" -lt 4096 ]
ok $? "raw -> qcow2: only data allocated ($(used b.qcow2) KiB used)"

check "qcow2 -> raw" "$T" copy qcow2 b.qcow2 raw c.raw
check "qcow2 -> raw: same bytes" cmp -s src.raw c.raw

qemu-img convert -q -c -f raw -O qcow2 src.raw comp.qcow2
check "compressed qcow2 -> qcow2" "$T" copy qcow2 comp.qcow2 qcow2 d.qcow2 noreflink
check "compressed qcow2 -> qcow2: compare" qemu-img compare -q -f raw -F qcow2 src.raw d.qcow2

qemu-img create -q -f qcow2 -b src.raw -F raw top.qcow2
qemu-io -f qcow2 -c "write -P 0x5a 0 1M" top.qcow2 >/dev/null 2>&1
qemu-img convert -q -f qcow2 -O raw top.qcow2 top.raw
check "qcow2 with backing -> qcow2 (flattened)" "$T" copy qcow2 top.qcow2 qcow2 flat.qcow2
check "flattened copy has the chain's data" qemu-img compare -q -f raw -F qcow2 top.raw flat.qcow2
qemu-img info flat.qcow2 >flat.info
! grep -q "backing file" flat.info
ok $? "flattened copy has no backing file"

check "non-sparse copy" "$T" copy raw src.raw raw full.raw nonsparse
check "non-sparse copy: same bytes" cmp -s src.raw full.raw
[ "$(used full.raw)" -ge $((SIZE / 1024)) ]
ok $? "non-sparse copy: every byte allocated"

if "$T" copy raw src.raw raw r.raw reflink 2>rl.err; then
	check "reflink copy: same bytes" cmp -s src.raw r.raw
else
	grep -q "reflink" rl.err
	ok $? "reflink unsupported here: clear error ($(cat rl.err))"
	[ ! -e r.raw ] && [ -z "$(ls r.raw.tmp.* 2>/dev/null)" ]
	ok $? "failed reflink leaves nothing behind"
fi
check "default copy (reflink or fallback)" "$T" copy qcow2 b.qcow2 qcow2 e.qcow2
check "default copy: compare" qemu-img compare -q -f raw -F qcow2 src.raw e.qcow2

expect_fail "target exists" "already exists" "$T" copy raw src.raw raw a.raw
expect_fail "cancelled copy fails" "cancelled" "$T" copy raw src.raw qcow2 x.qcow2 cancel
[ ! -e x.qcow2 ] && [ -z "$(ls x.qcow2.tmp.* 2>/dev/null)" ]
ok $? "cancelled copy leaves nothing behind"
expect_fail "free-space check names both figures" "bytes needed" "$T" space . 18446744073709551615
check "free-space check passes for a small need" "$T" space . 4096

# Compressed clusters expand in the copy: the space asked for is what
# they inflate to, not the few bytes the source file holds.
head -c $((16 << 20)) /dev/zero | tr '\0' 'v' >pattern.raw
qemu-img convert -q -c -f raw -O qcow2 pattern.raw pattern.qcow2
need=$("$T" need qcow2 pattern.qcow2)
file=$(du -B1 pattern.qcow2 | cut -f1)
check "compressed source: a copy asks for the inflated size ($need for a $file-byte file)" \
	test "$need" -ge $((16 << 20))
need=$("$T" need raw pattern.raw)
check "raw source: a copy asks for its allocated bytes ($need)" test "$need" -eq "$(du -B1 pattern.raw | cut -f1)"
expect_fail "missing source" "No such file" "$T" copy raw nosuch.raw raw y.raw

done_testing
