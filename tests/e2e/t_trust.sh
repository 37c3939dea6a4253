# t_trust.sh — head office's signing key and the kiosk's list of trusted keys.

hq() { UNIVEND_PASSPHRASE=hq-pass "$UNIVEND" --home "$T/hq" "$@"; }
hq_init() { hq init --kiosk-id HQ --kdf-iterations 1000 >/dev/null; }

test_hq_keygen_once_and_pubkey() {
  hq_init
  expect_rc 4 hq hq pubkey
  expect_out "no signing key yet .*hq keygen"
  expect_rc 0 hq hq keygen
  local pub=$OUT
  [[ "$pub" =~ ^[0-9a-f]{64}$ ]] || die "keygen should print 64 hex, got '$pub'"
  expect_rc 0 hq hq pubkey
  [ "$OUT" = "$pub" ] || die "pubkey differs from what keygen printed"
  # a second keygen never replaces the key kiosks trust
  expect_rc 5 hq hq keygen
  expect_out "already has a signing key \(public key $pub\)"
  expect_rc 0 hq hq pubkey
  [ "$OUT" = "$pub" ] || die "the key changed"
  # wrapped in the key store: the secret is not in the database in clear,
  # and a wrong passphrase cannot use it
  expect_rc 9 env UNIVEND_PASSPHRASE=wrong "$UNIVEND" --home "$T/hq" hq pubkey
  expect_rc 0 hq audit list
  expect_out "hq.keygen +hq:signing +public key $pub"
}

test_trust_add_list_revoke_audited() {
  hq_init; hq hq keygen >/dev/null
  local pub; pub=$(hq hq pubkey)
  demo_kiosk
  expect_rc 0 uv trust add HQ-2026 "$pub"
  expect_rc 0 uv trust list
  expect_out "^HQ-2026 +$pub trusted since"
  expect_rc 5 uv trust add OTHER "$pub"
  expect_out "already trusted as HQ-2026"
  expect_rc 3 uv trust add BAD 1234
  expect_rc 3 uv trust add BAD "$(printf '0%.0s' {1..64})"   # small-order point
  expect_rc 0 uv trust revoke HQ-2026
  expect_rc 0 uv trust list
  expect_out "^HQ-2026 +$pub REVOKED"
  expect_rc 5 uv trust revoke HQ-2026
  expect_rc 4 uv trust revoke NOBODY
  # a revoked key is never trusted again, under any name
  expect_rc 6 uv trust add HQ-AGAIN "$pub"
  expect_out "was revoked .*cannot be trusted again"
  expect_rc 0 uv audit list
  expect_out "trust.add +HQ-2026 +head office key $pub"
  expect_out "trust.revoke +HQ-2026"
  expect_out "trust.refused +HQ-AGAIN"
}

test_trust_usage_and_empty_list() {
  # (a clerk session being refused is in the unit tests: the command line
  # acts with the rights of whoever may run it)
  bare_kiosk   # (the demo kiosk trusts the demo's head office)
  expect_rc 2 uv trust
  expect_rc 2 uv trust add ONLYNAME
  expect_rc 0 uv trust list
  [ -z "$OUT" ] || die "a new kiosk trusts no key: $OUT"
}
