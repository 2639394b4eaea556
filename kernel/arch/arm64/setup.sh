# What tools/setup.sh installs for arm64 (sourced by it): QEMU's virt
# machine and gdb-multiarch; musl and clang's builtins for aarch64 from
# the distribution's arm64 architecture (multiarch), and glibc's
# (libc6-dev: headers, crt files, the loader and libc.so.6 for tests/dyn);
# qemu-user-static, which runs the arm64 Debian image's second stage on
# an amd64 host (tools/debian.sh registers it with binfmt_misc).
# Debian's coreutils:arm64 (its env, for tests/dyn) is fetched like
# busybox. Debian's
# busybox-static:arm64 cannot be installed beside the host's, so
# setup.sh fetches its .deb and unpacks it into build/cache/arm64 (BUSYBOX
# in arch.mk), as for any platform whose P_DEB_ARCH is not the machine's.
P_DEB_ARCH=arm64
P_PACKAGES="qemu-system-arm qemu-efi-aarch64 gdb-multiarch musl-dev:arm64
libclang-rt-14-dev:arm64 libc6-dev:arm64 qemu-user-static"
P_COMMANDS="qemu-system-aarch64 gdb-multiarch"
P_FILES="/usr/lib/aarch64-linux-musl/libc.a /usr/lib/aarch64-linux-gnu/crt1.o
/lib/ld-musl-aarch64.so.1 /lib/ld-linux-aarch64.so.1
/usr/lib/binfmt.d/qemu-aarch64.conf"
