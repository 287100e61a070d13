#!/usr/bin/env python3
"""Self-test of tests/fakes/fake_comfyui.py.

Starts the fake on a free port as a subprocess and drives it with aiohttp's
client (HTTP + WebSocket), the way a real ComfyUI client would.

Run:  python3 tests/fakes/test_fake_comfyui.py
Prints one line per check and "N passed, M failed"; exits non-zero on failure.
"""

import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_python import ensure_aiohttp  # noqa: E402


ensure_aiohttp('test_fake_comfyui')

import asyncio
import json
import struct
import shutil
import subprocess
import tempfile
import threading
import time
import traceback
import uuid
import zlib

import aiohttp

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_comfyui.py")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def graph(steps=6, width=96, height=64, prefix="fake_test", extra=None, batch=1):
    g = {
        "3": {"class_type": "KSampler", "inputs": {
            "seed": 42, "steps": steps, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal",
            "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
            "latent_image": ["5", 0]}},
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "fake_model.safetensors"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": width, "height": height,
                                                           "batch_size": batch}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": prefix, "images": ["8", 0]}},
    }
    if extra:
        g.update(extra)
    return g


EXPECTED_ORDER = ["4", "6", "7", "5", "3", "8", "9"]


class Check(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Check(what)


class Server:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="fake_comfyui_test_")
        self.stderr = open(os.path.join(self.root, "stderr.txt"), "w+")
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--root", os.path.join(self.root, "data"),
             "--step-ms", "10", "--steps-default", "5"],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = [None]

        def read():
            line[0] = self.proc.stdout.readline()
        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(15)
        if not line[0] or not line[0].startswith("LISTENING "):
            self.stop()
            raise RuntimeError("fake did not report LISTENING: %r\n%s" % (line[0], self.stderr_text()))
        self.port = int(line[0].split()[1])
        self.base = "http://127.0.0.1:%d" % self.port

    def stderr_text(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class WS:
    """A client socket that collects frames."""

    def __init__(self, session, base, client_id=None):
        self.session, self.base = session, base
        self.client_id = client_id or uuid.uuid4().hex
        self.ws = None

    async def __aenter__(self):
        self.ws = await self.session.ws_connect(
            self.base.replace("http", "ws") + "/ws?clientId=" + self.client_id)
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def next(self, timeout=5.0):
        """("json", dict) | ("bin", bytes) | ("closed", None)"""
        msg = await asyncio.wait_for(self.ws.receive(), timeout)
        if msg.type == aiohttp.WSMsgType.TEXT:
            return "json", json.loads(msg.data)
        if msg.type == aiohttp.WSMsgType.BINARY:
            return "bin", msg.data
        return "closed", None

    async def until_idle(self, prompt_id, timeout=10.0, on_frame=None):
        """Frames up to and including executing{node: None, prompt_id}."""
        frames = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            check(left > 0, "timed out waiting for executing node=null; got %s" % summary(frames))
            kind, data = await self.next(left)
            check(kind != "closed", "socket closed early; got %s" % summary(frames))
            frames.append((kind, data))
            if on_frame:
                await on_frame(kind, data)
            if (kind == "json" and data["type"] == "executing" and data["data"]["node"] is None
                    and data["data"].get("prompt_id") == prompt_id):
                return frames


def summary(frames):
    out = []
    for kind, data in frames:
        if kind == "bin":
            out.append("<bin>")
        else:
            d = data["data"]
            out.append("%s(%s)" % (data["type"], d.get("node", d.get("value", ""))) if isinstance(d, dict) else data["type"])
    return " ".join(out)


async def post(session, base, path, body=None, raw=None):
    kwargs = {}
    if raw is not None:
        kwargs["data"] = raw
        kwargs["headers"] = {"Content-Type": "application/json"}
    elif body is not None:
        kwargs["json"] = body
    async with session.post(base + path, **kwargs) as r:
        text = await r.text()
        try:
            return r.status, json.loads(text) if text else None
        except ValueError:
            return r.status, text


async def get(session, base, path):
    async with session.get(base + path) as r:
        data = await r.read()
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, data


async def configure(session, base, **cfg):
    status, body = await post(session, base, "/_fake/config", cfg)
    check(status == 200, "config %r -> %s %s" % (cfg, status, body))


async def wait_history(session, base, prompt_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = await get(session, base, "/history/" + prompt_id)
        if body:
            return body[prompt_id]
        await asyncio.sleep(0.05)
    raise Check("history of %s never appeared" % prompt_id)


def json_types(frames):
    return [d["type"] for k, d in frames if k == "json"]


# --------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------

async def test_prompt_frames_and_history(s, base):
    """A prompt runs with ComfyUI's frame order; history only after execution_success."""
    await configure(s, base, history_delay_ms=300, preview_every=2)
    async with WS(s, base) as ws:
        kind, first = await ws.next()
        check(kind == "json" and first["type"] == "status", "first frame is status: %r" % (first,))
        check(first["data"]["sid"] == ws.client_id, "status carries sid")
        check(isinstance(first["data"]["status"]["exec_info"]["queue_remaining"], int), "queue_remaining")

        my_id = str(uuid.uuid4())
        status, resp = await post(s, base, "/prompt", {"prompt": graph(steps=6), "client_id": ws.client_id,
                                                        "prompt_id": my_id})
        check(status == 200, "POST /prompt 200, got %s %s" % (status, resp))
        check(resp["prompt_id"] == my_id, "client prompt_id used")
        check(isinstance(resp["number"], int) and resp["node_errors"] == {}, "number/node_errors: %r" % resp)
        status, h = await get(s, base, "/history/" + my_id)
        check(status == 200 and h == {}, "history empty before run: %r" % h)

        seen_success_history = []

        async def on_frame(kind, data):
            if kind == "json" and data["type"] == "execution_success":
                _, hist = await get(s, base, "/history/" + my_id)
                seen_success_history.append(hist)

        frames = await ws.until_idle(my_id, on_frame=on_frame)

    check(seen_success_history == [{}], "history not yet written at execution_success: %r" % seen_success_history)
    mine = [(k, d) for k, d in frames if k == "bin" or d["type"] != "status"]
    types = json_types(mine)
    check(types[:2] == ["execution_start", "execution_cached"], "start/cached first: %s" % types)
    check(types[-2:] == ["execution_success", "executing"], "success then executing null: %s" % types)
    executing = [d["data"] for k, d in mine if k == "json" and d["type"] == "executing"]
    check([e["node"] for e in executing] == EXPECTED_ORDER + [None], "node order %s" % [e["node"] for e in executing])
    check(all(e["display_node"] == e["node"] and e["prompt_id"] == my_id for e in executing[:-1]),
          "executing has display_node + prompt_id")
    progress = [d["data"] for k, d in mine if k == "json" and d["type"] == "progress"]
    check([p["value"] for p in progress] == [1, 2, 3, 4, 5, 6] and all(p["max"] == 6 for p in progress),
          "progress 1..6 of 6: %r" % progress)
    check(all(p["node"] == "3" and p["prompt_id"] == my_id for p in progress), "progress node/prompt_id")
    # progress frames sit between executing(3) and executing(8)
    order = [("x", d["data"]["node"]) if k == "json" and d["type"] == "executing" else
             ("p", None) if k == "json" and d["type"] == "progress" else (k, None) for k, d in mine]
    i3 = order.index(("x", "3"))
    i8 = order.index(("x", "8"))
    check(all(o[0] in ("p", "bin") for o in order[i3 + 1:i8]), "only progress/previews inside KSampler")
    previews = [d for k, d in mine if k == "bin"]
    check(len(previews) == 2, "previews after steps 2 and 4: %d" % len(previews))
    for p in previews:
        event, fmt = struct.unpack(">II", p[:8])
        check(event == 1 and fmt == 1 and p[8:10] == b"\xff\xd8" and p[-2:] == b"\xff\xd9",
              "binary PREVIEW_IMAGE(1) + JPEG(1) + JPEG bytes")
    executed = [d["data"] for k, d in mine if k == "json" and d["type"] == "executed"]
    check(len(executed) == 1 and executed[0]["node"] == "9" and executed[0]["display_node"] == "9",
          "executed for SaveImage only")
    images = executed[0]["output"]["images"]
    check(images == [{"filename": "fake_test_00001_.png", "subfolder": "", "type": "output"}],
          "SaveImage output %r" % images)
    start = [d["data"] for k, d in mine if k == "json" and d["type"] == "execution_start"][0]
    check(start["prompt_id"] == my_id and isinstance(start["timestamp"], int), "execution_start fields")
    # the status broadcast that follows history (PromptQueue.task_done) precedes executing null
    all_types = json_types(frames)
    last_status = max(i for i, t in enumerate(all_types) if t == "status")
    check(last_status > all_types.index("execution_success"), "status after execution_success")
    check(frames[-1][1]["data"]["node"] is None, "executing null is the last frame")
    status_frame = [d for k, d in frames if k == "json" and d["type"] == "status"][-1]
    check(status_frame["data"]["status"]["exec_info"]["queue_remaining"] == 0, "queue_remaining 0 at the end")

    status, h = await get(s, base, "/api/history/" + my_id)
    check(status == 200 and my_id in h, "history written by executing null (also under /api)")
    entry = h[my_id]
    check(entry["prompt"][1] == my_id and entry["prompt"][4] == ["9"], "history prompt tuple")
    check(entry["prompt"][3]["client_id"] == ws.client_id, "extra_data.client_id")
    check(entry["outputs"] == {"9": {"images": images}}, "history outputs")
    check(entry["status"]["status_str"] == "success" and entry["status"]["completed"] is True, "status success")
    check([m[0] for m in entry["status"]["messages"]] == ["execution_start", "execution_cached",
                                                          "execution_success"], "status messages")
    status, allh = await get(s, base, "/history")
    check(my_id in allh, "GET /history lists it")

    # a second run continues the file counter, like folder_paths.get_save_image_path
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=2), "client_id": ws.client_id})
        check(len(resp["prompt_id"]) == 36, "server-made uuid4 prompt_id")
        await ws.until_idle(resp["prompt_id"])
    entry = await wait_history(s, base, resp["prompt_id"])
    check(entry["outputs"]["9"]["images"][0]["filename"] == "fake_test_00002_.png", "counter 00002")


