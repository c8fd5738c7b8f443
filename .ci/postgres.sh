# A throw-away PostgreSQL cluster for tests: sourced by .ci/run and .ci/with-postgres.
#   start_postgres   installs Debian's postgresql if missing, starts a cluster as an ordinary user on a free port
#                    (data and socket in a temporary folder) and exports MLNETDEEP_TEST_POSTGRES;
#   stop_postgres    stops it and removes the folder (safe to call twice).
# The cluster never touches the system's own clusters; as root it runs as the postgres user (runuser).

postgres_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

install_postgres() {
    if [ -n "$(postgres_bin)" ] && [ -x "$(postgres_bin)/initdb" ]; then
        return
    fi
    echo "Installing Debian's postgresql package..."
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
}

free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "No free port found." >&2
    return 1
}

start_postgres() {
    POSTGRES_AS=()
    install_postgres
    local bin
    bin="$(postgres_bin)"
    POSTGRES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mlnetdeep-postgres.XXXXXX")"
    POSTGRES_PORT="$(free_port)"
    POSTGRES_AS=()
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$POSTGRES_DIR"
        POSTGRES_AS=(runuser -u postgres --)
    fi
    "${POSTGRES_AS[@]}" "$bin/initdb" -D "$POSTGRES_DIR/data" -A trust -U mlnetdeep --no-instructions >"$POSTGRES_DIR/initdb.log" 2>&1 \
        || { cat "$POSTGRES_DIR/initdb.log" >&2; return 1; }
    "${POSTGRES_AS[@]}" "$bin/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/server.log" -w \
        -o "-p $POSTGRES_PORT -k $POSTGRES_DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
        || { cat "$POSTGRES_DIR/server.log" >&2; return 1; }
    export MLNETDEEP_TEST_POSTGRES="Host=127.0.0.1;Port=$POSTGRES_PORT;Username=mlnetdeep;Database=postgres"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') running on 127.0.0.1:$POSTGRES_PORT (data in $POSTGRES_DIR)."
}

stop_postgres() {
    if [ -n "${POSTGRES_DIR:-}" ] && [ -d "$POSTGRES_DIR" ]; then
        "${POSTGRES_AS[@]}" "$(postgres_bin)/pg_ctl" -D "$POSTGRES_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$POSTGRES_DIR"
        echo "PostgreSQL on port $POSTGRES_PORT stopped and removed."
    fi
    POSTGRES_DIR=""
    unset MLNETDEEP_TEST_POSTGRES
}
