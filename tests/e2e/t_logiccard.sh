# t_logiccard.sh — card sales on logic-encryption cards (logiccard.so,
# SLE4442 style) through the whole stack: univend -> libpcsclite -> pcscd ->
# vpcd -> cardsim (tests/e2e/cards.sh).

source "$(dirname "${BASH_SOURCE[0]}")/cards.sh"

LC_KEY=000102030405060708090A0B0C0D0E0F
LC_OTHER=F0E1D2C3B4A5968778695A4B3C2D1E0F
LC_SERIAL=0455AA10203040
METER=01234567897

# a kiosk with the logic card driver, its master key, a tariff, a customer
# and a logic card meter; the customer's reader is the virtual one
lc_kiosk() {
  bare_kiosk "$UNIVEND_DRIVERS/logiccard.so"
  echo "card_reader = $CARD_READER" >>"$T/kiosk/univend.conf"
  uv key add logiccard:master --hex $LC_KEY >/dev/null
  uv driver register logiccard.so >/dev/null
  uv tariff add RES --price 1.500 --vat 15 --name Residential >/dev/null
  uv customer add C001 --name "Thandi Nkosi" >/dev/null
  uv meter add $METER --type LOGIC-4442 --customer C001 --tariff RES >/dev/null
}

# the customer's card: lc_card NAME [master=... psc=... ec=...] (the
# simulator takes an option's first value: the default master goes last)
lc_card() {
  local name=$1; shift
  card_new logic "$name" serial=$LC_SERIAL meter=$METER type=LOGIC-4442 "$@" master=$LC_KEY
}

lc_ec() { sed -n 's/^ec=//p' "$T/$1.img"; }
lc_mem() { sed -n 's/^mem=//p' "$T/$1.img"; }
# set bytes of the card image: lc_poke NAME OFFSET HEX
lc_poke() {
  local mem
  mem=$(lc_mem "$1")
  mem="${mem:0:$(($2 * 2))}$3${mem:$(($2 * 2 + ${#3}))}"
  sed -i "s/^mem=.*/mem=$mem/" "$T/$1.img"
}

audit_has() { uv audit list | grep -Eq -- "$1" || die "audit lacks /$1/: $(uv audit list | tail -n 5)"; }

test_logic_sale_meter_and_sale_again() {
  card_env
  lc_kiosk
  lc_card c1
  card_insert c1
  expect_rc 0 uv sell --card 50.00
  expect_out "^CARD WRITTEN: card $LC_SERIAL carries the credit of receipt 1$"
  expect_out "Energy +28.9 kWh"
  [ "$(lc_ec c1)" = 3 ] || die "the security code counter is $(lc_ec c1), not 3"
  expect_rc 0 uv card read
  expect_out "28.9 kWh not yet loaded into the meter"
  expect_out "^last credit: sequence 1$"
  # the meter has not taken it: the driver will not add to it
  expect_rc 6 uv sell --card 20.00
  expect_out "the card was not written: .*put the card in the meter first"
  [ "$(receipt_count)" -eq 1 ] || die "a second receipt was made"
  card_remove
  OUT=$(card_meter c1 master=$LC_KEY remaining=20000)
  expect_out "loaded 28900 from purchase 1 \(receipt 1\)"
  card_insert c1
  expect_rc 0 uv card read
  expect_out "meter says: +20.0 kWh remaining, no tamper"
  expect_rc 0 uv sell --card 20.00
  expect_out "carries the credit of receipt 2"
  expect_rc 0 uv store verify
}

