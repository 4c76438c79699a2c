#!/usr/bin/env python3
"""sg-audit's own AWS-compatible test endpoint (Python standard library only).

Serves fixture accounts (fixtures/accounts/*.json) over plain HTTP on
127.0.0.1 as EC2 Query XML, STS Query XML, CloudTrail JSON 1.1, IMDSv2 and
the container-credentials endpoint, all on one port.  Every signed request is
checked with our own SigV4 implementation (sigv4check.py).  Faults can be
injected per region/action from the command line or at run time.

    tests/endpoint/sgendpoint.py --account fixtures/accounts/demo.json \
        [--port 0] [--lifetime 300] [--page-size N] [--latency-ms N] \
        [--fault SPEC ...] [--parent-pid PID] [--events-relative]

On start it prints (shell-evalable, flushed), then nothing else on stdout:

    SG_ENDPOINT=http://127.0.0.1:PORT
    AWS_ACCESS_KEY_ID=AKIA...
    AWS_SECRET_ACCESS_KEY=...
    SG_ACCOUNT_ID=123456789012
    SG_CONTAINER_TOKEN=...
    SG_CONTAINER_URI=http://127.0.0.1:PORT/container/creds
    SG_PID=...
    SG_READY=1

Full documentation: docs/endpoints.md.
"""
import argparse
import base64
import calendar
import email.utils
import fnmatch
import hashlib
import hmac
import http.server
import json
import os
import random
import re
import secrets
import signal
import socket
import string
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape as _xesc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigv4check  # noqa: E402

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
CT_TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
MAX_BODY = 1 << 20
LOG_CAP = 200000

STS_ACTIONS = {"GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity"}


def xesc(s):
    return _xesc(str(s), {'"': "&quot;"})


def now_iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def rand_key(prefix, n=16):
    return prefix + "".join(random.SystemRandom().choice(string.ascii_uppercase + string.digits)
                            for _ in range(n))


def rand_secret(n=40):
    alphabet = string.ascii_letters + string.digits + "/+"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def rand_token():
    # Real session tokens are long base64 with / + and =; make sure clients
    # cope with all three and with the length.
    raw = secrets.token_bytes(300)
    return "IQoJb3JpZ2luX2Vj" + base64.b64encode(raw).decode() + "=="[: (len(raw) % 2)]


# ---------------------------------------------------------------------------
# The world: accounts, regions, credentials.

class Account:
    def __init__(self, data):
        self.data = data
        self.id = data["AccountId"]
        self.partition = data.get("Partition", "aws")
        self.caller_arn = data.get("CallerArn", "arn:aws:iam::%s:user/sg-audit" % self.id)
        self.caller_userid = data.get("CallerUserId", "AIDA" + hashlib.sha256(
            self.id.encode()).hexdigest()[:17].upper())
        self.roles = {r["Arn"]: r for r in data.get("Roles", [])}
        self.regions = {}
        self.region_order = []
        for r in data["Regions"]:
            self.regions[r["RegionName"]] = r
            self.region_order.append(r["RegionName"])
            r.setdefault("OptInStatus", "opt-in-not-required")
            for k in ("Vpcs", "SecurityGroups", "ManagedPrefixLists", "NetworkInterfaces",
                      "CloudTrailEvents"):
                r.setdefault(k, [])
            r["_group_xml"] = {}

    def enabled(self, region):
        r = self.regions.get(region)
        return r is not None and r["OptInStatus"] != "not-opted-in"


class Cred:
    __slots__ = ("akid", "secret", "token", "expires", "account", "arn", "userid", "kind")

    def __init__(self, akid, secret, account, arn, userid, kind, token=None, expires=None):
        self.akid, self.secret, self.account = akid, secret, account
        self.arn, self.userid, self.kind = arn, userid, kind
        self.token, self.expires = token, expires


class Fault:
    KINDS = {"latency", "throttle", "500", "503", "reset", "truncate", "malformed",
             "trickle", "authfailure", "unauthorized", "expired", "skew", "skew-date",
             "endless-token", "error", "ratelimit", "optin", "hang"}
    _ids = 0

    def __init__(self, spec):
        if isinstance(spec, dict):
            kv = {str(k): str(v) for k, v in spec.items()}
        else:
            kv = {}
            for part in str(spec).split(","):
                part = part.strip()
                if not part:
                    continue
                k, sep, v = part.partition("=")
                if not sep:
                    raise ValueError("fault spec item '%s' is not key=value" % part)
                kv[k.strip()] = v.strip()
        self.kind = kv.pop("kind", None)
        if self.kind not in self.KINDS:
            raise ValueError("fault kind must be one of %s" % ", ".join(sorted(self.KINDS)))
        self.region = kv.pop("region", "*")
        self.action = kv.pop("action", "*")
        self.service = kv.pop("service", "*")
        self.count = int(kv.pop("count", "-1"))
        self.after = int(kv.pop("after", "0"))
        self.ms = int(kv.pop("ms", "0"))
        self.seconds = int(kv.pop("seconds", "3600"))
        self.nbytes = int(kv.pop("bytes", "64"))
        self.code = kv.pop("code", None)
        self.status = int(kv.pop("status", "0"))
        self.message = kv.pop("message", None)
        self.rps = float(kv.pop("rps", "2"))
        self.burst = float(kv.pop("burst", "0")) or self.rps
        if kv:
            raise ValueError("unknown fault keys: " + ", ".join(sorted(kv)))
        Fault._ids += 1
        self.id = Fault._ids
        self.seen = 0      # matching requests so far
        self.fired = 0     # times applied
        self.buckets = {}  # (region, action) -> [tokens, last]: EC2 throttles per region

    def matches(self, service, region, action):
        return (fnmatch.fnmatchcase(service, self.service)
                and fnmatch.fnmatchcase(region or "", self.region)
                and fnmatch.fnmatchcase(action or "", self.action))

    def exhausted(self):
        return self.count >= 0 and self.fired >= self.count

    def describe(self):
        d = {"id": self.id, "kind": self.kind, "region": self.region, "action": self.action,
             "service": self.service, "count": self.count, "after": self.after,
             "fired": self.fired, "seen": self.seen}
        for k in ("ms", "code", "status", "message"):
            v = getattr(self, k)
            if v:
                d[k] = v
        if self.kind in ("skew", "skew-date"):
            d["seconds"] = self.seconds
        if self.kind == "trickle":
            d["bytes"] = self.nbytes
        if self.kind == "ratelimit":
            d["rps"], d["burst"] = self.rps, self.burst
        return d


