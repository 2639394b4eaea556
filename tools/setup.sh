#!/bin/sh
# Install the Debian packages that building, running and testing lux need.
# Runs before every `make run` and `make test`, so the common case (nothing
# missing) must be silent and fast: one dpkg-query, no network.
# Exit status: 0 when everything is present (or was installed), 1 otherwise.
set -eu

# arm64 (ARCH=arm64): musl, glibc (libc6-dev: headers, crt files, and
# libc6's loader and libc.so.6 for the boot image) and clang's builtins
# for aarch64 from the distribution's arm64 architecture (multiarch),
# QEMU's virt machine and gdb-multiarch; Debian's busybox-static:arm64 and
# coreutils:arm64 cannot be installed beside the amd64 ones, so their
# .debs are fetched and unpacked (BUSYBOX_ARM64, ENV_ARM64: tests/dyn).
FOREIGN_ARCH=arm64
PACKAGES="clang lld llvm make qemu-system-x86 grub-pc-bin grub-efi-amd64-bin
grub-common xorriso mtools ovmf libcmocka-dev cpio python3 clang-format gdb
musl-dev musl-tools busybox-static libclang-rt-dev e2fsprogs dpkg-dev
qemu-system-arm qemu-efi-aarch64 gdb-multiarch
musl-dev:$FOREIGN_ARCH libclang-rt-14-dev:$FOREIGN_ARCH libc6-dev:$FOREIGN_ARCH"

# Commands and files the Makefile and tests use directly (e2fsprogs is in
# /usr/sbin, which a user's PATH may lack: named by path).
COMMANDS="clang ld.lld llvm-objcopy llvm-nm llvm-objdump make
qemu-system-x86_64 grub-mkrescue xorriso mformat cpio python3 clang-format
gdb musl-gcc busybox llvm-ar dpkg-source qemu-system-aarch64 gdb-multiarch"
FILES="/usr/share/ovmf/OVMF.fd /usr/lib/grub/i386-pc/multiboot2.mod
/usr/lib/grub/x86_64-efi/multiboot2.mod /usr/include/cmocka.h
/usr/sbin/mke2fs /usr/sbin/e2fsck /usr/sbin/debugfs /usr/sbin/dumpe2fs
/usr/lib/aarch64-linux-musl/libc.a /usr/lib/aarch64-linux-gnu/crt1.o
/lib/ld-musl-x86_64.so.1 /lib/ld-musl-aarch64.so.1 /lib/ld-linux-aarch64.so.1"

# Where the arm64 busybox is unpacked (kernel/arch/arm64/arch.mk's BUSYBOX),
# relative to the repository.
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUSYBOX_CACHE=$REPO/build/cache/$FOREIGN_ARCH
BUSYBOX_ARM64=$BUSYBOX_CACHE/bin/busybox
ENV_ARM64=$BUSYBOX_CACHE/usr/bin/env

# Print the packages from $PACKAGES that dpkg does not list as installed.
missing_packages()
{
	# Each installed package as name:arch, and as name alone for the
	# native architecture (dpkg's own) and "all".
	# shellcheck disable=SC2086 # one argument per package
	installed=" $(dpkg-query -W \
		-f='${Package} ${Architecture} ${db:Status-Abbrev}\n' \
		dpkg $PACKAGES 2>/dev/null | awk '
		$1 == "dpkg" { native = $2 }
		$3 == "ii" { n++; name[n] = $1; arch[n] = $2 }
		END { for (i = 1; i <= n; i++) {
			printf "%s:%s ", name[i], arch[i]
			if (arch[i] == native || arch[i] == "all")
				printf "%s ", name[i]
		} }') "
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
	arch="dpkg --add-architecture $FOREIGN_ARCH && "
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages: $missing" >&2
		echo "setup: as root, run:" >&2
		echo "  ${arch}apt-get update &&" \
			"DEBIAN_FRONTEND=noninteractive $cmd" >&2
		exit 1
	fi
	echo "setup: installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	dpkg --print-foreign-architectures | grep -qx "$FOREIGN_ARCH" ||
		dpkg --add-architecture "$FOREIGN_ARCH"
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

# busybox-static for arm64: the package's .deb (apt-get download needs no
# root, only the arm64 package lists) unpacked into the cache.
if [ ! -x "$BUSYBOX_ARM64" ]; then
	echo "setup: fetching busybox-static:$FOREIGN_ARCH into $BUSYBOX_CACHE"
	mkdir -p "$BUSYBOX_CACHE"
	(cd "$BUSYBOX_CACHE" && rm -f busybox-static_*.deb &&
		apt-get download -q "busybox-static:$FOREIGN_ARCH" &&
		dpkg-deb -x busybox-static_*.deb .) ||
		{ echo "setup: cannot fetch busybox-static:$FOREIGN_ARCH" >&2; exit 1; }
fi

# Debian's env for arm64 (tests/dyn: a program of the distribution, as
# it is): coreutils' .deb, unpacked into the same cache.
if [ ! -x "$ENV_ARM64" ]; then
	echo "setup: fetching coreutils:$FOREIGN_ARCH into $BUSYBOX_CACHE"
	mkdir -p "$BUSYBOX_CACHE"
	(cd "$BUSYBOX_CACHE" && rm -f coreutils_*.deb &&
		apt-get download -q "coreutils:$FOREIGN_ARCH" &&
		dpkg-deb -x coreutils_*.deb .) ||
		{ echo "setup: cannot fetch coreutils:$FOREIGN_ARCH" >&2; exit 1; }
fi

absent=$(missing_tools)
absent=${absent% }
if [ -n "$absent" ]; then
	echo "setup: still missing after installing packages: $absent" >&2
	exit 1
fi
exit 0
