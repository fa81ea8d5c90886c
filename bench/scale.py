"""How time grows: client certificates (1 to 500), site.yml with N Linux client hosts, listeners on
one load balancer (1 and 10), and unrelated resources in the region (a warm site.yml with 0 vs N
foreign certificates and load balancers). Sizes and approaches interleave within each repetition; medians are fitted to
time = constant + per-item × n.
"""
from __future__ import annotations

import datetime
import json
import shutil
from collections import Counter

import yaml
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bench import common, pki_clients, report
from tests.integration.reliability.reliability_harness import SiteUnderTest, verification_passed
from tests.support.ansible_run import run_playbook
from tests.support.emulator import start_emulator
from tests.support.site import DEMO_INVENTORY, PORT_OFFSET, SITE

NAME = "scale"
TITLE = "Scaling: client certificates, Linux client hosts, listeners, unrelated resources"
HELP = ("time against the number of client certificates (1-500), of Linux client hosts in a site.yml run (1-20), "
        "of listeners on one load balancer (1, 10) and of unrelated certificates and load balancers in the region "
        "(0 vs 50); constant + per-item fit")
SERIES = ("clients", "hosts", "listeners", "unrelated")

LISTENERS_PLAYBOOK = common.REPO / "bench" / "baselines" / "listeners.yml"
FIRST_LISTENER_PORT = 443


def _int_list(text):
    return [int(x) for x in text.split(",")]


def add_arguments(parser):
    parser.add_argument("--clients", type=_int_list, help="client counts (default 1,10,100,500; quick 1,10)")
    parser.add_argument("--hosts", type=_int_list, help="Linux client host counts for site.yml (default 1,5,20; quick 1,2)")
    parser.add_argument("--listeners", type=_int_list, help="listener counts (default 1,10; quick 1,3)")
    parser.add_argument("--unrelated", type=int,
                        help="unrelated server certificates, CA certificates and load balancers each (default 50, "
                             "quick 5)")
    parser.add_argument("--runs", type=int, help="repetitions (default 3, quick 1)")
    parser.add_argument("--only", choices=SERIES, action="append",
                        help="run only this series (repeatable); the others keep their last results")


# --- what every series does: sizes in alternating order, samples per phase and size ----------------

def measure_series(series: str, sizes, runs, measure_one):
    """Calls `measure_one(size)`, which returns {phase: seconds}, for every size in each of `runs`
    repetitions. Odd repetitions take the sizes in reverse, so a drift in machine load spreads over
    all sizes instead of landing on the largest. Returns {phase: {size: [seconds, ...]}, "loads":
    [1-minute load after each repetition], "date": ...}, the form render() reads."""
    samples = {}
    loads = []
    for repetition in range(runs):
        order = sizes if repetition % 2 == 0 else list(reversed(sizes))
        for size in order:
            for phase, seconds in measure_one(size).items():
                samples.setdefault(phase, {n: [] for n in sizes})[size].append(seconds)
        loads.append(common.load1())
        print("%s repetition %d: %s (load %.2f)" % (series, repetition + 1, ", ".join(
            "%s %s" % (phase, {n: "%.1f" % v[-1] for n, v in by_size.items()})
            for phase, by_size in samples.items()), loads[-1]), flush=True)
    return {**samples, "loads": loads, "date": common.now_utc()}


# --- series 1: client certificates -----------------------------------------------------------------

def clients_series(counts, runs, work: Path):
    """pki_client_certificates (the module the client_certificates role runs) through `ansible`,
    RSA 2048, issuing N clients into an empty directory, then the unchanged re-run."""
    ca_dir = work / "ca"
    ca_cert, _ = pki_clients.make_ca(ca_dir)

    def issue_then_rerun(count):
        out = work / ("clients-%d" % count)
        args = pki_clients.module_args(count, 2048, ca_dir, out)
        issue_seconds, result = common.timed(pki_clients.run_module, args)
        if result.get("issued") != count:
            raise RuntimeError("pki_client_certificates issued %s of %d" % (result.get("issued"), count))
        pki_clients.check_output(out, count, ca_cert)
        unchanged_seconds, result = common.timed(pki_clients.run_module, args)
        if result.get("changed") or result.get("issued"):
            raise RuntimeError("the unchanged re-run of %d clients changed something" % count)
        shutil.rmtree(out)
        return {"issue": issue_seconds, "unchanged": unchanged_seconds}

    return measure_series("clients", counts, runs, issue_then_rerun)


