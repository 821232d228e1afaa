"""Integrations the official SDK ships under ``braintrust.contrib``."""
