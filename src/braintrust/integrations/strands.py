"""``braintrust.integrations.strands``: Strands Agents (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from .._strands import setup_strands
from ._base import Integration, traced

__all__ = ["StrandsIntegration", "setup_strands", "wrap_strands_tracer"]


class StrandsIntegration(Integration):
    """Strands' tracing: ``StrandsIntegration.setup()`` turns it on."""

    name = "strands"


def wrap_strands_tracer(Tracer: Any) -> Any:
    """Traces Strands' spans and returns ``Tracer`` (Strands' tracer class, or a tracer).

    Strands makes OTel spans itself, through one tracer every agent shares,
    and our rows are those spans; this turns our Strands instrumentation on
    (its spans reach Braintrust, for every agent: muting them is the only
    switch, and it is process-wide) and leaves the tracer as it is.
    """
    return traced("strands", Tracer)
