#!/usr/bin/env bash
# The translation catalogues with Babel: extract every marked message, update each language's .po, compile .mo.
#
#   scripts/i18n.sh            extract + update + compile (run after adding or changing a message)
#   scripts/i18n.sh compile    compile only (the .po files are the source; the .mo files ship in the wheel)
#
# Markers (lstm_viz/i18n.py): t(lang, msg), tn(lang, one, many, n), msg(msg), N_(msg); tr(msg) and
# trn(one, many, n) in lstm_viz/ui. A new language: pybabel init -D lstm_viz -i lstm_viz/locale/lstm_viz.pot
# -d lstm_viz/locale -l <ll_CC>, translate its .po, add it to lstm_viz.i18n.LANGUAGES.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
LOCALE=lstm_viz/locale
if [ "${1:-all}" != "compile" ]; then
  "$PYBABEL" -q extract -F babel.cfg --no-location --sort-output --omit-header \
    -k t:2 -k tn:2,3 -k msg -k N_ -k tr -k trn:1,2 -o "$LOCALE/lstm_viz.pot" .
  "$PYBABEL" -q update -D lstm_viz -i "$LOCALE/lstm_viz.pot" -d "$LOCALE" --no-fuzzy-matching \
    --ignore-obsolete
fi
"$PYBABEL" -q compile -D lstm_viz -d "$LOCALE" --statistics
