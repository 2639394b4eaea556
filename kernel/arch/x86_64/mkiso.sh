#!/bin/bash
# Build a GRUB rescue ISO that boots lux under both BIOS and UEFI.
# usage: kernel/arch/x86_64/mkiso.sh KERNEL.elf INITRD.cpio OUT.iso "COMMAND LINE"
# GRUB loads the kernel with Multiboot2 and the initrd as module 0 named
# "initrd", then boots at once: no menu, no timeout.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
	echo "usage: $0 KERNEL.elf INITRD.cpio OUT.iso [\"CMDLINE\"]" >&2
	exit 2
fi
kernel=$1 initrd=$2 out=$3 cmdline=${4:-}
for f in "$kernel" "$initrd"; do
	[ -f "$f" ] || { echo "mkiso: $f: no such file" >&2; exit 1; }
done
for d in /usr/lib/grub/i386-pc /usr/lib/grub/x86_64-efi; do
	[ -d "$d" ] || { echo "mkiso: $d missing (run tools/setup.sh)" >&2; exit 1; }
done

# Quote one word for GRUB's script language: single quotes keep everything
# literal; an embedded single quote becomes '\''.
grub_quote()
{
	local q="'\\''"
	printf "'%s'" "${1//\'/$q}"
}

# Each word of the command line is its own argument: GRUB joins them with
# spaces (and would wrap a single argument that holds spaces in quotes).
args=""
read -ra words <<<"$cmdline"
for w in "${words[@]}"; do
	args+=" $(grub_quote "$w")"
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/lux-iso.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$kernel" "$stage/boot/lux.elf"
cp "$initrd" "$stage/boot/initrd.cpio"
cat >"$stage/boot/grub/grub.cfg" <<EOF
set timeout=0
set timeout_style=hidden
insmod all_video
multiboot2 /boot/lux.elf$args
module2 /boot/initrd.cpio initrd
boot
EOF

# Only the modules this grub.cfg needs (grub-mkrescue adds what they depend
# on), plus every partition map, which GRUB loads when it probes the disk;
# no fonts, locales or themes. This keeps the image small and GRUB quick.
partmaps=$(tr '\n' ' ' </usr/lib/grub/x86_64-efi/partmap.lst)
modules="normal configfile multiboot2 iso9660 all_video boot ${partmaps% }"
mkdir -p "$(dirname "$out")"
log=$(mktemp "${TMPDIR:-/tmp}/lux-mkrescue.XXXXXX")
trap 'rm -rf "$stage" "$log"' EXIT
if ! grub-mkrescue -o "$out" --install-modules="$modules" \
	--fonts= --locales= --themes= \
	"$stage" >"$log" 2>&1; then
	cat "$log" >&2
	echo "mkiso: grub-mkrescue failed" >&2
	exit 1
fi
