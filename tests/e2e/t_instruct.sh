# t_instruct.sh — head office -> kiosk instruction files: a whole offline
# cycle, every refusal, one transaction per file, driver packages.

hq() { UNIVEND_PASSPHRASE=hq-pass "$UNIVEND" --home "$T/hq" "$@"; }
hq2() { UNIVEND_PASSPHRASE=hq-pass "$UNIVEND" --home "$T/hq2" "$@"; }

# head office with a key; a bare kiosk K1 (private, empty driver directory)
# that trusts it and has the STS vending key; head office knows the kiosk
setup_pair() {
  hq init --kiosk-id HQ --kdf-iterations 1000 >/dev/null
  hq hq keygen >/dev/null
  bare_kiosk
  sed -i 's/^kiosk_id = .*/kiosk_id = K1/' "$T/kiosk/univend.conf"
  uv trust add HQ-MAIN "$(hq hq pubkey)" >/dev/null
  uv key add sts:123456:1 --hex 0123456789ABCDEF >/dev/null
  hq hq kiosk add K1 --pubkey "$(uv export pubkey | cut -d' ' -f2)" >/dev/null
  mkdir -p "$T/usb" "$T/exp"
}

# a copy of a driver signed by head office, as it packages drivers
hq_signed() {
  mkdir -p "$T/pkg"
  cp "$1" "$T/pkg/"
  hq driver sign "$T/pkg/$(basename "$1")" >/dev/null
  echo "$T/pkg/$(basename "$1")"
}

# the master data of a new kiosk, as head office sends it
cat_master_data() {
  cat <<'R'
# tariffs, customers, meters and clerks for K1
tariff,*,RES,Residential,0,1500,0,0,0:150000
tariff,*,BLK,Blocks,0,1500,2000,50000,50000:120000 0:240000,200:Street lighting
customer,*,C1,Thandi Nkosi,12 Main Rd,0821234567
customer,*,C2,"Mokoena, Sipho",3 Hill St
debt,*,C2,5000,1000,0
meter,K1,01234567897,STS-EA07,C1,RES,sgc=123456,ti=01,krn=1,kt=2,bdt=2014
meter,K1,01234567905,STS-EA07,C2,BLK,sgc=123456,ti=01,krn=1,kt=2,bdt=2014
clerk,*,anna,Anna Clerk,clerk
clerk,*,boss,Big Boss,supervisor
R
}

