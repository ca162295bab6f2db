"""Workflows from InvokeAI's editor: load, inspect and set parameters, convert to the API graph
exactly as InvokeAI's UI does, and check the result against the server before sending it.

>>> wf = Workflow.load("Text to Image - SDXL.json").set(positive_prompt="a lighthouse", seed=3)
>>> batch = wf.to_batch(context=client.context(), sweep={"seed": [1, 2, 3]})
"""

from invokekit.workflow._context import ServerContext
from invokekit.workflow._load import SUPPORTED_VERSIONS
from invokekit.workflow._loading import LoadNote, LoadReport
from invokekit.workflow._params import Parameter
from invokekit.workflow._workflow import Workflow

__all__ = ["SUPPORTED_VERSIONS", "LoadNote", "LoadReport", "Parameter", "ServerContext", "Workflow"]
