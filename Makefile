# tinyfleet: one entry point for building, testing and measuring everything.
# Outputs go to build/. `make help` lists the targets. `V=1` shows the compiler lines.
#
# One style throughout: a source's flags follow from its top folder (CFLAGS_<folder>), every
# object is built by one pattern rule per variant, and every test folder is a wildcard, so a
# module or a test is added by adding its file.

CC         ?= cc
CLANG      ?= clang
CROSS_CC   ?= arm-none-eabi-gcc
CROSS_NM   ?= arm-none-eabi-nm
CROSS_OBJCOPY ?= arm-none-eabi-objcopy
B          := build
# The one version every program prints with --version (and a package is named after).
VERSION    := $(shell cat VERSION)

Q := $(if $(V),,@)

WARN := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wundef -Wvla -Wcast-align -Wpointer-arith -Wimplicit-fallthrough -fno-common
# proto/ and nodefw/ run on microcontrollers: silent narrowing there is a real bug.
WARN_STRICT := $(WARN) -Wconversion -Wsign-conversion -Wdouble-promotion

HARDEN    := -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
SAN       := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ      := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all

# libcoap's gnutls build: the one with DTLS-PSK (ARCHITECTURE.md, facts about the platform).
PKGS       := libcjson libuv sqlite3 inih libcoap-3-gnutls libmosquitto libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

# --- flags per top folder ------------------------------------------------------------------
CFLAGS_proto  := -std=c99 $(WARN_STRICT) -Iproto/include
CFLAGS_nodefw := -std=c99 $(WARN_STRICT) -Iproto/include -Inodefw/include -Inodefw/model
VERSION_DEF   := -DTINYFLEET_VERSION='"$(VERSION)"'
CFLAGS_daemon := -std=c11 -D_GNU_SOURCE $(WARN) $(VERSION_DEF) -Iproto/include -Idaemon \
                 $(PKG_CFLAGS)
CFLAGS_cli    := $(CFLAGS_daemon) -Icli
# tinyfleet-web: the daemon's config and store names, libmicrohttpd and libcrypt of its own.
WEB_PKGS      := libmicrohttpd libxcrypt
CFLAGS_web    := $(CFLAGS_daemon) -Iweb $(shell pkg-config --cflags $(WEB_PKGS) 2>/dev/null)
WEB_LIBS      := $(shell pkg-config --libs $(WEB_PKGS) 2>/dev/null)
CFLAGS_build  := $(CFLAGS_daemon) -Iweb
CFLAGS_host   := -std=c11 -D_GNU_SOURCE $(WARN) $(VERSION_DEF) -Iproto/include -Inodefw/include \
                 -Inodefw/model -Inodefw -Ihost
CFLAGS_tests  := -std=c11 -D_GNU_SOURCE $(WARN) -Iproto/include -Idaemon -Icli \
                 -Inodefw/include -Inodefw/model -Ihost -Iweb -Itests $(PKG_CFLAGS)
layer_flags = $(CFLAGS_$(firstword $(subst /, ,$(1))))