async def test_view_png(s, base):
    """/view serves the generated PNG; unknown 404; '..' rejected."""
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=1, width=96, height=64, prefix="view"),
                                                   "client_id": ws.client_id})
        await ws.until_idle(resp["prompt_id"])
    entry = await wait_history(s, base, resp["prompt_id"])
    img = entry["outputs"]["9"]["images"][0]
    async with s.get(base + "/view", params={"filename": img["filename"], "subfolder": img["subfolder"],
                                             "type": img["type"]}) as r:
        check(r.status == 200, "/view 200")
        check(r.headers["Content-Type"] == "image/png", "content type png")
        data = await r.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature")
    w, h = struct.unpack(">II", data[16:24])
    check((w, h) == (96, 64), "PNG is EmptyLatentImage size: %dx%d" % (w, h))
    # walk the chunks, inflate IDAT: one filter byte + 3 bytes per pixel per row
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        check(crc == zlib.crc32(kind + body) & 0xFFFFFFFF, "chunk CRC")
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    check(len(zlib.decompress(idat)) == h * (1 + 3 * w), "pixel data size")
    status, _ = await get(s, base, "/api/view?filename=" + img["filename"])
    check(status == 200, "/api/view also serves")
    status, _ = await get(s, base, "/view?filename=nope.png&type=output")
    check(status == 404, "unknown file 404")
    status, _ = await get(s, base, "/view?filename=../etc/passwd")
    check(status == 400, "'..' in filename 400, got %s" % status)
    status, _ = await get(s, base, "/view?filename=x.png&subfolder=../..")
    check(status == 403, "subfolder escaping 403, got %s" % status)


