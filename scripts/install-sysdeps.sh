#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (a virtual display, Mesa for Kivy's OpenGL,
# Chromium for the console's browser tests, a CJK font) when any is missing. Needs root; on a
# user's machine without root it prints what is missing and the tests that need it say why they skip.
set -euo pipefail
need=()
command -v Xvfb >/dev/null || need+=(xvfb xauth)
command -v xdotool >/dev/null || need+=(xdotool)
command -v xwininfo >/dev/null || need+=(x11-utils)
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || need+=(fonts-noto-cjk)
[ -e /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so ] || [ -e /usr/lib/aarch64-linux-gnu/dri/swrast_dri.so ] \
  || ls /usr/lib/*/dri/*swrast* >/dev/null 2>&1 || need+=(libgl1-mesa-dri)
ldconfig -p | grep -q 'libGL.so.1' || need+=(libgl1)
ldconfig -p | grep -q 'libEGL.so.1' || need+=(libegl1)
ldconfig -p | grep -q 'libmtdev.so.1' || need+=(libmtdev1)
# the Android recipe test compiles SQLCipher with the host compiler against OpenSSL and patches sources
command -v cc >/dev/null || need+=(build-essential)
command -v patch >/dev/null || need+=(patch)
[ -e /usr/include/openssl/evp.h ] || need+=(libssl-dev)
command -v convert >/dev/null && convert -version 2>/dev/null | grep -q ImageMagick || need+=(imagemagick)
if [ ${#need[@]} -eq 0 ]; then
  echo "sysdeps: all present"; exit 0
fi
echo "sysdeps: installing ${need[*]}"
if [ "$(id -u)" != 0 ]; then
  echo "sysdeps: not root — install these yourself: apt-get install ${need[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${need[@]}"
