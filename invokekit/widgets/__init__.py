"""Jupyter widgets for invokekit: an interactive generation panel for a loaded workflow.

Needs the ``notebooks`` extra (ipywidgets). Import cost is kept out of ``import invokekit``.
"""

from invokekit.widgets._panel import MONITORS, GenerationPanel

__all__ = ["MONITORS", "GenerationPanel"]
