#!/bin/sh
# Install the Debian packages that building, running and testing lux need.
# Runs before every `make run` and `make test`, so the common case (nothing
# missing) must be silent and fast: one dpkg-query, no network.
# Exit status: 0 when everything is present (or was installed), 1 otherwise.
set -eu

PACKAGES="clang lld llvm make qemu-system-x86 grub-pc-bin grub-efi-amd64-bin
grub-common xorriso mtools ovmf libcmocka-dev cpio python3 clang-format gdb
musl-dev musl-tools busybox-static libclang-rt-dev e2fsprogs dpkg-dev"

# Commands and files the Makefile and tests use directly (e2fsprogs is in
# /usr/sbin, which a user's PATH may lack: named by path).
COMMANDS="clang ld.lld llvm-objcopy llvm-nm llvm-objdump make
qemu-system-x86_64 grub-mkrescue xorriso mformat cpio python3 clang-format
gdb musl-gcc busybox llvm-ar dpkg-source"
FILES="/usr/share/ovmf/OVMF.fd /usr/lib/grub/i386-pc/multiboot2.mod
/usr/lib/grub/x86_64-efi/multiboot2.mod /usr/include/cmocka.h
/usr/sbin/mke2fs /usr/sbin/e2fsck /usr/sbin/debugfs /usr/sbin/dumpe2fs"

# Print the packages from $PACKAGES that dpkg does not list as installed.
missing_packages()
{
	# shellcheck disable=SC2086 # one argument per package
	installed=" $(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' \
		$PACKAGES 2>/dev/null | awk '$2 == "ii" { printf "%s ", $1 }') "
	for p in $PACKAGES; do
		case "$installed" in
		*" $p "*) ;;
		*) printf '%s ' "$p" ;;
		esac
	done
}

# Print the commands and files that are still absent.
missing_tools()
{
	for c in $COMMANDS; do
		command -v "$c" >/dev/null 2>&1 || printf '%s ' "$c"
	done
	for f in $FILES; do
		[ -e "$f" ] || printf '%s ' "$f"
	done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "setup: this script needs Debian (or a derivative) with dpkg/apt." >&2
	# shellcheck disable=SC2086 # print the list on one line
	echo "setup: install the equivalents of:" $PACKAGES >&2
	exit 1
fi

missing=$(missing_packages)
missing=${missing% }
if [ -n "$missing" ]; then
	cmd="apt-get install -y --no-install-recommends $missing"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages: $missing" >&2
		echo "setup: as root, run:" >&2
		echo "  apt-get update && DEBIAN_FRONTEND=noninteractive $cmd" >&2
		exit 1
	fi
	echo "setup: installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

absent=$(missing_tools)
absent=${absent% }
if [ -n "$absent" ]; then
	echo "setup: still missing after installing packages: $absent" >&2
	exit 1
fi
exit 0
