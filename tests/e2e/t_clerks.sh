# t_clerks.sh — clerks, reports and reprints through the CLI.

test_clerk_add_list_pin() {
  demo_kiosk
  expect_rc 0 uv clerk list
  expect_out "^super +Demo Supervisor +supervisor +active"
  expect_out "^clerk1 +Demo Clerk +clerk +active"
  UNIVEND_PIN=4321 expect_rc 0 uv clerk add ann --name "Ann" --role clerk
  UNIVEND_PIN=12 expect_rc 3 uv clerk add bob --name "Bob" --role clerk
  expect_out "4 to 12 digits"
  UNIVEND_PIN=4321 expect_rc 2 uv clerk add bob --name "Bob" --role king
  expect_rc 0 uv clerk disable ann
  expect_rc 0 uv clerk list
  expect_out "^ann +Ann +clerk +disabled"
  expect_rc 0 uv audit list
  expect_out "clerk.add +ann"
  expect_out "clerk.disable +ann"
  expect_no_out "4321"
}

test_shift_and_day_reports_match_sales() {
  demo_kiosk
  uv --clerk clerk1 sell --meter 01234567897 --amount 10.00 >/dev/null
  uv --clerk clerk1 sell --meter 04123456784 --amount 20.00 >/dev/null
  uv --clerk super sell --meter 47160001237 --amount 30.00 >/dev/null
  # charged, change returned: 10.00 -> 9.83 (RES 1.50), 20.00 -> 19.98 (LIFE 0.90:
  # 19.3 kWh = 17.37 + VAT 2.6055 -> 2.61), 30.00 -> 29.84 (RES)
  expect_rc 0 uv report shift --clerk clerk1
  expect_out "^Sales +2$"
  expect_out "^Paid +29.81 ZAR"
  expect_rc 0 uv report day
  expect_out "^Sales +3$"
  expect_out "^Paid +59.65 ZAR"
  expect_out "^clerk1 +2 +29.81"
  expect_out "^super +1 +29.84"
  expect_rc 0 uv --clerk super report day --close
  expect_out "closed: closing 1"
  expect_rc 0 uv report day
  expect_out "^Sales +0$"
  expect_rc 0 uv audit list
  expect_out "day.close"
}

test_reprint_is_marked_and_audited() {
  demo_kiosk
  echo "printer = $T/printer.out" >>"$T/kiosk/univend.conf"
  echo "printer_format = text" >>"$T/kiosk/univend.conf"
  expect_rc 0 uv sell --meter 01234567897 --amount 10.00
  grep -q "^Receipt   1 " "$T/printer.out" || die "the sale was not printed"
  expect_rc 0 uv receipt reprint 1
  expect_out "\*\*\* REPRINT 1 \*\*\*"
  grep -q "REPRINT 1" "$T/printer.out" || die "the reprint was not printed"
  expect_rc 0 uv receipt show 1
  expect_out "REPRINT 1"
  expect_rc 0 uv audit list
  expect_out "receipt.reprint"
  expect_rc 0 uv store verify
}

test_missing_printer_does_not_lose_the_sale() {
  demo_kiosk
  echo "printer = $T/no/such/dir/lp0" >>"$T/kiosk/univend.conf"
  expect_rc 0 uv sell --meter 01234567897 --amount 10.00
  expect_out "the sale is stored, reprint when the printer is back"
  [ "$(receipt_count)" -eq 1 ] || die "the sale was not stored"
}
