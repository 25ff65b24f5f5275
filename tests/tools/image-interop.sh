#!/bin/sh
# image-interop.sh - our qcow2/raw code against qemu-img: what we write passes its check, what it writes we read.
. "$top_srcdir/tests/lib/tap.sh"

command -v qemu-img >/dev/null 2>&1 || skip_all "qemu-img is not installed (apt-get install qemu-utils)"
tap_setup_tmp
T="$top_builddir/tests/tools/vk-image-tool"
SIZE=$((24 << 20))
cd "$TMP" || exit 99

# Reference content: random data with holes, written by qemu-io-free means.
head -c $SIZE /dev/zero >ref.raw
i=0
while [ $i -lt 24 ]; do
	dd if=/dev/urandom of=ref.raw bs=64k count=3 seek=$((i * 13 % 380)) conv=notrunc status=none
	i=$((i + 1))
done
dd if=/dev/urandom of=ref.raw bs=1 count=777 seek=$((SIZE - 777)) conv=notrunc status=none

same() { # same "description" FMT IMAGE EXPECTED_RAW
	rm -f out.raw
	if "$T" dump "$2" "$3" out.raw 2>err.out && cmp -s out.raw "$4"; then ok 0 "$1"; else
		ok 1 "$1"; sed 's/^/# /' err.out; fi
}

qcheck() { # qcheck "description" IMAGE: qemu-img check finds nothing
	# Ordinary writes and a clean close leave no leaks either: exit 3 is
	# for crashes (image-crash.sh), not here.
	qemu-img check "$2" >chk.out 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then ok 0 "$1"; else
		ok 1 "$1 (qemu-img check exit $rc)"; sed 's/^/# /' chk.out; fi
}

# --- images qemu-img writes, read back byte-identical to convert -O raw ---
cs=512
while [ $cs -le 2097152 ]; do	# every cluster size qcow2 allows
	qemu-img convert -q -f raw -O qcow2 -o cluster_size=$cs ref.raw q-$cs.qcow2
	same "qemu-written qcow2, cluster size $cs" qcow2 q-$cs.qcow2 ref.raw
	cs=$((cs * 2))
done
qemu-img convert -q -c -f raw -O qcow2 ref.raw comp.qcow2
same "compressed clusters (convert -c)" qcow2 comp.qcow2 ref.raw
qemu-img convert -q -c -f raw -O qcow2 -o cluster_size=4096 ref.raw comp4k.qcow2
same "compressed clusters, 4 KiB clusters" qcow2 comp4k.qcow2 ref.raw
# The compressed size field is cluster_bits - 8 bits wide: 1 at 512 B, 13 at 2 MiB.
for cs in 512 32768 2097152; do
	qemu-img convert -q -c -f raw -O qcow2 -o cluster_size=$cs ref.raw comp-$cs.qcow2
	same "compressed clusters, cluster size $cs" qcow2 comp-$cs.qcow2 ref.raw
done
qemu-img convert -q -f raw -O qcow2 -o preallocation=metadata ref.raw pre.qcow2
same "preallocation=metadata" qcow2 pre.qcow2 ref.raw
qemu-img convert -q -f raw -O qcow2 -o lazy_refcounts=on ref.raw lazy.qcow2
same "lazy_refcounts=on" qcow2 lazy.qcow2 ref.raw
for rb in 1 2 4 8 16 32 64; do
	qemu-img convert -q -f raw -O qcow2 -o refcount_bits=$rb ref.raw rb$rb.qcow2
	same "refcount_bits=$rb" qcow2 rb$rb.qcow2 ref.raw
done
qemu-img convert -q -f raw -O qcow2 -o compat=0.10 ref.raw v2.qcow2
same "compat=0.10 (version 2)" qcow2 v2.qcow2 ref.raw

# A chain of three written by qemu-io-free means: base, mid, top each own a part.
qemu-img create -q -f qcow2 base.qcow2 $SIZE
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
dd if=ref.raw of=part.raw bs=1M count=8 status=none
qemu-img dd -f raw -O qcow2 if=part.raw of=base.qcow2 bs=1M count=8 2>/dev/null ||
	qemu-io -f qcow2 -c "write -P 1 0 1M" base.qcow2 >/dev/null 2>&1
