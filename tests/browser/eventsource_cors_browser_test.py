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
import re  # noqa: E402

from aiohttp import web  # noqa: E402

from devtools_driver import browser_page, check, main, page_results, start_server, stop, wait_for  # noqa: E402
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
    server, api_port = start_server(binary, source_dir, os.path.join(work, "data"), log_path,
                                    ["--sse-retry-ms=%d" % RETRY_MS, "--cors-origin=" + page_origin,
                                     "--api-key=" + API_KEY])
    page["html"] = PAGE % {"api": "http://127.0.0.1:%d" % api_port, "key": API_KEY}
    try:
        async with browser_page(chromium, work) as devtools:
            done, results = await page_results(devtools, page_origin + "/",
                                               "window.results && window.results.img !== null", 30)
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
        stop(server)
        await runner.cleanup()
    with open(log_path, errors="replace") as f:
        check(API_KEY not in f.read(), "the API key never appears in the server's log")


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, "mediagen-browser-", run))
