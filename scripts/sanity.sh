#!/usr/bin/env bash
# ansible-test sanity on exactly what ships: the Galaxy artifact, unpacked into an
# ansible_collections/mtls/clb tree (ansible-test needs that path). Dev-only paths (emulator/,
# bench/, scripts/ ...) are excluded by galaxy.yml's build_ignore, as in the artifact.
# ansible-test bootstraps pip from a host we cannot reach; we pre-seed its cache with a stand-in
# that uses ensurepip and the configured package index instead.
# VENV (default .venv) picks the virtualenv whose ansible-core runs the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-$PWD/.venv}/bin"
PY="$BIN/python"
pyver="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# 1. Seed ~/.ansible/test/cache/get_pip_<version>.py for every pip version ansible-test may ask for.
reqs="$("$PY" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')"
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for v in $(grep -oE "pip='[0-9.]+'" "$reqs" | grep -oE "[0-9.]+" | sort -u); do
  cat > "$cache/get_pip_${v//./_}.py" <<'PYEOF'
"""Offline stand-in for get-pip.py: ensurepip, then pip install with the given arguments."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PYEOF
done

# 2. Build the artifact and unpack it. ansible-test lists files with git when it finds a
#    repository above the tree (ours ignores build/), so the tree gets a repository of its own.
# A fresh folder per run, so two runs at once never read each other's half-unpacked tree.
mkdir -p "$PWD/build"
root="$(mktemp -d "$PWD/build/sanity.XXXXXX")"
trap 'rm -rf "$root"' EXIT
tree="$root/ansible_collections/mtls/clb"
mkdir -p "$tree"
"$BIN/ansible-galaxy" collection build --force --output-path "$root" . >/dev/null
tar -xzf "$root"/mtls-clb-*.tar.gz -C "$tree"
git -C "$tree" init -q
git -C "$tree" add -A

# 3. Run it.
cd "$tree"
"$BIN/ansible-test" sanity --local --python "$pyver" --requirements --color no "$@"
