#!/usr/bin/env python3
"""tests/helpers/mockreg.py - a mock OCI registry for the tests (stdlib only).

  mockreg.py --root LAYOUT --port-file F [--log F] [--user U:P]
             [--quirk NAME[=VALUE]]... [--max-time S]

Serves the images of the OCI layout LAYOUT (names "repo:tag" in its
index.json, as tests/helpers/ocitest.py writes them) read-only on
127.0.0.1, on a free port written to F. A second listener on 127.0.0.2
plays a CDN (blob redirects) and a token service on another origin. It
plays the parts docker-registry cannot (doc/registry-client.md §9):

  auth=bearer|basic        bearer: token service at /token on this origin
                           (realm=other-origin: on the 127.0.0.2 listener;
                           realm=HOST: http://HOST/token, e.g. 169.254.169.254);
                           tokens carry scopes and are checked per repository;
                           basic: Basic challenge, --user U:P checked.
                           With --user, the token service wants Basic too.
  token-fields=token|access_token|both   which fields carry the token
  realm-unquoted           challenge with realm=http://... unquoted
  status=CODE[:N]          the first N (default: every) manifest/blob
                           requests answer CODE
  retry-after=S            with status: Retry-After: S
  cut-after=BYTES[:N]      blob GETs send BYTES bytes then reset (first N)
  stall-after=BYTES[:N]    blob GETs send BYTES bytes then send nothing
                           more until the client goes (first N)
  fault-min=BYTES          blob faults only hit blobs this big (default 1024)
  range=honour|ignore      Range on blob GETs (default honour)
  blob=truncated|corrupt[:N]  blob GETs short by one byte / a flipped byte
  blob-redirect=CODE       blob GETs redirect to the CDN (127.0.0.2)
  cdn-reject-auth          the CDN answers 400 to any Authorization header
  cdn-expired=N            the CDN answers 403 (expired signature) N times
  redirect-loop            blob GETs redirect to themselves
  manifest-size=N          manifests padded past N bytes (size limit test)
  slow=BYTES_PER_S         blob bodies trickle out
  small-delay=S            blob GETs of blobs under fault-min bytes (configs)
                           answer after S seconds: the layers come first
  digest-manifest-delay=S  manifest GETs by digest answer after S seconds
  dcd=wrong|absent         Docker-Content-Digest header faults
  oauth=post               the token service takes OAuth2 POSTs (identity
                           tokens: refresh_token must be the --user password);
                           without it a POST is answered 404
  warning=TEXT             manifests carry Warning: 299 - "TEXT"
  content-type-params      "; charset=utf-8" after manifest types (Quay)
  schema1                  manifests by tag are signed schema1 documents
  endless-error=CODE       manifest/blob requests answer CODE with an error
                           body that never ends (sent as fast as it goes)
  trickle-error=CODE       the same body, 4 KiB a second: above curl's
                           low-speed limit, so only a deadline stops it
  hostile-error            manifests answer 400 with an error code and
                           message holding escape sequences, 5000 bytes each
  token-inject             tokens end in "\r\nX-Injected: yes" (header
                           injection); the log's "injected" tells whether
                           a request carried that header
  expires-in=N             the token reply's expires_in (a JSON number)
  no-length                manifests are sent without Content-Length,
                           delimited by closing the connection
  blob-redirect-to=URL     blob GETs redirect (307) to URL as given

Every request is logged to --log as one JSON line: listener ("reg" or
"cdn"), method, path, range, accept, auth (true when an Authorization
header was present), status, sent (the body bytes a blob GET
wrote), and start and end (monotonic seconds: which requests overlapped). The mock is loopback only, exits when its
parent process exits, and after --max-time seconds (default 600).
"""
import base64
import hashlib
import json
import os
import secrets
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REF_NAME = "org.opencontainers.image.ref.name"
OPTS = {"root": None, "port_file": None, "log": None, "user": None,
        "max_time": 600}
QUIRKS = {}
COUNTS = {}
TOKENS = {}
LOCK = threading.Lock()
PORTS = {}


def quirk(name):
    return QUIRKS.get(name)


def quirk_fires(name):
    """A quirk 'VALUE[:N]' fires for its first N uses, or always."""
    v = QUIRKS.get(name)
    if v is None:
        return None
    val, _, n = v.partition(":")
    if n:
        with LOCK:
            c = COUNTS.get(name, 0)
            if c >= int(n):
                return None
            COUNTS[name] = c + 1
    return val


def log(rec):
    if not OPTS["log"]:
        return
    with LOCK:
        with open(OPTS["log"], "a") as f:
            f.write(json.dumps(rec) + "\n")


def load_index():
    with open(os.path.join(OPTS["root"], "index.json")) as f:
        return json.load(f)


