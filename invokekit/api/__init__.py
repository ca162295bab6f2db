"""The bottom of the house: HTTP to one InvokeAI server. The transport, typed errors built from
responses, and every endpoint the package uses, as a method of a namespace. Nothing above this
package builds a URL."""

from invokekit.api._namespaces import Boards, Images, Models, Queue, Workflows
from invokekit.api._transport import DEFAULT_URL, Transport, error_from_response

__all__ = ["DEFAULT_URL", "Boards", "Images", "Models", "Queue", "Transport", "Workflows", "error_from_response"]
