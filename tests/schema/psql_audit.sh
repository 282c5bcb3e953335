#!/usr/bin/env bash
# What the server enforces when a person bypasses the console: from psql, a login of each Beacon group can
# commit a change to an audited table only together with its audit_log row, cannot forge the columns the
# server stamps, and cannot plant audit ids. The backend's own login (the tables' owner) is not held to the
# audit; nobody, superuser included, rewrites the log even with ordinary triggers silenced.
set -euo pipefail
cluster=${BEACON_TEST_CLUSTER_DIR:?set by ctest}
socket="$cluster/socket"
port=$(sed -n 4p "$cluster/data/postmaster.pid")
db="psql_audit_$$"
support="psql_audit_support_$$"
finance="psql_audit_finance_$$"
admin="psql_audit_admin_$$"
backend="psql_audit_backend_$$"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -h "$socket" -p "$port" "$@"; }
as_superuser() { psql -U postgres -d "$db" -tA "$@"; }

cleanup() {
  psql -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
       -c "DROP ROLE IF EXISTS $support" -c "DROP ROLE IF EXISTS $finance" -c "DROP ROLE IF EXISTS $admin" \
       -c "DROP ROLE IF EXISTS $backend"
}
trap cleanup EXIT
psql -U postgres -d postgres -c "CREATE DATABASE $db TEMPLATE beacon_template" \
     -c "CREATE ROLE $support LOGIN IN ROLE beacon_support" -c "CREATE ROLE $finance LOGIN IN ROLE beacon_finance" \
     -c "CREATE ROLE $admin LOGIN IN ROLE beacon_admin" -c "CREATE ROLE $backend LOGIN"
# Seeded by the superuser, which the audit rule does not hold: these inserts commit with no audit row.
as_superuser -c "INSERT INTO workspaces (id, name, slug, plan) VALUES (1, 'Acme', 'acme', 'free')" \
     -c "INSERT INTO users (id, provider, provider_user_id, primary_email) VALUES
         (1, 'google', 'g1', 'ada@example.test'), (2, 'google', 'g2', 'bob@example.test')" \
     -c "INSERT INTO memberships (workspace_id, user_id, role) VALUES (1, 1, 'owner')"

passed=0
pass() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; exit 1; }
audit_row="INSERT INTO audit_log (actor, action, action_id, target_type, target_id, workspace_id, reason)
           VALUES ('psql test', 'plan.change', gen_random_uuid(), 'workspace', '1', 1, 'psql_audit')"

# Runs the statements in one transaction as a login; it must get through every statement and then fail at
# COMMIT with the given text.
expect_refused_at_commit() { # what, expected text, login, statements…
  local what=$1 expected=$2 login=$3; shift 3
  local args=(-c BEGIN)
  for statement in "$@"; do args+=(-c "$statement"); done
  args+=(-c '\echo reached-commit' -c COMMIT)
  if output=$(psql -U "$login" -d "$db" "${args[@]}" 2>&1); then
    fail "$what committed"
  fi
  grep -q reached-commit <<<"$output" || fail "$what failed before COMMIT: $output"
  grep -q "$expected" <<<"$output" || fail "$what: unexpected error: $output"
  pass "$what refused at COMMIT: $(grep -m1 ERROR <<<"$output")"
}
expect_refusal() { # what, expected text, login, statement
  local what=$1 expected=$2 login=$3 statement=$4
  if output=$(psql -U "$login" -d "$db" -c "$statement" 2>&1); then
    fail "$what was allowed"
  fi
  grep -q "$expected" <<<"$output" || fail "$what: unexpected error: $output"
  pass "$what refused: $(grep -m1 ERROR <<<"$output")"
}
expect_commit() { # what, login, statements…
  local what=$1 login=$2; shift 2
  local args=(-c BEGIN)
  for statement in "$@"; do args+=(-c "$statement"); done
  args+=(-c COMMIT)
  output=$(psql -U "$login" -d "$db" "${args[@]}" 2>&1) || fail "$what: $output"
  pass "$what committed"
}
value() { as_superuser -c "$1"; }

# 1. Same-transaction audit, as each group, for a change it is allowed to make.
expect_refused_at_commit "finance plan change without audit" BE003 "$finance" \
  "UPDATE workspaces SET plan = 'team' WHERE id = 1"
[[ $(value "SELECT plan FROM workspaces WHERE id = 1") == free ]] || fail "the plan changed anyway"
expect_refused_at_commit "support owner added without audit" BE003 "$support" \
  "INSERT INTO memberships (workspace_id, user_id, role) VALUES (1, 2, 'owner')"
[[ $(value "SELECT count(*) FROM memberships WHERE user_id = 2") == 0 ]] || fail "the owner was added anyway"
expect_refused_at_commit "admin user disabled without audit" BE003 "$admin" \
  "UPDATE users SET disabled_at = now() WHERE id = 2"
