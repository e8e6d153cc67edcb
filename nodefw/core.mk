# nodefw/core.mk: the firmware core library (profiles, FFT, features, int8 engine, classify,
# the linked models) and its unit tests. Included first of the nodefw fragments: the node
# program, the model pipeline and the boards use NODEFW_CFLAGS and libnodefw.a from here.

# Freestanding-compatible C99: nodefw/src may use only string.h/stdint.h/stdbool.h/stddef.h.
NODEFW_CFLAGS := -std=c99 $(WARN_STRICT) -Iproto/include -Inodefw/include -Inodefw/model

# Every nodefw/src/*.c (other helpers add freestanding files there) plus the model lookup.
CORE_LIB_SRC = $(wildcard nodefw/src/*.c) nodefw/model/models.c
CORE_LIB_OBJ = $(patsubst nodefw/model/%.c,%.o,$(patsubst nodefw/src/%.c,%.o,$(CORE_LIB_SRC)))
CORE_HDR = $(wildcard nodefw/include/nodefw/*.h nodefw/model/*.h proto/include/proto/*.h)
# The files of this fragment's owner, checked with clang-tidy by nodefw-core-test.
CORE_OWN_SRC := $(addprefix nodefw/src/,profile.c fft.c features.c nn.c classify.c) \
                nodefw/model/models.c
CORE_TESTS := test_fft test_features test_nn test_classify
CORE_TEST_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Iproto/include -Inodefw/include -Inodefw/model

# $(1) output root, $(2) compiler flags: the release build in build/, the sanitizer one in
# build/asan/.
define core_variant
$(1)/obj/nodefw/%.o: nodefw/src/%.c $$(CORE_HDR) | $(1)/obj/nodefw
	$$(CC) $(2) $$(NODEFW_CFLAGS) -c $$< -o $$@
$(1)/obj/nodefw/models.o: nodefw/model/models.c $$(CORE_HDR) | $(1)/obj/nodefw
	$$(CC) $(2) $$(NODEFW_CFLAGS) -c $$< -o $$@
$(1)/libnodefw.a: $$(addprefix $(1)/obj/nodefw/,$$(CORE_LIB_OBJ))
	rm -f $$@ && ar rcs $$@ $$^
$(1)/tests/nodefw/%: tests/nodefw/%.c $(1)/libnodefw.a $(1)/libproto.a $$(CORE_HDR) | $(1)/tests/nodefw
	$$(CC) $(2) $$(CORE_TEST_CFLAGS) -o $$@ $$< $(1)/libnodefw.a $(1)/libproto.a -lm
$(1)/obj/nodefw $(1)/tests/nodefw:
	mkdir -p $$@
endef

$(eval $(call core_variant,$(B),$(HARDEN)))
$(eval $(call core_variant,$(B)/asan,$(SAN)))

CORE_TEST_BIN      := $(addprefix $(B)/tests/nodefw/,$(CORE_TESTS))
CORE_TEST_BIN_ASAN := $(addprefix $(B)/asan/tests/nodefw/,$(CORE_TESTS))

ALL_TARGETS += $(B)/libnodefw.a
TEST_TARGETS += nodefw-core-test

.PHONY: nodefw-core-test nodefw-core-tidy nodefw-core-headers nodefw-core-mcu

# The core must build for a bare Cortex-M4 without floating point or libc: soft-float, so
# any float or double operation would show up as an undefined __aeabi_* helper.
CORE_MCU_FLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft -Os -ffreestanding \
                  -ffunction-sections -fdata-sections $(NODEFW_CFLAGS)
CORE_MCU_OBJ := $(patsubst %.c,$(B)/mcu/core/%.o,$(notdir $(CORE_OWN_SRC)))

$(B)/mcu/core/%.o: nodefw/src/%.c $(CORE_HDR)
	@mkdir -p $(@D)
	$(CROSS_CC) $(CORE_MCU_FLAGS) -c $< -o $@
$(B)/mcu/core/models.o: nodefw/model/models.c $(CORE_HDR)
	@mkdir -p $(@D)
	$(CROSS_CC) $(CORE_MCU_FLAGS) -c $< -o $@
$(B)/mcu/core/core.o: $(CORE_MCU_OBJ)
	$(CROSS_CC) -mcpu=cortex-m4 -mthumb -r -nostdlib -o $@ $^

nodefw-core-mcu: $(B)/mcu/core/core.o
	@undef=$$($(CROSS_NM) -u $< | awk '{print $$NF}' | sort -u | tr '\n' ' '); \
	bad=$$(echo $$undef | tr ' ' '\n' | grep -vxE 'memcpy|memmove|memset|memcmp' | grep .); \
	if [ -n "$$bad" ]; then echo "nodefw core needs symbols a microcontroller lacks: $$bad"; exit 1; fi; \
	echo "nodefw-core-mcu: Cortex-M4 soft-float build links; undefined: $$undef"

# Each public header compiles on its own (STYLE.md section 5).
nodefw-core-headers:
	@for h in profile fft features nn classify; do \
	    echo "#include \"nodefw/$$h.h\"" | $(CC) $(NODEFW_CFLAGS) -x c -fsyntax-only - || exit 1; \
	done
	@echo '#include "model.h"' | $(CC) $(NODEFW_CFLAGS) -x c -fsyntax-only -

nodefw-core-tidy:
	@for f in $(CORE_OWN_SRC); do \
	    out=$$(clang-tidy --quiet $$f -- $(NODEFW_CFLAGS) 2>&1) || { echo "$$out"; exit 1; }; done
	@echo "nodefw-core-tidy: $(words $(CORE_OWN_SRC)) files clean"

nodefw-core-test: $(CORE_TEST_BIN) $(CORE_TEST_BIN_ASAN) nodefw-core-headers nodefw-core-tidy \
                   nodefw-core-mcu
	@set -e; for t in $(CORE_TEST_BIN); do $$t; done
	@echo "nodefw-core-test: the same tests under ASan+UBSan"
	@set -e; for t in $(CORE_TEST_BIN_ASAN); do \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 $$t; done
