-- Registry schema 1 (SQLite). Timestamps are Unix milliseconds (UTC); JSON columns are text.
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    run_key TEXT NOT NULL UNIQUE,
    model_id INTEGER NOT NULL REFERENCES models (id),
    status TEXT NOT NULL,
    started_by TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    hyperparameters TEXT,
    environment TEXT
);

CREATE TABLE run_epochs (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    epoch INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
);

CREATE TABLE run_artifacts (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, name)
);
CREATE INDEX run_artifacts_sha256 ON run_artifacts (sha256);

CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    model_id INTEGER NOT NULL REFERENCES models (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    description TEXT,
    registered_by TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    run_id INTEGER REFERENCES runs (id),
    parent_id INTEGER REFERENCES versions (id),
    lineage TEXT,
    teacher_id INTEGER REFERENCES versions (id),
    hyperparameters TEXT,
    pipeline TEXT,
    training_data TEXT,
    evaluation_data TEXT,
    environment TEXT,
    history TEXT,
    reports TEXT,
    UNIQUE (model_id, version)
);
CREATE INDEX versions_status ON versions (model_id, status, version);

CREATE TABLE version_artifacts (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (version_id, name)
);
CREATE INDEX version_artifacts_sha256 ON version_artifacts (sha256);

CREATE TABLE version_metrics (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    name TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (version_id, name)
);
CREATE INDEX version_metrics_name_value ON version_metrics (name, value);

CREATE TABLE version_tags (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (version_id, key)
);
CREATE INDEX version_tags_key_value ON version_tags (key, value);

CREATE TABLE aliases (
    model_id INTEGER NOT NULL REFERENCES models (id),
    alias TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions (id),
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (model_id, alias)
);
CREATE INDEX aliases_version ON aliases (version_id);

CREATE TABLE alias_events (
    id INTEGER PRIMARY KEY,
    model_id INTEGER NOT NULL REFERENCES models (id),
    alias TEXT NOT NULL,
    from_version INTEGER,
    to_version INTEGER,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    reason TEXT
);
CREATE INDEX alias_events_model ON alias_events (model_id, alias, id);
