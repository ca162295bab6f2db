"""Talking to an InvokeAI server: one transport, a small client with namespaces, job handles."""

from invokekit.api._transport import DEFAULT_URL, Transport
from invokekit.client._client import Client
from invokekit.client._dbpath import ServerDatabase
from invokekit.client._env import server_url
from invokekit.client._job import Job
from invokekit.results import ImageRef, ItemResult

__all__ = ["DEFAULT_URL", "Client", "ImageRef", "ItemResult", "Job", "ServerDatabase", "Transport", "server_url"]
