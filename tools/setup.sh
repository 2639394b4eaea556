#!/bin/sh
# Install the Debian packages that building, running and testing lux need.
# Runs before every `make run` and `make test`, so the common case (nothing
# missing) must be silent and fast: one dpkg-query, no network.
# Exit status: 0 when everything is present (or was installed), 1 otherwise.
set -eu

# What every platform needs (the compiler, the host's musl and busybox,
# the unit tests' cmocka, e2fsprogs, debootstrap for `make debian`), then
# each platform's own:
# kernel/arch/<name>/setup.sh sets P_DEB_ARCH (the Debian architecture of
# its user space), P_PACKAGES, P_COMMANDS and P_FILES. A platform whose
# P_DEB_ARCH is not this machine's is a foreign architecture (multiarch):
# added to dpkg, and its busybox-static, which cannot be installed beside
# the host's, fetched as a .deb and unpacked into build/cache/<deb arch>.
PACKAGES="clang lld llvm make libcmocka-dev cpio python3 clang-format gdb
musl-dev musl-tools busybox-static libclang-rt-dev e2fsprogs dpkg-dev
debootstrap"
# Commands and files the Makefile and tests use directly (e2fsprogs is in
# /usr/sbin, which a user's PATH may lack: named by path).
COMMANDS="clang ld.lld llvm-objcopy llvm-nm llvm-objdump make cpio python3
clang-format gdb musl-gcc busybox llvm-ar dpkg-source"
FILES="/usr/include/cmocka.h /usr/sbin/mke2fs /usr/sbin/e2fsck
/usr/sbin/debugfs /usr/sbin/dumpe2fs /usr/sbin/debootstrap"

REPO=$(cd "$(dirname "$0")/.." && pwd)
NATIVE=$(dpkg --print-architecture 2>/dev/null || true)
FOREIGN=""
for f in "$REPO"/kernel/arch/*/setup.sh; do
	P_DEB_ARCH="" P_PACKAGES="" P_COMMANDS="" P_FILES=""
	# shellcheck disable=SC1090 # one per platform
	. "$f"
	PACKAGES="$PACKAGES $P_PACKAGES"
	COMMANDS="$COMMANDS $P_COMMANDS"
	FILES="$FILES $P_FILES"
	[ "$P_DEB_ARCH" = "$NATIVE" ] || FOREIGN="$FOREIGN $P_DEB_ARCH"
done

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
	arch=""
	for a in $FOREIGN; do
		arch="${arch}dpkg --add-architecture $a && "
	done
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages: $missing" >&2
		echo "setup: as root, run:" >&2
		echo "  ${arch}apt-get update &&" \
			"DEBIAN_FRONTEND=noninteractive $cmd" >&2
		exit 1
	fi
	echo "setup: installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	for a in $FOREIGN; do
		dpkg --print-foreign-architectures | grep -qx "$a" ||
			dpkg --add-architecture "$a"
	done
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

# busybox-static of each foreign platform: the package's .deb (apt-get
# download needs no root, only that architecture's package lists) unpacked
# into the cache.
for a in $FOREIGN; do
	cache=$REPO/build/cache/$a
	[ -x "$cache/bin/busybox" ] && continue
	echo "setup: fetching busybox-static:$a into $cache"
	mkdir -p "$cache"
	(cd "$cache" && rm -f busybox-static_*.deb &&
		apt-get download -q "busybox-static:$a" &&
		dpkg-deb -x busybox-static_*.deb .) ||
		{ echo "setup: cannot fetch busybox-static:$a" >&2; exit 1; }
done

# Debian's env of each foreign platform (tests/dyn: a program of the
# distribution, as it is): coreutils' .deb, unpacked into the same cache.
for a in $FOREIGN; do
	cache=$REPO/build/cache/$a
	[ -x "$cache/usr/bin/env" ] && continue
	echo "setup: fetching coreutils:$a into $cache"
	mkdir -p "$cache"
	(cd "$cache" && rm -f coreutils_*.deb &&
		apt-get download -q "coreutils:$a" &&
		dpkg-deb -x coreutils_*.deb .) ||
		{ echo "setup: cannot fetch coreutils:$a" >&2; exit 1; }
done

absent=$(missing_tools)
absent=${absent% }
if [ -n "$absent" ]; then
	echo "setup: still missing after installing packages: $absent" >&2
	exit 1
fi
exit 0
