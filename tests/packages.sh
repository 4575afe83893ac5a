# shellcheck shell=bash
# Sourced by tests/run.sh, tests/cross.sh and examples/run-chat-server.sh:
# install the Debian packages a script needs and the machine lacks, on a
# fresh Debian 12 too (apt-get, through sudo when not root, which a bare root
# container has no sudo for; neither root nor sudo: say what to install).
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
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "$who: needs ${missing[*]}, and installing them takes root: run it as root," \
           "or have root run: apt-get install ${missing[*]}" >&2
      return 1
    fi
    sudo=(sudo)
  fi
  echo "$who: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  for arch in ${arches[@]+"${arches[@]}"}; do
    dpkg --print-foreign-architectures | grep -qx "$arch" || "${sudo[@]}" dpkg --add-architecture "$arch"
  done
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}
