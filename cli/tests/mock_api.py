"""A local mock of the Thingstream REST API's key-set endpoints, for tests.

Standard library only (http.server). Listens on 127.0.0.1, on a port the
system picks, in a thread of the test process; the test starts and stops it.

    api = MockAPI(uplink={"<KI hex>": {params}}, downlink={"<uid>": {params}})
    api.start()              # api.url is the base URL ("http://127.0.0.1:PORT/v1")
    ...
    api.stop()

It answers POST {url}/e2e/{uplink|downlink}/{protection|integrity}parameters/get
like the REST documentation: the request must carry the headers the
documentation gives (accept and Content-Type application/json,
Authorization: <token>) and a JSON body {"EncryptedHeader": "<KI hex>"}
(uplink) or {"ROTPublicUID": "<uid>"} (downlink) and nothing else; a key it
knows gets 200 with its parameters (as the API answers: no EncryptedHeader),
an unknown one 404. Anything wrong in a request is recorded in `violations`.

Every request is counted (`requests`: (path, key) in arrival order;
`count(key)`): each one is a charged event for the real API. The highest
number of requests in progress at once is `max_inflight`.

Faults, per key (a list consumed one per request for that key) or per
request number (1-based, across all keys), each one of:
    500, 503, 429, 401, 403, 404  that status, with a JSON error body
    "slow:S"       wait S seconds, then answer normally
    "malformed"    200 with a body that is not JSON
    "notobject"    200 with a JSON array
    "badkey"       200 with the key set, its EncryptionKey/AuthenticationKey
                   not base64
    "wrongeh"      200 with the key set and another EncryptedHeader
    "reset"        close the connection with a TCP reset, no answer
`delay` (seconds) slows every answer down.
"""
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "test-token-7f3a"


class MockAPI:
    def __init__(self, uplink=None, downlink=None, token=TOKEN, prefix="/v1"):
        self.uplink = {k.lower(): v for k, v in (uplink or {}).items()}
        self.downlink = dict(downlink or {})
        self.token = token
        self.prefix = prefix
        self.faults_by_key = {}
        self.faults_by_number = {}
        self.delay = 0.0
        self.requests = []
        self.violations = []
        self.inflight = 0
        self.max_inflight = 0
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    # ------------------------------------------------------------ control

    def start(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection

            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                self.send_error(405)

            def do_POST(self):
                api._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self):
        return "http://127.0.0.1:%d%s" % (self.server.server_address[1], self.prefix)

    def fault(self, key, *faults):
        """fault queues faults for the next requests for key."""
        self.faults_by_key.setdefault(key.lower() if isinstance(key, str) else key,
                                      []).extend(faults)

    def count(self, key=None):
        with self.lock:
            if key is None:
                return len(self.requests)
            return sum(1 for _, k in self.requests if k == key)

    def reset_counts(self):
        with self.lock:
            self.requests = []
            self.violations = []
            self.max_inflight = 0

    # ------------------------------------------------------------ requests

    def _handle(self, h):
        # In flight: from the request's arrival until its answer is sent (the
        # handler thread may linger a moment after that, while the client
        # already sends its next request).
        with self.lock:
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
        h.mock_counted = True
        try:
            self._answer(h)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a time-out)
        finally:
            self._done(h)

    def _done(self, h):
        with self.lock:
            if getattr(h, "mock_counted", False):
                h.mock_counted = False
                self.inflight -= 1

    def _answer(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(n)
        path = h.path
        key = None
        problems = []
        base = self.prefix + "/e2e/"
        kinds = {base + "uplink/protectionparameters/get": ("uplink", "EncryptedHeader"),
                 base + "uplink/integrityparameters/get": ("uplink", "EncryptedHeader"),
                 base + "downlink/protectionparameters/get": ("downlink", "ROTPublicUID"),
                 base + "downlink/integrityparameters/get": ("downlink", "ROTPublicUID")}
        kind = kinds.get(path)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if kind is None:
            problems.append("unknown path %s" % path)
        elif not isinstance(body, dict) or list(body) != [kind[1]] or \
                not isinstance(body[kind[1]], str):
            problems.append("body %r" % raw)
        else:
            key = body[kind[1]]
            if kind[0] == "uplink" and key != key.lower():
                problems.append("KI not lower-case hex: %s" % key)
        if h.headers.get("accept") != "application/json":
            problems.append("accept: %r" % h.headers.get("accept"))
        if h.headers.get("Content-Type") != "application/json":
            problems.append("Content-Type: %r" % h.headers.get("Content-Type"))
        with self.lock:
            self.requests.append((path, key))
            number = len(self.requests)
            self.violations.extend(problems)
            fault = self.faults_by_number.pop(number, None)
            if fault is None and key is not None and self.faults_by_key.get(key):
                fault = self.faults_by_key[key].pop(0)
        if self.delay:
            time.sleep(self.delay)
        if h.headers.get("Authorization") != self.token:
            return self._send(h, 401, {"error": "Unauthorized"})
        if problems:
            return self._send(h, 400, {"error": "; ".join(problems)})

        params = None
        if kind[0] == "uplink":
            params = self.uplink.get(key)
        else:
            params = self.downlink.get(key)

        if fault is not None:
            f = str(fault)
            if f.startswith("slow:"):
                time.sleep(float(f[5:]))
            elif f == "reset":
                self._done(h)
                h.close_connection = True
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                h.connection.close()
                return None
            elif f == "malformed":
                return self._send_raw(h, 200, b'{"CipherSuite": "AES_128_CCM", "Key')
            elif f == "notobject":
                return self._send(h, 200, [params])
            elif f == "badkey" and params is not None:
                bad = dict(params)
                for k in ("EncryptionKey", "AuthenticationKey"):
                    if k in bad:
                        bad[k] = "!!not*base64!!"
                return self._send(h, 200, bad)
            elif f == "wrongeh" and params is not None:
                bad = dict(params, EncryptedHeader="2a0000000000000000000000")
                return self._send(h, 200, bad)
            elif f.isdigit():
                return self._send(h, int(f), {"error": "injected %s" % f})
        if params is None:
            return self._send(h, 404, {"error": "no such key"})
        return self._send(h, 200, params)

    def _send(self, h, status, obj):
        return self._send_raw(h, status, json.dumps(obj).encode())

    def _send_raw(self, h, status, data):
        self._done(h)
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
        return None
