#!/bin/sh
# vinstall-options.sh - every vinstall option in --dry-run, against expected output files.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

command -v xorriso >/dev/null || skip_all "xorriso is needed to build ISO fixtures"
vi_setup
cd "$TMP" || exit 99

D="$TMP/data"
mkiso "$D/iso/CentOS-6.10-x86_64-minimal.iso" "CentOS 6.10 x86_64" isolinux/vmlinuz isolinux/initrd.img images/install.img
mkiso "$D/debian.iso" "Debian 12.5.0 amd64 n" install.amd/vmlinuz install.amd/initrd.gz
truncate -s 10M "$D/existing.img"
qemu-img create -q -f qcow2 "$D/existing.qcow2" 1G 2>/dev/null || printf 'QFI\373' >"$D/existing.qcow2"
echo kernel >"$D/vmlinuz"
echo initrd >"$D/initrd.img"
echo ks >"$D/ks.cfg"
ISO="$D/iso/CentOS-6.10-x86_64-minimal.iso"

# The two command lines of the issue, with /data moved under $TMP.
expect_output elk01 "$VINSTALL" --name=elk01 --memory=2048,maxmemory=3072 --vcpus=2,maxvcpus=2 \
	--os-type=linux --os-variant=rhel6 --location="$ISO" --disk path="$D/elk01.img",size=30 \
	--bridge=br0 --graphics=none --console=pty,target_type=serial \
	--extra-args="console=tty0 console=ttyS0" --dry-run
expect_output windows_vm04 "$VINSTALL" -n windows_vm04 -r 8196 --vcpus=4 --os-type=windows --accelerate \
	-c "$D/virtio-win.iso" --disk path="$D/cn_windows_server_2008_r2.iso",device=cdrom \
	--disk path="$D/vm04.img",format=qcow2,bus=virtio --network bridge=br0 --vnc --vncport=5904 \
	--vnclisten=0.0.0.0 --force --autostart --dry-run
test ! -e "$D/elk01.img" && test ! -e "$VKIT_DIR/vms/elk01.json"
ok $? "a dry run creates nothing"
# Not even the state directory's skeleton: only a real run makes it.
VKIT_DIR="$TMP/fresh" "$VINSTALL" --name t9 --os-variant debian12 --location "$D/debian.iso" --disk size=1 \
	--console none --dry-run >"$TMP/fresh.out" 2>&1
test $? -eq 0 && grep -q "$TMP/fresh/images/t9.qcow2" "$TMP/fresh.out" && test ! -e "$TMP/fresh"
ok $? "a dry run creates no state directory (boot, cache, images, log, run, vms)"

# One option at a time, on a small base command line.
base() { "$VINSTALL" --name t1 --os-variant debian12 --location "$D/debian.iso" --dry-run "$@"; }
expect_output ram-short base -r 512
expect_output memory-suffix base --memory 2G,maxmemory=4G
expect_output vcpus-topology base --vcpus 2,maxvcpus=4,sockets=1,cores=2,threads=2
expect_output variant-defaults base
expect_output disk-qcow2 base --disk path="$D/t1.qcow2",size=1.5,format=qcow2,cache=none
expect_output disk-nonsparse base --disk "$D/t1.img",size=2,sparse=no
expect_output disk-existing base --disk path="$D/existing.qcow2",format=qcow2 --disk path="$D/existing.img",readonly=on
# Formats are stated, never guessed (docs/images.md): a qcow2 magic without
# format= is refused, a stated qcow2 must be one.
expect_output disk-unstated-qcow2 base --disk path="$D/existing.qcow2"
expect_output disk-format-mismatch base --disk path="$D/existing.img",format=qcow2
expect_output disk-cdrom base --disk path="$D/existing.img",device=cdrom
expect_output disk-backing base --disk path="$D/overlay.qcow2",backing_store="$D/existing.qcow2",backing_format=qcow2
expect_output disk-backing-unstated base --disk path="$D/overlay.qcow2",backing_store="$D/existing.qcow2"
expect_output disk-backing-raw base --disk path="$D/overlay.qcow2",backing_store="$D/existing.img"
expect_output disk-backing-format-alone base --disk path="$D/overlay.qcow2",backing_format=raw
expect_output disk-serial base --disk path="$D/existing.img",format=raw,serial=DATA-0001
expect_output disk-default-path base --disk size=3
expect_output disk-variant-size base --disk path="$D/new.img"
expect_output network-mac base -w bridge=br0,mac=52:54:00:AA:BB:CC,model=virtio
expect_output network-tap base --network tap=tap0,mac=52:54:00:00:00:01
expect_output network-none base --network none
expect_output console-file base --console file,path="$D/console.log"
expect_output console-none base --console none
expect_output extra-args base -x "priority=low auto=true"
expect_output initrd-inject base --initrd-inject "$D/ks.cfg"
expect_output flags base --autostart --noautoconsole --noreboot --wait 30 --accelerate --force --hvm
expect_output location-explicit "$VINSTALL" --name t1 --os-variant debian12 --dry-run \
	--location "$D/debian.iso,kernel=install.amd/vmlinuz,initrd=install.amd/initrd.gz"