# --- series 2: site.yml with N Linux client hosts ------------------------------------------------------

HOSTS_VERIFY_REQUESTS = 2  # step 7 needs at least one request per backend; the per-host cost is what grows


def _hosts_inventory(path: Path, count: int) -> Path:
    """The demo inventory with `count` Linux clients instead of client01, each a local connection."""
    inventory = yaml.safe_load(DEMO_INVENTORY.read_text())
    client = inventory["all"]["children"]["linux_clients"]["hosts"]["client01"]
    inventory["all"]["children"]["linux_clients"]["hosts"] = {
        "client%03d" % number: dict(client) for number in range(1, count + 1)}
    path.write_text(yaml.safe_dump(inventory))
    return path


def hosts_series(counts, runs, work: Path):
    """The whole site.yml with N hosts in linux_clients: step 3 issues N certificates, steps 4 and 7
    run on every host (own 0700 directory, own step-7 check; local connections, Ansible's default 5
    forks). Cold on an empty emulator and empty directories, then warm (changed=0, checked)."""
    site = SiteUnderTest(work / "site", verify_requests=HOSTS_VERIFY_REQUESTS)
    # Every host gets its own directory: the stand-ins for each client's /home/ca.
    extra_vars = {**site.extra_vars, "mtls_clb_client_directory": str(site.home_ca) + "/{{ inventory_hostname }}"}

    def cold_then_warm(count):
        inventory = _hosts_inventory(work / ("inventory-%d.yml" % count), count)
        common.make_cold(site)
        seconds = {}
        for phase in ("cold", "warm"):
            seconds[phase], run = common.timed(run_playbook, SITE, inventory=inventory, extra_vars=extra_vars,
                                               env=site.env)
            if run.rc != 0:
                raise RuntimeError("site.yml with %d Linux clients (%s) failed:\n%s\n%s" % (
                    count, phase, run.stdout[-3000:], run.stderr[-2000:]))
            hosts = {name for name in run.stats if name.startswith("client")}
            if len(hosts) != count:
                raise RuntimeError("site.yml ran on %d of %d Linux clients" % (len(hosts), count))
            changed = sum(stats["changed"] for stats in run.stats.values())
            if (phase == "warm") != (changed == 0):
                raise RuntimeError("site.yml %s run with %d Linux clients reported changed=%s" % (phase, count, changed))
        installed = sorted(site.home_ca.glob("client*/client.key"))
        if len(installed) != count:
            raise RuntimeError("%d of %d Linux clients got client.key" % (len(installed), count))
        return seconds

    try:
        return measure_series("hosts", counts, runs, cold_then_warm)
    finally:
        site.stop()


# --- series 3: listeners on one load balancer --------------------------------------------------------

def _self_signed_certificate(key, common_name: str, is_ca: bool) -> bytes:
    """PEM of a 30-day certificate that `key` signs itself: enough for an upload, trusted by nobody."""
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=30)))
    if is_ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _certificate_files(directory: Path):
    """A client CA and a server certificate (RSA 2048) for the listeners' uploads."""
    directory.mkdir(parents=True)
    paths = {}
    for name in ("ca", "server"):
        key = rsa.generate_private_key(65537, 2048)
        (directory / ("%s.crt" % name)).write_bytes(_self_signed_certificate(key, "bench %s" % name,
                                                                             is_ca=(name == "ca")))
        key_path = directory / ("%s.key" % name)
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_path.chmod(0o600)
        paths[name] = directory / ("%s.crt" % name), key_path
    return paths