class World:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.accounts = []
        for path in args.account:
            with open(path, encoding="utf-8") as f:
                self.accounts.append(Account(json.load(f)))
        self.by_id = {a.id: a for a in self.accounts}
        self.page_size = args.page_size
        self.latency_ms = args.latency_ms
        self.cred_ttl = args.cred_ttl
        self.imds_v1 = args.imds_v1
        self.imds_role = args.imds_role
        self.token_key = secrets.token_bytes(16)
        self.creds = {}
        main = self.accounts[0]
        akid = args.access_key_id or rand_key("AKIA")
        secret = args.secret_access_key or rand_secret()
        self.user = Cred(akid, secret, main, main.caller_arn, main.caller_userid, "user")
        self.creds[akid] = self.user
        self.container_token = args.container_token or secrets.token_urlsafe(24)
        self.imds_tokens = {}
        self.faults = []
        self.log = []
        self.seq = 0
        for spec in args.fault or []:
            self.faults.append(Fault(spec))
        if args.events_relative:
            self._rebase_events()

    def _rebase_events(self):
        newest = 0
        for a in self.accounts:
            for r in a.regions.values():
                for e in r["CloudTrailEvents"]:
                    newest = max(newest, e["EventTime"])
        if not newest:
            return
        shift = int(time.time()) - 3600 - int(newest)
        for a in self.accounts:
            for r in a.regions.values():
                for e in r["CloudTrailEvents"]:
                    e["EventTime"] = e["EventTime"] + shift
                    rec = json.loads(e["CloudTrailEvent"])
                    rec["eventTime"] = now_iso(e["EventTime"])
                    e["CloudTrailEvent"] = json.dumps(rec, separators=(",", ":"),
                                                      ensure_ascii=False)

    def issue_temp(self, account, arn, userid, kind, ttl=None):
        ttl = self.cred_ttl if ttl is None else ttl
        c = Cred(rand_key("ASIA"), rand_secret(), account, arn, userid, kind,
                 token=rand_token(), expires=time.time() + ttl)
        with self.lock:
            self.creds[c.akid] = c
        return c

    def pick_faults(self, service, region, action):
        """Consume matching faults.  Returns (delay_s, skew_s, terminal, modes)."""
        delay = self.latency_ms / 1000.0
        skew = 0
        terminal = None
        modes = set()
        trickle = None
        with self.lock:
            for f in self.faults:
                if f.exhausted() or not f.matches(service, region, action):
                    continue
                f.seen += 1
                if f.seen <= f.after:
                    continue
                if f.kind == "latency":
                    f.fired += 1
                    delay += (f.ms or 1000) / 1000.0
                elif f.kind == "skew":
                    f.fired += 1
                    skew += f.seconds
                elif f.kind == "skew-date":
                    f.fired += 1
                    modes.add("skew-date:%d" % f.seconds)
                elif f.kind == "endless-token":
                    f.fired += 1
                    modes.add("endless-token")
                elif f.kind == "trickle":
                    if trickle is None:
                        f.fired += 1
                        trickle = f
                elif f.kind == "ratelimit":
                    t = time.monotonic()
                    b = f.buckets.setdefault((region, action), [f.burst, t])
                    b[0] = min(f.burst, b[0] + (t - b[1]) * f.rps)
                    b[1] = t
                    if b[0] >= 1:
                        b[0] -= 1
                    elif terminal is None:
                        f.fired += 1
                        terminal = f
                elif terminal is None:
                    f.fired += 1
                    terminal = f
        return delay, skew, terminal, modes, trickle

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)
            if len(self.log) > LOG_CAP:
                del self.log[: len(self.log) - LOG_CAP]

    # Paging tokens: opaque, tamper-evident, tied to the request's filters.
    def make_token(self, offset, fingerprint):
        body = json.dumps({"v": 2, "o": offset, "f": fingerprint,
                           "n": secrets.token_hex(4)}, separators=(",", ":")).encode()
        # Pad so the base64 always ends in "=": clients must URL-encode it.
        body += b" " * (1 if (len(body) + 10) % 3 else 2)
        tag = hmac.new(self.token_key, body, hashlib.sha256).digest()[:9]
        return base64.b64encode(body + tag).decode()

    def read_token(self, token, fingerprint):
        try:
            raw = base64.b64decode(token.encode(), validate=True)
            body, tag = raw[:-9], raw[-9:]
            if not hmac.compare_digest(tag, hmac.new(self.token_key, body,
                                                     hashlib.sha256).digest()[:9]):
                return None
            d = json.loads(body)
            if d.get("f") != fingerprint:
                return None
            return int(d["o"])
        except Exception:
            return None


# ---------------------------------------------------------------------------
# Errors in each service's own shape.

class ApiError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


ERR = {
    # kind: {service: (code, status, message)}
    "throttle": {"ec2": ("RequestLimitExceeded", 503, "Request limit exceeded."),
                 "sts": ("Throttling", 400, "Rate exceeded"),
                 "cloudtrail": ("ThrottlingException", 400, "Rate exceeded"),
                 "*": ("Throttling", 429, "Rate exceeded")},
    "500": {"ec2": ("InternalError", 500, "An internal error has occurred."),
            "sts": ("InternalFailure", 500, "An internal error has occurred."),
            "cloudtrail": ("InternalFailure", 500, "An internal error has occurred."),
            "*": ("InternalError", 500, "Internal error")},
    "503": {"ec2": ("Unavailable", 503, "The server is overloaded and can't handle the request."),
            "sts": ("ServiceUnavailable", 503, "Service is unavailable."),
            "cloudtrail": ("ServiceUnavailableException", 503, "Service is unavailable."),
            "*": ("ServiceUnavailable", 503, "Service unavailable")},
    "authfailure": {"ec2": ("AuthFailure", 401,
                            "AWS was not able to validate the provided access credentials"),
                    "sts": ("InvalidClientTokenId", 403,
                            "The security token included in the request is invalid."),
                    "cloudtrail": ("com.amazon.coral.service#UnrecognizedClientException", 400,
                                   "The security token included in the request is invalid."),
                    "*": ("Unauthorized", 401, "Unauthorized")},
    "unauthorized": {"ec2": ("UnauthorizedOperation", 403,
                             "You are not authorized to perform this operation."),
                     "sts": ("AccessDenied", 403, "Access denied"),
                     "cloudtrail": ("AccessDeniedException", 400,
                                    "User is not authorized to perform: cloudtrail:LookupEvents"),
                     "*": ("Forbidden", 403, "Forbidden")},
    "expired": {"ec2": ("RequestExpired", 400, "Request has expired."),
                "sts": ("ExpiredToken", 403, "The security token included in the request is expired"),
                "cloudtrail": ("com.amazon.coral.service#ExpiredTokenException", 400,
                               "The security token included in the request is expired"),
                "*": ("Expired", 401, "Expired")},
    "optin": {"ec2": ("OptInRequired", 403,
                      "You are not subscribed to this service. Please go to http://aws.amazon.com "
                      "to subscribe."),
              "sts": ("RegionDisabledException", 403,
                      "STS is not activated in this region for account. Your account "
                      "administrator can activate STS in this region using the IAM Console."),
              "cloudtrail": ("OptInRequiredException", 400, "Region is not enabled."),
              "*": ("OptInRequired", 403, "Not enabled")},
}


def err_for(kind, service, who=None, action=None):
    table = ERR[kind]
    code, status, msg = table.get(service, table["*"])
    if kind == "unauthorized" and service == "ec2" and who and action:
        msg = ("You are not authorized to perform this operation. User: %s is not authorized "
               "to perform: ec2:%s because no identity-based policy allows the ec2:%s action"
               % (who, action, action))
    return ApiError(code, msg, status)


# ---------------------------------------------------------------------------
# EC2 rendering

def _list_xml(tag, items):
    if not items:
        return "<%s/>" % tag
    return "<%s>%s</%s>" % (tag, "".join("<item>%s</item>" % i for i in items), tag)


def _el(tag, value):
    return "" if value is None else "<%s>%s</%s>" % (tag, xesc(value), tag)


