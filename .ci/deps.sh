#!/usr/bin/env bash
# Install everything nginx-rtc needs to build and test on Debian 12.
set -euo pipefail
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Debian's source packages too: make builds libsrtp2 on OpenSSL from its
# source package (make SRTP=debian does without)
if [ "${1:-}" != "--no-source" ]; then
    printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' \
        'Suites: bookworm' 'Components: main' \
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
        | $SUDO tee /etc/apt/sources.list.d/nginx-rtc-deb-src.sources \
        >/dev/null
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential pkg-config nginx nginx-dev debhelper dpkg-dev \
    libssl-dev libsrtp2-dev libnice-dev libglib2.0-dev \
    libavformat-dev libavcodec-dev libavutil-dev libswresample-dev \
    libswscale-dev python3-prometheus-client \
    gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi python3-gst-1.0 \
    gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
    gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav \
    gstreamer1.0-nice gir1.2-gst-plugins-bad-1.0 nftables coturn \
    clang libclang-rt-14-dev \
    chromium firefox-esr iproute2 procps openssl curl ca-certificates ffmpeg \
    >/dev/null
# Node.js: the machine image may carry its own build (with npm inside);
# take Debian's only when there is none.
command -v node >/dev/null && command -v npm >/dev/null \
    || $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
# Debian's nginx package starts a system instance; tests use private ones.
$SUDO systemctl disable --now nginx >/dev/null 2>&1 || $SUDO service nginx stop >/dev/null 2>&1 || true
