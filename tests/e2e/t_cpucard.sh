# t_cpucard.sh — CPU card sales through the whole stack: univend ->
# libpcsclite -> pcscd -> vpcd -> cardsim (tests/e2e/cards.sh), the card
# on the first slot of the virtual reader and, in SAM mode, the SAM on the
# second.

source "$(dirname "${BASH_SOURCE[0]}")/cards.sh"

CPU_MASTER=000102030405060708090A0B0C0D0E0F
CPU_METER_MASTER=F0E1D2C3B4A5968778695A4B3C2D1E0F
CPU_SERIAL=0000A1B2C3D4E5F6
METER=04123456789

# a kiosk with the CPU card driver, a tariff, a customer and a CPU card
# meter; the keys in its key store unless "sam" is given, then on a SAM;
# more univend.conf lines after that
cpu_kiosk() {
  local mode=${1:-store}
  shift || true
  bare_kiosk "$UNIVEND_DRIVERS/cpucard.so"
  {
    echo "card_reader = $CARD_READER"
    echo "sam_reader = $SAM_READER"
    echo "driver.cpucard.keys = $mode"
    local l
    for l in "$@"; do echo "$l"; done
  } >>"$T/kiosk/univend.conf"
  if [ "$mode" = store ]; then
    uv key add cpucard:card --hex $CPU_MASTER >/dev/null
    uv key add cpucard:meter --hex $CPU_METER_MASTER >/dev/null
  fi
  uv driver register cpucard.so >/dev/null
  uv tariff add RES --price 1.500 --vat 15 --name Residential >/dev/null
  uv customer add C001 --name "Thandi Nkosi" >/dev/null
  uv meter add $METER --type CPU-E1 --customer C001 --tariff RES >/dev/null
}

# cpu_card NAME [opt=value...]: the customer's card for $METER (made with
# the utility's card master unless master= is given)
cpu_card() {
  local name=$1; shift
  local master=master=$CPU_MASTER
  [[ " $* " != *" master="* ]] || master=
  card_new cpu "$name" serial=$CPU_SERIAL meter=$METER $master "$@" >/dev/null
}

# the card's files and fields, hex, as the simulator keeps them
cpu_field() { sed -n "s/^$2=//p" "$T/$1.img"; }
# flip a byte of a file: cpu_flip NAME FIELD BYTE
cpu_flip() {
  local v b
  v=$(cpu_field "$1" "$2")
  b=$(printf '%02X' $((0x${v:$(($3 * 2)):2} ^ 0x01)))
  sed -i "s/^$2=.*/$2=${v:0:$(($3 * 2))}$b${v:$(($3 * 2 + 2))}/" "$T/$1.img"
}
audit_has() { uv audit list | grep -Eq -- "$1" || die "audit lacks /$1/: $(uv audit list | tail -n 5)"; }
refusals() { uv audit list | grep -c card.refused || true; }

test_cpucard_sale_store_keys_and_meter_readback() {
  card_env
  cpu_kiosk store
  cpu_card c1
  card_insert c1
  expect_rc 0 uv card read
  expect_out "^check: +CPU card purchase 0 \(none yet\), 0\.0 kWh not yet in the meter"
  expect_rc 0 uv sell --card 50.00
  expect_out "^CARD WRITTEN: card $CPU_SERIAL carries the credit of receipt 1$"
  expect_out "Energy +28.9 kWh"
  expect_out "TID +$CPU_SERIAL/1"
  # mutual authentication, then the protected write, then the read back
  card_log c1 | grep -q "> 0088000008" || die "no INTERNAL AUTHENTICATE: $(card_log c1)"
  card_log c1 | grep -q "> 0082000008" || die "no EXTERNAL AUTHENTICATE"
  card_log c1 | grep -q "> 04D6820030" || die "no MAC'd purchase write"
  expect_rc 0 uv card read
  expect_out "purchase 1, 28\.9 kWh not yet in the meter"
  expect_out "^last credit: sequence 1$"
  audit_has "sale .*receipt 1 .* card $CPU_SERIAL"
  # a second sale adds to what the meter has not loaded
  expect_rc 0 uv sell --card 20.00
  expect_out "receipt 2"
  card_remove
  # the meter checks the purchase with its own key, loads it, reports back
  OUT=$(card_meter c1 metermaster=$CPU_METER_MASTER use=1000 tamper=1)
  expect_out "loaded 40400 Wh \(purchase 2\)"
  card_insert c1
  expect_rc 0 uv card read
  expect_out "the meter loaded purchase 2 and reports 39\.4 kWh left, tamper cover opened"
  audit_has "meter.report .*39.4 kWh remaining"
  audit_has "meter.tamper .*card $CPU_SERIAL"
  expect_rc 0 uv sell --card 10.00
  expect_out "receipt 3"
  expect_rc 0 uv store verify
}