qemu-io -f qcow2 -c "write -P 0x11 0 2M" base.qcow2 >/dev/null 2>&1
qemu-io -f qcow2 -c "write -P 0x22 1M 2M" mid.qcow2 >/dev/null 2>&1
qemu-io -f qcow2 -c "write -P 0x33 1536k 1M" top.qcow2 >/dev/null 2>&1
qemu-io -f qcow2 -c "write -z 2560k 64k" top.qcow2 >/dev/null 2>&1
qemu-img convert -q -f qcow2 -O raw top.qcow2 chain.raw
same "backing chain of 3 (qcow2 <- qcow2 <- qcow2)" qcow2 top.qcow2 chain.raw
"$T" info qcow2 top.qcow2 >info.out 2>&1
ok $? "info walks the chain"
check "info names all three images" grep -c "^image: .*base.qcow2" info.out

# Raw backing file, recorded format.
cp ref.raw rawbase.img
qemu-img create -q -f qcow2 -b rawbase.img -F raw over.qcow2
qemu-io -f qcow2 -c "write -P 0x44 100k 300k" over.qcow2 >/dev/null 2>&1
qemu-img convert -q -f qcow2 -O raw over.qcow2 over.raw
same "raw backing file with recorded format" qcow2 over.qcow2 over.raw

# --- images we write, checked and compared by qemu-img ---
for cs in 512 65536 2097152; do
	for pre in off metadata; do
		cp /dev/null m.raw && truncate -s $SIZE m.raw
		"$T" create qcow2 w-$cs-$pre.qcow2 $SIZE $cs $pre &&
			"$T" random qcow2 w-$cs-$pre.qcow2 $cs 120 m.raw
		ok $? "random writes and discards, cluster $cs, prealloc $pre"
		qcheck "qemu-img check: cluster $cs, prealloc $pre" w-$cs-$pre.qcow2
		check "qemu-img compare: cluster $cs, prealloc $pre" \
			qemu-img compare -q -f raw -F qcow2 m.raw w-$cs-$pre.qcow2
	done
done

