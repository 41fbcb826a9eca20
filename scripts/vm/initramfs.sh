# Sourced by scripts/vm-test: packs the initramfs the VM boots from.
#
# build_initramfs CACHE WORK BIN_DIR writes WORK/initramfs.cpio.gz holding:
#   /init                 scripts/vm/init (the test plan inside the VM)
#   /bin/busybox          static; /init installs its applets
#   /lib/modules/KVER/    vivid, i2c-dev, i2c-stub, virtio_blk and what they
#                         need, with a modules.dep cut down to them
#   /usr/bin/augenblick   the capture build, with its shared libraries
#   /usr/bin/augenblick-vm  the feeder (`augenblick-vm feed`)
#   /data/                the labelled trace the feeder replays

# Modules the test loads; their dependencies come from modules.dep.
VM_MODULES=(vivid i2c-dev i2c-stub virtio_pci virtio_blk)

# Copies a binary and every shared library it loads (as ldd resolves them).
_copy_with_libs() {
  local bin=$1 dest=$2 root=$3 lib
  install -D -m 755 "$bin" "$root$dest"
  for lib in $(ldd "$bin" | grep -o '/[^ ]*' | sort -u); do
    [[ -e "$root$lib" ]] || install -D -m 755 "$(readlink -f "$lib")" "$root$lib"
  done
}

build_initramfs() {
  local cache=$1 work=$2 bin_dir=$3
  local root=$work/initramfs kver
  kver=$(cat "$cache/kver")
  rm -rf "$root"
  mkdir -p "$root"/{bin,dev,proc,sys,tmp,data,usr/bin,lib/modules/"$kver"}
  install -m 755 "$cache/root/bin/busybox" "$root/bin/busybox"
  install -m 755 scripts/vm/init "$root/init"

  # The module closure, from modules.dep ("path: dep dep ...").
  local mdir=$cache/root/lib/modules/$kver
  local -A want=()
  local m line path deps d
  for m in "${VM_MODULES[@]}"; do
    line=$(grep -E "/${m//-/[-_]}\.ko(\.[a-z]+)?:" "$mdir/modules.dep") ||
      die "module $m not in $mdir/modules.dep"
    path=${line%%:*}
    deps=${line#*:}
    want[$path]=1
    for d in $deps; do want[$d]=1; done
  done
  : >"$root/lib/modules/$kver/modules.dep"
  for path in "${!want[@]}"; do
    install -D -m 644 "$mdir/$path" "$root/lib/modules/$kver/$path"
    grep -E "^${path//./\\.}:" "$mdir/modules.dep" >>"$root/lib/modules/$kver/modules.dep"
  done

  _copy_with_libs "$bin_dir/augenblick" /usr/bin/augenblick "$root"
  _copy_with_libs "$bin_dir/augenblick-vm" /usr/bin/augenblick-vm "$root"
  cp -r scripts/vm/data/. "$root/data/"
  if [[ -n "${VM_EXTRA_DATA:-}" ]]; then cp -r "$VM_EXTRA_DATA"/. "$root/data/"; fi

  (cd "$root" && find . | LC_ALL=C sort | "$cache/root/bin/busybox" cpio -o -H newc 2>/dev/null) |
    gzip -1 >"$work/initramfs.cpio.gz"
}
