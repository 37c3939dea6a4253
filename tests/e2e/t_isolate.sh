# t_isolate.sh — every driver runs in its own host process: a driver that
# crashes, hangs, ends its process or writes garbage on its channel in any
# call stops only its own process. The sale fails with a clear message,
# leaves no receipt and no half state, and the next call starts a fresh
# process (tests/drivers/misbehave.c misbehaves on demand, for one meter).

# a kiosk with the misbehave driver, meters M-BAD and M-OK of its type, and
# the fault FAULT (e.g. crash-credit) set for M-BAD only
iso_kiosk() {
  bare_kiosk "$UNIVEND_TEST_DRIVERS/misbehave.so" "$UNIVEND_TEST_DRIVERS/good_a.so"
  uv driver register misbehave.so >/dev/null
  uv driver register good_a.so >/dev/null
  uv customer add C1 --name One >/dev/null
  uv tariff add RES --price 1.00 >/dev/null
  uv meter add M-BAD --type TST-M1 --customer C1 --tariff RES >/dev/null
  uv meter add M-OK --type TST-M1 --customer C1 --tariff RES >/dev/null
  uv meter add A-OK --type TST-A1 --customer C1 --tariff RES >/dev/null
  printf 'driver.misbehave.fault = %s\ndriver.misbehave.meter = M-BAD\n' "$1" >>"$T/kiosk/univend.conf"
}