async def test_prompt_400s(s, base):
    """Unknown node type, no prompt, bad JSON, no outputs, reject_prompt."""
    bad = graph(extra={"10": {"class_type": "NotARealNode", "inputs": {"image": ["8", 0]}},
                       "11": {"class_type": "SaveImage", "inputs": {"images": ["10", 0], "filename_prefix": "x"}}})
    status, body = await post(s, base, "/prompt", {"prompt": bad, "client_id": "c"})
    check(status == 400, "unknown node 400")
    check(body["error"]["type"] == "prompt_outputs_failed_validation", "error type %r" % body["error"])
    check(set(body["error"]) == {"type", "message", "details", "extra_info"}, "error fields")
    check(list(body["node_errors"]) == ["10"], "node_errors keyed by node id: %r" % body["node_errors"])
    ne = body["node_errors"]["10"]
    check(ne["class_type"] == "NotARealNode" and ne["dependent_outputs"] == ["11"], "node_error entry %r" % ne)
    check(ne["errors"][0]["type"] == "missing_node_type", "reason type")

    status, body = await post(s, base, "/prompt", {"client_id": "c"})
    check(status == 400 and body["error"]["type"] == "no_prompt" and body["node_errors"] == {}, "no prompt: %r" % body)
    status, body = await post(s, base, "/prompt", raw=b"{not json")
    check(status == 400 and isinstance(body["error"], dict) and body["node_errors"] == {}, "bad JSON: %r" % body)
    status, body = await post(s, base, "/prompt", {"prompt": {"1": {"class_type": "EmptyLatentImage",
                                                                     "inputs": {}}}})
    check(status == 400 and body["error"]["type"] == "prompt_no_outputs", "no outputs: %r" % body)

    await configure(s, base, unknown_node_style="missing_node_type")
    status, body = await post(s, base, "/prompt", {"prompt": bad})
    check(status == 400 and body["error"]["type"] == "missing_node_type" and body["node_errors"] == {},
          "current-ComfyUI style: %r" % body)
    await configure(s, base, unknown_node_style="node_errors", extra_node_types=["NotARealNode"])
    status, body = await post(s, base, "/prompt", {"prompt": bad})
    check(status == 200, "config-added node type accepted: %s %r" % (status, body))

    await configure(s, base, reject_prompt=True)
    status, body = await post(s, base, "/api/prompt", {"prompt": graph()})
    check(status == 400 and body["node_errors"] and body["error"]["type"] == "prompt_outputs_failed_validation",
          "reject_prompt: %r" % body)
    _, log = await get(s, base, "/_fake/log")
    posted = [r for r in log["requests"] if r["path"] in ("/prompt", "/api/prompt") and r["method"] == "POST"]
    check(len(posted) == 7 and "prompt" in posted[-1]["json"], "request log records /prompt bodies")


