# t_refusals.sh — bad input gets a clear message, a non-zero status, no receipt.

test_bad_amounts() {
  demo_kiosk
  expect_rc 3 uv sell --meter 01234567897 --amount -5
  expect_out "negative"
  expect_rc 3 uv sell --meter 01234567897 --amount abc
  expect_out "not a valid amount"
  expect_rc 3 uv sell --meter 01234567897 --amount 10.005
  expect_rc 3 uv sell --meter 01234567897 --amount 0.50
  expect_out "below the minimum sale of 1.00 ZAR"
  expect_rc 3 uv sell --meter 01234567897 --amount 20000
  expect_out "above the maximum sale of 10000.00 ZAR"
  [ "$(receipt_count)" -eq 0 ] || die "a refused sale left a receipt"
}

test_unknown_meter_and_bad_check_digit() {
  demo_kiosk
  expect_rc 4 uv sell --meter 12345678901 --amount 10
  expect_out "no meter 12345678901"
  expect_rc 6 uv meter add 01234567890 --type STS-EA07 --customer C001 --tariff RES \
    --param sgc=123456 --param ti=01 --param krn=1
  expect_out "check digit"
  expect_rc 4 uv sell --meter 01234567890 --amount 10
  expect_rc 2 uv sell --meter 01234567897
  expect_out "usage"
}

test_meter_of_unregistered_type_is_refused() {
  demo_kiosk
  expect_rc 6 uv meter add 10000000017 --type ACME-X1 --customer C001 --tariff RES
  expect_out "no driver is registered for meter type ACME-X1"
}

test_tampered_driver_refuses_sale() {
  bare_kiosk "$UNIVEND_DRIVERS/sts.so"
  expect_rc 0 uv key add sts:123456:1 --random 8
  expect_out "wrapped"
  expect_rc 0 uv driver register sts.so
  uv tariff add RES --price 1.5 --vat 15 >/dev/null
  uv customer add C1 --name "Test" >/dev/null
  expect_rc 0 uv meter add 01234567897 --type STS-EA07 --customer C1 --tariff RES \
    --param sgc=123456 --param ti=1 --param krn=1
  expect_rc 0 uv sell --meter 01234567897 --amount 10
  printf 'X' >>"$T/drivers/sts.so"
  expect_rc 6 uv sell --meter 01234567897 --amount 10
  expect_out "changed since it was registered"
  expect_rc 6 uv driver verify
  expect_out "REFUSED +STS-EA07"
  [ "$(receipt_count)" -eq 1 ] || die "the refused sale left a receipt"
  expect_rc 0 uv audit list
  expect_out "driver.refused"
}

test_wrong_passphrase_is_refused() {
  demo_kiosk
  # the demo kiosk reads its passphrase file; point it elsewhere
  sed -i 's/^passphrase_file.*//' "$T/kiosk/univend.conf"
  UNIVEND_PASSPHRASE=not-the-one expect_rc 9 uv sell --meter 01234567897 --amount 10 </dev/null
  expect_rc 0 uv receipt list
}

test_keys_never_printed() {
  bare_kiosk
  expect_rc 0 uv key add sts:1:1 --hex 0123456789abcdef
  expect_rc 0 uv key list
  expect_out "sts:1:1 +8 bytes"
  expect_no_out "0123456789abcdef"
  expect_rc 0 uv audit list
  expect_no_out "0123456789"
  ! grep -rqa "$(printf '\x01\x23\x45\x67\x89\xab\xcd\xef')" "$T/kiosk/db" || die "key bytes in clear in the database"
  expect_rc 5 uv key add sts:1:1 --hex 0123456789abcdef
  expect_rc 3 uv key add sts:1:2 --hex 012
  expect_rc 0 uv key add sts:1:2 --hex 0123
  expect_rc 3 uv key add sts:1:3 --hex zz
}
