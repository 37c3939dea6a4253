# t_cards.sh — card sales on plain memory cards, through the whole stack:
# univend -> libpcsclite -> pcscd -> vpcd -> cardsim (tests/e2e/cards.sh).

source "$(dirname "${BASH_SOURCE[0]}")/cards.sh"

MC_KEY=000102030405060708090A0B0C0D0E0F
MC_SERIAL=0A1B2C3D4E5F60
METER=01234567897

# a kiosk with the memory card driver, its master key, a tariff, a customer
# and a memory card meter; the customer's reader is the virtual one
card_kiosk() {
  bare_kiosk "$UNIVEND_DRIVERS/memcard.so"
  echo "card_reader = $CARD_READER" >>"$T/kiosk/univend.conf"
  uv key add memcard:master --hex $MC_KEY >/dev/null
  uv driver register memcard.so >/dev/null
  uv tariff add RES --price 1.500 --vat 15 --name Residential >/dev/null
  uv customer add C001 --name "Thandi Nkosi" >/dev/null
  uv meter add $METER --type MEM-A1 --customer C001 --tariff RES >/dev/null
}

# the customer's card for $METER
mc_card() {
  card_new memory "${1:-c1}" serial=${2:-$MC_SERIAL} meter=${3:-$METER} type=${4:-MEM-A1} \
    key=${5:-$MC_KEY}
}

# the card's 256 bytes, hex
mc_mem() { sed -n 's/^mem=//p' "$T/$1.img"; }
# set bytes of the card image: mc_poke NAME OFFSET HEX
mc_poke() {
  local mem
  mem=$(mc_mem "$1")
  mem="${mem:0:$(($2 * 2))}$3${mem:$(($2 * 2 + ${#3}))}"
  sed -i "s/^mem=.*/mem=$mem/" "$T/$1.img"
}

audit_has() { uv audit list | grep -Eq -- "$1" || die "audit lacks /$1/: $(uv audit list | tail -n 5)"; }

test_card_readers_listed() {
  card_env
  card_kiosk
  expect_rc 0 uv card readers
  expect_out "^Virtual PCD 00 00  <- card_reader"
  expect_out "^Virtual PCD 00 01$"
  expect_rc 0 uv driver list
  expect_out "card ATR 3B8F8001804F0CA0000003060D00000000000065/FFFFFFFFFFFFFFFFFFFFFFFFFF0000FFFFFFFF00"
}

test_card_sale_and_meter_readback() {
  card_env
  card_kiosk
  mc_card
  card_insert c1
  expect_rc 0 uv sell --card 50.00
  expect_out "^CARD WRITTEN: card $MC_SERIAL carries the credit of receipt 1$"
  expect_out "^CARD +$MC_SERIAL"
  expect_out "Energy +28.9 kWh"
  expect_out "Total +49.85 ZAR"
  expect_rc 0 uv receipt show 1
  expect_out "CARD +$MC_SERIAL"
  # the card says so, under its MAC: 28.9 kWh for the meter, record 1
  expect_rc 0 uv card read
  expect_out "record 1, 28.9 kWh not yet in the meter"
  expect_out "^last credit: sequence 1$"
  audit_has "sale .*receipt 1 .* card $MC_SERIAL"
  # no second sale on top of credit the meter has not taken
  expect_rc 6 uv sell --card 20.00
  expect_out "the card was not written: .*28.9 kWh the meter has not taken .*put the card in the meter first"
  [ "$(receipt_count)" -eq 1 ] || die "a second receipt was made"
  card_remove
  # the meter takes the credit and reports back on the card
  OUT=$(card_meter c1 key=$MC_KEY state=$T/meter1 use=1000)
  expect_out "took 28900 Wh of purchase 1"
  # the report area has no protection of its own: wiped, the kiosk does not
  # take the credit for still on the card and write it again
  mc_poke c1 96 "$(printf '0%.0s' $(seq 1 64))"
  card_insert c1
  expect_rc 6 uv sell --card 20.00
  expect_out "put the card in the meter first"
  [ "$(receipt_count)" -eq 1 ] || die "a sale on a wiped meter report"
  card_remove
  OUT=$(card_meter c1 key=$MC_KEY state=$T/meter1)
  expect_out "no new credit on the card"
  card_insert c1
  expect_rc 0 uv sell --card 20.00
  expect_out "receipt 2"
  card_remove
  OUT=$(card_meter c1 key=$MC_KEY state=$T/meter1)
  expect_out "took 11500 Wh of purchase 2"
  card_insert c1
  expect_rc 0 uv card read
  expect_out "meter says: +39.4 kWh remaining, no tamper \(new report\)"
  expect_no_out "not yet in the meter"
  expect_rc 0 uv meter show $METER
  expect_out "meter report: 39.4 kWh remaining, tamper none"
  audit_has "meter.report .*39.4 kWh remaining"
  # read again: the same report is not stored twice
  expect_rc 0 uv card read
  expect_no_out "new report"
  [ "$(uv audit list | grep -c "meter.report .*39.4 kWh")" -eq 1 ] || die "the same report was audited twice"
  expect_rc 0 uv store verify
}

