#!/usr/bin/env bash
# Installs what swiscsi needs to build, test and demo on Debian 12. Idempotent: apt-get runs
# only for packages that are missing, so a prepared machine pays nothing.
set -euo pipefail

packages=(
  # build
  gcc meson ninja-build pkg-config
  # unit tests, integration tests
  libcmocka-dev python3 python3-pytest
  # protocol engine: CRC32C (ISA-L), CHAP digests (libcrypto)
  libisal-dev libssl-dev
  # real peers and the tools the tests drive: tgtd and istgt targets, open-iscsi for record round trips,
  # iproute2 for network namespaces, util-linux for unshare/flock/setpriv, procps for sysctl,
  # systemd for systemd-socket-activate (swiscsid started as swiscsid.socket starts it)
  tgt istgt open-iscsi iproute2 util-linux procps systemd
  # swiscsid's LUN filesystem (libfuse3, fusermount3) and its block-device tests (fio, mkfs.ext4)
  libfuse3-dev fuse3 fio e2fsprogs
  # counting system calls: the O(1) node lookup test and bench/cli-scale.sh
  strace
  # man pages
  groff-base
  # Debian packages (debian/) and their test: the build tools, man -w and the completion loader
  dpkg-dev debhelper fakeroot man-db bash-completion
  # libFuzzer harnesses (clang with its sanitizer and fuzzer runtimes)
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# open-iscsi and tgt ship services; no init system runs them here, and policy-rc.d keeps
# package scripts from trying to start daemons on a machine that has one.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
