# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A storage host for the emulator's cloud recordings: signed, expiring links, Range requests, a request log.

DingTalk's getPlayInfos hands out signed, short-lived URLs on a storage host (OSS), not on the API host.
This server plays that host, on a port of its own: ``GET /o/<key>?Expires=<epoch>&Signature=<hex>``
answers the object (200, or 206 for a ``Range: bytes=...``), 403 ``AccessDenied`` "Request has expired."
once ``Expires`` has passed, 403 ``SignatureDoesNotMatch`` for a link it did not sign, 404 ``NoSuchKey``.
Objects are not stored: their bytes are generated from the key (a pseudo-random block of a prime length,
repeated), so a 1 GiB recording costs no memory and tests can compute what a download must hold.

Every request to an object is logged with all its headers, so a test can prove that no DingTalk token
reached this host. The admin API is under ``/_files/`` (see README.md). Stdlib only.
"""

import hashlib
import hmac
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote, unquote

from .faults import use_rule
from .serving import BackgroundHTTPServer

OBJECT_PREFIX = "/o/"
ADMIN_PREFIX = "/_files/"
# A prime, so that a chunk put at the wrong offset never lines up with the pattern again.
PATTERN_BYTES = 65521
# What one write sends at most: a window of the repeated pattern starting anywhere within it.
WINDOW_BYTES = 1024 * 1024
FAULT_KINDS = ("expired", "error", "cut", "drop")


def pattern(key):
    """The block an object's bytes repeat: derived from the key alone."""
    seed = hashlib.sha256(key.encode("utf-8")).digest()
    blocks = []
    for counter in range(PATTERN_BYTES // 32 + 1):
        blocks.append(hashlib.sha256(seed + counter.to_bytes(8, "big")).digest())
    return b"".join(blocks)[:PATTERN_BYTES]


def object_bytes(key, size, start=0, end=None):
    """Bytes ``start`` to ``end`` (exclusive) of the object ``key`` of ``size`` bytes, for tests (keep it small)."""
    end = size if end is None else min(end, size)
    block = pattern(key)
    repeats = (end - start) // PATTERN_BYTES + 2
    offset = start % PATTERN_BYTES
    return (block * repeats)[offset : offset + end - start]


def object_sha256(key, size):
    """The SHA-256 of a whole object, streamed: what a complete download hashes to."""
    digest = hashlib.sha256()
    window = _window(pattern(key))
    position = 0
    while position < size:
        offset = position % PATTERN_BYTES
        length = min(WINDOW_BYTES, size - position)
        digest.update(window[offset : offset + length])
        position += length
    return digest.hexdigest()


def _window(block):
    return memoryview(block * (WINDOW_BYTES // PATTERN_BYTES + 2))


class FileStore:
    """The objects, the signing key, the fault rules and the request log of a file host; thread-safe."""

    def __init__(self, clock=time):
        self.lock = threading.RLock()
        self.clock = clock  # the emulator's (clock.py): when a signed link expires
        self.base_url = "http://files.emulator.invalid"  # until a FileHostServer serves the store
        self._secret = os.urandom(32)
        self.reset()

    def reset(self):
        with self.lock:
            self.objects = {}  # key -> {"size", "content_type"}
            self.faults = []
            self.request_log = []
            self._seq = 0
            self.in_flight = 0  # requests to objects being answered now; logged once answered
            self._hashes = {}

    def put(self, key, size, content_type="video/mp4"):
        with self.lock:
            self.objects[key] = {"size": int(size), "content_type": content_type}

    def sign(self, key, lifetime):
        """A link to ``key`` valid for ``lifetime`` seconds from now (0 or less: already expired)."""
        expires = int(self.clock.time() + lifetime)
        return "%s%s%s?Expires=%d&Signature=%s" % (self.base_url, OBJECT_PREFIX, quote(key, safe=""), expires, self._signature(key, expires))

    def _signature(self, key, expires):
        return hmac.new(self._secret, ("%s\n%d" % (key, expires)).encode("utf-8"), hashlib.sha256).hexdigest()

    def check_link(self, key, query):
        """None for a valid link, else (status, code, message) as OSS answers."""
        expires, signature = query.get("Expires", ""), query.get("Signature", "")
        if not expires.isdigit() or not hmac.compare_digest(signature, self._signature(key, int(expires))):
            return 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
        if int(expires) <= self.clock.time():
            return 403, "AccessDenied", "Request has expired."
        if key not in self.objects:
            return 404, "NoSuchKey", "The specified key does not exist."
        return None

    def sha256(self, key):
        with self.lock:
            size = self.objects[key]["size"]
            if (key, size) not in self._hashes:
                self._hashes[(key, size)] = object_sha256(key, size)
            return self._hashes[(key, size)]

    def add_faults(self, rules):
        checked = []
        for rule in rules:
            if not isinstance(rule, dict) or rule.get("kind") not in FAULT_KINDS:
                raise ValueError("a fault rule needs a kind, one of {}".format(", ".join(FAULT_KINDS)))
            unknown = set(rule) - {"kind", "key", "times", "status", "after_bytes"}
            if unknown:
                raise ValueError("unknown fault rule keys: {}".format(", ".join(sorted(unknown))))
            checked.append(
                {
                    "kind": rule["kind"],
                    "key": rule.get("key"),
                    "times": rule.get("times"),
                    "status": int(rule.get("status", 500)),
                    "after_bytes": int(rule.get("after_bytes", 0)),
                    "hits": 0,
                }
            )
        with self.lock:
            self.faults.extend(checked)

    def pick_fault(self, key):
        with self.lock:
            for rule in self.faults:
                if rule["times"] == 0 or rule["key"] not in (None, key):
                    continue
                return use_rule(rule)
            return None

    def begin(self, entry):
        """A request arrived: it is numbered now, so that the log is in the order requests came in."""
        with self.lock:
            self._seq += 1
            entry["seq"] = self._seq
            self.in_flight += 1

    def log(self, entry):
        """A request was answered. Answers may end in another order than requests came (a client's next
        request can be answered before the thread of its last one logs it): the log keeps arrival order."""
        with self.lock:
            self.request_log.append(entry)
            self.request_log.sort(key=lambda logged: logged["seq"])
            self.in_flight -= 1

    def settled_log(self, timeout=5.0):
        """The request log once no request is being answered: a client has its answer a moment before it is logged."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if self.in_flight <= 0 or time.monotonic() > deadline:
                    return json.loads(json.dumps(self.request_log))
            time.sleep(0.005)


def parse_range(value, size):
    """``(start, end exclusive)`` of a single ``bytes=`` range; None when absent or not one range; "unsatisfiable"."""
    match = re.match(r"^bytes=(\d*)-(\d*)$", (value or "").strip())
    if not match or match.group(1) == match.group(2) == "":
        return None  # absent, several ranges, or another unit: the whole object (RFC 9110 allows ignoring Range)
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size
    else:
        start, end = int(first), size if last == "" else min(size, int(last) + 1)
    if start >= size or start >= end:
        return "unsatisfiable"
    return start, end


class FileHostHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "emulated-storage/1.0"
    timeout = 120
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silenced: the standard lines would print signed links."""

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        path, _sep, raw_query = self.path.partition("?")
        store = self.server.store
        if path.startswith(ADMIN_PREFIX):
            self._admin(store, path[len(ADMIN_PREFIX) :])
        elif path.startswith(OBJECT_PREFIX) and self.command in ("GET", "HEAD"):
            self._object(store, unquote(path[len(OBJECT_PREFIX) :]), dict(parse_qsl(raw_query, keep_blank_values=True)))
        else:
            self._send_error(404, "NoSuchKey", "The specified key does not exist.")

    def _object(self, store, key, query):
        entry = {
            "time": time.time(),
            "method": self.command,
            "key": key,
            "query_keys": sorted(query),
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "range": self.headers.get("Range"),
            "status": None,
            "bytes_sent": 0,
            "fault": None,
            "connection": "{}:{}".format(*self.client_address[:2]),
        }
        store.begin(entry)
        try:
            self._answer_object(store, key, query, entry)
        finally:
            entry["duration"] = time.time() - entry["time"]  # until the last byte was handed to the socket
            store.log(entry)

    def _answer_object(self, store, key, query, entry):
        fault = store.pick_fault(key)
        if fault is not None:
            entry["fault"] = fault["kind"]
        if fault is not None and fault["kind"] == "drop":
            self.close_connection = True
            return
        if fault is not None and fault["kind"] == "expired":
            entry["status"] = self._send_error(403, "AccessDenied", "Request has expired.")
            return
        if fault is not None and fault["kind"] == "error":
            entry["status"] = self._send_error(fault["status"], "InternalError", "We encountered an internal error. Please try again.")
            return
        with store.lock:
            refused = store.check_link(key, query)
            stored = dict(store.objects.get(key) or {})
        if refused is not None:
            entry["status"] = self._send_error(*refused)
            return
        size = stored["size"]
        wanted = parse_range(self.headers.get("Range"), size)
        if wanted == "unsatisfiable":
            entry["status"] = self._send_error(416, "InvalidRange", "The requested range is not satisfiable", {"Content-Range": "bytes */%d" % size})
            return
        start, end = wanted or (0, size)
        headers = {
            "Content-Type": stored["content_type"],
            "Content-Length": str(end - start),
            "Accept-Ranges": "bytes",
            "ETag": '"{}"'.format(hashlib.md5(("%s:%d" % (key, size)).encode("utf-8")).hexdigest()),
        }
        if wanted:
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, end - 1, size)
        entry["status"] = 206 if wanted else 200
        self.send_response(entry["status"])
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        stop = end
        if fault is not None and fault["kind"] == "cut":  # announce it all, send part of it, hang up
            stop = min(end, start + fault["after_bytes"])
            self.close_connection = True
        entry["bytes_sent"] = self._send_bytes(key, start, stop)

    def _send_bytes(self, key, start, end):
        window = _window(pattern(key))
        position = start
        try:
            while position < end:
                offset = position % PATTERN_BYTES
                length = min(WINDOW_BYTES, end - position)
                self.wfile.write(window[offset : offset + length])
                position += length
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client went away
        return position - start

    def _send_error(self, status, code, message, headers=None):
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><HostId>files.emulator</HostId></Error>\n"
        ).encode()
        self.send_response(status)
        for name, value in dict({"Content-Type": "application/xml", "Content-Length": str(len(body))}, **(headers or {})).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return status

    def _admin(self, store, name):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length).decode("utf-8")) if length else {}
            payload = self._admin_call(store, self.command, name.rstrip("/"), body)
            status = 200
        except (ValueError, KeyError, TypeError) as err:
            status, payload = 400, {"code": "badRequest", "message": str(err)}
        encoded = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    @staticmethod
    def _admin_call(store, method, name, body):
        if (method, name) == ("GET", "requests"):
            return {"requests": store.settled_log()}
        if (method, name) == ("DELETE", "requests"):
            store.settled_log()  # a request answered just before must not be logged just after the clearing
            with store.lock:
                store.request_log = []
            return {"requests": []}
        with store.lock:
            if (method, name) == ("GET", "objects"):
                return {"objects": [dict(key=key, **stored) for key, stored in store.objects.items()]}
            if (method, name) == ("GET", "checksums"):
                return {"checksums": {key: store.sha256(key) for key in store.objects}}
            if (method, name) == ("POST", "faults"):
                store.add_faults(body.get("rules", []))
                return {"rules": store.faults}
            if (method, name) == ("GET", "faults"):
                return {"rules": store.faults}
            if (method, name) == ("DELETE", "faults"):
                store.faults = []
                return {"rules": []}
        raise KeyError(f"no admin call {method} {name}")


class _FileHostHTTPServer(BackgroundHTTPServer):
    def __init__(self, address, store):
        self.store = store
        super().__init__(address, FileHostHandler)

    def handle_error(self, request, client_address):
        """Clients that hang up mid-download are routine here."""


class FileHostServer:
    """A running file host serving ``store``: ``.url``, ``.store``, ``start()``, ``shutdown()``."""

    def __init__(self, store, host="127.0.0.1", port=0):
        self.store = store
        self._httpd = _FileHostHTTPServer((host, port), store)
        self.port = self._httpd.server_address[1]
        self.url = self._httpd.base_url()
        store.base_url = self.url

    def start(self):
        self._httpd.serve_in_thread("dingtalk-file-host")
        return self

    def shutdown(self):
        self._httpd.stop()