# driver.memcard.keys = sam: the master key is only in the SAM on the
# second slot (the key store holds another); the SAM checks the card's MACs
# and makes the new record's, and the meter, holding the master, takes it
test_card_sale_with_sam() {
  card_env
  card_kiosk
  local sam_key=F0E1D2C3B4A5968778695A4B3C2D1E0F
  {
    echo "sam_reader = $SAM_READER"
    echo "driver.memcard.keys = sam"
    echo "driver.memcard.sam_slot = 2"
  } >>"$T/kiosk/univend.conf"
  card_new sam sam slot2=aes:$sam_key:mac
  card_insert sam 1
  mc_card c1 $MC_SERIAL $METER MEM-A1 $sam_key
  card_insert c1
  expect_rc 0 uv sell --card 50.00
  expect_out "^CARD WRITTEN: card $MC_SERIAL carries the credit of receipt 1$"
  [ "$(grep -c "> 801002" "$T/sam.log")" -ge 3 ] || die "the SAM did not make the MACs: $(cat "$T/sam.log")"
  card_remove
  OUT=$(card_meter c1 key=$sam_key)
  expect_out "took 28900 Wh of purchase 1"
  # a card made under another key (the key store's) is not this SAM's
  mc_card c2
  card_insert c2
  expect_rc 6 uv sell --card 10.00
  expect_out "its identification does not verify under SAM slot 2: a cloned card"
  audit_has "card.refused .*does not verify under SAM slot 2"
  [ "$(receipt_count)" -eq 1 ] || die "expected only the first receipt"
}

test_card_tamper_report() {
  card_env
  card_kiosk
  mc_card
  card_meter c1 key=$MC_KEY tamper=3 >/dev/null
  card_insert c1
  expect_rc 0 uv card read
  expect_out "TAMPER reported \(bits 0x3\) \(new report\)"
  expect_out "meter reports tamper: cover magnet"
  audit_has "meter.tamper .*tamper bits 0x3 reported by card $MC_SERIAL"
  expect_rc 0 uv meter show $METER
  expect_out "tamper REPORTED 0x3"
}

test_card_refused_clone() {
  card_env
  card_kiosk
  # personalised with another utility's key: the identity does not verify
  mc_card clone $MC_SERIAL $METER MEM-A1 FFEEDDCCBBAA99887766554433221100
  card_insert clone
  expect_rc 6 uv sell --card 50.00
  expect_out "not authentic|does not verify"
  expect_out "cloned card"
  # a genuine card's data copied onto a card with another serial
  mc_card c1
  cp "$T/c1.img" "$T/copy.img"
  cp "$T/c1.type" "$T/copy.type"
  mc_poke copy 6 0A1B2C3D4E5F61
  card_insert copy
  expect_rc 6 uv card read
  expect_out "card 0A1B2C3D4E5F61: its identification does not verify"
  [ "$(receipt_count)" -eq 0 ] || die "a receipt was made"
  [ "$(uv audit list | grep -c card.refused)" -eq 2 ] || die "both refusals must be audited"
  expect_rc 0 uv card pending
  expect_no_out "$METER"
}

test_card_refused_tampered_record() {
  card_env
  card_kiosk
  mc_card
  card_insert c1
  expect_rc 0 uv sell --card 10.00
  card_remove
  # more credit written into the record without the key: the MAC gives it away
  mc_poke c1 $((0x40 + 4)) 00000000000FFFFF
  card_insert c1
  expect_rc 6 uv sell --card 10.00
  expect_out "the credit record was altered \(its MAC is wrong\)"
  audit_has "card.refused .*credit record was altered"
  [ "$(receipt_count)" -eq 1 ] || die "expected only the first receipt"
}

