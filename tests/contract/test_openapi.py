#!/usr/bin/env python3
"""The live server against docs/openapi.yaml, route by route.

Starts the real mediagen binary on a free loopback port with a throw-away data folder, sends a
list of probes that covers every operation in the document (success and error answers), and
checks each answer: its status is the one the probe expects and is documented for that
operation, its content type is documented, and its JSON body (or each SSE event's data) validates
against the documented schema (JSON Schema 2020-12, as OpenAPI 3.1 has it).

It also fails when the document and the server disagree about which routes exist: every route
registered in http/*.cpp must be described, every described operation must be probed, and no
undescribed method on a described path may answer 2xx. And docs/OPERATIONS.md must name every
flag, config key and metric family the server has.

Needs python3-yaml and python3-jsonschema (Debian 12); run by ctest as `openapi_contract`.
"""

import argparse
import base64
import http.client
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import yaml
from jsonschema import Draft202012Validator, RefResolver

failures = []


def fail(message):
    failures.append(message)
    print("FAIL " + message, flush=True)


class Server:
    def __init__(self, binary, source, data, extra=()):
        self.log_path = os.path.join(data, "server.log")
        args = [binary, "--config=" + os.path.join(source, "config", "server.json"),
                "--data-dir=" + os.path.join(data, "data"), "--port=0", "--builtin-workers=1",
                "--max-queued-tasks=1", "--max-upload-bytes=65536", "--shutdown-grace-seconds=2"] + list(extra)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = None
        deadline = time.time() + 30
        while time.time() < deadline and self.port is None:
            if self.proc.poll() is not None:
                raise SystemExit("mediagen exited at start:\n" + open(self.log_path).read())
            m = re.search(r"listening .*port=(\d+)", open(self.log_path).read())
            if m:
                self.port = int(m.group(1))
            time.sleep(0.05)
        if self.port is None:
            self.proc.kill()
            raise SystemExit("mediagen did not start listening within 30 s")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail("mediagen did not stop within 60 s of SIGTERM")
            return
        if code != 0:
            fail("mediagen exited with %d after SIGTERM:\n%s" % (code, open(self.log_path).read()[-4000:]))


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def content_type(self):
        return self.headers.get("content-type", "").split(";")[0].strip()

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def request(port, method, path, body=None, headers=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, data)


def json_body(fields):
    return json.dumps(fields).encode(), {"Content-Type": "application/json"}


def multipart(fields, files):
    boundary = "mediagen-contract-boundary"
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, k, v)).encode()
    for k, (filename, data) in files.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: image/png\r\n\r\n" % (boundary, k, filename)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, {"Content-Type": "multipart/form-data; boundary=" + boundary}


