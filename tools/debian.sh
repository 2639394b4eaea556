#!/bin/sh
# Build a minimal Debian root (bookworm, debootstrap's minbase variant,
# plus python3) with the distribution's own tools, and an ext2 image of
# it for lux's ext2 server (docs/storage.md, docs/decisions/0036).
#
# Usage: tools/debian.sh DEB_ARCH IMAGE
#   DEB_ARCH  Debian's name of the architecture (amd64, arm64)
#   IMAGE     the ext2 image to write (made under IMAGE.tmp, then moved)
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
#   DEBIAN_SUITE (bookworm), DEBIAN_SIZE (the image's size, 1G: sparse).
# Needs root (debootstrap makes device nodes and runs the packages'
# scripts in a chroot) and debootstrap (tools/setup.sh installs it).
# Only this machine's own architecture: debootstrap's --foreign stage
# for another one unpacks the Required packages alone (python3, asked
# with --include, waits for the second stage, whose maintainer scripts
# must run on that architecture): docs/decisions/0036-debian-root.md.
set -eu

arch=$1
image=$2
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
if [ "$arch" != "$native" ]; then
	echo "debian: $arch is not this machine's architecture ($native):" \
		"debootstrap's second stage would have to run on $arch" \
		"(docs/decisions/0036-debian-root.md)" >&2
	exit 1
fi

rm -rf "$root" "$image.tmp"
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
rm -rf "$root"
mv "$image.tmp" "$image"
