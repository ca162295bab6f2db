"""pytest plugin (registered as the ``invokekit`` entry point): fixtures for a real InvokeAI."""
