#!/usr/bin/env python3
"""A real browser against the real server: headless Chromium, driven over the DevTools protocol.

A page served from another origin (another loopback port) POSTs /generate with an API key
(a CORS preflight), follows /progress with EventSource (?access_token=, since EventSource
cannot send headers) and shows the result as <img src=/media/...?access_token=>. Then it checks
what the HTML standard's EventSource does once our stream closes after the terminal event: it
reconnects once with Last-Event-ID, gets 204, and stops for good (readyState CLOSED, no further
/progress request in the server's access log).

Run:  python3 tests/browser/eventsource_cors_browser_test.py <mediagen binary> <source dir>
Exits 0 when every check passed, 1 otherwise, 77 (ctest's skip) when chromium is not installed.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
from system_python import ensure_aiohttp  # noqa: E402

ensure_aiohttp("eventsource_cors_browser_test")

import asyncio  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

SKIP = 77
API_KEY = "browser-test-key-0123"
RETRY_MS = 300  # the server's retry: line; short, so a reconnect loop would show within seconds

PAGE = """<!doctype html><html><body><script>
const api = "%(api)s", key = "%(key)s";
window.results = {events: [], errors: [], img: null, failure: null};
(async () => {
  const r = await fetch(api + "/generate", {method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + key},
      body: JSON.stringify({workflow: "Builtin Tiny", prompt: "from a browser"})});
  results.generateStatus = r.status;
  results.requestId = r.headers.get("X-Request-Id");
  const task = await r.json();
  results.taskId = task.taskId;
  const es = new EventSource(api + "/progress/" + task.taskId + "?access_token=" + key);
  window.es = es;
  for (const type of ["progress", "complete", "error-event", "cancelled"])
    es.addEventListener(type, e => {
      results.events.push({type: type, id: e.lastEventId});
      if (type !== "complete") return;
      const img = new Image();
      img.onload = () => { results.img = {width: img.naturalWidth, height: img.naturalHeight}; };
      img.onerror = () => { results.img = "error"; };
      img.src = api + JSON.parse(e.data).result.imageUrl + "?access_token=" + key;
      document.body.appendChild(img);
    });
  es.onerror = () => results.errors.push({state: es.readyState, at: Date.now()});
})().catch(e => { results.failure = String(e); });
</script></body></html>"""

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


def start_server(binary, source_dir, data_dir, page_origin, log_path):
    log = open(log_path, "wb")
    proc = subprocess.Popen([binary, "--config=" + os.path.join(source_dir, "config", "server.json"),
                             "--data-dir=" + data_dir, "--port=0", "--access-log=true",
                             "--sse-retry-ms=%d" % RETRY_MS, "--cors-origin=" + page_origin,
                             "--api-key=" + API_KEY], stdout=log, stderr=log)
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


def progress_requests(log_path, task_id):
    """(method, status) of each access-log line for /progress/<task_id>."""
    with open(log_path, errors="replace") as f:
        lines = [l for l in f if l.startswith("info access ") and ('path="/progress/%s"' % task_id) in l]
    return [(re.search(r"method=(\S+)", l).group(1), int(re.search(r"status=(\d+)", l).group(1))) for l in lines]


async def run(binary, source_dir, chromium, work):
    # The page's own origin: another port on loopback, so every call to the API is cross-origin.
    app = web.Application()
    page = {"html": ""}
    app.router.add_get("/", lambda request: web.Response(text=page["html"], content_type="text/html"))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    page_port = site._server.sockets[0].getsockname()[1]
    page_origin = "http://127.0.0.1:%d" % page_port

    log_path = os.path.join(work, "server.log")
    server, api_port = start_server(binary, source_dir, os.path.join(work, "data"), page_origin, log_path)
    page["html"] = PAGE % {"api": "http://127.0.0.1:%d" % api_port, "key": API_KEY}
    profile = os.path.join(work, "profile")
    browser = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-background-networking", "--no-first-run",
                                "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "chromium.log"), "wb"))
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.time() > deadline or browser.poll() is not None:
                raise SystemExit("chromium did not open its DevTools port: " +
                                 open(os.path.join(work, "chromium.log"), errors="replace").read()[-2000:])
            await asyncio.sleep(0.1)
        devtools_port = int(open(port_file).read().split("\n")[0])
        async with aiohttp.ClientSession() as http:
            async with http.get("http://127.0.0.1:%d/json/list" % devtools_port) as r:
                targets = await r.json()
            target = next(t for t in targets if t.get("type") == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                devtools = DevTools(ws)
                await devtools.call("Page.navigate", url=page_origin + "/")

                done = await wait_for(devtools, "window.results && window.results.img !== null", 30)
                results = await devtools.evaluate("JSON.stringify(window.results)")
                results = json.loads(results) if results else {}
                print("page results: " + json.dumps(results), flush=True)
                check(done, "the page finished (generate, progress, image) within 30 s")
                check(results.get("failure") is None, "no script error (%s)" % results.get("failure"))
                check(results.get("generateStatus") == 202, "cross-origin POST /generate with a key answered 202")
                check(bool(results.get("requestId")), "X-Request-Id is readable by the page (exposed)")
                types = [e["type"] for e in results.get("events", [])]
                check(types.count("complete") == 1 and types[-1] == "complete",
                      "EventSource got the progress events and exactly one complete: %s" % types)
                ids = [int(e["id"]) for e in results.get("events", [])]
                check(ids == list(range(1, len(ids) + 1)), "event ids 1..n in order: %s" % ids)
                img = results.get("img")
                check(isinstance(img, dict) and img.get("width") == 64 and img.get("height") == 64,
                      "<img src=/media/...> loaded cross-origin, 64x64: %s" % img)

                # After complete the server closed the stream; the browser reconnects after
                # retry: with Last-Event-ID, is told 204, and must stay closed from then on.
                closed = await wait_for(devtools, "window.es.readyState === 2", 10)
                check(closed, "EventSource is CLOSED after the 204 (readyState 2)")
                await asyncio.sleep(10 * RETRY_MS / 1000.0)  # ten reconnect delays
                state = await devtools.evaluate("window.es.readyState")
                check(state == 2, "still CLOSED ten reconnect delays later (readyState %s)" % state)
                requests = progress_requests(log_path, results.get("taskId", "?"))
                print("progress requests seen by the server: %s" % requests, flush=True)
                gets = [status for method, status in requests if method == "GET"]
                check(gets == [200, 204], "one stream, then exactly one reconnect, answered 204: %s" % gets)
    finally:
        browser.terminate()
        try:
            browser.wait(10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()
        stop(server)
        await runner.cleanup()
    with open(log_path, errors="replace") as f:
        check(API_KEY not in f.read(), "the API key never appears in the server's log")


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    chromium = find_chromium()
    if not chromium:
        print("SKIP: chromium is not installed (scripts/setup installs it: apt-get install chromium)")
        return SKIP
    work = tempfile.mkdtemp(prefix="mediagen-browser-")
    try:
        asyncio.run(run(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), chromium, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (checks["passed"], checks["failed"]))
    return 1 if checks["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
