# t_openpaygo.sh — OpenPAYGO Token devices through the CLI.
# Keys and starting codes are those of the official test material:
#  123456789: the quick device test of EnAccess/OpenPAYGO-docs
#             (setting_up_openpaygo.md), starting code 123456789;
#  555000111: device TEST220000001 of EnAccess/OpenPAYGO-python
#             test/test_tokens.jsonl, starting code 516959010.
QT_KEY=a29ab82edc5fbbc41ec9530f6dac86b1
T1_KEY=bc41ec9530f6dac86b1a29ab82edc5fb

opaygo_kiosk() {
  bare_kiosk "$UNIVEND_DRIVERS/openpaygo.so"
  expect_rc 0 uv driver register openpaygo.so
  expect_out "registered OPAYGO +-> openpaygo.so"
  expect_rc 0 uv key add opaygo:123456789 --hex $QT_KEY
  expect_rc 0 uv key add opaygo:555000111 --hex $T1_KEY
  uv tariff add SOLAR --price 2.000 --vat 0 --name "Solar home" >/dev/null
  uv customer add C1 --name "Solar Customer" >/dev/null
  expect_rc 0 uv meter add 123456789 --type OPAYGO --customer C1 --tariff SOLAR \
    --param starting_code=123456789
  expect_out "OpenPAYGO Token, 9 digits"
  expect_rc 0 uv meter add 555000111 --type OPAYGO --customer C1 --tariff SOLAR \
    --param starting_code=516959010
}

test_openpaygo_sell_and_decode() {
  opaygo_kiosk
  # 2.00 at 2.00/kWh: 1 kWh, the quick test's first token (count 2)
  expect_rc 0 uv sell --meter 123456789 --amount 2.00
  expect_out "^TOKEN 6624 8679 0$"
  expect_out "Energy +1.0 kWh"
  expect_rc 0 uv token decode 6624 8679 0 --meter 123456789
  expect_out "ADD_CREDIT token: 1.0 kWh electricity, value 1, count 2"
  # the next sale advances the count: 29 kWh is the quick test's second token
  expect_rc 0 uv sell --meter 123456789 --amount 58.00
  expect_out "^TOKEN 9277 0681 8$"
  expect_out "Energy +29.0 kWh"
  local token
  token=$(sed -n 's/^TOKEN //p' <<<"$OUT" | head -n1)
  expect_rc 0 uv receipt show 2
  expect_out "TOKEN +$token"
  expect_rc 0 uv token decode $token --meter 123456789
  expect_out "29.0 kWh electricity, value 29, count 4"
  expect_rc 0 uv meter show 123456789
  expect_out "sales: +2"
}

test_openpaygo_token_of_another_device_refused() {
  opaygo_kiosk
  expect_rc 0 uv sell --meter 555000111 --amount 2.00
  # the official vector: TEST220000001, count 1, ADD 1 -> 588224011
  expect_out "^TOKEN 5882 2401 1$"
  expect_rc 0 uv token decode 588224011 --meter 555000111
  expect_out "1.0 kWh electricity"
  expect_rc 6 uv token decode 588224011 --meter 123456789
  expect_out "not a token of device 123456789"
  expect_rc 0 uv sell --meter 123456789 --amount 2.00
  expect_rc 6 uv token decode 662486790 --meter 555000111
  # not a token at all
  expect_rc 3 uv token decode 12345 --meter 123456789
  expect_out "9 digits"
}

test_openpaygo_refusals() {
  opaygo_kiosk
  # more than one token carries (995 kWh)
  expect_rc 3 uv sell --meter 123456789 --amount 2000.00
  expect_out "more than one token carries"
  # a device whose key is not in the key store, a bad starting code
  expect_rc 6 uv meter add 777 --type OPAYGO --customer C1 --tariff SOLAR
  expect_out "no device key 'opaygo:777'"
  expect_rc 6 uv meter add 778 --type OPAYGO --customer C1 --tariff SOLAR \
    --param key=opaygo:123456789 --param starting_code=1234567890
  expect_out "starting_code must be 1 to 9 digits"
  expect_rc 0 uv receipt list
  [ "$(receipt_count)" -eq 0 ] || die "a refused sale left a receipt"
  expect_rc 0 uv driver check openpaygo.so
  expect_out "self test: +passed"
}
