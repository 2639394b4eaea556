# What tools/setup.sh installs for x86_64 (sourced by it): QEMU's q35
# machine, GRUB for BIOS and UEFI, OVMF. User space is the host's own
# musl-dev and busybox-static (the machine's Debian architecture, amd64).
P_DEB_ARCH=amd64
P_PACKAGES="qemu-system-x86 grub-pc-bin grub-efi-amd64-bin grub-common
xorriso mtools ovmf"
P_COMMANDS="qemu-system-x86_64 grub-mkrescue xorriso mformat"
P_FILES="/usr/share/ovmf/OVMF.fd /usr/lib/grub/i386-pc/multiboot2.mod
/usr/lib/grub/x86_64-efi/multiboot2.mod /lib/ld-musl-x86_64.so.1"
