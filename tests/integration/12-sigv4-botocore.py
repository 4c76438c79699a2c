#!/usr/bin/env python3
"""Differential test: sigv4/ against botocore's own SigV4Auth.

Builds sigv4/*.c into a throwaway shared library, loads it with ctypes, and
signs a few hundred seeded random requests both ways: paths with dot
segments, '//', spaces, UTF-8, '+', '*', '%XX'; queries with repeated keys,
empty values and bare keys; repeated headers with messy whitespace; random
bodies; session tokens; assorted regions, services and times.  The canonical
request, the signature, the Authorization header and the added headers must
match byte for byte.

Only inputs on which the two are specified to agree are generated: botocore
signs a URL's query as already encoded, so the generated queries are
encoded; headers that sigv4/ leaves unsigned beyond botocore's list
(Connection, TE, ...) are not used.
"""
import ctypes as C
import datetime
import os
import random
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import quote

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks  # noqa: E402

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

CASES = int(os.environ.get("SG_SIGV4_DIFF_CASES", "300"))
SEED = int(os.environ.get("SG_SIGV4_DIFF_SEED", "20150830"))


class Header(C.Structure):
    _fields_ = [("name", C.c_char_p), ("name_len", C.c_size_t),
                ("value", C.c_char_p), ("value_len", C.c_size_t)]


class Request(C.Structure):
    _fields_ = [("method", C.c_char_p), ("path", C.c_char_p), ("query", C.c_char_p),
                ("host", C.c_char_p), ("headers", C.POINTER(Header)),
                ("n_headers", C.c_size_t), ("body", C.c_char_p), ("body_len", C.c_size_t),
                ("payload_hash", C.c_char_p)]


class Options(C.Structure):
    _fields_ = [("region", C.c_char_p), ("service", C.c_char_p), ("time", C.c_int64),
                ("mode", C.c_int), ("normalize_path", C.c_bool),
                ("double_encode_path", C.c_bool), ("sign_body", C.c_bool),
                ("omit_session_token", C.c_bool), ("expires_s", C.c_uint32)]


class Result(C.Structure):
    _fields_ = [("headers", Header * 4), ("n_headers", C.c_size_t), ("query", C.c_char_p),
                ("canonical_request", C.c_char_p), ("string_to_sign", C.c_char_p),
                ("signed_headers", C.c_char_p), ("authorization", C.c_char_p),
                ("signature", C.c_char * 65), ("amz_date", C.c_char * 17),
                ("payload_hash", C.c_char * 128), ("security_token", C.c_char_p)]


def build_library(tmp):
    cc = os.environ.get("CC") or "cc"
    srcs = sorted(os.path.join(ROOT, "sigv4", f) for f in os.listdir(os.path.join(ROOT, "sigv4"))
                  if f.endswith(".c"))
    out = os.path.join(tmp, "libsigv4.so")
    subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-O1", "-shared", "-fPIC", "-o", out]
                   + srcs + ["-lcrypto", "-lpthread"], check=True)
    lib = C.CDLL(out)
    lib.sigv4_credentials_new.argtypes = [C.POINTER(C.c_void_p), C.c_char_p, C.c_char_p,
                                          C.c_char_p]
    lib.sigv4_credentials_free.argtypes = [C.c_void_p]
    lib.sigv4_options_init.argtypes = [C.POINTER(Options), C.c_char_p, C.c_char_p, C.c_int64]
    lib.sigv4_sign.argtypes = [C.POINTER(C.POINTER(Result)), C.c_void_p, C.POINTER(Request),
                               C.POINTER(Options), C.c_void_p]
    lib.sigv4_result_free.argtypes = [C.POINTER(Result)]
    lib.sigv4_strerror.restype = C.c_char_p
    lib.sigv4_strerror.argtypes = [C.c_int]
    lib.sigv4_signer_new.argtypes = [C.POINTER(C.c_void_p)]
    lib.sigv4_signer_free.argtypes = [C.c_void_p]
    return lib


SEGMENTS = ["a", "b", "example", "ex ample", "\u1234", "caf\u00e9", "%2F", "%20", "a+b", "*",
            "~x", "=", ".", "..", "", "x;y", "!$'()", "A%2520B", "-_.", "%zz", "@:,"]
RAW_PARAMS = ["a", "A", "b", "Param1", "x y", "\u00fc", "/", "=", "+", "*", "~", "k-._", "&"]
HEADER_NAMES = ["X-Test-One", "x-test-one", "X-Test-Two", "Content-Type", "X-Amz-Target",
                "My-Header", "User-Agent"]
REGIONS = ["us-east-1", "eu-west-1", "eu-south-2", "ap-southeast-4", "il-central-1"]
SERVICES = ["ec2", "sts", "cloudtrail", "iam", "execute-api"]


def rand_value(rng):
    words = ["v%d" % rng.randint(0, 9) for _ in range(rng.randint(0, 4))]
    out = " " * rng.randint(0, 2)
    for w in words:
        out += w + rng.choice([" ", "  ", "\t", " \t ", "   "])
    if rng.random() < 0.3:
        out += '"quoted   text"'
    return out