def listeners_series(counts, runs, work: Path):
    paths = _certificate_files(work / "certificates")
    emulator = start_emulator(work / "emulator", demo_backends=0, listener_port_offset=PORT_OFFSET)
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": emulator.access_key_id,
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emulator.access_key_secret}
    calls = {}

    def cold_then_warm(count):
        extra_vars = {"bench_endpoint": emulator.api_url, "bench_region": emulator.region,
                      "bench_ports": list(range(FIRST_LISTENER_PORT, FIRST_LISTENER_PORT + count)),
                      "bench_server_certificate_path": str(paths["server"][0]),
                      "bench_server_private_key_path": str(paths["server"][1]),
                      "bench_ca_certificate_path": str(paths["ca"][0])}
        emulator.reset()
        seconds = {}
        for phase in ("cold", "warm"):
            before = len(emulator.calls())
            seconds[phase], run = common.timed(run_playbook, LISTENERS_PLAYBOOK, extra_vars=extra_vars, env=env)
            if run.rc != 0:
                raise RuntimeError("listeners.yml (%d listeners, %s) failed:\n%s\n%s" % (
                    count, phase, run.stdout[-3000:], run.stderr[-2000:]))
            changed = run.stats.get("localhost", {}).get("changed")
            if (phase == "warm") != (changed == 0):
                raise RuntimeError("listeners.yml %s run of %d listeners reported changed=%s" % (
                    phase, count, changed))
            calls["%d %s" % (count, phase)] = common.calls_by_action(emulator.calls()[before:])
        _check_listeners(emulator, count)
        return seconds

    try:
        return {**measure_series("listeners", counts, runs, cold_then_warm), "calls": calls}
    finally:
        emulator.stop()


def _check_listeners(emulator, count):
    from alibabacloud_slb20140515 import models

    client = emulator.sdk_client()
    lbs = client.describe_load_balancers(models.DescribeLoadBalancersRequest(region_id=emulator.region)).body
    (lb,) = lbs.load_balancers.load_balancer
    attribute = client.describe_load_balancer_attribute(models.DescribeLoadBalancerAttributeRequest(
        region_id=emulator.region, load_balancer_id=lb.load_balancer_id)).body
    ports = sorted(item.listener_port for item in attribute.listener_ports_and_protocol.listener_port_and_protocol)
    if ports != list(range(FIRST_LISTENER_PORT, FIRST_LISTENER_PORT + count)):
        raise RuntimeError("expected %d listeners, the load balancer has ports %s" % (count, ports))


# --- series 4: unrelated resources in the region -----------------------------------------------------

def _crowd(site: SiteUnderTest, count: int) -> None:
    """`count` server certificates, CA certificates and load balancers that site.yml must ignore."""
    key = rsa.generate_private_key(65537, 2048)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    for index in range(count):
        cert = _self_signed_certificate(key, "unrelated-%d.example" % index, is_ca=True).decode()
        site.api("UploadServerCertificate", ServerCertificate=cert, PrivateKey=key_pem,
                 ServerCertificateName="unrelated-server-%d" % index)
        site.api("UploadCACertificate", CACertificate=cert, CACertificateName="unrelated-ca-%d" % index)
        site.api("CreateLoadBalancer", LoadBalancerName="unrelated-lb-%d" % index, AddressType="internet",
                 InstanceChargeType="PayByCLCU")


def unrelated_series(unrelated, runs, work: Path):
    """Warm site.yml (RSA 2048, 6 verification requests) in a region holding only its own resources
    and in one that also holds `unrelated` of each kind; A and B alternate."""
    sites = {0: SiteUnderTest(work / "clean"), unrelated: SiteUnderTest(work / "crowded")}
    calls = {}

    def warm_run(count):
        site = sites[count]
        before = len(site.emulator.calls())
        seconds, run = common.timed(site.run)
        verification_passed(run)
        if any(stats["changed"] for stats in run.stats.values()):
            raise RuntimeError("the warm run with %d unrelated resources changed something" % count)
        calls[count] = common.calls_by_action(site.emulator.calls()[before:])
        return {"warm": seconds}

    try:
        _crowd(sites[unrelated], unrelated)
        for site in sites.values():
            verification_passed(site.run())  # the cold run that puts everything in place
        return {**measure_series("unrelated", list(sites), runs, warm_run), "calls": calls, "unrelated": unrelated}
    finally:
        for site in sites.values():
            site.stop()


