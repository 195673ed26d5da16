#!/usr/bin/env bash
# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Print the path of a working python<X.Y> (make test's main line needs one): python<X.Y> on PATH first,
# then pyenv's versions. "Working" means it starts and can make a virtualenv: a pyenv shim for a
# version pyenv has not selected is on PATH but exits 127. Exits 1 with a message when none is found.
set -euo pipefail
version=${1:?usage: find_python.sh X.Y}

works() {
    [ "$("$1" -c 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$version" ]
}

candidates=()
if on_path=$(command -v "python$version" 2>/dev/null); then
    candidates+=("$on_path")
fi
for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version"*/bin/"python$version"; do
    [ -x "$candidate" ] && candidates+=("$candidate")
done
for candidate in "${candidates[@]}"; do
    if works "$candidate"; then
        # A shim works only while pyenv selects that version: print the interpreter it runs.
        "$candidate" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done
echo "No working Python $version found (looked for python$version on PATH and in ${PYENV_ROOT:-$HOME/.pyenv}/versions):" \
    "install it, or run make with PYTHON=/path/to/python$version" >&2
exit 1
