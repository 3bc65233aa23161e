#!/usr/bin/env python3
"""tests/helpers/faultproxy.py - a faulty reverse proxy for push tests.

  faultproxy.py --upstream URL --port-file F [--log F] [--auth bearer]
                [--user U:P] [--quirk NAME[=VALUE][:N]]... [--max-time S]

Listens on 127.0.0.1 (a free port, written to F) and forwards every
request to the registry at URL (plain http, loopback; docker-registry in
the tests). The Host header is kept, so the registry builds its upload
Location URLs for the proxy; Authorization is never forwarded. It plays
what docker-registry cannot (doc/registry-client.md §4, §7, §9):

  --auth bearer        every /v2/ request needs "Authorization: Bearer T"
                       whose scopes cover it: GET/HEAD pull on the
                       repository, POST/PUT/PATCH/DELETE pull and push, a
                       mount's from= repository pull. Otherwise 401 with
                       WWW-Authenticate: Bearer realm="http://127.0.0.1:
                       PORT/token",service="faultproxy",scope="..."
  GET /token           the token service: ?service=faultproxy&scope=S...;
                       pull is granted to anyone, push only with Basic
                       credentials equal to --user (without --user: to
                       anyone); wrong credentials are a 401. Answers
                       {"token": "...", "expires_in": 300}. POST /token
                       (OAuth2) answers 404, so clients use the GET form.

Quirks fire for the first N matching requests, or always without :N.
The upload quirks match PATCH, and PUT with a body, on
/v2/<repo>/blobs/uploads/...; their VALUE narrows them to one method
(PATCH or PUT; "any" or none for both):

  upload-reset[=M][:N]   read about half the body, then reset the
                         connection without answering
  upload-500[=M][:N]     read the body, answer 500 with a JSON error
  upload-404[=M][:N]     read the body, answer 404 BLOB_UPLOAD_UNKNOWN (a
                         registry that lost the session)
  manifest-dcd=wrong[:N] manifest PUT answers carry a wrong (well-formed)
                         Docker-Content-Digest
  mount=CODE[:N]         cross-repository mounts (POST with mount=) are
                         refused with CODE; a 401 (Harbor, for a project
                         the user cannot see) carries the Bearer challenge
                         with --auth bearer

Every request is logged to --log as one JSON line: method, path (with
its query), status (0 when the connection was reset), auth (whether an
Authorization header came; never its value), bytes (request body bytes
received), quirk (the quirk that fired, if any); token requests also
carry scopes (asked for) and granted. The proxy is loopback only, and
exits when its parent process exits or after --max-time seconds (default
600).
"""
import base64
import http.client
import json
import os
import re
import secrets
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "faultproxy"
OPTS = {"upstream": None, "port_file": None, "log": None, "auth": None,
        "user": None, "max_time": "600"}
QUIRKS = {}     # name -> (value, limit or None)
COUNTS = {}
TOKENS = {}     # token -> {"scopes": set of (repo, action), "exp": t}
LOCK = threading.Lock()
HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
       "proxy-authorization", "te", "trailer", "trailers",
       "transfer-encoding", "upgrade", "expect", "authorization",
       "content-length"}
REPO_RE = re.compile(r"^/v2/(.+?)/(manifests|blobs|tags)/")
UPLOAD_RE = re.compile(r"^/v2/.+?/blobs/uploads/")
MANIFEST_RE = re.compile(r"^/v2/.+?/manifests/")
WRONG_DIGEST = "sha256:" + "0" * 64


def parse_quirk(s):
    """NAME[=VALUE][:N]"""
    if "=" in s:
        name, _, rest = s.partition("=")
        val, _, n = rest.partition(":")
    else:
        name, _, n = s.partition(":")
        val = ""
    if n and not n.isdigit():
        sys.exit("faultproxy: bad quirk count in " + s)
    if name == "mount" and not val.isdigit():
        sys.exit("faultproxy: mount takes a status code")
    QUIRKS[name] = (val, int(n) if n else None)


def quirk_fires(name, match=None):
    """The quirk's value when it fires for this request, else None."""
    q = QUIRKS.get(name)
    if q is None:
        return None
    val, limit = q
    if match is not None and not match(val):
        return None
    with LOCK:
        c = COUNTS.get(name, 0)
        if limit is not None and c >= limit:
            return None
        COUNTS[name] = c + 1
    return val


def log(rec):
    if not OPTS["log"]:
        return
    with LOCK:
        with open(OPTS["log"], "a") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")


