"""`clb-emulator`: start the local CLB and print one JSON ready line on stdout."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sys
import threading
from pathlib import Path

from . import __version__
from .api_server import DEFAULT_MAX_REQUEST_LINE, MIN_MAX_REQUEST_LINE, ApiServer, EmulatorApp
from .backend import SlbBackend
from .ecs import EcsInstance, EcsRegistry, new_instance_id
from .persistence import ensure_state_dir
from .regions import DEFAULT_ECDSA_REGIONS, REGIONS, parse_region_list
from .signing import Account, Authenticator, StsCredential, sts_credential_from_dict

DEFAULT_ACCESS_KEY_ID = "testAK"
DEFAULT_ACCESS_KEY_SECRET = "testSecret"


def _account_id_for(access_key_id: str) -> str:
    # A stable 16-digit account UID per key, shaped like Alibaba Cloud's.
    return str(int(hashlib.sha256(access_key_id.encode()).hexdigest(), 16))[:16]


def _parse_ecs(value: str) -> tuple[str, str, int]:
    instance_id, sep, target = value.partition("=")
    host, _, port = target.rpartition(":")
    if not sep or not instance_id.startswith("i-") or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"--ecs expects ID=HOST:PORT with ID starting with 'i-', got {value!r}")
    return instance_id, host, int(port)


def _parse_cas_certificate(value: str) -> tuple[str, str, str]:
    cert_id, sep, paths = value.partition("=")
    cert_path, _, key_path = paths.partition(":")
    if not sep or not cert_id or not cert_path or not key_path:
        raise argparse.ArgumentTypeError(f"--cas-certificate expects ID=CERT_PEM_PATH:KEY_PEM_PATH, got {value!r}")
    return cert_id, cert_path, key_path


def _register_cas_certificates(backend: SlbBackend, entries) -> None:
    for cert_id, cert_path, key_path in entries:
        try:
            cert_pem = Path(cert_path).read_text(encoding="utf-8")
            key_pem = Path(key_path).read_text(encoding="utf-8")
            backend.register_cas_certificate(cert_id, cert_pem, key_pem)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise SystemExit(f"--cas-certificate {cert_id}: {error}") from None


def _load_credentials_file(path: str) -> list[Account]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    accounts = []
    for entry in data.get("accounts", []):
        key_id, secret = entry.get("access_key_id"), entry.get("access_key_secret")
        if not key_id or not secret:
            raise SystemExit(f"{path}: every account needs access_key_id and access_key_secret")
        accounts.append(Account(str(entry.get("account_id") or _account_id_for(key_id)), key_id, secret))
    if not accounts:
        raise SystemExit(f"{path}: no accounts (expected {{\"accounts\": [{{\"access_key_id\": ..., "
                         f"\"access_key_secret\": ..., \"account_id\": optional}}]}})")
    return accounts


def _load_sts_credentials_file(path: str, accounts: list[Account]) -> list[StsCredential]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as error:
        raise SystemExit(f"--sts-credentials {path}: {error}") from None
    entries = data.get("sts_credentials") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SystemExit(f"--sts-credentials {path}: expected {{\"sts_credentials\": [{{\"access_key_id\": "
                         f"\"STS....\", \"access_key_secret\": ..., \"security_token\": ..., \"expiration\": "
                         f"\"2026-01-01T12:00:00Z\"}}]}}")
    credentials = []
    for index, entry in enumerate(entries):
        try:
            credentials.append(sts_credential_from_dict(entry, accounts))
        except ValueError as error:
            raise SystemExit(f"--sts-credentials {path}: entry {index}: {error}") from None
    return credentials


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clb-emulator",
        description="A local Alibaba Cloud Classic Load Balancer: the SLB 2014-05-15 RPC API (both signature "
                    "schemes) and real mutual-TLS HTTPS listeners. Prints one JSON ready line on stdout once it "
                    "accepts API requests; SIGTERM/SIGINT stop it and everything it started.",
        epilog="Testing hooks on the API port: GET /_emulator/calls, GET|POST|DELETE /_emulator/faults, "
               "POST /_emulator/reset, GET|POST /_emulator/ecs, GET|POST /_emulator/cas-certificates, "
               "GET|POST /_emulator/sts-credentials, GET|POST /_emulator/stale-listener-reads, "
               "GET|POST /_emulator/unlisted-new-load-balancer-reads, GET|POST /_emulator/certificate-fingerprints. "
               "See emulator/README.md.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--host", default="127.0.0.1", help="address the API listens on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="API port; 0 picks a free one (default 0)")
    parser.add_argument("--state-dir", required=True,
                        help="directory holding the persisted state (created 0700; holds uploaded keys)")
    parser.add_argument("--access-key-id", default=None,
                        help=f"access key ID accepted by the API (default {DEFAULT_ACCESS_KEY_ID} unless "
                             "--credentials-file is given)")
    parser.add_argument("--access-key-secret", default=None,
                        help="its secret (default testSecret); prefer the CLB_EMULATOR_ACCESS_KEY_SECRET "
                             "environment variable to keep it out of `ps`")
    parser.add_argument("--credentials-file", default=None,
                        help='JSON file {"accounts": [{"access_key_id", "access_key_secret", "account_id"?}]} '
                             "for several accounts; resources are private to their account")
    parser.add_argument("--sts-credentials", default=None, metavar="FILE",
                        help='JSON file {"sts_credentials": [{"access_key_id": "STS.…", "access_key_secret", '
                             '"security_token", "expiration": "YYYY-MM-DDTHH:MM:SSZ" (or "expires_in_seconds"), '
                             '"account_access_key_id"?}]}: temporary credentials; requests signed with such a key '
                             "must carry its token, and a permanent key must carry none")
    parser.add_argument("--ecs", action="append", default=[], type=_parse_ecs, metavar="ID=HOST:PORT",
                        help="register a running ECS instance of --default-region whose service on the "
                             "listener's backend port is reachable at HOST:PORT (repeatable); its IP is HOST")
    parser.add_argument("--cas-certificate", action="append", default=[], type=_parse_cas_certificate,
                        metavar="ID=CERT_PEM_PATH:KEY_PEM_PATH",
                        help="put a certificate and its key into the emulated SSL Certificates Service under ID "
                             "(named ID, in --default-region), so UploadServerCertificate can import it by "
                             "AliCloudCertificateId (repeatable)")
    parser.add_argument("--demo-backends", type=int, default=0, metavar="N",
                        help="start N demo backend apps (ECS01, ECS02, ...) answering with their name, health "
                             "path /health, and register them as running instances (default 0)")
    parser.add_argument("--listener-port-offset", type=int, default=0, metavar="N",
                        help="a listener on port P binds Address:(P+N), so non-root users can serve port 443 "
                             "(default 0)")
    parser.add_argument("--allow-pay-by-spec", action="store_true",
                        help="accept CreateLoadBalancer with InstanceChargeType=PayBySpec (the API default), as "
                             "for an account before the end of sale; by default it is refused like the real "
                             "service's new purchases")
    parser.add_argument("--listener-transition-ms", type=int, default=0, metavar="MS",
                        help="StartLoadBalancerListener leaves the listener 'starting' for MS milliseconds before "
                             "it is 'running'; meanwhile Start answers Operation.Deny and Set/Delete "
                             "OperationFailed.ListenerStatusNotSupport (default 0: running at once)")
    parser.add_argument("--max-request-line", type=int, default=DEFAULT_MAX_REQUEST_LINE, metavar="BYTES",
                        help="answer an API request whose request line (method, URL with its query, version) is "
                             "longer than BYTES with 414 and an HTML page, as a gateway would "
                             f"({MIN_MAX_REQUEST_LINE}-{DEFAULT_MAX_REQUEST_LINE}; default "
                             f"{DEFAULT_MAX_REQUEST_LINE})")
    parser.add_argument("--default-region", default="cn-hangzhou", choices=sorted(REGIONS),
                        help="region used when an action's optional RegionId is omitted (default cn-hangzhou)")
    parser.add_argument("--ecdsa-regions", type=_parse_ecdsa_regions, default=DEFAULT_ECDSA_REGIONS,
                        metavar="REGION[,REGION...]",
                        help="regions whose UploadServerCertificate takes an ECDSA (EC) certificate; elsewhere it "
                             "answers EccCertificateNotSupport. 'all' for every region (default: none, as "
                             "CLB's current certificate docs say RSA only; the 2019-2021 docs named eu-west-1)")
    return parser


def _parse_ecdsa_regions(value: str) -> frozenset:
    try:
        return parse_region_list(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--ecdsa-regions: {error}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 <= args.listener_port_offset < 65535:
        raise SystemExit("--listener-port-offset must be between 0 and 65534")
    if args.demo_backends < 0 or args.demo_backends > 99:
        raise SystemExit("--demo-backends must be between 0 and 99")
    if not 0 <= args.listener_transition_ms <= 600000:
        raise SystemExit("--listener-transition-ms must be between 0 and 600000")
    if not MIN_MAX_REQUEST_LINE <= args.max_request_line <= DEFAULT_MAX_REQUEST_LINE:
        raise SystemExit(f"--max-request-line must be between {MIN_MAX_REQUEST_LINE} and {DEFAULT_MAX_REQUEST_LINE}")
    accounts = []
    if args.credentials_file:
        accounts.extend(_load_credentials_file(args.credentials_file))
    if args.access_key_id or args.access_key_secret or not accounts:
        key_id = args.access_key_id or DEFAULT_ACCESS_KEY_ID
        secret = (args.access_key_secret or os.environ.get("CLB_EMULATOR_ACCESS_KEY_SECRET")
                  or DEFAULT_ACCESS_KEY_SECRET)
        if key_id not in {a.access_key_id for a in accounts}:  # an account of the file wins
            accounts.insert(0, Account(_account_id_for(key_id), key_id, secret))
    sts_credentials = _load_sts_credentials_file(args.sts_credentials, accounts) if args.sts_credentials else []
    try:
        authenticator = Authenticator(accounts, sts_credentials)
    except ValueError as error:
        raise SystemExit(str(error)) from None

    state_dir = ensure_state_dir(args.state_dir)
    ecs = EcsRegistry()
    backend = SlbBackend(state_dir, ecs, default_region=args.default_region,
                         allow_pay_by_spec=args.allow_pay_by_spec,
                         listener_transition_ms=args.listener_transition_ms, ecdsa_regions=args.ecdsa_regions)
    _register_cas_certificates(backend, args.cas_certificate)
    for instance_id, host, port in args.ecs:
        ecs.register(EcsInstance(instance_id, instance_id, host, port, "Running", region=args.default_region))
    demo_ids = backend.state["demo_ecs_ids"]
    for index in range(1, args.demo_backends + 1):
        name = f"ECS{index:02d}"
        previous = demo_ids.get(name)
        instance_id = previous["instance_id"] if previous else new_instance_id()
        instance = ecs.start_demo(name, instance_id, port=previous["port"] if previous else 0,
                                  region=args.default_region)
        demo_ids[name] = {"instance_id": instance_id, "port": instance.port}
    backend.save()

    from .dataplane import DataPlane  # the data plane needs the backend's runtime view
    dataplane = DataPlane(backend, ecs, listener_port_offset=args.listener_port_offset)
    app = EmulatorApp(backend, authenticator, ecs, dataplane)
    server = ApiServer((args.host, args.port), app, max_request_line=args.max_request_line)
    dataplane.start()

    stopping = threading.Event()

    def stop(_signum, _frame):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    ready = {"event": "ready", "endpoint": f"{host}:{port}", "api_url": f"http://{host}:{port}",
             "pid": os.getpid(), "state_dir": str(Path(state_dir).resolve()),
             "listener_port_offset": args.listener_port_offset,
             "access_key_ids": [a.access_key_id for a in accounts],
             "sts_access_key_ids": [c.access_key_id for c in sts_credentials], "default_region": args.default_region,
             "ecdsa_regions": sorted(args.ecdsa_regions),
             "ecs_instances": ecs.list()}
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        dataplane.stop()
        ecs.shutdown()
        server.server_close()
        backend.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