async def test_interrupt(s, base):
    """/interrupt with another prompt_id does nothing; with the running one it interrupts."""
    await configure(s, base, step_ms=20)
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=40), "client_id": ws.client_id})
        pid = resp["prompt_id"]
        stage = {"progress": 0}

        async def on_frame(kind, data):
            if kind == "json" and data["type"] == "progress":
                stage["progress"] += 1
                if stage["progress"] == 1:
                    st, _ = await post(s, base, "/interrupt", {"prompt_id": "not-the-running-one"})
                    check(st == 200, "interrupt 200")
                if stage["progress"] == 4:
                    await post(s, base, "/api/interrupt", {"prompt_id": pid})

        frames = await ws.until_idle(pid, on_frame=on_frame)
    types = json_types(frames)
    check("execution_interrupted" in types and "execution_success" not in types, "interrupted: %s" % types)
    check(4 <= stage["progress"] < 40, "stopped mid-run after %d steps" % stage["progress"])
    data = [d["data"] for k, d in frames if k == "json" and d["type"] == "execution_interrupted"][0]
    check(data["prompt_id"] == pid and data["node_id"] == "3" and data["node_type"] == "KSampler",
          "interrupted fields %r" % data)
    check(data["executed"] == ["4", "6", "7", "5"], "executed before interrupt %r" % data["executed"])
    entry = await wait_history(s, base, pid)
    check(entry["status"]["status_str"] == "error" and entry["status"]["completed"] is False, "history error")
    _, log = await get(s, base, "/_fake/log")
    check([(i["prompt_id"], i["interrupted"]) for i in log["interrupts"]]
          == [("not-the-running-one", False), (pid, True)], "interrupt log %r" % log["interrupts"])

    # no body interrupts whatever is running
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=40), "client_id": ws.client_id})

        async def on_frame2(kind, data):
            if kind == "json" and data["type"] == "progress" and data["data"]["value"] == 2:
                async with s.post(base + "/interrupt") as r:
                    check(r.status == 200, "bodiless interrupt 200")

        frames = await ws.until_idle(resp["prompt_id"], on_frame=on_frame2)
    check("execution_interrupted" in json_types(frames), "bodiless interrupt works")


