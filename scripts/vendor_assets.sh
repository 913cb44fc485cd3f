#!/usr/bin/env bash
# Refresh the front-end assets vendored into the package (the app must work with no CDN).
# Versions are pinned here; run this, check the pages, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
NHSUK=10.6.1
HTMX=2.0.8
AXE=4.14.1
VEGA=6.4.0
VEGA_LITE=6.4.3
VEGA_EMBED=7.3.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent \
  "nhsuk-frontend@$NHSUK" "htmx.org@$HTMX" "axe-core@$AXE" \
  "vega@$VEGA" "vega-lite@$VEGA_LITE" "vega-embed@$VEGA_EMBED")
static=src/homeflow/web/static
rm -rf "$static/nhsuk" "$static/htmx" "$static/vega"
mkdir -p "$static/nhsuk/assets/images" "$static/htmx" "$static/vega" tests/vendor
nhsuk="$work/node_modules/nhsuk-frontend/dist/nhsuk"
cp "$nhsuk/nhsuk-frontend.min.js" "$static/nhsuk/"
# The Frutiger web font is licensed for NHS.UK's own CDN only: drop its @font-face rules so
# the pages fall back to Arial, as the design system intends, with no outside request.
python3 -c 'import re, sys; sys.stdout.write(re.sub(r"@font-face\{[^}]*assets\.nhs\.uk[^}]*\}", "", sys.stdin.read()))' \
  < "$nhsuk/nhsuk-frontend.min.css" > "$static/nhsuk/nhsuk-frontend.min.css"
cp "$nhsuk"/assets/images/*.svg "$nhsuk"/assets/images/favicon.ico "$static/nhsuk/assets/images/"
cp "$work/node_modules/nhsuk-frontend/LICENSE"* "$static/nhsuk/" 2>/dev/null || true
cp "$work/node_modules/htmx.org/dist/htmx.min.js" "$static/htmx/"
cp "$work/node_modules/htmx.org/LICENSE" "$static/htmx/"
# Charts: vega-embed bundles vega-interpreter, so charts render with no eval (CSP).
for package in vega vega-lite vega-embed; do
  cp "$work/node_modules/$package/build/$package.min.js" "$static/vega/"
  cp "$work/node_modules/$package/LICENSE" "$static/vega/$package.LICENSE"
done
# axe-core is only used by the browser tests, so it lives beside them, not in the package.
cp "$work/node_modules/axe-core/axe.min.js" "$work/node_modules/axe-core/LICENSE" tests/vendor/
echo "nhsuk-frontend $NHSUK, htmx.org $HTMX, axe-core $AXE, vega $VEGA, vega-lite $VEGA_LITE, vega-embed $VEGA_EMBED" > "$static/VERSIONS"
