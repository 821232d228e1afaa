"""The pages the web UI lists: filtered root rows, a project's datasets and prompts."""

from __future__ import annotations

import json
from typing import Any

from ..serialize import decode
from ._db import _Database
from ._reads import _with_xact


class _Listings(_Database):
    # -- listings for the web UI --------------------------------------------

    def roots(self, object_type: str, object_id: str, limit: int = 50, offset: int = 0,
              search: str | None = None, errors_only: bool = False,
              span_type: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Root rows of an object, newest first, filtered by text, errors or span type.

        Returns:
            ``(rows, total matching)``.
        """
        where = f"oid = :oid AND {self.dialect.is_root}"
        if search:
            where += " AND " + self.dialect.contains("data", ":q")
        if errors_only:
            where += f" AND {self.dialect.json_text('data', 'error')} IS NOT NULL"
        if span_type:
            where += f" AND {self.dialect.json_text('data', 'span_attributes', 'type')} = :type"
        with self._lock:
            conn = self._connection()
            oid = self._oid(conn, object_type, object_id, create=False)
            if oid is None:
                return [], 0
            params = {"oid": oid, "limit": int(limit), "offset": int(offset), "q": search or "",
                      "type": span_type or ""}
            found = conn.execute(
                f"SELECT xact_id, data FROM rows WHERE {where} ORDER BY created DESC"
                " LIMIT :limit OFFSET :offset", params).fetchall()
            total = conn.execute(f"SELECT count(*) FROM rows WHERE {where}", params).fetchone()[0]
        return [_with_xact(d, x) for x, d in found], int(total)

    def datasets(self, project_id: str) -> list[dict[str, Any]]:
        """A project's datasets, oldest first."""
        with self._lock:
            found = self._connection().execute(
                "SELECT id, name, created FROM datasets WHERE project_id = ? ORDER BY created",
                (project_id,)).fetchall()
        return [{"id": i, "name": n, "created": c} for i, n, c in found]

    def prompts(self, project_id: str) -> list[dict[str, Any]]:
        """Every saved version of a project's prompts, newest first."""
        with self._lock:
            found = self._connection().execute(
                "SELECT id, slug, version, created, data FROM prompts WHERE project_id = ?"
                " ORDER BY version DESC", (project_id,)).fetchall()
        out = []
        for pid, slug, version, created, data in found:
            item: dict[str, Any] = decode(data)
            item.update(id=pid, slug=slug, _xact_id=str(version), created=created)
            out.append(item)
        return out

    def find_roots(self, object_type: str, object_id: str, *, limit: int = 50,
                   offset: int = 0, search: str | None = None, errors_only: bool = False,
                   span_type: str | None = None, span_name: str | None = None,
                   model: str | None = None, metadata: tuple[str, str] | None = None,
                   tag: str | None = None,
                   score: tuple[str, float | None, float | None] | None = None,
                   since: str | None = None, until: str | None = None,
                   sort: str = "created", descending: bool = True
                   ) -> tuple[list[dict[str, Any]], int]:
        """Root rows of an object's traces, filtered on any span of the trace, paged.

        Args:
            object_type, object_id: The object (``project_logs`` and a project id, ...).
            limit, offset: The page.
            search: Text anywhere in the root row.
            errors_only: Only traces with a failed span.
            span_type, span_name, model: Only traces with a span of this type, name or
                ``metadata.model``.
            metadata: ``(key, value)``: a span whose ``metadata.<key>`` is ``value`` (as text).
            tag: A tag of the root.
            score: ``(name, min, max)``: a span scoring ``name`` within the bounds (inclusive;
                None is unbounded).
            since, until: ISO-8601 UTC times bounding the root's ``created``.
            sort: ``created``, ``duration``, ``tokens``, ``name`` or ``score:<name>``.
            descending: Largest first.

        Returns:
            ``(rows, total matching)``.
        """
        params: dict[str, Any] = {"limit": int(limit), "offset": int(offset)}
        where = ["r.oid = :oid", "r.is_root"]
        in_trace: list[str] = []
        if search:
            where.append("instr(lower(r.data), lower(:q)) > 0")
            params["q"] = search
        if errors_only:
            in_trace.append("json_extract(s.data, '$.error') IS NOT NULL")
        for path, value, key in (("$.span_attributes.type", span_type, "type"),
                                 ("$.span_attributes.name", span_name, "name"),
                                 ("$.metadata.model", model, "model")):
            if value:
                in_trace.append(f"json_extract(s.data, '{path}') = :{key}")
                params[key] = value
        if metadata:
            in_trace.append("CAST(json_extract(s.data, :meta_path) AS TEXT) = :meta_value")
            params["meta_path"] = "$.metadata." + json.dumps(metadata[0])
            params["meta_value"] = metadata[1]
        if score:
            params["score_path"] = "$.scores." + json.dumps(score[0])
            cond = "json_extract(s.data, :score_path) IS NOT NULL"
            if score[1] is not None:
                cond += " AND json_extract(s.data, :score_path) >= :score_min"
                params["score_min"] = score[1]
            if score[2] is not None:
                cond += " AND json_extract(s.data, :score_path) <= :score_max"
                params["score_max"] = score[2]
            in_trace.append(cond)
        for cond in in_trace:
            where.append("EXISTS (SELECT 1 FROM rows s WHERE s.oid = r.oid"
                         f" AND s.root_span_id = r.root_span_id AND {cond})")
        if tag:
            where.append("EXISTS (SELECT 1 FROM json_each(r.data, '$.tags') WHERE value = :tag)")
            params["tag"] = tag
        if since:
            where.append("r.created >= :since")
            params["since"] = since
        if until:
            where.append("r.created <= :until")
            params["until"] = until
        if sort == "duration":
            order = ("json_extract(r.data, '$.metrics.end')"
                     " - json_extract(r.data, '$.metrics.start')")
        elif sort == "tokens":
            order = ("(SELECT sum(json_extract(s.data, '$.metrics.tokens')) FROM rows s"
                     " WHERE s.oid = r.oid AND s.root_span_id = r.root_span_id)")
        elif sort == "name":
            order = "json_extract(r.data, '$.span_attributes.name')"
        elif sort.startswith("score:"):
            order = "json_extract(r.data, :sort_path)"
            params["sort_path"] = "$.scores." + json.dumps(sort[6:])
        else:
            order = "r.created"
        direction = "DESC" if descending else "ASC"
        sql_where = " AND ".join(where)
        with self._lock:
            conn = self._connection()
            oid = self._oid(conn, object_type, object_id, create=False)
            if oid is None:
                return [], 0
            params["oid"] = oid
            found = conn.execute(
                f"SELECT r.xact_id, r.data FROM rows r WHERE {sql_where}"
                f" ORDER BY {order} {direction} NULLS LAST, r.created {direction}"
                " LIMIT :limit OFFSET :offset", params).fetchall()
            total = conn.execute(f"SELECT count(*) FROM rows r WHERE {sql_where}",
                                 params).fetchone()[0]
        return [_with_xact(d, x) for x, d in found], int(total)

    def daily_roots(self, object_type: str, object_id: str, days: int = 30
                    ) -> list[dict[str, Any]]:
        """The traces of an object's last ``days`` days, for its overview.

        Returns:
            One dict per root, oldest first: ``created``, ``duration`` (seconds), ``scores``
            (the root's), ``errors`` (failed spans in the trace) and ``llm``: a
            ``[model, prompt_tokens, completion_tokens, tokens]`` list per span with tokens.
        """
        sql = """
        SELECT r.created,
               json_extract(r.data, '$.metrics.end') - json_extract(r.data, '$.metrics.start'),
               json_extract(r.data, '$.scores'),
               (SELECT count(*) FROM rows s WHERE s.oid = r.oid
                  AND s.root_span_id = r.root_span_id
                  AND json_extract(s.data, '$.error') IS NOT NULL),
               (SELECT json_group_array(json_array(json_extract(s.data, '$.metadata.model'),
                        json_extract(s.data, '$.metrics.prompt_tokens'),
                        json_extract(s.data, '$.metrics.completion_tokens'),
                        json_extract(s.data, '$.metrics.tokens')))
                  FROM rows s WHERE s.oid = r.oid AND s.root_span_id = r.root_span_id
                  AND json_extract(s.data, '$.metrics.tokens') IS NOT NULL)
        FROM rows r
        WHERE r.oid = ? AND r.is_root
          AND r.created >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)
        ORDER BY r.created"""
        found = self._query(object_type, object_id, sql, (f"-{int(days)} days",))
        out = []
        for created, duration, scores, errors, llm in found:
            out.append({"created": created, "duration": duration,
                        "scores": decode(scores) if scores else {},
                        "errors": errors, "llm": decode(llm) if llm else []})
        return out
