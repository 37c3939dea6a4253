# t_export.sh — export files from kiosk to head office: nothing lost, doubled or forged.

hq() { "$UNIVEND" --home "$T/hq" "$@"; }

# a demo kiosk with sales, and a head office that trusts it
setup_pair() {
  demo_kiosk
  mkdir -p "$T/usb"
  UNIVEND_PASSPHRASE=hq-pass "$UNIVEND" --home "$T/hq" init --kiosk-id HQ --kdf-iterations 1000 >/dev/null
  hq hq kiosk add DEMO-1 --pubkey "$(uv export pubkey | cut -d' ' -f2)" >/dev/null
}

sales() { local a; for a in "$@"; do uv sell --meter 01234567897 --amount "$a" >/dev/null; done; }

test_round_trip_totals_equal() {
  setup_pair
  sales 10.00 20.00 30.00
  uv report day >"$T/day1"
  expect_rc 0 uv export --dir "$T/usb"
  expect_out "sequence 1, receipts 1-3"
  sales 40.00
  uv --clerk clerk1 report day --close >/dev/null
  expect_rc 0 uv export --dir "$T/usb"
  expect_out "sequence 2, receipts 4-4"
  expect_rc 0 hq import "$T/usb"
  expect_out "2 imported, 0 already imported, 0 refused; 4 receipts"
  expect_rc 0 hq hq report
  expect_out "DEMO-1 +4 +99.36"   # 9.83 + 19.84 + 29.84 + 39.85 charged
  expect_out "none"   # no missing files
  expect_rc 0 hq hq export-csv --out "$T/billing.csv"
  [ "$(tail -n +2 "$T/billing.csv" | wc -l)" -eq 4 ] || die "billing CSV should have 4 receipts"
  # the sum of gross in the CSV equals what the kiosk sold
  [ "$(tail -n +2 "$T/billing.csv" | awk -F, '{s+=$9} END {print s}')" -eq 9936 ] || die "CSV total differs"
  # no file left half-written, no temp file left
  [ -z "$(ls -A "$T/usb" | grep -v '\.uvx$')" ] || die "stray files on the medium"
}