# --- the benchmark -------------------------------------------------------------------------------

SAMPLES_STORE = common.REPO / "build" / "bench" / NAME / "samples.json"


def run(options) -> str:
    runs = common.option(options, "runs", 3, 1)
    series = getattr(options, "only", None) or list(SERIES)
    work = common.work_dir(NAME)
    # Each series is stored on its own, so running one series keeps the others' last results.
    stored = json.loads(SAMPLES_STORE.read_text()) if SAMPLES_STORE.exists() else {}
    if "clients" in series:
        stored["clients"] = clients_series(common.option(options, "clients", [1, 10, 100, 500], [1, 10]), runs,
                                           work / "clients")
    if "hosts" in series:
        stored["hosts"] = hosts_series(common.option(options, "hosts", [1, 5, 20], [1, 2]), runs, work / "hosts")
    if "listeners" in series:
        stored["listeners"] = listeners_series(common.option(options, "listeners", [1, 10], [1, 3]), runs,
                                               work / "listeners")
    if "unrelated" in series:
        stored["unrelated"] = unrelated_series(common.option(options, "unrelated", 50, 5), runs, work / "unrelated")
    for name in series:
        stored[name]["quick"] = bool(options.quick)
    shutil.rmtree(work)
    SAMPLES_STORE.parent.mkdir(parents=True, exist_ok=True)
    SAMPLES_STORE.write_text(json.dumps(stored, indent=1))
    return render(json.loads(SAMPLES_STORE.read_text()))


def _fit_line(samples_by_n) -> str:
    points = [(int(n), common.median(v)) for n, v in samples_by_n.items() if v]
    constant, per_item = common.linear_fit(points)
    return "%.2f s + %.3f s × n" % (constant, per_item)


def _fit_sentence(data, phases, note="") -> list[str]:
    fits = "; ".join("%s ≈ %s" % (phase, _fit_line(data[phase])) for phase in phases)
    return ["", "Fit over the medians: %s%s." % (fits, note), ""]


def _section_opening(heading, data, what_was_measured) -> list[str]:
    """Heading, method, and when it ran on how busy a machine: the part every series shares."""
    return ["### " + heading + _quick_mark(data), "",
            "%s Taken %s UTC; 1-minute load average after each repetition: %s." % (
                what_was_measured, data["date"], ", ".join("%.2f" % x for x in data["loads"])), ""]


