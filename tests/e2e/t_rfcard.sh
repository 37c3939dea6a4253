# t_rfcard.sh — card sales on MIFARE-Classic-style RF cards (rfcard.so)
# through the whole stack: univend -> libpcsclite -> pcscd -> vpcd -> cardsim
# (tests/e2e/cards.sh).

source "$(dirname "${BASH_SOURCE[0]}")/cards.sh"

RF_SECTOR=000102030405060708090A0B0C0D0E0F
RF_MAC=101112131415161718191A1B1C1D1E1F
RF_OTHER=F0E1D2C3B4A5968778695A4B3C2D1E0F
RF_UID=04A1B2C3D4E5F6
METER=01234567897

# a kiosk with the RF card driver, its two master keys, a tariff, a customer
# and an RF card meter; the customer's reader is the virtual one
rf_kiosk() {
  bare_kiosk "$UNIVEND_DRIVERS/rfcard.so"
  echo "card_reader = $CARD_READER" >>"$T/kiosk/univend.conf"
  uv key add rfcard:sector --hex $RF_SECTOR >/dev/null
  uv key add rfcard:mac --hex $RF_MAC >/dev/null
  uv driver register rfcard.so >/dev/null
  uv tariff add RES --price 1.500 --vat 15 --name Residential >/dev/null
  uv customer add C001 --name "Thandi Nkosi" >/dev/null
  uv meter add $METER --type RF-MF1K --customer C001 --tariff RES >/dev/null
}

# the customer's card: rf_card NAME [uid=... master=... mac=...] (the simulator
# takes an option's first value: the defaults go last)
rf_card() {
  local name=$1; shift
  card_new rf "$name" meter=$METER type=RF-MF1K "$@" uid=$RF_UID master=$RF_SECTOR mac=$RF_MAC
}

# sector 2 (value block 8, credit records 9 and 10) of a card image
rf_s2() { sed -n 's/^s2=//p' "$T/$1.img"; }
# set a block of sector 2: rf_block NAME BLOCK(0-3) HEX32
rf_block() {
  local s2
  s2=$(rf_s2 "$1")
  s2="${s2:0:$(($2 * 32))}$3${s2:$(($2 * 32 + 32))}"
  sed -i "s/^s2=.*/s2=$s2/" "$T/$1.img"
}
# the number of the APDU that wrote block $2 first in card $1's log
rf_write_at() { card_log "$1" | sed -n "s/^\([0-9]*\) > FFD600$(printf %02X "$2")10.*/\1/p" | head -n 1; }

audit_has() { uv audit list | grep -Eq -- "$1" || die "audit lacks /$1/: $(uv audit list | tail -n 5)"; }

test_rf_sale_meter_and_sale_again() {
  card_env
  rf_kiosk
  rf_card c1
  card_insert c1
  expect_rc 0 uv sell --card 50.00
  expect_out "^CARD WRITTEN: card $RF_UID carries the credit of receipt 1$"
  expect_out "Energy +28.9 kWh"
  # the value block holds the credit, its inverted and duplicated copies
  [ "$(rf_s2 c1 | cut -c1-32)" = "E47000001B8FFFFFE470000008F708F7" ] ||
    die "value block: $(rf_s2 c1 | cut -c1-32)"
  expect_rc 0 uv card read
  expect_out "28.9 kWh not yet loaded into the meter"
  expect_out "^last credit: sequence 1$"
  # the meter has not taken it: the driver will not add to it
  expect_rc 6 uv sell --card 20.00
  expect_out "the card was not written: .*hold the card to the meter first"
  [ "$(receipt_count)" -eq 1 ] || die "a second receipt was made"
  card_remove
  OUT=$(card_meter c1 master=$RF_SECTOR mac=$RF_MAC remaining=20000)
  expect_out "loaded 28900 from purchase 1 \(receipt 1\)"
  card_insert c1
  expect_rc 0 uv card read
  expect_out "meter says: +20.0 kWh remaining, no tamper"
  expect_rc 0 uv sell --card 20.00
  expect_out "carries the credit of receipt 2"
  expect_rc 0 uv store verify
}

