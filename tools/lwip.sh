#!/bin/sh
# lwip.sh DIR - fetch Debian's lwip source package (2.1.3) and unpack it,
# patched, as DIR/lwip (docs/network.md); DIR/fetched then names the
# version, and a second run with the same version does nothing. lwIP's code is never committed:
# the build calls this when it needs the library (user/lwip/lwip.mk).
#
# The machine's apt configuration is left alone: apt runs with a private
# sources list, state and cache under DIR/apt, made from the machine's
# own Debian entries (deb822 .sources and one-line .list files) with
# their type changed to deb-src. apt checks what it fetches against the
# distribution's signed indexes; dpkg-source unpacks and applies
# Debian's patches.
set -eu

VERSION=2.1.3+dfsg1-2
dir=$1
[ "$(cat "$dir/fetched" 2>/dev/null)" = "$VERSION" ] && exit 0
mkdir -p "$dir/apt/sources.list.d" "$dir/apt/lists/partial" \
	"$dir/apt/cache/archives/partial" "$dir/fetch"
abs=$(cd "$dir" && pwd)
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	/etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	case $f in
	*.sources) sed 's/^Types:.*/Types: deb-src/' "$f" ;;
	*) sed -n 's/^deb \(.*\)$/deb-src \1/p' "$f" ;;
	esac >"$abs/apt/sources.list.d/$(basename "$f")"
done
# the name changes with the format: a .list from the one-line file
[ ! -f "$abs/apt/sources.list.d/sources.list" ] ||
	mv "$abs/apt/sources.list.d/sources.list" \
		"$abs/apt/sources.list.d/main.list"
apt() {
	apt-get -q -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$abs/apt/sources.list.d" \
		-o Dir::State="$abs/apt" -o Dir::Cache="$abs/apt/cache" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}
apt update >"$abs/apt/update.log" 2>&1 ||
	{ cat "$abs/apt/update.log" >&2; exit 1; }
(cd "$abs/fetch" && apt source --download-only "lwip=$VERSION")
rm -rf "$abs/lwip" "$abs/unpack"
# apt checked the files' hashes against the signed index; dpkg-source
# only warns that it has no key for the maintainer's signature
dpkg-source -x "$abs/fetch/lwip_$VERSION.dsc" "$abs/unpack" \
	>"$abs/unpack.log" 2>&1 || { cat "$abs/unpack.log" >&2; exit 1; }
mv "$abs/unpack" "$abs/lwip"
rm -f "$abs"/*.orig.tar.* # dpkg-source's link to the fetched tarball
echo "$VERSION" >"$abs/fetched"
