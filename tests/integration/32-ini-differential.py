#!/usr/bin/env python3
"""The config/credentials parser (src/ini.c) against Python's RawConfigParser,
which is what botocore reads ~/.aws/config and ~/.aws/credentials with.
Several hundred seeded random files built from the tricky parts of the format
(continuations, blank lines inside values, comments, ':' and '=', headers
with brackets, [DEFAULT], CR/LF/CRLF, duplicates, stray lines) plus
hand-written ones are parsed by both; they must agree on accept/reject and,
when accepted, on every section, key and value. A small probe program is
compiled against build/libsgaudit.a for this. Known, deliberate deviations
(docs/credentials.md) are not generated: "[x = y" lines (Python reads a key
"[x"), NUL bytes, non-ASCII whitespace and case folding."""
import configparser
import json
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.environ.get("SG_ROOT", ".")
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks  # noqa: E402

c = Checks("32-ini-differential")

PROBE = r'''
#include <stdio.h>
#include <string.h>
#include "sg_ini.h"

static void
jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

int
main(int argc, char **argv)
{
	int a;
	for (a = 1; a < argc; a++) {
		struct sg_ini *ini = NULL;
		struct sg_error err;
		size_t i, j;
		sg_err_init(&err);
		if (sg_ini_load(&ini, argv[a], "f", &err) != SG_OK) {
			printf("{\"ok\":false,\"msg\":");
			jstr(err.msg);
			printf("}\n");
			continue;
		}
		printf("{\"ok\":true,\"sections\":[");
		for (i = 0; i < sg_ini_section_count(ini); i++) {
			printf("%s[", i ? "," : "");
			jstr(sg_ini_section_name(ini, i));
			printf(",[");
			for (j = 0; j < sg_ini_key_count(ini, i); j++) {
				const char *v = NULL, *k = sg_ini_key_at(ini, i, j, &v);
				printf("%s[", j ? "," : "");
				jstr(k);
				putchar(',');
				jstr(v);
				putchar(']');
			}
			printf("]]");
		}
		printf("]}\n");
		sg_ini_free(ini);
	}
	return 0;
}
'''

HEADERS = ["[default]", "[profile a]", "[profile b]", "  [s1]", "[a]b]", "[DEFAULT]",
           "[x] trailing", "[ spaced ]", "[]", "[unterminated", "[sso-session corp]"]
KEYS = ["region", "Region", "aws_access_key_id", "k", "role_arn", "s3", "key with space"]
VALUES = ["us-east-1", "", "a = b", "v # not a comment", "x: y", "arn:aws:iam::1:role/R",
          "wJalrXUtnFEMI/K7MDENG+bPxRfiCY", "  padded  ", "\u00e9t\u00e9"]
CONT = ["  addressing_style = path", "\tdeep", "    [looks-like-header]", "  more text",
        "        x: y", "  # indented comment"]
OTHER = ["", "   ", "# comment", "; comment", "  ; indented"]
BAD = ["stray line without delimiter", " = no key", ": no key"]


def random_doc(rng):
    lines = []
    if rng.random() < 0.9:
        lines.append(rng.choice(HEADERS[:7]))
    for _ in range(rng.randint(1, 14)):
        r = rng.random()
        if r < 0.10:
            # Mostly fresh section names, so repeats stay a minority.
            lines.append(rng.choice(HEADERS[:8]) if rng.random() < 0.3
                         else "[s%d]" % rng.randint(0, 10 ** 6))
        elif r < 0.55:
            sep = rng.choice([" = ", "=", ": ", " :", "\t=\t"])
            key = rng.choice(KEYS) if rng.random() < 0.25 else "k%d" % rng.randint(0, 10 ** 6)
            lines.append(" " * rng.choice([0, 0, 0, 1, 2]) + key + sep + rng.choice(VALUES))
        elif r < 0.78:
            lines.append(rng.choice(CONT))
        elif r < 0.98:
            lines.append(rng.choice(OTHER))
        elif r < 0.99:
            lines.append(rng.choice(BAD))
        else:
            lines.append(rng.choice(HEADERS[-3:]))
    eol = rng.choice(["\n", "\n", "\r\n", "\r", None])
    out = ""
    for ln in lines:
        out += ln + (eol if eol else rng.choice(["\n", "\r\n", "\r"]))
    if rng.random() < 0.2:
        out = out.rstrip("\r\n")  # no final newline
    return out


