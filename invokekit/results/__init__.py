"""What a run leaves behind: each item's outputs, the downloaded files, the stage timings and the
run journal that lets a crashed process finish its work."""

from invokekit.results._download import check_image_name, download_image, download_result, download_results
from invokekit.results._journal import Journal
from invokekit.results._journal_read import JournalEntry, StoredFile, read_journal
from invokekit.results._outputs import ImageRef, ItemResult, default_output_nodes, item_result
from invokekit.results._sidecar import sidecar_path, sidecar_record, write_sidecar
from invokekit.results._timing import ItemTiming, Timings, parse_server_time

__all__ = [
    "ImageRef",
    "ItemResult",
    "ItemTiming",
    "Journal",
    "JournalEntry",
    "StoredFile",
    "Timings",
    "check_image_name",
    "default_output_nodes",
    "download_image",
    "download_result",
    "download_results",
    "item_result",
    "parse_server_time",
    "read_journal",
    "sidecar_path",
    "sidecar_record",
    "write_sidecar",
]
