"""One sweep over several InvokeAI servers, balanced by pulling, nothing lost or doubled.

>>> with Pool(["http://127.0.0.1:9090", "http://10.0.0.7:9090"]) as pool:   # doctest: +SKIP
...     job = pool.submit("wf.json", sweep={"seed": "1-48"}, out_dir="out")
...     for r in job.as_completed():
...         print(r.server, r.values["seed"], r.images[0].path)
...     print(job.timings.table())

For one box with several GPUs, one server with InvokeAI's ``generation_devices`` and one batch
is the better tool; a pool is for several servers (see the README, "Several servers").
"""

from invokekit.pool._job import PoolJob
from invokekit.pool._pool import Pool, ServerSkipped, Strategy, read_servers
from invokekit.pool._timings import PoolEvent, PoolTimings, ServerTimings

__all__ = ["Pool", "PoolEvent", "PoolJob", "PoolTimings", "ServerSkipped", "ServerTimings", "Strategy", "read_servers"]
