#!/usr/bin/env bash
# Builds Debian's own fio source package with its libiscsi engine (Debian's binary lacks it),
# outside the repository, for the write anchor. Prints the path of the fio binary.
#   usage: bench/build-fio.sh [DIR]   (default /tmp/fio-src)
set -euo pipefail
dir=${1:-/tmp/fio-src}
if ls "$dir"/fio-*/fio >/dev/null 2>&1 && "$(ls -d "$dir"/fio-*/fio | head -1)" --enghelp | grep -qw libiscsi; then
  ls -d "$dir"/fio-*/fio | head -1
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq libiscsi-dev pkg-config dpkg-dev >/dev/null
mkdir -p "$dir/lists/partial" "$dir/parts"
sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$dir/parts/src.sources"
O=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir/parts" -o Dir::State::Lists="$dir/lists")
apt-get "${O[@]}" update -qq >/dev/null
(cd "$dir" && apt-get "${O[@]}" source -qq fio >/dev/null 2>&1)
src=$(ls -d "$dir"/fio-*/ | head -1)
(cd "$src" && ./configure --disable-native --enable-libiscsi >/dev/null && make -j2 >/dev/null 2>&1)
"$src/fio" --enghelp | grep -qw libiscsi
echo "$src/fio"
