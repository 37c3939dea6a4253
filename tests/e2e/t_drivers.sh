# t_drivers.sh — the loader and type index through the CLI, with bad drivers.
td() { echo "$UNIVEND_TEST_DRIVERS/$1.so"; }

test_register_list_remove() {
  bare_kiosk "$UNIVEND_DRIVERS/sts.so" "$(td good_a)"
  expect_rc 0 uv driver register sts.so
  expect_out "registered STS-EA07 +-> sts.so"
  expect_rc 0 uv driver register good_a.so --codes TST-A1
  expect_rc 0 uv driver list
  expect_out "^STS-EA07 +sts.so"
  expect_out "^TST-A1 +good_a.so"
  expect_no_out "TST-A2"
  expect_rc 0 uv driver verify
  expect_out "OK +TST-A1"
  expect_rc 0 uv driver remove TST-A1
  expect_rc 4 uv driver remove TST-A1
  expect_rc 0 uv driver list
  expect_no_out "TST-A1"
}

test_duplicate_type_code_refused() {
  bare_kiosk "$(td good_a)" "$(td dup_a)"
  expect_rc 0 uv driver register good_a.so
  expect_rc 5 uv driver register dup_a.so
  expect_out "TST-A1 is already served by driver"
  expect_rc 6 uv driver scan
  expect_out "LOADED +good_a.so"
  expect_out "REFUSED +dup_a.so .*TST-A1 is also claimed by good_a.so"
}

test_bad_files_are_refused_without_crashing() {
  bare_kiosk
  cp "$(td wrong_abi)" "$(td no_entry)" "$(td crash_on_load)" "$(td hang_on_load)" "$T/drivers/"
  echo "not a driver" >"$T/drivers/text.so"
  head -c 3000 "$UNIVEND_DRIVERS/sts.so" >"$T/drivers/truncated.so"
  sign_drivers --broken "$T/drivers/"*.so
  expect_rc 7 uv driver register wrong_abi.so
  expect_out "wrong ABI version"
  expect_rc 7 uv driver register no_entry.so
  expect_out "missing symbol univend_driver_entry"
  expect_rc 7 uv driver register text.so
  expect_out "not an ELF shared object"
  expect_rc 7 uv driver register truncated.so
  expect_out "truncated"
  expect_rc 7 uv driver register crash_on_load.so
  expect_out "crashed while loading"
  expect_rc 7 uv driver register hang_on_load.so
  expect_out "hung while loading"
  expect_rc 0 uv driver list
  expect_no_out "\.so"
  expect_rc 0 uv audit list
  expect_out "driver.refused +crash_on_load.so"
}

test_driver_outside_dir_refused() {
  bare_kiosk
  cp "$UNIVEND_DRIVERS/sts.so" "$T/elsewhere.so"
  expect_rc 6 uv driver register "$T/elsewhere.so"
  expect_out "not in the driver directory"
}

test_driver_check_prints_table() {
  bare_kiosk "$UNIVEND_DRIVERS/sts.so"
  expect_rc 0 uv driver check sts.so
  expect_out "^name: +sts$"
  local major minor
  major=$(sed -n 's/^#define UV_ABI_MAJOR \([0-9]*\)u.*/\1/p' "$UV_ROOT/drivers/univend_driver.h")
  minor=$(sed -n 's/^#define UV_ABI_MINOR \([0-9]*\)u.*/\1/p' "$UV_ROOT/drivers/univend_driver.h")
  expect_out "^abi: +$major\.$minor$"
  expect_out "^media: +token$"
  expect_out "type codes: +STS-EA07 STS-EA09"
  expect_out "self test: +passed"
}
