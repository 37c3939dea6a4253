# t_sdk.sh — a maker's driver built out of tree from the installed header only.

test_out_of_tree_driver_builds_registers_and_sells() {
  # the SDK: the header and the pkg-config file, installed under a temp root
  make -s -C "$UV_ROOT" install-sdk DESTDIR="$T/root" PREFIX=/usr >/dev/null
  [ -f "$T/root/usr/include/univend/univend_driver.h" ] || die "header not installed"
  [ -f "$T/root/usr/lib/pkgconfig/univend-driver.pc" ] || die "pkg-config file not installed"
  # the example, copied away from the source tree, sees nothing else of univend
  cp -r "$UV_ROOT/drivers/example" "$T/ex"
  PKG_CONFIG_PATH="$T/root/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$T/root" \
    make -s -C "$T/ex" >/dev/null
  grep -q "$UV_ROOT" "$T/ex/xmpl.so" && die "the example was built against the source tree"
  # the maker checks the driver (no signature needed for that) ...
  bare_kiosk "$UNIVEND_TEST_DRIVERS/sloppy.so"
  cp "$T/ex/xmpl.so" "$T/drivers/"
  expect_rc 0 uv driver check xmpl.so
  expect_out "^vendor: +Example Meters Ltd"
  expect_out "PASS +a too small output is refused and not overrun"
  expect_out "^signature: +driver xmpl.so is not signed"
  expect_no_out "^FAIL"
  # ... but a kiosk takes it only once head office has approved and signed it
  expect_rc 6 uv driver register xmpl.so
  expect_out "driver xmpl.so is not signed"
  sign_drivers "$T/drivers/xmpl.so"
  expect_rc 0 head_office audit list
  expect_out "driver.sign +xmpl.so +xmpl 0.1.0 codes XMPL-1 sha256=$(sha256sum "$T/ex/xmpl.so" | cut -c1-64)"
  expect_rc 0 uv driver check xmpl.so
  expect_out "^signature: +valid, by trusted head office key [0-9a-f]{16}\.\.\. for xmpl 0\.1\.0, codes XMPL-1"
  expect_rc 0 uv driver register xmpl.so
  expect_out "registered XMPL-1 .*signed by head office"
  expect_rc 0 uv key add xmpl:10000000017 --random 32
  uv tariff add RES --price 1.500 --vat 15 >/dev/null
  uv customer add C1 --name "Test" >/dev/null
  expect_rc 0 uv meter add 10000000017 --type XMPL-1 --customer C1 --tariff RES
  expect_out "example meter, 0 tokens so far"
  expect_rc 0 uv sell --meter 10000000017 --amount 50.00
  expect_out "Type +XMPL-1 \(xmpl 0.1.0\)"
  local token
  token=$(sed -n 's/^TOKEN //p' <<<"$OUT" | head -n1)
  expect_rc 0 uv token decode $token --meter 10000000017
  expect_out "example token: 28.9 kWh, counter 1"
  expect_rc 0 uv sell --meter 10000000017 --amount 10.00
  expect_rc 0 uv store verify
}

test_driver_check_reports_a_crash_and_univend_goes_on() {
  bare_kiosk "$UNIVEND_TEST_DRIVERS/sloppy.so"
  expect_rc 7 uv driver check sloppy.so
  expect_out "FAIL +issue_credit\(NULL request\) fails: the driver crashed"
  expect_out "PASS +self test"
  expect_out "1 conformance check\(s\) failed"
  expect_rc 0 uv driver list
}