# expect_fail cmd...: exits non-zero (not by a signal); output in $OUT
expect_fail() {
  set +e
  OUT=$("$@" 2>&1)
  local rc=$?
  set -e
  [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || die "'$*' exited $rc, expected a clean failure:
$OUT"
}

# the kiosk is whole after the failure: no receipt, store and audit verify,
# and a sale through the same driver (a fresh process) and another works
after_failure() {
  [ "$(receipt_count)" -eq 0 ] || die "a failed sale left a receipt"
  expect_rc 0 uv store verify
  expect_rc 0 uv audit verify
  expect_rc 0 uv sell --meter M-OK --amount 10.00
  expect_out "misbehave"
  expect_rc 0 uv sell --meter A-OK --amount 5.00
  [ "$(receipt_count)" -eq 2 ] || die "the sales after the failure were not both stored"
}

sale_fails() { # FAULT REGEX
  iso_kiosk "$1"
  expect_fail uv sell --meter M-BAD --amount 10.00
  expect_out "$2"
  expect_no_out "AddressSanitizer|runtime error"
  after_failure
}

test_crash_in_verify() {
  sale_fails crash-verify "driver misbehave crashed \(Illegal instruction\) and was stopped; security verification failed; sale refused"
}
test_crash_in_issue_credit() {
  sale_fails crash-credit "driver misbehave crashed \(Illegal instruction\) and was stopped; credit not issued; nothing was sold"
}
test_crash_in_decode_token() {
  sale_fails crash-decode "driver misbehave crashed .* the token just issued does not verify; the sale is refused"
}
test_hang_in_issue_credit() {
  export UNIVEND_DRIVER_TIME_LIMIT_MS=1500
  local t0=$SECONDS
  sale_fails hang-credit "driver misbehave did not answer within 1500 ms and was stopped; credit not issued; nothing was sold"
  [ $((SECONDS - t0)) -lt 30 ] || die "the hung driver held the sale too long"
}
test_hang_in_verify() {
  export UNIVEND_DRIVER_TIME_LIMIT_MS=1500
  sale_fails hang-verify "driver misbehave did not answer within 1500 ms and was stopped; security verification failed"
}
test_exit_in_issue_credit() {
  sale_fails exit-credit "driver misbehave ended its process \(exit status [0-9]+\) and was stopped; credit not issued"
}
test_exit_in_decode_token() {
  sale_fails exit-decode "driver misbehave ended its process \(exit status [0-9]+\) and was stopped; the token just issued does not verify"
}
test_garbage_in_issue_credit() {
  sale_fails garbage-credit "driver misbehave sent a malformed answer and was stopped; credit not issued"
}
test_garbage_in_verify() {
  sale_fails garbage-verify "driver misbehave sent a malformed answer and was stopped; security verification failed"
}

# a token typed at the kiosk: decode_token alone
test_token_decode_survives_a_crash() {
  iso_kiosk crash-decode
  expect_fail uv token decode 00000000000000001000 --meter M-BAD
  expect_out "driver misbehave crashed \(Illegal instruction\) and was stopped; token rejected"
  expect_rc 0 uv token decode 00000000000000001000 --meter M-OK
  expect_out "kind 0 amount 1000"
}

# engineering tokens: issue_mgmt, then decode_token of what it issued
test_engineering_token_survives_crash_hang_exit_garbage() {
  export UNIVEND_DRIVER_TIME_LIMIT_MS=1500
  local f
  iso_kiosk none
  for f in crash-mgmt hang-mgmt exit-mgmt garbage-mgmt crash-decode; do
    sed -i "s/^driver.misbehave.fault = .*/driver.misbehave.fault = $f/" "$T/kiosk/univend.conf"
    expect_fail uv engineering clear-tamper --meter M-BAD --reason test
    expect_out "driver misbehave (crashed|did not answer|ended its process|sent a malformed).* was stopped; (engineering token not issued|the engineering token just issued does not verify)"
  done
  expect_rc 0 uv engineering list
  expect_no_out "M-BAD"
  expect_rc 0 uv engineering clear-tamper --meter M-OK --reason test
  expect_rc 0 uv store verify
}

# the host process: named after its driver, holding only its socket, stdio
# and the driver file; univend itself never maps the driver; the host dies
# with univend (killed mid-sale), and the store is whole afterwards
test_host_process_is_named_isolated_and_dies_with_univend() {
  export UNIVEND_DRIVER_TIME_LIMIT_MS=60000
  iso_kiosk hang-credit
  "$UNIVEND" --home "$T/kiosk" sell --meter M-BAD --amount 1.00 >"$T/out" 2>&1 &
  local pid=$! child= end=$((SECONDS + 30)) f l
  while [ -z "$child" ]; do
    child=$(pgrep -P $pid -x uv-drv-misbehav || true)
    [ $SECONDS -lt $end ] || die "no host process named uv-drv-misbehav under univend"
    sleep 0.05
  done
  sleep 0.3 # the driver is in its call
  grep -q misbehave.so "/proc/$child/maps" || die "the host process has not loaded the driver"
  ! grep -q misbehave.so "/proc/$pid/maps" || die "univend itself mapped the driver"
  for f in /proc/"$child"/fd/*; do
    l=$(readlink "$f" || true)
    case "$l" in
      /dev/null|socket:*|*/misbehave.so) ;;
      *) die "the host process holds $l (fd $(basename "$f"))" ;;
    esac
  done
  # no shared database region (a private environment has none; a shared one
  # is unmapped) and, from the loop above, no database file open
  ! grep -q "/__db\." "/proc/$child/maps" || die "the host process maps the database's regions"
  grep -q "^NoNewPrivs:[[:space:]]*1" "/proc/$child/status" || die "the host process may gain privileges"
  # univend and its host take turns on one CPU (where more than one exists)
  local cpus_u cpus_h
  cpus_u=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$pid/status")
  cpus_h=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$child/status")
  [ "$cpus_u" = "$cpus_h" ] || die "univend runs on CPUs $cpus_u, its host on $cpus_h"
  if [ "$(nproc --all)" -gt 1 ]; then
    [[ "$cpus_h" =~ ^[0-9]+$ ]] || die "the host may run on CPUs $cpus_h, not one"
  fi
  kill -KILL $pid
  wait $pid 2>/dev/null || true
  end=$((SECONDS + 10))
  while kill -0 "$child" 2>/dev/null; do
    [ $SECONDS -lt $end ] || die "the host process outlived univend"
    sleep 0.05
  done
  expect_rc 0 uv store verify
  [ "$(receipt_count)" -eq 0 ] || die "a receipt of the killed sale"
}
