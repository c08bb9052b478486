# Sourced by `make test`: make sure a PostgreSQL server is there for the tests that need one
# and export NEWS_MONITOR_TEST_PG. An already set NEWS_MONITOR_TEST_PG is used as it is.
# Without a local PostgreSQL (and the right to start it) those tests are skipped, loudly.
if [ -z "${NEWS_MONITOR_TEST_PG:-}" ]; then
    _pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$_pg_version" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
        if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
            _cluster=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2}')
            [ -n "$_cluster" ] && pg_ctlcluster $_cluster start >/dev/null 2>&1 || true
        fi
        _port=$(pg_lsclusters -h 2>/dev/null | awk '$4=="online" {print $3; exit}')
        _as_pg="runuser -u postgres --"
        command -v runuser >/dev/null 2>&1 || _as_pg="su postgres -c"
        if [ -n "$_port" ] && $_as_pg psql -p "$_port" -tAc "select 1" >/dev/null 2>&1; then
            $_as_pg psql -p "$_port" -qtAc "do \$\$ begin
                if not exists (select from pg_roles where rolname = 'news_monitor_test') then
                    create role news_monitor_test login createdb password 'news_monitor_test';
                end if; end \$\$;" >/dev/null
            export NEWS_MONITOR_TEST_PG="postgresql://news_monitor_test:news_monitor_test@127.0.0.1:$_port/postgres"
            echo "PostgreSQL for tests: 127.0.0.1:$_port"
        fi
    fi
    [ -n "${NEWS_MONITOR_TEST_PG:-}" ] || echo "no PostgreSQL could be started: its tests will be skipped"
fi