def png(width, height, gray):
    """A valid grayscale PNG, written with zlib only."""
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes([gray]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def sse_events(body):
    """(event, data) pairs of an event stream; comments (heartbeats) are skipped."""
    events = []
    for block in body.decode("utf-8").split("\n\n"):
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append((event, "\n".join(data)))
    return events


class Contract:
    def __init__(self, spec):
        self.spec = spec
        self.resolver = RefResolver(base_uri="", referrer=spec)
        self.probed = {}  # (path, method) -> set of statuses seen

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            _, node = self.resolver.resolve(node["$ref"])
        return node

    def validate(self, schema, value, where):
        errors = sorted(Draft202012Validator(schema, resolver=self.resolver).iter_errors(value), key=str)
        for e in errors[:3]:
            fail("%s: %s at %s" % (where, e.message, "/".join(str(p) for p in e.absolute_path) or "the top"))
        return not errors

    def check(self, name, spec_path, method, answer, expect):
        where = "%s (%s %s -> %d)" % (name, method.upper(), spec_path, answer.status)
        self.probed.setdefault((spec_path, method), set()).add(answer.status)
        if answer.status != expect:
            fail("%s: expected %d; body %r" % (where, expect, answer.body[:300]))
        op = self.spec["paths"].get(spec_path, {}).get(method)
        if op is None:
            fail(where + ": the operation is not in docs/openapi.yaml")
            return
        response = op["responses"].get(str(answer.status))
        if response is None:
            fail(where + ": status %d is not documented" % answer.status)
            return
        response = self.resolve(response)
        for header, h in response.get("headers", {}).items():
            if h.get("required") and header.lower() not in answer.headers:
                fail("%s: documented header %s missing" % (where, header))
        content = response.get("content")
        if not content:
            if answer.body:
                fail(where + ": a body where the document describes none")
            return
        media = content.get(answer.content_type)
        if media is None:
            fail("%s: content type %r is not documented (%s)" % (where, answer.content_type, ", ".join(content)))
            return
        if answer.content_type == "application/json":
            try:
                value = answer.json()
            except ValueError as e:
                fail("%s: body is not JSON (%s)" % (where, e))
                return
            self.validate(media["schema"], value, where)
        elif answer.content_type == "text/event-stream":
            events = sse_events(answer.body)
            if not events:
                fail(where + ": no events")
            for event, data in events:
                schema = media.get("x-sse-events", {}).get(event)
                if schema is None:
                    fail("%s: event %r is not documented" % (where, event))
                    continue
                self.validate(schema, json.loads(data), "%s event %s" % (where, event))


def registered_routes(source):
    """(method, regex) of every route http/*.cpp registers with svr.Get/Post/..."""
    routes = []
    pattern = re.compile(r'svr\.(Get|Post|Put|Delete|Patch|Options)\(\s*(?:R"\((.*?)\)"|"((?:[^"\\]|\\.)*)")', re.S)
    http_dir = os.path.join(source, "http")
    for name in sorted(os.listdir(http_dir)):
        if name.endswith(".cpp"):
            text = open(os.path.join(http_dir, name)).read()
            for m in pattern.finditer(text):
                routes.append((m.group(1).lower(), m.group(2) if m.group(2) is not None else m.group(3), name))
    return routes


def sample(spec_path):
    return re.sub(r"\{[^}]+\}", "sample", spec_path)


def check_route_lists(spec, source):
    routes = registered_routes(source)
    if not routes:
        fail("no routes found in http/*.cpp: the route scan in this test no longer matches the code")
    described = [(m, p) for p, ops in spec["paths"].items() for m in ops if m in ("get", "post", "put", "delete", "patch")]
    for method, regex, where in routes:
        if regex == "/.*":
            # --static-dir's catch-all: files, not an API; docs/API.md "Static front end" has it.
            if "## Static front end" not in open(os.path.join(source, "docs", "API.md")).read():
                fail("http/%s serves static files but docs/API.md has no \"Static front end\" section" % where)
            continue
        if not any(m == method and re.fullmatch(regex, sample(p)) for m, p in described):
            fail("route %s %s (http/%s) is not described in docs/openapi.yaml" % (method.upper(), regex, where))
    for m, p in described:
        if not any(method == m and regex != "/.*" and re.fullmatch(regex, sample(p)) for method, regex, _ in routes):
            fail("docs/openapi.yaml describes %s %s, which the server does not register" % (m.upper(), p))


def wait_for_state(port, task_id, states, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        a = request(port, "GET", "/tasks/" + task_id)
        if a.status == 200 and a.json().get("state") in states:
            return a
        time.sleep(0.05)
    fail("task %s did not reach %s within %d s" % (task_id, states, seconds))
    return a


def run_probes(c, port):
    unknown = "0123456789abcdef0123456789abcdef"

    def probe(name, method, path, spec_path, expect, body=None, headers=None, timeout=60):
        a = request(port, method.upper(), path, body, headers, timeout)
        c.check(name, spec_path, method, a, expect)
        return a

    # Operations, before and after work.
    probe("health", "get", "/healthz", "/healthz", 200)
    probe("status", "get", "/status", "/status", 200)
    probe("workflows", "get", "/workflows", "/workflows", 200)
    probe("no active tasks", "get", "/generation/tasks/active", "/generation/tasks/active", 200)
    probe("actors at rest", "get", "/debug/actors", "/debug/actors", 200)

    # Refusals of the generation routes.
    probe("no workflow", "post", "/generate", "/generate", 400, *json_body({"prompt": "x"}))
    probe("unknown workflow", "post", "/generate", "/generate", 400, *json_body({"workflow": "None such", "prompt": "x"}))
    probe("not JSON", "post", "/generate", "/generate", 400, b"{", {"Content-Type": "application/json"})
    probe("text body", "post", "/generate", "/generate", 415, b"x", {"Content-Type": "text/plain"})
    probe("too large", "post", "/generate", "/generate", 413,
          *json_body({"workflow": "Builtin Tiny", "prompt": "x" * 70000}))
    probe("no ComfyUI", "post", "/generate", "/generate", 503,
          *json_body({"workflow": "ComfyUI Text to Image", "prompt": "x"}))
    probe("sync bad seed", "post", "/generate/sync", "/generate/sync", 400,
          *json_body({"workflow": "Builtin Tiny", "seed": "x"}))
    probe("sync text body", "post", "/generate/sync", "/generate/sync", 415, b"x", {"Content-Type": "text/plain"})
    probe("sync no ComfyUI", "post", "/generate/sync", "/generate/sync", 503,
          *json_body({"workflow": "ComfyUI Text to Image", "prompt": "x"}))
    probe("inpaint text body", "post", "/generate/inpaint", "/generate/inpaint", 415, b"x",
          {"Content-Type": "text/plain"})
    probe("inpaint JSON with bad base64", "post", "/generate/inpaint", "/generate/inpaint", 400,
          *json_body({"workflow": "Builtin Inpaint", "prompt": "p", "name": "n", "image": "!!", "mask": "!!"}))
    probe("inpaint without mask", "post", "/generate/inpaint", "/generate/inpaint", 400,
          *multipart({"workflow": "Builtin Inpaint", "prompt": "p", "name": "n"}, {"image": ("a.png", png(16, 16, 90))}))
    probe("upload as JSON", "post", "/upload/image", "/upload/image", 415, *json_body({"image": "x"}))
    probe("upload without file", "post", "/upload/image", "/upload/image", 400, *multipart({"name": "n"}, {}))
    probe("audio upload of an image", "post", "/upload/audio", "/upload/audio", 400,
          *multipart({}, {"audio": ("a.wav", png(16, 16, 90))}))
    for kind, data in (("image", png(16, 16, 90)), ("audio", b"RIFF\0\0\0\0WAVE" + b"\0" * 64)):
        up = probe("upload " + kind, "post", "/upload/" + kind, "/upload/" + kind, 200,
                   *multipart({"name": "contract"}, {kind: ("a.bin", data)})).json()
        wait_for_state(port, up["taskId"], ["completed"])
    probe("cancel not JSON", "post", "/generate/cancel", "/generate/cancel", 400, b"x", {"Content-Type": "text/plain"})
    probe("cancel unknown", "post", "/generate/cancel", "/generate/cancel", 404, *json_body({"taskId": unknown}))
    probe("task unknown", "get", "/tasks/" + unknown, "/tasks/{taskId}", 404)
    probe("delete unknown", "delete", "/tasks/" + unknown, "/tasks/{taskId}", 404)
    probe("progress unknown", "get", "/progress/" + unknown, "/progress/{taskId}", 404)
    probe("uid not a number", "get", "/media-data/x", "/media-data/{uid}", 400)
    probe("uid absent", "get", "/media-data/999999", "/media-data/{uid}", 404)
    probe("bad limit", "get", "/media-data?limit=x", "/media-data", 400)
    probe("bad sort", "get", "/media-data?sort=sideways", "/media-data", 400)
    probe("no such file", "get", "/media/nope.png", "/media/{filename}", 404)
    probe("escaping name", "get", "/media/..%2Fserver.log", "/media/{filename}", 400)

    # A sync generation and its file.
    result = probe("sync", "post", "/generate/sync", "/generate/sync", 200,
                   *json_body({"workflow": "Builtin Tiny", "prompt": "contract", "seed": 7})).json()
    url = result["imageUrl"]
    probe("sync base64 outputs", "post", "/generate/sync", "/generate/sync", 200,
          *json_body({"workflow": "Builtin Tiny", "prompt": "contract", "seed": 7, "outputFormat": "base64"}))
    keyed = {"workflow": "Builtin Tiny", "prompt": "contract key", "clientTaskId": "contract-1"}
    first = probe("keyed async", "post", "/generate", "/generate", 202, *json_body(keyed)).json()
    wait_for_state(port, first["taskId"], ("completed", "failed", "cancelled"))
    probe("keyed repeat", "post", "/generate", "/generate", 202, *json_body(keyed))
    probe("key reused with another body", "post", "/generate", "/generate", 422,
          *json_body(dict(keyed, prompt="another")))
    probe("sync key reused with another body", "post", "/generate/sync", "/generate/sync", 422,
          *json_body(dict(keyed, prompt="another")))
    probe("inpaint key reused", "post", "/generate/inpaint", "/generate/inpaint", 422,
          *json_body(dict(keyed, workflow="Builtin Inpaint", name="n", image=base64.b64encode(png(16, 16, 90)).decode(),
                          mask=base64.b64encode(png(16, 16, 90)).decode())))
    f = probe("file", "get", url, "/media/{filename}", 200)
    probe("file range", "get", url, "/media/{filename}", 206, headers={"Range": "bytes=0-9"})
    probe("file not modified", "get", url, "/media/{filename}", 304, headers={"If-None-Match": f.headers.get("etag", "")})
    probe("file range outside", "get", url, "/media/{filename}", 416, headers={"Range": "bytes=99999999-"})

    # An async generation, its events, its state and its gallery entry.
    started = probe("async", "post", "/generate", "/generate", 202,
                    *json_body({"workflow": "Builtin Tiny", "prompt": "contract fox", "tags": "ignored"})).json()
    tid = started["taskId"]
    wait_for_state(port, tid, ("completed", "failed", "cancelled"))
    probe("task completed", "get", "/tasks/" + tid, "/tasks/{taskId}", 200)
    # A webhook to a port nothing listens on: the task shows its delivery, retried later.
    hooked = probe("async with webhook", "post", "/generate", "/generate", 202,
                   *json_body({"workflow": "Builtin Tiny", "prompt": "hooked",
                               "webhook": {"url": "http://127.0.0.1:9/hook"}})).json()
    wait_for_state(port, hooked["taskId"], ("completed",))
    if "webhook" not in probe("task with webhook", "get", "/tasks/" + hooked["taskId"], "/tasks/{taskId}", 200).json():
        fail("GET /tasks/:id of a task with a webhook has no webhook member")
    probe("webhook host not allowed", "post", "/generate", "/generate", 400,
          *json_body({"workflow": "Builtin Tiny", "prompt": "x", "webhook": {"url": "http://203.0.113.1/hook"}}))
    probe("events replayed", "get", "/progress/" + tid, "/progress/{taskId}", 200)
    replay = probe("events after id 2", "get", "/progress/" + tid, "/progress/{taskId}", 200,
                   headers={"Last-Event-ID": "2"})
    terminal_id = re.findall(r"^id: *(\d+)", replay.body.decode(), re.M)
    if terminal_id:
        probe("events after the terminal one", "get", "/progress/" + tid, "/progress/{taskId}", 204,
              headers={"Last-Event-ID": terminal_id[-1]})
    else:
        fail("the replay after id 2 has no ids")
    entries = probe("gallery", "get", "/media-data?query=fox&limit=5&sort=ascending", "/media-data", 200).json()
    if not entries:
        fail("the async entry is not in the gallery")
    else:
        probe("entry", "get", "/media-data/%d" % entries[0]["uid"], "/media-data/{uid}", 200)
    # The gallery routes on that entry.
    uid = entries[0]["uid"] if entries else 0
    probe("tags", "get", "/tags", "/tags", 200)
    probe("edit", "post", "/edit", "/edit", 200, *json_body({"uid": uid, "name": "edited", "tags": ["contract"]}))
    probe("edit unknown", "post", "/edit", "/edit", 404, *json_body({"uid": 999999, "name": "x"}))
    probe("edit not JSON", "post", "/edit", "/edit", 400, b"x", {"Content-Type": "application/json"})
    regenerated = probe("regenerate", "post", "/regenerate", "/regenerate", 202,
                        *json_body({"uid": uid, "seed": 5})).json()
    # The server admits one task at a time (--max-queued-tasks=1): let this one end before the next.
    if regenerated.get("taskId"):
        wait_for_state(port, regenerated["taskId"], ("completed", "failed", "cancelled"))
    probe("regenerate unknown", "post", "/regenerate", "/regenerate", 404, *json_body({"uid": 999999}))
    probe("regenerate no uid", "post", "/regenerate", "/regenerate", 400, *json_body({}))
    probe("silent sync", "post", "/generate/silent/sync", "/generate/silent/sync", 200,
          *json_body({"workflow": "Builtin Tiny", "prompt": "silent"}))
    probe("silent sync no workflow", "post", "/generate/silent/sync", "/generate/silent/sync", 400, *json_body({}))
    probe("folders", "get", "/folder", "/folder", 200)
    made = probe("folder by label", "post", "/folder", "/folder", 200, *json_body({"label": "Contract"})).json()
    folder = made.get("current", "")
    probe("folder neither", "post", "/folder", "/folder", 400, *json_body({}))
    probe("folder unknown", "post", "/folder", "/folder", 404, *json_body({"uid": "no-such-folder"}))
    probe("rename folder", "put", "/folder", "/folder", 200, *json_body({"uid": folder, "label": "Renamed"}))
    probe("rename unknown", "put", "/folder", "/folder", 404, *json_body({"uid": "no-such-folder", "label": "x"}))
    probe("rename no label", "put", "/folder", "/folder", 400, *json_body({"uid": folder}))
    probe("delete folder", "delete", "/folder/" + folder, "/folder/{uid}", 200)
    probe("delete unknown folder", "delete", "/folder/no-such-folder", "/folder/{uid}", 404)
    probe("delete entries none", "delete", "/media-data/delete", "/media-data/delete", 400, *json_body({"uids": []}))
    probe("delete entries unknown", "delete", "/media-data/delete", "/media-data/delete", 404,
          *json_body({"uids": [999999]}))
    probe("delete entry", "delete", "/media-data/delete", "/media-data/delete", 200, *json_body({"uids": [uid]}))
    # The regenerated task must end before the queue probes below (maxQueuedTasks 1).
    deadline = time.time() + 60
    while time.time() < deadline and request(port, "GET", "/generation/tasks/active").json():
        time.sleep(0.05)

    probe("delete ended", "delete", "/tasks/" + tid, "/tasks/{taskId}", 409)
    probe("cancel ended", "post", "/generate/cancel", "/generate/cancel", 409, *json_body({"taskId": tid}))

    # Inpainting through multipart.
    body, headers = multipart({"workflow": "Builtin Inpaint", "prompt": "patch", "name": "contract inpaint",
                               "inpaintArea": '{"x1":0,"y1":0,"x2":8,"y2":8}', "steps": "1"},
                              {"image": ("a.png", png(16, 16, 90)), "mask": ("m.png", png(16, 16, 255))})
    inpaint = probe("inpaint", "post", "/generate/inpaint", "/generate/inpaint", 202, body, headers).json()
    wait_for_state(port, inpaint["taskId"], ("completed",))
    probe("inpaint task", "get", "/tasks/" + inpaint["taskId"], "/tasks/{taskId}", 200)

    # Live tasks: one slow running task (one builtin worker), a sync request that times out and
    # stays queued, the full queue (maxQueuedTasks 1) refusing the next, cancellations.
    slow = {"workflow": "Builtin Text to Image", "prompt": "slow", "steps": 200, "orientation": "square"}
    running = probe("slow async", "post", "/generate", "/generate", 202, *json_body(slow)).json()["taskId"]
    wait_for_state(port, running, ("running",))
    probe("task running", "get", "/tasks/" + running, "/tasks/{taskId}", 200)
    timed_out = probe("sync timeout", "post", "/generate/sync", "/generate/sync", 504,
                      *json_body(dict(slow, timeoutMs=50))).json()
    probe("task queued", "get", "/tasks/" + timed_out["taskId"], "/tasks/{taskId}", 200)
    probe("queue full", "post", "/generate", "/generate", 429, *json_body(slow))
    probe("sync queue full", "post", "/generate/sync", "/generate/sync", 429, *json_body(slow))
    probe("active tasks", "get", "/generation/tasks/active", "/generation/tasks/active", 200)
    probe("actors at work", "get", "/debug/actors", "/debug/actors", 200)
    probe("status at work", "get", "/status", "/status", 200)
    probe("cancel queued", "delete", "/tasks/" + timed_out["taskId"], "/tasks/{taskId}", 202)
    wait_for_state(port, timed_out["taskId"], ("cancelled",))
    queued = probe("queued async", "post", "/generate", "/generate", 202, *json_body(slow)).json()["taskId"]
    probe("cancel by POST", "post", "/generate/cancel", "/generate/cancel", 202, *json_body({"taskId": queued}))
    wait_for_state(port, queued, ("cancelled",))
    probe("cancelled events", "get", "/progress/" + queued, "/progress/{taskId}", 200)
    probe("cancel running", "delete", "/tasks/" + running, "/tasks/{taskId}", 202)
    wait_for_state(port, running, ("cancelled",))
    probe("task cancelled", "get", "/tasks/" + running, "/tasks/{taskId}", 200)

    # The metric families, now that every kind of work happened once.
    m = probe("metrics", "get", "/metrics", "/metrics", 200)
    live = set(re.findall(r"^# TYPE (\S+) ", m.body.decode(), re.M))
    documented = set(c.spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]["text/plain"]["x-metric-families"])
    for name in sorted(live - documented):
        fail("metric family %s is not in docs/openapi.yaml" % name)
    for name in sorted(documented - live):
        fail("docs/openapi.yaml lists metric family %s, which /metrics does not write" % name)
    return live



def check_api_keys(c, port, key):
    """With a key configured, every operation but /healthz answers 401 without it."""
    for path, ops in c.spec["paths"].items():
        for method in ops:
            if method not in ("get", "post", "put", "delete", "patch"):
                continue
            expect = 200 if path == "/healthz" else 401
            body, headers = (json_body({"workflow": "Builtin Tiny"}) if method == "post" else (None, {}))
            c.check("no key", path, method, request(port, method.upper(), sample(path), body, headers), expect)
    bearer = {"Authorization": "Bearer " + key}
    c.check("with the key", "/status", "get", request(port, "GET", "/status", None, bearer), 200)
    c.check("wrong key", "/status", "get", request(port, "GET", "/status", None, {"Authorization": "Bearer x" + key}), 401)
    c.check("key in the query", "/media/{filename}", "get",
            request(port, "GET", "/media/nope.png?access_token=" + key), 404)


def check_undescribed_methods(c, port):
    """No method the document leaves out may succeed on a documented path."""
    for path, ops in c.spec["paths"].items():
        for method in ("get", "post", "put", "delete", "patch"):
            if method in ops:
                continue
            a = request(port, method.upper(), sample(path), b"{}", {"Content-Type": "application/json"})
            if 200 <= a.status < 300:
                fail("%s %s answers %d but docs/openapi.yaml does not describe it" % (method.upper(), path, a.status))
    a = request(port, "GET", "/no-such-route")
    if a.status != 404:
        fail("an unknown route answers %d, not 404" % a.status)
    else:
        c.validate({"$ref": "#/components/schemas/Error"}, a.json(), "GET /no-such-route")


def check_coverage(c):
    for path, ops in c.spec["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "delete", "patch"):
                continue
            seen = c.probed.get((path, method), set())
            if not any(200 <= s < 300 for s in seen):
                fail("%s %s has no probe with a success answer" % (method.upper(), path))
            if any(k.startswith("4") for k in op["responses"]) and not any(400 <= s < 500 for s in seen):
                fail("%s %s documents client errors but no probe sees one" % (method.upper(), path))


def check_operations_doc(source, binary, metric_families):
    """docs/OPERATIONS.md names every flag, config key and metric family."""
    ops = open(os.path.join(source, "docs", "OPERATIONS.md")).read()
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30).stdout
    named = re.findall(r"^  (--[a-z-]+)=\S+(?: \([0-9.]+\))?\s+\((?:key \"(\w+)\"|flag only)\)", help_text, re.M)
    if len(named) < 20:
        fail("mediagen --help lists %d settings: the pattern in this test no longer matches it" % len(named))
    for flag, key in named:
        for word in (flag, key):
            if word and "`%s`" % word not in ops:
                fail("docs/OPERATIONS.md does not name %s (mediagen --help has it)" % word)
    if "--config" not in ops:
        fail("docs/OPERATIONS.md does not name --config")
    for name in metric_families:
        if name not in ops:
            fail("docs/OPERATIONS.md does not name metric family %s" % name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    args = parser.parse_args()
    spec = yaml.safe_load(open(os.path.join(args.source, "docs", "openapi.yaml")))
    if not str(spec.get("openapi", "")).startswith("3.1"):
        fail("docs/openapi.yaml is not OpenAPI 3.1")
    c = Contract(spec)
    # Every schema in the document is itself valid JSON Schema 2020-12.
    for name, schema in spec["components"]["schemas"].items():
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as e:  # noqa: BLE001 -- report any schema error by name
            fail("schema %s is not valid JSON Schema: %s" % (name, e))
    check_route_lists(spec, args.source)
    with tempfile.TemporaryDirectory(prefix="mediagen-contract-") as data:
        # Webhooks on (to loopback only), so their fields and figures are checked too.
        server = Server(args.binary, args.source, data,
                        ["--webhook-host=127.0.0.1", "--webhook-secret=contract-secret",
                         "--webhook-retry-base-ms=60000", "--webhook-timeout-ms=500"])
        try:
            families = run_probes(c, server.port)
            check_undescribed_methods(c, server.port)
        finally:
            server.stop()
    with tempfile.TemporaryDirectory(prefix="mediagen-contract-keys-") as data:
        key = "contract-key-0123456789"
        server = Server(args.binary, args.source, data, ["--api-key=" + key])
        try:
            check_api_keys(c, server.port, key)
        finally:
            server.stop()
    check_coverage(c)
    check_operations_doc(args.source, args.binary, families)
    probes = sum(len(v) for v in c.probed.values())
    if failures:
        print("%d contract failures" % len(failures))
        return 1
    print("contract holds: %d operations, %d distinct answers checked" % (len(c.probed), probes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