async def test_queue_delete(s, base):
    """Pending prompts run in order; /queue delete removes one; clear empties the queue."""
    await configure(s, base, step_ms=15)
    async with WS(s, base) as ws:
        await ws.next()
        ids = []
        for _ in range(3):
            _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=8), "client_id": ws.client_id})
            ids.append(resp["prompt_id"])
        a, b, c = ids
        _, q = await get(s, base, "/queue")
        listed = [it[1] for it in q["queue_running"]] + [it[1] for it in q["queue_pending"]]
        check(listed == ids, "queue lists running + pending in order: %r" % listed)
        check(all(len(it) == 5 for it in q["queue_pending"]), "queue items are 5-tuples")
        st, _ = await post(s, base, "/queue", {"delete": [b]})
        check(st == 200, "queue delete 200")
        _, q = await get(s, base, "/api/queue")
        check(b not in [it[1] for it in q["queue_pending"]], "deleted from pending")
        frames = await ws.until_idle(c, timeout=15)
    started = [d["data"]["prompt_id"] for k, d in frames if k == "json" and d["type"] == "execution_start"]
    check(started == [a, c], "ran A then C, not B: %r" % started)
    _, hb = await get(s, base, "/history/" + b)
    check(hb == {}, "no history for deleted prompt")
    _, log = await get(s, base, "/_fake/log")
    check(log["queue_deletes"][0]["delete"] == [b] and log["queue_deletes"][0]["removed"] == [b], "delete logged")

    async with WS(s, base) as ws:
        await ws.next()
        ids = []
        for _ in range(3):
            _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=30), "client_id": ws.client_id})
            ids.append(resp["prompt_id"])
        await post(s, base, "/queue", {"clear": True})
        _, q = await get(s, base, "/queue")
        check(q["queue_pending"] == [], "clear empties pending")
        await post(s, base, "/interrupt")
        await ws.until_idle(ids[0])
    _, log = await get(s, base, "/_fake/log")
    check(len(log["queue_clears"]) == 1, "clear logged")


async def test_legacy(s, base):
    """--legacy: no execution_success, no display_node, no timestamps, string errors."""
    await configure(s, base, legacy=True)
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=3), "client_id": ws.client_id})
        frames = await ws.until_idle(resp["prompt_id"])
    types = json_types(frames)
    check("execution_success" not in types, "legacy has no execution_success: %s" % types)
    check("executed" in types and "execution_start" in types, "legacy still runs")
    for k, d in frames:
        if k == "json" and d["type"] in ("executing", "executed"):
            check("display_node" not in d["data"], "no display_node in legacy")
        if k == "json" and d["type"].startswith("execution_"):
            check("timestamp" not in d["data"], "no timestamp in legacy")
    entry = await wait_history(s, base, resp["prompt_id"])
    check(entry["status"]["status_str"] == "success", "legacy history success")
    status, body = await post(s, base, "/prompt", {"prompt": graph(extra={"10": {"class_type": "Nope",
                                                                                 "inputs": {}}})})
    check(status == 400 and isinstance(body["error"], str) and "10" in body["node_errors"],
          "legacy 400 error is a string: %r" % body)


