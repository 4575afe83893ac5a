# shellcheck shell=bash
# Sourced by tests/run.sh and tests/cross.sh: install the Debian packages a
# script needs and the machine lacks, on a fresh Debian 12 too (apt-get,
# through sudo when not root, which a bare root container has no sudo for).
#
#   ws_install_missing SCRIPT_NAME "package:file" ...
#
# Each entry names a package and a file that proves it is installed; the file
# may be a glob (any match will do). A package spelt name:arch (libcmocka-dev:arm64)
# first gets its architecture added to dpkg.
ws_install_missing() {
  local who=$1 entry pkg file arch
  shift
  local missing=() arches=()
  for entry in "$@"; do
    pkg=${entry%:*} file=${entry##*:}
    compgen -G "$file" >/dev/null && continue
    missing+=("$pkg")
    case $pkg in *:*) arches+=("${pkg##*:}") ;; esac
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "$who: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  for arch in ${arches[@]+"${arches[@]}"}; do
    dpkg --print-foreign-architectures | grep -qx "$arch" || "${sudo[@]}" dpkg --add-architecture "$arch"
  done
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}