test_cpucard_sale_sam_keys() {
  card_env
  cpu_kiosk sam "driver.cpucard.alg = sm4"
  cpu_card c1 alg=sm4
  card_new sam sam slot1=sm4:$CPU_MASTER slot2=sm4:$CPU_METER_MASTER:mac >/dev/null
  uv key list | grep -q cpucard && die "keys = sam, yet master keys are in the key store"
  card_insert c1
  # no SAM in the second reader: the clerk is told, nothing is written
  expect_rc 6 uv sell --card 50.00
  expect_out "no SAM in the SAM reader"
  [ "$(receipt_count)" -eq 0 ] || die "a sale without keys"
  card_insert sam 1
  expect_rc 0 uv sell --card 50.00
  expect_out "^CARD WRITTEN: card $CPU_SERIAL carries the credit of receipt 1$"
  card_log sam | grep -q "> 80100100" || die "the SAM did not MAC: $(card_log sam)"
  card_log sam | grep -q "> 80100200" || die "the SAM did not MAC for the meter: $(card_log sam)"
  card_remove
  OUT=$(card_meter c1 metermaster=$CPU_METER_MASTER use=900)
  expect_out "loaded 28900 Wh \(purchase 1\)"
  card_insert c1
  expect_rc 0 uv card read
  expect_out "reports 28\.0 kWh left, tamper none"
  # a card made with another card master is refused in SAM mode too
  cpu_card clone alg=sm4 master=FFEEDDCCBBAA99887766554433221100
  card_insert clone
  expect_rc 6 uv sell --card 10.00
  expect_out "cloned or foreign card"
  audit_has "card.refused .*cloned or foreign"
}

test_cpucard_refused_clone() {
  card_env
  cpu_kiosk store
  # the same serial and meter, personalised without the utility's master
  cpu_card clone master=FFEEDDCCBBAA99887766554433221100
  card_insert clone
  expect_rc 6 uv sell --card 50.00
  expect_out "failed authentication.*cloned or foreign card"
  audit_has "card.refused .*cloned or foreign"
  card_log clone | grep -q "> 0082" && die "the kiosk went on to EXTERNAL AUTHENTICATE a clone"
  card_log clone | grep -q "> 04D6" && die "the kiosk wrote to a clone"
  [ "$(receipt_count)" -eq 0 ] || die "a receipt was made"
}

test_cpucard_refused_replay() {
  card_env
  cpu_kiosk store
  cpu_card c1
  card_insert c1
  expect_rc 0 uv sell --card 10.00
  card_remove
  cp "$T/c1.img" "$T/c1.saved" # the card after sale 1, copied
  card_meter c1 metermaster=$CPU_METER_MASTER >/dev/null # the meter loads purchase 1
  card_insert c1
  expect_rc 0 uv sell --card 10.00
  card_remove
  cp "$T/c1.saved" "$T/c1.img" # back to the copy: purchase 1, not loaded yet
  card_insert c1
  expect_rc 6 uv sell --card 10.00
  expect_out "holds purchase 1 but this kiosk wrote purchase 2 to it: .*rolled back"
  audit_has "card.refused .*rolled back"
  [ "$(receipt_count)" -eq 2 ] || die "expected two receipts"
}