async def test_preview_framing(s, base):
    """Previews as server.py frames them: PREVIEW_IMAGE (>I 1, >I format, a real JPEG or PNG),
    PREVIEW_IMAGE_WITH_METADATA (>I 4, >I length, JSON naming the prompt and node, the image),
    and padding after the image for an oversized frame."""
    def images(frames):
        return [d for k, d in frames if k == "bin"]

    await configure(s, base, preview_every=1)
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=4), "client_id": ws.client_id})
        plain = images(await ws.until_idle(resp["prompt_id"]))
        check(len(plain) == 3, "a preview after steps 1..3 of 4 (none after the last): %d" % len(plain))
        for p in plain:
            event, fmt = struct.unpack(">II", p[:8])
            check(event == 1 and fmt == 1, "PREVIEW_IMAGE, JPEG: %d %d" % (event, fmt))
            jpeg = p[8:]
            check(jpeg[:3] == b"\xff\xd8\xff" and jpeg[-2:] == b"\xff\xd9", "a whole JPEG file")
            sof = jpeg.find(b"\xff\xc0")
            check(sof > 0 and struct.unpack(">HH", jpeg[sof + 5:sof + 9]) == (16, 16), "a 16x16 baseline JPEG")
        check(len(set(plain)) == 3, "consecutive previews differ")

        await configure(s, base, preview_style="metadata", preview_format="png")
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=3), "client_id": ws.client_id})
        meta = images(await ws.until_idle(resp["prompt_id"]))
        check(len(meta) == 2, "two previews with metadata: %d" % len(meta))
        for p in meta:
            event, length = struct.unpack(">II", p[:8])
            check(event == 4, "PREVIEW_IMAGE_WITH_METADATA: %d" % event)
            info = json.loads(p[8:8 + length])
            check(info["prompt_id"] == resp["prompt_id"] and info["node_id"] == "3", "metadata names prompt and node")
            check(info["image_type"] == "image/png", "image_type %r" % info.get("image_type"))
            check(p[8 + length:8 + length + 8] == b"\x89PNG\r\n\x1a\n", "then a PNG file")

        await configure(s, base, preview_style="plain", preview_format="jpeg", preview_pad_bytes=100000)
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=2), "client_id": ws.client_id})
        padded = images(await ws.until_idle(resp["prompt_id"]))
        check(len(padded) == 1 and len(padded[0]) > 100000, "an oversized frame: %r" % [len(p) for p in padded])
    status, _ = await post(s, base, "/_fake/config", {"preview_style": "fancy"})
    check(status == 400, "an unknown preview_style is refused: %s" % status)


async def test_execution_error(s, base):
    """--fail-node: execution_error frame and an error history."""
    await configure(s, base, fail_node="VAEDecode")
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=2), "client_id": ws.client_id})
        frames = await ws.until_idle(resp["prompt_id"])
    types = json_types(frames)
    check("execution_error" in types and "execution_success" not in types and "executed" not in types,
          "error path: %s" % types)
    err = [d["data"] for k, d in frames if k == "json" and d["type"] == "execution_error"][0]
    for key in ("prompt_id", "node_id", "node_type", "executed", "exception_message", "exception_type",
                "traceback", "current_inputs", "current_outputs", "timestamp"):
        check(key in err, "execution_error has %s" % key)
    check(err["node_id"] == "8" and err["node_type"] == "VAEDecode", "failing node %r" % err)
    check(isinstance(err["traceback"], list) and err["traceback"], "traceback list")
    entry = await wait_history(s, base, resp["prompt_id"])
    check(entry["status"]["status_str"] == "error" and entry["status"]["messages"][-1][0] == "execution_error",
          "error history")


async def test_drop_socket(s, base):
    """--drop-socket-after-steps: socket closed mid-run, run continues, history written."""
    await configure(s, base, drop_socket_after_steps=3)
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=8), "client_id": ws.client_id})
        progress = 0
        while True:
            kind, data = await ws.next()
            if kind == "closed":
                break
            if kind == "json" and data["type"] == "progress":
                progress += 1
        check(progress == 3, "closed after 3 progress frames, saw %d" % progress)
        async with WS(s, base, ws.client_id) as ws2:       # reconnect with the same clientId
            kind, data = await ws2.next()
            check(data["type"] == "status", "status on reconnect")
            frames = await ws2.until_idle(resp["prompt_id"])
            check("execution_success" in json_types(frames), "frames go to the new socket")
    entry = await wait_history(s, base, resp["prompt_id"])
    check(entry["status"]["status_str"] == "success", "run completed after drop")
    _, log = await get(s, base, "/_fake/log")
    check(any(w["event"] == "dropped" for w in log["websockets"]), "drop logged")

    # A second socket with the same clientId replaces the first (server.py websocket_handler);
    # the first one closing later must not unregister the second.
    await configure(s, base, drop_socket_after_steps=0)
    cid = uuid.uuid4().hex
    old = await s.ws_connect(base.replace("http", "ws") + "/ws?clientId=" + cid)
    await old.receive()
    async with WS(s, base, cid) as ws:
        await ws.next()
        await old.close()
        await asyncio.sleep(0.1)
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=2), "client_id": cid})
        frames = await ws.until_idle(resp["prompt_id"])
        check("execution_success" in json_types(frames), "frames reach the replacing socket")


