#!/usr/bin/env bash
# Installs what building and testing Jiuzhu needs on Debian/Ubuntu (Kylin and
# UOS are Debian-based too): a C compiler and the X11/OpenGL headers that
# Fyne's cgo driver links against, and Xvfb + ImageMagick + xdotool for the
# window smoke test. Go itself must already be installed (1.26 or newer).
set -euo pipefail
packages=(gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev
  libxi-dev libxxf86vm-dev xvfb xauth imagemagick x11-utils xdotool chromium fonts-droid-fallback)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "Go 1.26+ is required: https://go.dev/dl/"; exit 1; }
