"""Workflows from InvokeAI's editor: load, inspect and set parameters, convert to the API graph
exactly as InvokeAI's UI does, and check the result against the server before sending it.

>>> wf = Workflow.load("Text to Image - SDXL.json").set(positive_prompt="a lighthouse", seed=3)
>>> batch = Batch.of(wf, context=client.context(), sweep={"seed": [1, 2, 3]})
>>> batch.check()  # PreflightError listing every problem, if there is any

:class:`Batch` is what is sent: built once from a Workflow, an API graph, a batch or an enqueue
request body.
"""

from invokekit.workflow._api_json import ApiGraph, BatchDatum, graph_output_nodes
from invokekit.workflow._batch import Batch
from invokekit.workflow._context import ServerContext
from invokekit.workflow._load import SUPPORTED_VERSIONS
from invokekit.workflow._loading import LoadNote, LoadReport
from invokekit.workflow._params import Parameter
from invokekit.workflow._workflow import Workflow

__all__ = ["SUPPORTED_VERSIONS", "ApiGraph", "Batch", "BatchDatum", "LoadNote", "LoadReport", "Parameter",
           "ServerContext", "Workflow", "graph_output_nodes"]