async def test_silent_and_history_delay(s, base):
    """--silent-socket sends nothing; history still tells completion."""
    await configure(s, base, silent_socket=True, history_delay_ms=100)
    async with WS(s, base) as ws:
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=3), "client_id": ws.client_id})
        entry = await wait_history(s, base, resp["prompt_id"])
        check(entry["status"]["completed"] is True, "completed via history")
        try:
            kind, data = await ws.next(timeout=0.2)
            check(False, "silent socket sent %r" % ((kind, data),))
        except asyncio.TimeoutError:
            pass

    # history_after_idle: executing null first, history only later (the race a client must survive)
    await configure(s, base, silent_socket=False, history_delay_ms=200, history_after_idle=True)
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=2), "client_id": ws.client_id})
        await ws.until_idle(resp["prompt_id"])
        _, h = await get(s, base, "/history/" + resp["prompt_id"])
        check(h == {}, "history not yet there at executing null")
        entry = await wait_history(s, base, resp["prompt_id"])
        check(entry["status"]["status_str"] == "success", "history arrives later")


async def test_upload_free_misc(s, base):
    """Upload renames on collision like ComfyUI; /free recorded; misc endpoints answer."""
    async def upload(data, name="in.png", **fields):
        form = aiohttp.FormData()
        form.add_field("image", data, filename=name, content_type="image/png")
        for k, v in fields.items():
            form.add_field(k, v)
        async with s.post(base + "/upload/image", data=form) as r:
            check(r.status == 200, "upload 200")
            return await r.json()

    r1 = await upload(b"first")
    check(r1 == {"name": "in.png", "subfolder": "", "type": "input"}, "first upload %r" % r1)
    r2 = await upload(b"second")
    check(r2["name"] == "in (1).png", "collision renamed: %r" % r2)
    r3 = await upload(b"first")
    check(r3["name"] == "in.png", "identical content keeps the name (ComfyUI hash check): %r" % r3)
    r4 = await upload(b"third", overwrite="true")
    check(r4["name"] == "in.png", "overwrite keeps the name")
    r5 = await upload(b"fourth", subfolder="masks", type="input")
    check(r5 == {"name": "in.png", "subfolder": "masks", "type": "input"}, "subfolder upload %r" % r5)
    status, data = await get(s, base, "/view?filename=in%20(1).png&type=input")
    check(status == 200 and data == b"second", "uploaded file viewable")
    _, log = await get(s, base, "/_fake/log")
    check([u["name"] for u in log["uploads"]] == ["in.png", "in (1).png", "in.png", "in.png", "in.png"],
          "uploads logged")

    st, _ = await post(s, base, "/free", {"unload_models": True, "free_memory": False})
    check(st == 200, "/free 200")
    _, log = await get(s, base, "/_fake/log")
    check(log["free"][-1]["unload_models"] is True and log["free"][-1]["free_memory"] is False, "free logged")

    st, stats = await get(s, base, "/system_stats")
    check(st == 200 and "system" in stats and stats["devices"], "system_stats")
    st, info = await get(s, base, "/api/object_info")
    check(st == 200 and info["SaveImage"]["output_node"] is True and "KSampler" in info, "object_info")
    check("in.png" in info["LoadImage"]["input"]["required"]["image"][0], "LoadImage lists uploads")
    st, q = await get(s, base, "/prompt")
    check(st == 200 and q == {"exec_info": {"queue_remaining": 0}}, "GET /prompt")


