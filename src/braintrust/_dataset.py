"""Datasets: init_dataset and Dataset (registration, versions and reads through the backend)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Optional
from urllib.parse import quote

from braintrust_otel.attachments import readonly
from braintrust_otel.masking import mask_row

from . import _state
from ._objects import ObjectMetadata, StoredRecord
from ._span import check_text, safe_repr
from ._summary import DatasetSummary, DataSummary

__all__ = ["Dataset", "init_dataset"]

#: Pending inserts written at once past this many.
_AUTO_FLUSH = 1000


class Dataset(StoredRecord, _state.StateHolder):
    """A versioned set of records (input, expected, metadata, tags).

    Create it with :func:`init_dataset`. Writes are buffered and delivered on
    :meth:`flush`, on iteration, and at 1,000 pending records. Iterating yields
    each record as a dict, so a dataset works as ``Eval`` data.
    """

    def __init__(self, project: Mapping[str, Any], info: Mapping[str, Any],
                 version: Optional[str] = None, use_output: bool = False) -> None:
        self.id: str = info["id"]
        self.name: str = info["name"]
        #: The project: ``.id``, ``.name``, ``.full_info`` (and ``["id"]`` as before).
        self.project = ObjectMetadata(project)
        self.pinned_version = version
        #: Records this object wrote (inserts, updates, deletes), for ``summarize()``.
        self.new_records = 0
        self._info = dict(info)
        self._use_output = use_output
        self._parent = f"dataset_id:{self.id}"
        self._pending: list[dict[str, Any]] = []

    def _add(self, row: dict[str, Any]) -> None:
        # Masked now, not at flush: the record must not leave (or linger) unmasked.
        mask_row(row)
        row["_parent"] = self._parent
        self.new_records += 1
        if not self._pending:
            _state.buffered.add(self)  # written at exit even if never flushed
        self._pending.append(row)
        if len(self._pending) >= _AUTO_FLUSH:
            self.flush()

    def insert(self, input: Any = None, expected: Any = None,
               tags: Sequence[str] | None = None, metadata: Mapping[str, Any] | None = None,
               id: str | None = None, output: Any = None) -> str:
        """Adds a record (or replaces the one with ``id``).

        Args:
            input: The record's input.
            expected: Its expected output (``output`` is an older name for it).
            tags: A list of strings.
            metadata: Key/value data about the record.
            id: The record id; a new UUID by default.

        Returns:
            The record id.
        """
        if metadata is not None and not isinstance(metadata, Mapping):
            raise TypeError("Dataset.insert(): metadata must be a dict")
        if tags is not None and (isinstance(tags, str) or not all(isinstance(t, str)
                                                                  for t in tags)):
            raise TypeError("Dataset.insert(): tags must be a list of str")
        if id is not None and not isinstance(id, str):
            raise TypeError("Dataset.insert(): id must be a str")
        row_id = id or str(uuid.uuid4())
        row: dict[str, Any] = {
            "id": row_id, "input": input,
            "expected": expected if expected is not None else output,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        }
        if metadata is not None:
            row["metadata"] = dict(metadata)
        if tags is not None:
            row["tags"] = list(tags)
        self._add(row)
        return row_id

    def update(self, id: str, input: Any = None, expected: Any = None,
               tags: Sequence[str] | None = None,
               metadata: Mapping[str, Any] | None = None) -> str:
        """Changes fields of a record; ``metadata`` is merged into what is there.

        A None argument leaves that field as it is (as in the official SDK,
        an update never writes a null).

        Returns:
            The record id.
        """
        if not isinstance(id, str) or not id:
            raise TypeError("Dataset.update(): id must be a non-empty str")
        row: dict[str, Any] = {"id": id, "_is_merge": True}
        if input is not None:
            row["input"] = input
        if expected is not None:
            row["expected"] = expected
        if metadata is not None:
            row["metadata"] = dict(metadata)
        if tags is not None:
            row["tags"] = list(tags)
        self._add(row)
        return id

    def delete(self, id: str) -> str:
        """Deletes a record (earlier versions still show it)."""
        if not isinstance(id, str) or not id:
            raise TypeError("Dataset.delete(): id must be a non-empty str")
        self._add({"id": id, "_object_delete": True})
        return id

    def flush(self) -> None:
        """Writes pending records."""
        if self._pending:
            rows, self._pending = self._pending, []
            _state.buffered.discard(self)
            _state.write_rows(rows)

    @property
    def version(self) -> Optional[str]:
        """The version read: the pinned one, else the latest transaction id."""
        if self.pinned_version is not None:
            return self.pinned_version
        self.flush()
        return _state.backend().dataset_version(self.id)

    def _records(self) -> list[dict[str, Any]]:
        self.flush()
        _state.deliver()  # the sink sends in the background: reads see what was written
        rows = _state.backend().rows("dataset", self.id, self.pinned_version)
        return [_record(r, self._use_output) for r in rows]

    def fetch(self, batch_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Every record (as of the pinned version, if any), oldest first.

        Args:
            batch_size: Accepted for compatibility (the official SDK's page
                size); the backend reads pages of its own size.

        Returns:
            An iterator of records (dicts: ``id``, ``input``, ``expected``,
            ``metadata``, ``tags``, ``created``, ``_xact_id``). Pending writes
            are delivered first.
        """
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"Dataset.fetch(): batch_size must be a positive int, "
                             f"got {safe_repr(batch_size)}")
        return iter(self._records())

    @property
    def fetched_data(self) -> list[dict[str, Any]]:
        """Deprecated in the official SDK (use ``fetch()``): every record, as a list."""
        return self._records()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.fetch()

    def summarize(self, summarize_data: bool = True) -> DatasetSummary:
        """Summarizes the dataset: names, links, and its size.

        Args:
            summarize_data: Count the records (else ``data_summary`` is None).

        Returns:
            A :class:`DatasetSummary`; its ``str()`` is the official report.
        """
        from ._experiment import experiment_url

        self.flush()
        name = self.project.get("name") or ""
        url = experiment_url(name, "").rsplit("/experiments/", 1)[0]
        counts = DataSummary(self.new_records, len(self._records())) if summarize_data else None
        return DatasetSummary(project_name=name, dataset_name=self.name, project_url=url,
                              dataset_url=f"{url}/datasets/{quote(self.name)}",
                              data_summary=counts)

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()

    def close(self) -> str:
        """Deprecated in the official SDK: writes pending records and returns the id."""
        self.flush()
        return self.id

    def __repr__(self) -> str:
        return f"<braintrust.Dataset {self.name!r} id={self.id}>"