def python_view(path):
    cp = configparser.RawConfigParser()
    try:
        cp.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    view = {name: dict(sect) for name, sect in cp._sections.items()}
    if cp._defaults:
        view["DEFAULT"] = dict(cp._defaults)
    return view


def probe_view(doc):
    if not doc["ok"]:
        return None
    view = {}
    for name, keys in doc["sections"]:
        if name == "DEFAULT" and not keys:
            continue
        view[name] = dict(keys)
    return view


HAND = [
    "[default]\nregion = us-east-1\n",
    "[a]\nk = v\n\n\n   cont\n# c\n  more\nx=1\n",
    "[b]\nk = v\n  [c]\n",
    "[DEFAULT]\nregion = r\n[p]\nk = v\n[DEFAULT]\nx = 1\n",
    "[DEFAULT]\na = 1\n[DEFAULT]\nA = 2\n",
    "[a]\r\nk = v\r\n  cont\r\n\r\n",
    "[a]\rk = v\r  cont\r",
    "[profile nested]\nregion = ap-southeast-2\ns3 =\n    addressing_style = path\n",
    "region = x\n[default]\n",
    "[a]\nk = 1\nK = 2\n",
    "[a]\n[b]\n[a]\n",
    "[a]\nline without delimiter\n",
    "[a]\n  indented = yes\n  also = this\n",
    "[a]\nk=\n\n  x\n\n",
    "\n\n# only comments\n; here\n",
    "",
    "[a]b]\nk = 1\n[c] trailing\nk = 2\n",
    "[a]\nk = v\n\t\n\tcont after a tab-only line\n",
]

with tempfile.TemporaryDirectory() as d:
    exe = os.path.join(d, "iniprobe")
    src = os.path.join(d, "iniprobe.c")
    lib = os.path.join(ROOT, "build", "libsgaudit.a")
    with open(src, "w") as f:
        f.write(PROBE)
    libs = subprocess.run(["pkg-config", "--libs", "libcrypto", "libcjson"], capture_output=True,
                          text=True).stdout.split()
    cc = subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-O1", "-I",
                         os.path.join(ROOT, "include"), "-o", exe, src, lib] + libs + ["-lpthread"],
                        capture_output=True, text=True)
    if not c.check("probe compiles against build/libsgaudit.a", cc.returncode == 0,
                   cc.stderr[-800:]):
        sys.exit(c.finish())

    rng = random.Random(int(os.environ.get("SG_INI_SEED", "20261124")))
    docs = [("hand %d" % i, h) for i, h in enumerate(HAND)]
    docs += [("random %d" % i, random_doc(rng)) for i in range(600)]
    paths = []
    for i, (_, text) in enumerate(docs):
        p = os.path.join(d, "f%04d.ini" % i)
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        paths.append(p)
    out = subprocess.run([exe] + paths, capture_output=True, text=True, timeout=120)
    results = [json.loads(ln) for ln in out.stdout.splitlines()]
    c.check("probe answered for every file", len(results) == len(paths),
            "%d of %d" % (len(results), len(paths)))

    mismatches = []
    accepted = rejected = 0
    for (label, text), path, res in zip(docs, paths, results):
        py, me = python_view(path), probe_view(res)
        if py is None and me is None:
            rejected += 1
        elif py == me:
            accepted += 1
        else:
            mismatches.append((label, text, py, me, res.get("msg")))
        if label.startswith("hand"):
            c.check("%s agrees with RawConfigParser (%s)" % (label, "rejected" if py is None
                                                            else "accepted"),
                    py == me, "%r: python=%r ours=%r %s" % (text, py, me, res.get("msg", "")))
    for label, text, py, me, msg in mismatches[:5]:
        print("  mismatch %s: %r\n    python=%r\n    ours=%r %s" % (label, text, py, me, msg or ""))
    c.check("%d files: all agree with RawConfigParser (%d accepted, %d rejected by both)"
            % (len(docs), accepted, rejected), not mismatches,
            "%d mismatches" % len(mismatches))
    c.check("the random files exercise both outcomes", accepted > 50 and rejected > 50,
            "accepted=%d rejected=%d" % (accepted, rejected))

sys.exit(c.finish())