def split_scope(s):
    """repository:NAME:a,b -> [(NAME, a), (NAME, b)] (split at the first
    and last colon)"""
    typ, _, rest = s.partition(":")
    name, _, actions = rest.rpartition(":")
    if typ != "repository" or not name:
        return []
    return [(name, a) for a in actions.split(",") if a]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def origin(self):
        return "http://%s:%d" % self.server.server_address[:2]

    # --- plumbing -----------------------------------------------------
    def start(self):
        self.rec = {"method": self.command, "path": self.path, "status": 0,
                    "auth": "Authorization" in self.headers, "bytes": 0}
        self.logged = False
        self.close_connection = True

    def log_now(self):
        """Log the request before the client can see the answer, so a
        test reading the log after the client exits finds it there."""
        if not self.logged:
            self.logged = True
            log(self.rec)

    def reply(self, code, body=b"", headers=None, ctype=None):
        self.rec["status"] = code
        self.send_response(code)
        for k, v in (headers or []):
            self.send_header(k, v)
        if ctype:
            self.send_header("Content-Type", ctype)
        if code >= 200 and code not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.log_now()
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def error(self, code, ecode, msg, headers=None):
        body = json.dumps({"errors": [{"code": ecode, "message": msg,
                                       "detail": None}]})
        self.reply(code, body.encode(), headers, "application/json")

    def body_length(self):
        try:
            return max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            return 0

    def read_body(self, limit=None):
        """Iterate over the request body (Content-Length or chunked), at
        most limit bytes; counts them into the log record."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                line = self.rfile.readline(1024)
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n",
                                                            b""):
                        pass
                    return
                while n > 0:
                    b = self.rfile.read(min(n, 1 << 16))
                    if not b:
                        return
                    n -= len(b)
                    self.rec["bytes"] += len(b)
                    yield b
                self.rfile.readline(1024)
            return
        left = self.body_length()
        if limit is not None:
            left = min(left, limit)
        while left > 0:
            b = self.rfile.read(min(left, 1 << 16))
            if not b:
                return
            left -= len(b)
            self.rec["bytes"] += len(b)
            yield b

    def drain(self):
        for _ in self.read_body():
            pass

    def reset(self):
        """Drop the connection with a TCP reset and no answer."""
        self.close_connection = True
        self.log_now()
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()

    # --- auth ---------------------------------------------------------
    def basic_user(self):
        """True with the --user credentials, False with others, None
        without any."""
        a = self.headers.get("Authorization", "")
        if not a.startswith("Basic "):
            return None
        try:
            return base64.b64decode(a[6:], validate=True).decode() == \
                OPTS["user"]
        except Exception:
            return False

    def token(self, u):
        if self.command == "POST":
            self.drain()
            return self.error(404, "NOT_FOUND", "no OAuth2 here")
        q = urllib.parse.parse_qs(u.query)
        asked = []
        for s in q.get("scope", []):
            asked += [x for x in s.split(" ") if x]
        self.rec["scopes"] = asked
        cred = self.basic_user()
        if cred is False:
            return self.error(401, "UNAUTHORIZED", "bad credentials")
        if q.get("service") != [SERVICE]:
            return self.error(400, "BAD_REQUEST", "unknown service")
        may_push = cred is True or not OPTS["user"]
        granted = set()
        for s in asked:
            for name, act in split_scope(s):
                if act == "pull" or (act == "push" and may_push):
                    granted.add((name, act))
        self.rec["granted"] = sorted("repository:%s:%s" % g for g in granted)
        tok = secrets.token_hex(16)
        with LOCK:
            TOKENS[tok] = {"scopes": granted, "exp": time.time() + 300}
        self.reply(200, json.dumps({"token": tok, "expires_in": 300}).encode(),
                   ctype="application/json")

    def needs(self, u):
        """(what the request needs as (repo, action) pairs, challenge scope)"""
        m = REPO_RE.match(u.path)
        if not m:
            return [], None
        repo = m.group(1)
        if self.command in ("GET", "HEAD"):
            need = [(repo, "pull")]
            scope = "repository:%s:pull" % repo
        else:
            need = [(repo, "pull"), (repo, "push")]
            scope = "repository:%s:pull,push" % repo
        frm = urllib.parse.parse_qs(u.query).get("from")
        if self.command == "POST" and frm and frm[0] != repo:
            need.append((frm[0], "pull"))
            scope += " repository:%s:pull" % frm[0]
        return need, scope

    def authorized(self, u):
        if OPTS["auth"] != "bearer":
            return True
        need, scope = self.needs(u)
        a = self.headers.get("Authorization", "")
        err = None
        if a.startswith("Bearer "):
            with LOCK:
                t = TOKENS.get(a[7:])
            if t is None or t["exp"] < time.time():
                err = "invalid_token"
            elif all(n in t["scopes"] for n in need):
                return True
            else:
                err = "insufficient_scope"
        self.drain()
        self.error(401, "UNAUTHORIZED", "authentication required",
                   [("WWW-Authenticate", self.challenge(scope, err))])
        return False

    def challenge(self, scope, err):
        v = 'Bearer realm="%s/token",service="%s"' % (self.origin(), SERVICE)
        if scope:
            v += ',scope="%s"' % scope
        if err:
            v += ',error="%s"' % err
        return v

    # --- requests -----------------------------------------------------
    def handle_any(self):
        self.start()
        try:
            self.route()
        finally:
            self.log_now()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def route(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/token":
            return self.token(u)
        if not self.authorized(u):
            return
        if self.command == "POST" and UPLOAD_RE.match(u.path) and \
                "mount" in urllib.parse.parse_qs(u.query):
            code = quirk_fires("mount")
            if code is not None:
                self.rec["quirk"] = "mount"
                self.drain()
                hdrs = []
                if code == "401" and OPTS["auth"] == "bearer":
                    hdrs.append(("WWW-Authenticate", self.challenge(
                        self.needs(u)[1], "insufficient_scope")))
                return self.error(int(code), "DENIED" if code == "401"
                                  else "UNKNOWN", "mount refused", hdrs)
        if UPLOAD_RE.match(u.path) and (
                self.command == "PATCH" or
                (self.command == "PUT" and (self.body_length() > 0 or
                 "Transfer-Encoding" in self.headers))):
            def method(v):
                return v in ("", "any") or v.upper() == self.command
            if quirk_fires("upload-reset", method) is not None:
                self.rec["quirk"] = "upload-reset"
                half = self.body_length() // 2
                for _ in self.read_body(max(half, 1)):
                    pass
                return self.reset()
            if quirk_fires("upload-500", method) is not None:
                self.rec["quirk"] = "upload-500"
                self.drain()
                return self.error(500, "UNKNOWN", "injected failure")
            if quirk_fires("upload-404", method) is not None:
                self.rec["quirk"] = "upload-404"
                self.drain()
                return self.error(404, "BLOB_UPLOAD_UNKNOWN",
                                  "blob upload unknown to registry")
        self.forward(u)

    def forward(self, u):
        up = urllib.parse.urlsplit(OPTS["upstream"])
        conn = http.client.HTTPConnection(up.hostname, up.port or 80,
                                          timeout=120)
        try:
            conn.putrequest(self.command, self.path, skip_host=True,
                            skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP:
                    conn.putheader(k, v)
            chunked = "chunked" in \
                self.headers.get("Transfer-Encoding", "").lower()
            if chunked:
                body = b"".join(self.read_body())
                conn.putheader("Content-Length", str(len(body)))
            elif "Content-Length" in self.headers:
                conn.putheader("Content-Length", str(self.body_length()))
            conn.putheader("Connection", "close")
            conn.endheaders()
            if chunked:
                conn.send(body)
            else:
                for b in self.read_body():
                    conn.send(b)
            resp = conn.getresponse()
            data = resp.read()
            hdrs = []
            for k, v in resp.getheaders():
                kl = k.lower()
                if kl in HOP or kl in ("date", "server"):
                    continue
                if kl == "docker-content-digest" and \
                        self.command == "PUT" and \
                        MANIFEST_RE.match(u.path) and \
                        quirk_fires("manifest-dcd") == "wrong":
                    self.rec["quirk"] = "manifest-dcd"
                    v = WRONG_DIGEST
                hdrs.append((k, v))
            if self.command == "HEAD":
                cl = resp.getheader("Content-Length")
                if cl is not None:
                    hdrs.append(("Content-Length", cl))
        except (OSError, http.client.HTTPException) as e:
            return self.error(502, "UNKNOWN", "upstream: %s" % e)
        finally:
            conn.close()
        self.rec["status"] = resp.status
        self.send_response(resp.status)
        for k, v in hdrs:
            self.send_header(k, v)
        if self.command != "HEAD" and resp.status >= 200 and \
                resp.status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.log_now()
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass    # clients that hang up, and our own resets, are expected


def watchdog(ppid, deadline):
    while True:
        if os.getppid() != ppid or time.time() > deadline:
            os._exit(0)
        time.sleep(0.2)


def main(argv):
    i = 0
    while i < len(argv):
        a = argv[i]
        if i + 1 >= len(argv):
            sys.exit("faultproxy: %s needs a value" % a)
        if a == "--quirk":
            parse_quirk(argv[i + 1])
        elif a in ("--upstream", "--port-file", "--log", "--auth", "--user",
                   "--max-time"):
            OPTS[a[2:].replace("-", "_")] = argv[i + 1]
        else:
            sys.exit("faultproxy: unknown option " + a)
        i += 2
    if not OPTS["upstream"] or not OPTS["port_file"]:
        sys.exit(__doc__)
    up = urllib.parse.urlsplit(OPTS["upstream"])
    if up.scheme != "http" or up.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("faultproxy: the upstream must be http://127.0.0.1:PORT")
    if OPTS["auth"] not in (None, "none", "bearer"):
        sys.exit("faultproxy: --auth takes bearer")
    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=watchdog, daemon=True, args=(
        os.getppid(), time.time() + float(OPTS["max_time"]))).start()
    tmp = OPTS["port_file"] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, OPTS["port_file"])
    srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
