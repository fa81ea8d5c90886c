#!/usr/bin/env bash
# `make demo`: the whole procedure (steps 1-7) against the local CLB emulator, then a second run
# that must change nothing. Needs no sudo and writes only under demo/ in this checkout:
#   demo/emulator/   the emulator's state          demo/pki/       root CA, client and server certificates
#   demo/home-ca/    stands in for /home/ca        demo/*.log      the emulator's and both runs' output
# With --keep (make demo KEEP=1) the emulator keeps running afterwards, to try more against it.
# scripts/compat.sh reuses it with other ansible-core versions: VENV (default .venv) picks the
# virtualenv, DEMO_DIR (default demo/) the folder, DEMO_CLIENT_PYTHON the Linux client's interpreter.
set -euo pipefail
keep=false
case "${1:-}" in
  --keep) keep=true ;;
  "") ;;
  *) echo "usage: $0 [--keep]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
ROOT="$PWD"
DEMO="${DEMO_DIR:-$ROOT/demo}"
BIN="${VENV:-$ROOT/.venv}/bin"
export PATH="$BIN:$PATH"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
# Fewer temporary files per task on the local connection; the demo is many short tasks.
export ANSIBLE_PIPELINING=True
# The SDK ignores NO_PROXY, so a proxy would swallow every call to the local emulator.
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy

for tool in clb-emulator ansible-playbook curl; do
  command -v "$tool" >/dev/null || { echo "demo: $tool not found; run 'make install' first" >&2; exit 1; }
done

started=$SECONDS
# The folder is wiped first: refuse anything that is not a folder inside this checkout.
case "$DEMO" in
  "$ROOT"/?*) ;;
  *) echo "demo: DEMO_DIR must be a folder inside $ROOT, not '$DEMO'" >&2; exit 2 ;;
esac
# An emulator a previous `make demo KEEP=1` left running here would be orphaned by the wipe (its state and env.sh
# gone, its listeners still up): stop it first, and say so. Only a clb-emulator whose state is in this folder.
if [ -f "$DEMO/emulator.ready" ]; then
  old_pid=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["pid"])' \
    "$DEMO/emulator.ready" 2>/dev/null || true)
  if [ -n "$old_pid" ] && kill -0 "$old_pid" 2>/dev/null \
     && tr '\0' ' ' <"/proc/$old_pid/cmdline" 2>/dev/null | grep -q -F -- "--state-dir $DEMO/emulator"; then
    echo "==> Stopping the emulator the previous demo left running (pid $old_pid, make demo KEEP=1)"
    kill -TERM "$old_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$old_pid" 2>/dev/null || break; sleep 0.1; done
  fi
fi
rm -rf "$DEMO"
mkdir -p "$DEMO"
chmod 0700 "$DEMO"

# A throwaway key pair for this demo only. The playbook gets it the way it would get real keys:
# from ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET.
# Assigned first, exported after: `export X="$(cmd)"` would hide a failing cmd from set -e.
ALIBABA_CLOUD_ACCESS_KEY_ID="LTAIdemo$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
ALIBABA_CLOUD_ACCESS_KEY_SECRET="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
export ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET

# Root may bind port 443 itself; anyone else gets the listener on 443 + offset.
offset=0
[ "$(id -u)" -eq 0 ] || offset=10000

echo "==> Starting the local CLB emulator with two demo backends (ECS01, ECS02)"
CLB_EMULATOR_ACCESS_KEY_SECRET="$ALIBABA_CLOUD_ACCESS_KEY_SECRET" \
  clb-emulator --host 127.0.0.1 --port 0 --state-dir "$DEMO/emulator" \
    --access-key-id "$ALIBABA_CLOUD_ACCESS_KEY_ID" --demo-backends 2 --listener-port-offset "$offset" \
    >"$DEMO/emulator.ready" 2>"$DEMO/emulator.log" &
emulator_pid=$!
stop_emulator() {
  if kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$emulator_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$emulator_pid" 2>/dev/null || true
    echo "==> Emulator stopped"
  fi
}
trap stop_emulator EXIT

for _ in $(seq 300); do
  grep -q '"event": *"ready"' "$DEMO/emulator.ready" 2>/dev/null && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    echo "demo: the emulator exited before it was ready:" >&2
    cat "$DEMO/emulator.log" >&2
    exit 1
  fi
  sleep 0.1
done
grep -q '"event": *"ready"' "$DEMO/emulator.ready" || { echo "demo: emulator not ready after 30 s" >&2; exit 1; }

