"""The other Python clients of InvokeAI, measured beside invokekit on the same graph, job by job.

Each client runs in a process of its own (so its CPU time is its own), driven over stdin/stdout
by one JSON line per job: ``{"batch": ..., "out": folder, "output_node": id}`` in, timestamps out
(``t0`` before submitting, ``returned`` when its wait returned, ``png`` when the file was written,
``cpu`` the process's CPU seconds from submitting to 0.3 s after the job returned, so what a client
still does for it (events arriving late) counts, while another client's job, whose events a socket
subscriber also receives, does not; ``item_ids``). The peers are installed from PyPI
into venvs of their own under the invokekit cache (``bench-peers/<name>``), once. invokekit runs
in the benchmark's own interpreter. Every driver keeps its compiled modules (under
``bench-peers/pycache``) as installed packages do, even where ``PYTHONDONTWRITEBYTECODE`` is set:
a new process's import time is then what users see.

What each peer needs to run the graph is said in :data:`WORKAROUNDS` (and in ``summary.md``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from invokekit.workflow import Batch

#: the peers, pinned: the versions the comparison was written against
PEERS: dict[str, str] = {"invokeai-python": "0.6.2", "invokeai-py-client": "1.1.1"}

WORKAROUNDS: dict[str, str] = {
    "invokekit": "none: Client.submit(batch), Job.as_completed(out_dir) (default monitor)",
    "invokeai-python": "its enqueue answer model drops item_ids, so the batch is posted with its own "
    "post_async and the raw answer kept; Invoke.wait_batch (batch status every 0.1 s); the image "
    "name from the item's session; ImagesApi.get_full",
    "invokeai-py-client": "its workflow path builds its own graph, so the same graph is posted through "
    "its session (_make_request); JobHandle.wait_for_completion(poll_interval=0.1; default 1 s); "
    "the image name from the item's session; BoardHandle.download_image",
}

_COMMON = r"""
import json, os, sys, time
def session_image(item, node):
    session = item["session"]
    prepared = session["source_prepared_mapping"][node][0]
    return session["results"][prepared]["image"]["image_name"]
def reply(**data):
    sys.stdout.write(json.dumps(data) + "\n"); sys.stdout.flush()
TAIL = 0.3  # seconds after a job: events still arriving for it count, another client's job does not
def job_cpu(cpu0):
    time.sleep(TAIL)
    return time.process_time() - cpu0
"""

DRIVERS: dict[str, str] = {
    "invokekit": _COMMON + r"""
began = time.perf_counter()
from invokekit import Client
client = Client(sys.argv[1])
reply(ready=True, import_client_ms=(time.perf_counter() - began) * 1000)
for line in sys.stdin:
    cmd = json.loads(line)
    cpu0, requests0, t0 = time.process_time(), client.transport.requests_sent, time.time()
    job = client.submit(cmd["batch"])
    pngs = [time.time() for _ in job.as_completed(cmd["out"])]
    seen = [job.last_updates[i].seen_at for i in job.item_ids]
    reply(t0=t0, returned=max(seen), png=max(pngs), pngs=pngs, cpu=job_cpu(cpu0),
          requests=client.transport.requests_sent - requests0, item_ids=job.item_ids,
          connections=client.events.opened)
""",
    "invokeai-python": _COMMON + r"""
import asyncio
began = time.perf_counter()
from invoke import Invoke
from invoke.api.queue.schema import EnqueueBatch
async def main():
    invoke = Invoke(sys.argv[1])
    reply(ready=True, import_client_ms=(time.perf_counter() - began) * 1000)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        cmd = json.loads(line)
        cpu0, t0 = time.process_time(), time.time()
        raw = await invoke.queue.post_async("queue/default/enqueue_batch", 1, {"batch": cmd["batch"]})
        await invoke.wait_batch(EnqueueBatch.model_validate(raw))
        returned = time.time()
        item_id = raw["item_ids"][0]
        item = await invoke.queue.get_async(f"queue/default/i/{item_id}", 1)
        data = await invoke.images.get_full(session_image(item, cmd["output_node"]))
        with open(os.path.join(cmd["out"], f"{item_id}.png"), "wb") as fh:
            fh.write(data)
        png = time.time()
        await asyncio.sleep(TAIL)  # the same tail, without blocking its event loop
        reply(t0=t0, returned=returned, png=png, cpu=time.process_time() - cpu0, item_ids=[item_id])
    await invoke.close()
asyncio.run(main())
""",
    "invokeai-py-client": _COMMON + r"""
began = time.perf_counter()
from invokeai_py_client import InvokeAIClient
from invokeai_py_client.queue.job_handle import JobHandle
client = InvokeAIClient.from_url(sys.argv[1])
board = client.board_repo.get_uncategorized_handle()
reply(ready=True, import_client_ms=(time.perf_counter() - began) * 1000)
for line in sys.stdin:
    cmd = json.loads(line)
    cpu0, t0 = time.process_time(), time.time()
    answer = client._make_request("POST", "/queue/default/enqueue_batch", json={"batch": cmd["batch"]}).json()
    item_id = answer["item_ids"][0]
    JobHandle.from_client_ids(client, "default", item_id).wait_for_completion(timeout=300, poll_interval=0.1)
    returned = time.time()
    item = client._make_request("GET", f"/queue/default/i/{item_id}").json()
    data = board.download_image(session_image(item, cmd["output_node"]))
    with open(os.path.join(cmd["out"], f"{item_id}.png"), "wb") as fh:
        fh.write(data)
    reply(t0=t0, returned=returned, png=time.time(), cpu=job_cpu(cpu0), item_ids=[item_id])
""",
}


def peers_folder() -> Path:
    from invokekit.sandbox._layout import default_cache_dir

    return default_cache_dir() / "bench-peers"


def peer_python(name: str) -> Path:
    """The interpreter of ``name``'s venv, created and installed from PyPI on first use."""
    if name == "invokekit":
        return Path(sys.executable)
    venv = peers_folder() / name
    python = venv / "bin" / "python"
    marker = venv / f".installed-{PEERS[name]}"
    if not marker.exists():
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"{name}=={PEERS[name]}"], check=True)
        marker.touch()
    return python


class Driver:
    """One client's process; :meth:`job` runs one batch and returns its timestamps."""

    def __init__(self, name: str, url: str) -> None:
        import invokekit

        self.name = name
        env = dict(os.environ)
        # compiled modules are kept, as an installed package has them (pip compiles at install), but
        # in a folder of the benchmark's own: a checkout or a venv is never written to
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(peers_folder() / "pycache")
        if name == "invokekit":  # the very package the benchmark runs
            env["PYTHONPATH"] = os.pathsep.join([str(Path(invokekit.__file__).parents[1]), env.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen([str(peer_python(name)), "-c", DRIVERS[name], url], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} driver ended (exit status {self.proc.wait()})")
        return dict(json.loads(line))

    def job(self, batch: Batch | dict[str, Any], out: str | Path, output_node: str) -> dict[str, Any]:
        """Run ``batch`` (the same enqueue-request batch for every client) and return the reply."""
        assert self.proc.stdin is not None
        body = batch.to_dict() if isinstance(batch, Batch) else batch
        self.proc.stdin.write(json.dumps({"batch": body, "out": str(out), "output_node": output_node}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


__all__ = ["DRIVERS", "PEERS", "WORKAROUNDS", "Driver", "peer_python", "peers_folder"]
