#!/usr/bin/env python3
"""The attack suite: a hostile tester's attacks on a running `heatlink master` (SQLite, its
gateway and API on loopback), in a bounded form for `make test`. Each attack asserts what an
operator needs to stay true under it and prints its figures (docs/BENCHMARKS.md):

  api-idle-flood     1,100 silent sockets on the API port: every request still answered
  gateway-flood      400 connections that never register: a real DTU registers at once
  dtu-takeover       claims of a keyed DTU's ID without the key: refused, the DTU untouched
  park-flood         1,000 unknown IDs in park mode: at most max_parked kept, memory bounded
  password-spray     wrong passwords from 100 addresses for 4 s: /health answers, the owner signs in

usage: attack_suite.py HEATLINK_BINARY
"""
import http.client
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

KEY = "k3Y9-s3cret"
DTU = "13800000001"
MAX_PARKED = 300
MAX_UNREGISTERED = 200


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Master:
    def __init__(self, binary, directory):
        self.gateway_port, self.api_port = free_port(), free_port()
        with open(os.path.join(directory, "gateway.yaml"), "w") as f:
            f.write(f"""listen: 127.0.0.1:{self.gateway_port}
models:
  - {{name: MD-109G, convention: id_on_connect, heartbeat_s: 60}}
dtus:
  - {{id: "{DTU}", model: MD-109G, key: "{KEY}"}}
unknown_dtus: park
unknown_model: MD-109G
max_parked: {MAX_PARKED}
max_unregistered: {MAX_UNREGISTERED}
registration_timeout_s: 30
""")
        with open(os.path.join(directory, "master.yaml"), "w") as f:
            f.write(f"""name: attacked
database: "sqlite:{directory}/heatlink.db"
gateway: gateway.yaml
api: {{listen: "127.0.0.1:{self.api_port}", web: "off"}}
schedules:
  - {{name: daily, every_s: 86400}}
""")
        self.process = subprocess.Popen([binary, "master", "--config", f"{directory}/master.yaml"],
                                        stderr=subprocess.PIPE, text=True)
        self.password = None
        self.log = []
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.log.append(line)
            found = re.search(r"with the password (\S+)", line)
            if found:
                self.password = found.group(1)
            if "web API on" in line:
                break
        threading.Thread(target=self._drain, daemon=True).start()
        if self.password is None:
            raise SystemExit("the master did not start:\n" + "".join(self.log))
        self.cookie = self.sign_in(self.password)

    def _drain(self):
        for line in self.process.stderr:
            self.log.append(line)

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def request(self, method, path, body=None, headers=None, source="127.0.0.1", timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=timeout,
                                       source_address=(source, 0))
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers=headers or {})
        r = c.getresponse()
        answer = (r.status, r.getheader("Set-Cookie"), r.read())
        c.close()
        return answer

    def sign_in(self, password, source="127.0.0.1"):
        status, cookie, body = self.request("POST", "/api/v1/auth/login",
                                            {"name": "admin", "password": password},
                                            {"Content-Type": "application/json"}, source)
        return cookie.split(";")[0] if status == 200 else None

    def dtus(self, query=""):
        status, _, body = self.request("GET", "/api/v1/system/dtus" + query,
                                       headers={"Cookie": self.cookie})
        assert status == 200, body
        return json.loads(body)

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


def connect(port, source="127.0.0.1"):
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    return s


def closed_by_server(s, wait=3.0):
    s.settimeout(wait)
    try:
        while True:
            if not s.recv(1024):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


FIGURES = []
FAILURES = []


def check(attack, condition, what):
    if not condition:
        FAILURES.append(f"{attack}: {what}")
        print(f"  FAIL {what}")
    else:
        print(f"  ok   {what}")


def figure(attack, **values):
    FIGURES.append({"attack": attack, **values})
    print("  " + json.dumps({"attack": attack, **values}))


def api_idle_flood(m):
    print("api-idle-flood")
    idle = [connect(m.api_port) for _ in range(1100)]
    time.sleep(0.5)
    times, answered = [], 0
    for _ in range(50):
        began = time.monotonic()
        try:
            answered += m.request("GET", "/api/v1/health")[0] == 200
        except OSError:
            pass
        times.append(time.monotonic() - began)
    for s in idle:
        s.close()
    figure("api-idle-flood", idle_sockets=1100, requests=50, answered=answered,
           p50_ms=round(statistics.median(times) * 1000, 1), max_ms=round(max(times) * 1000, 1))
    check("api-idle-flood", answered == 50, f"{answered} of 50 requests answered")


def register_real_dtu(m):
    s = connect(m.gateway_port)
    s.sendall(f"{DTU}#{KEY}".encode())
    return s


def online(m, dtu):
    items = m.dtus(f"?q={dtu}")["items"]
    return items[0] if items and items[0]["dtu_id"] == dtu and items[0]["online"] else None


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    return condition()