# Everything only known now (endpoint, ECS IDs) goes to the playbook as extra vars.
python3 - "$DEMO" "$offset" <<'PYEOF'
import grp, json, os, pwd, secrets, sys
demo, offset = sys.argv[1], int(sys.argv[2])
with open(os.path.join(demo, "emulator.ready")) as ready_file:
    ready = json.loads(next(line for line in ready_file if '"ready"' in line))
instances = ready["ecs_instances"]
extra_vars = {
    "mtls_clb_endpoint": ready["api_url"],
    "mtls_clb_backend_servers": [instance["instance_id"] for instance in instances],
    "mtls_clb_pki_dir": os.path.join(demo, "pki"),
    "mtls_clb_client_directory": os.path.join(demo, "home-ca"),
    "mtls_clb_listener_port_offset": offset,
    "client_install_owner": pwd.getpwuid(os.getuid()).pw_name,
    "client_install_group": grp.getgrgid(os.getgid()).gr_name,
    # The .p12 files need a password; this file (0600, demo/ is 0700) is the only place it is kept.
    "mtls_clb_pkcs12_password": secrets.token_urlsafe(16),
}
if os.environ.get("DEMO_CLIENT_PYTHON"):
    extra_vars["mtls_clb_demo_client_python"] = os.environ["DEMO_CLIENT_PYTHON"]
with open(os.open(os.path.join(demo, "extra-vars.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
    json.dump(extra_vars, out, indent=2)
print("    endpoint %s; backends %s" % (ready["api_url"], ", ".join(
    "%s=%s" % (i["instance_name"], i["instance_id"]) for i in instances)))
PYEOF

run_site() {  # $1: log file
  ansible-playbook site.yml -i playbooks/inventory/demo.yml -e "@$DEMO/extra-vars.json" 2>&1 | tee "$1"
  return "${PIPESTATUS[0]}"
}

echo "==> Run 1: ansible-playbook site.yml (steps 1-7)"
run1_started=$SECONDS
run_site "$DEMO/run1.log"
run1_seconds=$((SECONDS - run1_started))

echo "==> Run 2: the same playbook again (must report changed=0)"
run2_started=$SECONDS
run_site "$DEMO/run2.log"
run2_seconds=$((SECONDS - run2_started))

echo
echo "==> Verification table (step 7, run 1)"
sed -n '/TASK \[mtls.clb.mtls_verify : Show the distribution/,/^TASK /p' "$DEMO/run1.log" \
  | sed -n 's/^ *- //p'
echo
echo "==> Recap of run 2"
sed -n '/^PLAY RECAP/,/^$/p' "$DEMO/run2.log"
if grep -E '^[^ ].*: ok=' "$DEMO/run2.log" | grep -vqE 'changed=0 '; then
  echo "demo: FAILED - the second run changed something (see $DEMO/run2.log)" >&2
  exit 1
fi
echo "==> Done in $((SECONDS - started)) s (run 1: ${run1_seconds} s, run 2: ${run2_seconds} s); second run changed=0."
if $keep; then
  trap - EXIT
  # The demo's throwaway keys, for a shell that wants to run more plays against this emulator.
  (umask 077; printf 'export ALIBABA_CLOUD_ACCESS_KEY_ID=%q ALIBABA_CLOUD_ACCESS_KEY_SECRET=%q\n' \
    "$ALIBABA_CLOUD_ACCESS_KEY_ID" "$ALIBABA_CLOUD_ACCESS_KEY_SECRET" >"$DEMO/env.sh")
  api_url=$(python3 -c 'import json,sys; print(next(json.loads(l) for l in open(sys.argv[1]) if "\"ready\"" in l)["api_url"])' "$DEMO/emulator.ready")
  cat <<KEEPEOF
==> The emulator keeps running (pid $emulator_pid, API $api_url). To try more against it:
    source ${DEMO#"$ROOT"/}/env.sh; export ANSIBLE_CONFIG=\$PWD/ansible.cfg PATH=$BIN:\$PATH; unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy
    ansible-playbook site.yml -i playbooks/inventory/demo.yml -e @${DEMO#"$ROOT"/}/extra-vars.json --check --diff
    ansible-playbook site.yml -i playbooks/inventory/demo.yml -e @${DEMO#"$ROOT"/}/extra-vars.json -e mtls_verify_requests=40
    curl -s $api_url/_emulator/calls      # every API call the runs made
    kill $emulator_pid                        # when done
KEEPEOF
fi
