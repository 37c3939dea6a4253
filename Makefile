# univend — build, test, bench.
#
#   make            build/univend and the drivers in build/drivers/
#   make test       build under AddressSanitizer + UBSan (build/san/) and run
#                   the unit tests (Check) and the end-to-end CLI tests
#   make valgrind   the unit tests and an end-to-end sale under valgrind
#   make bench      print throughput and latency figures
#   make fuzz       run each libFuzzer target (FUZZ_SECONDS=10 each)
#   make clean

CC      ?= cc
BUILD   ?= build
SAN     ?= 0
DRIVER_DIR ?= $(abspath $(BUILD))/drivers

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
# OPT is the only knob for optimisation; the flags below are always applied
# (a CFLAGS given on the command line adds to them, it cannot drop them).
OPT     ?= -O2 -g
override CFLAGS := $(OPT) -std=gnu11 $(WARN) -D_GNU_SOURCE -fno-common $(CFLAGS)
LDLIBS  := -ldb-5.3 $(shell pkg-config --libs libgcrypt 2>/dev/null || libgcrypt-config --libs) -ldl
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
override CFLAGS += $(SANFLAGS)
override LDFLAGS += $(SANFLAGS)
endif
CURSES_CFLAGS := $(shell pkg-config --cflags ncursesw 2>/dev/null)
CURSES_LIBS   := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
PCSC_CFLAGS := $(shell pkg-config --cflags libpcsclite 2>/dev/null || echo -I/usr/include/PCSC)
PCSC_LIBS   := $(shell pkg-config --libs libpcsclite 2>/dev/null || echo -lpcsclite)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