def gateway_flood(m):
    print("gateway-flood")
    strangers = [connect(m.gateway_port) for _ in range(400)]
    time.sleep(0.5)
    began = time.monotonic()
    real = register_real_dtu(m)
    state = wait_for(lambda: online(m, DTU), 5)
    took = time.monotonic() - began
    closed = sum(1 for s in strangers[:200] if closed_by_server(s, 0.01))
    figure("gateway-flood", strangers=400, max_unregistered=MAX_UNREGISTERED,
           registration_s=round(took, 3), strangers_closed=closed, rss_kib=m.rss_kib())
    check("gateway-flood", state is not None and took < 2, f"the real DTU registered in {took:.2f} s")
    for s in strangers:
        s.close()
    return real


def dtu_takeover(m, real):
    print("dtu-takeover")
    refused = 0
    forged = b"\x10\x5B\xFE\x59\x16" * 4  # REQ_UD2s' bytes after the claim
    for claim in (DTU, f"{DTU}#guess", f"{DTU}#{KEY[:-1]}X"):
        s = connect(m.gateway_port)
        s.sendall(claim.encode() + forged)
        refused += closed_by_server(s, 3)
        s.close()
    real.sendall(f"{DTU}#{KEY}".encode())  # a heartbeat: the registration packet again
    state = online(m, DTU)
    figure("dtu-takeover", claims=3, refused=refused,
           refused_claims=state["refused_claims"] if state else None)
    check("dtu-takeover", refused == 3, f"{refused} of 3 claims without the key closed")
    check("dtu-takeover", state is not None and state["contested_claims"] == 0,
          "the real DTU keeps its session, never contested")
    check("dtu-takeover", state is not None and state["refused_claims"] == 3,
          "the refusals are counted on the DTU")


def park_flood(m):
    print("park-flood")
    before = m.rss_kib()
    began = time.monotonic()
    for i in range(1000):
        s = connect(m.gateway_port)
        s.sendall(f"777{i:08d}".encode())
        time.sleep(0.002)
        s.close()
    wait_for(lambda: m.dtus("?status=parked")["counts"]["parked"] >= MAX_PARKED // 2, 10)
    parked = m.dtus("?status=parked")["counts"]["parked"]
    figure("park-flood", unknown_ids=1000, parked=parked, max_parked=MAX_PARKED,
           seconds=round(time.monotonic() - began, 2), rss_kib_before=before,
           rss_kib_after=m.rss_kib())
    check("park-flood", 0 < parked <= MAX_PARKED, f"{parked} parked, at most {MAX_PARKED}")


def password_spray(m):
    print("password-spray")
    codes = []

    stop = time.monotonic() + 4

    def spray(n):
        k = 0
        while time.monotonic() < stop:
            k += 1
            try:
                codes.append(m.request("POST", "/api/v1/auth/login",
                                       {"name": "admin", "password": f"guess-{n}-{k}"},
                                       {"Content-Type": "application/json"},
                                       source=f"127.0.1.{n + 1}")[0])
            except OSError:
                codes.append(0)

    threads = [threading.Thread(target=spray, args=(n,)) for n in range(100)]
    for t in threads:
        t.start()
    health, owner_mid_spray = [], []
    while any(t.is_alive() for t in threads):
        began = time.monotonic()
        status = m.request("GET", "/api/v1/health")[0]
        health.append((time.monotonic() - began, status))
        if len(health) % 5 == 0:  # the owner, from the address it signed in from
            owner_mid_spray.append(m.sign_in(m.password) is not None)
    for t in threads:
        t.join()
    owner = m.sign_in(m.password) is not None
    p50 = statistics.median(h[0] for h in health) if health else 0
    figure("password-spray", attempts=len(codes), addresses=100, seconds=4,
           refused={str(c): codes.count(c) for c in sorted(set(codes))},
           health_checks=len(health), health_p50_ms=round(p50 * 1000, 1),
           health_max_ms=round(max((h[0] for h in health), default=0) * 1000, 1))
    check("password-spray", all(h[1] in (200, 503) for h in health) and p50 < 0.5,
          f"/health answered throughout (p50 {p50 * 1000:.0f} ms)")
    check("password-spray", 200 not in codes, "no guess signed in")
    check("password-spray", owner, "the owner still signs in with the right password")
    check("password-spray", all(owner_mid_spray),
          f"the owner signed in during the spray {owner_mid_spray.count(True)} of "
          f"{len(owner_mid_spray)} times")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    with tempfile.TemporaryDirectory(prefix="heatlink-attack-") as directory:
        m = Master(sys.argv[1], directory)
        try:
            api_idle_flood(m)
            real = gateway_flood(m)
            dtu_takeover(m, real)
            park_flood(m)
            password_spray(m)
        finally:
            m.stop()
        descriptors = [line.strip() for line in m.log if "descriptors:" in line]
        print("  " + (descriptors[0] if descriptors else "FAIL: no descriptor figure in the log"))
        if not descriptors:
            FAILURES.append("the master's log names no descriptor figure")
    if FAILURES:
        print("FAILED: " + "; ".join(FAILURES))
        return 1
    print("PASS attack suite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
