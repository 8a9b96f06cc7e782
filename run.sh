#!/usr/bin/env bash
# The two commands of a fresh machine:
#   ./run.sh app    installs everything into .venv and starts the app (bundled data, pretrained models, offline)
#   ./run.sh test   installs everything into .venv (and Chromium if missing) and runs every test
# Extra arguments go to streamlit (app) or pytest (test), e.g. ./run.sh test -k latent
#   ./run.sh lint   installs everything into .venv and runs ruff (settings in pyproject.toml); CI runs it first
# What gets installed: requirements.txt, generated from pyproject.toml (the one list of dependencies) by
# scripts/sync_requirements.py. aelab itself is not installed: the app and the tests run from this checkout.
set -euo pipefail
cd "$(dirname "$0")"
VENV="${AELAB_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

install_python_packages() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
  fi
  # Reinstall only when requirements.txt changed since the last install (a change to pyproject.toml's dependencies
  # changes requirements.txt too: tests/unit/test_requirements.py fails while they disagree).
  local stamp="$VENV/.requirements.sha256"
  local wanted
  wanted=$(sha256sum requirements.txt | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -r requirements.txt
    echo "$wanted" > "$stamp"
  fi
}

install_chromium() {
  # Browser tests drive the system Chromium (Playwright's own browser download is not possible offline).
  export AELAB_CHROMIUM="${AELAB_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
  if [ -n "$AELAB_CHROMIUM" ]; then return; fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  if command -v apt-get >/dev/null; then
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
    export AELAB_CHROMIUM="$(command -v chromium)"
  else
    echo "Chromium is needed for the browser tests: install it and set AELAB_CHROMIUM to its path." >&2
    exit 1
  fi
}

case "${1:-}" in
  app)
    shift
    install_python_packages
    exec "$VENV/bin/python" -m streamlit run app.py --server.headless true --browser.gatherUsageStats false "$@"
    ;;
  test)
    shift
    install_python_packages
    install_chromium
    # Two test processes, each taking whole files (a file's browser server and fixtures stay in one process): the
    # browser tests wait on a server and a browser much of the time, so two processes fill 2 cores (measured with the suite of that time: ~8 min, not ~13).
    # AELAB_TEST_WORKERS=0 runs everything in one process.
    workers="${AELAB_TEST_WORKERS:-2}"
    if [ "$workers" = 0 ]; then
      exec "$VENV/bin/python" -m pytest "$@"
    fi
    exec "$VENV/bin/python" -m pytest -n "$workers" --dist loadfile "$@"
    ;;
  lint)
    shift
    install_python_packages
    exec "$VENV/bin/python" -m ruff check "$@"
    ;;
  *)
    echo "usage: ./run.sh app | ./run.sh test [pytest arguments] | ./run.sh lint [ruff arguments]" >&2
    exit 2
    ;;
esac
