"""The store's tables, and how to register again an object the process holds."""

from __future__ import annotations

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('xact_id', 0);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS experiments (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    seq INTEGER NOT NULL,
    info TEXT NOT NULL DEFAULT '{}',
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    info TEXT NOT NULL DEFAULT '{}',
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS attachments (
    key TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    filename TEXT,
    content_type TEXT,
    size INTEGER NOT NULL
);
-- Each saved version of a prompt; id is stable per (project, slug).
CREATE TABLE IF NOT EXISTS prompts (
    id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    slug TEXT NOT NULL,
    version INTEGER NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    data TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX IF NOT EXISTS prompts_by_slug ON prompts (project_id, slug, version);
-- Every write to a versioned object (datasets), so it can be read as of a
-- transaction id; deleted marks a delete.
CREATE TABLE IF NOT EXISTS row_versions (
    oid INTEGER NOT NULL,
    id TEXT NOT NULL,
    xact_id INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT,
    PRIMARY KEY (oid, id, xact_id)
);
-- Rows name their object by a small integer: keys and indexes stay short,
-- which halves the cost of writing a row.
CREATE TABLE IF NOT EXISTS objects (
    oid INTEGER PRIMARY KEY,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    UNIQUE (object_type, object_id)
);
CREATE TABLE IF NOT EXISTS rows (
    oid INTEGER NOT NULL REFERENCES objects (oid),
    id TEXT NOT NULL,
    root_span_id TEXT,
    span_id TEXT,
    is_root INTEGER NOT NULL DEFAULT 0,
    created TEXT,
    xact_id INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (oid, id)
);
CREATE INDEX IF NOT EXISTS rows_by_trace ON rows (oid, root_span_id);
CREATE INDEX IF NOT EXISTS rows_roots ON rows (oid, created) WHERE is_root;
PRAGMA user_version = 1;
"""

# The columns of each object table whose rows a handle re-inserts into a
# recreated file (see ``_Database._register_known``).
_KNOWN_COLUMNS = {
    "projects": "(id, name)",
    "experiments": "(id, project_id, name, created, seq, info)",
    "datasets": "(id, project_id, name, created, info)",
}
