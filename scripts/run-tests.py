#!/usr/bin/env python3
"""Runs every GoogleTest suite registered with meson in BUILD_DIR and sums the counts.

Each suite runs with its meson env/workdir and a JSON report; a suite that crashes
(e.g. a sanitizer abort) counts all of its not-reported tests as failed. Prints the
closing line "N passed, N failed[, N skipped]" and exits non-zero on any failure.
"""
import json, os, subprocess, sys, tempfile, time

build = sys.argv[1] if len(sys.argv) > 1 else "build-asan"
only = sys.argv[2:]  # optional suite names
tests = json.loads(subprocess.check_output(["meson", "introspect", "--tests", build], text=True))
env_base = dict(os.environ)
env_base.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1:strict_string_checks=1")
env_base.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")

passed = failed = skipped = 0
failures = []
for t in tests:
    if only and t["name"] not in only:
        continue
    cmd = t["cmd"]
    env = dict(env_base)
    env.update(t.get("env") or {})
    timeout = t.get("timeout") or 300
    listed = subprocess.run(cmd + ["--gtest_list_tests"], capture_output=True, text=True, env=env,
                            cwd=t.get("workdir"))
    # DISABLED_ tests (or suites) are measurement harnesses run by hand, not part of the
    # suite: they are reported but neither run nor counted.
    total = disabled = 0
    suite_name = ""
    for line in listed.stdout.splitlines():
        if not line.strip() or line.startswith("   "):
            continue
        if not line.startswith(" "):
            suite_name = line.split()[0]
            continue
        if line.split()[0].startswith("DISABLED_") or suite_name.startswith("DISABLED_"):
            disabled += 1
        else:
            total += 1
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "report.json")
        start = time.time()
        print(f"=== suite {t['name']} ({total} tests)", flush=True)
        try:
            proc = subprocess.run(cmd + [f"--gtest_output=json:{report}", "--gtest_brief=1"], env=env,
                                  cwd=t.get("workdir"), timeout=timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        s_pass = s_fail = s_skip = 0
        if os.path.exists(report):
            data = json.load(open(report))
            for suite in data.get("testsuites", []):
                for case in suite.get("testsuite", []):
                    if case["name"].startswith("DISABLED_") or suite["name"].startswith("DISABLED_"):
                        continue
                    if case.get("failures"):
                        s_fail += 1
                        failures.append(f"{t['name']}: {suite['name']}.{case['name']}")
                    elif case.get("result") == "SKIPPED" or case.get("status") == "NOTRUN":
                        s_skip += 1
                    else:
                        s_pass += 1
        missing = total - (s_pass + s_fail + s_skip)
        if rc != 0 and s_fail == 0:
            # Crashed or timed out before reporting: everything unreported failed.
            missing = max(missing, 1)
        if missing > 0:
            s_fail += missing
            failures.append(f"{t['name']}: {missing} test(s) did not report (exit {rc})")
        print(f"=== suite {t['name']}: {s_pass} passed, {s_fail} failed, {s_skip} skipped"
              + (f" ({disabled} disabled measurement tests not run)" if disabled else "")
              + f" in {time.time() - start:.1f}s", flush=True)
        passed += s_pass
        failed += s_fail
        skipped += s_skip

if failures:
    print("FAILED:")
    for f in failures:
        print("  " + f)
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
