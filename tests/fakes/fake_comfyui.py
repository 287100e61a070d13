#!/usr/bin/env python3
"""A fake ComfyUI server for tests.

Speaks ComfyUI's HTTP + WebSocket protocol (as written in ComfyUI's server.py,
execution.py and main.py) closely enough that a client written against a real
ComfyUI works against it unchanged, without a GPU or models. Nodes do nothing
but wait; SaveImage writes a real (small) PNG.

Start:  python3 tests/fakes/fake_comfyui.py --port 0
        -> prints "LISTENING <port>" on stdout once it accepts connections.
See tests/fakes/README.md for the knobs and the /_fake/* endpoints.

Only the standard library and aiohttp (Debian's python3-aiohttp) are used.
"""

import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_python import ensure_aiohttp  # noqa: E402


if __name__ == "__main__":
    ensure_aiohttp('fake_comfyui')

import argparse
import asyncio
import copy
import json
import logging
import re
import shutil
import signal
import socket
import struct
import tempfile
import time
import uuid
import zlib

from aiohttp import web

LOG = logging.getLogger("fake_comfyui")

# Binary websocket event types (ComfyUI server.py / protocol.py BinaryEventTypes).
PREVIEW_IMAGE = 1
PREVIEW_IMAGE_WITH_METADATA = 4
# Image format word that follows the event type in a PREVIEW_IMAGE frame
# (server.py send_image: 1 = JPEG, 2 = PNG).
PREVIEW_FORMAT_JPEG = 1
PREVIEW_FORMAT_PNG = 2


# --------------------------------------------------------------------------
# Image encoders (no Pillow)
# --------------------------------------------------------------------------

