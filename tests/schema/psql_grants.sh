#!/usr/bin/env bash
# The grants as a person meets them through psql: a beacon_support login cannot change a plan, and nobody,
# not even the superuser, can rewrite or delete the audit log.
set -euo pipefail
cluster=${BEACON_TEST_CLUSTER_DIR:?set by ctest}
socket="$cluster/socket"
port=$(sed -n 4p "$cluster/data/postmaster.pid")
db="psql_grants_$$"
login="psql_support_$$"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h "$socket" -p "$port" "$@"; }

psql -U postgres -d postgres -c "CREATE DATABASE $db TEMPLATE beacon_template" -c "CREATE ROLE $login LOGIN IN ROLE beacon_support"
trap 'psql -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $login"' EXIT
psql -U postgres -d "$db" -c "INSERT INTO workspaces (name, slug, plan) VALUES ('Acme', 'acme', 'free')" \
     -c "INSERT INTO audit_log (actor, action, action_id, target_type, target_id, reason) VALUES ('t', 'test', gen_random_uuid(), 'workspace', '1', 'r')"

expect_refusal() { # what, expected text, psql arguments…
  local what=$1 expected=$2; shift 2
  if output=$(psql "$@" 2>&1); then
    echo "FAIL: $what was allowed"; exit 1
  fi
  grep -q "$expected" <<<"$output" || { echo "FAIL: $what: unexpected error: $output"; exit 1; }
  echo "ok: $what refused: $(grep -m1 ERROR <<<"$output")"
}
expect_refusal "support UPDATE workspaces SET plan" "permission denied" -U "$login" -d "$db" -c "UPDATE workspaces SET plan = 'team'"
expect_refusal "superuser UPDATE audit_log" "append-only" -U postgres -d "$db" -c "UPDATE audit_log SET reason = 'x'"
expect_refusal "superuser DELETE FROM audit_log" "append-only" -U postgres -d "$db" -c "DELETE FROM audit_log"
expect_refusal "support DELETE FROM audit_log" "permission denied" -U "$login" -d "$db" -c "DELETE FROM audit_log"
[[ $(psql -U postgres -d "$db" -tA -c "SELECT plan FROM workspaces WHERE slug = 'acme'") == free ]]
[[ $(psql -U postgres -d "$db" -tA -c "SELECT count(*) FROM audit_log") == 1 ]]
echo "4 passed, 0 failed"
