# t_diskfull.sh — a full disk during a sale and during an export: a clear
# message, nothing half-written, and the next sale or export works once
# space is freed. Each test runs in a private mount namespace with a small
# tmpfs at $T/disk (small_disk in lib.sh).

hq() { "$UNIVEND" --home "$T/hq" "$@"; }
hq_trusting_kiosk() {
  UNIVEND_PASSPHRASE=hq-pass "$UNIVEND" --home "$T/hq" init --kiosk-id HQ --kdf-iterations 1000 >/dev/null
  hq hq kiosk add DEMO-1 --pubkey "$(uv export pubkey | cut -d' ' -f2)" >/dev/null
}
# the kiosk's home on the small disk
kiosk_on_small_disk() { mkdir -p "$T/disk/kiosk"; ln -s "$T/disk/kiosk" "$T/kiosk"; demo_kiosk; }
sales() { local a; for a in "$@"; do uv sell --meter 01234567897 --amount "$a" >/dev/null; done; }

sale_on_full_disk() {
  kiosk_on_small_disk
  sales 10.00 20.00 30.00
  fill_disk
  # Berkeley DB may still hold room (its log file is allocated ahead, pages
  # are overwritten in place): a sale made in that room is whole and stands.
  # Sooner or later one needs a new page and is refused, whole.
  local sold=3 i
  for i in $(seq 1 60); do
    set +e
    OUT=$(uv sell --meter 01234567897 --amount 40.00 2>&1)
    local rc=$?
    set -e
    [ "$rc" -eq 0 ] || break
    expect_out "^Receipt +$((sold + 1)) "
    sold=$((sold + 1))
  done
  echo "# sales made on the full disk before one was refused: $((sold - 3))"
  [ "$rc" -eq 8 ] || die "a sale on a full disk exited $rc, not 8: $OUT"
  expect_out "the disk is full: the sale was NOT recorded and no token was given; free space and sell again"
  expect_no_out "TOKEN|Receipt"
  ! grep -Eq "AddressSanitizer|runtime error" <<<"$OUT" || die "sanitizer: $OUT"
  free_disk
  expect_rc 0 uv store verify
  expect_out "receipts: $sold, numbered 1..$sold "
  expect_rc 0 uv sell --meter 01234567897 --amount 40.00
  expect_out "^Receipt +$((sold + 1)) "
}
test_sale_on_a_full_disk_is_refused_whole_and_the_next_one_works() { small_disk 24m sale_on_full_disk; }

# A batch that opened its database with room to spare, then the disk fills:
# Berkeley DB goes on in the room it already has (its log file is
# allocated ahead) until a write needs more. Every sale printed before
# that is stored; the one that failed is not, and says why.
batch_while_the_disk_fills() {
  kiosk_on_small_disk
  mkfifo "$T/feed"
  "$UNIVEND" --home "$T/kiosk" sell --batch - <"$T/feed" >"$T/out" 2>"$T/err" &
  local pid=$! rc=0
  exec 7>"$T/feed"
  echo "01234567897 11.00" >&7
  local end=$((SECONDS + 20))
  until grep -q '^ok 1 ' "$T/out"; do [ $SECONDS -lt $end ] || die "the first sale did not happen"; sleep 0.02; done
  fill_disk
  # more sales than the room left can hold; the batch stops at the failure
  ( trap '' PIPE; for i in $(seq 2 20000); do echo "04123456784 12.00"; done >&7 ) 2>/dev/null &
  local feeder=$!
  exec 7>&-
  wait "$pid" || rc=$?
  kill "$feeder" 2>/dev/null || true
  wait "$feeder" 2>/dev/null || true
  local printed
  printed=$(grep -c '^ok ' "$T/out")
  echo "# sales printed on the full disk before a write failed: $((printed - 1))"
  [ "$rc" -eq 8 ] || die "the batch exited $rc, not 8: $(tail -n 3 "$T/out") $(cat "$T/err")"
  grep -q "^error [0-9]* meter 04123456784: the disk is full: the sale was NOT recorded and no token was given; free space and sell again$" "$T/out" \
    || die "no disk-full line: $(tail -n 3 "$T/out")"
  tail -n 1 "$T/out" | grep -q '^stopped ' || die "the batch did not stop at the failure"
  ! grep -Eq "AddressSanitizer|runtime error" "$T/err" || die "sanitizer: $(cat "$T/err")"
  free_disk
  expect_rc 0 uv store verify
  expect_out "receipts: $printed, numbered 1..$printed "
  # every printed token is on its receipt
  uv receipt list | tail -n +2 | awk '{print $1, $8}' | sort -n >"$T/stored"
  awk '$1 == "ok" {print $4, $10}' "$T/out" | sort -n >"$T/printed"
  cmp -s "$T/stored" "$T/printed" || die "stored receipts differ from the printed sales"
  expect_rc 0 uv sell --meter 01234567897 --amount 40.00
  expect_out "^Receipt +$((printed + 1)) "
}
test_disk_filling_under_a_batch_loses_no_printed_sale() { small_disk 24m batch_while_the_disk_fills; }

