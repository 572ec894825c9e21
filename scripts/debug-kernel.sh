#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/debug-kernel.sh - build Debian's 6.1 kernel source with the kernel's
# runtime checkers (KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak,
# DEBUG_OBJECTS) for 'make check-debug', and print the variables the VM
# suite needs to boot it:
#
#   KDIR=<build tree>  KVER=<release>  VM_KERNEL=<bzImage>
#
# Small configuration on purpose: x86_64_defconfig + kvm_guest.config (virtio
# and 9p built in, so the initramfs loads nothing), device-mapper and the test
# devices as modules (the tests pass them parameters: brd rd_size=..., null_blk
# ...).  Modules are installed into /lib/modules/<release> so that modprobe
# works in the guest, which sees the host's root filesystem.
#
# Everything is cached outside the source tree, in $DEBUG_KERNEL_CACHE
# (default /var/cache/dm-vmirror/debug-kernel); a rebuild happens only when
# this script or the source tarball changes.  On 2 cores the first build takes
# about half an hour; later runs take half a minute.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${DEBUG_KERNEL_CACHE:-/var/cache/dm-vmirror/debug-kernel}
TARBALL=/usr/src/linux-source-6.1.tar.xz
LOCALVERSION=-vmirror-debug
JOBS=${JOBS:-$(nproc)}

# The build talks on stdout; only the result lines go there (fd 3).
exec 3>&1 1>&2

log() { echo "debug-kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -r $TARBALL ]] || die "$TARBALL missing (apt-get install linux-source-6.1; 'make deps')"
for t in flex bison bc perl; do
	command -v $t >/dev/null || die "$t missing (apt-get install flex bison bc libelf-dev libssl-dev; 'make deps')"
done

KEY=$({ sha256sum <"$0"; stat -c '%s %Y' "$TARBALL"; } | sha256sum | cut -c1-16)
SRC=$CACHE/linux-source-6.1
OBJ=$CACHE/build
STAMP=$CACHE/done-$KEY

if [[ ! -e $STAMP ]]; then
	mkdir -p "$CACHE"
	rm -f "$CACHE"/done-*
	if [[ ! -e $SRC/Makefile ]]; then
		log "unpacking $TARBALL"
		rm -rf "$SRC"
		tar -C "$CACHE" -xJf "$TARBALL"
	fi
	mkdir -p "$OBJ"
	K=(make -C "$SRC" O="$OBJ" LOCALVERSION="$LOCALVERSION" -j"$JOBS")
	log "configuring in $OBJ"
	"${K[@]}" -s x86_64_defconfig
	"${K[@]}" -s kvm_guest.config
	cfg() { "$SRC/scripts/config" --file "$OBJ/.config" "$@"; }
	# The guest's root: virtio-pci, 9p over virtio, overlayfs; built in.
	cfg -e VIRTIO_PCI -e NET_9P -e NET_9P_VIRTIO -e 9P_FS -e 9P_FS_POSIX_ACL \
		-e OVERLAY_FS -e DEVTMPFS -e DEVTMPFS_MOUNT -e BLK_DEV_INITRD \
		-e EXT4_FS -e TMPFS -e SERIAL_8250_CONSOLE
	# What the suite loads with modprobe.
	cfg -e MODULES -e MODULE_UNLOAD -e MD -m BLK_DEV_DM -e DM_UEVENT \
		-m DM_MIRROR -m DM_LOG_USERSPACE -m DM_FLAKEY -m DM_DELAY -m DM_ZERO \
		-m MD_RAID1 -e BLK_DEV_MD \
		-m BLK_DEV_RAM -m BLK_DEV_NULL_BLK -m BLK_DEV_LOOP -m BLK_DEV_NBD \
		-e BLK_DEV_INTEGRITY -e CRYPTO_CRC32C
	# The checkers.
	cfg -e DEBUG_KERNEL -e DEBUG_INFO_NONE \
		-e KASAN -e KASAN_GENERIC -e KASAN_INLINE -e KASAN_VMALLOC \
		-e PROVE_LOCKING -e DEBUG_LOCKDEP -e DEBUG_ATOMIC_SLEEP \
		-e DEBUG_SPINLOCK -e DEBUG_MUTEXES -e DEBUG_RWSEMS \
		-e DEBUG_KMEMLEAK -e DEBUG_KMEMLEAK_AUTO_SCAN \
		--set-val DEBUG_KMEMLEAK_MEM_POOL_SIZE 65536 \
		-e DEBUG_OBJECTS -e DEBUG_OBJECTS_FREE -e DEBUG_OBJECTS_TIMERS \
		-e DEBUG_OBJECTS_WORK -e DEBUG_OBJECTS_RCU_HEAD \
		-e DEBUG_OBJECTS_PERCPU_COUNTER \
		--set-val DEBUG_OBJECTS_ENABLE_DEFAULT 1 \
		-e DEBUG_LIST -e DEBUG_SG -e DEBUG_VM -e UBSAN -e UBSAN_BOUNDS \
		-e DETECT_HUNG_TASK --set-val DEFAULT_HUNG_TASK_TIMEOUT 120 \
		-d WERROR -d DEBUG_INFO_BTF -d MODULE_SIG -d RANDOMIZE_BASE \
		-d DRM -d SOUND -d USB_SUPPORT -d WLAN -d WIRELESS
	"${K[@]}" -s olddefconfig
	for o in KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_KMEMLEAK DEBUG_OBJECTS \
		BLK_DEV_DM DM_MIRROR DM_FLAKEY DM_DELAY BLK_DEV_RAM BLK_DEV_NULL_BLK 9P_FS; do
		grep -Eq "^CONFIG_$o=(y|m)" "$OBJ/.config" || die "CONFIG_$o did not stick"
	done
	log "building (about 30 minutes on 2 cores the first time)"
	start=$SECONDS
	"${K[@]}" bzImage modules
	REL=$(cat "$OBJ/include/config/kernel.release")
	rm -rf "/lib/modules/$REL"
	"${K[@]}" -s INSTALL_MOD_STRIP=1 modules_install
	# No build/source links: scripts/kdir.sh picks the newest
	# /lib/modules/*/build, which must stay Debian's.
	rm -f "/lib/modules/$REL/build" "/lib/modules/$REL/source"
	log "built $REL in $((SECONDS - start)) s"
	touch "$STAMP"
fi

REL=$(cat "$OBJ/include/config/kernel.release")
[[ -d /lib/modules/$REL/kernel ]] || { rm -f "$STAMP"; die "/lib/modules/$REL went missing; run again"; }
echo "KDIR=$OBJ" >&3
echo "KVER=$REL" >&3
echo "VM_KERNEL=$OBJ/arch/x86/boot/bzImage" >&3
