# t_signdrv.sh — signed drivers: head office signs, the kiosk refuses what
# is not signed by a key it trusts, and audits every refusal.

# a kiosk with sts.so (unsigned yet) in its driver dir, a tariff, a customer,
# and the vending key; the test head office exists and is trusted
sts_kiosk() {
  bare_kiosk
  cp "$UNIVEND_DRIVERS/sts.so" "$T/drivers/"
  sign_drivers   # head office and the trust, no file signed yet
  uv key add sts:123456:1 --random 8 >/dev/null
  uv tariff add RES --price 1.5 --vat 15 >/dev/null
  uv customer add C1 --name "Test" >/dev/null
}
add_meter() {
  expect_rc 0 uv meter add 01234567897 --type STS-EA07 --customer C1 --tariff RES \
    --param sgc=123456 --param ti=1 --param krn=1
}
# the audit trail has a driver.refused record for SUBJECT matching REGEX
expect_refusal_audited() {
  expect_rc 0 uv audit list
  expect_out "driver\.refused +$1 +.*$2"
  expect_rc 0 uv audit verify
}

test_sign_writes_a_detached_signature() {
  sts_kiosk
  expect_rc 0 head_office driver sign "$T/drivers/sts.so"
  expect_out "^signed sts.so \(sts 1.0.0, codes STS-EA07,STS-EA09, sha256 [0-9a-f]{16}\.\.\.\) by head office key"
  expect_out "^signature written to $T/drivers/sts.so.sig$"
  local sig="$T/drivers/sts.so.sig" pub
  pub=$(head_office hq pubkey)
  [ "$(sed -n 1p "$sig")" = "univend-driver-signature 1" ] || die "first line: $(sed -n 1p "$sig")"
  grep -qx "driver: sts" "$sig" || die "no driver line"
  grep -qx "version: 1.0.0" "$sig" || die "no version line"
  grep -qx "codes: STS-EA07,STS-EA09" "$sig" || die "no codes line"
  grep -qx "sha256: $(sha256sum "$T/drivers/sts.so" | cut -c1-64)" "$sig" || die "sha256 is not the file's"
  grep -qx "size: $(stat -c %s "$T/drivers/sts.so")" "$sig" || die "size is not the file's"
  grep -qx "signer: $pub" "$sig" || die "signer is not head office's key"
  grep -Eqx "signature: [0-9a-f]{128}" "$sig" || die "no signature line"
  [ "$(wc -l <"$sig")" -eq 9 ] || die "nine lines expected"
  expect_rc 0 head_office audit list
  expect_out "driver\.sign +sts\.so +sts 1\.0\.0 codes STS-EA07,STS-EA09 sha256="
  # signing needs head office's key: a store without one signs nothing
  expect_rc 4 uv driver sign "$T/drivers/sts.so" --out "$T/other.sig"
  expect_out "no signing key yet \(run 'univend hq keygen'\)"
  [ ! -e "$T/other.sig" ] || die "a signature without a key"
  # the kiosk takes it
  expect_rc 0 uv driver register sts.so
  expect_out "registered STS-EA07 +-> sts.so \(sts 1.0.0, signed by head office\)"
  add_meter
  expect_rc 0 uv sell --meter 01234567897 --amount 10
  expect_rc 0 uv audit list
  expect_out "driver\.register +STS-EA07 +sts\.so sts 1\.0\.0 sha256=.* signer=${pub:0:16}"
}

test_unsigned_driver_refused_and_audited() {
  sts_kiosk
  expect_rc 6 uv driver register sts.so
  expect_out "driver sts.so is not signed \(no sts.so.sig beside it\): a kiosk takes only drivers signed by head office"
  expect_refusal_audited sts.so "is not signed"
  expect_rc 0 uv driver list
  expect_no_out "sts.so"
  # a driver that crashes when loaded is refused for its missing signature:
  # nothing of an unsigned file runs, not even in a child process
  cp "$UNIVEND_TEST_DRIVERS/crash_on_load.so" "$T/drivers/"
  expect_rc 6 uv driver register crash_on_load.so
  expect_out "crash_on_load.so is not signed"
  expect_rc 6 uv driver scan
  expect_out "REFUSED +crash_on_load.so +driver crash_on_load.so is not signed"
  expect_no_out "crashed"
}

test_unknown_key_refused_and_audited() {
  sts_kiosk
  # another head office, whose key this kiosk never trusted
  UNIVEND_PASSPHRASE=rogue-pass "$UNIVEND" --home "$T/rogue" init --kiosk-id ROGUE --kdf-iterations 1000 >/dev/null
  UNIVEND_PASSPHRASE=rogue-pass "$UNIVEND" --home "$T/rogue" hq keygen >/dev/null
  UNIVEND_PASSPHRASE=rogue-pass "$UNIVEND" --home "$T/rogue" driver sign "$T/drivers/sts.so" >/dev/null
  expect_rc 6 uv driver register sts.so
  expect_out "driver sts.so refused: signed by key [0-9a-f]{16}\.\.\., which this kiosk does not trust"
  expect_refusal_audited sts.so "which this kiosk does not trust"
}