test_card_refused_rollback() {
  card_env
  card_kiosk
  mc_card
  card_insert c1
  expect_rc 0 uv sell --card 10.00
  card_remove
  cp "$T/c1.img" "$T/c1.saved" # the card after sale 1, copied
  card_meter c1 key=$MC_KEY >/dev/null # the meter takes sale 1
  card_insert c1
  expect_rc 0 uv sell --card 10.00
  card_remove
  cp "$T/c1.saved" "$T/c1.img" # rolled back to the copy
  card_insert c1
  expect_rc 6 uv sell --card 10.00
  expect_out "holds credit record 1, but this kiosk wrote record 2 to it: a copied or rolled-back card"
  audit_has "card.refused .*rolled-back"
  [ "$(receipt_count)" -eq 2 ] || die "expected two receipts"
}

test_card_refused_unknown_cards() {
  card_env
  card_kiosk
  card_new memory blank blank=1
  card_insert blank
  expect_rc 6 uv card read
  expect_out "This card is not one this kiosk knows: the drivers for its ATR 3B8F.* do not recognise it"
  card_new memory alien serial=$MC_SERIAL meter=$METER type=MEM-A1 key=$MC_KEY atr=3B0212345678
  card_insert alien
  expect_rc 6 uv sell --card 10.00
  expect_out "no registered driver reads cards with ATR 3B0212345678"
  [ "$(uv audit list | grep -c card.refused)" -eq 2 ] || die "refusals must be audited"
}

test_card_refused_no_driver_or_meter() {
  card_env
  card_kiosk
  mc_card x1 $MC_SERIAL $METER MEM-X1
  card_insert x1
  expect_rc 6 uv sell --card 10.00
  expect_out "This card \(type MEM-X1\) has no driver on this kiosk"
  mc_card other $MC_SERIAL 04123456784
  card_insert other
  expect_rc 6 uv sell --card 10.00
  expect_out "This card is for meter 04123456784, which is not registered at this kiosk"
  audit_has "card.refused +04123456784 .*not registered"
  audit_has "card.refused +$METER .*MEM-X1"
  [ "$(receipt_count)" -eq 0 ] || die "a receipt was made"
}

test_card_meter_sold_only_on_card() {
  card_env
  card_kiosk
  expect_rc 3 uv sell --meter $METER --amount 10.00
  expect_out "is sold on its card"
  # no reader configured: said plainly
  sed -i '/^card_reader/d' "$T/kiosk/univend.conf"
  expect_rc 3 uv sell --card 10.00
  expect_out "no card reader is configured: set card_reader in univend.conf"
}

test_card_wait_for_card() {
  card_env
  card_kiosk
  mc_card
  expect_rc 4 uv sell --card 10.00 --wait 1
  expect_out "no card was inserted within 1 s"
  # the sale waits for the card, and sells when it comes
  uv sell --card 10.00 --wait 20 >"$T/sale.out" 2>&1 &
  local sale=$! rc=0
  sleep 1
  card_insert c1
  wait $sale || rc=$?
  OUT=$(cat "$T/sale.out")
  [ $rc -eq 0 ] || die "the sale failed ($rc): $OUT"
  expect_out "insert the customer's card"
  expect_out "CARD WRITTEN"
}

test_card_pcscd_not_running() {
  card_env
  card_kiosk
  kill $PCSCD_PID
  wait $PCSCD_PID 2>/dev/null || true
  PCSCD_PID=
  expect_rc 10 uv card read --wait 1
  expect_out "the card service pcscd is not running"
}