def _record(row: Mapping[str, Any], use_output: bool = False) -> dict[str, Any]:
    keep = ("id", "input", "expected", "metadata", "tags", "created", "_xact_id")
    out = {k: readonly(row[k]) for k in keep if k in row}
    out.setdefault("metadata", {})
    if use_output and "expected" in out:
        out["output"] = out.pop("expected")  # the legacy record shape
    return out


def init_dataset(
    project: str | None = None,
    name: str | None = None,
    description: str | None = None,
    version: str | int | None = None,
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
    project_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    use_output: bool = False,
    _internal_btql: Optional[dict[str, Any]] = None,
    state: Any = None,
    environment: str | None = None,
    dataset_id: str | None = None,
) -> Dataset:
    """Opens (creating if needed) a dataset in a project.

    Args:
        project: The project name (``project_id`` wins).
        name: The dataset name (``default`` when omitted).
        description: A description, recorded when the dataset is created.
        version: Read the dataset as of this version (a transaction id, as
            ``dataset.version`` returns): records written later are not seen.
        app_url, api_key, org_name: As for :func:`braintrust.init_logger`.
        project_id: The project id.
        metadata: Metadata recorded when the dataset is created.
        use_output: Deprecated in the official SDK: records read back carry
            ``output`` instead of ``expected``.
        _internal_btql: The official SDK's internal record filter; not
            supported (a ValueError when given).
        state: The official SDK's internal login state; there is one state
            here, so it is accepted and ignored.
        environment: The hosted service's environment tags pick a dataset
            version; neither backend here has environments, so it is accepted
            and the latest version (or ``version``) is read.
        dataset_id: Open the existing dataset with this id (it wins over
            ``project``, ``project_id`` and ``name``).

    Returns:
        The :class:`Dataset`.

    Raises:
        ValueError: When ``dataset_id`` names no dataset.
    """
    for arg, value in (("project", project), ("name", name), ("project_id", project_id),
                       ("description", description), ("environment", environment),
                       ("dataset_id", dataset_id)):
        check_text(value, arg, "init_dataset()")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"init_dataset(): metadata must be a dict, got {type(metadata).__name__}")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, (str, int)):
            raise TypeError(f"init_dataset(): version must be a str or int, "
                            f"got {type(version).__name__}")
        if not (version >= 0 if isinstance(version, int) else version.isdigit()):
            raise ValueError(f"init_dataset(): version must be a transaction id (digits), "
                             f"got {safe_repr(version)}")
    if _internal_btql is not None:
        raise ValueError("init_dataset(): _internal_btql (an internal filter) is not supported")
    from ._logger import _connect

    _connect(api_key, app_url, org_name, False)
    pinned = str(version) if version is not None else None
    if dataset_id is not None:
        found = _state.backend().find_dataset(dataset_id)
        if found is None:
            raise ValueError(f"init_dataset(): no dataset with id {safe_repr(dataset_id)}")
        return Dataset(found[0], found[1], version=pinned, use_output=use_output)
    info: dict[str, Any] = {}
    if description is not None:
        info["description"] = description
    if metadata:
        info["metadata"] = dict(metadata)
    ds_name = name or "default"
    proj, got = _state.backend().register_dataset(project, project_id, ds_name, info)
    return Dataset(proj, got, version=pinned, use_output=use_output)


