# nodefw/boards/boards.mk: the Cortex-M4 side of the build, included by the Makefile.
# proto/ and the firmware are cross-compiled once, with one flag set, into build/nodefw/obj/;
# every image links those objects with its board's files, its main file and its one model.
# Notes on the design: nodefw/boards/README.md.
#
#   make firmware        build/nodefw/<board>/<profile>/nodefw.{elf,bin,hex,map}
#   make firmware-size   text/data/bss and worst stack per board and profile
#   make bench-nodefw    instructions per window: host (callgrind) and QEMU (-icount)

BOARD_DIR      := nodefw/boards
BOARD_OUT      := $(B)/nodefw
BOARD_LIST     := stm32wl55 mps2-an386
BOARD_PROFILES := elephant whale turbine

MCU_ARCH  := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
BOARD_INC := -I$(BOARD_DIR)/cortex-m4 -I$(BOARD_DIR)/common
# Soft float, so any float or double operation shows up as an undefined __aeabi_* helper.
# -fcallgraph-info=su writes a .ci call graph with each function's frame next to the object;
# tools/stack_depth.py walks them for the deepest path.
MCU_CFLAGS := $(MCU_ARCH) -Os -g -ffreestanding -ffunction-sections -fdata-sections \
              -fstack-usage -fcallgraph-info=su $(BOARD_INC)
# newlib-nano supplies only what the compiler itself calls (memcpy, memset) and libgcc the
# 64-bit division helpers; no start files (cortex-m4/startup.c), no syscalls: a stray
# printf or malloc fails to link.
BOARD_LDFLAGS := $(MCU_ARCH) --specs=nano.specs -nostartfiles -Wl,--gc-sections \
                 -L$(BOARD_DIR) -Wl,--no-warn-rwx-segments

$(BOARD_OUT)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CROSS_CC) $(MCU_CFLAGS) $(call layer_flags,$<) -MMD -MP -c $< -o $@

MCU_PROTO_OBJ  := $(PROTO_SRC:%.c=$(BOARD_OUT)/obj/%.o)
MCU_NODEFW_OBJ := $(NODEFW_SRC:%.c=$(BOARD_OUT)/obj/%.o)

# Per board: its sources besides the per-profile main, and the main file.
BOARD_SRC_stm32wl55    := stm32wl55/board.c stm32wl55/subghz.c stm32wl55/lowpower.c \
                          stm32wl55/learnstore.c cortex-m4/startup.c cortex-m4/msclock.c
BOARD_MAIN_stm32wl55   := stm32wl55/main_node.c
BOARD_SRC_mps2-an386   := mps2-an386/board.c cortex-m4/startup.c cortex-m4/msclock.c \
                          cortex-m4/semihost.c common/classify_run.c common/learn_run.c
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

# $(1) board, $(2) profile: one image.
define board_image
BOARD_DEFS_$(1)_$(2) := -DBOARD_PROFILE=$$(BOARD_PROFILE_ID_$(2)) \
    -DBOARD_MODEL_HEADER='"$(2)_model.h"' -DBOARD_MODEL=$(2)_model \
    -DBOARD_MODEL_ARENA=$$(BOARD_ARENA_$(2))
BOARD_OBJ_$(1)_$(2) := $$(BOARD_SRC_$(1):%.c=$(BOARD_OUT)/obj/$(BOARD_DIR)/%.o) \
    $(BOARD_OUT)/$(1)/$(2)/main.o $(BOARD_OUT)/$(1)/$(2)/model.o \
    $$(if $$(BOARD_SIGNAL_$(1)),$(BOARD_OUT)/$(1)/$(2)/signal.o)
BOARD_LD_$(1) := $(BOARD_DIR)/$(1)/$(1).ld $(BOARD_DIR)/cortex-m4/sections.ld

$(BOARD_OUT)/$(1)/$(2)/main.o: $(BOARD_DIR)/$$(BOARD_MAIN_$(1))
	@mkdir -p $$(@D)
	$$(Q)$$(CROSS_CC) $$(MCU_CFLAGS) $$(CFLAGS_nodefw) $$(BOARD_DEFS_$(1)_$(2)) -MMD -MP -c $$< -o $$@
