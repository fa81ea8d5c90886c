"""Issuing N client certificates: mtls.clb.pki_client_certificates against
(a) the floor: the same key generation, signing and PKCS#12 in a plain single-process Python loop;
(b) the baseline: a playbook looping community.crypto modules, from a separate venv (build/bench-venv)
    with the `ansible` PyPI package, which bundles community.crypto.
Approaches run round-robin within each repetition so that load from other processes on the machine
spreads over all of them; medians are reported.
"""
from __future__ import annotations

import datetime
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bench import common, report

NAME = "pki-clients"
TITLE = "Issuing client certificates (pki_client_certificates)"
HELP = "100 client certificates at RSA 2048 and 4096: module vs single-process floor vs community.crypto loop"

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "build" / "bench" / NAME
BENCH_VENV = REPO / "build" / "bench-venv"
PASSWORD = "bench-password"
TARGETS = {  # key size -> (max module/floor ratio, min community/module speed-up)
    2048: (0.85, 10.0),
    4096: (0.70, 4.0),
}
UNCHANGED_TARGET_S = 3.0
# Every run's samples are kept here, per client count, key size and approach. The report is
# rendered from it, so a run of one key size (or one without the minutes-long community.crypto
# loop) adds to the results of earlier runs instead of erasing them; each row says when it ran.
SAMPLES_STORE = WORK / "samples.json"


def add_arguments(parser):
    parser.add_argument("--clients", type=int, help="clients per run (default 100, quick 10)")
    parser.add_argument("--key-sizes", type=lambda s: [int(x) for x in s.split(",")],
                        help="comma-separated RSA sizes (default 2048,4096; quick 2048)")
    parser.add_argument("--runs", type=int, help="repetitions of the module and the floor (default 3, quick 1)")
    parser.add_argument("--baseline-runs", type=int,
                        help="repetitions of the community.crypto loop (default 2, quick 1): it takes minutes")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the community.crypto loop")


# --- the CA and the three approaches -------------------------------------------------------------

def make_ca(directory: Path):
    key = rsa.generate_private_key(65537, 4096)  # the guide's root.key
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench root")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ca.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (directory / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def clients(count: int):
    return [{"name": "client%03d" % i, "common_name": "client%03d.example.com" % i} for i in range(count)]


def floor_loop(count, key_size, ca_cert, ca_key, out: Path):
    """The same work the module does per client, serially, with no checks and no Ansible."""
    out.mkdir(parents=True)
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256())
                  .kdf_rounds(20000).build(PASSWORD.encode()))
    now = datetime.datetime.now(datetime.timezone.utc)
    for client in clients(count):
        key = rsa.generate_private_key(65537, key_size)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, client["common_name"])]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
                .sign(ca_key, hashes.SHA256()))
        base = out / client["name"]
        _write(base.with_suffix(".key"), key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()), 0o600)
        _write(base.with_suffix(".crt"), cert.public_bytes(serialization.Encoding.PEM), 0o644)
        _write(base.with_suffix(".p12"), pkcs12.serialize_key_and_certificates(
            client["name"].encode(), key, cert, None, encryption), 0o600)


