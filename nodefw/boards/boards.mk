# nodefw/boards/boards.mk: Cortex-M4 firmware images, their sizes, the QEMU classification
# test's pieces, the SX126x driver test and the firmware benchmark. Included last of the
# nodefw fragments: it uses NODEFW_CFLAGS and $(B)/libnodefw.a from core.mk. Notes on the
# design: nodefw/boards/README.md.
#
#   make firmware        build/nodefw/<board>/<profile>/nodefw.{elf,bin,hex,map}
#   make firmware-size   text/data/bss and worst stack per board and profile
#   make bench-nodefw    instructions per window: host (callgrind) and QEMU (-icount)

BOARD_DIR      := nodefw/boards
BOARD_OUT      := $(B)/nodefw
BOARD_LIST     := stm32wl55 mps2-an386
BOARD_PROFILES := elephant whale turbine
CROSS_OBJCOPY  ?= arm-none-eabi-objcopy

# The firmware core compiled for the MCU: every nodefw/src/*.c and proto/src/*.c (not the
# host libnodefw.a). models.c links all three models; an image links only its own through
# common/model_one.c.
BOARD_CORE_SRC  = $(wildcard nodefw/src/*.c)
BOARD_CORE_OBJ  = $(BOARD_CORE_SRC:nodefw/src/%.c=$(BOARD_OUT)/obj/core/%.o)
BOARD_PROTO_OBJ = $(PROTO_SRC:proto/src/%.c=$(BOARD_OUT)/obj/proto/%.o)
BOARD_HDR       = $(wildcard nodefw/include/nodefw/*.h nodefw/model/*.h proto/include/proto/*.h \
                  $(BOARD_DIR)/*/*.h)

BOARD_ARCH   := -mcpu=cortex-m4 -mthumb
BOARD_INC    := -I$(BOARD_DIR)/cortex-m4 -I$(BOARD_DIR)/common -I$(BOARD_DIR)/radio
# -fcallgraph-info=su writes a .ci call graph with each function's frame next to the
# object; tools/stack_depth.py walks them for the deepest path.
BOARD_CFLAGS  = $(BOARD_ARCH) -Os -g -ffreestanding -ffunction-sections -fdata-sections \
                -fstack-usage -fcallgraph-info=su $(NODEFW_CFLAGS) $(BOARD_INC)
# newlib-nano supplies only what the compiler itself calls (memcpy, memset) and libgcc the
# 64-bit division helpers; no start files (cortex-m4/startup.c), no syscalls: a stray
# printf or malloc fails to link.
BOARD_LDFLAGS = $(BOARD_ARCH) --specs=nano.specs -nostartfiles -Wl,--gc-sections \
                -L$(BOARD_DIR) -Wl,--no-warn-rwx-segments

# Per board: its sources besides the per-profile main, and the main file.
BOARD_SRC_stm32wl55    := stm32wl55/board.c stm32wl55/subghz.c radio/sx126x.c cortex-m4/startup.c \
                          cortex-m4/msclock.c
BOARD_MAIN_stm32wl55   := stm32wl55/main_node.c
BOARD_SRC_mps2-an386   := mps2-an386/board.c cortex-m4/startup.c cortex-m4/msclock.c \
                          cortex-m4/semihost.c \
                          common/classify_run.c
BOARD_MAIN_mps2-an386  := mps2-an386/main_classify.c
BOARD_SIGNAL_mps2-an386 := yes
# QEMU also runs the whole node (node.h) over the baked signal: node.elf beside nodefw.elf.
BOARD_NODE_mps2-an386  := mps2-an386/main_node.c

BOARD_PROFILE_ID_elephant := DSP_PROFILE_ELEPHANT
BOARD_PROFILE_ID_whale    := DSP_PROFILE_WHALE
BOARD_PROFILE_ID_turbine  := DSP_PROFILE_TURBINE
BOARD_ARENA_elephant      := ELEPHANT_MODEL_ARENA_BYTES
BOARD_ARENA_whale         := WHALE_MODEL_ARENA_BYTES
BOARD_ARENA_turbine       := TURBINE_MODEL_ARENA_BYTES

$(BOARD_OUT)/obj/core/%.o: nodefw/src/%.c $(BOARD_HDR)
	@mkdir -p $(@D)
	$(CROSS_CC) $(BOARD_CFLAGS) -c $< -o $@
$(BOARD_OUT)/obj/proto/%.o: proto/src/%.c $(BOARD_HDR)
	@mkdir -p $(@D)
	$(CROSS_CC) $(BOARD_CFLAGS) -c $< -o $@
