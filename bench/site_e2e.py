"""site.yml end to end on the emulator, cold and warm, against what a user would run instead:
(a) the floor: the guide's OpenSSL commands, bare SDK calls and curl in one plain script
    (bench/baselines/plain_procedure.py);
(b) site.yml with steps 1-3 written with community.crypto modules and steps 4-7 from mtls.clb
    (bench/baselines/community_crypto_site.yml, run by build/bench-venv's ansible, which bundles
    community.crypto).
Each approach has its own emulator; within a repetition the approaches run one after the other in
an order that rotates, so load from other processes spreads over all of them.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter

from bench import common, report
from tests.integration.reliability.reliability_harness import LOAD_BALANCER_NAME, SiteUnderTest, verification_passed
from tests.support.ansible_run import PlaybookRun, ansible_env, parse_json_output
from tests.support.site import DEMO_INVENTORY, PORT_OFFSET

NAME = "site-e2e"
TITLE = "site.yml end to end on the emulator (cold, warm, plain script, community.crypto variant)"
HELP = ("site.yml cold and warm on the emulator: wall time, API calls by action, module invocations; "
        "against the guide's commands in a plain script and a community.crypto variant")

COMMUNITY_PLAYBOOK = common.REPO / "bench" / "baselines" / "community_crypto_site.yml"
WARM_MAX_RATIO = 0.35
PLAIN_MAX_RATIO = 2.0
# The fewest calls of each action a cold run needs: every mutation once, and one look per resource
# kind, since an idempotent tool must find out what exists before it creates anything. The listener
# is looked at twice: once to find it, once to see it running, because StartLoadBalancerListener
# returns before the listener has started (the API's documented "starting" status); no single look
# can do both. So is the load balancer: once to see a new instance listed and active before anything is
# configured on it (reads may lag the create; Terraform waits the same way), once by the backends' module
# for the members it compares against.
COLD_MINIMUM = {
    "UploadServerCertificate": 1, "UploadCACertificate": 1, "CreateLoadBalancer": 1, "AddBackendServers": 1,
    "CreateLoadBalancerHTTPSListener": 1, "StartLoadBalancerListener": 1,
    "DescribeServerCertificates": 1, "DescribeCACertificates": 1, "DescribeLoadBalancers": 1,
    "DescribeLoadBalancerAttribute": 2, "DescribeLoadBalancerHTTPSListenerAttribute": 2,
    "DescribeHealthStatus": 1,
}
# Polls: the reference's order of operations (slb-api.md 7.1) waits for the backends to be healthy
# before the test, reading their health every second until they are. How many reads that takes is the
# emulator's health-check timing, not repetition: a polled action counts once per poll, and is not
# flagged. site.yml waits in one mtls.clb.listener_info task (wait_healthy_backends) that reads only the
# health, one DescribeHealthStatus per read.
POLLED = frozenset(("DescribeHealthStatus",))
# A warm run needs to look at each resource once and change nothing.
WARM_MINIMUM = {action: 1 for action in COLD_MINIMUM if action.startswith("Describe") and action not in POLLED}


def add_arguments(parser):
    parser.add_argument("--runs", type=int, help="repetitions (default 3, quick 1)")
    parser.add_argument("--key-size", type=int,
                        help="RSA size of the root CA and client keys (default 4096, the guide's and the roles' "
                             "default; quick 2048); the lab server certificate is 2048 in every approach")
    parser.add_argument("--requests", type=int, help="step 7 requests with the client certificate (default 20, "
                                                      "the role's default; quick 6)")
    parser.add_argument("--skip-community", action="store_true", help="do not run the community.crypto variant")


# --- the three approaches ------------------------------------------------------------------------

def _site_vars(key_size, requests):
    return {"root_ca_key_size": key_size, "client_certificates_key_size": key_size, "mtls_verify_requests": requests}


def run_site(site: SiteUnderTest, key_size, requests) -> PlaybookRun:
    run = site.run(**_site_vars(key_size, requests))
    verification_passed(run)
    return run


def run_community(site: SiteUnderTest, key_size, requests) -> PlaybookRun:
    """The community.crypto variant through build/bench-venv's ansible-playbook; modules run with the
    project's interpreter (it has the SLB SDK), community.crypto comes from the bench venv."""
    cmd = [str(common.BENCH_VENV / "bin" / "ansible-playbook"), str(COMMUNITY_PLAYBOOK), "-i", str(DEMO_INVENTORY),
           "-e", json.dumps({**site.extra_vars, **_site_vars(key_size, requests),
                             # the implicit localhost would run modules with the bench venv's Python,
                             # which lacks the SLB SDK; site.yml's modules run with this one too
                             "ansible_python_interpreter": sys.executable})]
    proc = subprocess.run(cmd, env=ansible_env(site.env), cwd=common.REPO, capture_output=True, text=True,
                          check=False)
    run = PlaybookRun(proc.returncode, proc.stdout, proc.stderr, parse_json_output(proc.stdout))
    verification_passed(run)
    return run


