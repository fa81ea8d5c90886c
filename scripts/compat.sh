#!/usr/bin/env bash
# `make compat`: the demo (site.yml twice against the emulator; the second run must change nothing)
# and ansible-test sanity (scripts/sanity.sh) with the oldest and the newest ansible-core this
# collection supports, each in its own virtualenv under build/compat/. `make test` and the rest of the
# tooling use one ansible-core (.venv); this is what keeps meta/runtime.yml's requires_ansible and
# requirements.txt's range honest. Sanity rules change with ansible-core (2.21's pylint 4 flags what
# 2.19's pylint 3 lets pass), and Galaxy and users' CI run the newer ones.
# The newest run also runs the Linux-client modules (client_bundle, mtls_probe) with the oldest
# Python they support, the way a controller talks to an older client host, and the compile and
# import sanity tests with that Python (tests/config.yml: modules need Python 3.9 or later).
#
# A run is skipped, loudly, when no interpreter for it is installed; the others still count.
# Usage: scripts/compat.sh [CORE ...]   (default: every entry of MATRIX, e.g. scripts/compat.sh 2.17)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

# ansible-core series | controller Pythons it runs on (first found wins) | Linux-client Python ("" = the controller's)
MATRIX=(
  "2.17|python3.12 python3.11 python3.10|"
  "2.21|python3.13 python3.12|python3.9"
)

usable_python() {  # $1: e.g. python3.13; prints the path of one that runs, from PATH or pyenv's versions
  local path
  # A pyenv shim is on PATH for every installed version but runs only the selected ones, hence the glob.
  for path in $(command -v "$1" 2>/dev/null) "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"${1#python}"*/bin/"$1"; do
    [ -x "$path" ] && "$path" -c 'import ensurepip, sys; print(sys.executable)' 2>/dev/null && return 0
  done
  return 1
}

sanity() {  # $1: the venv; $2: the Linux client's Python, or "" for none
  VENV="$1" scripts/sanity.sh || return 1
  [ -n "$2" ] || return 0
  local version
  version=$("$2" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || return 1
  # ansible-test --local looks for python3.X on PATH; this --python comes after sanity.sh's and wins.
  PATH="$(dirname "$2"):$PATH" VENV="$1" scripts/sanity.sh --test compile --test import --python "$version"
}

wanted=("$@")
for core in "${wanted[@]}"; do
  printf '%s\n' "${MATRIX[@]}" | grep -q "^$core|" || { echo "compat: no ansible-core $core in MATRIX" >&2; exit 2; }
done
failed=()
skipped=()
for entry in "${MATRIX[@]}"; do
  IFS='|' read -r core controllers client <<<"$entry"
  if [ "${#wanted[@]}" -gt 0 ] && [[ " ${wanted[*]} " != *" $core "* ]]; then
    continue
  fi
  python=""
  for candidate in $controllers; do
    python=$(usable_python "$candidate") && break
    python=""
  done
  if [ -z "$python" ]; then
    echo "compat: SKIPPED ansible-core $core: none of $controllers is installed" >&2
    skipped+=("$core")
    continue
  fi
  client_python=""
  if [ -n "$client" ]; then
    client_python=$(usable_python "$client") || {
      echo "compat: ansible-core $core: $client is not installed; the Linux client uses the controller's Python" >&2
      client_python=""
    }
  fi

  dir="$ROOT/build/compat/ansible-core-$core"
  venv="$dir/venv"
  mkdir -p "$dir"
  # .installed names the interpreter the venv was made with; another one, or newer requirements, rebuild it.
  if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$python" ] || [ requirements.txt -nt "$venv/.installed" ] \
     || [ emulator/pyproject.toml -nt "$venv/.installed" ]; then
    echo "==> compat: installing ansible-core $core.* with $("$python" --version 2>&1) into ${venv#"$ROOT"/}"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
         -r requirements.txt "ansible-core==$core.*" -e ./emulator >"$dir/install.log" 2>&1; then
      echo "compat: FAILED to install ansible-core $core.*; the end of ${dir#"$ROOT"/}/install.log:" >&2
      tail -n 20 "$dir/install.log" >&2
      failed+=("$core (install)")
      continue
    fi
    echo "$python" >"$venv/.installed"
  fi
  version=$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')
  label="ansible-core $version, controller $("$venv/bin/python" --version 2>&1)"
  [ -z "$client_python" ] || label="$label, Linux client $("$client_python" --version 2>&1)"
  echo "==> compat: make demo with $label"
  if VENV="$venv" DEMO_DIR="$dir/demo" DEMO_CLIENT_PYTHON="$client_python" scripts/demo.sh >"$dir/demo.log" 2>&1; then
    echo "    $(grep '^==> Done in' "$dir/demo.log")"
  else
    echo "compat: FAILED with $label; the end of ${dir#"$ROOT"/}/demo.log:" >&2
    tail -n 40 "$dir/demo.log" >&2
    failed+=("$core (demo)")
  fi

  echo "==> compat: ansible-test sanity with $label"
  sanity_started=$SECONDS
  if sanity "$venv" "$client_python" >"$dir/sanity.log" 2>&1; then
    echo "    ansible-test sanity passed in $((SECONDS - sanity_started)) s."
  else
    echo "compat: ansible-test sanity FAILED with $label; the errors in ${dir#"$ROOT"/}/sanity.log:" >&2
    grep -E '^(ERROR|FATAL)' "$dir/sanity.log" | tail -n 40 >&2 || tail -n 40 "$dir/sanity.log" >&2
    failed+=("$core (sanity)")
  fi
done

[ "${#skipped[@]}" -eq 0 ] || echo "compat: skipped (no interpreter): ${skipped[*]}" >&2
if [ "${#failed[@]}" -gt 0 ]; then
  echo "compat: FAILED for ansible-core ${failed[*]}" >&2
  exit 1
fi
