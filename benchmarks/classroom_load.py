"""What a class costs a hub: a real local JupyterHub and N simulated students.

Starts JupyterHub (from pip; the ``hub`` extra) with configurable-http-proxy
(from npm), the dummy authenticator and the simple local process spawner, all
on 127.0.0.1, in a temporary directory. Then N students, all at once:

1. each starts a single-user server through the hub's REST API and waits for it;
2. opens a kernel and its websocket *through the proxy*, as JupyterLab does;
3. runs the lecture deck's explorer set-up (the deck's import cell and its
   ``explorer(...)`` cell, read from ``notebooks/lecture_50_minutes.ipynb``);
4. moves the variance slider K times, one arrow-key press or a few each,
   sending the widget update a browser sends and waiting for the kernel to
   finish handling it (its ``idle`` status for that message: the new numbers
   have been sent to the plots by then), with a random think time between moves.

Measured: move latency (p50/p90/p99 over all moves of all students); the time
until the whole class has its explorer on screen (set-up done), from the
moment every student asked for a server; resident memory per student of the
kernel and of the single-user server (median and max), and of the hub and the
proxy; CPU seconds per move of the kernels, the servers and hub + proxy,
over the moving phase (so idle overhead is counted too); errors. It prints one
line per phase and a final JSON line, with the load average at the start and
the end: figures from a busy machine are upper bounds.

Every process it starts is stopped at the end (the hub stops the servers and
the proxy; anything left is terminated by its pid), also on Ctrl+C and on
``--timeout``. Not run by the test suite or CI (it needs node). Usage::

    npm install --prefix .venv/node configurable-http-proxy   # once
    .venv/bin/python -m pip install -e '.[hub]' -c constraints.txt
    .venv/bin/python benchmarks/classroom_load.py --students 8 --moves 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))
from _servers import free_port  # noqa: E402  (the tests' free-port helper)

DECK = ROOT / "notebooks" / "lecture_50_minutes.ipynb"
MB = 2**20
#: the explorer's variance slider (a FloatLogSlider) and one arrow-key press on it
SLIDER_DESCRIPTION = "Var(W) in units of 2/width"
STEP = 0.02


def find_proxy() -> str:
    """configurable-http-proxy: on PATH, or where ``make classroom-load`` put it
    (``npm install --prefix $(VENV)/node``, beside the Python running this)."""
    found = shutil.which("configurable-http-proxy")
    local = BIN.parent / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    if found:
        return found
    if local.exists():
        return str(local)
    raise SystemExit(
        f"configurable-http-proxy not found: npm install --prefix {BIN.parent / 'node'} "
        "configurable-http-proxy"
    )


def deck_setup() -> list[str]:
    """The deck's import cell and its ``explorer(...)`` cell, as a student runs them."""
    cells = json.loads(DECK.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    imports = next(s for s in code if "from kaiming_lab.explorer import explorer" in s)
    app = next(s for s in code if s.lstrip().startswith("explorer("))
    return [imports, app]


def hub_config(directory: Path, port: int, hub_port: int, api_port: int, token: str) -> str:
    root = os.geteuid() == 0
    return f"""
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.command = [{find_proxy()!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.JupyterHub.db_url = "sqlite:///{directory / "hub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(directory / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(directory / "hub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.active_server_limit = 0
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = {str(directory / "home" / "{username}")!r}
c.Spawner.cmd = [{str(BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = {["--allow-root"] if root else []!r}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 600
c.Spawner.http_timeout = 600
c.Spawner.environment = {{"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}}
c.JupyterHub.services = [{{"name": "classroom-load", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "classroom-load",
    "scopes": ["admin:users", "admin:servers", "access:servers", "list:users", "read:users"],
    "services": ["classroom-load"],
}}]
"""


@dataclass
class Student:
    name: str
    seed: int
    latencies: list[float] = field(default_factory=list)
    ready_at: float | None = None
    errors: list[str] = field(default_factory=list)


class Kernel:
    """A kernel's websocket (Jupyter's JSON message protocol) opened through the proxy."""

    def __init__(self, ws, session: str):
        self.ws, self.session = ws, session
        self.comms: dict[str, dict] = {}

    def _message(self, msg_type: str, content: dict, channel: str = "shell") -> dict:
        header = {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "username": "student",
            "session": self.session,
            "version": "5.3",
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        return {
            "header": header,
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }

    async def request(self, msg_type: str, content: dict, timeout: float) -> list[dict]:
        """Send one message; collect the kernel's replies until it is idle for it."""
        msg = self._message(msg_type, content)
        await self.ws.write_message(json.dumps(msg))
        replies, deadline = [], time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no idle status for {msg_type} within {timeout} s")
            raw = await asyncio.wait_for(self.ws.read_message(), remaining)
            if raw is None:
                raise ConnectionError("the kernel's websocket closed")
            if isinstance(raw, bytes):  # a message with binary buffers: not ours to read
                continue
            reply = json.loads(raw)
            if reply.get("msg_type") == "comm_open":
                self.comms[reply["content"]["comm_id"]] = reply["content"]["data"].get("state", {})
            if reply.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
                continue
            replies.append(reply)
            if reply["msg_type"] == "error" or (
                reply["msg_type"] == "execute_reply" and reply["content"]["status"] == "error"
            ):
                raise RuntimeError(f"{msg_type} failed: {reply['content'].get('evalue', '')}")
            if reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle":
                return replies

    async def execute(self, code: str, timeout: float) -> None:
        await self.request("execute_request", {"code": code, "silent": False}, timeout)

    def slider(self) -> str:
        for comm_id, state in self.comms.items():
            if state.get("description") == SLIDER_DESCRIPTION:
                return comm_id
        raise LookupError(f"no widget described {SLIDER_DESCRIPTION!r} among {len(self.comms)}")

    async def move(self, comm_id: str, value: float, timeout: float) -> float:
        """Set the slider as the browser does; seconds until the kernel is idle again."""
        start = time.perf_counter()
        data = {"method": "update", "state": {"value": value}, "buffer_paths": []}
        await self.request("comm_msg", {"comm_id": comm_id, "data": data}, timeout)
        return time.perf_counter() - start


class Hub:
    def __init__(self, directory: Path):
        self.directory = directory
        self.port, self.hub_port, self.api_port = free_port(), free_port(), free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.seen: dict[int, psutil.Process] = {}  # every descendant ever seen, for the cleanup

    def start(self) -> None:
        if not (BIN / "jupyterhub").exists():
            raise SystemExit("jupyterhub not found: pip install -e '.[hub]' -c constraints.txt")
        config = self.directory / "jupyterhub_config.py"
        config.write_text(
            hub_config(self.directory, self.port, self.hub_port, self.api_port, self.token)
        )
        (self.directory / "home").mkdir()
        self.log = open(self.directory / "hub.log", "w")  # closed in stop()
        self.proc = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(config)],
            cwd=self.directory,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def processes(self) -> dict[str, list[psutil.Process]]:
        """The hub's process tree by kind: hub, proxy, server (per user) and kernel."""
        kinds: dict[str, list[psutil.Process]] = {
            "hub": [],
            "proxy": [],
            "server": [],
            "kernel": [],
        }
        try:
            hub = psutil.Process(self.proc.pid)
            tree = [hub, *hub.children(recursive=True)]
        except psutil.NoSuchProcess:
            return kinds
        for proc in tree:
            self.seen[proc.pid] = proc
            try:
                cmd = " ".join(proc.cmdline())
            except psutil.Error:
                continue
            if proc.pid == self.proc.pid:
                kinds["hub"].append(proc)
            elif "configurable-http-proxy" in cmd:
                kinds["proxy"].append(proc)
            elif "ipykernel" in cmd:
                kinds["kernel"].append(proc)
            elif "jupyterhub-singleuser" in cmd:
                kinds["server"].append(proc)
        return kinds

    def stop(self) -> list[int]:
        """Stop the hub (it stops the servers and the proxy), then anything left; the leftovers."""
        if self.proc is not None and self.proc.poll() is None:
            self.processes()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        left = [p for p in self.seen.values() if p.is_running() and p.status() != "zombie"]
        for proc in left:
            proc.terminate()
        _, alive = psutil.wait_procs(left, timeout=15)
        for proc in alive:
            proc.kill()
        if hasattr(self, "log"):
            self.log.close()
        return [p.pid for p in left]


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            pass
    return total


def rss_mb(procs: list[psutil.Process]) -> list[float]:
    found = []
    for proc in procs:
        try:
            found.append(proc.memory_info().rss / MB)
        except psutil.Error:
            pass
    return found


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


async def api(client, hub: Hub, method: str, path: str, body=None, timeout: float = 60.0):
    request = HTTPRequest(
        f"{hub.url}/hub/api{path}",
        method=method,
        headers={"Authorization": f"token {hub.token}"},
        body=None if body is None else json.dumps(body),
        allow_nonstandard_methods=True,
        request_timeout=timeout,
    )
    response = await client.fetch(request)
    return json.loads(response.body) if response.body else None


async def wait_for_hub(client, hub: Hub, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.proc.poll() is not None:
            raise RuntimeError(f"jupyterhub exited ({hub.proc.returncode}); see its log")
        try:
            await api(client, hub, "GET", "/", timeout=5)
            return
        except (OSError, HTTPClientError):
            await asyncio.sleep(0.5)
    raise TimeoutError("jupyterhub did not answer")


async def student_session(
    client, hub: Hub, student: Student, args, started: asyncio.Event, moving: asyncio.Event
) -> None:
    rng = np.random.default_rng(student.seed)
    name = student.name
    try:
        await started.wait()
        await api(client, hub, "POST", f"/users/{name}/server", body={}, timeout=args.timeout)
        deadline = time.monotonic() + args.timeout
        while True:
            user = await api(client, hub, "GET", f"/users/{name}")
            server = user.get("servers", {}).get("")
            if server and server.get("ready"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("server not ready")
            await asyncio.sleep(0.5)
        base = f"{hub.url}/user/{name}"
        auth = {"Authorization": f"token {hub.token}"}
        response = await client.fetch(
            HTTPRequest(
                f"{base}/api/kernels",
                method="POST",
                headers=auth,
                body=json.dumps({"name": "python3"}),
                request_timeout=args.timeout,
            )
        )
        kernel_id = json.loads(response.body)["id"]
        ws = await websocket_connect(
            HTTPRequest(
                f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels",
                headers=auth,
                request_timeout=args.timeout,
            )
        )
        kernel = Kernel(ws, uuid.uuid4().hex)
        for code in deck_setup():
            await kernel.execute(code, timeout=args.timeout)
        slider = kernel.slider()
        student.ready_at = time.monotonic()
        await moving.wait()
        value = 1.0
        for _ in range(args.moves):
            await asyncio.sleep(float(rng.uniform(0.5, 1.5) * args.think))
            presses = int(rng.choice([-3, -2, -1, 1, 2, 3]))
            value = float(np.clip(value * 10 ** (STEP * presses), 0.5, 2.0))
            student.latencies.append(await kernel.move(slider, value, timeout=60.0))
        ws.close()
    except Exception as err:  # a student's failure is counted, the class goes on
        student.errors.append(f"{type(err).__name__}: {err}"[:200])


async def memory_guard(tasks: list[asyncio.Task], reserve_gb: float, tripped: list[str]) -> None:
    """Stop the class if the machine's available memory falls below ``reserve_gb``."""
    while not all(t.done() for t in tasks):
        available = psutil.virtual_memory().available / 2**30
        if available < reserve_gb:
            tripped.append(f"memory guard: {available:.1f} GB available < {reserve_gb} GB reserve")
            for task in tasks:
                task.cancel()
            return
        await asyncio.sleep(1.0)


async def run(args, hub: Hub) -> dict:
    AsyncHTTPClient.configure(None, max_clients=max(64, 4 * args.students))
    client = AsyncHTTPClient()
    await wait_for_hub(client, hub, timeout=120)
    students = [Student(f"student{i:03d}", seed=i) for i in range(args.students)]
    await api(client, hub, "POST", "/users", body={"usernames": [s.name for s in students]})
    started, moving = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(student_session(client, hub, s, args, started, moving))
        for s in students
    ]
    tripped: list[str] = []
    guard = asyncio.create_task(memory_guard(tasks, args.reserve_gb, tripped))
    t0 = time.monotonic()
    started.set()
    while not all(s.ready_at or s.errors for s in students):
        if time.monotonic() - t0 > args.timeout or tripped:
            break
        await asyncio.sleep(0.5)
    ready = [s.ready_at - t0 for s in students if s.ready_at]
    ready_s = max(ready) if len(ready) == len(students) else None
    print(f"class ready: {len(ready)}/{len(students)} students in {max(ready or [0]):.1f} s")
    procs = hub.processes()
    memory = {kind: rss_mb(p) for kind, p in procs.items()}
    cpu_start = {kind: cpu_seconds(p) for kind, p in procs.items()}
    moving.set()
    move_start = time.monotonic()
    await asyncio.wait(tasks, timeout=args.timeout)
    guard.cancel()
    move_s = time.monotonic() - move_start
    procs = hub.processes()
    cpu_end = {kind: cpu_seconds(p) for kind, p in procs.items()}
    peak = {kind: rss_mb(p) for kind, p in procs.items()}
    latencies = [x * 1000 for s in students for x in s.latencies]
    moves = max(len(latencies), 1)
    print(f"moves: {len(latencies)} in {move_s:.1f} s")
    errors = tripped + [f"{s.name}: {e}" for s in students for e in s.errors]

    def per_move(*kinds: str) -> float:
        return round(sum(cpu_end[k] - cpu_start[k] for k in kinds) / moves, 4)

    def summary(values: list[float]) -> dict:
        if not values:
            return {"median": None, "max": None}
        return {"median": round(statistics.median(values), 1), "max": round(max(values), 1)}

    return {
        "ready_s": None if ready_s is None else round(ready_s, 1),
        "students_ready": len(ready),
        "move_latency_ms": {
            q: None if not latencies else round(percentile(latencies, p), 1)
            for q, p in (("p50", 50), ("p90", 90), ("p99", 99))
        },
        "moves": len(latencies),
        "moving_phase_s": round(move_s, 1),
        "memory_mb": {
            "kernel_per_student": summary(peak["kernel"] or memory["kernel"]),
            "server_per_student": summary(peak["server"] or memory["server"]),
            "hub": round(sum(peak["hub"]), 1),
            "proxy": round(sum(peak["proxy"]), 1),
        },
        "cpu_s_per_move": {
            "kernel": per_move("kernel"),
            "server": per_move("server"),
            "hub_proxy": per_move("hub", "proxy"),
        },
        "errors": len(errors),
        "error_samples": errors[:5],
    }


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # so that a terminated run still stops the hub in ``finally``


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8, help="N students, all at once")
    parser.add_argument("--moves", type=int, default=20, help="K slider moves per student")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, s")
    parser.add_argument("--timeout", type=float, default=600.0, help="limit per phase, s")
    parser.add_argument(
        "--reserve-gb", type=float, default=4.0, help="stop if available memory falls below"
    )
    args = parser.parse_args()
    if args.students < 1 or args.moves < 1 or args.think < 0 or args.timeout <= 0:
        parser.error("--students and --moves must be >= 1, --think >= 0, --timeout > 0")
    load_start = os.getloadavg()
    report: dict = {"benchmark": "classroom_load", "students": args.students}
    with tempfile.TemporaryDirectory(prefix="classroom-load-") as tmp:
        hub = Hub(Path(tmp))
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            hub.start()
            report.update(asyncio.run(asyncio.wait_for(run(args, hub), 4 * args.timeout)))
        except KeyboardInterrupt:
            print("interrupted: stopping the hub and every process it started")
            return 130
        finally:
            left = hub.stop()
            signal.signal(signal.SIGTERM, previous)
            if left:
                print(f"stopped {len(left)} processes the hub left behind: {left}")
    import jupyterhub

    report.update(
        {
            "moves_per_student": args.moves,
            "think_s": args.think,
            "loadavg_start": [round(x, 2) for x in load_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "machine": {
                "cpus": os.cpu_count(),
                "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                "python": platform.python_version(),
                "jupyterhub": jupyterhub.__version__,
            },
        }
    )
    busy = report["loadavg_start"][0] > 0.5 * (os.cpu_count() or 1)
    report["note"] = (
        "shared machine (load average above half the cores): figures are upper bounds"
        if busy
        else "quiet machine"
    )
    print(json.dumps(report))
    return 0 if report.get("errors") == 0 and report.get("ready_s") is not None else 1


if __name__ == "__main__":
    sys.exit(main())