# The export medium (a USB stick) is full.
export_to_full_medium() {
  demo_kiosk
  hq_trusting_kiosk
  sales 10.00 20.00 30.00
  expect_rc 0 uv export --dir "$T/disk"
  expect_out "sequence 1, receipts 1-3"
  sales 40.00 50.00
  fill_disk
  expect_rc 10 uv export --dir "$T/disk"
  expect_out "$T/disk is full: the export was not written and not recorded"
  [ "$(ls -A "$T/disk" | grep -v '^fill')" = "univend-DEMO-1-00000001.uvx" ] \
    || die "something was left on the medium: $(ls -A "$T/disk")"
  [ "$(uv export list | wc -l)" -eq 1 ] || die "the failed export was recorded"
  free_disk
  expect_rc 0 uv export --dir "$T/disk"
  expect_out "sequence 2, receipts 4-5"
  expect_rc 0 uv store verify
  local total
  total=$(sed -n 's/^receipts total: \([0-9.]*\) .*/\1/p' <<<"$OUT")
  expect_rc 0 hq import "$T/disk"
  expect_out "2 imported, 0 already imported, 0 refused; 5 receipts"
  expect_rc 0 hq hq report
  expect_out "DEMO-1 +5 +$total "
}
test_export_to_a_full_medium_writes_and_records_nothing() { small_disk 4m export_to_full_medium; }

# The disk holding the kiosk's database is full.
export_with_full_database_disk() {
  kiosk_on_small_disk
  mkdir -p "$T/usb"
  sales 10.00 20.00
  fill_disk
  # exports made in the room Berkeley DB still holds stand; then one is
  # refused, whole
  local made=0 i
  for i in $(seq 1 60); do
    set +e
    OUT=$(uv export --dir "$T/usb" 2>&1)
    local rc=$?
    set -e
    [ "$rc" -eq 0 ] || break
    made=$((made + 1))
  done
  echo "# exports made on the full disk before one was refused: $made"
  [ "$rc" -eq 8 ] || die "an export on a full disk exited $rc, not 8: $OUT"
  expect_out "the disk holding the database is full: the export was not recorded and no file was written; free space and export again"
  [ "$(ls -A "$T/usb" | wc -l)" -eq "$made" ] || die "a file was written: $(ls -A "$T/usb")"
  free_disk
  [ "$(uv export list | wc -l)" -eq "$made" ] || die "the failed export was recorded"
  expect_rc 0 uv export --dir "$T/usb"
  expect_out "sequence $((made + 1)), receipts"
  hq_trusting_kiosk
  expect_rc 0 hq import "$T/usb"
  expect_out "0 refused; 2 receipts"
  expect_rc 0 hq hq missing
  expect_out "no files missing"
}
test_export_with_the_database_disk_full_records_nothing() { small_disk 24m export_with_full_database_disk; }
