# vdf-disks.sh - the -a arguments vdf's tests and virt-df's recording share (sourced).
VDF_TEST_DISKS="--format=raw -a ext4-4k.img -a mbr.img -a gpt.img -a fat32.img -a btrfs.img --format=qcow2 -a chain-top.qcow2"