def _table(columns, rows) -> list[str]:
    return (["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def render(stored) -> str:
    lines = [report.machine_summary(), ""]
    if "clients" in stored:
        data = stored["clients"]
        lines += _section_opening(
            "Client certificates", data,
            "`mtls.clb.pki_client_certificates` (the module the `client_certificates` role runs) through "
            "`ansible localhost -m`, RSA 2048, PKCS#12 AES-256, signed by an RSA 4096 CA; *issue* writes N "
            "clients into an empty directory, *unchanged* is the re-run right after (changed=false, checked). "
            "No client hosts are involved: this measures the controller-side issuing of step 3 only. "
            "Seconds, median **bold**, samples in brackets.")
        lines += _table(["clients", "issue", "unchanged re-run", "issue per client"], [
            (count, common.cell(data["issue"][count]), common.cell(data["unchanged"][count]),
             "%.3f s" % (common.median(data["issue"][count]) / int(count))) for count in data["issue"]])
        lines += _fit_sentence(data, ("issue", "unchanged"))
    if "hosts" in stored:
        data = stored["hosts"]
        lines += _section_opening(
            "Linux client hosts (site.yml end to end)", data,
            "The whole `site.yml` with N hosts in `linux_clients` (local connections, Ansible's default 5 forks): "
            "step 3 issues one certificate per host (RSA 2048), steps 4 and 7 run on every host - its own 0700 "
            "directory, its own step-7 check (%d requests with the client certificate, one without, one with a "
            "foreign certificate). *Cold* on an empty emulator with empty directories, *warm* the re-run "
            "(changed=0, checked; every host's client.key checked). Seconds, median **bold**, samples in "
            "brackets." % HOSTS_VERIFY_REQUESTS)
        lines += _table(["Linux clients", "cold", "warm"], [
            (count, common.cell(data["cold"][count]), common.cell(data["warm"][count])) for count in data["cold"]])
        lines += _fit_sentence(data, ("cold", "warm"), " (n = Linux client hosts)")
        lines += ["Each host adds its own step 4 and step 7 (16 task results on a warm run, two of them module "
                  "runs; its input checks run once, in site.yml's first plays); the constant is the controller's steps 1-3, 5 and 6 and "
                  "Ansible's start.", ""]
    if "listeners" in stored:
        data = stored["listeners"]
        counts = list(data["cold"])
        lines += _section_opening(
            "Listeners on one load balancer", data,
            "`bench/baselines/listeners.yml`: upload a server and a CA certificate, create one load balancer, "
            "then `mtls.clb.https_listener` (mutual authentication, started) looped over N ports; *cold* on an "
            "empty emulator, *warm* the re-run (changed=0, checked; the ports read back with the SDK).")
        calls = {"%s %s" % (n, phase): data["calls"].get("%s %s" % (n, phase), {})
                 for n in counts for phase in ("cold", "warm")}
        lines += _table(["listeners", "cold", "warm", "API calls cold", "API calls warm"], [
            (count, common.cell(data["cold"][count]), common.cell(data["warm"][count]),
             sum(calls["%s cold" % count].values()), sum(calls["%s warm" % count].values())) for count in counts])
        lines += _fit_sentence(data, ("cold", "warm"), " (n = listeners)")
        lines += _calls_table(calls, "listeners")
    if "unrelated" in stored:
        data = stored["unrelated"]
        counts = list(data["warm"])
        lines += _section_opening(
            "Unrelated resources in the region", data,
            "Warm `site.yml` (everything in place; RSA 2048, 6 verification requests) on two emulators: one "
            "holding only what site.yml made, one that also holds %s unrelated server certificates, %s CA "
            "certificates and %s load balancers, created with the SDK before site.yml's first run. The two "
            "alternate within each repetition." % (data["unrelated"], data["unrelated"], data["unrelated"]))
        lines += _table(["unrelated of each kind", "warm site.yml", "API calls"], [
            (count, common.cell(data["warm"][count]), sum(data["calls"][count].values())) for count in counts])
        medians = [common.median(data["warm"][c]) for c in counts]
        same_calls = len({json.dumps(data["calls"][c], sort_keys=True) for c in counts}) == 1
        lines += ["", "With unrelated resources the warm run takes %.2f× the time of the clean region and makes %s "
                  "API calls (per action)." % (medians[-1] / medians[0], "the same" if same_calls else
                                              "DIFFERENT"), ""]
        lines += _calls_table({"%s unrelated" % c: data["calls"][c] for c in counts}, "unrelated")
    lines += ["Rerun: `.venv/bin/python -m bench scale` (options `--clients 1,10,100,500`, `--hosts 1,5,20`, "
              "`--listeners 1,10`, `--unrelated 50`, `--runs`, `--only clients|hosts|listeners|unrelated`; `--quick` for a smoke test). Each "
              "series keeps its last samples in `build/bench/scale/samples.json`, so `--only` re-measures one "
              "series and the section still shows the others. On this 2-core machine a 1-minute load above 2 "
              "means other processes competed for the CPU and stretched the times of that series."]
    return "\n".join(lines)


def _quick_mark(data):
    return " (quick smoke test, not a measurement)" if data.get("quick") else ""


def _calls_table(columns, label):
    actions = sorted(set().union(*(Counter(c) for c in columns.values())), key=lambda a: (a.startswith("Describe"), a))
    return (["API calls by action (%s, last repetition):" % label, ""]
            + _table(["action", *columns], [(action, *(c.get(action, 0) for c in columns.values()))
                                            for action in actions])
            + [""])
