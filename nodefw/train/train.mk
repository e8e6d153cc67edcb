# nodefw/train/train.mk: the model pipeline (build/tinyfleet-train), the signal synthesiser it
# shares with the node simulator, `make models` and the checks of both. Included after
# nodefw/core.mk: links $(B)/libnodefw.a so training sees the firmware's own features and
# the bit-exactness test runs the firmware's own engine.

TRAIN_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Inodefw/include -Inodefw/synth -Inodefw/train
TRAIN_SRC := nodefw/train/net.c nodefw/train/data.c nodefw/train/quant.c \
             nodefw/train/pipeline.c nodefw/train/png.c nodefw/synth/synth.c
TRAIN_HDR := $(wildcard nodefw/train/*.h nodefw/synth/*.h nodefw/include/nodefw/*.h)
TRAIN_TESTS := test_synth test_train test_train_detect
# The seed `make models` uses; the committed headers and REPORT.md come from it.
TRAIN_SEED := 1
TRAIN_MODEL_FILES := elephant_model.h whale_model.h turbine_model.h REPORT.md tradeoff.png

# $(1) output root, $(2) compiler flags.
define train_variant
$(1)/libtrain.a: $$(TRAIN_SRC) $$(TRAIN_HDR)
	@mkdir -p $(1)/obj/train
	@set -e; for f in $$(TRAIN_SRC); do \
	    $$(CC) $(2) $$(TRAIN_CFLAGS) -c $$$$f -o $(1)/obj/train/$$$$(basename $$$$f .c).o; done
	rm -f $$@ && ar rcs $$@ $$(addprefix $(1)/obj/train/,$$(notdir $$(TRAIN_SRC:.c=.o)))
$(1)/tests/nodefw/test_synth: tests/nodefw/test_synth.c $(1)/libtrain.a $$(TRAIN_HDR)
	@mkdir -p $$(@D)
	$$(CC) $(2) $$(TRAIN_CFLAGS) -o $$@ $$< $(1)/libtrain.a -lm
$(1)/tests/nodefw/test_train: tests/nodefw/test_train.c $(1)/libtrain.a $(1)/libnodefw.a \
                              $$(TRAIN_HDR) $$(wildcard nodefw/model/*.h)
	@mkdir -p $$(@D)
	$$(CC) $(2) $$(TRAIN_CFLAGS) -Inodefw/model -o $$@ $$< $(1)/libtrain.a $(1)/libnodefw.a -lm
$(1)/tests/nodefw/test_train_detect: tests/nodefw/test_train_detect.c $(1)/libtrain.a \
                                     $(1)/libnodefw.a $$(TRAIN_HDR) $$(wildcard nodefw/model/*.h)
	@mkdir -p $$(@D)
	$$(CC) $(2) $$(TRAIN_CFLAGS) -Inodefw/model -o $$@ $$< $(1)/libtrain.a $(1)/libnodefw.a -lm
endef

$(eval $(call train_variant,$(B),-O2 -g))
$(eval $(call train_variant,$(B)/asan,$(SAN)))

$(B)/tinyfleet-train: nodefw/train/main.c $(B)/libtrain.a $(B)/libnodefw.a $(TRAIN_HDR)
	$(CC) -O2 -g $(TRAIN_CFLAGS) -o $@ $< $(B)/libtrain.a $(B)/libnodefw.a -lm

ALL_TARGETS += $(B)/tinyfleet-train
TEST_TARGETS += nodefw-train-test

.PHONY: models models-check nodefw-train-test nodefw-train-tidy

# Regenerate the committed model headers, REPORT.md and the plot (fixed seed, one core).
# clang-format runs on the headers so `make fmt-check` stays clean on generated code.
models: $(B)/tinyfleet-train
	@rm -rf $(B)/models && mkdir -p $(B)/models
	$(B)/tinyfleet-train --profile all --seed $(TRAIN_SEED) --out $(B)/models
	clang-format -i $(B)/models/*_model.h
	cp $(addprefix $(B)/models/,$(TRAIN_MODEL_FILES)) nodefw/model/

# The committed files must equal a fresh run byte for byte.
models-check: $(B)/tinyfleet-train
	@rm -rf $(B)/models-check && mkdir -p $(B)/models-check
	@$(B)/tinyfleet-train --quiet --profile all --seed $(TRAIN_SEED) --out $(B)/models-check
	@clang-format -i $(B)/models-check/*_model.h
	@for f in $(TRAIN_MODEL_FILES); do \
	    cmp -s $(B)/models-check/$$f nodefw/model/$$f || \
	    { echo "models-check: nodefw/model/$$f differs from a fresh 'make models'"; exit 1; }; \
	done
	@echo "models-check: $(words $(TRAIN_MODEL_FILES)) files equal a fresh run"

TRAIN_TIDY_SRC := $(TRAIN_SRC) nodefw/train/main.c $(TRAIN_TESTS:%=tests/nodefw/%.c)
nodefw-train-tidy:
	@for f in $(TRAIN_TIDY_SRC); do \
	    out=$$(clang-tidy --quiet $$f -- $(TRAIN_CFLAGS) -Inodefw/model 2>&1) || \
	    { echo "$$out"; exit 1; }; done
	@echo "nodefw-train-tidy: $(words $(TRAIN_TIDY_SRC)) files clean"

nodefw-train-test: $(addprefix $(B)/tests/nodefw/,$(TRAIN_TESTS)) \
                   $(addprefix $(B)/asan/tests/nodefw/,$(TRAIN_TESTS)) nodefw-train-tidy models-check
	@set -e; for t in $(TRAIN_TESTS); do $(B)/tests/nodefw/$$t; done
	@set -e; for t in $(TRAIN_TESTS); do \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	    $(B)/asan/tests/nodefw/$$t; done
