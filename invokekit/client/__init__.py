"""Talking to an InvokeAI server: one transport, a small client with namespaces, job handles."""

from invokekit.client._transport import DEFAULT_URL, Transport

__all__ = ["DEFAULT_URL", "Transport"]