async def test_stuck_node_meets_interrupt_at_next_node(s, base):
    """A stuck node ignores /interrupt while it runs; the next node then stops the prompt."""
    await configure(s, base, stuck_node="KSampler", stuck_ms=800)
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=5), "client_id": ws.client_id})
        pid = resp["prompt_id"]
        sent = {}

        async def on_frame(kind, data):
            if (kind == "json" and data["type"] == "executing" and data["data"]["node"] == "3"
                    and "at" not in sent):
                sent["at"] = time.monotonic()
                await post(s, base, "/interrupt", {"prompt_id": pid})

        frames = await ws.until_idle(pid, on_frame=on_frame)
        ended = time.monotonic()
    types = json_types(frames)
    check("progress" not in types, "a stuck node sends no step progress: %s" % types)
    data = [d["data"] for k, d in frames if k == "json" and d["type"] == "execution_interrupted"]
    check(data and data[0]["node_id"] == "8", "interrupted at the node after the stuck one: %r" % data)
    check(ended - sent["at"] >= 0.7, "the interrupt waited for the stuck node (%.2fs)" % (ended - sent["at"]))


async def test_stuck_node_forever(s, base):
    """stuck_ms 0: the node never ends and /interrupt does not end it (run last: it stays stuck)."""
    await configure(s, base, stuck_node="SaveImage", stuck_ms=0)
    async with WS(s, base) as ws:
        await ws.next()
        _, resp = await post(s, base, "/prompt", {"prompt": graph(steps=2), "client_id": ws.client_id})
        pid = resp["prompt_id"]
        while True:
            kind, data = await ws.next()
            if kind == "json" and data["type"] == "executing" and data["data"]["node"] == "9":
                break
        await post(s, base, "/interrupt", {"prompt_id": pid})
        try:
            kind, data = await ws.next(timeout=1.0)
            check(False, "a frame came after the interrupt: %r" % ((kind, data),))
        except asyncio.TimeoutError:
            pass
    _, state = await get(s, base, "/_fake/state")
    check(state["running"] is not None, "still running: %r" % state["running"])
    _, h = await get(s, base, "/history/" + pid)
    check(h == {}, "no history for a stuck prompt")


TESTS = [
    test_prompt_frames_and_history,
    test_view_png,
    test_prompt_400s,
    test_interrupt,
    test_queue_delete,
    test_legacy,
    test_preview_framing,
    test_execution_error,
    test_drop_socket,
    test_silent_and_history_delay,
    test_upload_free_misc,
    test_stuck_node_meets_interrupt_at_next_node,
    test_stuck_node_forever,  # last: its prompt never ends
]


async def run_all(server):
    passed = failed = 0
    timeout = aiohttp.ClientTimeout(total=20)
    async with aiohttp.ClientSession(timeout=timeout) as s:
        for test in TESTS:
            t0 = time.monotonic()
            try:
                await post(s, server.base, "/_fake/reset", {"config": True})
                for _ in range(200):       # let a prompt left running by the previous test finish
                    _, state = await get(s, server.base, "/_fake/state")
                    if state["running"] is None:
                        break
                    await asyncio.sleep(0.05)
                await asyncio.wait_for(test(s, server.base), 20)
                passed += 1
                print("PASS %-34s %.2fs" % (test.__name__, time.monotonic() - t0), flush=True)
            except Exception as ex:
                failed += 1
                print("FAIL %-34s %s: %s" % (test.__name__, type(ex).__name__, ex), flush=True)
                if not isinstance(ex, Check):
                    traceback.print_exc()
    return passed, failed


def main():
    t0 = time.monotonic()
    server = Server()
    try:
        passed, failed = asyncio.run(run_all(server))
    finally:
        server.stop()
    if failed:
        print("--- fake stderr ---\n" + server.stderr_text())
    shutil.rmtree(server.root, ignore_errors=True)
    print("total %.1fs" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or server.proc.returncode not in (0, -15) else 0


if __name__ == "__main__":
    sys.exit(main())
