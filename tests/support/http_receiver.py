#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A tiny HTTP peer for tests (tests/support/peers.c starts it).

Usage: http_receiver.py DIR

Binds 127.0.0.1 on a free port and writes the port to DIR/port. Exits when
its stdin reaches EOF (the test process that started it is gone). Every request
is recorded as DIR/req-NNNN.json ({"method", "path", "headers", "body"};
header names lower-cased) *before* it is answered, so that a request whose
answer the client gave up on is still counted.

The answer comes from DIR/config.json, re-read on every request:
  {"status": 200, "body": "...", "content_type": "application/json",
   "delay_ms": 0, "responses": [{...}, ...]}
`responses`, when present, is consumed one entry per request (each entry may
set status/body/content_type/delay_ms); afterwards the top-level values apply.
Writing a different config starts the `responses` list over.
Without a config the answer is 200 with an empty body.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]
LOCK = threading.Lock()
STATE = {"seq": 0, "consumed": 0, "config_text": None}


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def load_config():
    """The config text and its parsed value ({} when absent or invalid)."""
    try:
        with open(os.path.join(DIR, "config.json"), encoding="utf-8") as f:
            text = f.read()
        return text, json.loads(text)
    except (OSError, ValueError):
        return None, {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        text, cfg = load_config()
        with LOCK:
            if text != STATE["config_text"]:
                STATE["config_text"] = text
                STATE["consumed"] = 0
            seq = STATE["seq"]
            STATE["seq"] += 1
            answer = dict(cfg)
            responses = cfg.get("responses") or []
            if STATE["consumed"] < len(responses):
                answer.update(responses[STATE["consumed"]])
                STATE["consumed"] += 1
            record = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }
            write_atomic(os.path.join(DIR, "req-%04d.json" % seq), json.dumps(record))
        delay = int(answer.get("delay_ms", 0))
        if delay:
            time.sleep(delay / 1000.0)
        out = str(answer.get("body", "")).encode("utf-8")
        try:
            self.send_response(int(answer.get("status", 200)))
            self.send_header("Content-Type", answer.get("content_type", "application/json"))
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def log_message(self, fmt, *args):
        pass


def watch_parent():
    """Exit when the test process is gone: peers.c holds our stdin's write end."""
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    threading.Thread(target=watch_parent, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    write_atomic(os.path.join(DIR, "port"), str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