$(BOARD_OUT)/$(1)/$(2)/model.o: $(BOARD_DIR)/common/model_one.c
	@mkdir -p $$(@D)
	$$(Q)$$(CROSS_CC) $$(MCU_CFLAGS) $$(CFLAGS_nodefw) $$(BOARD_DEFS_$(1)_$(2)) -MMD -MP -c $$< -o $$@
$(BOARD_OUT)/$(1)/$(2)/signal.o: $(BOARD_OUT)/signal/$(2).c $(BOARD_DIR)/common/signal.h
	@mkdir -p $$(@D)
	$$(Q)$$(CROSS_CC) $$(MCU_CFLAGS) $$(CFLAGS_nodefw) -c $$< -o $$@
$(BOARD_OUT)/$(1)/$(2)/nodefw.elf: $$(BOARD_OBJ_$(1)_$(2)) $$(MCU_NODEFW_OBJ) $$(MCU_PROTO_OBJ) \
                                   $$(BOARD_LD_$(1))
	$$(Q)$$(CROSS_CC) $$(BOARD_LDFLAGS) -T $(BOARD_DIR)/$(1)/$(1).ld \
	    -Wl,-Map=$(BOARD_OUT)/$(1)/$(2)/nodefw.map -o $$@ $$(filter %.o,$$^)
BOARD_IMAGES += $(BOARD_OUT)/$(1)/$(2)/nodefw.elf $(BOARD_OUT)/$(1)/$(2)/nodefw.bin \
                $(BOARD_OUT)/$(1)/$(2)/nodefw.hex
ifneq ($$(BOARD_NODE_$(1)),)
$(BOARD_OUT)/$(1)/$(2)/node-main.o: $(BOARD_DIR)/$$(BOARD_NODE_$(1))
	@mkdir -p $$(@D)
	$$(Q)$$(CROSS_CC) $$(MCU_CFLAGS) $$(CFLAGS_nodefw) $$(BOARD_DEFS_$(1)_$(2)) -MMD -MP -c $$< -o $$@
# node.elf carries the integration tests' test record in its provisioning page (so QEMU
# runs a provisioned node); node.bin is the same image without it: what `tinyfleet
# provision` completes with a device's own record.
$(BOARD_OUT)/$(1)/$(2)/test-record.c: $(BOARD_OUT)/tools/gen-record
	@mkdir -p $$(@D)
	$$(Q)$(BOARD_OUT)/tools/gen-record $(2) $$@
$(BOARD_OUT)/$(1)/$(2)/test-record.o: $(BOARD_OUT)/$(1)/$(2)/test-record.c
	$$(Q)$$(CROSS_CC) $$(MCU_CFLAGS) $$(CFLAGS_nodefw) -c $$< -o $$@
$(BOARD_OUT)/$(1)/$(2)/node.elf: $$(filter-out %/main.o,$$(BOARD_OBJ_$(1)_$(2))) \
                                 $(BOARD_OUT)/$(1)/$(2)/node-main.o \
                                 $(BOARD_OUT)/$(1)/$(2)/test-record.o \
                                 $$(MCU_NODEFW_OBJ) $$(MCU_PROTO_OBJ) $$(BOARD_LD_$(1))
	$$(Q)$$(CROSS_CC) $$(BOARD_LDFLAGS) -T $(BOARD_DIR)/$(1)/$(1).ld \
	    -Wl,-Map=$(BOARD_OUT)/$(1)/$(2)/node.map -o $$@ $$(filter %.o,$$^)
$(BOARD_OUT)/$(1)/$(2)/node.bin: $(BOARD_OUT)/$(1)/$(2)/node.elf
	$$(Q)$(CROSS_OBJCOPY) -O binary -R .provision $$< $$@
BOARD_IMAGES += $(BOARD_OUT)/$(1)/$(2)/node.elf $(BOARD_OUT)/$(1)/$(2)/node.bin
endif
endef