def _write(path: Path, data: bytes, mode: int):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _ansible_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")}
    env.update(ANSIBLE_PIPELINING="1", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    env.update(extra or {})
    return env


def module_args(count, key_size, ca_dir: Path, out: Path):
    return {"ca_certificate_path": str(ca_dir / "ca.crt"), "ca_private_key_path": str(ca_dir / "ca.key"),
            "directory": str(out), "key_size": key_size, "pkcs12_password": PASSWORD, "clients": clients(count)}


def run_module(args) -> dict:
    cmd = [str(REPO / ".venv" / "bin" / "ansible"), "localhost", "-c", "local", "-i", "localhost,",
           "-m", "mtls.clb.pki_client_certificates", "-a", json.dumps(args), "-o"]
    env = _ansible_env({"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                        "ANSIBLE_PYTHON_INTERPRETER": str(REPO / ".venv" / "bin" / "python")})
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError("pki_client_certificates failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
    return json.loads(proc.stdout[proc.stdout.index("{"):])


def ensure_bench_venv() -> Path:
    python = BENCH_VENV / "bin" / "python"
    if not (BENCH_VENV / "bin" / "ansible-playbook").exists():
        print("creating %s with the ansible package (bundles community.crypto)..." % BENCH_VENV, flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(BENCH_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "ansible", "cryptography"], check=True)
    return python


def bench_venv_versions() -> str:
    out = subprocess.run([str(BENCH_VENV / "bin" / "python"), "-m", "pip", "list", "--format=json"],
                         capture_output=True, text=True).stdout
    versions = {p["name"].lower(): p["version"] for p in json.loads(out or "[]")}
    galaxy = BENCH_VENV.glob("lib/python*/site-packages/ansible_collections/community/crypto/MANIFEST.json")
    crypto_version = "unknown"
    for manifest in galaxy:
        crypto_version = json.loads(manifest.read_text())["collection_info"]["version"]
    return "ansible %s (ansible-core %s), community.crypto %s, cryptography %s" % (
        versions.get("ansible"), versions.get("ansible-core"), crypto_version, versions.get("cryptography"))


def run_community_loop(count, key_size, ca_dir: Path, out: Path, scratch: Path):
    out.mkdir(parents=True)
    python = BENCH_VENV / "bin" / "python"
    config = scratch / "ansible.cfg"
    config.write_text("[defaults]\ninterpreter_python = %s\nstdout_callback = default\n"
                      "collections_path = %s\n" % (python, scratch / "no-collections"))
    variables = scratch / "vars.json"
    variables.write_text(json.dumps({"bench_clients": clients(count), "bench_directory": str(out),
                                     "bench_key_size": key_size, "bench_ca_certificate": str(ca_dir / "ca.crt"),
                                     "bench_ca_private_key": str(ca_dir / "ca.key"),
                                     "bench_pkcs12_password": PASSWORD}))
    cmd = [str(BENCH_VENV / "bin" / "ansible-playbook"), "-i", "localhost,", "-e", "@%s" % variables,
           str(REPO / "bench" / "community_crypto_loop.yml")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_ansible_env({"ANSIBLE_CONFIG": str(config)}),
                          cwd=scratch)
    if proc.returncode != 0:
        raise RuntimeError("community.crypto loop failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])


def check_output(out: Path, count: int, ca_cert) -> None:
    """Every approach must have produced the same set of valid files, or its time means nothing."""
    names = sorted(p.name for p in out.iterdir())
    expected = sorted("%s%s" % (c["name"], ext) for c in clients(count) for ext in (".crt", ".key", ".p12"))
    if names != expected:
        raise RuntimeError("%s holds %d files, expected %d" % (out, len(names), len(expected)))
    for client in clients(count)[:: max(1, count // 10)]:
        cert = x509.load_pem_x509_certificate((out / (client["name"] + ".crt")).read_bytes())
        cert.verify_directly_issued_by(ca_cert)


# --- the benchmark -------------------------------------------------------------------------------

def _cpu_seconds():
    """CPU used by this process and every child it has waited for (the module's workers too)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run(options) -> str:
    count = common.option(options, "clients", 100, 10)
    key_sizes = common.option(options, "key_sizes", [2048, 4096], [2048])
    runs = common.option(options, "runs", 3, 1)
    baseline_runs = 0 if getattr(options, "skip_baseline", False) else common.option(options, "baseline_runs", 2, 1)
    work = common.work_dir(NAME)
    ca_dir = work / "ca"
    ca_cert, ca_key = make_ca(ca_dir)
    if baseline_runs:
        ensure_bench_venv()
    samples = {}
    for key_size in key_sizes:
        timings = {"floor": [], "module": [], "unchanged": [], "community": [], "load": [],
                   "floor_cpu": [], "module_cpu": []}
        for repetition in range(max(runs, baseline_runs)):
            round_dir = work / ("rsa%d-run%d" % (key_size, repetition))
            if repetition < runs:
                own_before, _ = _cpu_seconds()
                elapsed, _ = common.timed(floor_loop, count, key_size, ca_cert, ca_key, round_dir / "floor")
                timings["floor_cpu"].append(_cpu_seconds()[0] - own_before)
                check_output(round_dir / "floor", count, ca_cert)
                timings["floor"].append(elapsed)
                args = module_args(count, key_size, ca_dir, round_dir / "module")
                _, children_before = _cpu_seconds()
                elapsed, result = common.timed(run_module, args)
                timings["module_cpu"].append(_cpu_seconds()[1] - children_before)
                check_output(round_dir / "module", count, ca_cert)
                if result.get("issued") != count:
                    raise RuntimeError("module issued %s of %d" % (result.get("issued"), count))
                timings["module"].append(elapsed)
                elapsed, result = common.timed(run_module, args)
                if result.get("changed") or result.get("issued"):
                    raise RuntimeError("the unchanged re-run changed something")
                timings["unchanged"].append(elapsed)
            if repetition < baseline_runs:
                elapsed, _ = common.timed(run_community_loop, count, key_size, ca_dir, round_dir / "community",
                                    round_dir)
                check_output(round_dir / "community", count, ca_cert)
                timings["community"].append(elapsed)
            shutil.rmtree(round_dir)
            # Other processes on the machine slow every approach; the 1-minute load says how much.
            timings["load"].append(common.load1())
            print("RSA %d repetition %d: %s" % (key_size, repetition + 1, {
                k: "%.1f" % v[-1] for k, v in timings.items() if len(v) > repetition}), flush=True)
        samples[key_size] = timings
    shutil.rmtree(work)
    return render(count, _store(samples, count))


def _store(samples, count):
    """Merge this run's samples into the store; return {key_size: {approach: entry}} for `count`."""
    stored = json.loads(SAMPLES_STORE.read_text()) if SAMPLES_STORE.exists() else {}
    now = common.now_utc()
    for key_size, timings in samples.items():
        row = stored.setdefault("%d/%d" % (count, key_size), {})
        for approach in ("floor", "module", "unchanged", "community", "floor_cpu", "module_cpu"):
            if timings[approach]:
                row[approach] = {"samples": timings[approach], "date": now,
                                 "load": timings["load"][:len(timings[approach])]}
                if approach == "community":
                    row[approach]["versions"] = bench_venv_versions()
    SAMPLES_STORE.parent.mkdir(parents=True, exist_ok=True)
    SAMPLES_STORE.write_text(json.dumps(stored, indent=1))
    rows = {}
    for entry_key, row in stored.items():
        entry_count, key_size = (int(x) for x in entry_key.split("/"))
        if entry_count == count:
            rows[key_size] = row
    return dict(sorted(rows.items()))


def render(count, rows) -> str:
    extra = {"mtls.clb module runs": "`ansible localhost -m mtls.clb.pki_client_certificates` (ansible-core of "
                                     ".venv), pipelining on, workers = every available CPU"}
    versions = sorted({row["community"]["versions"] for row in rows.values() if "community" in row})
    if versions:
        extra["community.crypto baseline"] = "; ".join(versions) + ", in build/bench-venv, same pipelining"
    lines = [report.machine_summary(extra), "",
             "%d clients per run; each run writes `<name>.key`, `<name>.crt`, `<name>.p12` (AES-256/PBKDF2) for "
             "every client, signed by an RSA 4096 CA (the guide's root). Wall times in seconds, median of the "
             "runs, all samples in brackets. Every run's files were checked (count, signatures) before its time "
             "was kept. The machine section above describes the latest run; when each row's samples were taken "
             "is listed below the table." % count, "",
             "| RSA | floor: single-process loop | pki_client_certificates | unchanged re-run | "
             "community.crypto loop | module / floor (target) | community.crypto / module (target) |",
             "|---|---|---|---|---|---|---|"]
    verdicts, provenance, cpu_notes = [], [], []
    for key_size, row in rows.items():
        med = dict((k, statistics.median(v["samples"])) for k, v in row.items())
        if "floor_cpu" in med and "module_cpu" in med:
            cpu_notes.append(
                "RSA %d: the floor used %.1f CPU s (%.2f of a core over its wall time), pki_client_certificates "
                "%.1f CPU s including Ansible and its workers (%.2f cores over its wall time); with both cores free "
                "its wall time could drop to about %.1f s (CPU / 2, a lower bound), %.2f× the floor's CPU time" % (
                    key_size, med["floor_cpu"], med["floor_cpu"] / med["floor"], med["module_cpu"],
                    med["module_cpu"] / med["module"], med["module_cpu"] / 2, med["module_cpu"] / 2 / med["floor_cpu"]))
        max_ratio, min_speedup = TARGETS.get(key_size, (None, None))
        ratio = med["module"] / med["floor"] if "module" in med and "floor" in med else None
        speedup = med["community"] / med["module"] if "community" in med and "module" in med else None

        def cell(name):
            if name not in med:
                return "not run"
            return "**%.2f** [%s]" % (med[name], ", ".join("%.2f" % x for x in row[name]["samples"]))
        lines.append("| %d | %s | %s | %s | %s | %s | %s |" % (
            key_size, cell("floor"), cell("module"), cell("unchanged"), cell("community"),
            ("%.2f×" % ratio + (" (≤ %s)" % max_ratio if max_ratio else "")) if ratio else "not run",
            ("%.1f×" % speedup + (" (≥ %s)" % min_speedup if min_speedup else "")) if speedup else "not run"))
        if ratio and max_ratio:
            verdicts.append("RSA %d: module/floor %.2f× %s target ≤ %s×" % (
                key_size, ratio, "meets" if ratio <= max_ratio else "MISSES", max_ratio))
        if speedup and min_speedup:
            verdicts.append("RSA %d: %.1f× faster than the community.crypto loop, %s target ≥ %s×" % (
                key_size, speedup, "meets" if speedup >= min_speedup else "MISSES", min_speedup))
        if "unchanged" in med:
            verdicts.append("RSA %d: unchanged re-run %.2f s, %s target < %.0f s" % (
                key_size, med["unchanged"], "meets" if med["unchanged"] < UNCHANGED_TARGET_S else "MISSES",
                UNCHANGED_TARGET_S))
        for approach, entry in row.items():
            if approach.endswith("_cpu"):
                continue
            provenance.append("RSA %d, %s: %d run(s) at %s UTC, 1-minute load average after each: %s" % (
                key_size, approach, len(entry["samples"]), entry["date"],
                ", ".join("%.2f" % x for x in entry["load"])))
    lines += ["", "Against the targets of issue 2:", ""] + ["- " + v for v in verdicts]
    if cpu_notes:
        lines += ["", "CPU time, which other processes on the machine do not inflate (medians; process CPU via "
                  "getrusage, the module's including every child process):", ""] + ["- " + n for n in cpu_notes]
    lines += ["", "When the samples were taken (2 cores: a load above 2 means other processes competed for the CPU "
              "and inflated every time in that run; the parallel module suffers most, since it needs both cores):",
              ""] + ["- " + p for p in provenance]
    lines += ["", "Rerun: `.venv/bin/python -m bench pki-clients` (options: `--clients`, `--key-sizes`, `--runs`, "
              "`--baseline-runs`, `--skip-baseline`; `--quick` for a smoke test). The community.crypto venv is "
              "created on first use in `build/bench-venv` from PyPI; samples accumulate in "
              "`build/bench/pki-clients/samples.json` (delete it to start over)."]
    return "\n".join(lines)
