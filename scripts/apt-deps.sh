#!/usr/bin/env bash
# Installs the Debian packages dancegen needs at run time, only when missing.
#   libegl1 libegl-mesa0 libgl1-mesa-dri : headless EGL + Mesa llvmpipe for moderngl rendering
#   libosmesa6                            : OSMesa for the pyrender baseline in bench/render.py
#   libsndfile1                           : soundfile (wav/flac/ogg)
set -euo pipefail
pkgs=(libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6 libsndfile1)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
