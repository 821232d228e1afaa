"""``braintrust.integrations.<library>``: the official SDK's per-library module paths.

Each module offers the names the official SDK 0.48.1 exports there (setup
functions, the ``<Library>Integration`` classes, handlers and ``wrap_*``
helpers), backed by this package's OTel instrumentors.
"""