test_logic_refused_clone_tampered_replay_unknown() {
  card_env
  lc_kiosk
  # issued under another key: refused before its code is ever tried
  lc_card clone master=$LC_OTHER
  card_insert clone
  expect_rc 6 uv sell --card 10.00
  expect_out "fails its MAC"
  [ "$(lc_ec clone)" = 3 ] || die "the clone lost a try: $(lc_ec clone)"
  # credit written into the record by hand
  lc_card c1
  lc_poke c1 $((0x50 + 16)) 0000000000100000
  card_insert c1
  expect_rc 6 uv sell --card 10.00
  expect_out "fails its MAC"
  # a card restored from a copy after a sale
  lc_card c2
  cp "$T/c2.img" "$T/c2.saved"
  card_insert c2
  expect_rc 0 uv sell --card 10.00
  card_remove
  cp "$T/c2.saved" "$T/c2.img"
  card_insert c2
  expect_rc 6 uv sell --card 10.00
  expect_out "restored from an older copy"
  # a blank card
  card_new logic blank
  card_insert blank
  expect_rc 6 uv card read
  expect_out "This card is not one this kiosk knows"
  [ "$(receipt_count)" -eq 1 ] || die "expected only the genuine sale"
  [ "$(uv audit list | grep -c card.refused)" -eq 4 ] || die "every refusal must be audited"
  audit_has "card.refused .*older copy"
}

# a card whose code is not the one derived for it: one try spent per
# refusal, and the kiosk stops while one is left
test_logic_last_try_never_spent() {
  card_env
  lc_kiosk
  lc_card c1 psc=123456
  card_insert c1
  expect_rc 6 uv sell --card 10.00
  expect_out "2 tries left"
  card_insert c1
  expect_rc 6 uv sell --card 10.00
  [ "$(lc_ec c1)" = 1 ] || die "expected 1 try left, not $(lc_ec c1)"
  card_insert c1
  expect_rc 6 uv sell --card 10.00
  expect_out "only the last try"
  expect_out "utility office"
  [ "$(lc_ec c1)" = 1 ] || die "the kiosk spent the last try"
  [ "$(receipt_count)" -eq 0 ] || die "a receipt was made"
  [ "$(uv audit list | grep -c card.refused)" -eq 3 ] || die "every refusal must be audited"
  audit_has "card.refused .*only the last try"
}

# pulled when the credit write arrives: before the card runs it, and after
test_logic_pulled_mid_write() {
  card_env
  lc_kiosk
  lc_card c1
  card_insert c1
  expect_rc 0 uv card read # read_medium and verify: 5 APDUs
  card_remove
  card_insert c1 --pull-before 8
  expect_rc 10 uv sell --card 50.00
  expect_out "NOTHING IS RECORDED YET"
  card_log c1 | grep -q "^8 > FFD6007020" || die "the 8th APDU was not the write: $(card_log c1)"
  card_gone
  card_insert c1
  expect_rc 0 uv card read
  expect_out "EARLIER SALE NOT MADE"
  [ "$(receipt_count)" -eq 0 ] || die "a receipt was made for the pulled card"
  audit_has "sale.card-unconfirmed .*sequence 1"
  audit_has "sale.card-unsold"
  card_remove
  lc_card c2
  card_insert c2 --pull-after 8
  expect_rc 10 uv sell --card 50.00
  card_gone
  card_insert c2
  expect_rc 0 uv sell --card 50.00
  expect_out "EARLIER SALE COMPLETED"
  expect_out "No new sale was made"
  [ "$(receipt_count)" -eq 1 ] || die "expected the settled receipt only"
  expect_rc 0 uv store verify
}

# the master key in a SAM on the second slot, not in the key store
test_logic_sale_with_sam() {
  card_env
  lc_kiosk
  {
    echo "sam_reader = $SAM_READER"
    echo "driver.logiccard.keys = sam"
    echo "driver.logiccard.sam_slot = 2"
  } >>"$T/kiosk/univend.conf"
  card_new sam sam slot2=aes:$LC_OTHER:mac
  card_insert sam 1
  lc_card c1 master=$LC_OTHER
  card_insert c1
  expect_rc 0 uv sell --card 50.00
  expect_out "^CARD WRITTEN: card $LC_SERIAL"
  grep -q "> 8010" "$T/sam.log" || die "the SAM was not asked: $(cat "$T/sam.log")"
  # a card under the key store's master is not this SAM's
  card_remove
  lc_card c2
  card_insert c2
  expect_rc 6 uv sell --card 10.00
  expect_out "fails its MAC"
}
