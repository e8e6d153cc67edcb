# tinyfleet: one entry point for building, testing and measuring everything.
# Outputs go to build/. `make help` lists the targets.

CC        ?= cc
CLANG     ?= clang
CROSS_CC  ?= arm-none-eabi-gcc
CROSS_SIZE ?= arm-none-eabi-size
CROSS_NM  ?= arm-none-eabi-nm
B         := build

WARN := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wundef -Wvla -Wcast-align -Wpointer-arith -Wimplicit-fallthrough -fno-common
# proto/ runs on microcontrollers: silent narrowing there is a real bug.
WARN_STRICT := $(WARN) -Wconversion -Wsign-conversion -Wdouble-promotion

HARDEN := -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
SAN := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

PROTO_CFLAGS  := -std=c99 $(WARN_STRICT) -Iproto/include
DAEMON_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Iproto/include -Idaemon
TEST_CFLAGS   := -std=c11 -D_GNU_SOURCE $(WARN) -Iproto/include -Idaemon -Itests

# libcoap's gnutls build: the one with DTLS-PSK (ARCHITECTURE.md, facts about the platform).
PKGS    := libcjson libuv sqlite3 inih libcoap-3-gnutls libmosquitto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

PROTO_SRC  := $(wildcard proto/src/*.c)
# Every daemon/*.c except the programs' main files goes into one library the tests link.
DAEMON_MAINS := daemon/tinyfleet.c daemon/tinyfleetd.c
DAEMON_SRC := $(filter-out $(DAEMON_MAINS),$(wildcard daemon/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
# The SQL files of migrations/ are compiled into the binaries as one generated C file.
MIGRATIONS := $(wildcard migrations/*.sql)

$(B)/gen/migrations.c: tools/embed-migrations.sh $(MIGRATIONS)
	@mkdir -p $(@D)
	sh tools/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

# Two variants share the rules below: the release build in build/ and the
# AddressSanitizer/UBSan build in build/asan/.
define variant
$(1)/obj/proto/%.o: proto/src/%.c $$(wildcard proto/include/proto/*.h) | $(1)/obj/proto
	$$(CC) $(2) $$(PROTO_CFLAGS) -c $$< -o $$@
$(1)/obj/daemon/%.o: daemon/%.c $$(wildcard daemon/*.h proto/include/proto/*.h) | $(1)/obj/daemon
	$$(CC) $(2) $$(DAEMON_CFLAGS) $$(PKG_CFLAGS) -c $$< -o $$@
$(1)/libproto.a: $$(PROTO_SRC:proto/src/%.c=$(1)/obj/proto/%.o)
	rm -f $$@ && ar rcs $$@ $$^
$(1)/obj/gen/migrations.o: $(B)/gen/migrations.c $$(wildcard daemon/*.h) | $(1)/obj/daemon
	@mkdir -p $$(@D)
	$$(CC) $(2) $$(DAEMON_CFLAGS) -c $$< -o $$@
$(1)/libdaemon.a: $$(DAEMON_SRC:daemon/%.c=$(1)/obj/daemon/%.o) $$(if $$(MIGRATIONS),$(1)/obj/gen/migrations.o) $(1)/libproto.a
	rm -f $$@ && ar rcs $$@ $$(filter %.o,$$^)
$(1)/tinyfleet: $(1)/obj/daemon/tinyfleet.o $(1)/libdaemon.a $(1)/libproto.a
	$$(CC) $(2) $(3) -o $$@ $$^ $$(PKG_LIBS)
$(1)/tinyfleetd: $(1)/obj/daemon/tinyfleetd.o $(1)/libdaemon.a $(1)/libproto.a
	$$(CC) $(2) $(3) -o $$@ $$^ $$(PKG_LIBS)
$(1)/tests/test_%: tests/unit/test_%.c $(1)/libdaemon.a $(1)/libproto.a $$(wildcard tests/vectors/*.h) | $(1)/tests
	$$(CC) $(2) $$(TEST_CFLAGS) $$(PKG_CFLAGS) -o $$@ $$< $(1)/libdaemon.a $(1)/libproto.a $$(PKG_LIBS) -lcmocka
$(1)/obj/proto $(1)/obj/daemon $(1)/tests:
	mkdir -p $$@
endef

$(eval $(call variant,$(B),$(HARDEN),$(HARDEN_LD)))
$(eval $(call variant,$(B)/asan,$(SAN),$(SAN)))

UNIT_BIN      := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
UNIT_BIN_ASAN := $(UNIT_SRC:tests/unit/%.c=$(B)/asan/tests/%)
FUZZ_BIN      := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

# nodefw/ brings its own make fragments, included in this order because later ones use what
# earlier ones define: the firmware core library, the node program, the model pipeline, the
# boards. Each adds its programs to ALL_TARGETS, its checks to TEST_TARGETS and its benchmarks
# to BENCH_TARGETS.
ALL_TARGETS :=
TEST_TARGETS :=
BENCH_TARGETS :=
.DEFAULT_GOAL := all
include $(wildcard nodefw/core.mk nodefw/node.mk nodefw/train/train.mk nodefw/boards/boards.mk)

.PHONY: all deps demo install soak test unit unit-asan integration fuzz fuzz-smoke fuzz-corpus proto-mcu size-proto \
        bench bench-proto bench-coap bench-ingest bench-alert vectors fmt fmt-check tidy clean help

all: $(B)/libproto.a $(B)/tinyfleet $(B)/tinyfleetd $(ALL_TARGETS)

help:
	@echo "make demo       run the whole system on this machine (first command of the README)"
	@echo "make test       build everything and run every check"
	@echo "make deps       install the Debian packages the project needs (idempotent)"
	@echo "make install    programs, man pages, systemd unit (PREFIX=/usr/local, DESTDIR=...)"
	@echo "make flash IMAGE=DIR/nodefw.bin  program a provisioned STM32WL55 node (openocd, ST-LINK)"
	@echo "make fuzz       run each fuzz target for 60 s"
	@echo "make bench      run the benchmarks (proto, CoAP ingest, forwarder ingest, alert latency)"
	@echo "make size-proto Cortex-M4 size of proto/ (node side and gateway side)"
	@echo "make firmware   Cortex-M4 images for every board and profile (build/nodefw/)"
	@echo "make firmware-size  flash, RAM and worst stack per image"
	@echo "make bench-nodefw   instructions per window, host and QEMU"
	@echo "make vectors    regenerate tests/vectors from the independent lora-packet implementation"
	@echo "make fmt        format the C sources with clang-format"

deps:
	@sh tools/deps.sh

# Binaries, the systemd unit with its sysusers and tmpfiles snippets, the example config and
# the man pages, under $(DESTDIR)$(PREFIX) (and /etc, /usr/lib/systemd relative to DESTDIR).
PREFIX ?= /usr/local
install: all
	@sh tools/install.sh "$(B)" "$(DESTDIR)" "$(PREFIX)"

# Program a provisioned STM32WL55 image through an ST-LINK with openocd:
#   make flash IMAGE=DIR/nodefw.bin   (DIR from `tinyfleet provision --board stm32wl55 --out DIR`)
.PHONY: flash
flash:
	@sh tools/flash.sh "$(IMAGE)"

# Not in `make test`: thousands of simulated nodes for half an hour, RSS and queue depths
# printed each minute.
soak: all
	@sh tools/soak.sh $(B)

demo: deps
	@$(MAKE) -s all
	@sh tools/demo.sh $(B)

# --- tests --------------------------------------------------------------------------------
test: deps
	$(MAKE) all unit unit-asan proto-mcu fmt-check tidy integration fuzz-smoke $(TEST_TARGETS)

unit: $(UNIT_BIN)
	@sh tools/run-units.sh $(UNIT_BIN)

unit-asan: $(UNIT_BIN_ASAN)
	@UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	    sh tools/run-units.sh $(UNIT_BIN_ASAN)

integration: all
	@sh tools/run-integration.sh $(B)

# --- fuzzing (libFuzzer, clang) -------------------------------------------------------------
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE
FUZZ_OBJ := $(PROTO_SRC:proto/src/%.c=$(B)/fuzz/obj/proto/%.o) \
            $(DAEMON_SRC:daemon/%.c=$(B)/fuzz/obj/daemon/%.o) \
            $(if $(MIGRATIONS),$(B)/fuzz/obj/gen/migrations.o)

$(B)/fuzz/obj/proto/%.o: proto/src/%.c $(wildcard proto/include/proto/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -std=c99 -Iproto/include -c $< -o $@
$(B)/fuzz/obj/daemon/%.o: daemon/%.c $(wildcard daemon/*.h proto/include/proto/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -std=c11 -Iproto/include -Idaemon $(PKG_CFLAGS) -c $< -o $@
$(B)/fuzz/obj/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -std=c11 -Iproto/include -Idaemon -c $< -o $@
# An archive, so each target links only the objects it reaches.
$(B)/fuzz/libfuzzdeps.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(B)/fuzz/libfuzzdeps.a
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer -std=c11 -Iproto/include -Idaemon $(PKG_CFLAGS) \
	    -o $@ $< $(B)/fuzz/libfuzzdeps.a $(PKG_LIBS)

# Regenerate the fuzz seeds; their frames are built with OpenSSL, independently of proto/.
fuzz-corpus: $(B)/fuzz/make-corpus
	rm -rf tests/fuzz/corpus/fuzz_frame tests/fuzz/corpus/fuzz_tfp
	$(B)/fuzz/make-corpus tests/fuzz/corpus
$(B)/fuzz/make-corpus: tests/fuzz/make-corpus.c
	@mkdir -p $(@D)
	$(CC) -O1 -g -std=c11 -D_GNU_SOURCE $(WARN) -o $@ $< -lcrypto

fuzz-smoke: $(FUZZ_BIN)
	@sh tools/run-fuzz.sh 10 $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@sh tools/run-fuzz.sh 60 $(FUZZ_BIN)

# --- proto/ on the microcontroller -----------------------------------------------------------
MCU_FLAGS := -mcpu=cortex-m4 -mthumb -Os -ffreestanding -ffunction-sections -fdata-sections \
             $(PROTO_CFLAGS)
MCU_OBJ := $(PROTO_SRC:proto/src/%.c=$(B)/mcu/%.o)

$(B)/mcu/%.o: proto/src/%.c $(wildcard proto/include/proto/*.h)
	@mkdir -p $(@D)
	$(CROSS_CC) $(MCU_FLAGS) -c $< -o $@

# proto/ must link on a bare microcontroller: linked into one relocatable object, it may
# leave only the mem* functions undefined (the issue allows memcpy, memset and memcmp).
$(B)/mcu/proto.o: $(MCU_OBJ)
	$(CROSS_CC) -mcpu=cortex-m4 -mthumb -r -nostdlib -o $@ $^

proto-mcu: $(B)/mcu/proto.o
	@undef=$$($(CROSS_NM) -u $< | awk '{print $$NF}' | sort -u | tr '\n' ' '); \
	bad=$$(echo $$undef | tr ' ' '\n' | grep -vxE 'memcpy|memset|memcmp' | grep .); \
	if [ -n "$$bad" ]; then echo "proto/ needs symbols a microcontroller lacks: $$bad"; exit 1; fi; \
	echo "proto-mcu: Cortex-M4 build links; undefined symbols: $$undef"

size-proto: $(MCU_OBJ)
	@sh tools/size-proto.sh $(B)/mcu

# --- benchmarks ---------------------------------------------------------------------------
bench: bench-proto bench-coap bench-ingest bench-alert $(BENCH_TARGETS)

bench-ingest: $(B)/bench/bench_lora $(B)/tinyfleetd $(B)/tinyfleet
	@sh tools/bench-ingest.sh $(B)

$(B)/bench/bench_lora: tests/bench/bench_lora.c tests/bench/bench_frames.h $(B)/libproto.a
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE $(WARN) -Iproto/include -Itests -o $@ $< $(B)/libproto.a

bench-alert: $(B)/bench/bench_alert $(B)/tinyfleetd $(B)/tinyfleet
	@sh tools/bench-alert.sh $(B)

$(B)/bench/bench_alert: tests/bench/bench_alert.c tests/bench/bench_frames.h $(B)/libproto.a
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE $(WARN) -Iproto/include -Itests -o $@ $< $(B)/libproto.a \
	    -lmosquitto -lpthread

bench-coap: $(B)/bench/bench_coap $(B)/tinyfleetd
	@sh tools/bench-coap.sh $(B)

$(B)/bench/bench_coap: tests/bench/bench_coap.c $(B)/libdaemon.a $(B)/libproto.a
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE $(WARN) -Iproto/include -Idaemon $(PKG_CFLAGS) -o $@ $< \
	    $(B)/libdaemon.a $(B)/libproto.a $(PKG_LIBS)

bench-proto: $(B)/bench/bench_proto
	@sh tools/bench-proto.sh $(B)/bench/bench_proto

$(B)/bench/bench_proto: tests/bench/bench_proto.c $(B)/libproto.a
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE $(WARN) -Iproto/include -o $@ $^ -lcrypto

# --- vectors from an implementation we did not write ---------------------------------------
vectors:
	@sh tools/deps.sh --npm
	cd tests/vectors && node gen-lorawan.js > lorawan_vectors.h.tmp && mv lorawan_vectors.h.tmp lorawan_vectors.h

# --- formatting -----------------------------------------------------------------------------
FMT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
fmt:
	clang-format -i $(FMT_SRC)

fmt-check:
	@clang-format --dry-run --Werror $(FMT_SRC) && echo "fmt-check: $(words $(FMT_SRC)) files formatted"

# One file per run, so a finding names its file; output only when something is found.
tidy:
	@for f in $(PROTO_SRC); do \
	    out=$$(clang-tidy --quiet $$f -- $(PROTO_CFLAGS) 2>&1) || { echo "$$out"; exit 1; }; done
	@for f in $(DAEMON_SRC) $(wildcard $(DAEMON_MAINS)); do \
	    out=$$(clang-tidy --quiet $$f -- $(DAEMON_CFLAGS) $(PKG_CFLAGS) 2>&1) || \
	    { echo "$$out"; exit 1; }; done
	@echo "tidy: proto/ and daemon/ clean"

clean:
	rm -rf $(B)
