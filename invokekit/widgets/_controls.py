"""The input widgets of the generation panel, and which workflow parameter each one sets.

A workflow built in InvokeAI's editor exposes only some of these knobs; a control is shown
enabled only when the workflow accepts its parameter (checked by setting it on a copy), so the
panel never sends a value the workflow would silently ignore.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from invokekit.errors import WorkflowError

#: InvokeAI's largest seed (noise seeds are unsigned 32-bit)
MAX_SEED = 2**32 - 1
_WIDE = widgets.Layout(width="420px")
_NARROW = widgets.Layout(width="200px")


@dataclass
class Control:
    """One input widget bound to the workflow parameter it sets (``param`` None: not in this workflow)."""

    key: str
    widget: widgets.ValueWidget
    candidates: tuple[str, ...]
    param: str | None = None


def accepts(workflow: Any, name: str, value: Any) -> bool:
    """Whether ``workflow.set(name=value)`` works, tried on a copy so the workflow is untouched."""
    try:
        workflow.copy().set(**{name: value})
    except (WorkflowError, KeyError, TypeError, ValueError):
        return False
    return True


def current_values(workflow: Any) -> dict[str, Any]:
    """The workflow's own values by friendly name (alias), to start the controls from them.

    Only settable places count (an input fed by an edge shows a placeholder, not the value used),
    and aliases win over labels: "Positive Prompt" may label several inputs, the alias only one.
    """
    params = [p for p in getattr(workflow, "parameters", []) or [] if getattr(p, "settable", True)]
    values: dict[str, Any] = {}
    for param in params:
        for alias in getattr(param, "aliases", ()) or ():
            if param.value is not None:
                values.setdefault(str(alias), param.value)
    for param in params:
        for attr in ("name", "label"):
            name = getattr(param, attr, None)
            if isinstance(name, str) and param.value is not None:
                values.setdefault(name.lower().replace(" ", "_"), param.value)
    return values


def _dropdown(options: Sequence[str], value: Any, description: str) -> widgets.Dropdown:
    choices = list(options)
    if isinstance(value, dict):
        value = value.get("name")
    if value is not None and str(value) not in choices:
        choices.insert(0, str(value))
    return widgets.Dropdown(
        options=choices,
        value=(str(value) if value is not None else (choices[0] if choices else None)),
        description=description,
        layout=_WIDE,
    )


def build_controls(
    workflow: Any, *, schedulers: Sequence[str], main_models: Sequence[str], vae_models: Sequence[str]
) -> dict[str, Control]:
    """Create every control, started from the workflow's values, and bind those it accepts."""
    now = current_values(workflow)

    def get(*names: str, default: Any = None) -> Any:
        return next((now[n] for n in names if now.get(n) is not None), default)

    def number(value: Any, default: float) -> float:
        return value if isinstance(value, int | float) and not isinstance(value, bool) else default

    controls = {
        "positive_prompt": Control(
            "positive_prompt",
            widgets.Textarea(
                value=str(get("positive_prompt", "prompt", default="")),
                description="Prompt",
                placeholder="what to draw",
                layout=widgets.Layout(width="420px", height="64px"),
            ),
            ("positive_prompt", "prompt"),
        ),
        "negative_prompt": Control(
            "negative_prompt",
            widgets.Textarea(
                value=str(get("negative_prompt", default="")),
                description="Negative",
                layout=widgets.Layout(width="420px", height="40px"),
            ),
            ("negative_prompt",),
        ),
        "width": Control(
            "width",
            widgets.BoundedIntText(
                value=int(number(get("width"), 256)),
                min=8,
                max=4096,
                step=8,
                description="Width",
                layout=_NARROW,
            ),
            ("width",),
        ),
        "height": Control(
            "height",
            widgets.BoundedIntText(
                value=int(number(get("height"), 256)),
                min=8,
                max=4096,
                step=8,
                description="Height",
                layout=_NARROW,
            ),
            ("height",),
        ),
        "steps": Control(
            "steps",
            widgets.IntText(  # not bounded: 0 steps is refused visibly, never clamped to 1
                value=int(number(get("steps"), 4)),
                description="Steps",
                layout=_NARROW,
            ),
            ("steps",),
        ),
        "cfg_scale": Control(
            "cfg_scale",
            widgets.BoundedFloatText(
                value=float(number(get("cfg_scale"), 6.0)),
                min=1.0,
                max=40.0,
                step=0.5,
                description="CFG scale",
                layout=_NARROW,
            ),
            ("cfg_scale",),
        ),
        "scheduler": Control("scheduler", _dropdown(schedulers, get("scheduler"), "Scheduler"), ("scheduler",)),
        "seed": Control(
            "seed",
            widgets.BoundedIntText(
                value=int(number(get("seed"), 0)),
                min=0,
                max=MAX_SEED,
                description="Seed",
                layout=_NARROW,
            ),
            ("seed",),
        ),
        "model": Control("model", _dropdown(main_models, get("model"), "Model"), ("model",)),
        "vae": Control("vae", _dropdown(vae_models, get("vae", "vae_model"), "VAE"), ("vae", "vae_model")),
    }
    unmet = unmet_model_fields(workflow, controls)
    for control in controls.values():
        probe = control.widget.value
        for name in control.candidates:
            if probe is not None and accepts(workflow, name, probe):
                control.param = name
                break
        control.widget.disabled = control.param is None
        if control.param is None:
            missing = control.key in unmet
            control.widget.tooltip = (
                "no fitting model on the server" if missing else "this workflow has no such parameter"
            )
    return controls


def unmet_model_fields(workflow: Any, controls: dict[str, Control]) -> list[str]:
    """The model knobs (``model``, ``vae``) the workflow has but the server has no fitting model for."""
    aliases = {a for p in getattr(workflow, "parameters", []) or [] for a in (getattr(p, "aliases", ()) or ())}
    return [
        key
        for key in ("model", "vae")
        if key in controls and key in aliases and not list(getattr(controls[key].widget, "options", ()))
    ]


def seed_is_random(workflow: Any) -> bool:
    """Whether the workflow draws its seed from a random node (then the panel's "random" starts on)."""
    params = getattr(workflow, "parameters", []) or []
    seeds = [p for p in params if "seed" in (getattr(p, "aliases", ()) or ())]
    return not seeds or any(getattr(p, "random", False) for p in seeds)


def random_seed() -> int:
    return random.randint(0, MAX_SEED)


def values_to_set(controls: dict[str, Control]) -> dict[str, Any]:
    """The ``workflow.set(**values)`` arguments for every bound control (empty prompts included)."""
    return {c.param: c.widget.value for c in controls.values() if c.param is not None and c.widget.value is not None}
