"""Server-side AWS Signature Version 4 verification, written from the spec.

Independent of botocore's signer and of the project's C sigv4/ library on
purpose: the endpoint must catch a signing bug in either, so it cannot share
their code.  Only hmac/hashlib/urllib from the standard library.

    auth = parse_authorization(header_value)        # or raise SigError
    creq = canonical_request(method, raw_path, raw_query, headers, auth.signed, body)
    sts  = string_to_sign(amz_date, auth.scope, creq)
    ok   = hmac.compare_digest(signature(secret, auth.date, auth.region,
                                         auth.service, sts), auth.signature)

`headers` is a list of (name, value) pairs as received (names in any case,
repeated names allowed).
"""
import hashlib
import hmac
import re
import urllib.parse

ALGORITHM = "AWS4-HMAC-SHA256"
_UNRESERVED = "-_.~"


class SigError(Exception):
    """The Authorization header is unusable (missing part, bad format)."""


class Auth:
    __slots__ = ("access_key", "date", "region", "service", "terminator",
                 "signed", "signature", "scope")


_AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+(.*)$", re.S)


def parse_authorization(value):
    """Split `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`."""
    if value is None:
        raise SigError("missing Authorization header")
    m = _AUTH_RE.match(value.strip())
    if not m:
        raise SigError("unsupported authorization algorithm")
    parts = {}
    for piece in m.group(1).split(","):
        k, sep, v = piece.strip().partition("=")
        if not sep:
            raise SigError("malformed Authorization component")
        parts[k.strip()] = v.strip()
    for k in ("Credential", "SignedHeaders", "Signature"):
        if k not in parts:
            raise SigError("Authorization header is missing " + k)
    cred = parts["Credential"].split("/")
    if len(cred) != 5:
        raise SigError("Credential should be scoped to a valid region, service and date")
    a = Auth()
    a.access_key, a.date, a.region, a.service, a.terminator = cred
    if a.terminator != "aws4_request":
        raise SigError("Credential should be scoped with a valid terminator: 'aws4_request'")
    if not re.fullmatch(r"\d{8}", a.date):
        raise SigError("Credential date is not YYYYMMDD")
    a.signed = parts["SignedHeaders"].split(";")
    if a.signed != sorted(a.signed) or any(h != h.lower() or not h for h in a.signed):
        raise SigError("SignedHeaders must be lower-case and sorted")
    if not re.fullmatch(r"[0-9a-f]{64}", parts["Signature"]):
        raise SigError("Signature is not 64 lower-case hex digits")
    a.signature = parts["Signature"]
    a.scope = "/".join(cred[1:])
    return a


def _enc(s):
    return urllib.parse.quote(s, safe=_UNRESERVED)


def canonical_uri(raw_path):
    """Non-S3 services: normalise, then encode the (already encoded) path again."""
    path = raw_path or "/"
    segs = []
    for seg in path.split("/"):
        if seg == "..":
            if segs:
                segs.pop()
        elif seg not in (".", ""):
            segs.append(seg)
    norm = "/" + "/".join(segs)
    if path.endswith("/") and norm != "/":
        norm += "/"
    return urllib.parse.quote(norm, safe="/~")


def canonical_query(raw_query):
    pairs = []
    for part in (raw_query or "").split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        pairs.append((_enc(urllib.parse.unquote(k)), _enc(urllib.parse.unquote(v))))
    pairs.sort()
    return "&".join("%s=%s" % kv for kv in pairs)


def _trim(v):
    return " ".join(v.strip().split())


def canonical_headers(headers, signed):
    by_name = {}
    for name, value in headers:
        by_name.setdefault(name.lower(), []).append(_trim(value))
    lines = []
    for h in signed:
        if h not in by_name:
            raise SigError("signed header '%s' is not in the request" % h)
        lines.append("%s:%s\n" % (h, ",".join(by_name[h])))
    return "".join(lines)


def canonical_request(method, raw_path, raw_query, headers, signed, body):
    payload = hashlib.sha256(body).hexdigest()
    return "\n".join([
        method,
        canonical_uri(raw_path),
        canonical_query(raw_query),
        canonical_headers(headers, signed),
        ";".join(signed),
        payload,
    ])


def string_to_sign(amz_date, scope, creq):
    return "\n".join([ALGORITHM, amz_date, scope,
                      hashlib.sha256(creq.encode("utf-8")).hexdigest()])


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def signature(secret, date, region, service, sts):
    return hmac.new(signing_key(secret, date, region, service),
                    sts.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(secret, auth, amz_date, method, raw_path, raw_query, headers, body):
    """Return (ok, canonical_request, string_to_sign)."""
    creq = canonical_request(method, raw_path, raw_query, headers, auth.signed, body)
    sts = string_to_sign(amz_date, auth.scope, creq)
    sig = signature(secret, auth.date, auth.region, auth.service, sts)
    return hmac.compare_digest(sig, auth.signature), creq, sts


def sign(access_key, secret, region, service, amz_date, method, url, headers, body,
         session_token=None):
    """Minimal client-side signer (for the endpoint's own tests and for
    deliberately wrong signatures).  `headers` is a dict; returns a new dict
    with X-Amz-Date, Authorization (and the token) added."""
    u = urllib.parse.urlsplit(url)
    out = dict(headers)
    out["Host"] = u.netloc
    out["X-Amz-Date"] = amz_date
    if session_token:
        out["X-Amz-Security-Token"] = session_token
    signed = sorted(k.lower() for k in out)
    creq = canonical_request(method, u.path or "/", u.query, list(out.items()), signed, body)
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    sts = string_to_sign(amz_date, scope, creq)
    sig = signature(secret, amz_date[:8], region, service, sts)
    out["Authorization"] = "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ALGORITHM, access_key, scope, ";".join(signed), sig)
    return out