def run_plain(site: SiteUnderTest, key_size, requests) -> None:
    cmd = [sys.executable, "-m", "bench.baselines.plain_procedure", "--endpoint", site.emulator.endpoint,
           "--region", site.emulator.region, "--pki-dir", str(site.pki), "--home-ca", str(site.home_ca),
           "--backends", *site.emulator.ecs_ids, "--load-balancer-name", LOAD_BALANCER_NAME,
           "--port-offset", str(PORT_OFFSET), "--key-size", str(key_size), "--requests", str(requests)]
    env = ansible_env({**site.env, "BENCH_PKCS12_PASSWORD": site.extra_vars["mtls_clb_pkcs12_password"]})
    proc = subprocess.run(cmd, env=env, cwd=common.REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("plain script failed (rc %d):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:],
                                                                    proc.stderr[-3000:]))


def _measure(site, function, key_size, requests, cold):
    if cold:
        common.make_cold(site)
    before = len(site.emulator.calls())
    elapsed, run = common.timed(function, site, key_size, requests)
    calls = common.calls_by_action(site.emulator.calls()[before:])
    modules = common.modules_by_action(run.data) if run is not None else Counter()
    if cold and function is not run_plain:
        # What a cold run built must be complete and single, or its time means nothing.
        site.assert_one_of_everything(site.cloud_state())
    if not cold and run is not None and any(stats["changed"] for stats in run.stats.values()):
        raise RuntimeError("the warm run changed something: %s" % run.stats)
    return elapsed, calls, modules, run


def is_module_task(task) -> bool:
    """Whether a task of a json_results document started a module on some host: counted as the module
    invocations table counts them (common.modules_by_action, module_runs)."""
    return module_runs(common.modules_by_action({"plays": [{"tasks": [task]}]})) > 0


def task_time_by_kind(run_data) -> dict:
    """Seconds and task count of a run's module tasks and of its other tasks (controller-only actions,
    raw commands, tasks skipped everywhere), from the json_results callback's task durations."""
    kinds = {"module": [0.0, 0], "other": [0.0, 0]}
    for play in run_data.get("plays", []):
        for task in play.get("tasks", []):
            kind = kinds["module" if is_module_task(task) else "other"]
            kind[0] += task["task"].get("duration", 0.0)
            kind[1] += 1
    return {name: {"seconds": seconds, "tasks": count} for name, (seconds, count) in kinds.items()}


def longest_tasks(run_data, top=12):
    """The `top` longest tasks of a run as (name, seconds), longest first."""
    tasks = [(task["task"]["name"], task["task"].get("duration", 0.0))
             for play in run_data.get("plays", []) for task in play.get("tasks", [])]
    return sorted(tasks, key=lambda task: -task[1])[:top]


COST_MODEL_MODULES = 20


