#!/usr/bin/env bash
# ansible-test sanity, offline-safe.
# ansible-test wants the collection at .../ansible_collections/mtls/clb and bootstraps pip from
# a host we cannot reach; we copy the tracked tree into such a path and pre-seed the bootstrap
# script with one that uses ensurepip + the configured package index instead.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.venv/bin"
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

# 2. A clean ansible_collections/mtls/clb tree holding exactly the files git knows about.
tree="$PWD/build/sanity/ansible_collections/mtls/clb"
rm -rf "$tree"
mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$tree"

# 3. Run it.
cd "$tree"
exec "$BIN/ansible-test" sanity --local --python "$pyver" --requirements --color no "$@"
