#!/usr/bin/env bash
# What `make test` needs beyond Python, from Debian's packages: Chromium (browser tests), Java
# (the Nu HTML checker) and GNU gettext (the catalogue tests). As root they are installed;
# anyone else gets one message naming what is missing and how to install it, before anything
# else runs. Nothing is downloaded from anywhere but the package archive.
# Usage: test_deps.sh TOOL...   (each TOOL one of chromium, java, xgettext)
set -u
declare -A PACKAGE=([chromium]=chromium [java]=default-jre-headless [xgettext]=gettext)
missing() {
  local tool out=()
  for tool in "${TOOLS[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || out+=("${PACKAGE[$tool]}")
  done
  echo "${out[@]:-}"
}
TOOLS=("$@")
[ ${#TOOLS[@]} -gt 0 ] || TOOLS=(chromium java xgettext)
need=$(missing)
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "make test: installing $need from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
  need=$(missing)
  [ -z "$need" ] && exit 0
  echo "FATAL: make test needs $need and could not install it (apt-get install $need)." >&2
  exit 1
fi
echo "make test needs $need, which this machine lacks. Install it, then run make test again:" >&2
echo "    sudo apt-get install $need        (Debian or Ubuntu)" >&2
exit 1
