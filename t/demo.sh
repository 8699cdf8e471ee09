#!/bin/bash
#
# Copyright (C) nginx-rtc authors
#
# make demo: a test camera (t/lib/camera.py) on rtsp://127.0.0.1:8554/cam
# streamed by nginx with the module (examples/nginx-demo.conf) on
# http://127.0.0.1:8080; open the player page in a browser on this machine.
# Runs until Ctrl-C, then stops both and removes the temporary prefix.
#
#   PORT=8080 CAM_PORT=8554 CODEC=h264 t/demo.sh

set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
MODULE=${NGX_RTC_MODULE:-$REPO/build/ngx_http_rtc_module.so}
NGINX=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
PYTHON=${TEST_PYTHON:-/usr/bin/python3}
PORT=${PORT:-8080}
CAM_PORT=${CAM_PORT:-8554}
CODEC=${CODEC:-h264}

if [ ! -f "$MODULE" ]; then
    echo "demo: $MODULE not built; run make" >&2
    exit 1
fi

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

for p in "$PORT" "$CAM_PORT"; do
    if port_busy "$p"; then
        echo "demo: port $p is in use (set PORT= or CAM_PORT=)" >&2
        exit 1
    fi
done

DIR=$(mktemp -d /tmp/nginx-rtc-demo.XXXXXX)
CAM_PID=
NGX_PID=

cleanup() {
    trap - INT TERM EXIT
    echo
    if [ -n "$NGX_PID" ] && kill -0 "$NGX_PID" 2>/dev/null; then
        kill -QUIT "$NGX_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$NGX_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$NGX_PID" 2>/dev/null || true
    fi
    if [ -n "$CAM_PID" ] && kill -0 "$CAM_PID" 2>/dev/null; then
        kill -TERM "$CAM_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$CAM_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$CAM_PID" 2>/dev/null || true
    fi
    if grep -E '\[(alert|emerg|crit)\]|signal 11|exited on signal|Sanitizer' \
            "$DIR/error.log" 2>/dev/null; then
        echo "demo: errors above; logs kept in $DIR" >&2
    else
        rm -rf "$DIR"
    fi
}

trap cleanup EXIT
trap 'exit 130' INT TERM

"$PYTHON" "$REPO/t/lib/camera.py" --host 127.0.0.1 --port "$CAM_PORT" \
    --path /cam --codec "$CODEC" --size 1280x720 --fps 25 --gop 50 \
    > "$DIR/camera.out" 2> "$DIR/camera.log" &
CAM_PID=$!

for _ in $(seq 150); do
    grep -q '^READY' "$DIR/camera.out" && break
    kill -0 "$CAM_PID" 2>/dev/null || break
    sleep 0.1
done

if ! grep -q '^READY' "$DIR/camera.out"; then
    echo "demo: the camera did not start:" >&2
    cat "$DIR/camera.log" >&2
    exit 1
fi

sed -e "s|%%MODULE%%|$MODULE|g" -e "s|%%PREFIX%%|$DIR|g" \
    -e "s|%%REPO%%|$REPO|g" -e "s|%%PORT%%|$PORT|g" \
    -e "s|%%CAMPORT%%|$CAM_PORT|g" \
    "$REPO/examples/nginx-demo.conf" > "$DIR/nginx.conf"

"$NGINX" -p "$DIR/" -c "$DIR/nginx.conf" -e "$DIR/error.log" &
NGX_PID=$!

for _ in $(seq 100); do
    port_busy "$PORT" && break
    kill -0 "$NGX_PID" 2>/dev/null || break
    sleep 0.1
done

if ! port_busy "$PORT"; then
    echo "demo: nginx did not start:" >&2
    tail -20 "$DIR/error.log" >&2 || true
    exit 1
fi

cat <<EOT
camera: rtsp://127.0.0.1:$CAM_PORT/cam ($CODEC, 1280x720, 25 fps)
nginx:  $DIR/nginx.conf (error log: $DIR/error.log)
status: http://127.0.0.1:$PORT/rtc/status

open http://127.0.0.1:$PORT/player/whep-player.html?src=/whep/cam

Ctrl-C stops.
EOT

wait "$NGX_PID"