# --- sources -------------------------------------------------------------------------------
PROTO_SRC  := $(wildcard proto/src/*.c)
NODEFW_SRC := $(wildcard nodefw/app/*.c nodefw/dsp/*.c nodefw/nn/*.c nodefw/radio/*.c)
DAEMON_SRC := $(filter-out daemon/tinyfleetd.c,$(wildcard daemon/*.c daemon/*/*.c))
CLI_SRC    := $(filter-out cli/tinyfleet.c,$(wildcard cli/*.c))
WEB_SRC    := $(filter-out web/tinyfleet-web.c,$(wildcard web/*.c))
# The status page's files are compiled into tinyfleet-web as one generated C file.
WEB_STATIC := $(wildcard web/static/*)
GEN_WEB_ASSETS := $(B)/gen/web_assets.c
# The host library (WAV, the packet-forwarder client, option helpers: host/lib, which uses
# nothing else of host/) and the signal synthesiser, for the simulator, trainer and benches.
HOST_SRC   := $(wildcard host/lib/*.c host/synth/*.c)
TRAIN_SRC  := $(filter-out host/train/main.c,$(wildcard host/train/*.c))
NODESIM_SRC := $(wildcard host/node/*.c)
# The SQL files of migrations/ are compiled into the binaries as one generated C file.
MIGRATIONS := $(wildcard migrations/*.sql)
GEN_MIGRATIONS := $(B)/gen/migrations.c

TEST_DIRS := proto daemon nodefw host web
TEST_SRC  := $(foreach d,$(TEST_DIRS),$(wildcard tests/$(d)/test_*.c))
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
# The libraries each test folder links, lowest layer last.
TEST_LIBS_proto  := libproto.a
TEST_LIBS_daemon := libdaemon.a libproto.a
TEST_LIBS_nodefw := libnodefw.a libproto.a
TEST_LIBS_host   := libtrain.a libhost.a libnodefw.a libproto.a
TEST_LIBS_web    := libweb.a libdaemon.a libproto.a
test_libs = $(TEST_LIBS_$(firstword $(subst /, ,$(1))))
# Libraries beyond PKG_LIBS a test folder links.
TEST_EXTRA_web := $(WEB_LIBS)
test_extra = $(TEST_EXTRA_$(firstword $(subst /, ,$(1))))

$(GEN_MIGRATIONS): tools/embed-migrations.sh $(MIGRATIONS)
	@mkdir -p $(@D)
	$(Q)sh tools/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@
$(GEN_WEB_ASSETS): tools/embed-web.sh $(WEB_STATIC)
	@mkdir -p $(@D)
	$(Q)sh tools/embed-web.sh $(WEB_STATIC) > $@.tmp && mv $@.tmp $@

# --- one variant: $(1) output root, $(2) compiler, $(3) compile flags, $(4) link flags -----
# The release build lives in build/, AddressSanitizer+UBSan in build/asan/, the libFuzzer
# build (clang) in build/fuzz/. Objects mirror the source tree under <root>/obj/.
define variant
$(1)/obj/%.o: %.c
	@mkdir -p $$(@D)
	$$(Q)$(2) $$(call layer_flags,$$<) $(3) -MMD -MP -c $$< -o $$@
# The main files print the version: rebuilt when it changes.
$(addprefix $(1)/obj/,daemon/tinyfleetd.o cli/tinyfleet.o host/node/main.o host/train/main.o \
                     web/tinyfleet-web.o): VERSION
$(1)/libproto.a: $$(PROTO_SRC:%.c=$(1)/obj/%.o)
$(1)/libnodefw.a: $$(NODEFW_SRC:%.c=$(1)/obj/%.o) $(1)/obj/nodefw/model/models.o
$(1)/libdaemon.a: $$(DAEMON_SRC:%.c=$(1)/obj/%.o) $(1)/obj/$(GEN_MIGRATIONS:.c=.o)
$(1)/libcli.a: $$(CLI_SRC:%.c=$(1)/obj/%.o)
$(1)/libweb.a: $$(WEB_SRC:%.c=$(1)/obj/%.o) $(1)/obj/$(GEN_WEB_ASSETS:.c=.o)
$(1)/libhost.a: $$(HOST_SRC:%.c=$(1)/obj/%.o)
$(1)/libtrain.a: $$(TRAIN_SRC:%.c=$(1)/obj/%.o)
$(1)/tinyfleetd: $(1)/obj/daemon/tinyfleetd.o $(1)/libdaemon.a $(1)/libproto.a
	$$(Q)$(2) $(3) $(4) -o $$@ $$^ $$(PKG_LIBS)
$(1)/tinyfleet: $(1)/obj/cli/tinyfleet.o $(1)/libcli.a $(1)/libdaemon.a $(1)/libproto.a
	$$(Q)$(2) $(3) $(4) -o $$@ $$^ $$(PKG_LIBS)
$(1)/tinyfleet-web: $(1)/obj/web/tinyfleet-web.o $(1)/libweb.a $(1)/libdaemon.a $(1)/libproto.a
	$$(Q)$(2) $(3) $(4) -o $$@ $$^ $$(PKG_LIBS) $$(WEB_LIBS)
$(1)/tinyfleet-node: $$(NODESIM_SRC:%.c=$(1)/obj/%.o) $(1)/libhost.a $(1)/libnodefw.a \
                     $(1)/libproto.a
	$$(Q)$(2) $(3) $(4) -o $$@ $$^ -linih -lcjson -lm
$(1)/tinyfleet-turbine-eval: $(1)/obj/host/eval/turbine_eval.o $(1)/libtrain.a $(1)/libhost.a \
                             $(1)/libnodefw.a $(1)/libproto.a
	$$(Q)$(2) $(3) $(4) -o $$@ $$^ -lm
$(1)/tinyfleet-train: $(1)/obj/host/train/main.o $(1)/libtrain.a $(1)/libhost.a \
                      $(1)/libnodefw.a $(1)/libproto.a
	$$(Q)$(2) $(3) $(4) -o $$@ $$^ -lm
$(1)/tests/%: $(1)/obj/tests/%.o $$$$(addprefix $(1)/,$$$$(call test_libs,$$$$*))
	@mkdir -p $$(@D)
	$$(Q)$(2) $(3) $(4) -o $$@ $$^ $$(PKG_LIBS) $$(call test_extra,$$*) -lcmocka -lm
endef

.SECONDEXPANSION:
# Objects are kept between runs: they are what makes a rebuild incremental.
.SECONDARY:
%.a:
	$(Q)rm -f $@ && ar rcs $@ $^

$(eval $(call variant,$(B),$$(CC),$(HARDEN),$(HARDEN_LD)))
$(eval $(call variant,$(B)/asan,$$(CC),$(SAN),$(SAN)))
# Warnings are the gcc builds' job; clang's own set differs.
$(eval $(call variant,$(B)/fuzz,$$(CLANG),$(FUZZ) -fsanitize=fuzzer-no-link -w,$(FUZZ)))

UNIT_BIN      := $(TEST_SRC:tests/%.c=$(B)/tests/%)
UNIT_BIN_ASAN := $(TEST_SRC:tests/%.c=$(B)/asan/tests/%)
FUZZ_BIN      := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
PROGRAMS      := $(addprefix $(B)/,tinyfleetd tinyfleet tinyfleet-node tinyfleet-train tinyfleet-web)

$(B)/fuzz/fuzz_%: $(B)/fuzz/obj/tests/fuzz/fuzz_%.o $(B)/fuzz/libdaemon.a $(B)/fuzz/libproto.a
	$(Q)$(CLANG) $(FUZZ) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

# The objects' dependency files; build/deb is the Debian package's copy of the tree, with its own.
-include $(shell find $(B) -path $(B)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)

.DEFAULT_GOAL := all
include nodefw/boards/boards.mk

.PHONY: all deps demo install deb flash soak test unit unit-asan integration mutants headers tidy \
        mcu-check energy-eval \
        fuzz fuzz-smoke fuzz-corpus size-proto models models-check turbine-eval \
        bench bench-proto bench-coap bench-ingest bench-alert bench-site bench-nodefw bench-web vectors fmt \
        fmt-check clean help

all: $(PROGRAMS) $(BOARD_TEST_SET)

help:
	@echo "make demo       run the whole system on this machine (first command of the README)"
	@echo "make test       build everything and run every check"
	@echo "make deps       install the Debian packages the project needs (idempotent)"
	@echo "make install    programs, man pages, systemd unit (PREFIX=/usr/local, DESTDIR=...)"
	@echo "make deb        the Debian package build/tinyfleet_<version>_<arch>.deb"
	@echo "make flash IMAGE=DIR/nodefw.bin  program a provisioned STM32WL55 node (openocd, ST-LINK)"
	@echo "make fuzz       run each fuzz target for 60 s"
	@echo "make bench      run the benchmarks (proto, CoAP, forwarder, alerts, site, node firmware, page)"
	@echo "make models     retrain the three models (headers, REPORT.md, plot)"
	@echo "make turbine-eval  the turbine's on-device learning on unseen machines (nodefw/model)"
	@echo "make size-proto Cortex-M4 size of proto/ (node side and gateway side)"
	@echo "make firmware   Cortex-M4 images for every board and profile (build/nodefw/)"
	@echo "make firmware-size  flash, RAM and worst stack per image"
	@echo "make vectors    regenerate tests/vectors from the independent lora-packet implementation"
	@echo "make fmt        format the C sources with clang-format"

deps:
	@sh tools/deps.sh

# Binaries, the systemd unit with its sysusers and tmpfiles snippets, the example config and
# the man pages, under $(DESTDIR)$(PREFIX) (and /etc, /usr/lib/systemd relative to DESTDIR).
PREFIX ?= /usr/local
install: all
	@sh tools/install.sh "$(B)" "$(DESTDIR)" "$(PREFIX)"

# The Debian package, built by dpkg-buildpackage in a copy of the tree (build/deb/src).
deb:
	@sh tools/deb.sh "$(B)"

# Program a provisioned STM32WL55 image through an ST-LINK with openocd:
#   make flash IMAGE=DIR/nodefw.bin   (DIR from `tinyfleet provision --board stm32wl55 --out DIR`)
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
# Every step runs even when one fails; the last line adds them up (tools/run-tests.sh).
TEST_STEPS := all unit unit-asan headers mcu-check firmware-check fmt-check tidy models-check \
              integration fuzz-smoke
test: deps
	@MAKE="$(MAKE)" sh tools/run-tests.sh $(TEST_STEPS)

unit: $(UNIT_BIN)
	@sh tools/run-units.sh $(UNIT_BIN)

unit-asan: $(UNIT_BIN_ASAN)
	@UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	    sh tools/run-units.sh $(UNIT_BIN_ASAN)

integration: all
	@sh tools/run-integration.sh $(B)

# Not in `make test`: the recall cost of duty-cycled sensing, measured with the simulator
# (tools/energy_eval.py; the tables of nodefw/ENERGY.md).
energy-eval: all
	@/usr/bin/python3 tools/energy_eval.py $(B) --points 24

# Not in `make test`: each deliberate bug of tools/mutants/ must make its test fail.
mutants:
	@sh tools/run-mutants.sh

# Every header compiles on its own with its layer's flags (STYLE.md section 5). Board
# headers are checked where they are compiled: in the Cortex-M4 images.
HEADERS := $(wildcard proto/include/proto/*.h nodefw/include/nodefw/*.h nodefw/model/*.h \
           daemon/*.h daemon/*/*.h cli/*.h host/*/*.h web/*.h)
headers: $(HEADERS:%.h=$(B)/headers/%.ok)
	@echo "headers: $(words $(HEADERS)) headers compile alone"
$(B)/headers/%.ok: %.h
	@mkdir -p $(@D)
	$(Q)echo '#include "$<"' | $(CC) $(call layer_flags,$<) -I. -x c -fsyntax-only - && touch $@

# clang-tidy, one file a rule so that a finding names its file, and a clean file is not
# checked again until it changes. Board files are Cortex-M4 code against newlib's headers.
TIDY_SRC := $(PROTO_SRC) $(NODEFW_SRC) $(DAEMON_SRC) daemon/tinyfleetd.c $(wildcard cli/*.c) \
            $(wildcard web/*.c) \
            $(HOST_SRC) $(TRAIN_SRC) $(wildcard host/*/main.c host/node/*.c host/board-tools/*.c) \
            host/eval/turbine_eval.c \
            $(BOARD_TIDY_SRC)
tidy: $(sort $(TIDY_SRC:%.c=$(B)/tidy/%.ok))
	@echo "tidy: $(words $(sort $(TIDY_SRC))) files clean"
$(B)/tidy/%.ok: %.c
	@mkdir -p $(@D)
	$(Q)out=$$(clang-tidy --quiet $< -- $(if $(filter nodefw/boards/%,$<),$(BOARD_TIDY_FLAGS),\
	    $(call layer_flags,$<)) 2>&1) || { echo "$$out"; exit 1; }; touch $@

# proto/ and the firmware must link on a bare Cortex-M4 with soft float: linked into one
# relocatable object, they may leave undefined only the mem* functions, libgcc's integer
# division helpers and the board's hal_*: a float operation would need __aeabi_f* or _d*.
MCU_ALLOWED := memcpy|memmove|memset|memcmp|__aeabi_u?(l|i)div(mod)?|hal_[a-z0-9_]+
mcu-check: $(B)/nodefw/proto.o $(B)/nodefw/core.o
	@for o in $^; do \
	    undef=$$($(CROSS_NM) -u $$o | awk '{print $$NF}' | sort -u | tr '\n' ' '); \
	    bad=$$(echo $$undef | tr ' ' '\n' | grep -vxE '$(MCU_ALLOWED)' | grep .); \
	    if [ -n "$$bad" ]; then echo "$$o needs symbols a microcontroller lacks: $$bad"; exit 1; fi; \
	    echo "mcu-check: $$(basename $$o) links on Cortex-M4; undefined: $$undef"; done
$(B)/nodefw/proto.o: $(MCU_PROTO_OBJ)
	$(Q)$(CROSS_CC) $(MCU_ARCH) -r -nostdlib -o $@ $^
$(B)/nodefw/core.o: $(MCU_PROTO_OBJ) $(MCU_NODEFW_OBJ) $(B)/nodefw/obj/nodefw/model/models.o
	$(Q)$(CROSS_CC) $(MCU_ARCH) -r -nostdlib -o $@ $^

size-proto: $(MCU_PROTO_OBJ)
	@sh tools/size-proto.sh $(B)/nodefw/obj/proto/src

# --- fuzzing (libFuzzer, clang) ------------------------------------------------------------
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

# --- models --------------------------------------------------------------------------------
# The seed `make models` uses; the committed headers and REPORT.md come from it.
TRAIN_SEED := 1
MODEL_FILES := elephant_model.h whale_model.h turbine_model.h REPORT.md tradeoff.png
# The field evaluation (tinyfleet-train --eval, ~15 min): in make models only, not checked.
EVAL_FILES := EVAL.md eval.png

# Regenerate the committed model headers, REPORT.md and the plot (fixed seed, one core).
# clang-format runs on the headers so `make fmt-check` stays clean on generated code.
models: $(B)/tinyfleet-train
	@rm -rf $(B)/models && mkdir -p $(B)/models
	$(B)/tinyfleet-train --profile all --seed $(TRAIN_SEED) --out $(B)/models
	$(B)/tinyfleet-train --profile all --seed $(TRAIN_SEED) --eval --out $(B)/models
	clang-format -i $(B)/models/*_model.h
	cp $(addprefix $(B)/models/,$(MODEL_FILES) $(EVAL_FILES)) nodefw/model/

# The committed files must equal a fresh run byte for byte.
models-check: $(B)/tinyfleet-train
	@rm -rf $(B)/models-check && mkdir -p $(B)/models-check
	@$(B)/tinyfleet-train --quiet --profile all --seed $(TRAIN_SEED) --out $(B)/models-check
	@clang-format -i $(B)/models-check/*_model.h
	@for f in $(MODEL_FILES); do \
	    cmp -s $(B)/models-check/$$f nodefw/model/$$f || \
	    { echo "models-check: nodefw/model/$$f differs from a fresh 'make models'"; exit 1; }; \
	done
	@echo "models-check: $(words $(MODEL_FILES)) files equal a fresh run"

# Not in `make test`: the turbine's on-device learning over a sweep of machines nothing was
# trained on, and a simulated week on 4 of them (about 30 min of CPU, two processes at a time
# for the weeks); writes the section and the learning curve.
turbine-eval: $(B)/tinyfleet-turbine-eval
	nice -n 10 $(B)/tinyfleet-turbine-eval --machines 24 --days 7 --week-machines 4 --jobs 2 \
	    nodefw/model/TURBINE_LEARNING.md nodefw/model/turbine_learning.png

# --- benchmarks ----------------------------------------------------------------------------
BENCH_CC = $(CC) -O2 -g $(CFLAGS_tests)
bench: bench-proto bench-coap bench-ingest bench-alert bench-site bench-nodefw bench-web

bench-ingest: $(B)/bench/bench_lora $(B)/tinyfleetd $(B)/tinyfleet
	@sh tools/bench-ingest.sh $(B)
# The status page: first load in Chromium, tinyfleet-web's RSS, ingest while it is polled.
bench-web: $(B)/bench/bench_lora $(B)/tinyfleetd $(B)/tinyfleet $(B)/tinyfleet-web
	@sh tools/bench-web.sh $(B)
bench-alert: $(B)/bench/bench_alert $(B)/tinyfleetd $(B)/tinyfleet
	@sh tools/bench-alert.sh $(B)
bench-site: $(B)/bench/bench_site $(B)/tinyfleetd $(B)/tinyfleet
	@sh tools/bench-site.sh $(B)
bench-coap: $(B)/bench/bench_coap $(B)/tinyfleetd
	@sh tools/bench-coap.sh $(B)
bench-proto: $(B)/bench/bench_proto
	@sh tools/bench-proto.sh $(B)/bench/bench_proto
bench-nodefw: $(BOARD_TEST_SET)
	@sh tools/bench-nodefw.sh $(B)/nodefw

$(B)/bench/bench_lora: tests/bench/bench_lora.c $(B)/libhost.a $(B)/libproto.a
	@mkdir -p $(@D)
	$(Q)$(BENCH_CC) -o $@ $^
$(B)/bench/bench_alert: tests/bench/bench_alert.c $(B)/libhost.a $(B)/libproto.a
	@mkdir -p $(@D)
	$(Q)$(BENCH_CC) -o $@ $^ -lmosquitto -lpthread
$(B)/bench/bench_site: tests/bench/bench_site.c $(B)/libhost.a $(B)/libproto.a
	@mkdir -p $(@D)
	$(Q)$(BENCH_CC) -o $@ $^ -lmosquitto -lpthread
$(B)/bench/bench_coap: tests/bench/bench_coap.c $(B)/libdaemon.a $(B)/libproto.a
	@mkdir -p $(@D)
	$(Q)$(BENCH_CC) -o $@ $^ $(PKG_LIBS)
$(B)/bench/bench_proto: tests/bench/bench_proto.c $(B)/libproto.a
	@mkdir -p $(@D)
	$(Q)$(BENCH_CC) -o $@ $^ -lcrypto

# --- vectors from an implementation we did not write ---------------------------------------
vectors:
	@sh tools/deps.sh --npm
	cd tests/vectors && node gen-lorawan.js > lorawan_vectors.h.tmp && mv lorawan_vectors.h.tmp lorawan_vectors.h
	cd tests/vectors && node gen-lorawan-join.js > lorawan_join_vectors.h.tmp && \
		mv lorawan_join_vectors.h.tmp lorawan_join_vectors.h && clang-format -i lorawan_join_vectors.h
	cd tests/vectors && node gen-lorawan-down.js > lorawan_down_vectors.h.tmp && \
		mv lorawan_down_vectors.h.tmp lorawan_down_vectors.h

# --- formatting ----------------------------------------------------------------------------
FMT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
fmt:
	clang-format -i $(FMT_SRC)

fmt-check:
	@clang-format --dry-run --Werror $(FMT_SRC) && echo "fmt-check: $(words $(FMT_SRC)) files formatted"

clean:
	rm -rf $(B)