def encode_png(width, height, seed=0, text=None):
    """An 8-bit RGB PNG: red grows left to right, blue top to bottom, green
    comes from the seed. `text` is a dict written as tEXt chunks (ComfyUI's
    SaveImage stores "prompt" and "workflow" there)."""
    width = max(1, int(width))
    height = max(1, int(height))
    green = (int(seed) * 37) % 256
    base = bytearray(width * 3)
    for x in range(width):
        base[3 * x] = (x * 255) // max(1, width - 1)
        base[3 * x + 1] = green
    raw = bytearray()
    for y in range(height):
        row = bytearray(base)
        row[2::3] = bytes([(y * 255) // max(1, height - 1)]) * width
        raw += b"\x00" + row

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    for key, value in (text or {}).items():
        out += chunk(b"tEXt", key.encode("latin-1") + b"\x00" + value.encode("latin-1", "replace"))
    out += chunk(b"IDAT", zlib.compress(bytes(raw), 6))
    out += chunk(b"IEND", b"")
    return out


def encode_jpeg_gray(width=16, height=16, level=144):
    """A valid baseline JPEG of one flat grey level: one component, a
    quantisation table of ones, and every 8x8 block carrying only a DC
    coefficient. Good enough for a sampler preview frame."""
    def segment(marker, payload):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload

    dc = 8 * (int(level) - 128)          # DC of a flat 8x8 block after level shift
    category = abs(dc).bit_length()
    if category == 0:
        dc, category = 8, 4              # avoid the degenerate one-symbol table
    counts = [0] * 16
    counts[1] = 2                         # two codes of length 2: 00 -> size 0, 01 -> size `category`
    dht_dc = b"\x00" + bytes(counts) + bytes([0, category])
    ac_counts = [0] * 16
    ac_counts[0] = 1                      # one code of length 1: 0 -> EOB
    dht_ac = b"\x10" + bytes(ac_counts) + b"\x00"

    bits = []

    def put(value, n):
        for i in range(n - 1, -1, -1):
            bits.append((value >> i) & 1)

    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    put(0b01, 2)
    put(dc if dc >= 0 else dc + (1 << category) - 1, category)
    put(0, 1)                              # EOB
    for _ in range(blocks - 1):
        put(0b00, 2)                       # DC difference 0
        put(0, 1)                          # EOB
    while len(bits) % 8:
        bits.append(1)
    scan = bytearray()
    for i in range(0, len(bits), 8):
        byte = 0
        for b in bits[i:i + 8]:
            byte = (byte << 1) | b
        scan.append(byte)
        if byte == 0xFF:
            scan.append(0x00)              # byte stuffing

    return (b"\xff\xd8"
            + segment(0xDB, b"\x00" + b"\x01" * 64)
            + segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
            + segment(0xC4, dht_dc)
            + segment(0xC4, dht_ac)
            + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
            + bytes(scan)
            + b"\xff\xd9")


def png_size(path):
    """(width, height) of a PNG file, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
        if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------
# Node catalogue
# --------------------------------------------------------------------------

SAMPLERS = ["euler", "euler_ancestral", "heun", "dpmpp_2m", "dpmpp_sde", "ddim"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple"]
UPSCALE = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]


def _int(default, lo, hi, step=1):
    return ["INT", {"default": default, "min": lo, "max": hi, "step": step}]


def _float(default, lo, hi, step=0.01):
    return ["FLOAT", {"default": default, "min": lo, "max": hi, "step": step}]


# name -> (required inputs, RETURN_TYPES, OUTPUT_NODE, CATEGORY)
BUILTIN_NODES = {
    "CheckpointLoaderSimple": ({"ckpt_name": [["fake_model.safetensors"], {}]},
                               ["MODEL", "CLIP", "VAE"], False, "loaders"),
    "CLIPTextEncode": ({"text": ["STRING", {"multiline": True, "dynamicPrompts": True}],
                        "clip": ["CLIP", {}]}, ["CONDITIONING"], False, "conditioning"),
    "EmptyLatentImage": ({"width": _int(512, 16, 16384, 8), "height": _int(512, 16, 16384, 8),
                          "batch_size": _int(1, 1, 4096)}, ["LATENT"], False, "latent"),
    "KSampler": ({"model": ["MODEL", {}], "seed": _int(0, 0, 0xFFFFFFFFFFFFFFFF),
                  "steps": _int(20, 1, 10000), "cfg": _float(8.0, 0.0, 100.0, 0.1),
                  "sampler_name": [SAMPLERS, {}], "scheduler": [SCHEDULERS, {}],
                  "positive": ["CONDITIONING", {}], "negative": ["CONDITIONING", {}],
                  "latent_image": ["LATENT", {}], "denoise": _float(1.0, 0.0, 1.0)},
                 ["LATENT"], False, "sampling"),
    "VAEDecode": ({"samples": ["LATENT", {}], "vae": ["VAE", {}]}, ["IMAGE"], False, "latent"),
    "SaveImage": ({"images": ["IMAGE", {}], "filename_prefix": ["STRING", {"default": "ComfyUI"}]},
                  [], True, "image"),
    "LoadImage": ({"image": [[], {"image_upload": True}]}, ["IMAGE", "MASK"], False, "image"),
    "LoadImageMask": ({"image": [[], {"image_upload": True}],
                       "channel": [["alpha", "red", "green", "blue"], {}]}, ["MASK"], False, "mask"),
    "VAEEncode": ({"pixels": ["IMAGE", {}], "vae": ["VAE", {}]}, ["LATENT"], False, "latent"),
    "VAEEncodeForInpaint": ({"pixels": ["IMAGE", {}], "vae": ["VAE", {}], "mask": ["MASK", {}],
                             "grow_mask_by": _int(6, 0, 64)}, ["LATENT"], False, "latent/inpaint"),
    "SetLatentNoiseMask": ({"samples": ["LATENT", {}], "mask": ["MASK", {}]},
                           ["LATENT"], False, "latent/inpaint"),
    "ImageScale": ({"image": ["IMAGE", {}], "upscale_method": [UPSCALE, {}],
                    "width": _int(512, 0, 16384), "height": _int(512, 0, 16384),
                    "crop": [["disabled", "center"], {}]}, ["IMAGE"], False, "image/upscaling"),
}

# Node types whose execution reports per-step progress.
SAMPLER_TYPES = {"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"}


def is_link(value):
    return isinstance(value, list) and len(value) == 2


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

DEFAULT_CONFIG = {
    "step_ms": 20,                    # time per sampler step
    "steps_default": 20,              # sampler steps when the node has no usable `steps`
    "node_ms": 2,                     # time spent in each non-sampler node
    "fail_node": None,                # class_type at which execution_error is raised
    "fail_message": None,             # exception_message for fail_node (default text if None)
    "drop_socket_after_steps": 0,     # close the client's websocket after N progress frames, once
    "legacy": False,                  # older ComfyUI: no execution_success, string errors, no display_node
    "history_delay_ms": 0,            # history written this long after execution_success
    "history_after_idle": False,      # write the (delayed) history only after `executing node=null`
    "silent_socket": False,           # send no websocket frames at all
    "reject_prompt": False,           # every POST /prompt answers 400 with node_errors
    "preview_every": 3,               # send a binary preview after every Nth step (0 = never)
    "preview_format": "jpeg",         # "jpeg" (format word 1) or "png" (format word 2)
    "preview_style": "plain",         # "plain": PREVIEW_IMAGE (1); "metadata": PREVIEW_IMAGE_WITH_METADATA (4)
    "preview_pad_bytes": 0,           # bytes appended after the image's end (an oversized frame)
    "extra_node_types": [],           # more accepted class_types (pass-through nodes)
    "extra_output_node_types": [],    # more accepted output class_types (save an image like SaveImage)
    "unknown_node_style": "node_errors",   # or "missing_node_type" (what current ComfyUI sends)
    "ignore_client_prompt_id": False, # older ComfyUI: always generate the prompt_id
    "validate_load_image": False,     # LoadImage/LoadImageMask must name an existing input file
    "stuck_node": None,               # class_type whose node runs as one long call that ignores /interrupt
    "stuck_ms": 0,                    # how long that node runs (0 = it never ends)
}

BOOL_KEYS = {"legacy", "history_after_idle", "silent_socket", "reject_prompt",
             "ignore_client_prompt_id", "validate_load_image"}
INT_KEYS = {"step_ms", "steps_default", "node_ms", "drop_socket_after_steps",
            "history_delay_ms", "preview_every", "preview_pad_bytes", "stuck_ms"}
LIST_KEYS = {"extra_node_types", "extra_output_node_types"}


def coerce_config(update):
    """Validate and coerce a partial config dict; raises ValueError."""
    out = {}
    unknown = [k for k in update if k not in DEFAULT_CONFIG]
    if unknown:
        raise ValueError("unknown config keys: %s" % ", ".join(sorted(unknown)))
    for key, value in update.items():
        if key in BOOL_KEYS:
            if isinstance(value, str):
                value = value.lower() in ("1", "true", "yes", "on")
            out[key] = bool(value)
        elif key in INT_KEYS:
            out[key] = max(0, int(value))
        elif key in LIST_KEYS:
            if isinstance(value, str):
                value = [v for v in value.split(",") if v]
            out[key] = [str(v) for v in value]
        elif key == "preview_format":
            if value not in ("jpeg", "png"):
                raise ValueError("preview_format must be jpeg or png")
            out[key] = value
        elif key == "preview_style":
            if value not in ("plain", "metadata"):
                raise ValueError("preview_style must be plain or metadata")
            out[key] = value
        elif key == "unknown_node_style":
            if value not in ("node_errors", "missing_node_type"):
                raise ValueError("unknown_node_style must be node_errors or missing_node_type")
            out[key] = value
        else:
            out[key] = None if value in (None, "") else str(value)
    return out


class Interrupted(Exception):
    pass


class NodeFailure(Exception):
    def __init__(self, message, exception_type="RuntimeError"):
        super().__init__(message)
        self.exception_type = exception_type


def now_ms():
    return int(time.time() * 1000)


# --------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------

class FakeComfyUI:
    def __init__(self, config, root):
        self.startup_config = dict(config)
        self.config = dict(config)
        self.root = os.path.realpath(root)
        self.dirs = {t: os.path.join(self.root, t) for t in ("input", "output", "temp")}
        for d in self.dirs.values():
            os.makedirs(d, exist_ok=True)

        self.sockets = {}             # sid -> WebSocketResponse
        self.client_id = None         # client of the running prompt (server.client_id)
        self.last_node_id = None      # node being executed (server.last_node_id)
        self.number = 0               # PromptServer.number
        self.queue = []               # pending items [number, prompt_id, prompt, extra_data, outputs]
        self.running = None           # the item being executed
        self.history = {}             # prompt_id -> history entry (insertion ordered)
        self.interrupt_requested = False
        self.dropped_once = False
        self.wakeup = asyncio.Event()
        self.background = set()
        self.reset_log()

    # ---- bookkeeping ------------------------------------------------------

    def reset_log(self):
        self.log = {"requests": [], "prompts": [], "free": [], "interrupts": [],
                    "queue_deletes": [], "queue_clears": [], "uploads": [],
                    "history_posts": [], "websockets": [], "frames": []}

    def cfg(self, key):
        return self.config[key]

    def known_types(self):
        known = dict.fromkeys(BUILTIN_NODES, False)
        known["SaveImage"] = True
        for t in self.config["extra_node_types"]:
            known.setdefault(t, False)
        for t in self.config["extra_output_node_types"]:
            known[t] = True
        return known   # class_type -> is output node

    def queue_info(self):
        return {"exec_info": {"queue_remaining": len(self.queue) + (1 if self.running else 0)}}

    def spawn(self, coro):
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    # ---- websocket sending (server.py send / send_json / send_bytes) ------

    def _targets(self, sid):
        if sid is None:
            return list(self.sockets.items())
        ws = self.sockets.get(sid)
        return [(sid, ws)] if ws is not None else []

    async def send_json(self, event, data, sid=None):
        if self.config["silent_socket"]:
            return
        message = {"type": event, "data": data}
        for target_sid, ws in self._targets(sid):
            self.log["frames"].append({"sid": target_sid, "type": event})
            try:
                await ws.send_json(message)
            except Exception as err:  # closed/closing socket: ComfyUI only logs it
                LOG.warning("send error: %s", err)

    async def send_preview(self, sid, prompt_id=None, node_id=None, step=0):
        """A sampler's latent preview, framed as server.py does it: send_image
        (PREVIEW_IMAGE: >I 1, >I format, image) or, for clients that announced
        supports_preview_metadata, send_image_with_metadata (>I 4, >I length,
        JSON metadata, image)."""
        if self.config["silent_socket"] or sid is None:
            return
        png = self.config["preview_format"] == "png"
        # The grey level moves with the step, so consecutive previews differ.
        image = encode_png(16, 16, seed=step) if png else encode_jpeg_gray(16, 16, level=64 + (step * 16) % 160)
        image += b"\0" * self.config["preview_pad_bytes"]
        if self.config["preview_style"] == "metadata":
            metadata = json.dumps({"node_id": node_id, "prompt_id": prompt_id, "display_node_id": node_id,
                                   "parent_node_id": None, "real_node_id": node_id,
                                   "image_type": "image/png" if png else "image/jpeg"}).encode("utf-8")
            message = struct.pack(">I", PREVIEW_IMAGE_WITH_METADATA) + struct.pack(">I", len(metadata)) + metadata + image
            kind = "binary:PREVIEW_IMAGE_WITH_METADATA"
        else:
            message = (struct.pack(">I", PREVIEW_IMAGE)
                       + struct.pack(">I", PREVIEW_FORMAT_PNG if png else PREVIEW_FORMAT_JPEG) + image)
            kind = "binary:PREVIEW_IMAGE"
        for target_sid, ws in self._targets(sid):
            self.log["frames"].append({"sid": target_sid, "type": kind})
            try:
                await ws.send_bytes(message)
            except Exception as err:
                LOG.warning("send error: %s", err)

    async def queue_updated(self):
        # PromptQueue calls server.queue_updated() -> broadcast status (sid=None)
        await self.send_json("status", {"status": self.queue_info()})

    # ---- validation (execution.py validate_prompt) ---------------------------

    def _error(self, type_, message, details="", extra_info=None):
        return {"type": type_, "message": message, "details": details,
                "extra_info": extra_info if extra_info is not None else {}}

    def _reachable(self, prompt, start):
        """Node ids reachable upstream from `start` (tolerant of bad links)."""
        seen, stack = set(), [start]
        while stack:
            nid = stack.pop()
            if nid in seen or nid not in prompt or not isinstance(prompt[nid], dict):
                continue
            seen.add(nid)
            inputs = prompt[nid].get("inputs") or {}
            if isinstance(inputs, dict):
                for v in inputs.values():
                    if is_link(v):
                        stack.append(str(v[0]))
        return seen

    def exec_order(self, prompt, outputs):
        """Dependencies first, following input order, output nodes in id order.
        Raises KeyError for a link to a missing node, ValueError for a cycle."""
        order, done = [], set()

        def visit(nid, path):
            if nid in done:
                return
            if nid in path:
                raise ValueError("dependency cycle at node %s" % nid)
            node = prompt[nid]
            path.add(nid)
            inputs = node.get("inputs") or {}
            for v in inputs.values():
                if is_link(v):
                    visit(str(v[0]), path)
            path.discard(nid)
            done.add(nid)
            order.append(nid)

        for o in outputs:
            visit(o, set())
        return order

    def validate_prompt(self, prompt, partial_targets=None):
        """Returns (ok, error, outputs_to_execute, node_errors)."""
        if not isinstance(prompt, dict):
            return (False, self._error("invalid_prompt", "Prompt must be a JSON object of nodes",
                                       type(prompt).__name__), [], {})
        known = self.known_types()
        outputs, unknown = [], []
        for nid, node in prompt.items():
            if not isinstance(node, dict) or "class_type" not in node:
                return (False, self._error(
                    "invalid_prompt",
                    "Cannot execute because a node is missing the class_type property.",
                    "Node ID '#%s'" % nid), [], {})
            ct = node["class_type"]
            if ct not in known:
                title = ((node.get("_meta") or {}).get("title") if isinstance(node.get("_meta"), dict) else None) or ct
                if self.config["unknown_node_style"] == "missing_node_type":
                    # What current ComfyUI answers: one error, empty node_errors.
                    return (False, self._error(
                        "missing_node_type",
                        "Node '%s' not found. The custom node may not be installed." % title,
                        "Node ID '#%s'" % nid,
                        {"node_id": nid, "class_type": ct, "node_title": title}), [], {})
                unknown.append(nid)
                continue
            if known[ct] and (partial_targets is None or nid in partial_targets):
                outputs.append(nid)

        def sort_key(n):
            return (0, int(n), n) if str(n).isdigit() else (1, 0, str(n))

        outputs.sort(key=sort_key)

        if unknown:
            all_outputs = sorted([n for n, node in prompt.items()
                                  if isinstance(node, dict) and known.get(node.get("class_type"))],
                                 key=sort_key)
            node_errors = {}
            for nid in unknown:
                ct = prompt[nid]["class_type"]
                node_errors[nid] = {
                    "errors": [self._error(
                        "missing_node_type",
                        "Node '%s' not found. The custom node may not be installed." % ct,
                        "Node ID '#%s'" % nid,
                        {"node_id": nid, "class_type": ct, "node_title": ct})],
                    "dependent_outputs": [o for o in all_outputs if nid in self._reachable(prompt, o)],
                    "class_type": ct,
                }
            details = "\n".join("%s: %s" % (e["errors"][0]["message"], e["errors"][0]["details"])
                                for e in node_errors.values())
            return (False, self._error("prompt_outputs_failed_validation",
                                       "Prompt outputs failed validation", details), [], node_errors)

        if not outputs:
            return (False, self._error("prompt_no_outputs", "Prompt has no outputs"), [], {})

        good, node_errors, messages = [], {}, []
        for o in outputs:
            reasons_by_node = {}
            try:
                order = self.exec_order(prompt, [o])
            except KeyError as ex:
                reasons_by_node[o] = [self._error(
                    "exception_during_validation", "Exception when validating node", str(ex),
                    {"exception_type": "KeyError", "traceback": []})]
                order = []
            except ValueError as ex:
                reasons_by_node[o] = [self._error(
                    "dependency_cycle", "Dependency cycle detected", str(ex), {})]
                order = []
            if self.config["validate_load_image"]:
                for nid in order:
                    node = prompt[nid]
                    if node["class_type"] in ("LoadImage", "LoadImageMask"):
                        name = (node.get("inputs") or {}).get("image")
                        if not isinstance(name, str) or self._annotated_path(name, "input") is None \
                                or not os.path.isfile(self._annotated_path(name, "input")):
                            reasons_by_node.setdefault(nid, []).append(self._error(
                                "custom_validation_failed", "Custom validation failed for node",
                                "image - Invalid image file: %s" % name, {"input_name": "image"}))
            if reasons_by_node:
                for nid, reasons in reasons_by_node.items():
                    entry = node_errors.setdefault(nid, {"errors": reasons, "dependent_outputs": [],
                                                         "class_type": prompt[nid]["class_type"]})
                    entry["dependent_outputs"].append(o)
                    messages += ["%s: %s" % (r["message"], r["details"]) for r in reasons]
            else:
                good.append(o)
        if not good:
            return (False, self._error("prompt_outputs_failed_validation",
                                       "Prompt outputs failed validation", "\n".join(messages)),
                    [], node_errors)
        return (True, None, good, node_errors)

    def _annotated_path(self, name, default_type):
        """folder_paths.annotated_filepath + directory lookup; None if unsafe."""
        kind = default_type
        for t in ("output", "input", "temp"):
            suffix = " [%s]" % t
            if name.endswith(suffix):
                name, kind = name[:-len(suffix)], t
        if not name or name.startswith("/") or ".." in name:
            return None
        return os.path.join(self.dirs[kind], name)

    # ---- execution (main.py prompt_worker + execution.py PromptExecutor) ------

    async def worker(self):
        while True:
            while not self.queue:
                self.wakeup.clear()
                await self.wakeup.wait()
            item = min(self.queue, key=lambda it: it[0])
            self.queue.remove(item)
            self.running = item
            await self.queue_updated()               # PromptQueue.get -> queue_updated
            try:
                history_result, status = await self.execute(item)
            except Exception:                          # a bug in the fake must not kill the worker
                LOG.exception("fake execution crashed")
                history_result, status = {"outputs": {}}, {"status_str": "error", "completed": False,
                                                          "messages": []}
            prompt_id = item[1]
            client_id = item[3].get("client_id")
            delay = self.config["history_delay_ms"] / 1000.0
            if self.config["history_after_idle"]:
                self.running = None
                await self.queue_updated()
                if client_id is not None:
                    await self.send_json("executing", {"node": None, "prompt_id": prompt_id}, client_id)

                async def late():
                    if delay:
                        await asyncio.sleep(delay)
                    self.write_history(item, history_result, status)
                self.spawn(late())
            else:
                if delay:
                    await asyncio.sleep(delay)
                # PromptQueue.task_done: history entry, then queue_updated (status broadcast);
                # then main.py sends executing node=None to the client.
                self.write_history(item, history_result, status)
                self.running = None
                await self.queue_updated()
                if client_id is not None:
                    await self.send_json("executing", {"node": None, "prompt_id": prompt_id}, client_id)
            self.client_id = None

    def write_history(self, item, history_result, status):
        entry = {"prompt": copy.deepcopy(item), "outputs": {}, "status": status}
        entry.update(history_result)
        self.history[item[1]] = entry

    async def execute(self, item):
        number, prompt_id, prompt, extra_data, outputs = item
        legacy = self.config["legacy"]
        client_id = extra_data.get("client_id")
        self.client_id = client_id
        self.interrupt_requested = False
        self.last_node_id = None
        messages = []
        steps_sent = 0

        async def add_message(event, data, broadcast):
            if not legacy:
                data = dict(data, timestamp=now_ms())
            messages.append([event, data])
            if client_id is not None or broadcast:
                await self.send_json(event, data, client_id)

        async def node_frame(event, data):
            if client_id is not None:
                await self.send_json(event, data, client_id)

        await add_message("execution_start", {"prompt_id": prompt_id}, False)
        await add_message("execution_cached", {"nodes": [], "prompt_id": prompt_id}, False)

        order = self.exec_order(prompt, outputs)
        known = self.known_types()
        executed = []
        ui_outputs, meta = {}, {}
        current = None
        success = True
        try:
            for nid in order:
                current = nid
                node = prompt[nid]
                ct = node["class_type"]
                inputs = node.get("inputs") or {}
                self.last_node_id = nid
                frame = {"node": nid, "display_node": nid, "prompt_id": prompt_id}
                if legacy:
                    del frame["display_node"]
                await node_frame("executing", frame)
                if self.interrupt_requested:           # nodes.before_node_execution()
                    raise Interrupted()
                if self.config["fail_node"] and ct == self.config["fail_node"]:
                    raise NodeFailure(self.config["fail_message"]
                                      or "Fake failure injected at node %s (%s)" % (nid, ct))
                if self.config["stuck_node"] and ct == self.config["stuck_node"]:
                    # One long node call (a 286 s sampler on a slow GPU): ComfyUI checks for an
                    # interrupt only between nodes, so /interrupt changes nothing until it returns.
                    if self.config["stuck_ms"]:
                        await asyncio.sleep(self.config["stuck_ms"] / 1000.0)
                    else:
                        await asyncio.Event().wait()
                elif ct in SAMPLER_TYPES:
                    steps = inputs.get("steps")
                    if isinstance(steps, bool) or not isinstance(steps, (int, float)) or steps < 1:
                        steps = self.config["steps_default"]
                    steps = int(steps)
                    for value in range(1, steps + 1):
                        await asyncio.sleep(self.config["step_ms"] / 1000.0)
                        if self.interrupt_requested:   # throw_exception_if_processing_interrupted
                            raise Interrupted()
                        await node_frame("progress", {"value": value, "max": steps,
                                                      "prompt_id": prompt_id, "node": nid})
                        every = self.config["preview_every"]
                        if every and value % every == 0 and value < steps:
                            await self.send_preview(client_id, prompt_id, nid, value)
                        steps_sent += 1
                        n = self.config["drop_socket_after_steps"]
                        if n and not self.dropped_once and steps_sent >= n and client_id is not None:
                            self.dropped_once = True
                            self.drop_socket(client_id)
                else:
                    await asyncio.sleep(self.config["node_ms"] / 1000.0)
                if known.get(ct):
                    ui = {"images": self.save_images(prompt, nid)}
                    ui_outputs[nid] = ui
                    meta[nid] = {"node_id": nid, "display_node": nid, "parent_node": None,
                                 "real_node_id": nid}
                    frame = {"node": nid, "display_node": nid, "output": ui, "prompt_id": prompt_id}
                    if legacy:
                        del frame["display_node"]
                    await node_frame("executed", frame)
                executed.append(nid)
        except Interrupted:
            success = False
            await add_message("execution_interrupted", {
                "prompt_id": prompt_id, "node_id": current,
                "node_type": prompt[current]["class_type"], "executed": list(executed)}, True)
        except NodeFailure as ex:
            success = False
            node = prompt[current]
            current_inputs = {}
            for name, value in (node.get("inputs") or {}).items():
                if is_link(value):
                    current_inputs[name] = ["<output %s of node %s>" % (value[1], value[0])]
                else:
                    current_inputs[name] = [value if isinstance(value, (int, float, bool, str))
                                            or value is None else str(value)]
            if legacy:
                current_outputs = {n: [["<output>"]] for n in executed}
            else:
                current_outputs = list(executed)
            await add_message("execution_error", {
                "prompt_id": prompt_id, "node_id": current, "node_type": node["class_type"],
                "executed": list(executed),
                "exception_message": str(ex), "exception_type": ex.exception_type,
                "traceback": [
                    '  File "execution.py", line 1, in execute\n    output_data, output_ui = get_output_data(...)\n',
                    '  File "fake_comfyui.py", line 1, in %s\n    raise %s(%r)\n'
                    % (node["class_type"], ex.exception_type, str(ex)),
                ],
                "current_inputs": current_inputs, "current_outputs": current_outputs}, False)
        else:
            if not legacy:
                await add_message("execution_success", {"prompt_id": prompt_id}, False)
        self.last_node_id = None

        history_result = {"outputs": ui_outputs}
        if not legacy:
            history_result["meta"] = meta
        status = {"status_str": "success" if success else "error", "completed": success,
                  "messages": messages}
        return history_result, status

    def drop_socket(self, sid):
        ws = self.sockets.pop(sid, None)
        self.log["websockets"].append({"event": "dropped", "sid": sid, "time": time.time()})
        if ws is not None:
            LOG.info("dropping websocket of %s", sid)
            self.spawn(ws.close(code=1001, message=b"fake: dropped by drop_socket_after_steps"))

    def upstream_value(self, prompt, nid, wanted):
        """Breadth-first search upstream from node `nid` for the first node
        whose class_type is in `wanted`; returns (node_id, node) or None."""
        seen, frontier = {nid}, [nid]
        while frontier:
            nxt = []
            for cur in frontier:
                for v in (prompt[cur].get("inputs") or {}).values():
                    if is_link(v):
                        up = str(v[0])
                        if up in seen or up not in prompt:
                            continue
                        seen.add(up)
                        if prompt[up]["class_type"] in wanted:
                            return up, prompt[up]
                        nxt.append(up)
            frontier = nxt
        return None

    def image_geometry(self, prompt, nid):
        width = height = None
        batch = 1
        hit = self.upstream_value(prompt, nid, {"ImageScale", "EmptyLatentImage", "LoadImage"})
        if hit:
            node = hit[1]
            inputs = node.get("inputs") or {}
            if node["class_type"] in ("ImageScale", "EmptyLatentImage"):
                w, h = inputs.get("width"), inputs.get("height")
                if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
                    width, height = w, h
            if node["class_type"] == "ImageScale" and width is None:
                deeper = self.upstream_value(prompt, hit[0], {"EmptyLatentImage", "LoadImage"})
                if deeper:
                    node = deeper[1]
                    inputs = node.get("inputs") or {}
            if node["class_type"] == "EmptyLatentImage":
                b = inputs.get("batch_size")
                if isinstance(b, int) and b > 0:
                    batch = min(b, 64)
                if width is None:
                    w, h = inputs.get("width"), inputs.get("height")
                    if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
                        width, height = w, h
            if node["class_type"] == "LoadImage" and width is None:
                name = inputs.get("image")
                path = self._annotated_path(name, "input") if isinstance(name, str) else None
                size = png_size(path) if path else None
                if size:
                    width, height = size
        if width is None:
            width, height = 64, 64
        return min(width, 4096), min(height, 4096), batch

    def save_images(self, prompt, nid):
        """SaveImage: <prefix>_<counter:05>_.png in the output folder, counter
        continuing after the highest existing one (folder_paths.get_save_image_path)."""
        inputs = prompt[nid].get("inputs") or {}
        prefix = inputs.get("filename_prefix", "ComfyUI")
        if not isinstance(prefix, str) or not prefix:
            prefix = "ComfyUI"
        out_dir = self.dirs["output"]
        subfolder, filename = os.path.split(os.path.normpath(prefix))
        full_folder = os.path.join(out_dir, subfolder)
        if os.path.commonpath((out_dir, os.path.abspath(full_folder))) != out_dir:
            raise NodeFailure("**** ERROR: Saving image outside the output folder is not allowed."
                              "\n full_output_folder: %s\n output_dir: %s"
                              % (os.path.abspath(full_folder), out_dir), "Exception")
        os.makedirs(full_folder, exist_ok=True)
        pattern = re.compile(r"^%s_(\d+)_" % re.escape(filename))
        counter = 1
        for existing in os.listdir(full_folder):
            m = pattern.match(existing)
            if m:
                counter = max(counter, int(m.group(1)) + 1)
        width, height, batch = self.image_geometry(prompt, nid)
        seed_node = self.upstream_value(prompt, nid, SAMPLER_TYPES)
        seed = 0
        if seed_node:
            s = (seed_node[1].get("inputs") or {}).get("seed", (seed_node[1].get("inputs") or {}).get("noise_seed", 0))
            seed = s if isinstance(s, int) else 0
        results = []
        for i in range(batch):
            name = "%s_%05d_.png" % (filename, counter)
            data = encode_png(width, height, seed + i, {"prompt": json.dumps(prompt)})
            with open(os.path.join(full_folder, name), "wb") as f:
                f.write(data)
            results.append({"filename": name, "subfolder": subfolder, "type": "output"})
            counter += 1
        return results

    # ---- HTTP handlers ---------------------------------------------------------

    @web.middleware
    async def record_requests(self, request, handler):
        if not request.path.startswith("/_fake"):
            entry = {"seq": len(self.log["requests"]), "time": time.time(),
                     "method": request.method, "path": request.path,
                     "query": dict(request.query)}
            if request.body_exists and not request.content_type.startswith("multipart/"):
                raw = await request.read()
                try:
                    entry["json"] = json.loads(raw)
                except ValueError:
                    entry["body"] = raw[:4096].decode("utf-8", "replace")
            elif request.content_type.startswith("multipart/"):
                entry["multipart"] = True
            self.log["requests"].append(entry)
        return await handler(request)

    async def ws_handler(self, request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = request.query.get("clientId", "") or uuid.uuid4().hex
        self.sockets[sid] = ws            # a reconnect with the same id replaces the old socket
        self.log["websockets"].append({"event": "connect", "sid": sid, "time": time.time()})
        try:
            await self.send_json("status", {"status": self.queue_info(), "sid": sid}, sid)
            # On reconnect, if we are the currently executing client send the current node.
            if self.client_id == sid and self.last_node_id is not None:
                await self.send_json("executing", {"node": self.last_node_id}, sid)
            async for msg in ws:
                if msg.type == web.WSMsgType.TEXT:
                    self.log["websockets"].append({"event": "text", "sid": sid, "data": msg.data[:4096]})
        finally:
            if self.sockets.get(sid) is ws:
                del self.sockets[sid]
            self.log["websockets"].append({"event": "disconnect", "sid": sid, "time": time.time()})
        return ws

    def _prompt_error(self, status, error, node_errors):
        if self.config["legacy"] and isinstance(error, dict):
            error = error["message"]
        return web.json_response({"error": error, "node_errors": node_errors}, status=status)

    async def post_prompt(self, request):
        legacy = self.config["legacy"]
        try:
            body = await request.json()
        except ValueError:
            return self._prompt_error(400, self._error(
                "invalid_prompt", "Request body is not valid JSON", "", {}), {})
        if not isinstance(body, dict):
            return self._prompt_error(400, self._error(
                "invalid_prompt", "Request body must be a JSON object", "", {}), {})

        if "number" in body:
            try:
                number = float(body["number"])
            except (TypeError, ValueError):
                number = self.number
        else:
            number = self.number
            if body.get("front"):
                number = -number
            self.number += 1

        if "prompt" not in body:
            record = {"prompt_id": None, "client_id": body.get("client_id"), "status": 400}
            self.log["prompts"].append(record)
            if legacy:
                return web.json_response({"error": "no prompt", "node_errors": []}, status=400)
            return self._prompt_error(400, self._error(
                "no_prompt", "No prompt provided", "No prompt provided"), {})

        prompt = body["prompt"]
        prompt_id = body.get("prompt_id")
        if not prompt_id or self.config["ignore_client_prompt_id"]:
            prompt_id = str(uuid.uuid4())
        prompt_id = str(prompt_id)
        record = {"prompt_id": prompt_id, "client_id": body.get("client_id"), "number": number}
        self.log["prompts"].append(record)

        if self.config["reject_prompt"]:
            nid = next(iter(prompt), "0") if isinstance(prompt, dict) and prompt else "0"
            ct = prompt[nid].get("class_type") if isinstance(prompt, dict) and isinstance(prompt.get(nid), dict) else None
            reason = self._error("custom_validation_failed", "Custom validation failed for node",
                                 "rejected by the fake (reject_prompt)", {"input_name": ""})
            record["status"] = 400
            return self._prompt_error(400, self._error(
                "prompt_outputs_failed_validation", "Prompt outputs failed validation",
                "%s: %s" % (reason["message"], reason["details"])),
                {nid: {"errors": [reason], "dependent_outputs": [nid], "class_type": ct}})

        partial = body.get("partial_execution_targets")
        ok, error, outputs, node_errors = self.validate_prompt(
            prompt, partial if isinstance(partial, list) else None)
        if not ok:
            record["status"] = 400
            return self._prompt_error(400, error, node_errors)

        extra_data = dict(body.get("extra_data") or {})
        if "client_id" in body:
            extra_data["client_id"] = body["client_id"]
        if not legacy:
            extra_data.setdefault("create_time", now_ms())
        self.queue.append([number, prompt_id, prompt, extra_data, outputs])
        record["status"] = 200
        await self.queue_updated()
        self.wakeup.set()
        if isinstance(number, float) and number.is_integer() and "number" not in body:
            number = int(number)
        return web.json_response({"prompt_id": prompt_id, "number": number,
                                  "node_errors": node_errors})

    async def get_prompt(self, request):
        return web.json_response(self.queue_info())

    async def get_history(self, request):
        max_items = request.query.get("max_items")
        try:
            max_items = int(max_items) if max_items is not None else None
            offset = int(request.query.get("offset", -1))
        except ValueError:
            return web.Response(status=400, text="max_items must be an integer")
        items = list(self.history.items())
        if offset < 0 and max_items is not None:
            offset = len(items) - max_items
        out = {}
        for i, (k, v) in enumerate(items):
            if i >= offset:
                out[k] = v
                if max_items is not None and len(out) >= max_items:
                    break
        return web.json_response(out)

    async def get_history_id(self, request):
        prompt_id = request.match_info["prompt_id"]
        if prompt_id in self.history:
            return web.json_response({prompt_id: self.history[prompt_id]})
        return web.json_response({})

    async def post_history(self, request):
        body = await self._json_or_empty(request)
        self.log["history_posts"].append(body)
        if body.get("clear"):
            self.history = {}
        for pid in body.get("delete") or []:
            self.history.pop(pid, None)
        return web.Response(status=200)

    async def get_queue(self, request):
        running = [self.running] if self.running else []
        pending = sorted(self.queue, key=lambda it: it[0])
        return web.json_response({"queue_running": running, "queue_pending": pending})

    async def post_queue(self, request):
        body = await self._json_or_empty(request)
        if body.get("clear"):
            removed = [it[1] for it in self.queue]
            self.queue = []
            self.log["queue_clears"].append({"removed": removed, "time": time.time()})
            await self.queue_updated()
        if "delete" in body:
            wanted = list(body.get("delete") or [])
            removed = []
            for pid in wanted:
                for it in list(self.queue):
                    if it[1] == pid:       # delete_queue_item removes the first match
                        self.queue.remove(it)
                        removed.append(pid)
                        await self.queue_updated()
                        break
            self.log["queue_deletes"].append({"delete": wanted, "removed": removed, "time": time.time()})
        return web.Response(status=200)

    async def post_interrupt(self, request):
        body = await self._json_or_empty(request)
        prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
        running_id = self.running[1] if self.running else None
        if prompt_id:
            hit = running_id is not None and running_id == prompt_id
        else:
            hit = running_id is not None
        if hit:
            self.interrupt_requested = True
        self.log["interrupts"].append({"prompt_id": prompt_id or None, "running": running_id,
                                       "interrupted": hit, "time": time.time()})
        return web.Response(status=200)

    async def post_free(self, request):
        body = await self._json_or_empty(request)
        self.log["free"].append({"unload_models": bool(body.get("unload_models", False)),
                                 "free_memory": bool(body.get("free_memory", False)),
                                 "time": time.time()})
        return web.Response(status=200)

    async def _json_or_empty(self, request):
        if not request.body_exists:
            return {}
        try:
            body = await request.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    async def upload_image(self, request):
        post = await request.post()
        image = post.get("image")
        if image is None or not hasattr(image, "file"):
            return web.Response(status=400)
        filename = image.filename
        if not filename:
            return web.Response(status=400)
        kind = post.get("type") or "input"
        if kind not in self.dirs:
            return web.Response(status=400)
        upload_dir = self.dirs[kind]
        subfolder = post.get("subfolder", "") or ""
        full_folder = os.path.join(upload_dir, os.path.normpath(subfolder))
        filepath = os.path.abspath(os.path.join(full_folder, filename))
        if os.path.commonpath((upload_dir, filepath)) != upload_dir:
            return web.Response(status=400)
        data = image.file.read()
        overwrite = post.get("overwrite")
        duplicate = False
        stem, ext = os.path.splitext(filename)
        if not (overwrite is not None and overwrite in ("true", "1")):
            i = 1
            while os.path.exists(filepath):
                with open(filepath, "rb") as f:
                    if f.read() == data:     # same content under that name: reuse it
                        duplicate = True
                        break
                filename = "%s (%d)%s" % (stem, i, ext)
                filepath = os.path.join(full_folder, filename)
                i += 1
        if not duplicate:
            os.makedirs(os.path.dirname(filepath), exist_ok=True)
            with open(filepath, "wb") as f:
                f.write(data)
        self.log["uploads"].append({"original_filename": image.filename, "name": filename,
                                    "subfolder": subfolder, "type": kind, "size": len(data),
                                    "overwrite": overwrite, "duplicate": duplicate,
                                    "time": time.time()})
        return web.json_response({"name": filename, "subfolder": subfolder, "type": kind})

    async def view(self, request):
        q = request.query
        if "filename" not in q:
            return web.Response(status=404)
        filename = q["filename"]
        kind = q.get("type", "output")
        for t in ("output", "input", "temp"):
            suffix = " [%s]" % t
            if filename.endswith(suffix):
                filename, kind = filename[:-len(suffix)], t
        if not filename or filename[0] == "/" or ".." in filename:
            return web.Response(status=400)
        if kind not in self.dirs:
            return web.Response(status=400)
        out_dir = self.dirs[kind]
        if "subfolder" in q:
            full = os.path.join(out_dir, q["subfolder"])
            if os.path.commonpath((os.path.abspath(full), out_dir)) != out_dir:
                return web.Response(status=403)
            out_dir = full
        filename = os.path.basename(filename)
        path = os.path.join(out_dir, filename)
        if os.path.isfile(path):
            return web.FileResponse(path, headers={"Content-Disposition": 'filename="%s"' % filename})
        return web.Response(status=404)

    async def system_stats(self, request):
        return web.json_response({
            "system": {"os": os.name, "ram_total": 16 * 2**30, "ram_free": 8 * 2**30,
                       "comfyui_version": "0.0.0-fake", "python_version": sys.version,
                       "pytorch_version": "fake", "embedded_python": False, "argv": sys.argv},
            "devices": [{"name": "fake", "type": "cpu", "index": None,
                         "vram_total": 0, "vram_free": 0,
                         "torch_vram_total": 0, "torch_vram_free": 0}],
        })

    def node_info(self, name):
        required, outputs, output_node, category = BUILTIN_NODES.get(name, ({}, ["*"], False, "fake"))
        required = copy.deepcopy(required)
        if name in ("LoadImage", "LoadImageMask"):
            try:
                files = sorted(f for f in os.listdir(self.dirs["input"])
                               if os.path.isfile(os.path.join(self.dirs["input"], f)))
            except OSError:
                files = []
            required["image"][0] = files
        if name in self.config["extra_output_node_types"]:
            output_node, outputs = True, []
        inputs = {"required": required}
        return {"input": inputs, "input_order": {k: list(v) for k, v in inputs.items()},
                "output": outputs, "output_is_list": [False] * len(outputs), "output_name": outputs,
                "name": name, "display_name": name, "description": "", "python_module": "nodes",
                "category": category, "output_node": output_node}

    async def object_info(self, request):
        return web.json_response({n: self.node_info(n) for n in self.known_types()})

    async def object_info_node(self, request):
        name = request.match_info["node_class"]
        if name in self.known_types():
            return web.json_response({name: self.node_info(name)})
        return web.json_response({})

    async def features(self, request):
        return web.json_response({"supports_preview_metadata": False})

    async def embeddings(self, request):
        return web.json_response([])

    async def root_page(self, request):
        return web.Response(text="<html><body>fake ComfyUI</body></html>", content_type="text/html")

    # ---- /_fake control endpoints ------------------------------------------------

    async def fake_get_config(self, request):
        return web.json_response(self.config)

    async def fake_post_config(self, request):
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            update = coerce_config(body)
        except (ValueError, TypeError) as ex:
            return web.json_response({"error": str(ex)}, status=400)
        self.config.update(update)
        if "drop_socket_after_steps" in update:
            self.dropped_once = False
        return web.json_response(self.config)

    async def fake_get_log(self, request):
        return web.json_response(self.log)

    async def fake_reset(self, request):
        body = await self._json_or_empty(request)
        if body.get("log", True):
            self.reset_log()
        if body.get("history", True):
            self.history = {}
        if body.get("queue", True):
            self.queue = []
        if body.get("config", False):
            self.config = dict(self.startup_config)
            self.dropped_once = False
        return web.json_response({"ok": True})

    async def fake_state(self, request):
        return web.json_response({
            "sockets": sorted(self.sockets), "running": self.running[1] if self.running else None,
            "pending": [it[1] for it in sorted(self.queue, key=lambda it: it[0])],
            "history": list(self.history), "client_id": self.client_id,
            "last_node_id": self.last_node_id, "root": self.root,
        })

    def make_app(self):
        app = web.Application(client_max_size=100 * 1024 * 1024, middlewares=[self.record_requests])
        routes = [
            ("GET", "/ws", self.ws_handler),
            ("GET", "/prompt", self.get_prompt),
            ("POST", "/prompt", self.post_prompt),
            ("GET", "/history", self.get_history),
            ("POST", "/history", self.post_history),
            ("GET", "/history/{prompt_id}", self.get_history_id),
            ("GET", "/queue", self.get_queue),
            ("POST", "/queue", self.post_queue),
            ("POST", "/interrupt", self.post_interrupt),
            ("POST", "/free", self.post_free),
            ("POST", "/upload/image", self.upload_image),
            ("GET", "/view", self.view),
            ("GET", "/system_stats", self.system_stats),
            ("GET", "/object_info", self.object_info),
            ("GET", "/object_info/{node_class}", self.object_info_node),
            ("GET", "/features", self.features),
            ("GET", "/embeddings", self.embeddings),
        ]
        # server.py add_routes: every route also under /api
        for method, path, handler in routes:
            app.router.add_route(method, "/api" + path, handler)
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        app.router.add_route("GET", "/", self.root_page)
        app.router.add_route("GET", "/_fake/config", self.fake_get_config)
        app.router.add_route("POST", "/_fake/config", self.fake_post_config)
        app.router.add_route("GET", "/_fake/log", self.fake_get_log)
        app.router.add_route("POST", "/_fake/reset", self.fake_reset)
        app.router.add_route("GET", "/_fake/state", self.fake_state)
        return app


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description="Fake ComfyUI server for tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8188, help="0 picks a free port")
    p.add_argument("--root", default=None,
                   help="folder holding input/ output/ temp/ (default: a fresh temporary folder, removed at exit)")
    p.add_argument("--step-ms", type=int, default=DEFAULT_CONFIG["step_ms"])
    p.add_argument("--steps-default", type=int, default=DEFAULT_CONFIG["steps_default"])
    p.add_argument("--node-ms", type=int, default=DEFAULT_CONFIG["node_ms"])
    p.add_argument("--fail-node", default=None, metavar="CLASS_TYPE")
    p.add_argument("--fail-message", default=None)
    p.add_argument("--drop-socket-after-steps", type=int, default=0, metavar="N")
    p.add_argument("--legacy", action="store_true")
    p.add_argument("--history-delay-ms", type=int, default=0)
    p.add_argument("--history-after-idle", action="store_true")
    p.add_argument("--silent-socket", action="store_true")
    p.add_argument("--reject-prompt", action="store_true")
    p.add_argument("--preview-every", type=int, default=DEFAULT_CONFIG["preview_every"])
    p.add_argument("--preview-format", choices=["jpeg", "png"], default="jpeg")
    p.add_argument("--preview-style", choices=["plain", "metadata"], default="plain")
    p.add_argument("--preview-pad-bytes", type=int, default=0)
    p.add_argument("--extra-node-type", action="append", default=[], metavar="CLASS_TYPE")
    p.add_argument("--extra-output-node-type", action="append", default=[], metavar="CLASS_TYPE")
    p.add_argument("--unknown-node-style", choices=["node_errors", "missing_node_type"],
                   default="node_errors")
    p.add_argument("--ignore-client-prompt-id", action="store_true")
    p.add_argument("--validate-load-image", action="store_true")
    p.add_argument("--stuck-node", default=None, metavar="CLASS_TYPE",
                   help="that node runs as one call that ignores /interrupt (ComfyUI checks only between nodes)")
    p.add_argument("--stuck-ms", type=int, default=0, help="how long the stuck node runs; 0 = forever")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


async def serve(args):
    config = dict(DEFAULT_CONFIG)
    config.update(coerce_config({
        "step_ms": args.step_ms, "steps_default": args.steps_default, "node_ms": args.node_ms,
        "fail_node": args.fail_node, "fail_message": args.fail_message,
        "drop_socket_after_steps": args.drop_socket_after_steps, "legacy": args.legacy,
        "history_delay_ms": args.history_delay_ms, "history_after_idle": args.history_after_idle,
        "silent_socket": args.silent_socket, "reject_prompt": args.reject_prompt,
        "preview_every": args.preview_every, "preview_format": args.preview_format,
        "preview_style": args.preview_style, "preview_pad_bytes": args.preview_pad_bytes,
        "extra_node_types": args.extra_node_type,
        "extra_output_node_types": args.extra_output_node_type,
        "unknown_node_style": args.unknown_node_style,
        "ignore_client_prompt_id": args.ignore_client_prompt_id,
        "validate_load_image": args.validate_load_image,
        "stuck_node": args.stuck_node, "stuck_ms": args.stuck_ms,
    }))
    own_root = args.root is None
    root = tempfile.mkdtemp(prefix="fake_comfyui_") if own_root else args.root
    os.makedirs(root, exist_ok=True)
    fake = FakeComfyUI(config, root)

    runner = web.AppRunner(fake.make_app(), access_log=None)
    await runner.setup()
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    site = web.SockSite(runner, sock, shutdown_timeout=0.25)
    await site.start()
    worker = asyncio.ensure_future(fake.worker())
    port = sock.getsockname()[1]
    print("LISTENING %d" % port, flush=True)
    LOG.info("fake ComfyUI on http://%s:%d root=%s", args.host, port, fake.root)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        await stop.wait()
    finally:
        worker.cancel()
        for ws in list(fake.sockets.values()):
            try:
                await asyncio.wait_for(ws.close(code=1001, message=b"server shutdown"), 1.0)
            except Exception:
                pass
        await runner.cleanup()
        if own_root:
            shutil.rmtree(root, ignore_errors=True)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="fake_comfyui %(levelname)s %(message)s", stream=sys.stderr)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
