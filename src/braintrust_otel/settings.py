"""Every environment variable braintrust reads, parsed in one place.

:func:`get_settings` returns a frozen :class:`Settings` with one typed field
per variable in :data:`VARIABLES` (the README's "Configuration" table is
checked against that list). Precedence everywhere is: an explicit argument,
then the variable, then the default.

Values are read when they are needed, not at import, since programs and
tests set variables after ``import braintrust``. Each :class:`Variable`
remembers the raw text it last parsed, so reading one again costs a single
environment lookup and never parses twice; code on a per-call path (the
default parent, content capture) reads its one variable through
:meth:`Variable.get`, code that builds an object reads :func:`get_settings`.

A value that does not parse (``BRAINTRUST_QUEUE_SIZE=abc``) never raises: it
is reported through :mod:`braintrust_otel.diagnostics`, naming the variable
and the value, and the default is used instead. Empty values count as unset.

Writes of other libraries' variables (``OTEL_TRACES_EXPORTER``,
``OTEL_SEMCONV_STABILITY_OPT_IN``, ``ANTHROPIC_OPEN_TELEMETRY``, ...) stay
where they configure those libraries (distro.py, instrumentation/).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Generic, Iterable, Mapping, Optional, TypeVar

from . import diagnostics
from ._parsers import (
    _at_least,
    _positive,
    _shown,
    parse_bool,
    parse_float,
    parse_int,
    parse_path,
    parse_store,
    parse_str,
)
from ._parsers import (
    _size as _size,
)

__all__ = ["VARIABLES", "Settings", "Variable", "get_settings", "parse_bool", "parse_float",
           "parse_int", "parse_path", "parse_store", "parse_str"]

T = TypeVar("T")


class Variable(Generic[T]):
    """One environment variable: its name, parser, default and meaning.

    Args:
        name: The variable, for example ``BRAINTRUST_QUEUE_SIZE``.
        parse: Turns the (stripped, non-empty) text into a value; raises
            ValueError for text it does not accept.
        default: The value when the variable is unset, empty or invalid.
        doc: What it means (the README table's text).
        shown: How the README shows the default, when it is not the literal
            default (computed defaults, sizes).
    """

    __slots__ = ("_cache", "default", "doc", "field", "name", "parse", "shown")

    def __init__(self, name: str, parse: Callable[[str], T], default: T, doc: str,
                 shown: Optional[str] = None) -> None:
        self.name = name
        self.field = name.removeprefix("BRAINTRUST_").lower()
        self.parse = parse
        self.default = default
        self.doc = doc
        self.shown = shown if shown is not None else ("" if default is None else _shown(default))
        self._cache: Optional[tuple[Optional[str], T]] = None

    def __repr__(self) -> str:
        return f"<Variable {self.name}>"

    def get(self) -> T:
        """The variable's current value: one environment lookup, parsed only
        when its text changed since the last call."""
        raw = os.environ.get(self.name)
        cache = self._cache
        if cache is not None and cache[0] == raw:
            return cache[1]
        value = self.value_of(raw)
        self._cache = (raw, value)
        return value

    def value_of(self, raw: Optional[str]) -> T:
        """The value for the text ``raw`` (None: unset); an invalid text is
        reported through diagnostics and gives the default. Never raises."""
        if raw is None:
            return self.default
        text = raw.strip()
        if not text:
            return self.default
        try:
            return self.parse(text)
        except Exception as exc:
            default = f"the default ({self.shown})" if self.shown else "no value"
            reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            diagnostics.report(f"config:{self.name}",
                               f"{self.name}={raw!r} is ignored ({reason}); using {default}")
            return self.default


_STORE_DEFAULT = ("`$XDG_DATA_HOME/braintrust/store.sqlite` (`~/.local/share/...`; "
                  "`~/Library/Application Support/...` on macOS; `%LOCALAPPDATA%` on Windows)")

LOCAL_STORE: Variable[Optional[str]] = Variable(
    "BRAINTRUST_LOCAL_STORE", parse_store, None,
    "path of the embedded store, or a `postgresql://` URL: the SDK (no API key) then logs "
    "straight into that database, the one a team's `braintrust serve --store` uses (needs "
    "the `postgres` extra)", _STORE_DEFAULT)
PARENT: Variable[Optional[str]] = Variable(
    "BRAINTRUST_PARENT", parse_str, None,
    "where spans with no logger go (`project_name:X`, `project_id:X`, `experiment_id:X`); "
    "without it, in a program using `braintrust` with no logger, wrapped and instrumented "
    "LLM calls are not recorded (other OTel spans, and everything under "
    "`opentelemetry-instrument`, go to the default)", "`project_name:default-otel-project`")
QUEUE_SIZE: Variable[int] = Variable(
    "BRAINTRUST_QUEUE_SIZE", _at_least(parse_int, 1), 20_000,
    "finished spans held in memory before producers wait (about 3 KB each)")
QUEUE_BLOCK_SECONDS: Variable[float] = Variable(
    "BRAINTRUST_QUEUE_BLOCK_SECONDS", _at_least(parse_float, 0.0), 10.0,
    "how long a producer waits for room before a span is dropped (counted, reported)")
MAX_GENERATOR_ITEMS: Variable[int] = Variable(
    "BRAINTRUST_MAX_GENERATOR_ITEMS", parse_int, 1000,
    "items of a traced generator kept as output (-1: all)")
API_KEY: Variable[Optional[str]] = Variable(
    "BRAINTRUST_API_KEY", parse_str, None,
    "the Braintrust API key; when set, rows go to the service")
APP_URL: Variable[Optional[str]] = Variable(
    "BRAINTRUST_APP_URL", parse_str, None,
    "where login happens, and the base of the links the SDK prints",
    "`https://www.braintrust.dev` with an API key; else `http://127.0.0.1:8000` "
    "(`braintrust serve`)")
APP_PUBLIC_URL: Variable[Optional[str]] = Variable(
    "BRAINTRUST_APP_PUBLIC_URL", parse_str, None,
    "the base of printed links, when it differs from `BRAINTRUST_APP_URL`",
    "`BRAINTRUST_APP_URL`")
API_URL: Variable[Optional[str]] = Variable(
    "BRAINTRUST_API_URL", parse_str, None,
    "the data API, instead of the one login returns", "from login")
PROXY_URL: Variable[Optional[str]] = Variable(
    "BRAINTRUST_PROXY_URL", parse_str, None,
    "where `invoke()` runs functions on the service", "the one login returns, else the API")
ORG_NAME: Variable[Optional[str]] = Variable(
    "BRAINTRUST_ORG_NAME", parse_str, None,
    "the organization, when the key belongs to several (and in links)",
    "the first; `local` without a key")
HTTP_TIMEOUT: Variable[float] = Variable(
    "BRAINTRUST_HTTP_TIMEOUT", _positive(parse_float), 60.0, "seconds per request")
NUM_RETRIES: Variable[int] = Variable(
    "BRAINTRUST_NUM_RETRIES", _at_least(parse_int, 0), 3,
    "retries per request after the first try")
DEFAULT_BATCH_SIZE: Variable[int] = Variable(
    "BRAINTRUST_DEFAULT_BATCH_SIZE", _at_least(parse_int, 1), 1000,
    "rows per `/logs3` request at most")
MAX_REQUEST_SIZE: Variable[Optional[int]] = Variable(
    "BRAINTRUST_MAX_REQUEST_SIZE", _at_least(parse_int, 1), None,
    "bytes per request at most (the server's limit wins if smaller)", _size(6 << 20))
SPOOL_DIR: Variable[Optional[Path]] = Variable(
    "BRAINTRUST_SPOOL_DIR", parse_path, None,
    "where undeliverable rows wait", "`spool/` beside the local store")
SPOOL_MAX_BYTES: Variable[int] = Variable(
    "BRAINTRUST_SPOOL_MAX_BYTES", _at_least(parse_int, 1), 1 << 30,
    "bound on the spool's size", _size(1 << 30))
EXIT_FLUSH_SECONDS: Variable[float] = Variable(
    "BRAINTRUST_EXIT_FLUSH_SECONDS", _at_least(parse_float, 0.0), 10.0,
    "how long exit and SIGTERM may spend delivering")
CAPTURE_CONTENT: Variable[bool] = Variable(
    "BRAINTRUST_CAPTURE_CONTENT", parse_bool, True,
    "record prompts and completions on LLM spans")
PROMPT_CACHE_DIR: Variable[Optional[Path]] = Variable(
    "BRAINTRUST_PROMPT_CACHE_DIR", parse_path, None,
    "where prompts loaded from the service are cached", "`~/.braintrust/prompt_cache`")
KEEP_FOREIGN_INSTRUMENTORS: Variable[bool] = Variable(
    "BRAINTRUST_KEEP_FOREIGN_INSTRUMENTORS", parse_bool, False,
    "with `opentelemetry-instrument`, also load other packages' instrumentors for "
    "libraries Braintrust instruments")
INSTRUMENT_THREADS: Variable[bool] = Variable(
    "BRAINTRUST_INSTRUMENT_THREADS", parse_bool, False,
    "at `import braintrust`, patch `threading.Thread` and `ThreadPoolExecutor` so work "
    "started in a span nests under it (`braintrust.wrappers.threads.setup_threads()` "
    "does it from code)")
ENVIRONMENT_TYPE: Variable[Optional[str]] = Variable(
    "BRAINTRUST_ENVIRONMENT_TYPE", parse_str, None,
    "recorded as `context.span_origin.environment.type` on every span (`ci`, `server`, "
    "`local`, ...); with neither this nor `_NAME`, detected from CI and hosting variables",
    "detected")
ENVIRONMENT_NAME: Variable[Optional[str]] = Variable(
    "BRAINTRUST_ENVIRONMENT_NAME", parse_str, None,
    "recorded as `context.span_origin.environment.name` (`github_actions`, `vercel`, ...)",
    "detected")
OPENAI_BASE_URL: Variable[Optional[str]] = Variable(
    "OPENAI_BASE_URL", parse_str, None,
    "the endpoint `invoke()` runs prompts against on the embedded store", "OpenAI's")
OPENAI_API_KEY: Variable[Optional[str]] = Variable(
    "OPENAI_API_KEY", parse_str, None, "the key `invoke()` sends there")
OTEL_BSP_SCHEDULE_DELAY: Variable[float] = Variable(
    "OTEL_BSP_SCHEDULE_DELAY", _at_least(parse_float, 0.0), 500.0,
    "ms the export worker waits for a full batch")
OTEL_BSP_MAX_EXPORT_BATCH_SIZE: Variable[int] = Variable(
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", _at_least(parse_int, 1), 512,
    "spans per export batch (the embedded store takes up to 2,048 of a backlog)")
XDG_DATA_HOME: Variable[Optional[Path]] = Variable(
    "XDG_DATA_HOME", parse_path, None,
    "on Linux, the folder the default store goes under", "`~/.local/share`")
LOCALAPPDATA: Variable[Optional[Path]] = Variable(
    "LOCALAPPDATA", parse_path, None,
    "on Windows, the folder the default store goes under", "`~/AppData/Local`")
LANGCHAIN_PROJECT: Variable[Optional[str]] = Variable(
    "LANGCHAIN_PROJECT", parse_str, None,
    "the project `setup_langsmith()` logs and evaluates to when given none")

AGNO_EVAL_EXPERIMENTS: Variable[bool] = Variable(
    "BRAINTRUST_AGNO_EVAL_EXPERIMENTS", parse_bool, True,
    "run each traced Agno eval suite as a new experiment of the current logger's project "
    "(`setup_agno(eval_experiments=)` overrides it)")

#: Every variable read, in the README table's order.
VARIABLES: tuple[Variable[Any], ...] = (
    LOCAL_STORE, PARENT, QUEUE_SIZE, QUEUE_BLOCK_SECONDS, MAX_GENERATOR_ITEMS, API_KEY,
    APP_URL, APP_PUBLIC_URL, API_URL, PROXY_URL, ORG_NAME, HTTP_TIMEOUT, NUM_RETRIES,
    DEFAULT_BATCH_SIZE, MAX_REQUEST_SIZE, SPOOL_DIR, SPOOL_MAX_BYTES, EXIT_FLUSH_SECONDS,
    CAPTURE_CONTENT, PROMPT_CACHE_DIR, OPENAI_BASE_URL, OPENAI_API_KEY,
    KEEP_FOREIGN_INSTRUMENTORS, INSTRUMENT_THREADS, ENVIRONMENT_TYPE, ENVIRONMENT_NAME,
    OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_MAX_EXPORT_BATCH_SIZE, XDG_DATA_HOME, LOCALAPPDATA,
    LANGCHAIN_PROJECT, AGNO_EVAL_EXPERIMENTS,
)


class Settings:
    """The configuration read from the environment; field ``x`` is the
    variable ``BRAINTRUST_X`` (other variables: their name in lower case).
    None means unset (the using code then applies its computed default).

    Frozen: fields cannot be set. ``Settings()`` holds every default;
    ``Settings(queue_size=5)`` the defaults but for the fields given.
    (A plain class rather than a frozen dataclass, whose generated methods
    took about 0.9 ms of ``import braintrust`` for 28 fields.)
    """

    __slots__ = tuple(v.field for v in VARIABLES)

    local_store: Optional[str]
    parent: Optional[str]
    queue_size: int
    queue_block_seconds: float
    max_generator_items: int
    api_key: Optional[str]
    app_url: Optional[str]
    app_public_url: Optional[str]
    api_url: Optional[str]
    proxy_url: Optional[str]
    org_name: Optional[str]
    http_timeout: float
    num_retries: int
    default_batch_size: int
    max_request_size: Optional[int]
    spool_dir: Optional[Path]
    spool_max_bytes: int
    exit_flush_seconds: float
    capture_content: bool
    prompt_cache_dir: Optional[Path]
    openai_base_url: Optional[str]
    openai_api_key: Optional[str]
    keep_foreign_instrumentors: bool
    instrument_threads: bool
    environment_type: Optional[str]
    environment_name: Optional[str]
    otel_bsp_schedule_delay: float
    otel_bsp_max_export_batch_size: int
    xdg_data_home: Optional[Path]
    localappdata: Optional[Path]
    langchain_project: Optional[str]
    agno_eval_experiments: bool

    def __init__(self, **values: Any) -> None:
        for var in VARIABLES:
            object.__setattr__(self, var.field, values.pop(var.field, var.default))
        if values:
            raise TypeError(f"Settings(): unknown fields {sorted(values)}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Settings are frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Settings are frozen: cannot delete {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, var.field) for var in VARIABLES)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        changed = ", ".join(f"{v.field}={getattr(self, v.field)!r}" for v in VARIABLES
                            if getattr(self, v.field) != v.default)
        return f"Settings({changed})"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings parsed from ``environ`` (invalid values reported, defaults used).

        Args:
            environ: Variable names to their text, like ``os.environ``.

        Returns:
            A new :class:`Settings`.
        """
        return cls(**{v.field: v.value_of(environ.get(v.name)) for v in VARIABLES})


Settings.__doc__ = (Settings.__doc__ or "") + "\n\n    Fields:\n" + "".join(
    f"        {v.field}: ``{v.name}``, {v.doc}.\n" for v in VARIABLES)

_last: Optional[tuple[tuple[Any, ...], Settings]] = None


def get_settings() -> Settings:
    """The settings the environment holds now.

    Each call looks every variable up again (so a variable set after import
    counts) but parses only the ones whose text changed, and returns the same
    object while nothing changed. Meant for code that builds an object;
    a per-call path reads its one :class:`Variable` instead.

    Returns:
        The current :class:`Settings`.
    """
    global _last
    values = tuple(v.get() for v in VARIABLES)
    last = _last
    if last is not None and last[0] == values:
        return last[1]
    current = Settings(**{v.field: value for v, value in zip(VARIABLES, values)})
    _last = (values, current)
    return current


def platform_markers(names: Iterable[str]) -> dict[str, str]:
    """The set ones of ``names``: variables other software sets that show where the
    process runs (a CI system, a hosting platform), not configuration of ours. Read
    for ``context.span_origin.environment`` (``braintrust._environment``).

    Args:
        names: The variables to look at.

    Returns:
        Each set, non-empty one, with its text.
    """
    return {name: value for name in names if (value := os.environ.get(name))}
