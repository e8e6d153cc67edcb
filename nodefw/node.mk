# nodefw/node.mk: the node system (HAL, aggregator, counter, duty cycle, bearers, node loop)
# and the host program build/tinyfleet-node, with their tests. Included after core.mk, whose
# NODEFW_CFLAGS and libnodefw.a (every nodefw/src/*.c, ours included) it uses.

# The host program: POSIX HAL, WAV reader, scenario parser, main; plus the signal models of
# nodefw/synth for `fleet` and `synth` (compiled here into build/node/, apart from the
# model pipeline's own objects).
NODE_HOST_SRC := $(wildcard nodefw/host/*.c)
NODE_SYNTH_SRC := $(wildcard nodefw/synth/synth.c)
NODE_HOST_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Iproto/include -Inodefw/include \
                    -Inodefw/model -Inodefw/host -Inodefw/synth
NODE_HDR = $(wildcard nodefw/include/nodefw/*.h nodefw/host/*.h nodefw/synth/*.h \
             proto/include/proto/*.h)
# Our firmware modules: the unit tests compile them in directly, so a test of the aggregator
# does not depend on the rest of libnodefw.a being complete.
NODE_OWN_SRC := $(addprefix nodefw/src/,aggregator.c fcnt.c dutycycle.c coap_client.c \
                bearer.c node.c)
NODE_TEST_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Iproto/include -Inodefw/include \
                    -Inodefw/model -Inodefw/host -Itests/nodefw
# test name: the sources it needs besides itself (test_node links all of libnodefw.a)
NODE_TEST_aggregator := nodefw/src/aggregator.c
NODE_TEST_fcnt := nodefw/src/fcnt.c
NODE_TEST_dutycycle := nodefw/src/dutycycle.c
NODE_TEST_coap_client := nodefw/src/coap_client.c
NODE_TEST_wav := nodefw/host/wav.c
# The provisioning record (nodefw/src/provision.c, tests/integration/provision.sh).
NODE_TEST_provision := nodefw/src/provision.c
NODE_TESTS := aggregator fcnt dutycycle coap_client wav node provision

# $(1) output root, $(2) compiler flags, $(3) linker flags: release in build/, sanitizers in
# build/asan/.
define node_variant
$(1)/obj/node/%.o: nodefw/host/%.c $$(NODE_HDR) | $(1)/obj/node
	$$(CC) $(2) $$(NODE_HOST_CFLAGS) -c $$< -o $$@
$(1)/obj/node/synth.o: nodefw/synth/synth.c $$(NODE_HDR) | $(1)/obj/node
	$$(CC) $(2) $$(NODE_HOST_CFLAGS) -c $$< -o $$@
$(1)/tinyfleet-node: $$(NODE_HOST_SRC:nodefw/host/%.c=$(1)/obj/node/%.o) \
                     $$(NODE_SYNTH_SRC:nodefw/synth/%.c=$(1)/obj/node/%.o) \
                     $(1)/libnodefw.a $(1)/libproto.a
	$$(CC) $(2) $(3) -o $$@ $$(filter %.o,$$^) $(1)/libnodefw.a $(1)/libproto.a -linih -lm
$(1)/tests/node/test_%: tests/nodefw/test_%.c $$(NODE_HDR) tests/nodefw/node_fake_hal.h \
                          $(1)/libproto.a $$(NODE_OWN_SRC) $$(NODE_HOST_SRC) | $(1)/tests/node
	$$(CC) $(2) $$(NODE_TEST_CFLAGS) -o $$@ $$< $$(NODE_TEST_$$*) $(1)/libproto.a -lcmocka -lm
$(1)/tests/node/test_node: tests/nodefw/test_node.c $$(NODE_HDR) tests/nodefw/node_fake_hal.h \
                           $(1)/libnodefw.a $(1)/libproto.a | $(1)/tests/node
	$$(CC) $(2) $$(NODE_TEST_CFLAGS) -o $$@ $$< $(1)/libnodefw.a $(1)/libproto.a -lcmocka -lm
$(1)/obj/node $(1)/tests/node:
	mkdir -p $$@
endef

$(eval $(call node_variant,$(B),$(HARDEN),$(HARDEN_LD)))
$(eval $(call node_variant,$(B)/asan,$(SAN),$(SAN)))

NODE_TEST_BIN      := $(addprefix $(B)/tests/node/test_,$(NODE_TESTS))
NODE_TEST_BIN_ASAN := $(addprefix $(B)/asan/tests/node/test_,$(NODE_TESTS))

ALL_TARGETS += $(B)/tinyfleet-node
TEST_TARGETS += nodefw-node-test

.PHONY: nodefw-node-test nodefw-node-unit nodefw-node-tidy nodefw-node-headers

nodefw-node-headers:
	@for h in hal aggregator fcnt dutycycle coap_client bearer node; do \
	    echo "#include \"nodefw/$$h.h\"" | $(CC) $(NODEFW_CFLAGS) -x c -fsyntax-only - || exit 1; \
	done

nodefw-node-tidy:
	@for f in $(NODE_OWN_SRC); do \
	    out=$$(clang-tidy --quiet $$f -- $(NODEFW_CFLAGS) 2>&1) || { echo "$$out"; exit 1; }; done
	@for f in $(NODE_HOST_SRC); do \
	    out=$$(clang-tidy --quiet $$f -- $(NODE_HOST_CFLAGS) 2>&1) || { echo "$$out"; exit 1; }; done
	@echo "nodefw-node-tidy: $(words $(NODE_OWN_SRC) $(NODE_HOST_SRC)) files clean"

nodefw-node-unit: $(NODE_TEST_BIN) $(NODE_TEST_BIN_ASAN)
	@sh tools/run-units.sh $(NODE_TEST_BIN)
	@UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	    sh tools/run-units.sh $(NODE_TEST_BIN_ASAN)

# The integration script node_run.sh runs with the others in `make integration`.
nodefw-node-test: nodefw-node-headers nodefw-node-tidy nodefw-node-unit
