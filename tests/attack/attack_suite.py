#!/usr/bin/env python3
"""The attack suite: a hostile tester's attacks on a running `heatlink master` (SQLite, its
gateway and API on loopback), in a bounded form for `make test`. Each attack asserts what an
operator needs to stay true under it and prints its figures (docs/BENCHMARKS.md):

  api-idle-flood     1,100 silent sockets on the API port: every request still answered
  gateway-flood      400 connections that never register: a real DTU registers at once
  dtu-takeover       claims of a keyed DTU's ID without the key: refused, the DTU untouched
  park-flood         1,000 unknown IDs in park mode: at most max_parked kept, memory bounded
  password-spray     wrong passwords from 100 addresses for 4 s: /health answers, the owner signs in
  sqlite-disk-full   the database file may not grow (RLIMIT_FSIZE) in mid-read, then may again
  postgresql-stopped the master's own PostgreSQL cluster stopped in mid-read, then started again

The storage outages run a second master with `heatlink sim` feeding it a district of 60
meters: the master must live through them, say so (/health, /metrics), count the meters that
answered as answered, show no database text, and store again once the database is back.

usage: attack_suite.py HEATLINK_BINARY
HEATLINK_ATTACKS=storage (or connections) runs one half.
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


GATEWAY_YAML = """listen: 127.0.0.1:{gateway_port}
models:
  - {{name: MD-109G, convention: id_on_connect, heartbeat_s: 60}}
dtus:
  - {{id: "{dtu}", model: MD-109G, key: "{key}"}}
unknown_dtus: park
unknown_model: MD-109G
max_parked: {max_parked}
max_unregistered: {max_unregistered}
registration_timeout_s: 30
"""

MASTER_YAML = """name: attacked
database: "{database}"
gateway: gateway.yaml
api: {{listen: "127.0.0.1:{api_port}", web: "off"}}
schedules:
  - {schedule}
"""


class Master:
    """A `heatlink master` in `directory` on `database` (default: a SQLite file there)."""

    def __init__(self, binary, directory, database=None, extra="", schedule=None, **popen):
        self.gateway_port, self.api_port = free_port(), free_port()
        with open(os.path.join(directory, "gateway.yaml"), "w") as f:
            f.write(GATEWAY_YAML.format(gateway_port=self.gateway_port, dtu=DTU, key=KEY,
                                        max_parked=MAX_PARKED,
                                        max_unregistered=MAX_UNREGISTERED))
        with open(os.path.join(directory, "master.yaml"), "w") as f:
            f.write(MASTER_YAML.format(database=database or f"sqlite:{directory}/heatlink.db",
                                       api_port=self.api_port,
                                       schedule=schedule or "{name: daily, every_s: 86400}")
                    + extra)
        self.process = subprocess.Popen([binary, "master", "--config", f"{directory}/master.yaml"],
                                        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        text=True, **popen)
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
        self.cookie, self.csrf = self.sign_in(self.password)

    def _drain(self):
        for line in self.process.stderr:
            self.log.append(line)

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def request(self, method, path, body=None, headers=None, source="127.0.0.1", timeout=10):
        """(status, Set-Cookie, body); status 0 when the master did not answer."""
        try:
            return self._request(method, path, body, headers, source, timeout)
        except OSError as e:
            return 0, None, str(e).encode()

    def _request(self, method, path, body, headers, source, timeout):
        c = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=timeout,
                                       source_address=(source, 0))
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers=headers or {})
        r = c.getresponse()
        answer = (r.status, r.getheader("Set-Cookie"), r.read())
        c.close()
        return answer

    def sign_in(self, password, source="127.0.0.1"):
        """The session cookie and CSRF token, or None when refused."""
        status, cookie, body = self.request("POST", "/api/v1/auth/login",
                                            {"name": "admin", "password": password},
                                            {"Content-Type": "application/json"}, source)
        if status != 200:
            return None
        return cookie.split(";")[0], json.loads(body)["csrf_token"]

    def as_admin(self, method, path, body=None):
        """(status, parsed JSON body or the raw bytes) of a request as the administrator."""
        headers = {"Cookie": self.cookie, "X-CSRF-Token": self.csrf,
                   "Content-Type": "application/json"}
        status, _, raw = self.request(method, path, body, headers)
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

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


TOPOLOGY = """seed: 5
start: "{start}"
stations:
  - name: station-1
    concentrators:
      - name: hm660-attacked
        rs232_baud: 9600
        dtu: {{id: "{dtu}", key: "{key}", convention: id_on_connect, heartbeat_s: 20, link: good}}
        channels:
          - name: ch1
            meters:
              - mix: {{multical403: 50, sharky775: 50}}
                count: {meters}
                id: 10000001
                primary: 1
