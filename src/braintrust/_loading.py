"""Loading a saved function by project and slug (or id): the part load_prompt and
load_parameters share, from checking the arguments to naming what was not found."""

from __future__ import annotations

from typing import Any, Optional

from braintrust_otel.api_errors import BraintrustAPIError, BraintrustHTTPError, with_detail
from braintrust_otel.backends import NotFound

from . import _state
from ._span import check_text

__all__ = ["load_saved"]


def load_saved(where: str, kind: str, lookup: str, *, project: Optional[str],
               slug: Optional[str], version: Any, project_id: Optional[str],
               id: Optional[str], environment: Optional[str], app_url: Optional[str],
               api_key: Optional[str], org_name: Optional[str],
               function_type: Optional[str] = None) -> dict[str, Any]:
    """Finds one saved function through the backend, as the loaders' arguments name it.

    Args:
        where: The caller, for messages (``load_prompt()``).
        kind: What is loaded, for messages (``prompt``).
        lookup: The backend operation (``find_prompt`` or ``find_function``).
        project, slug, version, project_id, id, environment: What to load;
            ``version`` wins over ``environment``.
        app_url, api_key, org_name: As for :func:`braintrust.login`.
        function_type: When given, a function whose ``function_data.type``
            differs counts as not found.

    Returns:
        The saved function.

    Raises:
        TypeError: When a name is not a str.
        ValueError: When the arguments name nothing, or nothing matches (the
            message names what).
        BraintrustAPIError: The service's failure, as it came (also a ValueError).
    """
    for arg, value in (("project", project), ("slug", slug), ("project_id", project_id),
                       ("id", id)):
        check_text(value, arg, where)
    if id is None and not slug:
        raise ValueError(f"{where}: pass slug= (with project= or project_id=) or id=")
    if id is None and not (project or project_id):
        raise ValueError(f"{where}: pass project= or project_id= with slug=")
    from ._logger import _connect

    _connect(api_key, app_url, org_name, False)
    what = f"{kind} {slug!r} in project {project_id or project!r}" if id is None \
        else f"{kind} id {id!r}"
    if version is not None:
        what += f" at version {version}"
    try:
        found = getattr(_state.backend(), lookup)(
            project=None if project_id else project, project_id=project_id, slug=slug, id=id,
            version=str(version) if version is not None else None,
            environment=environment if version is None else None)
    except NotFound as exc:
        raise ValueError(f"{where}: {exc}") from None
    except BraintrustHTTPError as exc:
        # The service's answer, as the official SDK raises it; a 404 also says what.
        if exc.status_code == 404:
            raise with_detail(exc, f"{where}: no {what}") from None
        raise
    except BraintrustAPIError:
        raise
    except Exception as exc:
        raise ValueError(f"{where}: could not load {what}: {exc}") from None
    if found is None or (function_type is not None and
                         (found.get("function_data") or {}).get("type") != function_type):
        raise ValueError(f"{where}: no {what}")
    return dict(found)
