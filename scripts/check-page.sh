#!/usr/bin/env bash
# The page of `transformer serve` in a real headless browser (Chromium from Debian's packages):
# start the server on a free port with the bundled de→en model, load GET /?text=… (which
# translates at once), and check in the rendered DOM that the translation and the heat map appear.
# Then SIGTERM the server and check that it exits 0. With SCREENSHOT=FILE it also saves a PNG.
# Run by .ci/run after the tests; by hand: bash scripts/check-page.sh (after swift build -c release).
set -euo pipefail
cd "$(dirname "$0")/.."
server=.build/release/transformer-serve
browser=$(command -v chromium || command -v chromium-browser || true)
[ -x "$server" ] || { echo "check-page: $server is not built (swift build -c release --product transformer-serve)"; exit 1; }
[ -n "$browser" ] || { echo "check-page: chromium is not installed (apt-get install -y chromium)"; exit 1; }
work=$(mktemp -d)
"$server" --model models/multi30k-de-en --port 0 > "$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/server.log" | head -1)
  [ -n "$port" ] && break
  kill -0 $pid 2>/dev/null || { cat "$work/server.log"; echo "check-page: the server exited"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "check-page: the server did not start"; exit 1; }
url="http://127.0.0.1:$port/?text=Zwei%20Hunde%20spielen%20im%20Schnee."
flags=(--headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile" --virtual-time-budget=30000)
timeout 120 "$browser" "${flags[@]}" --dump-dom "$url" > "$work/dom.html" 2> "$work/browser.log" || true
translation=$(sed -n 's|.*<div id="translation">\([^<]*\)</div>.*|\1|p' "$work/dom.html" | head -1)
cells=$(grep -o 'class="cell"' "$work/dom.html" | wc -l)
echo "check-page: translation '$translation', heat map cells: $cells"
fail=0
case "$translation" in *dog*) ;; *) echo "check-page: FAILED: no translation with 'dog' in the page"; fail=1 ;; esac
[ "$cells" -gt 20 ] || { echo "check-page: FAILED: no heat map"; fail=1; }
if [ -n "${SCREENSHOT:-}" ]; then
  timeout 120 "$browser" "${flags[@]}" --hide-scrollbars --window-size=1100,1250 --screenshot="$SCREENSHOT" "$url" 2>> "$work/browser.log" || true
  [ -s "$SCREENSHOT" ] && echo "check-page: screenshot in $SCREENSHOT"
fi
kill -TERM $pid
status=0
wait $pid || status=$?
[ $status -eq 0 ] || { echo "check-page: FAILED: the server exited $status on SIGTERM"; fail=1; }
if [ $fail -ne 0 ]; then tail -20 "$work/browser.log"; exit 1; fi
echo "check-page: the page translates and shows the heat map; SIGTERM exits 0"