test_rf_refused_clone_tampered_replay_unknown() {
  card_env
  rf_kiosk
  # sector keys of another master: a copy onto a card of another system
  rf_card clone master=$RF_OTHER
  card_insert clone
  expect_rc 6 uv sell --card 10.00
  expect_out "This card is not one this kiosk knows"
  # sector keys right (broken out of a card), the record MAC'd under another key
  rf_card forged mac=$RF_OTHER
  card_insert forged
  expect_rc 6 uv sell --card 10.00
  expect_out "fails its MAC"
  # credit put into the value block by hand (a well-formed block of 1000)
  rf_card c1
  rf_block c1 0 E803000017FCFFFFE803000008F708F7
  card_insert c1
  expect_rc 6 uv sell --card 10.00
  expect_out "fails its MAC"
  # a card restored from a copy after a sale
  rf_card c2
  cp "$T/c2.img" "$T/c2.saved"
  card_insert c2
  expect_rc 0 uv sell --card 10.00
  card_remove
  cp "$T/c2.saved" "$T/c2.img"
  card_insert c2
  expect_rc 6 uv sell --card 10.00
  expect_out "restored from an older copy"
  # a blank card (transport keys)
  card_new rf blank uid=04112233445566
  card_insert blank
  expect_rc 6 uv card read
  expect_out "This card is not one this kiosk knows"
  [ "$(receipt_count)" -eq 1 ] || die "expected only the genuine sale"
  [ "$(uv audit list | grep -c card.refused)" -eq 5 ] || die "every refusal must be audited: $(uv audit list)"
  audit_has "card.refused .*older copy"
  audit_has "card.refused .*fails its MAC"
}

# pulled at the credit record's write (nothing reached the card), and after
# the value block's write (the credit is on it)
test_rf_pulled_mid_write() {
  card_env
  rf_kiosk
  rf_card probe
  card_insert probe
  expect_rc 0 uv sell --card 50.00
  card_remove
  local rec val
  rec=$(rf_write_at probe 10)
  val=$(rf_write_at probe 8)
  [ -n "$rec" ] && [ -n "$val" ] && [ "$val" -gt "$rec" ] ||
    die "the record (block 10) is not written before the value block (8): $(card_log probe)"
  uv card pending >/dev/null
  # other cards of the same meter (a card replaced): the kiosk's shadow
  # counter is kept per card serial
  rf_card c1 uid=04000000000001
  card_insert c1 --pull-before "$rec"
  expect_rc 10 uv sell --card 50.00
  expect_out "NOTHING IS RECORDED YET"
  card_gone
  card_insert c1
  expect_rc 0 uv card read
  expect_out "EARLIER SALE NOT MADE"
  [ "$(receipt_count)" -eq 1 ] || die "a receipt was made for the pulled card"
  audit_has "sale.card-unconfirmed .*sequence 2"
  audit_has "sale.card-unsold"
  card_remove
  rf_card c2 uid=04000000000002
  card_insert c2 --pull-after "$val"
  expect_rc 10 uv sell --card 50.00
  card_gone
  card_insert c2
  expect_rc 0 uv sell --card 50.00
  expect_out "EARLIER SALE COMPLETED"
  expect_out "No new sale was made"
  [ "$(receipt_count)" -eq 2 ] || die "expected the first sale and the settled one"
  expect_rc 0 uv store verify
}

# the sector master in a SAM on the second slot, exported (a contactless
# reader needs the sector key in clear); the MAC master in a slot that
# never exports
test_rf_sale_with_sam() {
  card_env
  rf_kiosk
  echo "sam_reader = $SAM_READER" >>"$T/kiosk/univend.conf"
  echo "driver.rfcard.keys = sam" >>"$T/kiosk/univend.conf"
  card_new sam sam slot2=aes:$RF_OTHER:export slot1=aes:$RF_MAC:mac
  card_insert sam 1
  rf_card c1 master=$RF_OTHER
  card_insert c1
  expect_rc 0 uv sell --card 50.00
  expect_out "^CARD WRITTEN: card $RF_UID"
  grep -q "> 80" "$T/sam.log" || die "the SAM was not asked: $(cat "$T/sam.log")"
  # the key store's sector master is not the SAM's: that card is refused
  card_remove
  rf_card c2
  card_insert c2
  expect_rc 6 uv sell --card 10.00
  expect_out "This card is not one this kiosk knows"
  # a SAM whose sector slot does not export: the clerk is told why
  card_remove 1
  card_new sam sam2 slot2=aes:$RF_OTHER:mac slot1=aes:$RF_MAC:mac
  card_insert sam2 1
  card_insert c1
  expect_rc 6 uv card read
  expect_out "must be personalised export=1"
  [ "$(receipt_count)" -eq 1 ] || die "expected the one sale"
}
