#!/usr/bin/env python3
"""Prints a short digest of failed tests from the Surefire/Failsafe XML reports.

CI output is read from its end, where Maven's own summary names a failure but not why it happened.
This prints, last, each failed test's message, its stack frames in pushgate's code, and the warnings,
errors and thread dumps it logged, so an intermittent failure can be diagnosed from one CI run.
"""
import glob
import sys
import xml.etree.ElementTree as ET

MAX_LINES = 60
KEEP = ("WARN", "ERROR", "Exception", "---- thread dump", "\" BLOCKED", "\" RUNNABLE", "\" WAITING", "owned by",
        "at io.pushgate.", "at app//io.pushgate.")
SKIP = ("LEAK:", "ResourceLeakDetector", "Connection is already closed")

out = []
for path in sorted(glob.glob("*/target/surefire-reports/TEST-*.xml") + glob.glob("*/target/failsafe-reports/TEST-*.xml")):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        continue
    for case in root.iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            continue
        out.append(f"## {case.get('classname')}.{case.get('name')} ({case.get('time')} s)")
        message = (problem.get("message") or "").strip().splitlines()
        out.extend("   " + line[:300] for line in message[:3])
        frames = [l.strip() for l in (problem.text or "").splitlines() if l.strip().startswith("at io.pushgate.")]
        out.extend("   " + f for f in frames[:4])
        logged = []
        for tag in ("system-out", "system-err"):
            for element in case.iter(tag):
                logged.extend((element.text or "").splitlines())
        shown = [l for l in logged if any(k in l for k in KEEP) and not any(k in l for k in SKIP)]
        out.extend("   > " + l[:300] for l in shown[-30:])

if out:
    print("==== failed tests, in short (from the test reports) ====")
    for line in out[:MAX_LINES]:
        print(line)
    if len(out) > MAX_LINES:
        print(f"... {len(out) - MAX_LINES} more lines in the reports")
sys.exit(0)
