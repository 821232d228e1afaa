"""Which experiment another one is compared to, and the endpoint that answers it.

The hosted service compares an experiment with its stored base experiment
(``base_exp_id``), else with the newest experiment of the same project created
before it. The summary endpoint and ``/api/base_experiment/get_id`` (what
``Experiment.fetch_base_experiment`` and ``BaseExperiment()`` ask) both use it.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from ._body import read_body
from ._http import HTTPError, error, object_body, required_str

__all__ = ["base_experiment", "compare_routes"]


def base_experiment(store: Store, experiment: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The experiment ``experiment`` is compared with by default, or None.

    Args:
        store: The store holding both.
        experiment: The experiment, as the store returns it.

    Returns:
        Its stored base experiment when that still exists, else the newest
        experiment of its project created before it, else None.
    """
    base_id = experiment.get("base_exp_id")
    if isinstance(base_id, str) and base_id != experiment["id"]:
        found = store.find_experiment(id=base_id)
        if found is not None:
            return found
    earlier = [e for e in store.experiments(experiment["project_id"])
               if e["seq"] < experiment["seq"]]
    return earlier[-1] if earlier else None


def compare_routes(store: Store) -> list[Route]:
    """The base-experiment lookup over ``store``."""

    async def get_id(request: Request) -> Response:
        raw = await read_body(request)
        try:
            body = object_body(json.loads(raw) if raw else {})
        except ValueError:
            raise HTTPError(400, "body is not valid JSON") from None
        exp = store.find_experiment(id=required_str(body, "id"))
        if exp is None:
            return error(404, "no such experiment")
        base = base_experiment(store, exp)
        if base is None:
            # 400 is how the service says "no base experiment" (the SDK expects it).
            return error(400, "the experiment has no base experiment")
        return JSONResponse({"base_exp_id": base["id"], "base_exp_name": base["name"],
                             "base_exp_project_id": base["project_id"]})

    return [Route("/api/base_experiment/get_id", get_id, methods=["POST"])]
