#!/usr/bin/env python3
"""Validate the test vulnerability database and recompute expected findings.

Checks every *.json record for the OSV fields the course relies on, then matches
the Debian records against installed/<image>.txt (lines: binary version source
source-version) with `dpkg --compare-versions`, each image against its own
release's entries (Debian:12 or Debian:13, read from the image's base-files
version), and the npm records against the sample versions in NPM_SAMPLES
(exercise 08's dependencies, and what the npm bundled with Node.js 20 and with
Node.js 24 carries). Prints the findings per image and writes nothing. Exit
status 1 on any validation error.
"""
import glob, json, os, subprocess, sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
NPM_SAMPLES = [("minimist", "1.2.5"), ("lodash", "4.17.20"), ("uglify-js", "3.17.4"),
               # npm 10.8.2 (Node.js 20) bundles these; npm 11.17.0 (Node.js 24.19.0) the second ones.
               ("glob", "10.4.2"), ("tar", "6.2.1"), ("glob", "13.0.6"), ("tar", "7.5.16")]

def lt(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0

def label(r):
    return (r.get("database_specific") or {}).get("severity", "UNKNOWN").replace("MODERATE", "MEDIUM")

def affected(events, version, less):
    intro, fixed, last = None, None, None
    for e in events:
        intro = e.get("introduced", intro); fixed = e.get("fixed", fixed); last = e.get("last_affected", last)
    if intro not in (None, "0") and less(version, intro):
        return False
    if fixed is not None:
        return less(version, fixed)
    if last is not None:
        return not less(last, version)
    return True

def semver_lt(a, b):
    return tuple(int(x) for x in a.split(".")) < tuple(int(x) for x in b.split("."))

errors, records = [], []
for path in sorted(glob.glob(os.path.join(HERE, "*.json"))):
    r = json.load(open(path))
    name = os.path.basename(path)[:-5]
    for k in ("id", "modified", "aliases", "summary", "affected"):
        if k not in r: errors.append(f"{name}: missing {k}")
    notes = (r.get("database_specific") or {}).get("shipshape_notes", "")
    if "published" not in r and "no published date" not in notes:
        errors.append(f"{name}: missing published (and no shipshape_notes saying why)")
    if r.get("id") != name: errors.append(f"{name}: id {r.get('id')} != file name")
    for a in r.get("affected", []):
        if not a.get("ranges"): errors.append(f"{name}: affected entry without ranges")
    records.append(r)

def release(name, src):
    """The image's Debian release: base-files' major version, else the name's codename."""
    if "base-files" in src:
        return "Debian:" + src["base-files"].split(".")[0]
    return "Debian:13" if ("trixie" in name or "debian13" in name) else "Debian:12"

images, releases = {}, {}
for path in sorted(glob.glob(os.path.join(HERE, "installed", "*.txt"))):
    src = {}
    for line in open(path):
        b, v, s, sv = line.split()
        src[s] = sv
    img = os.path.basename(path)[:-4]
    images[img], releases[img] = src, release(img, src)

deb_sources = set()
for r in records:
    for a in r["affected"]:
        eco = a["package"]["ecosystem"]
        if eco.startswith("Debian:"):
            deb_sources.add((eco, a["package"]["name"]))
for eco, s in sorted(deb_sources):
    if not any(s in src for img, src in images.items() if releases[img] == eco):
        errors.append(f"{eco} source package {s} is installed in no {eco} stand-in")

for img, src in images.items():
    hits = []
    for r in records:
        for a in r["affected"]:
            p = a["package"]
            if p["ecosystem"] != releases[img] or p["name"] not in src: continue
            if any(affected(rg["events"], src[p["name"]], lt) for rg in a["ranges"]):
                hits.append((label(r), r["id"], p["name"], src[p["name"]]))
                break
    c = Counter(h[0] for h in hits)
    print(f"{img} ({releases[img]}): {len(hits)} findings " + ", ".join(f"{k}={c[k]}" for k in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN") if c[k]))
    for h in sorted(hits): print("   ", *h)

for pkg, ver in NPM_SAMPLES:
    hits = []
    for r in records:
        for a in r["affected"]:
            p = a["package"]
            if p["ecosystem"] == "npm" and p["name"] == pkg and any(affected(rg["events"], ver, semver_lt) for rg in a["ranges"]):
                hits.append((label(r), r["id"])); break
    print(f"npm {pkg}@{ver}: {len(hits)} findings", *sorted(hits))

for e in errors: print("ERROR", e, file=sys.stderr)
sys.exit(1 if errors else 0)