expect_output boot-kernel "$VINSTALL" --name t2 --boot kernel="$D/vmlinuz",initrd="$D/initrd.img",kernel_args="console=ttyS0 root=/dev/vda1" \
	--disk size=1 --dry-run
expect_output import "$VINSTALL" --name t3 --import --disk "$D/existing.img" --boot kernel="$D/vmlinuz",kernel_args=root=/dev/vda --dry-run
# A disk whose first sector holds GRUB's boot code boots itself through the
# firmware; --boot orders the firmware's devices.
cp "$D/existing.img" "$D/grub.img"
if [ -r /usr/lib/grub/i386-pc/boot.img ]; then
	dd if=/usr/lib/grub/i386-pc/boot.img of="$D/grub.img" bs=440 count=1 conv=notrunc 2>/dev/null
else
	printf 'GRUB \353\000' | dd of="$D/grub.img" conv=notrunc 2>/dev/null
fi
printf '\125\252' | dd of="$D/grub.img" bs=1 seek=510 conv=notrunc 2>/dev/null
expect_output import-firmware "$VINSTALL" --name t8 --import --disk "$D/grub.img" --dry-run
expect_output import-boot-order "$VINSTALL" --name t9 --import --disk "$D/existing.img" --boot hd,network,menu=on \
	--network bridge=br0 --dry-run
"$VINSTALL" --name t10 --import --disk "$D/grub.img" --boot menu=on,cdrom,hd --print-config >"$TMP/t10.json" 2>&1 &&
	grep -q '"kind": "disk"' "$TMP/t10.json" && grep -q '"order": "cdrom,hd,menu=on"' "$TMP/t10.json"
ok $? "--print-config: a disk boot, with the boot order in virt-install's spelling"
expect_output osinfo-list "$VINSTALL" --osinfo list
expect_output os-variant-list "$VINSTALL" --os-variant=list

# --print-config prints our JSON definition and creates nothing.
expect_output print-config-elk01 "$VINSTALL" --name=elk01 --uuid 11111111-2222-4333-8444-555555555555 \
	--memory=2048,maxmemory=3072 --vcpus=2,maxvcpus=2 --os-type=linux --os-variant=rhel6 --location="$ISO" \
	--disk path="$D/elk01.img",size=30 --bridge=br0 --graphics=none --console=pty,target_type=serial \
	--extra-args="console=tty0 console=ttyS0" --print-config
if "$VINSTALL" --name pc1 --os-variant debian12 --location "$D/debian.iso" --disk size=1 \
	--print-config >"$TMP/pc.json" 2>"$TMP/pc.err" &&
   python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["name"]=="pc1", d' "$TMP/pc.json" 2>>"$TMP/pc.err"; then
	ok 0 "--print-config prints the definition as JSON"
else
	ok 1 "--print-config prints the definition as JSON"; sed 's/^/# /' "$TMP/pc.err"
fi
test ! -e "$VKIT_DIR/vms/pc1.json"
ok $? "--print-config defines nothing"