def ansible_cost_model(samples=3):
    """What Ansible itself costs here, from two tiny playbooks on localhost (same ansible-playbook and
    interpreter as site.yml): the start of ansible-playbook with one controller-only task, and the cost
    of one module run (COST_MODEL_MODULES ping tasks, minus the start, divided by their number)."""
    work = common.work_dir(NAME + "-cost-model")
    base = {"hosts": "localhost", "connection": "local", "gather_facts": False}
    empty = work / "empty.yml"
    empty.write_text(json.dumps([dict(base, tasks=[{"ansible.builtin.debug": {"msg": "start"}}])]))
    pings = work / "pings.yml"
    pings.write_text(json.dumps([dict(base, tasks=[{"name": "ping %d" % i, "ansible.builtin.ping": {}}
                                                   for i in range(COST_MODEL_MODULES)])]))
    env = ansible_env({"ANSIBLE_PYTHON_INTERPRETER": sys.executable})
    bin_dir = common.REPO / ".venv" / "bin"

    def run(playbook):
        proc = subprocess.run([str(bin_dir / "ansible-playbook"), str(playbook), "-i", "localhost,"], env=env,
                              cwd=common.REPO, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError("cost-model playbook failed:\n" + proc.stdout[-2000:])

    times = {"start": [], "modules": []}
    try:
        for _sample in range(samples):
            times["start"].append(common.timed(run, empty)[0])
            times["modules"].append(common.timed(run, pings)[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    start = common.median(times["start"])
    per_module = (common.median(times["modules"]) - start) / COST_MODEL_MODULES
    return {"start": start, "per_module": per_module, "samples": times}


# raw (site.yml asks the clients who they log in as, without become) runs a shell command over the connection:
# no module is built or started, so it is no module run either.
NOT_MODULE_RUNS = common.CONTROLLER_ACTIONS | {"ansible.builtin.raw"}


def module_runs(module_counts):
    """Module invocations that start a module on a host (not controller-only actions, not raw commands)."""
    return sum(n for action, n in module_counts.items() if action not in NOT_MODULE_RUNS)


# --- the benchmark -------------------------------------------------------------------------------

def run(options) -> str:
    runs = common.option(options, "runs", 3, 1)
    key_size = common.option(options, "key_size", 4096, 2048)
    requests = common.option(options, "requests", 20, 6)
    with_community = not getattr(options, "skip_community", False)
    if with_community:
        from bench.pki_clients import ensure_bench_venv
        ensure_bench_venv()
    work = common.work_dir(NAME)
    approaches = {"site": run_site, "plain": run_plain}
    if with_community:
        approaches["community"] = run_community
    sites = {name: SiteUnderTest(work / name, verify_requests=requests) for name in approaches}
    samples = {key: [] for key in ("site cold", "site warm", "plain cold", "community cold", "community warm")}
    calls, modules, loads = {}, {}, []
    # the json_results documents of site.yml's warm runs: where their time went, task by task
    warm_runs = []
    started = common.now_utc()
    try:
        for repetition in range(runs):
            order = list(approaches)
            order = order[repetition % len(order):] + order[:repetition % len(order)]
            for name in order:
                function, site = approaches[name], sites[name]
                elapsed, call_counts, module_counts, _run = _measure(site, function, key_size, requests, cold=True)
                samples[name + " cold"].append(elapsed)
                calls[name + " cold"], modules[name + " cold"] = call_counts, module_counts
                if name != "plain":
                    elapsed, call_counts, module_counts, warm_run = _measure(site, function, key_size, requests,
                                                                             cold=False)
                    samples[name + " warm"].append(elapsed)
                    if name == "site":
                        warm_runs.append(warm_run.data)
                    calls[name + " warm"], modules[name + " warm"] = call_counts, module_counts
            loads.append(common.load1())
            print("repetition %d: %s (load %.2f)" % (repetition + 1, {k: "%.1f" % v[-1] for k, v in samples.items()
                                                                      if v}, loads[-1]), flush=True)
        cost_model = ansible_cost_model()
    finally:
        for site in sites.values():
            site.stop()
        shutil.rmtree(work, ignore_errors=True)
    return render(samples, calls, modules, loads, started, key_size, requests, runs, warm_runs, cost_model)


def _ratio(samples, numerator, denominator):
    if samples[numerator] and samples[denominator]:
        return common.median(samples[numerator]) / common.median(samples[denominator])
    return None


def _paired(samples, numerator, denominator):
    """Each repetition's own ratio (both measured in it), for how much the ratio of medians could move."""
    ratios = [a / b for a, b in zip(samples[numerator], samples[denominator]) if b]
    if not ratios:
        return ""
    return "; per repetition %s (median %.2f)" % (", ".join("%.2f" % r for r in ratios), common.median(ratios))


def render(samples, calls, modules, loads, started, key_size, requests, runs, warm_runs=(), cost_model=None) -> str:
    extra = {"runs": "%d repetition(s), started %s UTC; 1-minute load average after each: %s" % (
        runs, started, ", ".join("%.2f" % x for x in loads))}
    if samples["community cold"]:
        from bench.pki_clients import bench_venv_versions
        extra["community.crypto variant"] = bench_venv_versions() + " (build/bench-venv)"
    lines = [report.machine_summary(extra), "",
             "Each approach gets its own emulator (2 demo backends) and builds the whole procedure: lab server CA "
             "and server certificate (RSA 2048), root CA and client certificate for the one Linux client "
             "(RSA %d), install to the client directory, both uploads, the load balancer, backends, the HTTPS "
             "listener with mutual authentication, then step 7 (%d requests with the client certificate, one "
             "without, one with a certificate of another CA). Before step 7, every approach waits as the "
             "reference's order of operations says (slb-api.md 7.1): for the listener to run and, every second, for "
             "the backends' health checks to report normal; on the emulator that wait is about 4-6 s of each cold "
             "run, the same for all three. **Cold**: empty emulator (`/_emulator/reset`) and "
             "empty PKI and client directories; **warm**: everything in place from the cold run just before. "
             "Wall times in seconds, median **bold**, all samples in brackets. Every cold run of site.yml and of "
             "the community.crypto variant was checked (step 7 green, exactly one of each resource read back "
             "with the SDK), and every warm run had to report changed=0." % (key_size, requests), "",
             "| | site.yml | plain script (floor) | community.crypto variant |",
             "|---|---|---|---|",
             "| cold | %s | %s | %s |" % (common.cell(samples["site cold"]), common.cell(samples["plain cold"]),
                                         common.cell(samples["community cold"])),
             "| warm | %s | (not idempotent) | %s |" % (common.cell(samples["site warm"]),
                                                       common.cell(samples["community warm"])), ""]
    verdicts = []
    warm = _ratio(samples, "site warm", "site cold")
    if warm is not None:
        verdicts.append("warm / cold = %.0f %% — %s target ≤ %.0f %%%s" % (
            warm * 100, "meets" if warm <= WARM_MAX_RATIO else "MISSES", WARM_MAX_RATIO * 100,
            _paired(samples, "site warm", "site cold")))
    plain = _ratio(samples, "site cold", "plain cold")
    if plain is not None:
        verdicts.append("site.yml cold / plain script = %.2f× — %s target ≤ %.1f×%s" % (
            plain, "meets" if plain <= PLAIN_MAX_RATIO else "MISSES", PLAIN_MAX_RATIO,
            _paired(samples, "site cold", "plain cold")))
    community = _ratio(samples, "community cold", "site cold")
    if community is not None:
        verdicts.append("community.crypto variant cold / site.yml cold = %.2f× — %s target > 1× (site.yml faster)" % (
            community, "meets" if community > 1 else "MISSES"))
    community_warm = _ratio(samples, "community warm", "site warm")
    if community_warm is not None:
        verdicts.append("community.crypto variant warm / site.yml warm = %.2f× (no target)" % community_warm)
    warm_calls = calls.get("site warm", Counter())
    mutating = {a: n for a, n in warm_calls.items() if not a.startswith("Describe")}
    verdicts.append("site.yml warm makes only Describe calls — %s" % (
        "meets" if not mutating else "MISSES: " + ", ".join("%s ×%d" % kv for kv in sorted(mutating.items()))))
    over = _over_minimum(calls.get("site cold", Counter()), COLD_MINIMUM)
    verdicts.append("site.yml cold calls no action more often than it needs — %s" % (
        "meets" if not over else "MISSES (flagged below): " + ", ".join(over)))
    over_warm = _over_minimum(warm_calls, WARM_MINIMUM)
    if over_warm:
        verdicts.append("site.yml warm repeats Describe calls (flagged below, no target): " + ", ".join(over_warm))
    lines += ["Against the targets of issue 6 (a ratio of the medians above; each repetition's own ratio beside it, "
              "since key generation alone moves a cold run by seconds):", ""] + ["- " + v for v in verdicts] + [""]

    columns = [c for c in ("site cold", "site warm", "plain cold", "community cold", "community warm") if c in calls]
    actions = sorted(set().union(*(calls[c] for c in columns)) | set(COLD_MINIMUM),
                     key=lambda a: (a.startswith("Describe"), a))
    lines += ["API calls by action in the last repetition (the emulator's `/_emulator/calls`; identical in every "
              "repetition unless noted). *Minimum* is what a cold run of an idempotent tool needs: each mutation "
              "once and one look per resource kind, plus one more look at the new listener to see it running "
              "(StartLoadBalancerListener returns before the listener has started) and one at the new load "
              "balancer to see it listed and active before it is configured (reads may lag the create; the "
              "backends' module then reads it for its members), plus the health poll of the "
              "reference's order of operations (slb-api.md 7.1: DescribeHealthStatus every second until the backends "
              "are normal; *poll* below, its count is waiting, not repetition); ⚠ marks a site.yml count above it.",
              "",
              "| action | " + " | ".join(columns) + " | minimum cold / warm |",
              "|---|" + "---|" * len(columns) + "---|"]
    for action in actions:
        row = []
        for column in columns:
            count = calls[column].get(action, 0)
            minimum = (COLD_MINIMUM if column.endswith("cold") else WARM_MINIMUM).get(action, 0)
            flag = " ⚠" if column.startswith("site") and count > minimum and action not in POLLED else ""
            row.append("%d%s" % (count, flag))
        cold_minimum = "poll" if action in POLLED else str(COLD_MINIMUM.get(action, 0))
        lines.append("| %s | %s | %s / %d |" % (action, " | ".join(row), cold_minimum, WARM_MINIMUM.get(action, 0)))
    lines.append("| **total** | %s | |" % " | ".join(str(sum(calls[c].values())) for c in columns))
    lines.append("")

    module_columns = [c for c in ("site cold", "site warm", "community cold", "community warm") if c in modules]
    names = sorted(set().union(*(modules[c] for c in module_columns)))
    lines += ["Module invocations in the last repetition (task results by module, every host, skipped tasks "
              "not counted, a loop counts each item), from the json_results callback of "
              "`tests/support/callback_plugins/`:", "",
              "| module | " + " | ".join(module_columns) + " |", "|---|" + "---|" * len(module_columns)]
    for name in names:
        lines.append("| `%s` | %s |" % (name, " | ".join(str(modules[c].get(name, 0)) for c in module_columns)))
    lines.append("| **total** | %s |" % " | ".join(str(sum(modules[c].values())) for c in module_columns))
    if warm_runs:
        last = warm_runs[-1]
        tasks = [task for play in last.get("plays", []) for task in play.get("tasks", [])]
        longest = longest_tasks(last)
        lines += ["", "Where a warm site.yml spends its time: the last repetition's warm run, each task from its "
                  "start to the next task's start (the json_results callback's durations, counted as ansible.posix's "
                  "`profile_tasks` counts them). %d tasks add up to %.1f s; the %d longest:" % (
                      len(tasks), sum(task["task"].get("duration", 0.0) for task in tasks), len(longest)), "",
                  "| task | seconds |", "|---|---|"]
        lines += ["| %s | %.2f |" % (name.replace("|", "\\|"), seconds) for name, seconds in longest]
    if cost_model and samples["site cold"] and samples["site warm"]:
        lines += [""] + render_anatomy(samples, modules, cost_model, warm_runs)
    lines += ["", "Rerun: `.venv/bin/python -m bench site-e2e` (options `--runs`, `--key-size`, `--requests`, "
              "`--skip-community`; `--quick` for a smoke test). Interpreting the numbers: the machine has 2 cores; "
              "a 1-minute load above 2 means other processes competed for the CPU during the run and stretched "
              "every time in it, which is why approaches are interleaved and only ratios from the same run are "
              "compared."]
    return "\n".join(lines)


def _over_minimum(counts, minimum):
    return ["%s %d (min %d)" % (action, count, minimum.get(action, 0))
            for action, count in sorted(counts.items()) if count > minimum.get(action, 0) and action not in POLLED]


def render_anatomy(samples, modules, cost_model, warm_runs=()):
    """Why warm / cold cannot get near the target on the emulator: what Ansible costs per module run, how
    many module runs an idempotent site.yml makes warm, what its other tasks take, and how little work only
    a cold run does."""
    cold, warm = common.median(samples["site cold"]), common.median(samples["site warm"])
    runs_warm = module_runs(modules.get("site warm", Counter()))
    runs_cold = module_runs(modules.get("site cold", Counter()))
    start, per_module = cost_model["start"], cost_model["per_module"]
    cold_only = max(cold - warm, 0.0)
    kinds = [task_time_by_kind(run) for run in warm_runs]
    other = common.median([kind["other"]["seconds"] for kind in kinds]) if kinds else 0.0
    module_time = common.median([kind["module"]["seconds"] for kind in kinds]) if kinds else None
    floor = start + other + runs_warm * per_module
    free = start + other
    needed = floor * (1 / WARM_MAX_RATIO - 1)

    def share(part):
        return 100 * part / (part + cold_only) if part + cold_only else 0

    lines = ["### Where the time of a run goes (the start and one module run measured after the repetitions)", "",
             "| | seconds |", "|---|---|",
             "| start of `ansible-playbook` with one controller-only task | %.2f [%s] |" % (
                 start, ", ".join("%.2f" % x for x in cost_model["samples"]["start"])),
             "| one module run (%d `ansible.builtin.ping` tasks, minus the start, ÷ %d) | %.3f |" % (
                 COST_MODEL_MODULES, COST_MODEL_MODULES, per_module),
             "| module runs of site.yml, cold / warm (module invocations above minus controller-only actions and "
             "raw commands) | %d / %d |" % (runs_cold, runs_warm)]
    if kinds:
        lines += ["| warm run, the tasks that start a module (median of the warm runs; %d tasks) | %.2f |" % (
                      kinds[-1]["module"]["tasks"], module_time),
                  "| warm run, every other task: controller-only actions (among them every role's input checks "
                  "before step 1), raw commands, tasks skipped on every host (median; %d tasks) | %.2f |" % (
                      kinds[-1]["other"]["tasks"], other)]
    lines += ["| → floor of a warm run if every module were as cheap as ping: start + other tasks + warm module "
              "runs × one module run | %.2f |" % floor,
              "| → floor of a warm run if modules cost nothing: start + other tasks | %.2f |" % free,
              "| site.yml warm, measured | %.2f |" % warm,
              "| work only a cold run does (cold − warm: key generation, uploads, creates, the listener start, "
              "the wait for healthy backends) | %.2f |" % cold_only, ""]
    lines.append(
        "A warm run does everything a cold run does except the work in the last row: it must still run "
        "each module once to look at its files or resources (that is what makes it idempotent), and each "
        "module run costs at least what the table says whether it changes anything or not (the real modules "
        "cost more: the cloud modules import the SDK, about 0.35 s of their run, the PKI modules cryptography). "
        "The other tasks cost Ansible's per-task overhead even when skipped. So warm / cold is at least "
        "floor / (floor + cold-only work): %.0f %% with modules as cheap as ping, and still %.0f %% if they "
        "cost nothing. Meeting warm ≤ %.0f %% would need %.1f s of cold-only work against the first floor; on "
        "the emulator every API call answers in milliseconds, so the cold-only work is the key generation, a "
        "few calls and the wait until the emulator's health checks call the backends normal. Against the real "
        "API, where an upload, a create and a listener start each take real time, cold-only work is larger and "
        "the ratio lower; it cannot be measured from here." % (share(floor), share(free), WARM_MAX_RATIO * 100,
                                                                 needed))
    return lines
