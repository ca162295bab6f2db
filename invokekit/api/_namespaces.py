"""Where the namespaces lived before they were split by resource; kept so imports of this module
keep working. New code imports them from :mod:`invokekit.api`."""

from invokekit.api._boards import Boards
from invokekit.api._media import Images
from invokekit.api._models import Models
from invokekit.api._queue import Queue
from invokekit.api._workflows import Workflows

__all__ = ["Boards", "Images", "Models", "Queue", "Workflows"]
