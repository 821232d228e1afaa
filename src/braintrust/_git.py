"""Git metadata of the code an experiment ran: what to collect, and collecting it."""

from __future__ import annotations

import dataclasses
import subprocess
from typing import Literal, Optional

from braintrust_otel import diagnostics

from ._serial import Serializable

__all__ = ["GitMetadataSettings", "RepoInfo", "collect_repo_info"]

#: A diff past this many bytes is cut (a generated file must not make a huge experiment row).
_DIFF_LIMIT = 65_536


@dataclasses.dataclass
class RepoInfo(Serializable):
    """The state of the git repository an experiment ran from (every field optional)."""

    commit: Optional[str] = None
    branch: Optional[str] = None
    tag: Optional[str] = None
    dirty: Optional[bool] = None
    author_name: Optional[str] = None
    author_email: Optional[str] = None
    commit_message: Optional[str] = None
    commit_time: Optional[str] = None
    git_diff: Optional[str] = None


@dataclasses.dataclass
class GitMetadataSettings(Serializable):
    """Which git fields an experiment records.

    Args:
        collect: ``"all"`` fields, ``"some"`` (those in ``fields``), or ``"none"``.
        fields: The :class:`RepoInfo` field names kept with ``collect="some"``.
    """

    collect: Literal["all", "some", "none"] = "all"
    fields: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.collect not in ("all", "some", "none"):
            raise ValueError(f"GitMetadataSettings: collect must be 'all', 'some' or 'none', "
                             f"got {self.collect!r}")


def _git(*args: str) -> Optional[str]:
    """A git command's output, or None when git is missing or the command fails."""
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _strip(value: Optional[str]) -> Optional[str]:
    return value.strip() if value is not None else None


def _read_repo() -> Optional[RepoInfo]:
    if _strip(_git("rev-parse", "--is-inside-work-tree")) != "true":
        return None
    status = _git("status", "--porcelain")
    dirty = bool(status.strip()) if status is not None else None
    diff = _git("diff", "--no-ext-diff", "HEAD") if dirty else None
    if diff is not None and len(diff.encode()) > _DIFF_LIMIT:
        diff = diff.encode()[:_DIFF_LIMIT].decode(errors="ignore")
    return RepoInfo(
        commit=_strip(_git("rev-parse", "HEAD")),
        branch=_strip(_git("symbolic-ref", "--quiet", "--short", "HEAD")),
        tag=_strip(_git("describe", "--tags", "--exact-match", "--always")),
        dirty=dirty,
        author_name=_strip(_git("log", "-1", "--format=%an", "HEAD")),
        author_email=_strip(_git("log", "-1", "--format=%ae", "HEAD")),
        commit_message=_strip(_git("log", "-1", "--format=%B", "HEAD")),
        commit_time=_strip(_git("log", "-1", "--format=%cI", "HEAD")),
        git_diff=diff,
    )


def collect_repo_info(settings: Optional[GitMetadataSettings]) -> Optional[RepoInfo]:
    """The repository's state as ``settings`` allow; None to record nothing.

    With no settings nothing is collected: the official SDK collects only
    what the hosted organization's settings allow, and with none, nothing.
    Never raises: a failure is reported and the experiment goes on without it.
    """
    if settings is None or settings.collect == "none":
        return None
    try:
        found = _read_repo()
    except Exception as exc:
        diagnostics.report("git_metadata", "could not read the git repository", exc)
        return None
    if found is None or settings.collect == "all":
        return found
    keep = set(settings.fields)
    return RepoInfo(**{f.name: getattr(found, f.name) if f.name in keep else None
                       for f in dataclasses.fields(RepoInfo)})
