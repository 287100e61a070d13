"""What both browser tests need: the mediagen binary started on a free loopback port, headless
Chromium opened with its DevTools port, the page target's DevTools socket, and the checks tally.

Import it after system_python.ensure_aiohttp() (aiohttp comes from /usr/bin/python3's packages).
"""

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import aiohttp

SKIP = 77  # ctest's skip code (SKIP_RETURN_CODE in CMakeLists.txt)

checks = {"passed": 0, "failed": 0}


def check(ok, what):
    checks["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + what, flush=True)


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def start_server(binary, source_dir, data_dir, log_path, extra_args):
    """Starts mediagen on port 0 with the shipped config; returns (process, the port it listens on)."""
    log = open(log_path, "wb")
    proc = subprocess.Popen([binary, "--config=" + os.path.join(source_dir, "config", "server.json"),
                             "--data-dir=" + data_dir, "--port=0", "--access-log=true"] + list(extra_args),
                            stdout=log, stderr=log)
    deadline = time.time() + 30
    while time.time() < deadline:
        with open(log_path, "rb") as f:
            m = re.search(rb"listening .*port=(\d+)", f.read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            raise SystemExit("mediagen exited at start: " + open(log_path).read())
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("mediagen did not start listening within 30 s")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class DevTools:
    """The page target's DevTools socket: one command at a time, events ignored."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0

    async def call(self, method, **params):
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            msg = await asyncio.wait_for(self.ws.receive_json(), 30)
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(method + ": " + json.dumps(msg["error"]))
                return msg.get("result", {})

    async def evaluate(self, expression):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


async def wait_for(devtools, expression, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if await devtools.evaluate(expression):
            return True
        await asyncio.sleep(0.1)
    return False


async def page_results(devtools, url, ready, timeout):
    """Opens `url` and waits until the JavaScript `ready` holds: (whether it did in time, the
    page's window.results as Python values, {} when it has none)."""
    await devtools.call("Page.navigate", url=url)
    done = await wait_for(devtools, ready, timeout)
    results = await devtools.evaluate("JSON.stringify(window.results || null)")
    results = json.loads(results) if results else {}
    print("page results: " + json.dumps(results), flush=True)
    return done, results


@contextlib.asynccontextmanager
async def browser_page(chromium, work):
    """Headless Chromium with a profile in `work`: yields the DevTools of its page; ends it on exit."""
    profile = os.path.join(work, "profile")
    log_path = os.path.join(work, "chromium.log")
    browser = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-background-networking", "--no-first-run",
                                "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=open(log_path, "wb"))
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.time() > deadline or browser.poll() is not None:
                raise SystemExit("chromium did not open its DevTools port: " +
                                 open(log_path, errors="replace").read()[-2000:])
            await asyncio.sleep(0.1)
        devtools_port = int(open(port_file).read().split("\n")[0])
        async with aiohttp.ClientSession() as http:
            async with http.get("http://127.0.0.1:%d/json/list" % devtools_port) as r:
                targets = await r.json()
            target = next(t for t in targets if t.get("type") == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield DevTools(ws)
    finally:
        browser.terminate()
        try:
            browser.wait(10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()


def main(argv, doc, prefix, run):
    """Runs `run(binary, source_dir, chromium, work)` in a fresh temporary folder; the exit code."""
    if len(argv) != 3:
        raise SystemExit(doc)
    chromium = find_chromium()
    if not chromium:
        print("SKIP: chromium is not installed (scripts/setup installs it: apt-get install chromium)")
        return SKIP
    work = tempfile.mkdtemp(prefix=prefix)
    try:
        asyncio.run(run(os.path.abspath(argv[1]), os.path.abspath(argv[2]), chromium, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (checks["passed"], checks["failed"]))
    return 1 if checks["failed"] else 0
