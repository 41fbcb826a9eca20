# Sourced by scripts/vm-test: fetches Debian's kernel, busybox and QEMU into
# a cache folder, unpacked, without installing anything on this machine.
#
# After fetch_all CACHE:
#   CACHE/root/        the packages unpacked (dpkg-deb -x)
#   CACHE/vmlinux      the kernel, uncompressed (booted through PVH)
#   CACHE/kver         the kernel's version (6.1.0-N-amd64)
# A stamp file records what was fetched; a later run with the same packages
# does nothing.

# QEMU and the libraries it needs that a Debian 12 machine set up by
# scripts/setup lacks (the rest, glib, pixman, gnutls..., come with ffmpeg and
# clang). seabios and qemu-system-data hold the firmware for -kernel boots;
# qemu-system-common the TCG accelerator, a loadable module.
# If a machine lacks more, the ldd check below names the missing libraries.
QEMU_PACKAGES=(qemu-system-x86 qemu-system-common qemu-system-data seabios
  libcapstone4 libfdt1 libpmem1 libndctl6 libdaxctl1 librdmacm1 libibverbs1
  libnl-3-200 libnl-route-3-200 libslirp0 libvdeplug2)

fetch_all() {
  local cache=$1
  mkdir -p "$cache/debs"
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  apt-cache show linux-image-amd64 >/dev/null 2>&1 || $sudo apt-get update -qq
  local kpkg
  kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  [[ -n "$kpkg" ]] || die "apt knows no linux-image-amd64 (run apt-get update?)"
  local pkgs
  pkgs="$kpkg busybox-static ${QEMU_PACKAGES[*]}"
  if [[ -f "$cache/stamp" && "$(cat "$cache/stamp")" == "$pkgs" && -s "$cache/vmlinux" ]]; then
    say "using cached kernel, busybox and QEMU in $cache"
    return
  fi
  say "fetching $pkgs"
  rm -rf "$cache/root" "$cache/vmlinux" "$cache/stamp"
  # shellcheck disable=SC2086
  (cd "$cache/debs" && apt-get download -q $pkgs) >"$cache/download.log" 2>&1 || {
    cat "$cache/download.log" >&2
    die "apt-get download failed"
  }
  mkdir -p "$cache/root"
  local p f
  for p in $pkgs; do
    f=$(find "$cache/debs" -maxdepth 1 -name "${p}_*.deb" | sort | tail -n1)
    [[ -n "$f" ]] || die "no .deb for $p in $cache/debs"
    dpkg-deb -x "$f" "$cache/root"
  done
  local kver=${kpkg#linux-image-}
  echo "$kver" >"$cache/kver"
  "$cache/root/bin/busybox" depmod -b "$cache/root" "$kver" || die "depmod failed"
  extract_vmlinux "$cache/root/boot/vmlinuz-$kver" "$cache/vmlinux"
  local missing
  missing=$(LD_LIBRARY_PATH=$cache/root/usr/lib/x86_64-linux-gnu:$cache/root/lib/x86_64-linux-gnu \
    ldd "$cache/root/usr/bin/qemu-system-x86_64" "$cache"/root/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-*.so |
    grep 'not found' | sort -u || true)
  [[ -z "$missing" ]] || die "QEMU lacks libraries: $missing"
  echo "$pkgs" >"$cache/stamp"
}

# The vmlinuz is a bzImage: a small decompressor followed by the compressed
# kernel. PVH boot (-kernel with an ELF) needs the kernel itself, so find the
# compressed payload by its magic and decompress it (the logic of the
# kernel's scripts/extract-vmlinux).
extract_vmlinux() {
  local img=$1 out=$2 magic tool off
  for pair in 'fd377a585a00:xz -dcq' '28b52ffd:zstd -dcq' '1f8b0800:gzip -dcq'; do
    magic=${pair%%:*}
    tool=${pair#*:}
    # Byte offsets of the magic, found on the hex dump (two chars per byte).
    for off in $(od -An -v -tx1 "$img" | tr -d ' \n' | grep -ob "$magic" | cut -d: -f1); do
      ((off % 2)) && continue
      off=$((off / 2))
      tail -c +$((off + 1)) "$img" | $tool >"$out" 2>/dev/null || true
      if [[ "$(head -c4 "$out" | od -An -tx1 | tr -d ' ')" == 7f454c46 ]]; then
        return 0
      fi
    done
  done
  rm -f "$out"
  die "could not find a kernel ELF inside $img"
}