# Every bad value gets its own message.
"$VINSTALL" --location "$ISO" --os-variant debian12 --dry-run >"$TMP/noname.out" 2>&1
grep -q "^Using default --name debian12$" "$TMP/noname.out"
ok $? "no --name: one is made from the OS variant, as virt-install does"
expect_fail "bad name" "--name" "$VINSTALL" --name ../x --location "$ISO" --dry-run
expect_fail "bad --memory" "--memory" base --memory abc
expect_fail "maxmemory below memory" "maxmemory=1024 is below memory=2048" base --memory 2048,maxmemory=1024
expect_fail "--ram and --memory" "--ram and --memory both given" base --ram 512 --memory 512
expect_fail "unknown --memory key" "unknown option" base --memory 512,hugepages=on
expect_fail "zero --vcpus" "'0' is not a number of CPUs" base --vcpus 0
expect_fail "maxvcpus below vcpus" "maxvcpus=1 is below vcpus=2" base --vcpus 2,maxvcpus=1
expect_fail "bad topology" "Total CPUs implied by topology (sockets=1 * dies=1 * cores=3 * threads=1 == 3) does not match vCPU count 4" base --vcpus 2,maxvcpus=4,sockets=1,cores=3
expect_fail "unknown --os-variant" "unknown OS variant 'beos5'" base --os-variant beos5
expect_fail "unknown --os-type" "--os-type: unknown type 'beos'" base --os-type beos
expect_fail "os-type windows with a linux variant" "does not match" base --os-type windows
expect_fail "bad disk size" "--disk size" base --disk path="$D/x.img",size=lots
expect_fail "bad disk format" "vmdk" base --disk path="$D/x.img",size=1,format=vmdk
expect_fail "unknown disk key" "sise" base --disk path="$D/x.img",sise=3
expect_fail "bad disk device" "device=floppy" base --disk path="$D/x.img",device=floppy
expect_fail "bad disk bus" "bus" base --disk path="$D/x.img",size=1,bus=pcie
expect_fail "bad disk cache" "cache" base --disk path="$D/x.img",size=1,cache=sometimes
expect_fail "bad disk sparse" "sparse" base --disk path="$D/x.img",size=1,sparse=maybe
expect_fail "missing cdrom" "does not exist" base --disk path="$D/nothere.iso",device=cdrom
expect_fail "disk twice" "given twice" base --disk path="$D/x.img",size=1 --disk path="$D/x.img",size=1
expect_fail "disk is a directory" "is a directory" base --disk path="$D",size=1
expect_fail "disk dir not usable" "Not a directory" base --disk path="$D/vmlinuz/x.img",size=1
expect_fail "backing_store with raw" "needs format=qcow2" base --disk path="$D/o.img",format=raw,backing_store="$D/existing.img"
expect_fail "bad MAC" "mac" base --network bridge=br0,mac=zz:zz
expect_fail "multicast MAC" "mac" base --network bridge=br0,mac=01:00:5e:00:00:01
expect_fail "network without a place" "network=NAME (network=default: NAT), bridge=BR or tap=NAME" base --network mac=52:54:00:00:00:02
expect_fail "bridge and tap" "give one of network=, bridge= and tap=" base --network bridge=br0,tap=tap0
expect_fail "type=bridge without a bridge" "name the bridge" base --network type=bridge
expect_fail "an old form of another kind" "bridge:BR or network:NAME" base --network direct:eth0
expect_fail "a network name that is not one" "network name '../x'" base --network network=../x
expect_fail "network none and more" "cannot be combined" base --network none --network bridge=br0
expect_fail "missing bridge" "bridge br9: no such bridge" base --bridge br9
expect_fail "bad --graphics" "unknown type 'holo'" base --graphics holo
expect_fail "graphics none with vnc" "conflicts" base --graphics none --vnc
expect_fail "bad --vncport" "--vncport" base --vncport abc
expect_fail "bad --console" "--console: unknown type 'tcp'" base --console tcp
expect_fail "console file without path" "needs path=FILE" base --console file
expect_fail "bad --wait" "--wait" base --wait soon
expect_fail "bad --uuid" "--uuid" base --uuid 1234
expect_fail "no install method" "an install method is needed" "$VINSTALL" --name t4 --disk size=1 --dry-run
expect_fail "two install methods" "exclusive" base --import
expect_fail "--extra-args without --location" "--extra-args only works" "$VINSTALL" --name t5 --import --disk "$D/existing.img" -x quiet --dry-run
expect_fail "--import without a disk" "--import needs an existing disk" "$VINSTALL" --name t6 --import --boot kernel="$D/vmlinuz" --dry-run
expect_fail "--boot initrd without kernel" "need kernel=" "$VINSTALL" --name t7 --boot initrd="$D/initrd.img" --dry-run
expect_fail "--boot kernel missing" "--boot" "$VINSTALL" --name t7 --boot kernel="$D/nothere" --dry-run
expect_fail "--location missing" "--location" base --location "$D/nothere.iso"
expect_fail "--location empty" "--location" base --location ",kernel=x"
expect_fail "--location unknown scheme" "only http://, https:// and ftp://" base --location nfs://host/path
expect_fail "--location not an ISO" "not an ISO 9660 image" base --location "$D/vmlinuz"
expect_fail "unexpected argument" "unexpected argument" base stray
expect_fail "unknown option" "--frobnicate" base --frobnicate

# --cdrom: the CD's own boot loader, through the firmware (El Torito).
mkdir -p "$TMP/bootcd/boot"
head -c 2048 /dev/zero >"$TMP/bootcd/boot/boot.bin"
xorriso -as mkisofs -quiet -R -V "Demo Install CD" -b boot/boot.bin -no-emul-boot -boot-load-size 4 \
	-o "$D/bootable.iso" "$TMP/bootcd" >/dev/null 2>&1
expect_output cdrom-install "$VINSTALL" --name c1 --cdrom "$D/bootable.iso" --disk size=4 --dry-run
expect_output cdrom-drivers "$VINSTALL" --name c2 --disk path="$D/existing.img",device=cdrom \
	-c "$D/bootable.iso" --disk size=4 --boot hd,menu=on --print-config