[[ -z $(value "SELECT disabled_at FROM users WHERE id = 2") ]] || fail "the user was disabled anyway"
# An audit row in a savepoint that was rolled back is no audit row.
expect_refused_at_commit "finance audit row rolled back to a savepoint" BE003 "$finance" \
  "UPDATE workspaces SET plan = 'team' WHERE id = 1" "SAVEPOINT s" "$audit_row" "ROLLBACK TO SAVEPOINT s"
expect_commit "finance plan change with its audit row" "$finance" \
  "UPDATE workspaces SET plan = 'team' WHERE id = 1" "$audit_row"
[[ $(value "SELECT plan FROM workspaces WHERE id = 1") == team ]] || fail "the audited plan change is missing"
expect_commit "support owner added with its audit row, audit first" "$support" \
  "$audit_row" "INSERT INTO memberships (workspace_id, user_id, role) VALUES (1, 2, 'owner')"
[[ $(value "SELECT role FROM memberships WHERE workspace_id = 1 AND user_id = 2") == owner ]] ||
  fail "the audited membership is missing"
[[ $(value "SELECT count(*) FROM audit_log WHERE txid IS NOT NULL AND reason = 'psql_audit'") == 2 ]] ||
  fail "the audit rows do not carry their transaction"

# The backend: the superuser, and a plain login that owns the table, commit without an audit row.
expect_commit "superuser plan change without audit" postgres "UPDATE workspaces SET plan = 'starter' WHERE id = 1"
as_superuser -c "ALTER TABLE workspaces OWNER TO $backend" >/dev/null
expect_commit "table owner (not superuser) plan change without audit" "$backend" \
  "UPDATE workspaces SET plan = 'business' WHERE id = 1"
[[ $(value "SELECT plan FROM workspaces WHERE id = 1") == business ]] || fail "the owner's change is missing"
as_superuser -c "ALTER TABLE workspaces OWNER TO postgres" >/dev/null

# 2. Forged rows: what the server stamps, and the identity, are not the groups' to choose.
for login in "$support" "$finance" "$admin"; do
  expect_refusal "$login plants an audit id" "permission denied" "$login" \
    "INSERT INTO audit_log (id, actor, action, action_id, target_type) OVERRIDING SYSTEM VALUE
     VALUES (1000000, 'x', 'x', gen_random_uuid(), 'workspace')"
  expect_refusal "$login sends occurred_at" "permission denied" "$login" \
    "INSERT INTO audit_log (occurred_at, actor, action, action_id, target_type)
     VALUES (now() - interval '1 year', 'x', 'x', gen_random_uuid(), 'workspace')"
  expect_refusal "$login sends db_user" "permission denied" "$login" \
    "INSERT INTO audit_log (db_user, actor, action, action_id, target_type)
     VALUES ('someone_else', 'x', 'x', gen_random_uuid(), 'workspace')"
  expect_refusal "$login sends txid" "permission denied" "$login" \
    "INSERT INTO audit_log (txid, actor, action, action_id, target_type)
     VALUES ('1', 'x', 'x', gen_random_uuid(), 'workspace')"
  expect_refusal "$login draws from the audit sequence" "permission denied" "$login" \
    "SELECT nextval('audit_log_id_seq')"
  expect_refusal "$login sends a phase's recorded_at" "permission denied" "$login" \
    "INSERT INTO action_phases (action_id, seq, action, phase, recorded_at)
     VALUES (gen_random_uuid(), 0, 'x', 'x', now())"
  expect_refusal "$login sends a phase's db_user" "permission denied" "$login" \
    "INSERT INTO action_phases (action_id, seq, action, phase, db_user)
     VALUES (gen_random_uuid(), 0, 'x', 'x', 'someone_else')"
  expect_commit "$login appends an ordinary audit row and phase" "$login" "$audit_row" \
    "INSERT INTO action_phases (action_id, seq, action, phase, carried)
     VALUES (gen_random_uuid(), 0, 'x', 'x', '{}')"
done
[[ $(value "SELECT count(DISTINCT db_user) FROM audit_log WHERE reason = 'psql_audit'") == 3 ]] ||
  fail "the audit rows do not name their logins"

# 4. What is true of the owner claim: the ALWAYS triggers hold for a superuser who silences ordinary ones.
expect_refusal "superuser in replica mode UPDATE audit_log" "append-only" postgres \
  "SET session_replication_role = replica; UPDATE audit_log SET reason = 'x'"
expect_refusal "superuser in replica mode DELETE FROM audit_log" "append-only" postgres \
  "SET session_replication_role = replica; DELETE FROM audit_log"
[[ $(value "SET session_replication_role = replica;
            INSERT INTO audit_log (actor, action, action_id, target_type, db_user, occurred_at)
            VALUES ('x', 'replica', gen_random_uuid(), 'workspace', 'forged', '2000-01-01')
            RETURNING db_user || ' ' || (occurred_at > now() - interval '1 hour')") == "postgres true" ]] ||
  fail "the superuser in replica mode forged an audit row's login or time"

echo "$passed passed, 0 failed"