$(BOARD_OUT)/obj/board/%.o: $(BOARD_DIR)/%.c $(BOARD_HDR)
	@mkdir -p $(@D)
	$(CROSS_CC) $(BOARD_CFLAGS) -c $< -o $@

# $(1) board, $(2) profile: one image.
define board_image
BOARD_DEFS_$(1)_$(2) := -DBOARD_PROFILE=$$(BOARD_PROFILE_ID_$(2)) \
    -DBOARD_MODEL_HEADER='"$(2)_model.h"' -DBOARD_MODEL=$(2)_model \
    -DBOARD_MODEL_ARENA=$$(BOARD_ARENA_$(2))
BOARD_OBJ_$(1)_$(2) := $$(BOARD_SRC_$(1):%.c=$(BOARD_OUT)/obj/board/%.o) \
    $(BOARD_OUT)/$(1)/$(2)/main.o $(BOARD_OUT)/$(1)/$(2)/model.o \
    $$(if $$(BOARD_SIGNAL_$(1)),$(BOARD_OUT)/$(1)/$(2)/signal.o)

$(BOARD_OUT)/$(1)/$(2)/main.o: $(BOARD_DIR)/$$(BOARD_MAIN_$(1)) $$(BOARD_HDR)
	@mkdir -p $$(@D)
	$$(CROSS_CC) $$(BOARD_CFLAGS) $$(BOARD_DEFS_$(1)_$(2)) -c $$< -o $$@
$(BOARD_OUT)/$(1)/$(2)/model.o: $(BOARD_DIR)/common/model_one.c $$(BOARD_HDR)
	@mkdir -p $$(@D)
	$$(CROSS_CC) $$(BOARD_CFLAGS) $$(BOARD_DEFS_$(1)_$(2)) -c $$< -o $$@
$(BOARD_OUT)/$(1)/$(2)/signal.o: $(BOARD_OUT)/signal/$(2).c $(BOARD_DIR)/common/signal.h
	@mkdir -p $$(@D)
	$$(CROSS_CC) $$(BOARD_CFLAGS) -c $$< -o $$@
$(BOARD_OUT)/$(1)/$(2)/nodefw.elf: $$(BOARD_OBJ_$(1)_$(2)) $$(BOARD_CORE_OBJ) $$(BOARD_PROTO_OBJ) \
                                   $(BOARD_DIR)/$(1)/$(1).ld $(BOARD_DIR)/cortex-m4/sections.ld
	$$(CROSS_CC) $$(BOARD_LDFLAGS) -T $(BOARD_DIR)/$(1)/$(1).ld \
	    -Wl,-Map=$(BOARD_OUT)/$(1)/$(2)/nodefw.map -o $$@ \
	    $$(BOARD_OBJ_$(1)_$(2)) $$(BOARD_CORE_OBJ) $$(BOARD_PROTO_OBJ)
BOARD_IMAGES += $(BOARD_OUT)/$(1)/$(2)/nodefw.elf $(BOARD_OUT)/$(1)/$(2)/nodefw.bin \
                $(BOARD_OUT)/$(1)/$(2)/nodefw.hex
ifneq ($$(BOARD_NODE_$(1)),)
$(BOARD_OUT)/$(1)/$(2)/node-main.o: $(BOARD_DIR)/$$(BOARD_NODE_$(1)) $$(BOARD_HDR)
	@mkdir -p $$(@D)
	$$(CROSS_CC) $$(BOARD_CFLAGS) $$(BOARD_DEFS_$(1)_$(2)) -c $$< -o $$@
# node.elf carries the integration tests' test record in its provisioning page (so QEMU
# runs a provisioned node); node.bin is the same image without it: what `tinyfleet
# provision` completes with a device's own record.
$(BOARD_OUT)/$(1)/$(2)/test-record.c: $(BOARD_OUT)/tools/gen-record
	@mkdir -p $$(@D)
	$(BOARD_OUT)/tools/gen-record $(2) $$@
$(BOARD_OUT)/$(1)/$(2)/test-record.o: $(BOARD_OUT)/$(1)/$(2)/test-record.c
	$$(CROSS_CC) $$(BOARD_CFLAGS) -c $$< -o $$@
