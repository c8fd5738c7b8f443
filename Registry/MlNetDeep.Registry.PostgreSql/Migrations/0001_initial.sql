-- Registry schema 1 (PostgreSQL).
CREATE TABLE models (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    last_version integer NOT NULL DEFAULT 0
);

CREATE TABLE runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_key text NOT NULL UNIQUE,
    model_id bigint NOT NULL REFERENCES models (id),
    status text NOT NULL,
    started_by text NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    hyperparameters json,
    environment json
);

CREATE TABLE run_epochs (
    run_id bigint NOT NULL REFERENCES runs (id),
    epoch integer NOT NULL,
    record json NOT NULL,
    PRIMARY KEY (run_id, epoch)
);

CREATE TABLE run_artifacts (
    run_id bigint NOT NULL REFERENCES runs (id),
    name text NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (run_id, name)
);
CREATE INDEX run_artifacts_sha256 ON run_artifacts (sha256);

CREATE TABLE versions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id bigint NOT NULL REFERENCES models (id),
    version integer NOT NULL,
    status text NOT NULL,
    description text,
    registered_by text NOT NULL,
    registered_at timestamptz NOT NULL,
    run_id bigint REFERENCES runs (id),
    parent_id bigint REFERENCES versions (id),
    lineage text,
    teacher_id bigint REFERENCES versions (id),
    hyperparameters json,
    pipeline json,
    training_data json,
    evaluation_data json,
    environment json,
    history json,
    reports json,
    UNIQUE (model_id, version)
);
CREATE INDEX versions_status ON versions (model_id, status, version);

CREATE TABLE version_artifacts (
    version_id bigint NOT NULL REFERENCES versions (id),
    name text NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    PRIMARY KEY (version_id, name)
);
CREATE INDEX version_artifacts_sha256 ON version_artifacts (sha256);

CREATE TABLE version_metrics (
    version_id bigint NOT NULL REFERENCES versions (id),
    name text NOT NULL,
    value double precision NOT NULL,
    PRIMARY KEY (version_id, name)
);
CREATE INDEX version_metrics_name_value ON version_metrics (name, value);

CREATE TABLE version_tags (
    version_id bigint NOT NULL REFERENCES versions (id),
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (version_id, key)
);
CREATE INDEX version_tags_key_value ON version_tags (key, value);

CREATE TABLE aliases (
    model_id bigint NOT NULL REFERENCES models (id),
    alias text NOT NULL,
    version_id bigint NOT NULL REFERENCES versions (id),
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (model_id, alias)
);
CREATE INDEX aliases_version ON aliases (version_id);

CREATE TABLE alias_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id bigint NOT NULL REFERENCES models (id),
    alias text NOT NULL,
    from_version integer,
    to_version integer,
    actor text NOT NULL,
    at timestamptz NOT NULL,
    reason text
);
CREATE INDEX alias_events_model ON alias_events (model_id, alias, id);