test_revoked_key_refused_and_audited() {
  sts_kiosk
  sign_drivers "$T/drivers/sts.so"
  expect_rc 0 uv driver register sts.so
  add_meter
  expect_rc 0 uv sell --meter 01234567897 --amount 10
  expect_rc 0 uv trust revoke TEST-HQ
  # every load checks the signer: the next sale is refused, nothing sold
  expect_rc 6 uv sell --meter 01234567897 --amount 10
  expect_out "driver sts.so refused: signed by head office key TEST-HQ .*which was revoked on"
  [ "$(receipt_count)" -eq 1 ] || die "a sale under a revoked key"
  expect_refusal_audited STS-EA07 "revoked"
  expect_rc 6 uv driver verify
  expect_out "REFUSED +STS-EA07 +sts.so: .*revoked"
  # and it cannot be registered again
  expect_rc 6 uv driver register sts.so
  expect_out "revoked"
  expect_refusal_audited sts.so "revoked"
}

test_driver_changed_after_signing_refused_and_audited() {
  sts_kiosk
  sign_drivers "$T/drivers/sts.so"
  printf 'X' >>"$T/drivers/sts.so"
  expect_rc 6 uv driver register sts.so
  expect_out "driver sts.so does not match its signature \(SHA-256 differs\): the file was changed after head office signed it"
  expect_refusal_audited sts.so "does not match its signature"
  expect_rc 0 uv driver list
  expect_no_out "sts.so"
}

test_driver_changed_after_registration_refused_and_audited() {
  sts_kiosk
  sign_drivers "$T/drivers/sts.so"
  expect_rc 0 uv driver register sts.so
  add_meter
  expect_rc 0 uv sell --meter 01234567897 --amount 10
  # the file replaced by a build signed by head office later: still not the
  # file registered, so refused until registered again
  printf 'X' >>"$T/drivers/sts.so"
  sign_drivers "$T/drivers/sts.so"
  expect_rc 6 uv sell --meter 01234567897 --amount 10
  expect_out "driver file sts.so for type STS-EA07 has changed since it was registered \(SHA-256 differs\): refused as tampered"
  expect_refusal_audited STS-EA07 "sts.so for type STS-EA07 has changed since it was registered"
  expect_rc 6 uv driver verify
  expect_out "REFUSED +STS-EA07 +sts.so: .*changed since it was registered"
  [ "$(receipt_count)" -eq 1 ] || die "a sale through a changed driver"
  # registering the signed new file is how an upgrade is taken
  expect_rc 0 uv driver register sts.so
  expect_rc 0 uv sell --meter 01234567897 --amount 10
}

test_forged_signature_refused_and_audited() {
  sts_kiosk
  sign_drivers "$T/drivers/sts.so"
  # approve only STS-EA07 by editing the signed text
  sed -i 's/^codes: .*/codes: STS-EA07/' "$T/drivers/sts.so.sig"
  expect_rc 6 uv driver register sts.so
  expect_out "the signature of driver sts.so does not verify under head office key TEST-HQ: the signature was altered or forged"
  expect_refusal_audited sts.so "does not verify"
  # a signature file that is not one
  echo "hello" >"$T/drivers/sts.so.sig"
  expect_rc 6 uv driver register sts.so
  expect_out "is not a valid driver signature \(line 1"
}

test_signature_approves_type_codes() {
  sts_kiosk
  expect_rc 0 head_office driver sign "$T/drivers/sts.so" --codes STS-EA07
  expect_rc 3 head_office driver sign "$T/drivers/sts.so" --codes STS-EA07,NOPE --out "$T/x.sig"
  expect_out "does not serve type code NOPE"
  expect_rc 6 uv driver register sts.so --codes STS-EA09
  expect_out "head office did not approve it for type code STS-EA09 \(its signature approves STS-EA07\)"
  expect_refusal_audited sts.so "did not approve it for type code STS-EA09"
  expect_rc 0 uv driver register sts.so
  expect_out "registered STS-EA07"
  expect_no_out "STS-EA09"
}

test_register_with_a_signature_kept_elsewhere() {
  sts_kiosk
  mkdir -p "$T/media"
  expect_rc 0 head_office driver sign "$T/drivers/sts.so" --out "$T/media/sts.so.sig"
  [ ! -e "$T/drivers/sts.so.sig" ] || die "--out ignored"
  expect_rc 6 uv driver register sts.so
  expect_rc 0 uv driver register sts.so --signature "$T/media/sts.so.sig"
  expect_out "registered STS-EA09"
  expect_rc 4 uv driver register sts.so --signature "$T/media/none.sig"
  expect_rc 2 uv driver register sts.so --name x
}

test_sign_a_driver_not_run_here() {
  sts_kiosk
  # head office states what it approves for a driver it cannot run (built
  # for the kiosk's processor): all three or none
  expect_rc 2 head_office driver sign "$T/drivers/sts.so" --name sts
  expect_rc 2 head_office driver sign "$T/drivers/sts.so" --name sts --version 1.0.0
  expect_rc 0 head_office driver sign "$T/drivers/sts.so" --name sts --version 1.0.0 --codes STS-EA09
  expect_rc 0 uv driver register sts.so
  expect_out "registered STS-EA09"
  expect_no_out "STS-EA07"
  # stated wrongly: the kiosk sees the driver is not what was approved
  expect_rc 0 head_office driver sign "$T/drivers/sts.so" --name sts --version 2.0 --codes STS-EA07
  expect_rc 6 uv driver register sts.so
  expect_out "driver sts.so says it is sts 1.0.0 but head office signed it as sts 2.0"
  expect_refusal_audited sts.so "says it is sts 1.0.0"
}