test_double_import_changes_nothing() {
  setup_pair
  sales 10.00
  uv export --dir "$T/usb" >/dev/null
  expect_rc 0 hq import "$T/usb"
  hq hq export-csv >"$T/before"
  expect_rc 0 hq import "$T/usb"/*.uvx
  expect_out "unchanged .*already imported"
  expect_out "0 imported, 1 already imported"
  hq hq export-csv >"$T/after"
  cmp -s "$T/before" "$T/after" || die "a second import changed the store"
}

test_gap_is_reported_and_later_files_accepted() {
  setup_pair
  local i
  for i in 1 2 3 4; do sales 10.00; uv export --dir "$T/usb" >/dev/null; done
  expect_rc 0 hq import "$T/usb/univend-DEMO-1-00000001.uvx" "$T/usb/univend-DEMO-1-00000004.uvx"
  expect_out "missing +kiosk DEMO-1 files 2-3"
  expect_out "2 imported"
  expect_rc 0 hq hq missing
  expect_out "files 2-3"
  expect_rc 0 hq import "$T/usb"
  expect_out "2 imported, 2 already imported"
  expect_rc 0 hq hq missing
  expect_out "no files missing"
}

test_truncated_files_are_refused_whole() {
  setup_pair
  sales 10.00 20.00 30.00
  uv export --dir "$T/usb" >/dev/null
  local f="$T/usb/univend-DEMO-1-00000001.uvx" size cut
  size=$(stat -c %s "$f")
  # header, early body, middle, just before the signature, inside the signature, the final newline
  for cut in 10 300 $((size / 2)) $((size - 140)) $((size - 40)) $((size - 1)); do
    head -c "$cut" "$f" >"$T/trunc.uvx"
    expect_rc 6 hq import "$T/trunc.uvx"
    expect_out "REFUSED +$T/trunc.uvx: .*(truncated|cut off|missing|malformed|signature)"
  done
  expect_rc 0 hq hq export-csv
  [ "$(wc -l <<<"$OUT")" -eq 1 ] || die "a truncated file left records behind"
  expect_rc 0 hq import "$f"
  expect_out "1 imported"
}

test_bit_flips_anywhere_are_refused() {
  setup_pair
  sales 10.00 20.00
  uv export --dir "$T/usb" >/dev/null
  local f="$T/usb/univend-DEMO-1-00000001.uvx" size pos
  size=$(stat -c %s "$f")
  for pos in 0 5 40 200 400 $((size / 2)) $((size - 100)) $((size - 20)) $((size - 2)); do
    cp "$f" "$T/flip.uvx"
    # flip the lowest bit of the byte at pos
    local byte
    byte=$(od -An -tu1 -j "$pos" -N1 "$f" | tr -d ' ')
    printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$T/flip.uvx" bs=1 seek="$pos" conv=notrunc status=none
    cmp -s "$f" "$T/flip.uvx" && die "the flip at $pos changed nothing"
    expect_rc 6 hq import "$T/flip.uvx"
  done
  expect_rc 0 hq hq export-csv
  [ "$(wc -l <<<"$OUT")" -eq 1 ] || die "a damaged file left records behind"
}

test_wrong_key_and_unknown_kiosk_refused() {
  setup_pair
  sales 10.00
  uv export --dir "$T/usb" >/dev/null
  UNIVEND_PASSPHRASE=hq-pass "$UNIVEND" --home "$T/hq2" init --kiosk-id HQ2 --kdf-iterations 1000 >/dev/null
  expect_rc 6 "$UNIVEND" --home "$T/hq2" import "$T/usb"
  expect_out "kiosk DEMO-1 is not registered here"
  "$UNIVEND" --home "$T/hq2" hq kiosk add DEMO-1 \
    --pubkey 0000000000000000000000000000000000000000000000000000000000000001 >/dev/null
  expect_rc 6 "$UNIVEND" --home "$T/hq2" import "$T/usb"
  expect_out "signature does not verify"
}

test_replayed_old_file_changes_nothing() {
  setup_pair
  sales 10.00
  uv export --dir "$T/usb" >/dev/null
  cp "$T/usb/univend-DEMO-1-00000001.uvx" "$T/old.uvx"
  sales 20.00
  uv export --dir "$T/usb" >/dev/null
  expect_rc 0 hq import "$T/usb"
  expect_rc 0 hq import "$T/old.uvx"
  expect_out "already imported"
  expect_rc 0 hq hq report
  expect_out "DEMO-1 +2 +29.67"   # 9.83 + 19.84 charged
}

test_rewrite_is_byte_identical() {
  setup_pair
  sales 10.00 20.00
  uv export --dir "$T/usb" >/dev/null
  sales 30.00
  uv receipt reprint 1 >/dev/null   # later changes do not alter an exported file
  uv export --dir "$T/usb" >/dev/null
  mkdir "$T/usb2"
  expect_rc 0 uv export --rewrite 1-2 --dir "$T/usb2"
  expect_out "rewrote univend-DEMO-1-00000001.uvx"
  cmp "$T/usb/univend-DEMO-1-00000001.uvx" "$T/usb2/univend-DEMO-1-00000001.uvx" || die "rewrite 1 differs"
  cmp "$T/usb/univend-DEMO-1-00000002.uvx" "$T/usb2/univend-DEMO-1-00000002.uvx" || die "rewrite 2 differs"
  expect_rc 0 uv export list
  expect_out "\(rewritten\)"
  expect_rc 4 uv export --rewrite 9 --dir "$T/usb2"
}

test_sigkill_during_export_leaves_no_partial_file() {
  setup_pair
  sales 10.00 20.00 30.00
  local round
  for round in $(seq 1 15); do
    ( "$UNIVEND" --home "$T/kiosk" export --dir "$T/usb" >/dev/null 2>&1 ) &
    local pid=$!
    sleep "0.0$((RANDOM % 9))"
    pkill -KILL -f "$T/kiosk" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # whatever is on the medium under a .uvx name is whole and verifies
    local f
    for f in "$T/usb"/*.uvx; do
      [ -e "$f" ] || continue
      tail -c 1 "$f" | od -An -c | grep -q '\\n' || die "partial file $f"
    done
  done
  sales 40.00
  expect_rc 0 uv export --dir "$T/usb"
  expect_rc 0 hq import "$T/usb"
  expect_rc 0 hq hq report
  expect_out "DEMO-1 +4 +99.36"   # 9.83 + 19.84 + 29.84 + 39.85 charged
  expect_rc 0 uv store verify
  [ -z "$(ls -A "$T/usb" | grep -v '\.uvx$')" ] || die "temp files left on the medium"
}

test_periodic_export_every_n_sales() {
  demo_kiosk
  mkdir -p "$T/usb"
  printf 'export_dir = %s\nexport_every_sales = 2\n' "$T/usb" >>"$T/kiosk/univend.conf"
  sales 10.00
  [ -z "$(ls "$T/usb")" ] || die "exported too early"
  expect_rc 0 uv sell --meter 01234567897 --amount 10.00
  expect_out "export univend-DEMO-1-00000001.uvx written"
  [ -f "$T/usb/univend-DEMO-1-00000001.uvx" ] || die "no periodic export"
}

test_degenerate_public_key_is_refused() {
  setup_pair
  expect_rc 3 hq hq kiosk add K2 --pubkey 0100000000000000000000000000000000000000000000000000000000000000
  expect_out "small-order"
  expect_rc 3 hq hq kiosk add K2 --pubkey ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f
  expect_rc 3 hq hq kiosk add K2 --pubkey 12
}