test_cpucard_refused_tampered() {
  card_env
  cpu_kiosk store
  cpu_card c1
  card_insert c1
  expect_rc 0 uv sell --card 10.00
  card_remove
  card_meter c1 metermaster=$CPU_METER_MASTER >/dev/null
  cp "$T/c1.img" "$T/c1.good"
  # more credit in the purchase record, written by hand
  cpu_flip c1 purchase 22
  card_insert c1
  expect_rc 6 uv sell --card 10.00
  expect_out "purchase 1 on the card has a wrong MAC"
  card_remove
  # the meter's report changed: more credit left than it said
  cp "$T/c1.good" "$T/c1.img"
  cpu_flip c1 return 20
  card_insert c1
  expect_rc 6 uv card read
  expect_out "the meter's return data on the card has a wrong MAC"
  [ "$(refusals)" -eq 2 ] || die "both refusals must be audited"
  [ "$(receipt_count)" -eq 1 ] || die "expected only the first receipt"
  # the meter, too, refuses an altered purchase
  cp "$T/c1.good" "$T/c1.img"
  cpu_flip c1 purchase 22
  set +e
  OUT=$(card_meter c1 metermaster=$CPU_METER_MASTER 2>&1)
  local rc=$?
  set -e
  [ $rc -ne 0 ] || die "the meter took an altered purchase: $OUT"
  expect_out "its MAC is wrong"
}

test_cpucard_refused_unknown_cards() {
  card_env
  cpu_kiosk store
  # a CPU card of a type code no driver here serves
  cpu_card alien type=ACME-7
  card_insert alien
  expect_rc 6 uv sell --card 10.00
  expect_out "This card \(type ACME-7\) has no driver on this kiosk"
  # a card keyed for another alg than the driver's setting
  cpu_card sm4 alg=sm4
  card_insert sm4
  expect_rc 6 uv sell --card 10.00
  expect_out "uses sm4 keys; this kiosk's CPU card driver is set to aes"
  # a SAM in the customer's reader: no driver recognises it
  card_new sam sam slot1=aes:$CPU_MASTER >/dev/null
  card_insert sam
  expect_rc 6 uv card read
  expect_out "not one this kiosk knows: no registered driver reads cards with ATR 3B8B800180595556454E442053414DE0"
  [ "$(refusals)" -eq 3 ] || die "refusals must be audited: $(uv audit list | tail -n 4)"
  [ "$(receipt_count)" -eq 0 ] || die "a receipt was made"
}

# the card pulled as the credit write arrives (APDU 13 of a sale), before it runs
test_cpucard_pulled_before_write() {
  card_env
  cpu_kiosk store
  cpu_card c1
  local before
  before=$(cpu_field c1 purchase)
  card_insert c1 --pull-before 13
  expect_rc 10 uv sell --card 50.00
  expect_out "NOTHING IS RECORDED YET"
  card_log c1 | grep -q "^13 > 04D6820030" || die "the 13th APDU was not the write: $(card_log c1)"
  card_gone
  [ "$(cpu_field c1 purchase)" = "$before" ] || die "the card changed"
  [ "$(receipt_count)" -eq 0 ] || die "a sale was recorded"
  card_insert c1
  expect_rc 0 uv card read
  expect_out "EARLIER SALE NOT MADE"
  expect_rc 0 uv sell --card 50.00
  expect_out "carries the credit of receipt 1"
  expect_rc 0 uv store verify
}

# the card runs the write, then is pulled before it answers
test_cpucard_pulled_after_write() {
  card_env
  cpu_kiosk store
  cpu_card c1
  card_insert c1 --pull-after 13
  expect_rc 10 uv sell --card 50.00
  expect_out "NOTHING IS RECORDED YET"
  card_log c1 | grep -q "^13 pulled after it ran" || die "not pulled after the write: $(card_log c1)"
  card_gone
  [ "$(receipt_count)" -eq 0 ] || die "a sale was recorded before it was confirmed"
  card_insert c1
  expect_rc 0 uv sell --card 50.00
  expect_out "EARLIER SALE COMPLETED.*recorded now as receipt 1"
  expect_out "No new sale was made"
  [ "$(receipt_count)" -eq 1 ] || die "expected the settled receipt"
  # the next sale goes on from the card's purchase
  expect_rc 0 uv sell --card 20.00
  expect_out "carries the credit of receipt 2"
  expect_rc 0 uv card read
  expect_out "purchase 2, 40\.4 kWh not yet in the meter"
  expect_rc 0 uv store verify
}