def blob_path(dg):
    alg, _, hexd = dg.partition(":")
    if alg not in ("sha256", "sha512") or not hexd or \
            any(c not in "0123456789abcdef" for c in hexd):
        return None
    p = os.path.join(OPTS["root"], "blobs", alg, hexd)
    return p if os.path.exists(p) else None


def known_repos():
    return {m.get("annotations", {}).get(REF_NAME, "").rsplit(":", 1)[0]
            for m in load_index()["manifests"]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    listener = "reg"

    def log_message(self, *a):
        pass

    def origin(self):
        return "http://%s:%d" % self.server.server_address[:2]

    def reply(self, code, body=b"", headers=None, ctype=None):
        self.status = code
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def error(self, code, ecode, msg, headers=None):
        body = json.dumps({"errors": [{"code": ecode, "message": msg}]})
        self.reply(code, body.encode(), headers, "application/json")

    def handle_one(self):
        self.status = 0
        self.sent = 0
        start = time.monotonic()
        u = urllib.parse.urlsplit(self.path)
        try:
            if self.listener == "cdn":
                self.cdn(u)
            else:
                self.registry(u)
        finally:
            log({"listener": self.listener, "method": self.command,
                 "path": u.path, "query": u.query,
                 "range": self.headers.get("Range"),
                 "accept": self.headers.get("Accept"),
                 "auth": "Authorization" in self.headers,
                 "injected": "X-Injected" in self.headers,
                 "status": self.status, "sent": self.sent,
                 "start": start, "end": time.monotonic()})

    do_GET = do_HEAD = handle_one

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        self.handle_one()

    # --- auth ---------------------------------------------------------
    def basic_ok(self):
        a = self.headers.get("Authorization", "")
        if not a.startswith("Basic "):
            return False
        try:
            return base64.b64decode(a[6:]).decode() == OPTS["user"]
        except Exception:
            return False

    def challenge(self, repo, err=None):
        realm_origin = self.origin()
        if quirk("realm") == "other-origin":
            realm_origin = "http://127.0.0.2:%d" % PORTS["cdn"]
        elif quirk("realm"):
            realm_origin = "http://" + quirk("realm")
        realm = realm_origin + "/token"
        if quirk("realm-unquoted") is not None:
            v = "Bearer realm=%s,service=\"mock\"" % realm
        else:
            v = 'Bearer realm="%s",service="mock"' % realm
        if repo:
            v += ',scope="repository:%s:pull"' % repo
        if err:
            v += ',error="%s"' % err
        return v

    def authorized(self, repo):
        mode = quirk("auth")
        if mode is None or mode == "none":
            return True
        a = self.headers.get("Authorization", "")
        if mode == "basic":
            if self.basic_ok():
                return True
            self.error(401, "UNAUTHORIZED", "authentication required",
                       {"WWW-Authenticate": 'Basic realm="mock"'})
            return False
        if a.startswith("Bearer "):
            with LOCK:
                t = TOKENS.get(a[7:])
            if t and t["exp"] > time.time() and \
                    (repo is None or ("repository:%s:pull" % repo)
                     in t["scopes"]):
                return True
            err = "insufficient_scope" if t else "invalid_token"
            self.error(401, "UNAUTHORIZED", "authentication required",
                       {"WWW-Authenticate": self.challenge(repo, err)})
            return False
        self.error(401, "UNAUTHORIZED", "authentication required",
                   {"WWW-Authenticate": self.challenge(repo)})
        return False

    def token(self, u):
        q = urllib.parse.parse_qs(u.query)
        if self.command == "POST":
            f = self.form
            if quirk("oauth") != "post":
                return self.error(404, "NOT_FOUND", "no oauth here")
            if f.get("grant_type") != ["refresh_token"] or \
                    f.get("client_id") != ["ocikit"] or \
                    f.get("refresh_token") != \
                    [(OPTS["user"] or ":").split(":", 1)[1]]:
                return self.error(401, "UNAUTHORIZED", "bad refresh token")
            q = {"service": f.get("service"),
                 "scope": f.get("scope", [""])[0].split(" ")}
        elif OPTS["user"] and not self.basic_ok():
            self.error(401, "UNAUTHORIZED", "bad credentials")
            return
        if q.get("service") != ["mock"]:
            self.error(400, "BAD_REQUEST", "service")
            return
        scopes = []
        for s in q.get("scope", []):
            scopes += s.split(" ")
        tok = secrets.token_hex(16)
        with LOCK:
            TOKENS[tok] = {"scopes": scopes, "exp": time.time() + 300}
        if quirk("token-inject") is not None:
            tok += "\r\nX-Injected: yes"
        fields = quirk("token-fields") or "token"
        body = {"expires_in": 300}
        if quirk("expires-in"):
            body["expires_in"] = json.loads(quirk("expires-in"))
        if fields in ("token", "both"):
            body["token"] = tok
        if fields in ("access_token", "both"):
            body["access_token"] = tok
        self.reply(200, json.dumps(body).encode(), ctype="application/json")

    # --- registry -----------------------------------------------------
    def registry(self, u):
        p = u.path
        if p == "/token":
            return self.token(u)
        if p in ("/v2/", "/v2"):
            if self.authorized(None):
                self.reply(200, b"{}", ctype="application/json")
            return
        if not p.startswith("/v2/"):
            return self.error(404, "NOT_FOUND", "no such path")
        rest = p[4:]
        for kind in ("/manifests/", "/blobs/", "/tags/list"):
            i = rest.rfind(kind)
            if i > 0:
                repo, arg = rest[:i], rest[i + len(kind):]
                break
        else:
            return self.error(404, "NOT_FOUND", "no such path")
        if not self.authorized(repo):
            return
        for q in ("endless-error", "trickle-error"):
            if quirk(q) and kind in ("/manifests/", "/blobs/") and \
                    self.command == "GET":
                return self.endless(int(quirk(q)), q == "trickle-error")
        if quirk("hostile-error") is not None and kind == "/manifests/" \
                and self.command == "GET":
            return self.error(400, "\x1b[31m" + "A" * 5000,
                              "\x1b]0;owned\x07" + "B" * 5000)
        st = quirk_fires("status")
        if st:
            h = {}
            if quirk("retry-after"):
                h["Retry-After"] = quirk("retry-after")
            return self.error(int(st), "TOOMANYREQUESTS"
                              if st == "429" else "UNAVAILABLE",
                              "injected", h)
        if repo not in known_repos():
            return self.error(404, "NAME_UNKNOWN", "repository unknown")
        if kind == "/manifests/":
            return self.manifest(repo, arg)
        if kind == "/blobs/":
            return self.blob(repo, arg)
        tags = sorted(m["annotations"][REF_NAME].rsplit(":", 1)[1]
                      for m in load_index()["manifests"]
                      if m.get("annotations", {}).get(REF_NAME, "")
                      .rsplit(":", 1)[0] == repo)
        self.reply(200, json.dumps({"name": repo, "tags": tags}).encode(),
                   ctype="application/json")

    def endless(self, code, trickle):
        """An error whose body never ends, close-delimited."""
        self.status = code
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b'{"errors":[{"code":"X","message":"' + b"x" * 4000
        try:
            while True:
                self.wfile.write(chunk)
                self.wfile.flush()
                if trickle:
                    time.sleep(1)
        except OSError:
            pass

    def manifest(self, repo, ref):
        desc = None
        if ":" in ref and quirk("digest-manifest-delay"):
            time.sleep(float(quirk("digest-manifest-delay")))
        if ":" in ref:
            path = blob_path(ref)
            if path:
                with open(path, "rb") as f:
                    body = f.read()
                try:
                    mt = json.loads(body).get("mediaType")
                except ValueError:
                    mt = None
                desc = {"digest": ref, "mediaType": mt}
        else:
            for m in load_index()["manifests"]:
                if m.get("annotations", {}).get(REF_NAME) == \
                        repo + ":" + ref:
                    desc = m
                    with open(blob_path(m["digest"]), "rb") as f:
                        body = f.read()
        if desc is None:
            return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        if quirk("schema1") is not None and ":" not in ref:
            body = json.dumps({"schemaVersion": 1, "name": repo, "tag": ref,
                               "architecture": "amd64", "fsLayers": [],
                               "history": [], "signatures": []}).encode()
            desc = {"mediaType":
                    "application/vnd.docker.distribution.manifest.v1+prettyjws"}
        if quirk("manifest-size"):
            body = body + b" " * (int(quirk("manifest-size")) + 1)
        dg = "sha256:" + hashlib.sha256(body).hexdigest()
        h = {"Docker-Content-Digest": dg}
        if quirk("warning"):
            h["Warning"] = '299 - "%s"' % quirk("warning")
        if quirk("dcd") == "wrong":
            h["Docker-Content-Digest"] = "sha256:" + "0" * 64
        elif quirk("dcd") == "absent":
            del h["Docker-Content-Digest"]
        ctype = desc.get("mediaType") or \
            "application/vnd.oci.image.manifest.v1+json"
        if quirk("content-type-params") is not None:
            ctype += "; charset=utf-8"
        if quirk("no-length") is not None:
            self.status = 200
            self.send_response(200)
            for k, v in h.items():
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if self.command != "HEAD":
                try:
                    self.wfile.write(body)
                except OSError:
                    pass
            return
        self.reply(200, body, h, ctype)

    def blob(self, repo, dg):
        path = blob_path(dg)
        if path is None:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown")
        if quirk("redirect-loop") is not None:
            return self.reply(307, headers={"Location": self.path})
        if quirk("blob-redirect-to") and self.command == "GET":
            return self.reply(307, headers={
                "Location": quirk("blob-redirect-to")})
        code = quirk("blob-redirect")
        if code and self.command == "GET":
            loc = "http://127.0.0.2:%d/cdn/%s?sig=%s" % (
                PORTS["cdn"], dg, secrets.token_hex(4))
            return self.reply(int(code), headers={"Location": loc})
        self.send_blob(path)

    def send_blob(self, path):
        size = os.path.getsize(path)
        start = 0
        rng = self.headers.get("Range")
        code = 200
        h = {"Docker-Content-Digest": os.path.basename(path),
             "Accept-Ranges": "bytes"}
        if rng and (quirk("range") or "honour") == "honour" and \
                rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= size:
                return self.reply(416, headers={
                    "Content-Range": "bytes */%d" % size})
            code = 206
            h["Content-Range"] = "bytes %d-%d/%d" % (start, size - 1, size)
        # blob faults hit blobs of at least fault-min bytes (default 1024),
        # so that configs pass and layers break
        big = size >= int(quirk("fault-min") or 1024)
        if not big and self.command == "GET" and quirk("small-delay"):
            time.sleep(float(quirk("small-delay")))
        fault = quirk_fires("blob") if big else None
        cut = quirk_fires("cut-after") \
            if self.command == "GET" and big else None
        stall = quirk_fires("stall-after") \
            if self.command == "GET" and big else None
        length = size - start
        if fault == "truncated":
            length -= 1
        self.status = code
        self.send_response(code)
        for k, v in h.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD":
            return
        sent = 0
        with open(path, "rb") as f:
            f.seek(start)
            step = 65536 if not quirk("slow") else 4096
            while sent < length:
                b = f.read(min(step, length - sent))
                if not b:
                    break
                if fault == "corrupt" and sent == 0:
                    b = bytes([b[0] ^ 0xff]) + b[1:]
                if cut is not None and sent + len(b) > int(cut):
                    b = b[:int(cut) - sent]
                    self.wfile.write(b)
                    self.wfile.flush()
                    self.sent = sent + len(b)
                    # reset the connection: SO_LINGER 0, then close
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if stall is not None and sent + len(b) >= int(stall):
                    b = b[:int(stall) - sent]
                    self.wfile.write(b)
                    self.wfile.flush()
                    self.sent = sent + len(b)
                    self.close_connection = True
                    try:
                        # nothing more: wait for the client to go away
                        while self.connection.recv(4096):
                            pass
                    except OSError:
                        pass
                    return
                self.wfile.write(b)
                sent += len(b)
                self.sent = sent
                if quirk("slow"):
                    self.wfile.flush()
                    time.sleep(len(b) / float(quirk("slow")))

    # --- the CDN ------------------------------------------------------
    def cdn(self, u):
        if u.path == "/token":
            return self.token(u)
        if quirk("cdn-reject-auth") is not None and \
                "Authorization" in self.headers:
            return self.reply(400, b"Only one auth mechanism allowed",
                              ctype="text/plain")
        if not u.path.startswith("/cdn/"):
            return self.reply(404)
        if quirk("cdn-expired"):
            with LOCK:
                c = COUNTS.get("cdn-expired", 0)
                COUNTS["cdn-expired"] = c + 1
            if c < int(quirk("cdn-expired")):
                return self.reply(403, b"<Error>Request has expired</Error>",
                                  ctype="application/xml")
        path = blob_path(u.path[5:])
        if path is None:
            return self.reply(404)
        self.send_blob(path)


class CdnHandler(Handler):
    listener = "cdn"


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass    # clients that hang up are part of the tests


def watchdog(ppid, deadline):
    while True:
        if os.getppid() != ppid or time.time() > deadline:
            os._exit(0)
        time.sleep(0.2)


def main(argv):
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--quirk":
            k, _, v = argv[i + 1].partition("=")
            QUIRKS[k] = v
        elif a in ("--root", "--port-file", "--log", "--user", "--max-time"):
            OPTS[a[2:].replace("-", "_")] = argv[i + 1]
        else:
            sys.exit("mockreg: unknown option " + a)
        i += 2
    if not OPTS["root"] or not OPTS["port_file"]:
        sys.exit(__doc__)
    reg = Server(("127.0.0.1", 0), Handler)
    cdn = Server(("127.0.0.2", 0), CdnHandler)
    PORTS["reg"] = reg.server_address[1]
    PORTS["cdn"] = cdn.server_address[1]
    threading.Thread(target=cdn.serve_forever, daemon=True).start()
    threading.Thread(target=watchdog, daemon=True, args=(
        os.getppid(), time.time() + float(OPTS["max_time"]))).start()
    tmp = OPTS["port_file"] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (PORTS["reg"], PORTS["cdn"]))
    os.rename(tmp, OPTS["port_file"])
    reg.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
