"""The lab's check counter: each check prints `ok   NAME` or `FAIL NAME: detail` and counts;
a runner ends with `NAME: N passed, N failed`, the line tests/run-all adds up."""


class Checks:
    def __init__(self, detail_on_ok=False):
        self.passed = self.failed = 0
        self.detail_on_ok = detail_on_ok

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            extra = f"  ({detail})" if detail and self.detail_on_ok else ""
            print(f"ok   {name}{extra}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok
