#!/usr/bin/env python3
"""/metrics against Prometheus's own checker.

Starts the real mediagen binary on a free loopback port with a throw-away data folder, gives every
metric family samples (a sync generation, an async one followed to its end, a refused request, a
404), then pipes GET /metrics to `promtool check metrics`: it parses the text exposition format as
the Prometheus server does and lints it (HELP and TYPE for every family, counter names ending in
_total, units in base units, no duplicate series). Any parse error or lint finding fails the test.

Needs promtool (Debian's `prometheus` package, installed by scripts/setup); run by ctest as
`metrics_promtool`. Exits 77 (skipped) only when promtool is missing.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_openapi import Server, json_body, request  # noqa: E402 -- the contract test's live-server helpers


def give_every_family_samples(port):
    """Traffic that makes the counters and histograms of a fresh server non-empty."""
    answer = request(port, "POST", "/generate/sync", *json_body({"workflow": "Builtin Tiny", "prompt": "p", "seed": 1}))
    if answer.status != 200:
        raise SystemExit("sync generation answered %d: %s" % (answer.status, answer.body[:300]))
    answer = request(port, "POST", "/generate", *json_body({"workflow": "Builtin Tiny", "prompt": "p", "seed": 2}))
    if answer.status != 202:
        raise SystemExit("async generation answered %d: %s" % (answer.status, answer.body[:300]))
    task_id = answer.json()["taskId"]
    deadline = time.time() + 120
    while time.time() < deadline:
        state = request(port, "GET", "/tasks/" + task_id).json().get("state")
        if state in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.1)
    else:
        raise SystemExit("the async generation did not end within 120 s (last state %r)" % state)
    request(port, "POST", "/generate", *json_body({"workflow": "No Such Workflow", "prompt": "p"}))
    request(port, "GET", "/no-such-route")
    request(port, "GET", "/media-data?limit=5")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    args = parser.parse_args()
    promtool = shutil.which("promtool")
    if promtool is None:
        print("promtool not installed (apt-get install prometheus): skipped")
        return 77
    with tempfile.TemporaryDirectory(prefix="mediagen-promtool-") as data:
        server = Server(args.binary, args.source, data)
        try:
            give_every_family_samples(server.port)
            metrics = request(server.port, "GET", "/metrics")
        finally:
            server.stop()
    if metrics.status != 200:
        print("FAIL /metrics answered %d" % metrics.status)
        return 1
    checked = subprocess.run([promtool, "check", "metrics"], input=metrics.body, capture_output=True)
    findings = (checked.stdout + checked.stderr).decode(errors="replace").strip()
    families = sum(1 for line in metrics.body.decode().splitlines() if line.startswith("# TYPE "))
    if checked.returncode != 0 or findings:
        print("FAIL promtool check metrics (exit %d) on %d families:\n%s" % (checked.returncode, families, findings))
        return 1
    print("promtool check metrics: %d families, no findings" % families)
    return 0


if __name__ == "__main__":
    sys.exit(main())
