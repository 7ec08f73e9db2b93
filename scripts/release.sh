#!/usr/bin/env bash
# The versioned release: dist/toolkit-<version>-py3-none-any.whl (the package, its Word and Excel templates and
# the VBA module inside) and dist/toolkit-<version>-docs.zip (README, docs/ and scripts/ for the IT person: the
# Windows set-up, the scheduled sync). Built from a clean copy of the sources, so nothing of a working checkout
# (caches, .venv, outputs) reaches the artefacts. Needs the set-up's .venv (bash scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
VERSION=$($PY -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
git ls-files -z pyproject.toml README.md toolkit docs scripts | xargs -0 -I{} cp --parents {} "$STAGE"
DIST=$(realpath -m "${1:-dist}")  # the artefacts' folder (tests build into a temporary one)
mkdir -p "$DIST"
$PY -m build --wheel --no-isolation --outdir "$DIST" "$STAGE" >"$STAGE/build.log" 2>&1 \
  || { tail -n 20 "$STAGE/build.log" >&2; exit 1; }
# Python's zipfile, not zip(1): a fresh Debian has Python, not necessarily zip.
(cd "$STAGE" && "$OLDPWD/$PY" -c 'import sys, zipfile, pathlib
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for top in ("README.md", "docs", "scripts"):
        for p in sorted([pathlib.Path(top), *pathlib.Path(top).rglob("*")]):
            if p.is_file():
                z.write(p)' "$DIST/toolkit-$VERSION-docs.zip")
echo "release: $DIST/toolkit-$VERSION-py3-none-any.whl"
echo "release: $DIST/toolkit-$VERSION-docs.zip"