expect_fail "--cdrom: an ISO without El Torito is refused" "no El Torito boot record, so it cannot boot from a CD-ROM; use --location" \
	"$VINSTALL" --name c1 --cdrom "$ISO" --disk size=1 --dry-run
expect_fail "--cdrom: not an ISO" "not an ISO 9660 image" "$VINSTALL" --name c1 --cdrom "$D/vmlinuz" --dry-run
expect_fail "--cdrom: missing" "--cdrom $D/nothere.iso: No such file" "$VINSTALL" --name c1 --cdrom "$D/nothere.iso" --dry-run
expect_fail "--cdrom: a URL is refused" "use --location URL" "$VINSTALL" --name c1 --cdrom http://example.org/x.iso --dry-run
expect_fail "--cdrom with --extra-args refused" "use --location" \
	"$VINSTALL" --name c1 --cdrom "$D/bootable.iso" --extra-args console=ttyS0 --dry-run
expect_fail "--cdrom with --boot kernel= refused" "give one of them" \
	"$VINSTALL" --name c1 --cdrom "$D/bootable.iso" --boot kernel="$D/vmlinuz" --dry-run
expect_fail "--cdrom and --location are exclusive" "exclusive" \
	"$VINSTALL" --name c1 --cdrom "$D/bootable.iso" --location "$D/debian.iso" --dry-run

# What vrun cannot do is refused with what to use instead.
expect_fail "--vnc refused" "use --graphics none" base --vnc
expect_fail "spice refused" "no graphical display" base --graphics spice,port=5900
expect_fail "virtio console refused" "target_type=serial" base --console pty,target_type=virtio
expect_fail "--boot order outside --import refused" "a firmware boot order is for --import" base --boot cdrom
expect_fail "--boot uefi refused" "there is no UEFI" base --boot uefi
expect_fail "--boot kernel= with an order refused" "give one or the other" \
	"$VINSTALL" --name t11 --import --disk "$D/existing.img" --boot kernel="$D/vmlinuz",hd --dry-run
expect_fail "--boot names the devices it knows" "unknown option 'fd'" \
	"$VINSTALL" --name t12 --import --disk "$D/existing.img" --boot fd --dry-run
expect_fail "e1000 refused" "virtio-net only" base --network bridge=br0,model=e1000
expect_fail "ide bus refused" "virtio-blk only" base --disk path="$D/x.img",size=1,bus=ide
expect_fail "user networking refused" "no user-mode (SLIRP) networking" base --network user
expect_fail "user networking refused (type=)" "no user-mode (SLIRP) networking" base --network type=user
expect_fail "macvtap refused" "type=direct: vrun puts NICs on a bridge or a network only" base --network type=direct,source=eth0
expect_fail "windows variant refused" "use virt-install with QEMU/libvirt" base --os-variant win2k19
expect_fail "pool refused" "no storage pools" base --disk pool=default,size=3

# Networks (docs/networks.md): no --network is the default network,
# defined on first use; virt-install's spellings; defined networks.
expect_output network-spellings base --network default --network bridge:br0 --network type=bridge,source=br0 \
	--network network:default,mac.address=52:54:00:00:00:09,model.type=virtio --network type=network
printf '192.168.122.0/24\n192.168.123.0/25\n' >"$TMP/routes-taken"
VKIT_NET_HOST_ROUTES="$TMP/routes-taken" expect_output network-default-taken base
test ! -e "$VKIT_DIR/networks"
ok $? "a dry run defines no network"
expect_fail "unknown network" "--network network=nosuch: no such network; define it" base --network network=nosuch
mkdir -p "$VKIT_DIR/networks"
echo '{ "name": "lan", "forward": "bridge", "bridge": { "name": "br0" } }' >"$VKIT_DIR/networks/lan.json"
echo '{ "name": "lan9", "forward": "bridge", "bridge": { "name": "br9" } }' >"$VKIT_DIR/networks/lan9.json"
expect_output network-bridge base --network network=lan
expect_fail "a bridge network whose bridge is missing" "bridge br9 (network lan9): no such bridge on this host" \
	base --network network=lan9
rm -r "$VKIT_DIR/networks"

# A name that is taken is refused before anything is created.
mkdir -p -m 0700 "$VKIT_DIR" "$VKIT_DIR/vms"
"$VINSTALL" --name taken --os-variant debian12 --location "$D/debian.iso" --print-config >"$VKIT_DIR/vms/taken.json" 2>/dev/null
expect_fail "name in use" "a VM of that name exists already" "$VINSTALL" --name taken --os-variant debian12 --location "$D/debian.iso" --dry-run

done_testing