test_full_offline_cycle() {
  setup_pair
  cat_master_data >"$T/records"
  expect_rc 0 hq hq instruct --kiosk K1 --out "$T/usb" --driver "$(hq_signed "$UNIVEND_DRIVERS/sts.so")" "$T/records"
  expect_out "wrote .*/instruct-K1-00000001.uvi: for kiosk:K1, 10 record\(s\)"
  # the kiosk applies it: driver, tariffs, customers, meters, clerks
  expect_rc 0 uv instruction apply "$T/usb"
  expect_out "applied .*instruction 1, 10 record\(s\)"
  [ -f "$T/drivers/sts.so" ] || die "the driver package was not installed"
  expect_rc 0 uv driver list
  expect_out "^STS-EA07 +sts.so"
  expect_rc 0 uv meter list
  expect_out "01234567905 +STS-EA07 +C2 +BLK"
  expect_rc 0 uv clerk list
  expect_out "anna +Anna Clerk +clerk +no PIN yet"
  expect_rc 0 uv customer list
  expect_out "C2 +Mokoena, Sipho .* 5000"
  # sales under what head office sent
  expect_rc 0 uv sell --meter 01234567897 --amount 50.00
  expect_out "Residential|RES"
  expect_rc 0 uv sell --meter 01234567905 --amount 100.00
  expect_out "Debt recovered"
  # the next export confirms the instruction; head office sees it applied
  expect_rc 0 uv export --dir "$T/exp"
  grep -q '^UNIVEND-EXPORT 3$' "$T/exp"/*.uvx || die "export is not version 3 (instructions and credit)"
  grep -q '^instructions=1$' "$T/exp"/*.uvx || die "export does not confirm the instruction"
  local later=$(( $(date +%s) + 86400 ))
  printf 'customer,*,C3,Later\ntariff,*,RES,Residential,%s,1500,0,0,0:200000\n' "$later" |
    hq hq instruct --kiosk K1 --out "$T/usb" - >/dev/null
  expect_rc 0 hq import "$T/exp"
  expect_out "1 imported"
  expect_rc 0 hq hq report
  expect_out "K1 +2 +"                       # two sales arrived
  expect_out "K1 +sent +2 \(last 2\) +applied +1 \(last 1\) +pending 2"
  # the second file is applied and confirmed by the next export
  expect_rc 0 uv instruction apply "$T/usb"
  expect_out "unchanged .*00000001.uvi"
  expect_out "applied .*00000002.uvi: instruction 2"
  # a tariff change from tomorrow is listed, and not in force yet
  expect_rc 0 uv tariff list
  expect_out "RES +from .* UTC \(to come\) Residential 2.00/kWh"
  expect_rc 0 uv sell --meter 01234567897 --amount 50.00
  expect_out "^Tariff +RES +1.50 ZAR/kWh"
  expect_rc 0 uv export --dir "$T/exp"
  expect_rc 0 hq import "$T/exp"
  expect_rc 0 hq hq report
  expect_out "K1 +sent +2 \(last 2\) +applied +2 \(last 2\)$"
  expect_rc 0 uv instruction state
  expect_out "last instruction applied: 2"
  expect_rc 0 uv audit verify
  expect_rc 0 uv store verify
}

test_refusals_are_clear_and_audited() {
  setup_pair
  echo "customer,*,C1,One" >"$T/r1"
  echo "customer,*,C2,Two" >"$T/r2"
  hq hq instruct --kiosk K1 --out "$T/usb" "$T/r1" >/dev/null
  hq hq instruct --kiosk K1 --out "$T/usb" "$T/r2" >/dev/null
  local f1="$T/usb/instruct-K1-00000001.uvi" f2="$T/usb/instruct-K1-00000002.uvi"
  # out of order: 2 before 1
  expect_rc 6 uv instruction apply "$f2"
  expect_out "REFUSED .*out of order: instruction 1 must be applied first"
  # forged: one character of a record changed
  sed 's/^customer,\*,C1,One$/customer,*,C1,Ono/' "$f1" >"$T/forged.uvi"
  ! cmp -s "$f1" "$T/forged.uvi" || die "the forgery did not change the file"
  expect_rc 6 uv instruction apply "$T/forged.uvi"
  expect_out "REFUSED .*signature does not verify"
  # truncated
  head -c 300 "$f1" >"$T/cut.uvi"
  expect_rc 6 uv instruction apply "$T/cut.uvi"
  expect_out "REFUSED .*truncated"
  # for another kiosk
  hq hq kiosk add K2 --pubkey "$(uv export pubkey | cut -d' ' -f2)" >/dev/null
  hq hq instruct --kiosk K2 --out "$T/usb" "$T/r1" >/dev/null
  expect_rc 6 uv instruction apply "$T/usb/instruct-K2-00000001.uvi"
  expect_out "REFUSED .*addressed to K2 \(kiosk:K2\), not to this kiosk \(K1\)"
  # signed by a head office key this kiosk does not trust
  hq2 init --kiosk-id HQ2 --kdf-iterations 1000 >/dev/null
  hq2 hq keygen >/dev/null
  hq2 hq kiosk add K1 --pubkey "$(uv export pubkey | cut -d' ' -f2)" >/dev/null
  mkdir -p "$T/usb2"
  hq2 hq instruct --kiosk K1 --out "$T/usb2" "$T/r2" >/dev/null
  expect_rc 6 uv instruction apply "$T/usb2/instruct-K1-00000001.uvi"
  expect_out "REFUSED .*does not trust"
  # none of that changed anything
  expect_rc 0 uv customer list
  expect_no_out "^C[12] "
  # now in order
  expect_rc 0 uv instruction apply "$f1"
  # replayed: the same file again
  expect_rc 6 uv instruction apply "$f1"
  expect_out "REFUSED .*already applied here \(replayed\)"
  # earlier: another file with sequence 1 (from a second trusted key)
  uv trust add HQ-TWO "$(hq2 hq pubkey)" >/dev/null
  expect_rc 6 uv instruction apply "$T/usb2/instruct-K1-00000001.uvi"
  expect_out "REFUSED .*already applied here from another file"
  # revoked: file 2 is refused once its key is revoked
  uv trust revoke HQ-MAIN >/dev/null
  expect_rc 6 uv instruction apply "$f2"
  expect_out "REFUSED .*HQ-MAIN .*revoked"
  expect_rc 0 uv customer list
  expect_out "^C1 "
  expect_no_out "^C2 "
  # every refusal is in the audit log, which is still intact
  expect_rc 0 uv audit list
  [ "$(grep -c 'instruction.refused' <<<"$OUT")" -eq 8 ] || die "expected 8 refusals audited:
$OUT"
  expect_rc 0 uv audit verify
}

test_failure_half_way_leaves_the_kiosk_as_before() {
  setup_pair
  # a driver package, good records, and a last record that cannot apply
  { cat_master_data; echo "meter,K1,01234567913,STS-EA07,NOBODY,RES,sgc=123456,ti=01,krn=1"; } >"$T/records"
  expect_rc 0 hq hq instruct --kiosk K1 --out "$T/usb" --driver "$(hq_signed "$UNIVEND_DRIVERS/sts.so")" "$T/records"
  local snap
  snap() { local c; for c in "driver list" "tariff list" "customer list" "meter list" "clerk list" \
                     "blacklist list" "instruction list" "trust list"; do uv $c; done; ls -A "$T/drivers"; }
  snap >"$T/before"
  expect_rc 6 uv instruction apply "$T/usb"
  expect_out "REFUSED .*record 11 \(line [0-9]+, meter\): meter 01234567913: no customer NOBODY here; nothing of instruction 1 was applied"
  snap >"$T/after"
  diff "$T/before" "$T/after" || die "a refused file changed the kiosk"
  [ ! -e "$T/drivers/sts.so" ] || die "the driver file written by the refused file is still there"
  expect_rc 0 uv instruction state
  expect_out "last instruction applied: 0"
  expect_rc 0 uv audit verify
}

test_driver_package_is_used_for_the_next_sale() {
  setup_pair
  cp "$UNIVEND_TEST_DRIVERS/good_a.so" "$T/drivers/"
  sign_drivers "$T/drivers/good_a.so"
  uv driver register good_a.so >/dev/null
  uv customer add C1 --name One >/dev/null
  uv tariff add RES --price 1.00 >/dev/null
  uv meter add M1 --type TST-A1 --customer C1 --tariff RES >/dev/null
  expect_rc 0 uv sell --meter M1 --amount 10.00
  expect_out "good-a"
  # head office sends another driver for TST-A1 (and TST-D1)
  expect_rc 0 hq hq instruct --kiosk K1 --out "$T/usb" --driver "$(hq_signed "$UNIVEND_TEST_DRIVERS/dup_a.so")"
  expect_rc 0 uv instruction apply "$T/usb"
  expect_rc 0 uv driver list
  expect_out "^TST-A1 +dup_a.so +dup-a"
  # the very next sale of that type code uses it
  expect_rc 0 uv sell --meter M1 --amount 10.00
  expect_out "dup-a"
  expect_no_out "good-a"
  expect_rc 0 uv receipt show 2
  expect_out "dup-a"
  # installed as `driver register` would: signature kept, the old one replaced
  expect_rc 0 uv audit list
  expect_out "driver.replace +TST-A1 .*good_a.so good-a .* gives way to dup_a.so"
  expect_out "driver.install +dup_a.so .*type codes .*TST-A1"
  expect_rc 0 uv driver verify TST-A1
  # and a type code can be retired, once no meter uses it
  printf 'driver-retire,*,TST-A1\n' >"$T/retire"
  expect_rc 0 hq hq instruct --kiosk K1 --out "$T/usb" "$T/retire"
  expect_rc 6 uv instruction apply "$T/usb"
  expect_out "still used by 1 meter"
}

test_group_and_all_files_number_each_kiosk() {
  setup_pair
  hq hq kiosk add K2 --pubkey "$(uv export pubkey | cut -d' ' -f2)" >/dev/null
  hq hq kiosk add K3 --pubkey "$(uv export pubkey | cut -d' ' -f2)" >/dev/null
  expect_rc 0 hq hq kiosk group K1 NORTH
  hq hq kiosk group K3 NORTH >/dev/null
  echo "blacklist,*,CARD-0001,stolen" >"$T/bl"
  expect_rc 0 hq hq instruct --kiosk K2 --out "$T/usb" "$T/bl"
  expect_rc 0 hq hq instruct --group NORTH --out "$T/usb" "$T/bl"
  expect_out "instruct-group-NORTH-00000001.uvi"
  expect_out "kiosk K1 +instruction 1"
  expect_out "kiosk K3 +instruction 1"
  expect_rc 0 hq hq instruct --all --out "$T/usb" - <<<"blacklist,*,CARD-0002,cloned"
  expect_out "kiosk K1 +instruction 2"
  expect_out "kiosk K2 +instruction 2"
  expect_rc 0 uv instruction apply "$T/usb"
  expect_out "2 applied, 0 already applied, 1 for other kiosks, 0 refused"
  expect_rc 6 uv blacklist check CARD-0002
  expect_out "BLACKLISTED"
  expect_rc 0 uv blacklist check CARD-0003
  expect_rc 4 hq hq instruct --group SOUTH --out "$T/usb" "$T/bl"
}

test_head_office_refuses_what_a_kiosk_would_refuse() {
  setup_pair
  echo "meter,K1,01234567897,STS-EA07,C1" >"$T/bad"
  expect_rc 3 hq hq instruct --kiosk K1 --out "$T/usb" "$T/bad"
  expect_out "line 1: meter takes 4 to 20 fields"
  printf 'customer,*,C1,One\nsomething,*,x\n' >"$T/bad"
  expect_rc 3 hq hq instruct --kiosk K1 --out "$T/usb" "$T/bad"
  expect_out "line 2: record kind 'something' is unknown"
  expect_rc 4 hq hq instruct --kiosk NOPE --out "$T/usb" "$T/bad"
  expect_rc 7 hq hq instruct --kiosk K1 --out "$T/usb" --driver "$UNIVEND_TEST_DRIVERS/bad_magic.so"
  expect_out "not a univend driver"
  # a driver package needs this head office's own signature over its bytes
  expect_rc 6 hq hq instruct --kiosk K1 --out "$T/usb" --driver "$UNIVEND_DRIVERS/sts.so"
  expect_out "driver sts.so is not signed .*univend driver sign"
  local pkg
  pkg=$(hq_signed "$UNIVEND_DRIVERS/sts.so")
  hq2 init --kiosk-id HQ2 --kdf-iterations 1000 >/dev/null
  hq2 hq keygen >/dev/null
  hq2 driver sign "$pkg" >/dev/null
  expect_rc 6 hq hq instruct --kiosk K1 --out "$T/usb" --driver "$pkg"
  expect_out "signed by another key than this head office's"
  hq driver sign "$pkg" >/dev/null
  printf 'x' >>"$pkg"
  expect_rc 6 hq hq instruct --kiosk K1 --out "$T/usb" --driver "$pkg"
  expect_out "made for other bytes"
  [ -z "$(ls -A "$T/usb")" ] || die "a refused build left a file"
  # nothing was numbered: the next good file is still instruction 1
  echo "customer,*,C1,One" >"$T/good"
  expect_rc 0 hq hq instruct --kiosk K1 --out "$T/usb" "$T/good"
  expect_out "instruction 1$"
  # without a head office store there is nothing to build from
  rm -rf "$T/hq"
  expect_rc 4 hq hq instruct --kiosk K1 --out "$T/usb" "$T/good"
}

# head office rotates its key in the same file that adds a meter: the meter's
# driver is checked against the trust list as this very file changes it
test_trust_change_and_meter_in_one_file() {
  setup_pair
  cat_master_data >"$T/records"
  expect_rc 0 hq hq instruct --kiosk K1 --out "$T/usb" --driver "$(hq_signed "$UNIVEND_DRIVERS/sts.so")" "$T/records"
  expect_rc 0 uv instruction apply "$T/usb"
  hq2 init --kiosk-id HQ2 --kdf-iterations 1000 >/dev/null
  hq2 hq keygen >/dev/null
  printf 'trust-add,*,HQ-NEXT,%s\nmeter,K1,01234567913,STS-EA07,C1,RES,sgc=123456,ti=01,krn=1,kt=2,bdt=2014\n' \
    "$(hq2 hq pubkey)" >"$T/rotate"
  rm -f "$T/usb"/*
  expect_rc 0 hq hq instruct --kiosk K1 --out "$T/usb" "$T/rotate"
  expect_rc 0 uv instruction apply "$T/usb"
  expect_out "applied .*instruction 2, 2 record\(s\)"
  expect_rc 0 uv trust list
  expect_out "^HQ-NEXT "
  expect_rc 0 uv sell --meter 01234567913 --amount 10.00
  expect_rc 0 uv store verify
}

# a file name with a control byte reaches the audit trail, and from there an
# export: head office must still be able to read that export
test_control_bytes_in_an_audited_name_still_export() {
  setup_pair
  printf 'junk\n' >"$T/usb/a"$'\t'"b.uvi"
  expect_rc 6 uv instruction apply "$T/usb"
  expect_rc 0 uv export --dir "$T/exp"
  grep -q 'instruction.refused,a?b.uvi' "$T/exp"/*.uvx || die "the name is not written as a?b.uvi"
  expect_rc 0 hq import "$T/exp"
  expect_out "imported"
}