$(BOARD_OUT)/$(1)/$(2)/node.elf: $$(filter-out %/main.o,$$(BOARD_OBJ_$(1)_$(2))) \
                                 $(BOARD_OUT)/$(1)/$(2)/node-main.o $$(BOARD_CORE_OBJ) \
                                 $(BOARD_OUT)/$(1)/$(2)/test-record.o \
                                 $$(BOARD_PROTO_OBJ) $(BOARD_DIR)/$(1)/$(1).ld \
                                 $(BOARD_DIR)/cortex-m4/sections.ld
	$$(CROSS_CC) $$(BOARD_LDFLAGS) -T $(BOARD_DIR)/$(1)/$(1).ld \
	    -Wl,-Map=$(BOARD_OUT)/$(1)/$(2)/node.map -o $$@ $$(filter %.o,$$^)
$(BOARD_OUT)/$(1)/$(2)/node.bin: $(BOARD_OUT)/$(1)/$(2)/node.elf
	$(CROSS_OBJCOPY) -O binary -R .provision $$< $$@
BOARD_IMAGES += $(BOARD_OUT)/$(1)/$(2)/node.elf $(BOARD_OUT)/$(1)/$(2)/node.bin
endif
endef

BOARD_IMAGES :=
$(foreach b,$(BOARD_LIST),$(foreach p,$(BOARD_PROFILES),$(eval $(call board_image,$(b),$(p)))))

%/nodefw.bin: %/nodefw.elf
	$(CROSS_OBJCOPY) -O binary $< $@
%/nodefw.hex: %/nodefw.elf
	$(CROSS_OBJCOPY) -O ihex $< $@

# --- the test signal and the host twin ------------------------------------------------------
# gen-signal renders each profile's scene once into a C array (for the image) and a WAV (for
# the host); synth.c is the model pipeline's signal synthesiser.
$(BOARD_OUT)/tools/gen-signal: $(BOARD_DIR)/tools/gen_signal.c nodefw/synth/synth.c \
                               nodefw/synth/synth.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 $(WARN) -Inodefw/synth -o $@ $(BOARD_DIR)/tools/gen_signal.c \
	    nodefw/synth/synth.c -lm
$(BOARD_OUT)/signal/%.c $(BOARD_OUT)/signal/%.wav: $(BOARD_OUT)/tools/gen-signal
	@mkdir -p $(@D)
	$(BOARD_OUT)/tools/gen-signal $* $(BOARD_OUT)/signal/$*.c $(BOARD_OUT)/signal/$*.wav
.PRECIOUS: $(BOARD_OUT)/signal/%.c $(BOARD_OUT)/signal/%.wav

# gen-record writes the QEMU node image's test record with the firmware's own encoder.
$(BOARD_OUT)/tools/gen-record: $(BOARD_DIR)/tools/gen_record.c nodefw/src/provision.c \
                               nodefw/src/profile.c nodefw/include/nodefw/provision.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 $(WARN) -Inodefw/include -o $@ $(filter %.c,$^)

BOARD_HOST_CFLAGS = -O2 -g -std=c11 $(WARN) -Iproto/include -Inodefw/include -Inodefw/model \
                    -I$(BOARD_DIR)/common
$(BOARD_OUT)/tools/classify-host: $(BOARD_DIR)/tools/classify_host.c \
                                  $(BOARD_DIR)/common/classify_run.c $(B)/libnodefw.a \
                                  $(B)/libproto.a $(BOARD_HDR)
	@mkdir -p $(@D)
	$(CC) $(BOARD_HOST_CFLAGS) -o $@ $(BOARD_DIR)/tools/classify_host.c \
	    $(BOARD_DIR)/common/classify_run.c $(B)/libnodefw.a $(B)/libproto.a

BOARD_WAVS := $(BOARD_PROFILES:%=$(BOARD_OUT)/signal/%.wav)
# What tests/integration/qemu_classify.sh runs: part of `make all`, as `make integration`
# builds only that.
BOARD_QEMU_SET := $(BOARD_PROFILES:%=$(BOARD_OUT)/mps2-an386/%/nodefw.elf) \
                  $(BOARD_PROFILES:%=$(BOARD_OUT)/mps2-an386/%/node.elf) $(BOARD_WAVS) \
                  $(BOARD_PROFILES:%=$(BOARD_OUT)/mps2-an386/%/node.bin) \
                  $(BOARD_OUT)/tools/classify-host
ALL_TARGETS += $(BOARD_QEMU_SET)
# What tests/integration/provision.sh puts a record into besides mps2-an386's node.bin.
ALL_TARGETS += $(BOARD_PROFILES:%=$(BOARD_OUT)/stm32wl55/%/nodefw.bin)

