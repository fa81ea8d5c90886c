# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site-e2e benchmark's account of where a warm run's time goes (docs/benchmarks.md): which tasks
count as module runs, and the two floors it derives from them."""
from __future__ import annotations

from collections import Counter

from bench import site_e2e


def task(name, duration, **hosts):
    return {"task": {"name": name, "duration": duration}, "hosts": hosts}


RUN = {"plays": [
    {"play": {"name": "checks"}, "tasks": [
        task("assert", 0.10, localhost={"action": "ansible.builtin.assert"}),
        task("skipped module", 0.03, localhost={"action": "mtls.clb.pki_root_ca", "skipped": True}),
        task("raw", 0.20, client01={"action": "ansible.builtin.raw"}),
    ]},
    {"play": {"name": "steps"}, "tasks": [
        task("cloud module", 0.80, localhost={"action": "mtls.clb.load_balancer"}),
        task("loop, every item skipped", 0.05,
             localhost={"action": "mtls.clb.mtls_probe", "results": [{"skipped": True}, {"skipped": True}]}),
        task("loop, one item ran", 0.40,
             localhost={"action": "mtls.clb.mtls_probe", "results": [{"skipped": True}, {"changed": False}]}),
        task("module on one host, skipped on another", 0.30,
             client01={"action": "mtls.clb.client_bundle"}, client02={"action": "mtls.clb.client_bundle",
                                                                      "skipped": True}),
    ]},
]}


def test_module_tasks_are_those_that_started_a_module_somewhere():
    kinds = site_e2e.task_time_by_kind(RUN)

    assert kinds["module"]["tasks"] == 3
    assert kinds["other"]["tasks"] == 4
    assert round(kinds["module"]["seconds"], 2) == 1.50
    assert round(kinds["other"]["seconds"], 2) == 0.38


def test_longest_tasks_come_first():
    assert site_e2e.longest_tasks(RUN, top=2) == [("cloud module", 0.80), ("loop, one item ran", 0.40)]


def test_a_task_without_a_duration_counts_as_none():
    run = {"plays": [{"play": {"name": "p"}, "tasks": [
        {"task": {"name": "old document"}, "hosts": {"localhost": {"action": "ansible.builtin.debug"}}}]}]}

    assert site_e2e.task_time_by_kind(run)["other"] == {"seconds": 0.0, "tasks": 1}


def test_the_floors_add_the_other_tasks_to_the_start():
    samples = {"site cold": [16.0], "site warm": [10.0]}
    modules = {"site warm": Counter({"mtls.clb.load_balancer": 4, "ansible.builtin.assert": 20}),
               "site cold": Counter({"mtls.clb.load_balancer": 5})}
    cost_model = {"start": 0.5, "per_module": 0.25, "samples": {"start": [0.5]}}
    warm_run = {"plays": [{"play": {"name": "p"}, "tasks": [
        task("checks", 2.0, localhost={"action": "ansible.builtin.assert"}),
        task("module", 1.0, localhost={"action": "mtls.clb.load_balancer"})]}]}

    text = "\n".join(site_e2e.render_anatomy(samples, modules, cost_model, [warm_run]))

    # floor with ping-cheap modules: 0.5 + 2.0 + 4 x 0.25 = 3.5 s; cold-only work 16 - 10 = 6 s
    assert "+ warm module runs × one module run | 3.50 |" in text
    assert "if modules cost nothing: start + other tasks | 2.50 |" in text
    assert "%.0f %% with modules as cheap as ping" % (100 * 3.5 / 9.5) in text
    assert "still %.0f %% if they cost nothing" % (100 * 2.5 / 8.5) in text
    assert "| 5 / 4 |" in text
