# vdf-disks.sh - the -a arguments vdf's tests and virt-df's recording share (sourced).
VDF_TEST_DISKS="--format=raw -a ext4-4k.img -a mbr.img -a gpt.img -a fat32.img -a btrfs.img --format=qcow2 -a chain-top.qcow2"
# Run from the images' directory too; all raw, one guest.
VDF_MORE_DISKS="--format=raw -a more/e4big.img -a more/e3k1.img -a more/e4meta.img -a more/e4no64.img -a more/xfs1k.img -a more/xfsbig.img -a more/btr.img -a more/fat12.img -a more/fat32b.img -a more/e2k4.img -a more/media.iso"