# --- the SX126x driver test (host, plain and ASan/UBSan) -------------------------------------
BOARD_TEST_CFLAGS := -std=c11 $(WARN) -Iproto/include -Inodefw/include -I$(BOARD_DIR)/radio
$(B)/tests/boards/test_sx126x: $(BOARD_DIR)/tests/test_sx126x.c $(BOARD_DIR)/radio/sx126x.c \
                               $(BOARD_HDR)
	@mkdir -p $(@D)
	$(CC) -O2 -g $(BOARD_TEST_CFLAGS) -o $@ $(filter %.c,$^) -lcmocka
$(B)/asan/tests/boards/test_sx126x: $(BOARD_DIR)/tests/test_sx126x.c \
                                    $(BOARD_DIR)/radio/sx126x.c $(BOARD_HDR)
	@mkdir -p $(@D)
	$(CC) $(SAN) $(BOARD_TEST_CFLAGS) -o $@ $(filter %.c,$^) -lcmocka

# --- targets --------------------------------------------------------------------------------
.PHONY: firmware firmware-size firmware-check bench-nodefw nodefw-boards-test nodefw-boards-tidy

firmware: $(BOARD_IMAGES)

BOARD_ELFS = $(filter %.elf,$(BOARD_IMAGES))
firmware-size: $(BOARD_IMAGES)
	@sh $(BOARD_DIR)/tools/firmware-size.sh $(BOARD_OUT) "$(BOARD_LIST)" "$(BOARD_PROFILES)"

# The budget of the issue (stm32wl55 + elephant: <= 64 KB flash, <= 16 KB RAM with the
# worst stack) and the firmware rule of STYLE.md (no malloc, free or printf in an image).
firmware-check: $(BOARD_IMAGES)
	@sh $(BOARD_DIR)/tools/firmware-size.sh --check $(BOARD_OUT) "$(BOARD_LIST)" \
	    "$(BOARD_PROFILES)"

# clang-tidy for the board code: MCU files as Cortex-M4 code against newlib's headers.
BOARD_TIDY_MCU  := $(BOARD_DIR)/cortex-m4/startup.c $(BOARD_DIR)/cortex-m4/semihost.c \
                   $(BOARD_DIR)/cortex-m4/msclock.c \
                   $(BOARD_DIR)/mps2-an386/board.c $(BOARD_DIR)/mps2-an386/main_classify.c \
                   $(BOARD_DIR)/mps2-an386/main_node.c \
                   $(BOARD_DIR)/stm32wl55/board.c $(BOARD_DIR)/stm32wl55/subghz.c \
                   $(BOARD_DIR)/stm32wl55/main_node.c $(BOARD_DIR)/common/model_one.c
BOARD_TIDY_HOST := $(BOARD_DIR)/radio/sx126x.c $(BOARD_DIR)/common/classify_run.c \
                   $(BOARD_DIR)/tools/gen_signal.c $(BOARD_DIR)/tools/classify_host.c \
                   $(BOARD_DIR)/tools/gen_record.c nodefw/src/provision.c
BOARD_TIDY_ARM  := --target=arm-none-eabi -mcpu=cortex-m4 -mthumb -ffreestanding \
                   -isystem /usr/lib/arm-none-eabi/include
nodefw-boards-tidy:
	@for f in $(BOARD_TIDY_MCU); do \
	    out=$$(clang-tidy --quiet $$f -- $(BOARD_TIDY_ARM) $(NODEFW_CFLAGS) $(BOARD_INC) \
	        $(BOARD_DEFS_stm32wl55_elephant) 2>&1) || { echo "$$out"; exit 1; }; done
	@for f in $(BOARD_TIDY_HOST); do \
	    out=$$(clang-tidy --quiet $$f -- -std=c11 $(NODEFW_CFLAGS) $(BOARD_INC) \
	        -Inodefw/synth 2>&1) || { echo "$$out"; exit 1; }; done
	@echo "nodefw-boards-tidy: $(words $(BOARD_TIDY_MCU) $(BOARD_TIDY_HOST)) files clean"

nodefw-boards-test: $(B)/tests/boards/test_sx126x $(B)/asan/tests/boards/test_sx126x \
                    firmware-check nodefw-boards-tidy
	@sh tools/run-units.sh $(B)/tests/boards/test_sx126x
	@UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	    sh tools/run-units.sh $(B)/asan/tests/boards/test_sx126x

bench-nodefw: $(BOARD_QEMU_SET)
	@sh tools/bench-nodefw.sh $(BOARD_OUT)

TEST_TARGETS += nodefw-boards-test
BENCH_TARGETS += bench-nodefw
