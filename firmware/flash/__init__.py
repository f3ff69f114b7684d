"""The flasher: writes a card image to a CF/SD card and proves it did, refusing any device
that could be the wrong one. `make flash IMAGE=out/image/lvslite-i386.img DEV=/dev/sdX`,
or `python -m firmware.flash IMAGE DEV [--yes] [--force]`.

    target.py   what the device is (kernel name, size, model, partitions, mounts, holders,
                removable or not), read from /sys and /proc; pure given those trees
    policy.py   which devices are refused and why (pure); --force overrides one rule only
    image.py    the image: raw or gzip, its exact size, read in chunks
    write.py    the write (chunks, progress, fsync) and the read-back check
    cli.py      the command line: show the target, ask, write, verify

A device is *removable* when /sys/block/X/removable is 1 (CF and SD card readers, USB
sticks), or when it hangs off a USB bus or an MMC/SD host (many readers and built-in SD slots
report 0). Anything else (SATA, NVMe, virtio disks, loop and device-mapper devices) is taken
for a fixed disk, the laptop disk a wrong device name would destroy, and needs --force.
Nothing overrides the other refusals: a missing device, not a block device, a partition, a
device holding a mounted filesystem or used by swap/RAID/LVM, a read-only device, a device
smaller than the image.
"""
