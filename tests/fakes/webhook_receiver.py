#!/usr/bin/env python3
"""A webhook receiver for the tests: verifies each delivery's Standard Webhooks signature with
Python's own hmac (independently of the server's code), records it, and answers with the next
status of a script the test sets.

    webhook_receiver.py --port 0 --secret whsec_...    prints "LISTENING <port>" when ready
                        [--tls-cert FILE --tls-key FILE]   speaks https with that certificate

POST /_control {"statuses": [500, 500], "default": 200, "delayMs": 0}
                                                         answers to come, then the default; each
                                                         answer waits delayMs
GET  /_received                                          every delivery so far, oldest first
POST <any other path>                                    a delivery
"""

import argparse
import base64
import hashlib
import hmac
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def signing_key(secret):
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):], validate=True)
    return secret.encode()


class State:
    def __init__(self, key):
        self.key = key
        self.lock = threading.Lock()
        self.statuses = []
        self.default = 200
        self.received = []
        self.delay_ms = 0
        self.in_flight = 0  # deliveries being answered now (each record says how many at its arrival)


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: the test reads /_received
            pass

        def answer(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self):
            if self.path != "/_received":
                return self.answer(404, {"error": "no such path"})
            with state.lock:
                return self.answer(200, list(state.received))

        def do_POST(self):
            raw = self.body()
            if self.path == "/_control":
                knobs = json.loads(raw or b"{}")
                with state.lock:
                    state.statuses = list(knobs.get("statuses", []))
                    state.default = int(knobs.get("default", state.default))
                    state.delay_ms = int(knobs.get("delayMs", state.delay_ms))
                return self.answer(200, {"ok": True})
            msg_id = self.headers.get("webhook-id", "")
            timestamp = self.headers.get("webhook-timestamp", "")
            signature = self.headers.get("webhook-signature", "")
            signed = msg_id.encode() + b"." + timestamp.encode() + b"." + raw
            expected = "v1," + base64.b64encode(hmac.new(state.key, signed, hashlib.sha256).digest()).decode()
            valid = any(hmac.compare_digest(expected, s) for s in signature.split(" "))
            fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            with state.lock:
                status = state.statuses.pop(0) if state.statuses else state.default
                state.in_flight += 1
                state.received.append({"path": self.path, "id": msg_id, "timestamp": timestamp,
                                       "valid": valid, "fresh": fresh, "answered": status, "body": parsed,
                                       "concurrent": state.in_flight})
                delay = state.delay_ms
            time.sleep(delay / 1000.0)
            # Counted out before the answer is written: the sender may start its next attempt as
            # soon as it has the answer, and that one must not find this one still counted.
            with state.lock:
                state.in_flight -= 1
            self.answer(status, {"status": status})

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    state = State(signing_key(args.secret))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    print("LISTENING", server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()


if __name__ == "__main__":
    sys.exit(main())