"""
DISTRICT_METERS = 60
# What no answer of the API may show: the database's words, its files.
DATABASE_TEXT = re.compile(r"SELECT|INSERT|UPDATE|sqlite|postgres|heatlink\.db|/tmp/|constraint",
                           re.IGNORECASE)


class District:
    """A master reading a simulated district of DISTRICT_METERS meters through one keyed DTU:
    `heatlink sim --server` on the master's gateway, its meters' clocks at the heat company's
    now (UTC+8), the master's one slot a day three hours ago (no cycle but the attack's)."""

    def __init__(self, binary, directory, database=None, **popen):
        local = time.time() + 8 * 3600
        with open(os.path.join(directory, "district.yaml"), "w") as f:
            f.write(TOPOLOGY.format(start=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(local)),
                                    dtu=DTU, key=KEY, meters=DISTRICT_METERS))
        subprocess.run([binary, "sim", "--topology", f"{directory}/district.yaml",
                        "--write-base-information", f"{directory}/base.yaml"],
                       check=True, capture_output=True)
        slot = time.strftime("%H:%M", time.gmtime(local - 3 * 3600))
        self.master = Master(binary, directory, database, extra="base_information: base.yaml\n",
                             schedule=f'{{name: daily, daily_at: "{slot}"}}', **popen)
        self.sim = subprocess.Popen([binary, "sim", "--topology", f"{directory}/district.yaml",
                                     "--server", f"127.0.0.1:{self.master.gateway_port}",
                                     "--pace", "x20"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for(lambda: online(self.master, DTU), 60):
            raise SystemExit("the simulated DTU never came online:\n" + "".join(self.master.log))

    def start_read(self):
        status, job = self.master.as_admin("POST", "/api/v1/read-jobs",
                                           {"kind": "concentrator", "name": "hm660-attacked"})
        assert status == 202, (status, job)
        return job["id"]

    def job(self, job):
        status, body = self.master.as_admin("GET", f"/api/v1/read-jobs/{job}")
        return body if status == 200 else {"status": f"HTTP {status}"}

    def finished(self, job, timeout):
        return wait_for(lambda: self.job(job)["status"] in ("done", "failed"), timeout)

    def metrics(self):
        status, _, body = self.master.request("GET", "/metrics")
        series = {}
        if status != 200:
            return status, series
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                series[name] = float(value)
        return status, series

    def stop(self):
        self.sim.terminate()
        self.sim.wait(30)
        self.master.stop()


def storage_outage(attack, district, cut, restore):
    """The database fails (`cut`) while a read of the district runs, and comes back
    (`restore`): what the master says and does meanwhile and after."""
    m = district.master
    first = district.start_read()
    check(attack, district.finished(first, 90) and district.job(first)["status"] == "done",
          "a read before the outage is done")
    job = district.start_read()
    wait_for(lambda: district.job(job)["status"] == "running", 30)
    began = time.monotonic()
    cut()
    unstored = wait_for(lambda: district.metrics()[1].get("heatlink_readings_unstored_total", 0),
                        90)
    metrics_status, series = district.metrics()
    health_status, _, health = m.request("GET", "/api/v1/health")
    login_status, _, login = m.request("POST", "/api/v1/auth/login",
                                       {"name": "admin", "password": m.password},
                                       {"Content-Type": "application/json"})
    read_status, read = m.as_admin("POST", "/api/v1/read-jobs",
                                   {"kind": "meter", "meter_id": 1})
    alive = m.process.poll() is None
    if alive:
        restore()
    back = wait_for(lambda: m.request("GET", "/api/v1/health")[0] == 200, 60)
    again = district.start_read() if back else None
    stored_again = again is not None and district.finished(again, 90) and \
        district.job(again)["status"] == "done"
    district.finished(job, 90)
    during = district.job(job)
    detail = during.get("detail") or {}
    figure(attack, meters=DISTRICT_METERS, unstored=unstored,
           read_failures=series.get("heatlink_read_failures_total"),
           storage_up=series.get("heatlink_storage_up"), metrics=metrics_status,
           health=health_status, login=login_status, read_job=read_status,
           job_during=during.get("status"), job_attempts=detail.get("attempts"),
           recovered_s=round(time.monotonic() - began, 1))
    check(attack, alive, "the master lives through the outage")
    check(attack, metrics_status == 200, f"/metrics answers ({metrics_status})")
    check(attack, unstored >= 1 and series.get("heatlink_read_failures_total") == 0,
          f"the answered meters count as unstored ({unstored}), not as failed reads "
          f"({series.get('heatlink_read_failures_total')})")
    check(attack, health_status == 503 and b"storage" in health,
          f"/health says the storage fails ({health_status} {health[:80]!r})")
    answers = [("login", login_status, login), ("read job", read_status, json.dumps(read))]
    check(attack, all(status >= 500 for _, status, _ in answers[:1]) and
          not any(DATABASE_TEXT.search(str(body)) for _, _, body in answers),
          "answers during the outage show no database text: " +
          "; ".join(f"{what} {status}" for what, status, _ in answers))
    check(attack, back, "/health is ok again once the database is back")
    check(attack, stored_again, "a read after the outage is done and stored")
    check(attack, during.get("status") == "done" and detail.get("stored") == DISTRICT_METERS and
          detail.get("attempts", 0) >= 2,
          f"the read in the outage was tried again and stored every meter "
          f"({during.get('status')}, {detail.get('stored')} stored, attempts "
          f"{detail.get('attempts')})")
    return series


def sqlite_disk_full(binary):
    print("sqlite-disk-full")
    with tempfile.TemporaryDirectory(prefix="heatlink-attack-disk-") as directory:
        district = District(binary, directory)
        pid = district.master.process.pid
        limit = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        try:
            # No file of the master's may grow past its first byte: the disk is full.
            storage_outage("sqlite-disk-full", district,
                           lambda: resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, limit[1])),
                           lambda: resource.prlimit(pid, resource.RLIMIT_FSIZE, limit))
        finally:
            district.stop()


def postgresql_stopped(binary):
    print("postgresql-stopped")
    cluster_script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                  "scripts", "pg-test-cluster.sh")
    with tempfile.TemporaryDirectory(prefix="heatlink-attack-pg-") as directory:
        os.chmod(directory, 0o755)  # as root the cluster runs as `postgres`, which must reach it
        cluster = os.path.join(directory, "cluster")
        url = subprocess.run(["bash", cluster_script, "start", cluster], check=True,
                             capture_output=True, text=True).stdout.strip()
        try:
            district = District(binary, directory, url)
            try:
                storage_outage("postgresql-stopped", district,
                               lambda: subprocess.run(["bash", cluster_script, "halt", cluster],
                                                      check=True),
                               lambda: subprocess.run(["bash", cluster_script, "resume", cluster],
                                                      check=True))
            finally:
                district.stop()
        finally:
            subprocess.run(["bash", cluster_script, "stop", cluster])


def connection_attacks(binary):
    with tempfile.TemporaryDirectory(prefix="heatlink-attack-") as directory:
        m = Master(binary, directory)
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


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    only = os.environ.get("HEATLINK_ATTACKS", "connections,storage").split(",")
    if "connections" in only:
        connection_attacks(sys.argv[1])
    if "storage" in only:
        sqlite_disk_full(sys.argv[1])
        postgresql_stopped(sys.argv[1])
    if FAILURES:
        print("FAILED: " + "; ".join(FAILURES))
        return 1
    print("PASS attack suite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