# the card pulled when the credit write arrives, before the card runs it
test_card_pulled_before_write() {
  card_env
  card_kiosk
  mc_card
  local before
  before=$(mc_mem c1)
  card_insert c1 --pull-before 4
  expect_rc 10 uv sell --card 50.00
  expect_out "NOTHING IS RECORDED YET"
  expect_out "put the same card back in"
  card_log c1 | grep -q "^4 > FFD600402" || die "the 4th APDU was not the credit write: $(card_log c1)"
  card_gone
  [ "$(mc_mem c1)" = "$before" ] || die "the card changed"
  [ "$(receipt_count)" -eq 0 ] || die "a sale was recorded"
  expect_rc 0 uv card pending
  expect_out "^$METER +card $MC_SERIAL"
  audit_has "sale.card-unconfirmed"
  # the card back in: the credit did not reach it, nothing was sold
  card_insert c1
  expect_rc 0 uv card read
  expect_out "EARLIER SALE NOT MADE: the write that was not confirmed \(sequence 1\) did not reach the card"
  audit_has "sale.card-unsold .*did not reach card $MC_SERIAL .*nothing was sold"
  expect_rc 0 uv card pending
  expect_no_out "$METER"
  # and the sale can be made now
  expect_rc 0 uv sell --card 50.00
  expect_out "carries the credit of receipt 1"
  expect_rc 0 uv store verify
}

# the card runs the write, then is pulled before it answers
test_card_pulled_after_write() {
  card_env
  card_kiosk
  grant_credit G1 100000 0 "$(days_from_now 30)" # 1,000.00 ZAR of vending credit
  mc_card
  local before
  before=$(mc_mem c1)
  card_insert c1 --pull-after 4
  expect_rc 10 uv sell --card 50.00
  expect_out "NOTHING IS RECORDED YET"
  card_log c1 | grep -q "^4 pulled after it ran" || die "not pulled after the write: $(card_log c1)"
  card_gone
  [ "$(mc_mem c1)" != "$before" ] || die "the card did not get the write"
  [ "$(receipt_count)" -eq 0 ] || die "a sale was recorded before it was confirmed"
  # a sale to it now settles the earlier one instead: the credit is there
  card_insert c1
  expect_rc 0 uv sell --card 50.00
  expect_out "EARLIER SALE COMPLETED: the card holds the credit of the write that was not confirmed \(sequence 1\); it is recorded now as receipt 1"
  expect_out "No new sale was made"
  expect_out "Energy +28.9 kWh"
  expect_out "CARD +$MC_SERIAL"
  audit_has "sale.card-confirmed .*receipt 1 .*reached card $MC_SERIAL"
  [ "$(receipt_count)" -eq 1 ] || die "expected the settled receipt"
  # settled as every sale is: the vending credit pays for it
  expect_rc 0 uv credit
  expect_out "used +49.85 ZAR"
  expect_rc 0 uv store verify
  # the next sale goes on from the card's record, once the meter took the first
  expect_rc 6 uv sell --card 20.00
  expect_out "put the card in the meter first"
  card_remove
  OUT=$(card_meter c1 key=$MC_KEY)
  expect_out "took 28900 Wh of purchase 1"
  card_insert c1
  expect_rc 0 uv sell --card 20.00
  expect_out "carries the credit of receipt 2"
  expect_rc 0 uv card read
  expect_out "record 2, 11.5 kWh not yet in the meter"
}

# a pending write can only be settled by its own card; a supervisor clears
# it when that card is lost
test_card_pending_needs_its_card() {
  card_env
  card_kiosk
  mc_card
  card_insert c1 --pull-after 4
  expect_rc 10 uv sell --card 50.00
  card_gone
  mc_card new 0A1B2C3D4E5F99
  card_insert new
  expect_rc 6 uv sell --card 10.00
  expect_out "written to card $MC_SERIAL and not confirmed: insert that card first"
  expect_rc 3 uv card pending clear $METER --reason ""
  expect_out "say why"
  expect_rc 0 uv card pending clear $METER --reason "card lost"
  audit_has "card.pending-cleared .*card lost"
  expect_rc 0 uv sell --card 10.00
  expect_out "CARD WRITTEN: card 0A1B2C3D4E5F99"
}

# a card sale on a clock set back is refused before pricing, and audited,
# as a sale by meter number is
test_card_sale_on_a_clock_set_back_is_refused() {
  command -v faketime >/dev/null || die "faketime is not installed (scripts/setup installs it)"
  card_env
  card_kiosk
  mc_card
  card_insert c1
  expect_rc 0 uv sell --card 10.00
  card_remove
  card_meter c1 key=$MC_KEY >/dev/null
  card_insert c1
  ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    expect_rc 6 faketime -f -1d "$UNIVEND" --home "$T/kiosk" sell --card 10.00
  expect_out "earlier than the last sale"
  audit_has "clock.refused"
  [ "$(receipt_count)" -eq 1 ] || die "a sale on a clock set back"
}
