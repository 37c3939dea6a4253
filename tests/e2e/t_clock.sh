# t_clock.sh — the guarded clock: a host clock set back or jumped forward.
#
# The host's clock is moved for one command with libfaketime (Debian's
# faketime package, installed by scripts/setup for the tests; the kiosk
# itself has no way to shift its clock but a supervisor's stored
# correction). ASan must be told to accept the preloaded library.

# at OFFSET cmd...: run cmd with the host clock moved by OFFSET (e.g. -1d, +8d)
at() {
  command -v faketime >/dev/null || die "faketime is not installed (scripts/setup installs it)"
  local off=$1; shift
  ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" faketime -f "$off" "$@"
}

test_clock_set_back_stops_sales_until_a_supervisor_corrects_it() {
  demo_kiosk
  uv sell --meter 01234567897 --amount 20.00 >/dev/null
  # the host clock a day behind: refused, nothing recorded
  expect_rc 6 at -1d "$UNIVEND" --home "$T/kiosk" sell --meter 01234567897 --amount 20.00
  expect_out "kiosk clock .* earlier than the last sale"
  expect_out "call a supervisor"
  [ "$(receipt_count)" -eq 1 ] || die "a refused sale left a receipt"
  expect_rc 6 at -1d "$UNIVEND" --home "$T/kiosk" engineering clear-tamper --meter 01234567897 \
    --reason "lid"
  expect_out "earlier than the last sale"
  expect_rc 0 at -1d "$UNIVEND" --home "$T/kiosk" clock show
  expect_out "state +BEHIND"
  # the supervisor puts the right time (UTC) in; the host clock stays wrong
  local right
  right=$(date -u '+%Y-%m-%d %H:%M:%S')
  expect_rc 0 at -1d "$UNIVEND" --home "$T/kiosk" clock set "$right"
  expect_out "kiosk time set: ${right%:*}"
  expect_rc 0 at -1d "$UNIVEND" --home "$T/kiosk" sell --meter 01234567897 --amount 20.00
  expect_out "^Receipt +2 +${right%% *}"
  expect_rc 0 at -1d "$UNIVEND" --home "$T/kiosk" clock show
  expect_out "correction \+8[0-9]{4} s"
  expect_out "state +ok"
  expect_rc 0 uv audit list
  expect_out "clock.refused"
  expect_out "clock.set .*from [0-9-]+ [0-9:]+ UTC to ${right} UTC"
  # the audit chain holds
  expect_rc 0 uv audit verify
}

test_clock_jumped_forward_needs_a_supervisor_to_confirm() {
  demo_kiosk
  uv sell --meter 01234567897 --amount 20.00 >/dev/null
  expect_rc 6 at +8d "$UNIVEND" --home "$T/kiosk" sell --meter 01234567897 --amount 20.00
  expect_out "8 days past the last activity"
  expect_out "a supervisor must confirm the time"
  [ "$(receipt_count)" -eq 1 ] || die "a refused sale left a receipt"
  expect_rc 0 at +8d "$UNIVEND" --home "$T/kiosk" clock confirm
  expect_rc 0 at +8d "$UNIVEND" --home "$T/kiosk" sell --meter 01234567897 --amount 20.00
  # and now the floor is eight days on: the real clock is behind it
  expect_rc 6 uv sell --meter 01234567897 --amount 20.00
  expect_out "earlier than the last sale"
  expect_rc 0 uv audit list
  expect_out "clock.confirm .*8 days after the last activity"
}

test_clock_set_refuses_a_bad_time_and_a_time_before_the_floor() {
  demo_kiosk
  uv sell --meter 01234567897 --amount 20.00 >/dev/null
  expect_rc 3 uv clock set "yesterday"
  expect_out "not a time"
  expect_rc 6 uv clock set "2020-01-01 00:00"
  expect_out "never goes back"
  expect_rc 2 uv clock
}

test_clock_head_offices_time_is_a_floor() {
  demo_kiosk
  local kid
  kid=$(hq_for_kiosk)
  mkdir -p "$T/instr"
  # a kiosk a day behind applies a file made now: head office's time is the floor
  hq_cli hq instruct --kiosk "$kid" --out "$T/instr" - <<<"customer,*,C9,Nine" >/dev/null
  expect_rc 0 at -1d "$UNIVEND" --home "$T/kiosk" instruction apply "$T/instr"
  expect_rc 6 at -1d "$UNIVEND" --home "$T/kiosk" sell --meter 01234567897 --amount 20.00
  expect_out "earlier than the last sale or head office time"
  expect_rc 0 uv sell --meter 01234567897 --amount 20.00
  # a time-floor record from a head office whose clock is an hour ahead (a
  # floor later than head office's own time is refused: it can never be lowered)
  expect_rc 3 hq_cli hq instruct --kiosk "$kid" --out "$T/instr" - \
    <<<"time-floor,*,$(($(date +%s) + 3600))"
  expect_out "later than head office's time"
  UNIVEND_PASSPHRASE=hq-pass expect_rc 0 at +1h "$UNIVEND" --home "${HQ_HOME:-$T/hq}" \
    hq instruct --kiosk "$kid" --out "$T/instr" - <<<"time-floor,*,$(($(date +%s) + 3600))"
  expect_rc 0 uv instruction apply "$T/instr"
  expect_rc 6 uv sell --meter 01234567897 --amount 20.00
  expect_out "is (1 hour|59 minutes) earlier than the last sale or head office time"
  expect_rc 0 uv audit list
  expect_out "clock.floor .*head office time raises the floor"
  expect_rc 0 uv clock set "$(date -u -d '+61 minutes' '+%Y-%m-%d %H:%M:%S')"
  expect_rc 0 uv sell --meter 01234567897 --amount 20.00
}