def perm_xml(p):
    out = [_el("ipProtocol", p["IpProtocol"])]
    if "FromPort" in p:
        out.append(_el("fromPort", p["FromPort"]))
    if "ToPort" in p:
        out.append(_el("toPort", p["ToPort"]))
    out.append(_list_xml("groups", [
        _el("userId", g.get("UserId")) + _el("groupId", g.get("GroupId"))
        + _el("groupName", g.get("GroupName")) + _el("vpcId", g.get("VpcId"))
        + _el("vpcPeeringConnectionId", g.get("VpcPeeringConnectionId"))
        + _el("peeringStatus", g.get("PeeringStatus"))
        + _el("description", g.get("Description"))
        for g in p.get("UserIdGroupPairs", [])]))
    out.append(_list_xml("ipRanges", [
        _el("cidrIp", r["CidrIp"]) + _el("description", r.get("Description"))
        for r in p.get("IpRanges", [])]))
    out.append(_list_xml("ipv6Ranges", [
        _el("cidrIpv6", r["CidrIpv6"]) + _el("description", r.get("Description"))
        for r in p.get("Ipv6Ranges", [])]))
    out.append(_list_xml("prefixListIds", [
        _el("prefixListId", r["PrefixListId"]) + _el("description", r.get("Description"))
        for r in p.get("PrefixListIds", [])]))
    return "".join(out)


def tags_xml(tags):
    if not tags:
        return ""
    return _list_xml("tagSet", [_el("key", t["Key"]) + _el("value", t["Value"]) for t in tags])


def group_xml(g, region, partition):
    return ("<item>" + _el("ownerId", g["OwnerId"]) + _el("groupId", g["GroupId"])
            + _el("groupName", g["GroupName"]) + _el("groupDescription", g["Description"])
            + _el("vpcId", g.get("VpcId"))
            + _list_xml("ipPermissions", [perm_xml(p) for p in g.get("IpPermissions", [])])
            + _list_xml("ipPermissionsEgress",
                        [perm_xml(p) for p in g.get("IpPermissionsEgress", [])])
            + tags_xml(g.get("Tags"))
            + _el("securityGroupArn", "arn:%s:ec2:%s:%s:security-group/%s"
                  % (partition, region, g["OwnerId"], g["GroupId"]))
            + "</item>")


def ec2_doc(action, inner, rid):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">'
            "<requestId>%s</requestId>%s</%sResponse>" % (action, EC2_NS, rid, inner, action))


def ec2_error_doc(code, message, rid):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code>'
            "<Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>"
            % (xesc(code), xesc(message), rid))


def sts_error_doc(code, message, rid, status):
    kind = "Receiver" if status >= 500 else "Sender"
    return ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n'
            "    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n"
            % (STS_NS, kind, xesc(code), xesc(message), rid))


def indexed(params, prefix):
    """EC2 flattened list: Prefix.1, Prefix.2 ... (1-based, any order)."""
    out = []
    pat = re.compile(re.escape(prefix) + r"\.(\d+)$")
    for k, v in params.items():
        m = pat.match(k)
        if m:
            out.append((int(m.group(1)), v))
    return [v for _, v in sorted(out)]


def filters(params):
    out = {}
    pat = re.compile(r"Filter\.(\d+)\.Name$")
    for k, v in params.items():
        m = pat.match(k)
        if m:
            n = m.group(1)
            vals = indexed(params, "Filter.%s.Value" % n)
            out.setdefault(v, []).extend(vals)
    return out


_GLOB_CACHE = {}


def _glob(p):
    """EC2 filter wildcards: only * and ? are special (not [...] as in fnmatch)."""
    r = _GLOB_CACHE.get(p)
    if r is None:
        r = _GLOB_CACHE[p] = re.compile("".join(
            ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in p) + r"\Z",
            re.S)
    return r


def fmatch(value, patterns):
    if value is None:
        return False
    return any(_glob(p).match(str(value)) for p in patterns)


def _perm_values(g, egress, field):
    perms = g.get("IpPermissionsEgress" if egress else "IpPermissions", [])
    for p in perms:
        if field == "protocol":
            yield p["IpProtocol"]
        elif field == "from-port":
            yield p.get("FromPort")
        elif field == "to-port":
            yield p.get("ToPort")
        elif field == "cidr":
            for r in p.get("IpRanges", []):
                yield r["CidrIp"]
        elif field == "ipv6-cidr":
            for r in p.get("Ipv6Ranges", []):
                yield r["CidrIpv6"]
        elif field == "prefix-list-id":
            for r in p.get("PrefixListIds", []):
                yield r["PrefixListId"]
        elif field == "group-id":
            for r in p.get("UserIdGroupPairs", []):
                yield r.get("GroupId")
        elif field == "group-name":
            for r in p.get("UserIdGroupPairs", []):
                yield r.get("GroupName")
        elif field == "user-id":
            for r in p.get("UserIdGroupPairs", []):
                yield r.get("UserId")


PERM_FIELDS = {"cidr", "from-port", "group-id", "group-name", "ipv6-cidr", "prefix-list-id",
               "protocol", "to-port", "user-id"}


def group_filter(name, vals):
    if name in ("group-id", "group-name", "vpc-id", "owner-id", "description"):
        key = {"group-id": "GroupId", "group-name": "GroupName", "vpc-id": "VpcId",
               "owner-id": "OwnerId", "description": "Description"}[name]
        return lambda g: fmatch(g.get(key), vals)
    if name == "tag-key":
        return lambda g: any(fmatch(t["Key"], vals) for t in g.get("Tags", []))
    if name.startswith("tag:"):
        k = name[4:]
        return lambda g: any(t["Key"] == k and fmatch(t["Value"], vals) for t in g.get("Tags", []))
    for pre, egress in (("ip-permission.", False), ("egress.ip-permission.", True)):
        if name.startswith(pre) and name[len(pre):] in PERM_FIELDS:
            field = name[len(pre):]
            return lambda g: any(fmatch(v, vals) for v in _perm_values(g, egress, field))
    raise ApiError("InvalidParameterValue", "The filter '%s' is invalid" % name)


