#!/usr/bin/env bash
# Sets up a fresh Debian machine (Python 3.11) for toolkit: the system packages for PDF output
# (LibreOffice Writer and Calc, Japanese fonts, poppler for the PDF tests) and a virtual environment in .venv
# with toolkit and its test dependencies. Safe to run again: it installs only what is missing.
# It says what it is doing at each step; pip's full output goes to .venv/setup-pip.log (shown if pip fails).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libreoffice-writer-nogui libreoffice-calc-nogui fonts-ipaexfont fonts-ipafont poppler-utils fontconfig)

step() { printf 'setup: [%s/4] %s\n' "$1" "$2"; }

step 1 "システムのパッケージ（LibreOffice・日本語フォント・poppler）"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup:       入れます: ${missing[*]}（数分かかります）"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "setup: root（または sudo）が必要です: ${missing[*]}" >&2; exit 1; fi
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup:       入っています"
fi

PYTHON="${PYTHON:-python3}"
step 2 "Python の仮想環境（.venv）"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  echo "setup:       作りました"
else
  echo "setup:       あります"
fi

LOG=.venv/setup-pip.log
: > "$LOG"
# pip runs quietly into the log; each package it fetches is shown as one line so a first run is never silent.
# setuptools' "Editable installation" notice (about folders named like the package) is not for the user here.
pip_install() {
  PYTHONWARNINGS="ignore:Editable installation" .venv/bin/python -m pip install --disable-pip-version-check \
      --progress-bar off "$@" 2>&1 | tee -a "$LOG" | awk '
        /^Collecting / { sub(/^Collecting /, ""); sub(/ .*/, ""); printf "setup:       ・%s\n", $0; fflush() }
        /^Successfully installed/ { printf "setup:       %d 個のパッケージを入れました\n", NF - 2; fflush() }'
}
fail() { echo "setup: pip が失敗しました。詳しくは $LOG:" >&2; tail -n 20 "$LOG" >&2; exit 1; }

step 3 "pip の更新"
pip_install -q --upgrade pip || fail

step 4 "toolkit と依存パッケージ（openpyxl・python-calamine・docxtpl・msal・xlwings ほか。初回は数分）"
# compat: the project folder on sys.path through a .pth file, instead of setuptools' import hook, whose own import
# is a noticeable part of a short command's start-up (importtime: 14 ms of ~100 ms).
pip_install -e ".[test]" --config-settings editable_mode=compat || fail
# An editable install leaves toolkit's own modules uncompiled, and where PYTHONDONTWRITEBYTECODE is set every
# command would compile them again (a good part of a short command's start-up): compile them once here.
.venv/bin/python -m compileall -q toolkit >/dev/null || true
echo "setup: 完了（.venv/bin/toolkit）"
