#!/usr/bin/env bash
# Fetches the Debian source packages that the WebAssembly build compiles
# (zlib, brotli, re2; the native build links their binary packages, so both
# builds run the same releases) with `apt-get source`, into
# .cache/debian-src/ (or $1). cmake/wasm_deps.cmake checks each tarball's
# SHA-256. If apt has no source entries yet, the Debian archive's entries
# are given the deb-src type too (as root), and the package lists updated.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.cache/debian-src}
# From Debian 12's main suite (-t bookworm; security updates keep the same
# upstream tarballs), the releases its binary packages were built from.
packages=(zlib brotli re2)
tarballs=(zlib_1.2.13.dfsg.orig.tar.bz2 brotli_1.0.9.orig.tar.gz re2_20220601+dfsg.orig.tar.xz)
missing=0
for t in "${tarballs[@]}"; do [ -f "$dir/$t" ] || missing=1; done
[ $missing = 1 ] || exit 0

if ! apt-cache showsrc re2 2>/dev/null | grep -q '^Package: re2'; then
  echo "debian-sources: enabling deb-src entries for the Debian archive"
  # Debian 12's own file (deb822) and a classic sources.list, if any.
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources
  fi
  if [ -f /etc/apt/sources.list ] && ! grep -q '^deb-src ' /etc/apt/sources.list; then
    sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list >/etc/apt/sources.list.d/tfjs-quant-deb-src.list
  fi
  apt-get update -qq
fi
mkdir -p "$dir"
# As root, apt cannot hand the download to its own user in a folder it
# cannot enter: it downloads unsandboxed and says so; quiet that warning.
(cd "$dir" && apt-get source --download-only -qq -t bookworm "${packages[@]}" 2>&1 | grep -v 'unsandboxed' || true)
for t in "${tarballs[@]}"; do
  [ -f "$dir/$t" ] || { echo "debian-sources: $t was not fetched (apt-get source ${packages[*]})" >&2; exit 1; }
done
echo "debian-sources: zlib, brotli and re2 sources in $dir"