# ---------------------------------------------------------------------------
# The request handler

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY each
    # reused connection waits ~40 ms on a delayed ACK (caps a region at ~22 calls/s).
    disable_nagle_algorithm = True
    server_version = "AmazonEC2"
    sys_version = ""
    world = None  # set in main

    def log_message(self, fmt, *args):  # quiet unless asked
        if self.server.verbose:
            sys.stderr.write("sgendpoint: " + (fmt % args) + "\n")

    # -- plumbing ---------------------------------------------------------
    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _read_body(self):
        n = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(100)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline(100)
                    break
                total += size
                if total > MAX_BODY:
                    raise ApiError("RequestEntityTooLarge", "request body too large", 413)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(100)
            return b"".join(chunks)
        if n is None:
            return b""
        n = int(n)
        if n < 0 or n > MAX_BODY:
            raise ApiError("RequestEntityTooLarge", "request body too large", 413)
        return self.rfile.read(n)

    def _dispatch(self):
        # One handler instance serves every request of a keep-alive connection:
        # reset all per-request state here.
        self.t0 = time.monotonic()
        self.rid = str(uuid.uuid4())
        self.skew = 0
        self.trickle = None
        self.fault_mode = None
        self.modes = set()
        self.log_entry = {"t": round(time.time(), 3), "method": self.command,
                          "path": self.path.split("?")[0], "service": None, "action": None,
                          "region": None, "status": None, "fault": None}
        try:
            self.body = self._read_body()
        except (ValueError, ApiError):
            self.close_connection = True  # the rest of the body is still unread
            self._send_raw(413, "text/plain", b"request body too large\n")
            return
        u = urllib.parse.urlsplit(self.path)
        self.raw_path, self.raw_query = u.path, u.query
        try:
            if u.path.startswith("/__sg/"):
                self._control(u)
                return
            if u.path.startswith("/latest/"):
                self._imds(u)
                return
            if u.path.startswith("/container/"):
                self._container(u)
                return
            self._aws()
        except BrokenPipeError:
            self.close_connection = True
        except ConnectionResetError:
            self.close_connection = True

    def _date_header(self):
        modes = getattr(self, "modes", ())
        extra = sum(int(m.split(":", 1)[1]) for m in modes if m.startswith("skew-date:"))
        return email.utils.formatdate(time.time() + getattr(self, "skew", 0) + extra,
                                      usegmt=True)

    def date_time_string(self, timestamp=None):
        # send_response() writes the one Date header, so it carries the
        # (possibly skewed) server clock; a second Date line is not what AWS
        # sends, and a client reading the first one would never see the skew.
        if timestamp is None:
            return self._date_header()
        return super().date_time_string(timestamp)

    def _send_raw(self, status, ctype, body, extra=None):
        """Send a response, honouring delivery faults (truncate/trickle)."""
        self.log_entry["status"] = status
        self.log_entry["ms"] = round((time.monotonic() - self.t0) * 1000, 1)
        if not self.log_entry["path"].startswith("/__sg/"):
            self.world.record(self.log_entry)
        if self.fault_mode == "malformed":
            self.fault_mode = None
            if "json" in ctype:
                body = body[: len(body) // 2] + b'",{]'
            elif "xml" in ctype:
                body = body[: len(body) * 2 // 3] + b"<</item>&bogus;</securityGroupInfo"
            else:
                body = body[: len(body) // 2] + b"\x00\xff"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", self.rid)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if self.fault_mode == "truncate":
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: max(1, len(body) // 2)])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.end_headers()
        if self.trickle is not None:
            step = max(1, self.trickle.nbytes)
            pause = (self.trickle.ms or 100) / 1000.0
            for i in range(0, len(body), step):
                self.wfile.write(body[i:i + step])
                self.wfile.flush()
                time.sleep(pause)
            return
        self.wfile.write(body)

    def _reset(self):
        self.log_entry["status"] = 0
        self.world.record(self.log_entry)
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    # -- control API ------------------------------------------------------
    def _json(self, status, obj):
        body = (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode()
        self._send_raw(status, "application/json", body)

    def _control(self, u):
        w = self.world
        what = u.path[len("/__sg/"):]
        q = urllib.parse.parse_qs(u.query)
        if what == "health":
            return self._json(200, {"ok": True, "accounts": [a.id for a in w.accounts]})
        if what == "faults":
            if self.command in ("POST", "PUT"):
                try:
                    req = json.loads(self.body or b"{}")
                    if isinstance(req, list):
                        req = {"add": req}
                    new = [Fault(s) for s in req.get("add", [])]
                except (ValueError, TypeError, AttributeError) as e:
                    return self._json(400, {"error": str(e)})
                with w.lock:
                    if req.get("clear"):
                        w.faults.clear()
                    w.faults.extend(new)
            elif self.command == "DELETE":
                with w.lock:
                    w.faults.clear()
            with w.lock:
                return self._json(200, {"faults": [f.describe() for f in w.faults]})
        if what == "log":
            if self.command == "DELETE":
                with w.lock:
                    w.log.clear()
                return self._json(200, {"requests": []})
            since = int(q.get("since", ["0"])[0])
            with w.lock:
                items = [e for e in w.log if e["seq"] > since]
            return self._json(200, {"requests": items})
        if what == "shutdown" and self.command == "POST":
            self._json(200, {"ok": True})
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return
        return self._json(404, {"error": "unknown control path"})

    # -- fault application shared by every service -------------------------
    def _apply_faults(self, service, region, action):
        delay, skew, terminal, modes, trickle = self.world.pick_faults(service, region, action)
        self.skew = skew
        self.modes = modes
        self.trickle = trickle
        names = sorted(m.split(":")[0] for m in modes) + (["trickle"] if trickle else []) + \
            (["skew"] if skew else [])
        if terminal is not None:
            names.append(terminal.kind)
        if delay > self.world.latency_ms / 1000.0:
            names.append("latency")
        self.log_entry["fault"] = ",".join(names) or None
        if delay > 0:
            time.sleep(delay)
        return terminal

    def _terminal(self, f, service, action):
        """Act on a terminal fault.  Returns an ApiError to send, or None if
        the connection was dealt with here."""
        k = f.kind
        if k == "reset":
            self._reset()
            return None
        if k == "hang":
            time.sleep((f.ms or 30000) / 1000.0)
            self._reset()
            return None
        if k in ("truncate", "malformed"):
            self.fault_mode = k
            return "deliver"
        if k == "error":
            return ApiError(f.code or "InternalError", f.message or "injected error",
                            f.status or 500)
        if k == "ratelimit":
            return err_for("throttle", service)
        return err_for(k, service, self.cred.arn if getattr(self, "cred", None) else None, action)

    # -- AWS services ------------------------------------------------------
    def _aws(self):
        w = self.world
        self.modes = set()
        self.cred = None
        headers = list(self.headers.items())
        authz = self.headers.get("Authorization")
        target = self.headers.get("X-Amz-Target")
        params = {}
        ctype = (self.headers.get("Content-Type") or "").lower()
        if self.command == "POST" and "x-www-form-urlencoded" in ctype:
            try:
                params = dict(urllib.parse.parse_qsl(self.body.decode("utf-8"),
                                                     keep_blank_values=True, strict_parsing=False))
            except UnicodeDecodeError:
                params = {}
        if self.raw_query:
            params.update(dict(urllib.parse.parse_qsl(self.raw_query, keep_blank_values=True)))
        auth = None
        try:
            auth = sigv4check.parse_authorization(authz) if authz else None
        except sigv4check.SigError as e:
            auth_err = str(e)
        else:
            auth_err = None
        if auth is not None:
            service, region = auth.service, auth.region
        elif target:
            service, region = "cloudtrail", "us-east-1"
        elif params.get("Action") in STS_ACTIONS:
            service, region = "sts", "us-east-1"
        else:
            service, region = "ec2", "us-east-1"
        if target and target.startswith(CT_TARGET_PREFIX):
            action = target[len(CT_TARGET_PREFIX):]
        elif target:
            action = target
        else:
            action = params.get("Action")
        self.service, self.region, self.action = service, region, action
        self.log_entry.update(service=service, region=region, action=action)
        if service == "ec2":
            self.log_entry["next_token"] = "NextToken" in params
            if "MaxResults" in params:
                self.log_entry["max_results"] = params["MaxResults"]

        terminal = self._apply_faults(service, region, action)
        try:
            # AssumeRoleWithWebIdentity is unsigned by design.
            if not (service == "sts" and action == "AssumeRoleWithWebIdentity" and auth is None):
                self._authenticate(auth, auth_err, service, region, headers)
            self.log_entry["access_key_id"] = self.cred.akid if self.cred else None
            if terminal is not None:
                r = self._terminal(terminal, service, action)
                if r is None:
                    return
                if isinstance(r, ApiError):
                    raise r
            if service == "ec2":
                self._ec2(params, region, action)
            elif service == "sts":
                self._sts(params, region, action)
            elif service == "cloudtrail":
                self._cloudtrail(region, action)
            else:
                raise ApiError("UnknownService", "service '%s' is not served here" % service, 400)
        except ApiError as e:
            self._send_error(service, e)

    def _send_error(self, service, e):
        self.log_entry["error"] = e.code
        if service == "cloudtrail":
            body = json.dumps({"__type": e.code, "message": e.message}).encode()
            self._send_raw(e.status, "application/x-amz-json-1.1", body)
        elif service == "sts":
            self._send_raw(e.status, "text/xml", sts_error_doc(e.code, e.message, self.rid,
                                                                e.status).encode())
        else:
            self._send_raw(e.status, "text/xml;charset=UTF-8",
                           ec2_error_doc(e.code, e.message, self.rid).encode())

    def _authenticate(self, auth, auth_err, service, region, headers):
        w = self.world
        if auth is None:
            if auth_err is None:
                if service == "ec2":
                    raise ApiError("AuthFailure", "AWS was not able to validate the provided "
                                   "access credentials", 401)
                if service == "sts":
                    raise ApiError("MissingAuthenticationToken",
                                   "Request is missing Authentication Token", 403)
                raise ApiError("MissingAuthenticationTokenException",
                               "Missing Authentication Token", 400)
            code = {"ec2": "AuthFailure", "sts": "IncompleteSignature"}.get(
                service, "IncompleteSignatureException")
            raise ApiError(code, auth_err, 401 if service == "ec2" else 400)
        cred = w.creds.get(auth.access_key)
        if cred is None:
            raise err_for("authfailure", service)
        # Time: X-Amz-Date (or Date) must be signed and close to our clock.
        amz_date = self.headers.get("X-Amz-Date")
        if amz_date is None or "x-amz-date" not in auth.signed:
            if "date" in auth.signed and self.headers.get("Date"):
                try:
                    amz_date = time.strftime("%Y%m%dT%H%M%SZ", email.utils.parsedate_to_datetime(
                        self.headers["Date"]).utctimetuple())
                except (TypeError, ValueError):
                    amz_date = None
            if amz_date is None:
                raise self._sigmismatch(service, "X-Amz-Date must be signed")
        if "host" not in auth.signed:
            raise self._sigmismatch(service, "'Host' must be a signed header")
        try:
            req_t = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise self._sigmismatch(service, "X-Amz-Date is not YYYYMMDDTHHMMSSZ")
        if amz_date[:8] != auth.date:
            raise self._sigmismatch(service, "Date in Credential scope does not match "
                                    "YYYYMMDD from ISO-8601 version of date from HTTP")
        server_t = time.time() + self.skew
        limit = 900 if service == "ec2" else 300
        if abs(server_t - req_t) > limit:
            ts = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(server_t))
            if service == "ec2":
                raise ApiError("RequestExpired", "Request has expired.", 400)
            msg = ("Signature expired: %s is now earlier than %s (%s - 5 min.)"
                   % (amz_date, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(server_t - 300)), ts)
                   if req_t < server_t else
                   "Signature not yet current: %s is still later than %s (%s + 5 min.)"
                   % (amz_date, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(server_t + 300)), ts))
            raise ApiError("SignatureDoesNotMatch" if service == "sts"
                           else "InvalidSignatureException", msg, 403 if service == "sts" else 400)
        body_hash = self.headers.get("X-Amz-Content-Sha256")
        if body_hash and body_hash != "UNSIGNED-PAYLOAD" and \
                body_hash != hashlib.sha256(self.body).hexdigest():
            raise self._sigmismatch(service, "The provided 'x-amz-content-sha256' header does "
                                    "not match what was computed.")
        try:
            ok, _, _ = sigv4check.verify(cred.secret, auth, amz_date, self.command,
                                         self.raw_path, self.raw_query, headers, self.body)
        except sigv4check.SigError as e:
            raise self._sigmismatch(service, str(e))
        if not ok:
            raise self._sigmismatch(service, None)
        # Session credentials: the token must come along and be current.
        if cred.token is not None:
            tok = self.headers.get("X-Amz-Security-Token")
            if tok != cred.token:
                raise err_for("authfailure", service)
            if time.time() + self.skew > cred.expires:
                raise err_for("expired", service)
        self.cred = cred

    def _sigmismatch(self, service, detail):
        if service == "ec2":
            # EC2 does not say why: a bad signature is just AuthFailure.
            return err_for("authfailure", "ec2")
        msg = detail or ("The request signature we calculated does not match the signature you "
                         "provided. Check your AWS Secret Access Key and signing method. Consult "
                         "the service documentation for details.")
        if service == "sts":
            return ApiError("SignatureDoesNotMatch", msg, 403)
        return ApiError("InvalidSignatureException", msg, 400)

    # -- EC2 -----------------------------------------------------------------
    def _ec2(self, params, region, action):
        acct = self.cred.account
        if region not in acct.regions or not acct.enabled(region):
            raise err_for("authfailure", "ec2")
        if params.get("Version") != "2016-11-15" and action is not None:
            if "Version" not in params:
                raise ApiError("MissingParameter",
                               "The request must contain the parameter Version", 400)
        if params.get("DryRun") == "true":
            raise ApiError("DryRunOperation",
                           "Request would have succeeded, but DryRun flag is set.", 412)
        fn = {
            "DescribeRegions": self._describe_regions,
            "DescribeSecurityGroups": self._describe_security_groups,
            "GetManagedPrefixListEntries": self._get_pl_entries,
            "DescribeManagedPrefixLists": self._describe_pls,
            "DescribeNetworkInterfaces": self._describe_enis,
            "DescribeVpcs": self._describe_vpcs,
        }.get(action)
        if fn is None:
            if action is None:
                raise ApiError("MissingAction", "The request must contain the parameter Action",
                               400)
            raise ApiError("InvalidAction", "The action %s is not valid for this web service."
                           % action, 400)
        inner = fn(params, acct, acct.regions[region], region)
        self._send_ec2(action, inner)

    def _send_ec2(self, action, inner):
        doc = ec2_doc(action, inner, self.rid).encode("utf-8")
        self._send_raw(200, "text/xml;charset=UTF-8", doc)

    def _page(self, items, params, render, list_tag, lo=5, hi=1000, fingerprint_extra=""):
        """Generic EC2 paging over `items` (already filtered)."""
        fp_src = "&".join("%s=%s" % kv for kv in sorted(params.items())
                          if kv[0] not in ("NextToken", "MaxResults"))
        fp = hashlib.sha256((fp_src + fingerprint_extra).encode()).hexdigest()[:16]
        start = 0
        if "NextToken" in params:
            start = self.world.read_token(params["NextToken"], fp)
            if start is None:
                raise ApiError("InvalidPaginationToken",
                               "The pagination token provided is invalid or has expired.", 400)
        if "MaxResults" in params:
            try:
                mr = int(params["MaxResults"])
            except ValueError:
                raise ApiError("InvalidParameterValue", "Invalid value '%s' for MaxResults"
                               % params["MaxResults"], 400)
            if mr < lo or mr > hi:
                raise ApiError("InvalidParameterValue",
                               "Value ( %d ) for parameter MaxResults is invalid. Expecting a "
                               "value %s." % (mr, "greater than or equal to %d" % lo
                                              if mr < lo else "less than or equal to %d" % hi), 400)
            size = min(mr, self.world.page_size) if self.world.page_size else mr
        elif "NextToken" in params and self.world.page_size:
            size = self.world.page_size
        else:
            size = len(items) + 1
        page = items[start:start + size]
        nxt = None
        if start + size < len(items):
            nxt = self.world.make_token(start + size, fp)
        elif "endless-token" in self.modes:
            nxt = self.world.make_token(min(start + size, len(items)), fp)
        self.log_entry["items"] = len(page)
        inner = _list_xml(list_tag, []) if not page else \
            "<%s>%s</%s>" % (list_tag, "".join(render(x) for x in page), list_tag)
        if nxt:
            inner += _el("nextToken", nxt)
        return inner

    def _describe_regions(self, params, acct, reg, region):
        all_regions = params.get("AllRegions") == "true"
        names = indexed(params, "RegionName")
        flt = filters(params)
        out = []
        for n in names:
            if n not in acct.regions:
                raise ApiError("InvalidParameterValue", "Invalid region: %s" % n, 400)
        for name in acct.region_order:
            r = acct.regions[name]
            st = r["OptInStatus"]
            if names and name not in names:
                continue
            if not all_regions and not names and st == "not-opted-in":
                continue
            ep = "ec2.%s.amazonaws.com" % name
            ok = True
            for fname, vals in flt.items():
                v = {"opt-in-status": st, "region-name": name, "endpoint": ep}.get(fname)
                if v is None and fname not in ("opt-in-status", "region-name", "endpoint"):
                    raise ApiError("InvalidParameterValue", "The filter '%s' is invalid"
                                   % fname, 400)
                if not fmatch(v, vals):
                    ok = False
            if ok:
                out.append("<item>" + _el("regionName", name) + _el("regionEndpoint", ep)
                           + _el("optInStatus", st) + "</item>")
        return _list_xml("regionInfo", [x[6:-7] for x in out])

    def _describe_security_groups(self, params, acct, reg, region):
        ids = indexed(params, "GroupId")
        names = indexed(params, "GroupName")
        if ids and ("MaxResults" in params or "NextToken" in params):
            raise ApiError("InvalidParameterCombination",
                           "The parameter GroupIds cannot be used with the parameter MaxResults",
                           400)
        preds = [group_filter(n, v) for n, v in filters(params).items()]
        groups = reg["SecurityGroups"]
        if ids:
            known = {g["GroupId"] for g in groups}
            for i in ids:
                if i not in known:
                    raise ApiError("InvalidGroup.NotFound",
                                   "The security group '%s' does not exist" % i, 400)
        if names:
            default_vpc = next((v["VpcId"] for v in reg["Vpcs"] if v.get("IsDefault")), None)
            known = {g["GroupName"] for g in groups if g.get("VpcId") == default_vpc}
            for n in names:
                if n not in known:
                    raise ApiError("InvalidGroup.NotFound", "The security group '%s' does not "
                                   "exist in default VPC '%s'" % (n, default_vpc), 400)
            groups = [g for g in groups if g["GroupName"] in names
                      and g.get("VpcId") == default_vpc]
        if ids:
            groups = [g for g in groups if g["GroupId"] in ids]
        if preds:
            groups = [g for g in groups if all(p(g) for p in preds)]
        cache = reg["_group_xml"]

        def render(g):
            x = cache.get(g["GroupId"])
            if x is None:
                x = cache[g["GroupId"]] = group_xml(g, region, acct.partition)
            return x

        return self._page(groups, params, render, "securityGroupInfo")

    def _find_pl(self, reg, pid):
        for p in reg["ManagedPrefixLists"]:
            if p["PrefixListId"] == pid:
                return p
        return None

    def _get_pl_entries(self, params, acct, reg, region):
        pid = params.get("PrefixListId")
        if not pid:
            raise ApiError("MissingParameter",
                           "The request must contain the parameter PrefixListId", 400)
        pl = self._find_pl(reg, pid)
        if pl is None:
            raise ApiError("InvalidPrefixListID.NotFound",
                           "The prefix list ID '%s' does not exist" % pid, 400)
        return self._page(pl["Entries"], params,
                          lambda e: "<item>" + _el("cidr", e["Cidr"])
                          + _el("description", e.get("Description")) + "</item>",
                          "entrySet", lo=1, hi=100)

    def _describe_pls(self, params, acct, reg, region):
        ids = indexed(params, "PrefixListId")
        flt = filters(params)
        pls = [p for p in reg["ManagedPrefixLists"] if not ids or p["PrefixListId"] in ids]
        for fname, vals in flt.items():
            key = {"prefix-list-id": "PrefixListId", "prefix-list-name": "PrefixListName",
                   "owner-id": "OwnerId"}.get(fname)
            if key is None:
                raise ApiError("InvalidParameterValue", "The filter '%s' is invalid" % fname, 400)
            pls = [p for p in pls if fmatch(p.get(key, acct.id), vals)]

        def render(p):
            return ("<item>" + _el("prefixListId", p["PrefixListId"])
                    + _el("addressFamily", p.get("AddressFamily", "IPv4"))
                    + _el("state", "create-complete")
                    + _el("prefixListArn", "arn:%s:ec2:%s:%s:prefix-list/%s"
                          % (acct.partition, region, p.get("OwnerId", acct.id),
                             p["PrefixListId"]))
                    + _el("prefixListName", p["PrefixListName"])
                    + _el("maxEntries", p.get("MaxEntries", len(p["Entries"])))
                    + _el("version", 1) + tags_xml(p.get("Tags"))
                    + _el("ownerId", p.get("OwnerId", acct.id)) + "</item>")

        return self._page(pls, params, render, "prefixListSet")

    def _describe_enis(self, params, acct, reg, region):
        ids = indexed(params, "NetworkInterfaceId")
        enis = [e for e in reg["NetworkInterfaces"] if not ids or e["NetworkInterfaceId"] in ids]
        names = {g["GroupId"]: g["GroupName"] for g in reg["SecurityGroups"]}
        for fname, vals in filters(params).items():
            if fname == "group-id":
                enis = [e for e in enis if any(fmatch(g, vals) for g in e["Groups"])]
            elif fname in ("vpc-id", "subnet-id", "network-interface-id", "status"):
                key = {"vpc-id": "VpcId", "subnet-id": "SubnetId",
                       "network-interface-id": "NetworkInterfaceId", "status": "Status"}[fname]
                enis = [e for e in enis if fmatch(e.get(key), vals)]
            else:
                raise ApiError("InvalidParameterValue", "The filter '%s' is invalid" % fname, 400)

        def render(e):
            return ("<item>" + _el("networkInterfaceId", e["NetworkInterfaceId"])
                    + _el("subnetId", e.get("SubnetId")) + _el("vpcId", e.get("VpcId"))
                    + _el("availabilityZone", region + "a")
                    + _el("description", e.get("Description", ""))
                    + _el("ownerId", acct.id) + _el("requesterManaged", "false")
                    + _el("status", e.get("Status", "in-use"))
                    + _el("privateIpAddress", e.get("PrivateIpAddress"))
                    + _el("sourceDestCheck", "true") + _el("interfaceType", "interface")
                    + _list_xml("groupSet", [_el("groupId", g) + _el("groupName", names.get(g))
                                             for g in e["Groups"]])
                    + "</item>")

        return self._page(enis, params, render, "networkInterfaceSet")

    def _describe_vpcs(self, params, acct, reg, region):
        ids = indexed(params, "VpcId")
        vpcs = [v for v in reg["Vpcs"] if not ids or v["VpcId"] in ids]
        for fname, vals in filters(params).items():
            if fname == "vpc-id":
                vpcs = [v for v in vpcs if fmatch(v["VpcId"], vals)]
            elif fname == "is-default":
                vpcs = [v for v in vpcs if fmatch(str(v.get("IsDefault", False)).lower(), vals)]
            else:
                raise ApiError("InvalidParameterValue", "The filter '%s' is invalid" % fname, 400)

        def render(v):
            return ("<item>" + _el("vpcId", v["VpcId"]) + _el("ownerId", acct.id)
                    + _el("state", "available") + _el("cidrBlock", v["CidrBlock"])
                    + _el("instanceTenancy", "default")
                    + _el("isDefault", str(bool(v.get("IsDefault"))).lower())
                    + tags_xml(v.get("Tags")) + "</item>")

        return self._page(vpcs, params, render, "vpcSet")

    # -- STS -----------------------------------------------------------------
    def _sts(self, params, region, action):
        if params.get("Version") != "2011-06-15":
            raise ApiError("InvalidParameterValue" if "Version" in params else "MissingParameter",
                           "Version must be 2011-06-15", 400)
        if self.cred is not None:
            acct = self.cred.account
            if region in acct.regions and not acct.enabled(region):
                raise err_for("optin", "sts")
        if action == "GetCallerIdentity":
            c = self.cred
            inner = ("<Arn>%s</Arn><UserId>%s</UserId><Account>%s</Account>"
                     % (xesc(c.arn), xesc(c.userid), c.account.id))
        elif action in ("AssumeRole", "AssumeRoleWithWebIdentity"):
            inner = self._assume_role(params, action)
        else:
            raise ApiError("InvalidAction", "Could not find operation %s for version 2011-06-15"
                           % action, 400)
        doc = ('<%sResponse xmlns="%s">\n  <%sResult>%s</%sResult>\n  <ResponseMetadata>\n'
               "    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n</%sResponse>\n"
               % (action, STS_NS, action, inner, action, self.rid, action)).encode()
        self._send_raw(200, "text/xml", doc)

    def _assume_role(self, params, action):
        w = self.world
        arn = params.get("RoleArn", "")
        sess = params.get("RoleSessionName", "")
        if not arn or not sess:
            raise ApiError("ValidationError", "1 validation error detected: Value null at '%s' "
                           "failed to satisfy constraint: Member must not be null"
                           % ("roleArn" if not arn else "roleSessionName"), 400)
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", sess):
            raise ApiError("ValidationError", "1 validation error detected: Value '%s' at "
                           "'roleSessionName' failed to satisfy constraint: Member must satisfy "
                           "regular expression pattern: [\\w+=,.@-]*" % sess, 400)
        try:
            dur = int(params.get("DurationSeconds", "3600"))
        except ValueError:
            raise ApiError("ValidationError", "DurationSeconds must be a number", 400)
        if dur < 900 or dur > 43200:
            raise ApiError("ValidationError", "1 validation error detected: Value '%d' at "
                           "'durationSeconds' failed to satisfy constraint: Member must have "
                           "value %s" % (dur, "greater than or equal to 900" if dur < 900
                                         else "less than or equal to 43200"), 400)
        m = re.fullmatch(r"arn:[\w-]+:iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)", arn)
        target = w.by_id.get(m.group(1)) if m else None
        role = target.roles.get(arn) if target else None
        who = self.cred.arn if self.cred else "web-identity"
        if role is None:
            raise ApiError("AccessDenied", "User: %s is not authorized to perform: sts:%s on "
                           "resource: %s" % (who, action, arn), 403)
        if role.get("ExternalId") and params.get("ExternalId") != role["ExternalId"]:
            raise ApiError("AccessDenied", "User: %s is not authorized to perform: sts:%s on "
                           "resource: %s" % (who, action, arn), 403)
        if action == "AssumeRoleWithWebIdentity" and not params.get("WebIdentityToken"):
            raise ApiError("InvalidIdentityToken", "Couldn't retrieve verification key from "
                           "your identity provider", 400)
        role_id = "AROA" + hashlib.sha256(arn.encode()).hexdigest()[:17].upper()
        sarn = "arn:%s:sts::%s:assumed-role/%s/%s" % (target.partition, target.id,
                                                      m.group(2), sess)
        ttl = min(dur, w.cred_ttl) if w.cred_ttl < 3600 else dur
        c = w.issue_temp(target, sarn, role_id + ":" + sess, "assumed-role", ttl)
        extra = ""
        if action == "AssumeRoleWithWebIdentity":
            extra = ("<SubjectFromWebIdentityToken>sg-audit</SubjectFromWebIdentityToken>"
                     "<Audience>sts.amazonaws.com</Audience>"
                     "<Provider>oidc.example.invalid</Provider>")
        return ("%s<AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>%s:%s</AssumedRoleId>"
                "</AssumedRoleUser><Credentials><AccessKeyId>%s</AccessKeyId>"
                "<SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken>"
                "<Expiration>%s</Expiration></Credentials>"
                % (extra, xesc(sarn), role_id, xesc(sess), c.akid, xesc(c.secret),
                   xesc(c.token), now_iso(c.expires)))

    # -- CloudTrail ------------------------------------------------------------
    def _cloudtrail(self, region, action):
        acct = self.cred.account
        if region not in acct.regions or not acct.enabled(region):
            raise err_for("authfailure", "cloudtrail")
        if action != "LookupEvents":
            raise ApiError("UnknownOperationException", "Unknown operation %s" % action, 400)
        try:
            req = json.loads(self.body.decode("utf-8") or "{}")
            if not isinstance(req, dict):
                raise ValueError
        except ValueError:
            raise ApiError("SerializationException", "Start of structure or map found where "
                           "not expected", 400)
        attrs = req.get("LookupAttributes") or []
        if len(attrs) > 1:
            raise ApiError("InvalidLookupAttributesException",
                           "You cannot specify more than one lookup attribute.", 400)
        keymap = {"EventId": "EventId", "EventName": "EventName", "ReadOnly": "ReadOnly",
                  "Username": "Username", "EventSource": "EventSource",
                  "AccessKeyId": "AccessKeyId", "ResourceType": None, "ResourceName": None}
        pred = None
        if attrs:
            k, v = attrs[0].get("AttributeKey"), attrs[0].get("AttributeValue")
            if k not in keymap or v is None:
                raise ApiError("InvalidLookupAttributesException",
                               "Invalid attribute key: %s" % k, 400)
            if k == "ResourceType":
                pred = lambda e: any(r.get("ResourceType") == v for r in e.get("Resources", []))
            elif k == "ResourceName":
                pred = lambda e: any(r.get("ResourceName") == v for r in e.get("Resources", []))
            else:
                pred = lambda e: str(e.get(keymap[k])) == v

        def ts(x, dflt):
            if x is None:
                return dflt
            if isinstance(x, (int, float)):
                return float(x)
            try:
                return float(calendar.timegm(time.strptime(str(x)[:19], "%Y-%m-%dT%H:%M:%S")))
            except ValueError:
                raise ApiError("SerializationException", "bad timestamp", 400)

        start, end = ts(req.get("StartTime"), 0.0), ts(req.get("EndTime"), 1e12)
        if start > end:
            raise ApiError("InvalidTimeRangeException", "Start time must be before end time.", 400)
        mr = req.get("MaxResults", 50)
        if not isinstance(mr, int) or mr < 1 or mr > 50:
            raise ApiError("InvalidMaxResultsException",
                           "MaxResults must be between 1 and 50.", 400)
        if self.world.page_size:
            mr = min(mr, self.world.page_size)
        events = [e for e in acct.regions[region]["CloudTrailEvents"]
                  if start <= e["EventTime"] <= end and (pred is None or pred(e))]
        events.sort(key=lambda e: (-e["EventTime"], e["EventId"]))
        fp_req = {k: v for k, v in req.items() if k not in ("NextToken", "MaxResults")}
        fp = hashlib.sha256(json.dumps(fp_req, sort_keys=True).encode()).hexdigest()[:16]
        off = 0
        if req.get("NextToken"):
            off = self.world.read_token(req["NextToken"], fp)
            if off is None:
                raise ApiError("InvalidNextTokenException", "Invalid NextToken", 400)
        page = events[off:off + mr]
        out = {"Events": page}
        if off + mr < len(events) or "endless-token" in self.modes:
            out["NextToken"] = self.world.make_token(min(off + mr, len(events)), fp)
        self.log_entry["items"] = len(page)
        body = json.dumps(out, ensure_ascii=False).encode("utf-8")
        self._send_raw(200, "application/x-amz-json-1.1", body)

    # -- IMDSv2 --------------------------------------------------------------
    def _imds(self, u):
        w = self.world
        path = u.path
        action = {"/latest/api/token": "token"}.get(path)
        if action is None:
            action = "role" if path.rstrip("/") == "/latest/meta-data/iam/security-credentials" \
                else "creds" if path.startswith("/latest/meta-data/iam/security-credentials/") \
                else "metadata"
        self.log_entry.update(service="imds", action=action, region=None)
        terminal = self._apply_faults("imds", "", action)
        if terminal is not None:
            r = self._terminal(terminal, "imds", action)
            if r is None:
                return
            if isinstance(r, ApiError):
                return self._send_raw(r.status, "text/plain", (r.message + "\n").encode())
        if path == "/latest/api/token":
            if self.command != "PUT":
                return self._send_raw(405, "text/plain", b"")
            if self.headers.get("X-Forwarded-For"):
                return self._send_raw(403, "text/plain", b"")
            try:
                ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
            except ValueError:
                ttl = 0
            if ttl < 1 or ttl > 21600:
                return self._send_raw(400, "text/plain", b"")
            tok = base64.b64encode(secrets.token_bytes(42)).decode()
            with w.lock:
                w.imds_tokens[tok] = time.time() + ttl
            return self._send_raw(200, "text/plain", tok.encode(),
                                  {"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})
        if self.command != "GET":
            return self._send_raw(405, "text/plain", b"")
        tok = self.headers.get("X-aws-ec2-metadata-token")
        if tok is None:
            if not w.imds_v1:
                return self._send_raw(401, "text/plain", b"")
        else:
            with w.lock:
                exp = w.imds_tokens.get(tok)
            if exp is None or exp < time.time():
                return self._send_raw(401, "text/plain", b"")
        acct = w.accounts[0]
        prefix = "/latest/meta-data/iam/security-credentials"
        if path.rstrip("/") == prefix:
            return self._send_raw(200, "text/plain", w.imds_role.encode())
        if path.startswith(prefix + "/"):
            role = path[len(prefix) + 1:]
            if role != w.imds_role:
                return self._send_raw(404, "text/html", b"<html>404 - Not Found</html>")
            c = w.issue_temp(acct, "arn:%s:sts::%s:assumed-role/%s/i-0123456789abcdef0"
                             % (acct.partition, acct.id, role),
                             "AROAIMDSROLE0EXAMPLE:i-0123456789abcdef0", "imds")
            doc = {"Code": "Success", "LastUpdated": now_iso(time.time()), "Type": "AWS-HMAC",
                   "AccessKeyId": c.akid, "SecretAccessKey": c.secret, "Token": c.token,
                   "Expiration": now_iso(c.expires)}
            return self._send_raw(200, "text/plain", json.dumps(doc, indent=2).encode())
        region = next(n for n in acct.region_order if acct.enabled(n))
        if path == "/latest/meta-data/placement/region":
            return self._send_raw(200, "text/plain", region.encode())
        if path == "/latest/dynamic/instance-identity/document":
            doc = {"accountId": acct.id, "region": region, "instanceId": "i-0123456789abcdef0",
                   "availabilityZone": region + "a"}
            return self._send_raw(200, "application/json", json.dumps(doc, indent=2).encode())
        return self._send_raw(404, "text/html", b"<html>404 - Not Found</html>")

    # -- container credentials -------------------------------------------------
    def _container(self, u):
        w = self.world
        self.log_entry.update(service="container", action="creds", region=None)
        terminal = self._apply_faults("container", "", "creds")
        if terminal is not None:
            r = self._terminal(terminal, "container", "creds")
            if r is None:
                return
            if isinstance(r, ApiError):
                return self._json(r.status, {"code": r.code, "message": r.message})
        if u.path != "/container/creds" or self.command != "GET":
            return self._json(404, {"code": "NotFound", "message": "not found"})
        if self.headers.get("Authorization") != w.container_token:
            return self._json(401, {"code": "AccessDeniedException",
                                    "message": "invalid or missing authorization token"})
        acct = w.accounts[0]
        role = "arn:%s:iam::%s:role/sg-audit-task-role" % (acct.partition, acct.id)
        c = w.issue_temp(acct, "arn:%s:sts::%s:assumed-role/sg-audit-task-role/task"
                         % (acct.partition, acct.id), "AROACONTAINER0EXAMPLE:task", "container")
        return self._json(200, {"RoleArn": role, "AccessKeyId": c.akid,
                                "SecretAccessKey": c.secret, "Token": c.token,
                                "Expiration": now_iso(c.expires)})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 64
    verbose = False


def _watch(server, deadline, parent):
    """Stop on lifetime expiry or when the parent process is gone."""
    while True:
        time.sleep(0.2)
        if time.monotonic() >= deadline:
            break
        if parent:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
    server.shutdown()


def main(argv=None):
    ap = argparse.ArgumentParser(description="sg-audit test endpoint (see docs/endpoints.md)")
    ap.add_argument("--account", action="append", required=True,
                    help="fixture account JSON; repeat for more (the first one is the caller's)")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port (default)")
    ap.add_argument("--lifetime", type=float, default=300, help="seconds before exiting")
    ap.add_argument("--page-size", type=int, default=0,
                    help="cap items per page for paged calls (MaxResults still applies)")
    ap.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    ap.add_argument("--fault", action="extend", nargs="+", metavar="SPEC",
                    help="fault SPEC(s) (see docs/endpoints.md); repeatable")
    ap.add_argument("--parent-pid", type=int, default=0, help="exit when this pid is gone")
    ap.add_argument("--events-relative", action="store_true",
                    help="shift CloudTrail events so the newest is one hour old")
    ap.add_argument("--cred-ttl", type=int, default=3600,
                    help="lifetime of temporary credentials in seconds")
    ap.add_argument("--imds-v1", action="store_true", help="allow IMDS calls without a token")
    ap.add_argument("--imds-role", default="sg-audit-instance-role")
    ap.add_argument("--access-key-id", help="fixed key id instead of a random one")
    ap.add_argument("--secret-access-key", help="fixed secret instead of a random one")
    ap.add_argument("--container-token", help="fixed container authorization token")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = ap.parse_args(argv)
    try:
        world = World(args)
    except (OSError, ValueError, KeyError) as e:
        sys.stderr.write("sgendpoint: %s\n" % e)
        return 2
    Handler.world = world
    server = Server(("127.0.0.1", args.port), Handler)
    server.verbose = args.verbose
    port = server.server_address[1]
    base = "http://127.0.0.1:%d" % port
    lines = [
        "SG_ENDPOINT=" + base,
        "AWS_ACCESS_KEY_ID=" + world.user.akid,
        "AWS_SECRET_ACCESS_KEY=" + world.user.secret,
        "SG_ACCOUNT_ID=" + world.accounts[0].id,
        "SG_CONTAINER_TOKEN=" + world.container_token,
        "SG_CONTAINER_URI=%s/container/creds" % base,
        "SG_PID=%d" % os.getpid(),
        "SG_READY=1",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, stop)
    threading.Thread(target=_watch, args=(server, time.monotonic() + args.lifetime,
                                          args.parent_pid), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
