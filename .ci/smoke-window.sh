#!/usr/bin/env bash
# Smoke test: build the real binary, start it under Xvfb on a fresh demo
# database, wait for the 救助通 window, take a screenshot. Fails if the window
# never appears. Usage: .ci/smoke-window.sh [screenshot.png]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/smoke.png}
bin=/tmp/jiuzhu-bin
go build -o "$bin" .
tmp=$(mktemp -d)
export JIUZHU_DB="$tmp/smoke.db"
log="$tmp/app.log"
cat > "$tmp/run.sh" <<'INNER'
#!/usr/bin/env bash
"$1" --db "$JIUZHU_DB" >"$2" 2>&1 &
app=$!
found=0
for _ in $(seq 1 120); do
  if ! kill -0 "$app" 2>/dev/null; then break; fi
  if xdotool search --name '救助通' >/dev/null 2>&1; then found=1; break; fi
  sleep 0.5
done
if [ "$found" = 1 ]; then
  sleep 2   # let the first frame paint
  import -window root "$3"
fi
kill "$app" 2>/dev/null || true
wait "$app" 2>/dev/null || true
[ "$found" = 1 ]
INNER
chmod +x "$tmp/run.sh"
if xvfb-run -a -s "-screen 0 1280x800x24" "$tmp/run.sh" "$bin" "$log" "$out"; then
  echo "smoke: window 救助通 appeared; screenshot $out"
  rm -rf "$tmp"
else
  echo "smoke: FAIL: the window 救助通 did not appear within 60 s" >&2
  cat "$log" >&2 || true
  exit 1
fi
