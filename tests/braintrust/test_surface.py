"""Our public surface against the official SDK's (braintrust 0.48.1).

The official names, members and parameter lists are data in
``tests/data/official_surface.json``, recorded from the official package in
its own virtualenv by ``scripts/record_official_surface.py`` (its docstring
states which names count as public). This test fails when:

- an official name, class member or parameter is missing here and is not
  listed below as a known gap or as an official internal;
- a listed gap now exists (remove it from the list: the list only shrinks);
- a listed internal is no longer in the recording (the list stays honest).

Parameters are compared by name, by position for positional-or-keyword
parameters, and by whether they may be omitted. Left out by rule: ``self``
and ``cls``; parameters starting with ``_`` (private by the official SDK's own
convention); ``state`` (it takes the official SDK's internal
``BraintrustState``); and ``*args`` / ``**kwargs`` of the official function
(we may accept fewer catch-alls). Extra parameters here are fine when they
may be omitted.

Deprecated official names stay in the check (the recording marks them
``deprecated``): code written against 0.48.1 still calls ``braintrust.log``,
``summarize`` and ``close``, and they must keep working until the official
SDK drops them.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import pytest

# The recording lives in tests/data/, beside the shared helpers.
SURFACE_JSON = Path(__file__).resolve().parents[1] / "data" / "official_surface.json"
DATA = json.loads(SURFACE_JSON.read_text())

# -- Official internals: names that pass the recording's mechanical rule but are
# implementation helpers of the official SDK, exported only because its
# ``braintrust.logger`` (and ``framework``) have no ``__all__`` and the package
# does ``from .logger import *``. None is in its documentation's API reference as
# something to call; we do not offer them.
OFFICIAL_INTERNALS = {
    # connection and process state
    "BraintrustState", "HTTPConnection", "api_conn", "app_conn", "proxy_conn", "org_id",
    "user_info", "login_to_state", "global_", "LogQueue", "RetryRequestExceptionsAdapter",
    "is_retryable_request_exception", "normalize_proxy_url", "BraintrustClient",
    "BraintrustOpenApiClient", "LoginResult", "OrganizationInfo", "BraintrustEnv",
    "resolve_app_url", "resolve_org_name", "register_otel_flush",
    # wire encoding and row batching
    "construct_json_array", "construct_logs3_data", "construct_logs3_overflow_request",
    "pick_logs3_overflow_object_ids", "Logs3OverflowInputRow", "LogItemWithMeta",
    "split_logging_data", "stringify_with_overflow_meta", "utf8_byte_length",
    "merge_row_batch", "merge_row_batch_waves", "batch_items", "bt_dumps",
    "bt_safe_deep_copy", "prettify_xact", "SpanComponentsV3", "SpanComponentsV4",
    "SpanObjectTypeV3", "span_components_to_object_id", "ensure_dataset_record",
    "add_azure_blob_headers", "ExperimentIdentifier", "DatasetRef", "ParametersRef",
    "ObjectMetadata", "OrgProjectMetadata", "ProjectDatasetMetadata",
    "ProjectExperimentMetadata", "ParentSpanIds", "SpanIds", "AttachmentMetadata",
    "ExperimentDatasetEvent", "AuditResource", "parse_audit_resources",
    # general utilities of its own code base
    "LazyValue", "coalesce", "encode_uri_component", "merge_dicts", "eprint",
    "get_caller_location", "get_signature", "mask_api_key", "response_raise_for_status",
    "bt_iscoroutinefunction", "MarkAsyncWrapper", "stringify_exception", "validate_tags",
    "bcolors", "SerializableDataClass", "log_exc_info_to_span", "ProjectIdCache",
    "DiskCache", "LRUCache", "PromptCache", "ParametersCache", "get_past_n_ancestors",
    "get_repo_info", "render_message", "render_mustache", "render_prompt_params",
    "render_templated_object", "detect_environment", "merge_span_origin_context",
    "SpanOriginEnvironment", "get_default_data_from_parameters_schema",
    "parameters_to_json_schema", "PropagatedState", "merge_baggage", "parse_baggage",
    "format_traceparent", "parse_traceparent", "get_header",
    # implementation classes behind the public ones (users get them from init_*)
    "SpanImpl", "SpanInternalOptions", "ObjectFetcher", "ObjectIterator",
    # its docstring says it is "mainly for internal use" (the parent resolution order)
    "get_span_parent_object",
    "ExperimentDatasetIterator", "Exportable", "BaseAttachment",
    # the eval runner's own helpers (braintrust.framework)
    "EvalThreadPoolSingleton", "ResourceManager", "await_or_run", "build_local_summary",
    "call_user_fn", "deserialize_plain_string_as_json", "evaluate_filter",
    "is_classification", "is_eval_parameter_schema", "is_score", "is_scorer",
    "parse_filters", "pluralize", "report_evaluator_result", "report_failures",
    "run_evaluator", "serialize_json_with_plain_string", "validate_parameters",
    "TaskProgressEvent", "SSEProgressEvent", "EvaluatorFile", "EvaluatorInstance",
    "DictEvalHooks", "EvalCaseDict", "EvalCaseDictNoOutput", "ClassificationItem",
    "AsyncScorerLike", "SyncScorerLike", "ScoreLike", "default_error_score_handler",
    "Filter",
}

# -- Known gaps: public in the official SDK, missing here. Remove an entry when it
# lands (the test fails until you do). Grouped by feature.
KNOWN_GAPS: set[str] = {
    # The AI SDK is traced by its instrumentor (setup_ai_sdk), not through an adapter
    # object the caller hands to ``experimental_telemetry``.
    "braintrust.integrations.ai_sdk:BraintrustAISDKAdapter",
    # Harbor (an agent benchmark runner) and the official pytest plugin are not offered.
    "braintrust.integrations.harbor", "braintrust.integrations.harbor:HarborPlugin",
    "braintrust.integrations.harbor:backfill_job", "braintrust.wrappers.pytest_plugin",
}


def _key(module: str, name: str) -> str:
    """A name's gap key: bare for the core modules, ``module:name`` for the
    per-library ones (``wrap_agent`` is in several of them)."""
    if module.startswith(("braintrust.integrations", "braintrust.wrappers")):
        return f"{module}:{name}"
    return name


def _ours(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None  # every name of it counts as missing


def _param_problems(qualname: str, official: list[list[Any]] | None, ours: Any) -> set[str]:
    """Gap keys ``qualname(param)`` for each official parameter ours lacks or treats differently."""
    if official is None:
        return set()
    try:
        sig = inspect.signature(ours)
    except (TypeError, ValueError):
        return {f"{qualname}(signature)"}
    mine = list(sig.parameters.values())
    if mine and mine[0].name in ("self", "cls"):
        mine = mine[1:]
    by_name = {p.name: p for p in mine}
    positional = [p.name for p in mine if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    problems: set[str] = set()
    theirs = [p for p in official if p[0] not in ("self", "cls")]
    their_positional = [p[0] for p in theirs
                        if p[1] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")]
    for name, kind, has_default in theirs:
        if kind in ("VAR_POSITIONAL", "VAR_KEYWORD") or name.startswith("_") or name == "state":
            continue
        if kind == "POSITIONAL_ONLY":
            index = their_positional.index(name)
            if index >= len(positional):
                problems.add(f"{qualname}({name})")
            continue
        param = by_name.get(name)
        if param is None or param.kind in (param.POSITIONAL_ONLY, param.VAR_KEYWORD):
            problems.add(f"{qualname}({name})")
            continue
        if kind == "POSITIONAL_OR_KEYWORD":
            index = their_positional.index(name)
            if index >= len(positional) or positional[index] != name:
                problems.add(f"{qualname}({name}: position)")
        if has_default and param.default is inspect.Parameter.empty:
            problems.add(f"{qualname}({name}: required)")
    official_names = {p[0] for p in theirs}
    for p in mine:
        required = p.default is inspect.Parameter.empty and p.kind not in (
            p.VAR_POSITIONAL, p.VAR_KEYWORD)
        if required and p.name not in official_names:
            problems.add(f"{qualname}(+{p.name}: required)")
    return problems


def _instance_attributes(cls: type) -> set[str]:
    """Attributes instances get in ``__init__`` (``self.name = ...``), dataclass fields,
    and class-level annotations, along the MRO of our class."""
    import re

    names: set[str] = set(getattr(cls, "__dataclass_fields__", {}))
    for klass in cls.__mro__:
        names |= set(vars(klass).get("__annotations__", {}))
        init = vars(klass).get("__init__")
        if init is None:
            continue
        try:
            source = inspect.getsource(init)
        except (OSError, TypeError):
            continue
        names |= set(re.findall(r"self\.([A-Za-z]\w*)\s*(?::[^=\n]+)?=", source))
    return names


def _surface_problems() -> set[str]:
    """Gap keys for every official name, member or parameter missing here."""
    missing: set[str] = set()
    for module, names in DATA["modules"].items():
        ours = _ours(module)
        if ours is None:
            missing.add(module)
        for name, entry in names.items():
            if name in OFFICIAL_INTERNALS:
                continue
            key = _key(module, name)
            try:
                obj = getattr(ours, name, None)
            except ImportError:  # loads lazily and needs its library: listed is enough
                obj = name if name in getattr(ours, "__all__", ()) else None
            if obj is None:
                missing.add(key)
                continue
            if entry["kind"] == "function":
                missing |= _param_problems(key, entry.get("params"), obj)
    for dotted, members in DATA["classes"].items():
        module, _, cls_name = dotted.rpartition(".")
        cls = getattr(_ours(module), cls_name, None)
        if cls is None:
            continue  # reported above as a missing name
        for member, entry in members.items():
            key = f"{cls_name}.{member}"
            if entry["kind"] == "enum_member":
                if getattr(cls, member, None) is None:
                    missing.add(key)
                continue
            if not hasattr(cls, member) and member not in _instance_attributes(cls):
                missing.add(key)
                continue
            if entry["kind"] in ("method", "staticmethod", "classmethod"):
                missing |= _param_problems(key, entry.get("params"), getattr(cls, member))
    return missing


def test_official_surface_matches_ours_or_is_a_listed_gap() -> None:
    missing = _surface_problems()
    unlisted = sorted(missing - KNOWN_GAPS)
    assert not unlisted, (
        "official names/parameters missing here and not in KNOWN_GAPS "
        f"(implement them, or list them with a reason): {unlisted}"
    )


def test_known_gaps_are_still_gaps() -> None:
    missing = _surface_problems()
    closed = sorted(KNOWN_GAPS - missing)
    assert not closed, f"these gaps are closed now; remove them from KNOWN_GAPS: {closed}"


def test_official_internals_are_still_in_the_recording() -> None:
    recorded = {name for names in DATA["modules"].values() for name in names}
    stale = sorted(OFFICIAL_INTERNALS - recorded)
    assert not stale, f"no longer recorded; drop from OFFICIAL_INTERNALS: {stale}"
    assert not OFFICIAL_INTERNALS & KNOWN_GAPS


def test_recording_is_of_the_pinned_official_version() -> None:
    from tests.official_sdk import VERSION

    assert DATA["version"] == VERSION


@pytest.mark.parametrize("module", sorted(set(DATA["modules"]) - KNOWN_GAPS))
def test_module_path_imports(module: str) -> None:
    # Real code imports from these paths (from braintrust.logger import Span, ...).
    assert importlib.import_module(module).__name__ == module


def test_the_comparison_catches_missing_moved_and_required_parameters() -> None:
    official = [["self", "POSITIONAL_OR_KEYWORD", False], ["a", "POSITIONAL_OR_KEYWORD", False],
                ["b", "POSITIONAL_OR_KEYWORD", True], ["c", "KEYWORD_ONLY", True],
                ["kw", "VAR_KEYWORD", False], ["_private", "KEYWORD_ONLY", True]]

    def keyword_only_b(self: Any, a: Any, *, b: Any = 1) -> None: ...

    def required_b_and_extra(self: Any, a: Any, b: Any, c: Any = 1, *, d: Any) -> None: ...

    def same(self: Any, a: Any, b: Any = 1, *, c: Any = 2, e: Any = 3) -> None: ...

    assert _param_problems("f", official, keyword_only_b) == {"f(b: position)", "f(c)"}
    assert _param_problems("f", official, required_b_and_extra) == {"f(b: required)",
                                                                    "f(+d: required)"}
    assert _param_problems("f", official, same) == set()