def rand_case(rng):
    segs = [rng.choice(SEGMENTS) for _ in range(rng.randint(0, 5))]
    path = "/" + "/".join(segs)
    if rng.random() < 0.3:
        path += "/"
    params = []
    for _ in range(rng.randint(0, 4)):
        k = quote(rng.choice(RAW_PARAMS), safe="-_.~")
        if rng.random() < 0.2:
            params.append(k)          # bare key
        else:
            v = quote(rng.choice(RAW_PARAMS + ["", "1", "value with spaces"]), safe="-_.~")
            params.append(k + "=" + v)
        if rng.random() < 0.3:
            params.append(params[-1].split("=")[0] + "=dup")
    headers = [(rng.choice(HEADER_NAMES), rand_value(rng)) for _ in range(rng.randint(0, 4))]
    body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 0, 5, 64])))
    token = None
    if rng.random() < 0.4:
        token = "".join(rng.choice("ABCDEFabcdef0123456789+/=") for _ in range(rng.randint(8, 80)))
    when = rng.randint(978307200, 2114380800)   # 2001 .. 2037
    return {
        "method": rng.choice(["GET", "POST", "PUT", "DELETE"]),
        "path": path, "query": "&".join(params), "headers": headers, "body": body,
        "token": token, "region": rng.choice(REGIONS), "service": rng.choice(SERVICES),
        "time": when,
    }


def botocore_sign(case, key_id, secret):
    creds = Credentials(key_id, secret, case["token"])
    auth = SigV4Auth(creds, case["service"], case["region"])
    url = "https://example.amazonaws.com" + case["path"]
    if case["query"]:
        url += "?" + case["query"]
    req = AWSRequest(method=case["method"], url=url, data=case["body"])
    for name, value in case["headers"]:
        req.headers[name] = value      # HTTPHeaders appends: repeats are kept in order
    # add_auth() step by step, with the clock fixed.
    ts = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc)
    req.context["timestamp"] = ts.strftime("%Y%m%dT%H%M%SZ")
    auth._modify_request_before_signing(req)
    creq = auth.canonical_request(req)
    sts = auth.string_to_sign(req, creq)
    sig = auth.signature(sts, req)
    auth._inject_signature_to_request(req, sig)
    added = {"x-amz-date": req.headers["X-Amz-Date"],
             "authorization": req.headers["Authorization"]}
    if case["token"]:
        added["x-amz-security-token"] = req.headers["X-Amz-Security-Token"]
    return creq, sig, added


def lib_sign(lib, signer, cred, case):
    enc = [(n.encode(), v.encode()) for n, v in case["headers"]]
    arr = (Header * max(1, len(enc)))()
    for i, (n, v) in enumerate(enc):
        arr[i] = Header(n, len(n), v, len(v))
    req = Request()
    req.method = case["method"].encode()
    req.path = case["path"].encode()
    req.query = case["query"].encode() if case["query"] else None
    req.host = b"example.amazonaws.com"
    req.headers = arr
    req.n_headers = len(enc)
    req.body = case["body"]
    req.body_len = len(case["body"])
    opt = Options()
    lib.sigv4_options_init(C.byref(opt), case["region"].encode(), case["service"].encode(),
                           case["time"])
    res = C.POINTER(Result)()
    st = lib.sigv4_sign(C.byref(res), signer, C.byref(req), C.byref(opt), cred)
    if st != 0:
        return None, lib.sigv4_strerror(st).decode()
    r = res.contents
    out = {
        "creq": r.canonical_request.decode("utf-8", "surrogateescape"),
        "sig": r.signature.decode(),
        "added": {r.headers[i].name.decode().lower(): r.headers[i].value.decode()
                  for i in range(r.n_headers)},
    }
    lib.sigv4_result_free(res)
    return out, None


def main():
    c = Checks("sigv4-botocore")
    tmp = tempfile.mkdtemp(prefix="sg-sigv4-diff-")
    try:
        lib = build_library(tmp)
        signer = C.c_void_p()
        assert lib.sigv4_signer_new(C.byref(signer)) == 0
        rng = random.Random(SEED)
        key_id, secret = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        for n in range(CASES):
            case = rand_case(rng)
            cred = C.c_void_p()
            st = lib.sigv4_credentials_new(C.byref(cred), key_id.encode(), secret.encode(),
                                           case["token"].encode() if case["token"] else None)
            if st != 0:
                c.check("case %d: credentials" % n, False, lib.sigv4_strerror(st).decode())
                continue
            want_creq, want_sig, want_added = botocore_sign(case, key_id, secret)
            got, err = lib_sign(lib, signer, cred, case)
            lib.sigv4_credentials_free(cred)
            label = "case %d: %s %r ?%r, %d headers, %d-byte body%s, %s/%s" % (
                n, case["method"], case["path"], case["query"], len(case["headers"]),
                len(case["body"]), ", token" if case["token"] else "", case["region"],
                case["service"])
            if got is None:
                c.check(label, False, "sigv4_sign: " + err)
                continue
            detail = ""
            if got["creq"] != want_creq:
                detail = "canonical request\n--- botocore ---\n%s\n--- sigv4 ---\n%s" % (
                    want_creq, got["creq"])
            elif got["sig"] != want_sig:
                detail = "signature %s != %s" % (got["sig"], want_sig)
            elif got["added"] != want_added:
                detail = "added headers %r != %r" % (got["added"], want_added)
            c.check(label, detail == "", detail)
        lib.sigv4_signer_free(signer)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