# Allocated size: what qemu-img info calls actual-size, for each kind of file.
for img in qcow2:q-65536.qcow2 qcow2:comp.qcow2 qcow2:pre.qcow2 qcow2:top.qcow2 qcow2:w-512-off.qcow2 raw:ref.raw; do
	[ -e "${img#*:}" ] || continue
	want=$(qemu-img info -f "${img%%:*}" --output=json "${img#*:}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["actual-size"])')
	got=$("$T" info "${img%%:*}" "${img#*:}" | sed -n '1,/^allocated size: /s/^allocated size: //p')
	check "allocated size of ${img#*:} is qemu-img's actual-size ($want)" test "$got" = "$want"
done

# More L2 tables than the cache holds (4 MiB of tables: 8192 of 512 bytes,
# 1024 of 4 KiB) and no flush until close, so dirty tables, new ones
# among them, are evicted and written between writebacks.
for spec in "512 $((1 << 30)) 12000 1024" "4096 $((8 << 30)) 3000 8192"; do
	set -- $spec
	rm -f ev.qcow2 m.raw
	truncate -s $2 m.raw
	"$T" create qcow2 ev.qcow2 $2 $1 && "$T" random qcow2 ev.qcow2 $1 $3 m.raw $4 0
	ok $? "$3 scattered writes without flushes, cluster $1 (L2 cache overflows)"
	qcheck "qemu-img check after L2 cache evictions, cluster $1" ev.qcow2
	check "qemu-img compare after L2 cache evictions, cluster $1" \
		qemu-img compare -q -f raw -F qcow2 m.raw ev.qcow2
done
rm -f ev.qcow2 m.raw

# Writes into qemu's images: compressed clusters get rewritten, v2 stays v2.
for img in comp.qcow2 v2.qcow2 lazy.qcow2 rb1.qcow2 rb64.qcow2 pre.qcow2; do
	cp ref.raw m.raw
	"$T" random qcow2 $img 7 80 m.raw
	ok $? "random writes into qemu-made $img"
	qcheck "qemu-img check after writing $img" $img
	check "qemu-img compare after writing $img" qemu-img compare -q -f raw -F qcow2 m.raw $img
done

# Overlay (linked clone) onto a raw base; the base stays untouched.
cp ref.raw base2.raw
cp ref.raw m.raw
"$T" overlay ov.qcow2 base2.raw raw && "$T" random qcow2 ov.qcow2 3 100 m.raw
ok $? "overlay on a raw base takes writes and discards"
qcheck "qemu-img check of the overlay" ov.qcow2
check "overlay reads as the writes over the base" qemu-img compare -q -f raw -F qcow2 m.raw ov.qcow2
check "the base is untouched" cmp -s ref.raw base2.raw
qemu-img info ov.qcow2 >ovinfo.out 2>&1
check "qemu-img sees the backing format" grep -q "backing file format: raw" ovinfo.out

# Overlay over a qcow2 chain made by qemu.
cp chain.raw m.raw
"$T" overlay ov2.qcow2 top.qcow2 qcow2 && "$T" random qcow2 ov2.qcow2 5 60 m.raw
ok $? "overlay on a 3-deep qemu chain"
qcheck "qemu-img check of the overlay on the chain" ov2.qcow2
check "overlay on the chain compares equal" qemu-img compare -q -f raw -F qcow2 m.raw ov2.qcow2

# A version 2 overlay: discards over a backing file become written zeros.
qemu-img create -q -f qcow2 -o compat=0.10 -b comp4k.qcow2 -F qcow2 ov3.qcow2
cp ref.raw m.raw
"$T" random qcow2 ov3.qcow2 11 80 m.raw
ok $? "version 2 overlay over compressed clusters takes writes and discards"
qcheck "qemu-img check of the version 2 overlay" ov3.qcow2
check "version 2 overlay compares equal" qemu-img compare -q -f raw -F qcow2 m.raw ov3.qcow2

# Internal snapshots: the active layer reads, writing is refused.
qemu-img convert -q -f raw -O qcow2 ref.raw snap.qcow2
qemu-img snapshot -c before snap.qcow2
qemu-io -f qcow2 -c "write -P 0x66 0 256k" snap.qcow2 >/dev/null 2>&1
qemu-img convert -q -f qcow2 -O raw snap.qcow2 snap.raw
same "image with an internal snapshot reads its active layer" qcow2 snap.qcow2 snap.raw
expect_fail "writing an image with internal snapshots is refused" "snapshots" "$T" open qcow2 snap.qcow2 rw

# Raw images: create, write, discard.
"$T" create raw r.raw $SIZE && cp /dev/null m.raw && truncate -s $SIZE m.raw &&
	"$T" random raw r.raw 9 100 m.raw
ok $? "raw: random writes and discards"
check "raw: contents as written" cmp -s m.raw r.raw

# Refusals.
expect_fail "refuse to create over an existing file" "already exists" "$T" create raw r.raw 1024
# iter-time=10: the image's key strength does not matter here, and the
# default 2 s of key stretching is slow.  One clean CI run skipped this
# case without saying why; qemu-img's reason is printed now.
if qemu-img create -q -f qcow2 -o encrypt.format=luks,encrypt.key-secret=s,encrypt.iter-time=10 \
	--object secret,id=s,data=x enc.qcow2 1M 2>luks.err; then
	expect_fail "encrypted image is refused" "encrypt" "$T" open qcow2 enc.qcow2
else
	sed 's/^/# qemu-img: /' luks.err
	skip "this qemu-img cannot create LUKS-encrypted qcow2"
fi
qemu-img create -q -f qcow2 -o data_file=ext.raw ext.qcow2 1M
expect_fail "external data file is refused" "external data file" "$T" open qcow2 ext.qcow2
qemu-img create -q -f qcow2 -o extended_l2=on xl2.qcow2 1M
expect_fail "extended L2 is refused" "extended L2" "$T" open qcow2 xl2.qcow2
if qemu-img create -q -f qcow2 -o compression_type=zstd zstd.qcow2 1M 2>/dev/null; then
	expect_fail "zstd compression is refused" "zstd" "$T" open qcow2 zstd.qcow2
else
	skip "this qemu-img has no zstd"
fi
# A backing file with no recorded format that looks like qcow2: no guessing.
qemu-img create -q -f qcow2 -b q-65536.qcow2 -F qcow2 nofmt.qcow2
# Rename the backing format extension to an unknown type: no format recorded.
python3 -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read(65536))
i = d.find(bytes.fromhex("e2792aca"))
d[i:i + 4] = bytes.fromhex("7f000001")
f = open(sys.argv[1], "r+b"); f.write(d)' nofmt.qcow2
expect_fail "unrecorded backing format that looks like qcow2 is refused" "no recorded format" "$T" open qcow2 nofmt.qcow2
expect_fail "raw file is not a qcow2 image" "not a qcow2 image" "$T" open qcow2 ref.raw

done_testing
