# t_credit.sh — the vending credit at the command line: refusals, warnings,
# `univend credit`.

test_credit_none_granted_follows_credit_required() {
  demo_kiosk   # the demo says credit_required = no
  expect_rc 0 uv sell --meter 01234567897 --amount 20.00
  expect_no_out "warning"
  sed -i 's/^credit_required = no$/credit_required = yes/' "$T/kiosk/univend.conf"
  expect_rc 6 uv sell --meter 01234567897 --amount 20.00
  expect_out "no vending credit: head office has not granted this kiosk any"
  [ "$(receipt_count)" -eq 1 ] || die "a refused sale left a receipt"
  expect_rc 0 uv credit
  expect_out "NONE: no grant yet, and credit_required = yes"
  # a new kiosk requires credit; --credit-required no says otherwise
  UNIVEND_PASSPHRASE=new-kiosk-pass expect_rc 0 "$UNIVEND" --home "$T/new" init --kdf-iterations 1000
  grep -q "^credit_required = yes$" "$T/new/univend.conf" || die "init did not require credit"
}

test_credit_a_sale_too_large_is_refused_and_low_credit_warns() {
  demo_kiosk
  grant_credit G1 3000 0 "$(days_from_now 30)" 1500 0
  expect_rc 6 uv sell --meter 01234567897 --amount 50.00
  expect_out "this sale \(49.85 ZAR\) is more than the vending credit left \(30.00 ZAR\): sell at most 30.00 ZAR"
  [ "$(receipt_count)" -eq 0 ] || die "a refused sale left a receipt"
  expect_rc 0 uv sell --meter 01234567897 --amount 20.00
  expect_out "^TOKEN "
  expect_out "warning: Vending credit low: 10.16 ZAR left, until"
  expect_rc 0 uv credit
  expect_out "money +10.16 ZAR left of 30.00 ZAR granted; warning at 15.00 ZAR"
  expect_out "used +19.84 ZAR, 11.5 kWh by the sales from receipt 1 on"
  expect_out "grants +1 applied; the last G1"
}

test_credit_used_up_stops_sales_until_new_credit() {
  demo_kiosk
  grant_credit E1 0 11500 "$(days_from_now 30)"   # exactly what 20.00 buys
  expect_rc 0 uv sell --meter 01234567897 --amount 20.00
  expect_out "warning: Vending credit used up"
  expect_rc 6 uv sell --meter 01234567897 --amount 5.00
  expect_out "Vending credit used up \(0.0 kWh left, until .*\): head office must send new credit"
  [ "$(receipt_count)" -eq 1 ] || die "a refused sale left a receipt"
  grant_credit E2 0 5000 "$(days_from_now 30)"
  expect_rc 0 uv sell --meter 01234567897 --amount 5.00
  expect_rc 0 uv audit list
  expect_out "credit.grant +E1 .*\+0.00 ZAR \+11.5 kWh"
  expect_out "credit.grant +E2"
}

test_credit_expired_stops_sales() {
  demo_kiosk
  grant_credit G1 100000 0 "$(days_from_now 1)"
  expect_rc 0 uv sell --meter 01234567897 --amount 20.00
  expect_out "warning: Vending credit low: .* left, until"   # expiring within two days
  ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    expect_rc 6 faketime -f +2d "$UNIVEND" --home "$T/kiosk" sell --meter 01234567897 --amount 20.00
  expect_out "Vending credit expired \(.* left, expired .*\): head office must send new credit"
  [ "$(receipt_count)" -eq 1 ] || die "a refused sale left a receipt"
}

test_credit_export_carries_it_and_head_office_reconciles() {
  demo_kiosk
  grant_credit G1 50000 0 "$(days_from_now 30)" 10000
  uv sell --meter 01234567897 --amount 20.00 >/dev/null
  uv sell --meter 01234567897 --amount 30.00 >/dev/null
  mkdir -p "$T/exp"
  expect_rc 0 uv export --dir "$T/exp"
  local f=("$T"/exp/*.uvx)
  grep -q '^UNIVEND-EXPORT 3$' "${f[0]}" || die "the export is not format 3"
  grep -q '^credit_money_granted=50000$' "${f[0]}" || die "no credit granted in the export"
  grep -q '^credit_money_left=45032$' "${f[0]}" || die "no credit left in the export"
  expect_rc 0 hq_cli import "$T/exp"
  expect_rc 0 hq_cli hq report
  expect_out "DEMO-1 +money +granted 500.00 - sales received 49.68 = 450.32; reported left 450.32  ok"
  expect_no_out "MISMATCH"

  # a rogue head office the supervisor was made to trust grants credit that
  # head office never sent: the kiosk sells on it, head office sees it
  HQ_HOME="$T/rogue" HQ_TRUST_NAME=ROGUE hq_for_kiosk >/dev/null
  mkdir -p "$T/rogue-usb"
  HQ_HOME="$T/rogue" hq_cli hq instruct --kiosk DEMO-1 --out "$T/rogue-usb" - <<<"customer,*,X1,X" >/dev/null
  HQ_HOME="$T/rogue" hq_cli hq instruct --kiosk DEMO-1 --out "$T/rogue-usb" - \
    <<<"credit,DEMO-1,R1,100000,0,$(days_from_now 30)" >/dev/null
  expect_rc 6 uv instruction apply "$T/rogue-usb"       # its file 1 clashes; file 2 applies
  expect_out "applied .*instruction 2"
  uv sell --meter 01234567897 --amount 40.00 >/dev/null
  rm -f "$T"/exp/*.uvx
  expect_rc 0 uv export --dir "$T/exp"
  expect_rc 0 hq_cli import "$T/exp"
  expect_rc 0 hq_cli hq report
  expect_out "DEMO-1 +money +granted 500.00 - sales received 89.53 = 410.47; reported left 1410.47  MISMATCH"
  expect_out "the kiosk reports 1500.00 granted; head office's confirmed grants are 500.00"
}
