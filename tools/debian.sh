#!/bin/sh
# Build a minimal Debian root (bookworm, debootstrap's minbase variant,
# plus python3) with the distribution's own tools, and an ext2 image of
# it for lux's ext2 server (docs/storage.md, docs/decisions/0036).
#
# Usage: tools/debian.sh DEB_ARCH IMAGE [BINFMT]
#   DEB_ARCH  Debian's name of the architecture (amd64, arm64)
#   IMAGE     the ext2 image to write (made under IMAGE.tmp, then moved)
#   BINFMT    qemu-user-static's binfmt_misc handler for DEB_ARCH's
#             programs (/usr/lib/binfmt.d/BINFMT.conf), used when
#             DEB_ARCH is not this machine's (the platform's arch.mk)
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
#   DEBIAN_SUITE (bookworm), DEBIAN_SIZE (the image's size, 1G: sparse).
# Needs root (debootstrap makes device nodes and runs the packages'
# scripts in a chroot) and debootstrap (tools/setup.sh installs it).
# Another architecture than this machine's (arm64 on an amd64 host):
# debootstrap's second stage runs that architecture's programs (dpkg,
# the maintainer scripts) in the chroot, so the host runs them with
# qemu-user-static through binfmt_misc, which this script mounts and
# registers if needed (docs/decisions/0036-debian-root.md).
set -eu

arch=$1
image=$2
binfmt=${3:-}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${DEBIAN_SUITE:-bookworm}
size=${DEBIAN_SIZE:-1G}
root=$image.root
log=$image.log
native=$(dpkg --print-architecture)

if [ "$(id -u)" -ne 0 ]; then
	echo "debian: debootstrap needs root: run 'make debian' as root" >&2
	exit 1
fi
debootstrap=$(command -v debootstrap || echo /usr/sbin/debootstrap)
mke2fs=$(command -v mke2fs || echo /sbin/mke2fs)

# Make the kernel run the programs of Debian architecture $1 with
# qemu-user-static's binfmt_misc handler $2: binfmt_misc mounted, and
# the handler that package describes (/usr/lib/binfmt.d/$2.conf)
# registered with its flags (F: the emulator is opened now, so it also
# runs inside the chroot, which has no qemu). Leaves an existing
# registration as it is; fails with a message when the host cannot (no
# binfmt_misc, no qemu-user-static).
binfmt_register()
{
	bfm=/proc/sys/fs/binfmt_misc
	conf=/usr/lib/binfmt.d/$2.conf
	[ -e "$bfm/register" ] ||
		mount -t binfmt_misc binfmt_misc "$bfm" 2>/dev/null || {
		echo "debian: cannot mount binfmt_misc on $bfm: $1's" \
			"programs cannot run here (docs/troubleshooting.md)" >&2
		return 1
	}
	[ -e "$bfm/$2" ] && return 0
	if [ ! -r "$conf" ]; then
		echo "debian: $conf is missing: install qemu-user-static" \
			"(tools/setup.sh does)" >&2
		return 1
	fi
	grep -v '^#' "$conf" >"$bfm/register" || {
		echo "debian: binfmt_misc refused $conf" >&2
		return 1
	}
	echo "debian: registered $2 for $1's programs ($bfm/$2)"
}

if [ "$arch" != "$native" ]; then
	if [ -z "$binfmt" ]; then
		echo "debian: $arch is not this machine's architecture" \
			"($native) and no binfmt handler is named" >&2
		exit 1
	fi
	binfmt_register "$arch" "$binfmt"
fi

# Remove the tree of a build: a debootstrap that was interrupted leaves
# /proc and /sys (and, for another architecture, nothing else) mounted in
# it, and rm must not walk into them. Deepest mount first.
remove_root() {
	awk -v r="$root/" 'index($2 "/", r) == 1 {print $2}' /proc/mounts |
		sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	rm -rf --one-file-system "$root"
}

remove_root
rm -f "$image.tmp"
mkdir -p "$(dirname "$image")"
echo "debian: debootstrap $suite ($arch, minbase + python3) from $mirror" \
	"into $root (log: $log)"
start=$(date +%s)
if ! "$debootstrap" --variant=minbase --include=python3 --arch="$arch" \
	"$suite" "$root" "$mirror" >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "debian: debootstrap failed (docs/troubleshooting.md)" >&2
	exit 1
fi
# What apt downloaded is not needed in the image.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_*
echo "debian: $(du -sh "$root" | cut -f1) in $(($(date +%s) - start)) s;" \
	"making the ext2 image ($size, sparse)"
"$mke2fs" -q -t ext2 -d "$root" -E root_owner=0:0 -L debian \
	"$image.tmp" "$size"
remove_root
mv "$image.tmp" "$image"