CORE_SRC := $(filter-out src/main.c,$(wildcard src/*.c)) $(wildcard db/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
STS_SRC  := drivers/sts/sts_token.c drivers/sts/sts_crypt.c
STS_LIB_OBJ := $(STS_SRC:%.c=$(BUILD)/pic/%.o)
OPAYGO_SRC := $(filter-out drivers/openpaygo/openpaygo_driver.c,$(wildcard drivers/openpaygo/*.c))
OPAYGO_LIB_OBJ := $(OPAYGO_SRC:%.c=$(BUILD)/pic/%.o)
# card drivers share the key derivation and CMAC of docs/cards.md
CARDKEY_SRC := drivers/cardkey/cardkey.c
MEMCARD_SRC := drivers/memcard/memcard_card.c
CPUCARD_SRC := $(wildcard drivers/cpucard/*.c)
CPUCARD_OBJ := $(CPUCARD_SRC:%.c=$(BUILD)/pic/%.o) $(CARDKEY_SRC:%.c=$(BUILD)/pic/%.o)
# the memory, logic and RF card drivers also share drivers/cardlib (master
# keys from the key store or a SAM, APDUs, the shadowed card counter, known
# answers);
# the simulator links their card layouts
CARDLIB_SRC := $(wildcard drivers/cardlib/*.c)
LOGIC_SRC := $(filter-out drivers/logiccard/logiccard_driver.c,$(wildcard drivers/logiccard/*.c))
RF_SRC := $(filter-out drivers/rfcard/rfcard_driver.c,$(wildcard drivers/rfcard/*.c))
CARDLIB_OBJ := $(CARDLIB_SRC:%.c=$(BUILD)/pic/%.o) $(CARDKEY_SRC:%.c=$(BUILD)/pic/%.o)
CARD_LIB_OBJ := $(CARDKEY_SRC:%.c=$(BUILD)/pic/%.o) $(MEMCARD_SRC:%.c=$(BUILD)/pic/%.o) \
                $(BUILD)/pic/drivers/cpucard/cpu_layout.o \
                $(CARDLIB_SRC:%.c=$(BUILD)/pic/%.o) $(LOGIC_SRC:%.c=$(BUILD)/pic/%.o) \
                $(RF_SRC:%.c=$(BUILD)/pic/%.o)
DRIVERS  := $(BUILD)/drivers/sts.so $(if $(wildcard drivers/openpaygo/openpaygo_driver.c),$(BUILD)/drivers/openpaygo.so) \
            $(BUILD)/drivers/memcard.so $(BUILD)/drivers/cpucard.so $(BUILD)/drivers/logiccard.so \
            $(BUILD)/drivers/rfcard.so
# the card emulations, without the simulator's main and socket: linked into
# the unit tests, which talk to them in process
CARDSIM_LIB_SRC := $(filter-out tests/cardsim/main.c tests/cardsim/vpcd.c,$(wildcard tests/cardsim/*.c))
CARDSIM_LIB_OBJ := $(CARDSIM_LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_DRIVER_SRC := $(wildcard tests/drivers/*.c)
TEST_DRIVERS := $(TEST_DRIVER_SRC:tests/drivers/%.c=$(BUILD)/test-drivers/%.so)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_SRC := $(wildcard tests/bench/*.c)

.PHONY: all test unit e2e valgrind bench clean
UI_SRC   := $(wildcard ui/*.c)
UI_OBJ   := $(UI_SRC:%.c=$(BUILD)/obj/%.o)
all: $(BUILD)/univend $(BUILD)/univend-kiosk $(DRIVERS)

$(BUILD)/obj/src/ctx.o: override CFLAGS += -DUV_DRIVER_DIR='"$(DRIVER_DIR)"'
$(BUILD)/obj/src/cardchan.o: override CFLAGS += $(PCSC_CFLAGS)
$(BUILD)/obj/tests/unit/test_cardchan.o: override CFLAGS += $(PCSC_CFLAGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Isrc -Idrivers/sts -Idrivers/openpaygo -Idrivers/memcard \
	  -Idrivers/cardkey -MMD -MP -c $< -o $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@

$(BUILD)/libunivend.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/univend: $(BUILD)/obj/src/main.o $(BUILD)/libunivend.a
	$(CC) $(LDFLAGS) $^ $(PCSC_LIBS) $(LDLIBS) -o $@

$(BUILD)/obj/ui/%.o: ui/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CURSES_CFLAGS) -Isrc -MMD -MP -c $< -o $@

# The clerk's full-screen kiosk (ncursesw).
$(BUILD)/univend-kiosk: $(UI_OBJ) $(BUILD)/libunivend.a
	$(CC) $(LDFLAGS) $^ $(CURSES_LIBS) $(PCSC_LIBS) $(LDLIBS) -o $@

$(BUILD)/drivers/sts.so: $(BUILD)/pic/drivers/sts/sts_driver.o $(STS_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -Wl,-z,now $^ $(LDLIBS) -o $@

$(BUILD)/drivers/openpaygo.so: $(BUILD)/pic/drivers/openpaygo/openpaygo_driver.o $(OPAYGO_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -Wl,-z,now $^ $(LDLIBS) -o $@

$(BUILD)/drivers/cpucard.so: $(CPUCARD_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -Wl,-z,now $^ $(LDLIBS) -o $@

$(BUILD)/drivers/memcard.so: $(BUILD)/pic/drivers/memcard/memcard_driver.o \
    $(MEMCARD_SRC:%.c=$(BUILD)/pic/%.o) $(CARDLIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -Wl,-z,now $^ $(LDLIBS) -o $@

$(BUILD)/drivers/logiccard.so: $(BUILD)/pic/drivers/logiccard/logiccard_driver.o \
    $(LOGIC_SRC:%.c=$(BUILD)/pic/%.o) $(CARDLIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -Wl,-z,now $^ $(LDLIBS) -o $@

$(BUILD)/drivers/rfcard.so: $(BUILD)/pic/drivers/rfcard/rfcard_driver.o \
    $(RF_SRC:%.c=$(BUILD)/pic/%.o) $(CARDLIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -Wl,-z,now $^ $(LDLIBS) -o $@

# The card simulator of the card tests (tests/cardsim): one card on a slot of
# vsmartcard's virtual reader. It shares the card layouts and card keys.
CARDSIM_SRC := $(wildcard tests/cardsim/*.c)
$(BUILD)/cardsim: $(CARDSIM_SRC:%.c=$(BUILD)/obj/%.o) $(CARD_LIB_OBJ)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
.PHONY: cardsim
cardsim: $(BUILD)/cardsim

# Deliberately broken drivers for the loader's refusal tests.
$(BUILD)/test-drivers/%.so: $(BUILD)/pic/tests/drivers/%.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared $^ -o $@

$(BUILD)/unit-tests: $(UNIT_OBJ) $(STS_LIB_OBJ) $(OPAYGO_LIB_OBJ) $(CARD_LIB_OBJ) $(CARDSIM_LIB_OBJ) \
                     $(BUILD)/libunivend.a
	$(CC) $(LDFLAGS) $^ $(CHECK_LIBS) $(PCSC_LIBS) $(LDLIBS) -o $@

$(BUILD)/bench: $(BENCH_SRC:%.c=$(BUILD)/obj/%.o) $(STS_LIB_OBJ) $(BUILD)/libunivend.a
	$(CC) $(LDFLAGS) $^ $(PCSC_LIBS) $(LDLIBS) -lm -o $@

# ---- tests: always under AddressSanitizer + UBSan ------------------------
SAN_BUILD := $(BUILD)/san
FUZZ_SMOKE_SECONDS ?= 3
test:
	$(MAKE) --no-print-directory SAN=1 BUILD=$(SAN_BUILD) OPT="-O1 -g" unit e2e
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

unit: $(BUILD)/unit-tests $(DRIVERS) $(TEST_DRIVERS)
	UNIVEND_TEST_DRIVERS=$(abspath $(BUILD))/test-drivers UNIVEND_DRIVERS=$(abspath $(BUILD))/drivers \
	  ASAN_OPTIONS=detect_leaks=1 $(BUILD)/unit-tests

e2e: $(BUILD)/univend $(BUILD)/univend-kiosk $(DRIVERS) $(TEST_DRIVERS) $(BUILD)/cardsim
	UNIVEND=$(abspath $(BUILD))/univend UNIVEND_KIOSK=$(abspath $(BUILD))/univend-kiosk \
	  CARDSIM=$(abspath $(BUILD))/cardsim \
	  UNIVEND_TEST_DRIVERS=$(abspath $(BUILD))/test-drivers \
	  UNIVEND_DRIVERS=$(abspath $(BUILD))/drivers \
	  tests/e2e/run

valgrind: all $(BUILD)/unit-tests $(TEST_DRIVERS)
	UNIVEND_TEST_DRIVERS=$(abspath $(BUILD))/test-drivers UNIVEND_DRIVERS=$(abspath $(BUILD))/drivers \
	  UNIVEND_DRIVER_TIME_LIMIT_MS=60000 UNIVEND_DRIVER_NO_AS_LIMIT=1 \
	  CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	  --child-silent-after-fork=yes --suppressions=tests/valgrind-bdb.supp \
	  $(BUILD)/unit-tests
	UNIVEND=$(abspath $(BUILD))/univend UNIVEND_DRIVER_TIME_LIMIT_MS=60000 UNIVEND_DRIVER_NO_AS_LIMIT=1 VALGRIND=1 \
	  tests/e2e/valgrind-sale

bench: $(BUILD)/bench $(DRIVERS) $(BUILD)/univend $(BUILD)/univend-kiosk
	UNIVEND_DRIVERS=$(abspath $(BUILD))/drivers $(BUILD)/bench
	@if [ -x tests/bench/kiosk-bench ]; then UNIVEND=$(abspath $(BUILD))/univend \
	  UNIVEND_KIOSK=$(abspath $(BUILD))/univend-kiosk tests/bench/kiosk-bench; fi

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- fuzzing (clang libFuzzer) -------------------------------------------
# make fuzz FUZZ_SECONDS=60   runs each target for that long (default 10)
FUZZ_SECONDS ?= 10
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all -Isrc -Idrivers/sts
FUZZ_LIB_SRC := src/config.c src/money.c src/params.c src/status.c src/loader.c src/digest.c \
                src/drvsig.c src/drvproto.c src/exportfile.c src/exportparse.c src/textrec.c src/ed25519.c \
                db/record.c $(STS_SRC)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $^ $(LDLIBS) -o $@
# the export reader is held to a plain reference reader
$(FUZZ_BUILD)/fuzz_export: tests/fuzz/export_reference.c

# the instruction parser checks records with the kind table, whose entries
# also name the apply functions: this target links the whole core
$(FUZZ_BUILD)/fuzz_instruct: tests/fuzz/fuzz_instruct.c $(CORE_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(PCSC_CFLAGS) $^ $(PCSC_LIBS) $(LDLIBS) -o $@

# the memory card driver itself, behind fake card answers, its keys in the
# store or in the simulator's SAM
$(FUZZ_BUILD)/fuzz_memcard: tests/fuzz/fuzz_memcard.c drivers/memcard/memcard_driver.c \
    $(MEMCARD_SRC) $(CARDLIB_SRC) $(CARDKEY_SRC) tests/cardsim/card_sam.c tests/cardsim/image.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $^ $(LDLIBS) -o $@

# the CPU card driver, against scripted answers or the simulator's card and SAM
$(FUZZ_BUILD)/fuzz_cpucard: tests/fuzz/fuzz_cpucard.c $(CPUCARD_SRC) $(CARDKEY_SRC) \
                            tests/cardsim/card_cpu.c tests/cardsim/card_sam.c tests/cardsim/image.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $^ $(LDLIBS) -o $@

# the logic and RF card drivers, behind card answers from the input
$(FUZZ_BUILD)/fuzz_logiccard: tests/fuzz/fuzz_logiccard.c $(wildcard drivers/logiccard/*.c) \
    $(CARDLIB_SRC) $(CARDKEY_SRC) tests/fuzz/fuzz_cardhost.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(filter %.c,$^) $(LDLIBS) -o $@

$(FUZZ_BUILD)/fuzz_rfcard: tests/fuzz/fuzz_rfcard.c $(wildcard drivers/rfcard/*.c) \
    $(CARDLIB_SRC) $(CARDKEY_SRC) tests/fuzz/fuzz_cardhost.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(filter %.c,$^) $(LDLIBS) -o $@

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_TARGETS)
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  n=$$(basename $$t); mkdir -p $(FUZZ_BUILD)/corpus/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 $(FUZZ_BUILD)/corpus/$$n tests/fuzz/seeds/$$n \
	    >$(FUZZ_BUILD)/$$n.log 2>&1 || { tail -n 40 $(FUZZ_BUILD)/$$n.log; exit 1; }; \
	  grep -E "^(#[0-9]+).*DONE" $(FUZZ_BUILD)/$$n.log | tail -n1; \
	done

# ---- install --------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=...]: the programs, the drivers,
# and for driver makers the one header and a pkg-config file
# (pkg-config --cflags univend-driver).
PREFIX  ?= /usr/local
INSTALL_DRIVER_DIR = $(PREFIX)/lib/univend/drivers
.PHONY: install install-build install-sdk
install-build:
	$(MAKE) --no-print-directory BUILD=$(BUILD)/install DRIVER_DIR=$(INSTALL_DRIVER_DIR) all
install: install-build install-sdk
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(INSTALL_DRIVER_DIR)
	install -m 0755 $(BUILD)/install/univend $(BUILD)/install/univend-kiosk $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(BUILD)/install/drivers/*.so $(DESTDIR)$(INSTALL_DRIVER_DIR)/
# what a driver maker needs: the header and the pkg-config file
install-sdk:
	install -d $(DESTDIR)$(PREFIX)/include/univend $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 0644 drivers/univend_driver.h $(DESTDIR)$(PREFIX)/include/univend/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@ABI@|'"$$(sed -n 's/^#define UV_ABI_MAJOR \([0-9]*\)u.*/\1/p' drivers/univend_driver.h)"'.'"$$(sed -n 's/^#define UV_ABI_MINOR \([0-9]*\)u.*/\1/p' drivers/univend_driver.h)"'|g' \
	  drivers/univend-driver.pc.in >$(DESTDIR)$(PREFIX)/lib/pkgconfig/univend-driver.pc
