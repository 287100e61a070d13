#!/usr/bin/env python3
"""A page of ours served by mediagen itself (--static-dir), in headless Chromium.

The page and the API share one origin, so the server runs without any CORS setting: a module
script (/app.mjs, refused by browsers under a non-JavaScript type) POSTs /generate with a
workflow, description, tags and requestOrigin, finds its task again in /generation/tasks/active
by requestOrigin (as a reloaded page does), follows /progress with EventSource, shows the result
as <img src=/media/...>, and reads its entry back from /media-data. Chromium is driven with the
helpers of devtools_driver.py, as the other browser test is.

Run:  python3 tests/browser/static_site_browser_test.py <mediagen binary> <source dir>
Exits 0 when every check passed, 1 otherwise, 77 (ctest's skip) when chromium is not installed.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
sys.path.insert(0, HERE)
from system_python import ensure_aiohttp  # noqa: E402

ensure_aiohttp("static_site_browser_test")

import re  # noqa: E402

from devtools_driver import browser_page, check, main, page_results, start_server, stop  # noqa: E402

INDEX = """<!doctype html><html><head><meta charset="utf-8"><title>mediagen page</title>
<link rel="stylesheet" href="/css/page.css"></head>
<body><progress id="bar" max="100" value="0"></progress><div id="gallery"></div>
<script type="module" src="/js/app.mjs"></script></body></html>"""

APP = """
window.results = {events: [], percentages: [], img: null, failure: null, module: true};
const results = window.results;
try {
  const r = await fetch("/generate", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({workflow: "Builtin Text to Image", prompt: "a lighthouse", orientation: "square",
                            steps: 40, description: "A lighthouse at dusk", tags: ["lighthouse", "dusk"],
                            requestOrigin: "our-page"})});
  results.generateStatus = r.status;
  const task = await r.json();
  results.taskId = task.taskId;
  // What a reloaded page does: find the task by its origin.
  const active = await (await fetch("/generation/tasks/active")).json();
  const mine = active.find(t => t.requestOrigin === "our-page");
  results.activeFound = mine ? mine.taskId : null;
  const es = new EventSource("/progress/" + task.taskId);
  window.es = es;
  for (const type of ["progress", "complete", "error-event", "cancelled"])
    es.addEventListener(type, e => {
      const data = JSON.parse(e.data);
      results.events.push({type: type, id: e.lastEventId});
      if (type === "progress") {
        document.getElementById("bar").value = data.progress.percentage;
        results.percentages.push(data.progress.percentage);
      }
      if (type !== "complete") return;
      es.close();
      results.resultUid = data.result.uid;
      const img = new Image();
      img.onload = async () => {
        results.img = {width: img.naturalWidth, height: img.naturalHeight, src: img.getAttribute("src")};
        const list = await (await fetch("/media-data?tags=lighthouse")).json();
        results.gallery = list.map(e => ({uid: e.uid, description: e.description, tags: e.tags,
                                          requestOrigin: e.requestOrigin}));
        results.done = true;
      };
      img.onerror = () => { results.img = "error"; results.done = true; };
      img.src = data.result.imageUrl;
      document.getElementById("gallery").appendChild(img);
    });
} catch (e) {
  results.failure = String(e);
  results.done = true;
}
"""


def make_site(root):
    os.makedirs(os.path.join(root, "js"))
    os.makedirs(os.path.join(root, "css"))
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(INDEX)
    with open(os.path.join(root, "js", "app.mjs"), "w") as f:
        f.write(APP)
    with open(os.path.join(root, "css", "page.css"), "w") as f:
        f.write("body { font-family: sans-serif; }")


async def run(binary, source_dir, chromium, work):
    site = os.path.join(work, "site")
    make_site(site)
    log_path = os.path.join(work, "server.log")
    # No --cors-origin: the page is same-origin, it needs none.
    server, api_port = start_server(binary, source_dir, os.path.join(work, "data"), log_path, ["--static-dir=" + site])
    origin = "http://127.0.0.1:%d" % api_port
    try:
        async with browser_page(chromium, work) as devtools:
            done, results = await page_results(devtools, origin + "/", "window.results && window.results.done === true",
                                               60)
            title = await devtools.evaluate("document.title")
            style = await devtools.evaluate("getComputedStyle(document.body).fontFamily")
    finally:
        stop(server)

    check(done, "the page finished (generate, progress, image, gallery) within 60 s")
    check(title == "mediagen page", "GET / served our index.html (title %r)" % title)
    check(results.get("module") is True, "the module script /js/app.mjs ran (served as JavaScript)")
    check(style is not None and "sans-serif" in style, "the stylesheet applied (font %r)" % style)
    check(results.get("failure") is None, "no script error (%s)" % results.get("failure"))
    check(results.get("generateStatus") == 202, "same-origin POST /generate answered 202, no CORS configured")
    check(results.get("activeFound") == results.get("taskId"),
          "the task was found in /generation/tasks/active by requestOrigin")
    types = [e["type"] for e in results.get("events", [])]
    check(types.count("complete") == 1 and types[-1] == "complete" and "progress" in types,
          "EventSource got progress events and exactly one complete: %s" % types)
    pcts = results.get("percentages", [])
    check(pcts == sorted(pcts), "the progress bar only moved forward: %s" % pcts)
    img = results.get("img")
    check(isinstance(img, dict) and img.get("width") == 640 and img.get("height") == 640,
          "<img src=/media/...> loaded, 640x640 (square): %s" % img)
    gallery = results.get("gallery") or []
    entry = next((e for e in gallery if e.get("uid") == results.get("resultUid")), None)
    check(entry is not None and entry.get("description") == "A lighthouse at dusk" and
          entry.get("tags") == ["lighthouse", "dusk"] and entry.get("requestOrigin") == "our-page",
          "the gallery entry kept description, tags and requestOrigin: %s" % entry)
    with open(log_path, errors="replace") as f:
        log = f.read()
    for path in ("/", "/js/app.mjs", "/css/page.css"):
        check(re.search(r'method=GET path="%s" status=200' % re.escape(path), log) is not None,
              "the server's access log shows GET %s answered 200" % path)


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, "mediagen-static-browser-", run))
