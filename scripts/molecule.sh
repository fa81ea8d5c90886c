#!/usr/bin/env bash
# `make molecule`: every scenario of extensions/molecule (the emulator is started once by the default
# scenario and shared). It runs inside a private mount namespace with a tmpfs on /home, so the roles
# use the real default /home/ca without touching the host's /home: `unshare --mount` as root, an
# unprivileged user namespace (`unshare -rm`) otherwise.
# Arguments are passed to `molecule test` (default: --all), e.g. scripts/molecule.sh -s site.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy

# Throwaway keys for the emulator; the roles read them from the environment as they would real ones.
# Assigned first, exported after: `export X="$(cmd)"` would hide a failing cmd from set -e.
ALIBABA_CLOUD_ACCESS_KEY_ID="molecule$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
ALIBABA_CLOUD_ACCESS_KEY_SECRET="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
export ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET
# Inside a user namespace we are root in name only: ports below 1024 stay closed.
if [ "$(id -u)" -eq 0 ]; then
  export MOLECULE_LISTENER_PORT_OFFSET=0
  namespace=(unshare --mount --propagation private)
else
  export MOLECULE_LISTENER_PORT_OFFSET=10000
  namespace=(unshare --map-root-user --mount --propagation private)
  # $HOME may live under /home, which the tmpfs hides: keep Ansible's and molecule's state here.
  export ANSIBLE_HOME="$PWD/build/molecule-home/ansible" XDG_CACHE_HOME="$PWD/build/molecule-home/cache"
  export ANSIBLE_LOCAL_TEMP="$PWD/build/molecule-home/tmp" ANSIBLE_REMOTE_TEMP="$PWD/build/molecule-home/tmp"
  mkdir -p "$ANSIBLE_HOME" "$XDG_CACHE_HOME" "$ANSIBLE_LOCAL_TEMP"
fi
[ "$#" -gt 0 ] || set -- --all

exec "${namespace[@]}" bash -c 'mount -t tmpfs -o mode=0755 molecule-home /home && exec molecule test "$@"' molecule-ns "$@"
