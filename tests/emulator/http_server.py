# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator on the wire: HTTP(S), request decoding, latency, faults and the request log.

A request under /_emulator/ goes to the admin API (admin_api.py), any other to the DingTalk API
(dingtalk_api.py); both answer from one store (store.py). ``EmulatorServer`` runs it all in a thread.
"""

import base64
import functools
import json
import os
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, unquote

from .admin_api import ADMIN_PREFIX, ADMIN_ROUTES, AdminApi
from .calls import JSON_CONTENT_TYPE, REQUEST_ID_HEADER, TOKEN_HEADER, ApiError, Call, match_route
from .dingtalk_api import API_ROUTES, DingTalkApi
from .file_host import FileHostServer
from .serving import BackgroundHTTPServer
from .store import EmulatorStore


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """Decodes a request, routes it to the admin or the DingTalk API, applies latency and faults, writes the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "dingtalk-emulator/1.0"
    timeout = 120  # an idle keep-alive connection of a crashed client must not pin a thread forever
    disable_nagle_algorithm = True  # headers and body go out as separate writes; Nagle would add ~40 ms per answer

    def setup(self):
        # The TLS handshake happens here, in the connection's own thread, not in the accept loop.
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silenced: the standard lines could carry request details; _dispatch logs safe ones itself."""

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers: nothing in them matters here
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    @staticmethod
    def _parse_body(raw):
        if not raw:
            return None
        text = raw.decode("utf-8", errors="replace")
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _send(self, status, body, content_type, request_id, declared_length=None, headers=None, repeat=1):
        # A rule's headers add to these, or replace them; null leaves one out.
        all_headers = {
            "Content-Type": content_type,
            "Content-Length": str(len(body) * repeat if declared_length is None else declared_length),
            REQUEST_ID_HEADER: request_id,
        }
        all_headers.update(headers or {})
        if all_headers["Content-Length"] is None:
            self.close_connection = True  # the body ends where the connection does
        self.send_response(status)
        for name, value in all_headers.items():
            if value is not None:
                self.send_header(name, value)
        self.end_headers()
        # A body repeated many times goes out in blocks of about 64 KiB: a huge answer never sits in memory whole.
        per_block = max(1, 65536 // max(1, len(body)))
        for _block in range(repeat // per_block):
            self.wfile.write(body * per_block)
        self.wfile.write(body * (repeat % per_block))
        self.wfile.flush()

    def _send_json(self, status, payload, request_id):
        self._send(status, json.dumps(payload).encode("utf-8"), JSON_CONTENT_TYPE, request_id)

    def _dispatch(self):
        raw_path, _sep, raw_query = self.path.partition("?")
        # Split first, then decode each segment: an encoded "/" stays inside its path parameter.
        segments = [unquote(part) for part in raw_path.split("/")[1:]]
        try:
            body = self._parse_body(self._read_body())
        except ValueError:
            self.close_connection = True
            self.send_error(400, "unreadable body")
            return
        call = Call(None, [], dict(parse_qsl(raw_query, keep_blank_values=True)), body, self.headers.get(TOKEN_HEADER))
        request_id = self.server.store.new_request_id()
        if segments and segments[0] == ADMIN_PREFIX:
            status = self._dispatch_admin(call, segments[1:], request_id)
        else:
            status = self._dispatch_api(call, raw_path, segments, request_id)
        if self.server.verbose:  # method, path and status only: never a header, token or body
            print(f"{self.command} {raw_path} {status}", file=sys.stderr, flush=True)

    def _dispatch_admin(self, call, segments, request_id):
        call.name, call.params = match_route(ADMIN_ROUTES, self.command, segments)
        try:
            if call.name is None:
                raise ApiError(404, "InvalidAction.NotFound", "no such admin call")
            status, payload = 200, self.server.admin_api.handle(call)
        except ApiError as err:
            status, payload = err.status, err.body(request_id)
        self._send_json(status, payload, request_id)
        return status

    def _dispatch_api(self, call, raw_path, segments, request_id):
        store = self.server.store
        generation = store.generation  # taken first: a reset while this request waits makes it stale
        call.name, call.params = match_route(API_ROUTES, self.command, segments)
        call.versioned = segments[:1] == ["v1.0"]
        started = time.monotonic()  # real time: the duration is how long the client waited
        entry = {
            "time": store.now(),
            "method": self.command,
            "path": raw_path,
            "api": call.name,
            "query": call.query,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": call.body,
            "status": None,
            "code": None,
            "fault": None,
            "fault_phase": None,
            "ip_blocked": False,
            "principal": None,
            "request_id": request_id,
            "connection": "{}:{}".format(*self.client_address[:2]),
        }
        store.count_in_flight(1)
        send = None
        try:
            try:
                entry["status"], entry["code"], entry["fault"], send = self._answer_api(call, raw_path, request_id, generation, entry)
            finally:  # logged even when the answer cannot be made (the client has gone, say)
                entry["principal"] = call.principal
                entry["duration"] = round(time.monotonic() - started, 3)
                # Logged and counted before the answer goes out: a client that has its answer finds its call here.
                store.record_request(entry, generation)
            if send is not None:
                try:
                    send()
                except OSError:  # the client went away before it had the answer
                    store.record_unanswered(entry, generation)
                    raise
        finally:
            store.count_in_flight(-1)
        return entry["status"]

    def _answer_api(self, call, raw_path, request_id, generation, entry):
        """Latency, faults and the operation; return (status or None, logged code, fault kind, send).

        ``send`` writes the answer (None when there is nothing to write): the caller logs the call first.
        The fault kind goes into ``entry`` as soon as it is chosen, so the log keeps it whatever happens next.
        """
        store = self.server.store
        latency = store.config_value("latency")
        if latency:
            time.sleep(latency)
        blocked_answer = store.check_ip(self.client_address[0], generation)
        if blocked_answer is not None:  # DingTalk's gateway refuses the address before anything else happens
            entry["ip_blocked"] = True
            return 200, None, None, functools.partial(self._send_ip_block, blocked_answer, request_id)
        before = store.pick_fault(call.name, self.command, raw_path, "before", generation)
        if before is not None:
            entry["fault"], entry["fault_phase"] = before["kind"], "before"
        if before is not None and before["kind"] != "delay":  # the fault replaces the answer: the operation never runs
            return self._fault_outcome(before, None, request_id)
        if before is not None:
            time.sleep(before["delay"])
        outcome = self.server.dingtalk_api.perform(call, request_id, generation)
        if outcome is None:  # the emulator was reset meanwhile: this request belongs to an old scenario
            self.close_connection = True
            return None, None, None, None
        status, payload = outcome
        after = store.pick_fault(call.name, self.command, raw_path, "after", generation)
        if after is not None:
            entry["fault"], entry["fault_phase"] = after["kind"], "after"
        if after is not None and after["kind"] != "delay":  # the operation ran; only its answer is lost or replaced
            return self._fault_outcome(after, payload, request_id)
        if after is not None:
            time.sleep(after["delay"])
        code = payload.get("code") if status >= 400 else None
        return status, code, "delay" if before or after else None, functools.partial(self._send_json, status, payload, request_id)

    def _send_ip_block(self, answer, request_id):
        """DingTalk's answer to a blocked egress IP: an HTML page, or the anti-abuse JSON body of public reports.

        HTTP 200 either way (an assumption: the reports quote bodies, not status lines), the worst case
        for a client, which must not take it for a success.
        """
        if answer == "json":
            body = {"status": 1111, "wait": 5, "source": "x5", "punish": "deny", "uuid": request_id.replace("-", "")}
            self._send_json(200, body, request_id)
        else:
            page = (
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Access denied</title></head><body>"
                "<p>Too many requests from your IP address. Access is denied; please try again later.</p></body></html>"
            )
            self._send(200, page.encode("utf-8"), "text/html;charset=utf-8", request_id)

    def _fault_outcome(self, rule, payload, request_id):
        """A fault that replaces the answer: (status or None when nothing is sent, logged code, kind, send)."""
        kind, status = rule["kind"], rule["status"]
        if kind == "drop":
            self.close_connection = True
            return None, None, kind, None
        if kind == "error":
            body = {"code": rule["code"], "message": rule["message"], "requestid": request_id}
            return status, rule["code"], kind, functools.partial(self._send_json, status, body, request_id)
        if kind == "html":
            page = "<html><head><title>%d</title></head><body><h1>%d</h1><p>%s</p></body></html>" % (status, status, rule["message"])
            return status, None, kind, functools.partial(self._send, status, page.encode("utf-8"), "text/html; charset=utf-8", request_id)
        if kind == "truncated":  # announce the whole body, send half of it, hang up
            if rule["body"] is None:
                payload = payload or {"code": rule["code"], "message": rule["message"], "requestid": request_id}
            encoded = (json.dumps(payload) if rule["body"] is None else rule["body"]).encode("utf-8")
            self.close_connection = True
            half = encoded[: len(encoded) // 2]
            return status, None, kind, functools.partial(self._send, status, half, rule["content_type"], request_id, declared_length=len(encoded))
        # a raw body, as the rule gives it
        body = base64.b64decode(rule["body_base64"]) if rule["body_base64"] is not None else (rule["body"] or "").encode("utf-8")
        send = functools.partial(self._send, status, body, rule["content_type"], request_id, headers=rule["headers"], repeat=rule["repeat"])
        return status, None, kind, send


class _EmulatorHTTPServer(BackgroundHTTPServer):
    def __init__(self, address, emulator, verbose, tls_context):
        self.store = emulator.state
        self.dingtalk_api = emulator.dingtalk_api
        self.admin_api = emulator.admin_api
        self.verbose = verbose
        super().__init__(address, EmulatorRequestHandler)
        if tls_context is not None:
            self.socket = tls_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request, client_address):
        """Dropped connections and failed TLS handshakes are routine in fault tests; stay quiet."""
        if self.verbose:
            print(f"connection error: {sys.exc_info()[1]}", file=sys.stderr, flush=True)


class EmulatorServer:
    """A running emulator: ``.url``, ``.file_host_url``, ``.state`` (the store), ``.clock``, ``.shutdown()``; a context manager.

    ``clock`` replaces the emulator's time (clock.Clock, or anything with ``time()`` and ``monotonic()``).
    """

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        region="io",
        qps_limit=20,
        latency=0.0,
        tls_cert=None,
        tls_key=None,
        state_file=None,
        port_file=None,
        verbose=False,
        file_host_port=0,
        clock=None,
    ):
        self.state = EmulatorStore(region=region, qps_limit=qps_limit, latency=latency, clock=clock)
        self.clock = self.state.clock
        self.dingtalk_api = DingTalkApi(self.state)
        self.admin_api = AdminApi(self.state, self.dingtalk_api)
        if state_file:
            with open(state_file, encoding="utf-8") as handle:
                self.admin_api.seed(Call.of_body(json.load(handle)))
        tls_context = None
        if tls_cert:
            tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_context.load_cert_chain(tls_cert, tls_key)
        self._httpd = _EmulatorHTTPServer((host, port), self, verbose, tls_context)
        self.port = self._httpd.server_address[1]
        # The recordings' files are on another host, as DingTalk's are: a server of its own, on a port of its own.
        self.file_host = FileHostServer(self.state.recordings.store, host=host, port=file_host_port)
        self.file_host_url = self.file_host.url
        self.url = self._httpd.base_url("https" if tls_context else "http")
        self._port_file = port_file

    def start(self):
        self.file_host.start()
        self._httpd.serve_in_thread("dingtalk-emulator")
        if self._port_file:
            # Write then rename, so a watcher never reads a half-written port number.
            temporary = "%s.%d.tmp" % (self._port_file, os.getpid())
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write("%d\n" % self.port)
            os.replace(temporary, self._port_file)
        return self

    def shutdown(self):
        self._httpd.stop()
        self.file_host.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.shutdown()
