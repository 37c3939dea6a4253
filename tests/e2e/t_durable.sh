# t_durable.sh — SIGKILL during sales: every committed sale whole, nothing doubled.

test_sigkill_during_sales_leaves_a_consistent_store() {
  demo_kiosk
  local round printed=0
  for round in $(seq 1 12); do
    # a stream of sales, killed at a random moment
    ( for i in $(seq 1 40); do
        "$UNIVEND" --home "$T/kiosk" sell --meter 01234567897 --amount 11.00 >>"$T/printed" 2>/dev/null || true
      done ) &
    local pid=$!
    sleep "0.$((RANDOM % 4 + 1))"
    # the loop first (so it starts no more sales), then the sale in progress
    kill -STOP "$pid" 2>/dev/null || true
    pkill -KILL -f "$T/kiosk" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # no sale of the loop may still be running
  local waited=0
  while pgrep -f "$T/kiosk" >/dev/null && [ "$waited" -lt 50 ]; do
    pkill -KILL -f "$T/kiosk" 2>/dev/null || true
    sleep 0.1; waited=$((waited + 1))
  done
  # reopening runs recovery; the store must be whole
  expect_rc 0 uv store verify
  expect_out "hash chain intact"
  expect_out "audit: [0-9]+ records, chain intact"
  local n
  n=$(receipt_count)
  [ "$n" -gt 0 ] || die "no sale completed"
  # every token that was printed has its receipt
  local tok
  for tok in $(sed -n 's/^TOKEN \([0-9 ]*\)$/\1/p' "$T/printed" | tr -d ' ' | sort -u); do
    uv receipt list | grep -q "$tok" || die "printed token $tok has no receipt"
  done
  # no token appears on two receipts
  [ "$(uv receipt list | tail -n +2 | awk '{print $NF}' | sort | uniq -d | wc -l)" -eq 0 ] \
    || die "a token is on two receipts"
  expect_rc 0 uv sell --meter 01234567897 --amount 11.00
  expect_out "^Receipt +$((n + 1)) "
}

test_store_verify_reports_counts() {
  demo_kiosk
  for i in 1 2 3; do uv sell --meter 01234567897 --amount 10.00 >/dev/null; done
  expect_rc 0 uv store verify
  expect_out "receipts: 3, numbered 1..3"
}

test_one_process_owns_the_database() {
  demo_kiosk
  flock -o "$T/kiosk/db/univend.lock" sleep 20 &
  local holder=$!
  sleep 0.3
  UNIVEND_LOCK_WAIT_MS=300 expect_rc 8 uv receipt list
  expect_out "in use by another univend process"
  kill "$holder"; wait "$holder" 2>/dev/null || true
  expect_rc 0 uv receipt list
}

test_hot_backup_restores_to_a_consistent_store() {
  demo_kiosk
  for i in 1 2 3; do uv sell --meter 01234567897 --amount 10.00 >/dev/null; done
  expect_rc 0 uv store backup "$T/backup"
  uv sell --meter 01234567897 --amount 10.00 >/dev/null   # after the backup
  mkdir -p "$T/restored"
  cp "$T/kiosk/univend.conf" "$T/kiosk/passphrase" "$T/restored/"
  cp -r "$T/backup" "$T/restored/db"
  expect_rc 0 "$UNIVEND" --home "$T/restored" store verify
  expect_out "receipts: 3, numbered 1..3"
  expect_rc 0 "$UNIVEND" --home "$T/restored" sell --meter 01234567897 --amount 10.00
  expect_out "^Receipt +4 "
  UNIVEND_CLERK=x expect_rc 0 uv audit list
  expect_out "store.backup"
}

test_sigkill_during_sales_keeps_credit_and_receipts_in_agreement() {
  demo_kiosk
  grant_credit G1 10000000 0 "$(days_from_now 30)"
  local round
  for round in $(seq 1 8); do
    ( for i in $(seq 1 40); do
        "$UNIVEND" --home "$T/kiosk" sell --meter 01234567897 --amount 11.00 >/dev/null 2>&1 || true
      done ) &
    local pid=$!
    sleep "0.$((RANDOM % 4 + 1))"
    kill -STOP "$pid" 2>/dev/null || true
    pkill -KILL -f "$T/kiosk" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  local waited=0
  while pgrep -f "$T/kiosk" >/dev/null && [ "$waited" -lt 50 ]; do
    pkill -KILL -f "$T/kiosk" 2>/dev/null || true
    sleep 0.1; waited=$((waited + 1))
  done
  expect_rc 0 uv store verify
  local n paid used left
  n=$(receipt_count)
  [ "$n" -gt 0 ] || die "no sale completed"
  # every receipt's total paid, and nothing else, was taken from the credit
  paid=$(uv receipt list | tail -n +2 | awk '{s += $6 * 100} END {printf "%.0f", s}')
  expect_rc 0 uv credit
  used=$(sed -n 's/^used *\([0-9.]*\) ZAR.*/\1/p' <<<"$OUT" | tr -d .)
  left=$(sed -n 's/^money *\([0-9.]*\) ZAR left.*/\1/p' <<<"$OUT" | tr -d .)
  [ "$((10#$used))" -eq "$paid" ] || die "credit used $used, receipts paid $paid ($n receipts)"
  [ "$((10#$left + 10#$used))" -eq 10000000 ] || die "left $left + used $used is not the grant"
}
