"""A job's results as an X/Y/Z grid (explore's :func:`~invokekit.explore.make_grid`).

Each cell is one queue item: the values that made it (``ItemResult.values``), its first output
image (the downloaded file when there is one, else fetched from the server) and its status, so a
failed item shows as a marked cell. Axes default to the swept names (cheap ones innermost).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from PIL import Image

from invokekit.explore import Grid, GridCell, grid_axes, make_grid

if TYPE_CHECKING:
    from invokekit.client._job import Job


def job_grid(job: Job, x: str | None = None, y: str | None = None, z: str | None = None, *,
             title: str | None = None, cell_size: int | tuple[int, int] | None = None) -> Grid:
    """The grid of ``job``'s results (waits for them first); see :meth:`Job.grid`."""
    results = job.results if job.results is not None else job.wait()
    if x is None:
        x, y, z = grid_axes(job.swept)
    cells = []
    for result in results:
        image: Image.Image | str | None = None
        if result.images:
            ref = result.images[0]
            if ref.path is not None:
                image = str(ref.path)
            else:
                image = Image.open(io.BytesIO(job.client.images.full(ref.image_name)))
        cells.append(GridCell(values=result.values, image=image, status=result.status))
    return make_grid(cells, x, y, z, title=title if title is not None else f"batch {job.batch_id[:8]}",
                     cell_size=cell_size)


__all__ = ["job_grid"]
