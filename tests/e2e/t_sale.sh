# t_sale.sh — the README flow: demo kiosk, a sale, the receipt, the token.

test_demo_creates_kiosk_once() {
  expect_rc 0 uv demo
  expect_out "Creating the demo kiosk"
  expect_out "01234567897 +STS-EA07"
  expect_out "STS-EA09 +sts.so"
  expect_rc 0 uv demo
  expect_no_out "Creating"
  [ "$(stat -c %a "$T/kiosk/passphrase")" = 600 ] || die "passphrase file is not 0600"
}

test_sale_prints_grouped_token_and_receipt() {
  demo_kiosk
  expect_rc 0 uv sell --meter 01234567897 --amount 50.00
  expect_out "^TOKEN [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$"
  expect_out "^Receipt +1 +[0-9]{4}-"
  expect_out "Paid +50.00 ZAR"
  # 28.9 kWh: 43.35 + VAT 6.50 = 49.85 charged, 0.15 change
  expect_out "VAT 15.00% +6.50 ZAR"
  expect_out "Total +49.85 ZAR"
  expect_out "Change +0.15 ZAR"
  expect_out "Energy +28.9 kWh"
  local token
  token=$(sed -n 's/^TOKEN //p' <<<"$OUT" | head -n1)
  expect_rc 0 uv receipt show 1
  expect_out "TOKEN +$token"
  # the token decodes under the meter's own key to what was sold
  expect_rc 0 uv token decode $token --meter 01234567897
  expect_out "28.9 kWh electricity"
  # under another meter's key it does not
  expect_rc 6 uv token decode $token --meter 04123456784
  expect_out "does not decrypt"
}

test_receipts_are_numbered_without_gaps() {
  demo_kiosk
  uv sell --meter 01234567897 --amount 10.00 >/dev/null
  expect_rc 3 uv sell --meter 01234567897 --amount 0.10
  uv sell --meter 47160001237 --amount 25.00 >/dev/null
  expect_rc 4 uv sell --meter 99999999999 --amount 10.00
  uv sell --meter 04123456784 --amount 30.00 >/dev/null
  expect_rc 0 uv receipt list
  [ "$(receipt_count)" -eq 3 ] || die "expected 3 receipts"
  for n in 1 2 3; do expect_rc 0 uv receipt show $n; done
  expect_rc 4 uv receipt show 4
  expect_rc 0 uv receipt list --meter 47160001237
  expect_out "47160001237"
  expect_no_out "01234567897"
  expect_rc 0 uv audit verify
  expect_out "audit chain intact"
}

test_lifeline_tariff_and_ea09_meter() {
  demo_kiosk
  # 30.00 at 0.900/kWh + 15 % VAT: 28.9 kWh = 26.01 + VAT 3.9015 -> 3.90 = 29.91
  expect_rc 0 uv sell --meter 04123456784 --amount 30.00
  expect_out "VAT 15.00% +3.90"
  expect_out "Energy +28.9 kWh"
  expect_rc 0 uv sell --meter 47160001237 --amount 100.00
  local token
  token=$(sed -n 's/^TOKEN //p' <<<"$OUT" | head -n1)
  expect_rc 0 uv token decode "$token" --meter 47160001237
  expect_out "57.9 kWh"
}

test_sale_is_durable_across_processes() {
  demo_kiosk
  for i in 1 2 3 4 5; do uv sell --meter 01234567897 --amount 12.00 >/dev/null; done
  expect_rc 0 uv meter show 01234567897
  expect_out "sales: +5"
  expect_out "last receipt: 5"
  [ "$(receipt_count)" -eq 5 ] || die "expected 5 receipts"
}

test_sell_batch_prints_a_line_per_sale_and_goes_on_after_a_refusal() {
  demo_kiosk
  printf '01234567897 10.00\n# a comment\n\n99999999999 10.00\n04123456784 0.01\nonly-one-field\n47160001237 20.00\n' >"$T/in"
  expect_rc 4 uv sell --batch "$T/in" # the status of the first failure (no such meter)
  expect_out "^ok 1 receipt 1 meter 01234567897 total [0-9.]+ token [0-9]{20}$"
  expect_out "^error 4 meter 99999999999: no meter 99999999999"
  expect_out "^error 5 meter 04123456784: amount is below the minimum"
  expect_out "^error 6 meter only-one-field: a line is METER AMOUNT$"
  expect_out "^ok 7 receipt 2 meter 47160001237 total [0-9.]+ token [0-9]{20}$"
  expect_no_out "^stopped"
  [ "$(receipt_count)" -eq 2 ] || die "expected 2 receipts"
  # the printed token is the stored one; standard input works too
  local tok
  tok=$(sed -n 's/^ok 7 .* token //p' <<<"$OUT")
  expect_rc 0 uv receipt show 2
  expect_out "$tok|$(sed 's/\(....\)/\1 /g; s/ $//' <<<"$tok")"
  OUT=$(echo "01234567897 11.00" | uv sell --batch -)
  expect_out "^ok 1 receipt 3 "
  expect_rc 2 uv sell --batch "$T/in" --meter 01234567897
}