BOARD_IMAGES :=
$(foreach b,$(BOARD_LIST),$(foreach p,$(BOARD_PROFILES),$(eval $(call board_image,$(b),$(p)))))

%/nodefw.bin: %/nodefw.elf
	$(Q)$(CROSS_OBJCOPY) -O binary $< $@
%/nodefw.hex: %/nodefw.elf
	$(Q)$(CROSS_OBJCOPY) -O ihex $< $@

# --- host programs that make and check the images' test inputs -----------------------------
# gen-signal renders each profile's scene once into a C array (for the image) and a WAV (for
# the host); gen-record writes the QEMU node image's test record with the firmware's own
# encoder; classify-host is the host twin of the QEMU classification image.
$(BOARD_OUT)/tools/gen-signal: $(B)/obj/host/board-tools/gen_signal.o $(B)/libhost.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(HARDEN_LD) -o $@ $^ -lm
$(BOARD_OUT)/tools/gen-record: $(B)/obj/host/board-tools/gen_record.o $(B)/libnodefw.a \
                             $(B)/libproto.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(HARDEN_LD) -o $@ $^
$(BOARD_OUT)/tools/classify-host: $(B)/obj/host/board-tools/classify_host.o \
                                  $(B)/obj/$(BOARD_DIR)/common/classify_run.o \
                                  $(B)/obj/$(BOARD_DIR)/common/learn_run.o \
                                  $(B)/libhost.a $(B)/libnodefw.a $(B)/libproto.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(HARDEN_LD) -o $@ $^
$(BOARD_OUT)/signal/%.c $(BOARD_OUT)/signal/%.wav: $(BOARD_OUT)/tools/gen-signal
	@mkdir -p $(@D)
	$(Q)$(BOARD_OUT)/tools/gen-signal $* $(BOARD_OUT)/signal/$*.c $(BOARD_OUT)/signal/$*.wav
.PRECIOUS: $(BOARD_OUT)/signal/%.c $(BOARD_OUT)/signal/%.wav

# What the integration tests run (QEMU images, their signals, the host twin, and the
# stm32wl55 images tests/integration/provision.sh puts a record into): part of `make all`.
BOARD_TEST_SET := $(BOARD_PROFILES:%=$(BOARD_OUT)/mps2-an386/%/nodefw.elf) \
                  $(BOARD_PROFILES:%=$(BOARD_OUT)/mps2-an386/%/node.elf) \
                  $(BOARD_PROFILES:%=$(BOARD_OUT)/mps2-an386/%/node.bin) \
                  $(BOARD_PROFILES:%=$(BOARD_OUT)/signal/%.wav) \
                  $(BOARD_PROFILES:%=$(BOARD_OUT)/stm32wl55/%/nodefw.bin) \
                  $(BOARD_OUT)/tools/classify-host

.PHONY: firmware firmware-size firmware-check
firmware: $(BOARD_IMAGES)

firmware-size: $(BOARD_IMAGES)
	@sh tools/firmware-size.sh $(BOARD_OUT) "$(BOARD_LIST)" "$(BOARD_PROFILES)"

# The budget (stm32wl55 + elephant: <= 64 KB flash, <= 16 KB RAM with the worst stack) and
# the firmware rule of STYLE.md (no malloc, free or printf in an image).
firmware-check: $(BOARD_IMAGES)
	@sh tools/firmware-size.sh --check $(BOARD_OUT) "$(BOARD_LIST)" "$(BOARD_PROFILES)"

# clang-tidy of the board files (the tidy rule of the Makefile): Cortex-M4 code against
# newlib's headers.
BOARD_TIDY_SRC   := $(wildcard $(BOARD_DIR)/*/*.c)
BOARD_TIDY_FLAGS  = --target=arm-none-eabi $(MCU_ARCH) -ffreestanding \
                    -isystem /usr/lib/arm-none-eabi/include $(CFLAGS_nodefw) $(BOARD_INC) \
                    $(BOARD_DEFS_stm32wl55_elephant)
