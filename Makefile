# nginx-rtc: build the module against Debian's nginx (nginx-dev) or an nginx
# source tree, run the tests, run the demo.
#
#   make                      build/ngx_http_rtc_module.so
#   NGINX_SRC=/path make      against an nginx source tree
#   make test                 unit tests, fuzz corpora replay, end-to-end tests
#   make demo                 a test camera streamed to the built-in player
#   make fuzz [FUZZ_TIME=60]  every libFuzzer target (clang) for FUZZ_TIME s
#   make fuzz-ci              the same, 20 s each
#   make test-asan            end-to-end tests, module built with ASan/UBSan

SHELL     := /bin/bash

NGINX_SRC ?= /usr/share/nginx/src
BUILD     ?= build
ABUILD     = $(abspath $(BUILD))
MODULE     = $(BUILD)/ngx_http_rtc_module.so
SRCS       = $(wildcard src/*.c src/*.h)

CC        ?= cc
UNIT_CFLAGS = -g -O1 -Wall -Wextra -Wno-unused-parameter -Werror \
              -fsanitize=address,undefined -fno-omit-frame-pointer \
              -I$(NGINX_SRC)/src/core -I$(NGINX_SRC)/src/event \
              -I$(NGINX_SRC)/src/event/modules -I$(NGINX_SRC)/src/os/unix \
              -I$(NGINX_SRC)/src/http -I$(NGINX_SRC)/src/http/modules \
              -I$(NGINX_SRC)/src/http/v2 -I$(ABUILD) -Isrc -It/unit
UNIT_TESTS = $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(wildcard t/unit/test_*.c))

# Fuzzing (t/fuzz/): each t/fuzz/fuzz_X.c is one harness; "fuzz-deps:" and
# "fuzz-libs:" lines name what it links.  The replay build (gcc, ASan,
# UBSan, no libFuzzer) runs the corpus t/fuzz/corpus/X/ in "make test".
FUZZ_CC     ?= clang
FUZZ_TIME   ?= 60
FUZZ_JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_NAMES   = $(patsubst t/fuzz/fuzz_%.c,%,$(wildcard t/fuzz/fuzz_*.c))
# UBSan reports stop a run (halt_on_error) unless t/fuzz/ubsan.supp lists
# them: the checks stay recoverable so that suppressions can apply
FUZZ_SAN     = -fsanitize=address,undefined
FUZZ_UBSAN   = UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:$\
               suppressions=$(CURDIR)/t/fuzz/ubsan.supp
FUZZ_INCS    = $(filter -I%,$(UNIT_CFLAGS)) -It/fuzz
FUZZ_CFLAGS  = -g -O1 -Wall -Wextra -Wno-unused-parameter -Werror \
               -fsanitize=fuzzer $(FUZZ_SAN) -fno-omit-frame-pointer \
               $(FUZZ_INCS)
REPLAY_CFLAGS = $(UNIT_CFLAGS) -It/fuzz
FUZZ_DEPS    = t/fuzz/ngx_rtc_fuzz.h t/unit/ngx_rtc_unit_stubs.c $(SRCS) \
               $(BUILD)/Makefile
FUZZ_LINK    = t/unit/ngx_rtc_unit_stubs.c \
    $$(sed -n 's/.*fuzz-deps:\(.*\)/\1/p' $< | sed 's,\*/,,') \
    $$(sed -n 's/.*fuzz-libs:\(.*\)/\1/p' $< | sed 's,\*/,,')

# Sanitizer build: the same configure recipe with extra compiler and linker
# options, into its own directory; Debian's (uninstrumented) nginx loads it
# with the ASan runtime preloaded (t/e2e/lib/nginx.js: NGX_RTC_ASAN_PRELOAD).
# ASAN_E2E: the end-to-end tests it runs, by default those that feed nginx
# hostile or unusual input (CI's time budget); ASAN_E2E='t/e2e/*.test.js'
# runs them all (about 15 minutes).
ASAN_BUILD  ?= $(BUILD)/asan
ASAN_OPT     = -fsanitize=address,undefined -fno-omit-frame-pointer -g
ASAN_LIB     = $(shell gcc -print-file-name=libasan.so)
ASAN_E2E    ?= $(addprefix t/e2e/,whep_http.test.js hostile_whep.test.js \
                 whep_patch.test.js interop_offers.test.js \
                 play_werift.test.js loss.test.js \
                 rtsp_hostile.test.js rtsp_auth.test.js rtsp_quirks.test.js \
                 transcode_rtsp.test.js)

.PHONY: all module configure unit e2e test demo clean FORCE
.PHONY: fuzz fuzz-ci fuzz-build fuzz-replay test-asan

all: module

# configure again when the list of sources changes (config globs src/)
$(BUILD)/srcs.list: FORCE
	@mkdir -p $(BUILD)
	@echo $(sort $(wildcard src/*.c src/*.h)) | cmp -s - $@ \
	    || echo $(sort $(wildcard src/*.c src/*.h)) > $@

# NGX_EXTRA_OPTS: more configure options (make test-asan: --with-cc-opt)
$(BUILD)/Makefile: config $(BUILD)/srcs.list
	@mkdir -p $(BUILD)
	@if [ -f $(NGINX_SRC)/conf_flags ]; then \
	    cd $(NGINX_SRC) && . ./conf_flags && ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --add-dynamic-module=$(CURDIR) --builddir=$(ABUILD) \
	        $(NGX_EXTRA_OPTS) > $(ABUILD)/configure.log; \
	else \
	    cd $(NGINX_SRC) && ./configure --with-compat --with-threads --with-debug \
	        --add-dynamic-module=$(CURDIR) --builddir=$(ABUILD) \
	        $(NGX_EXTRA_OPTS) > $(ABUILD)/configure.log; \
	fi || { tail -20 $(BUILD)/configure.log; exit 1; }

configure: $(BUILD)/Makefile

module: $(BUILD)/Makefile $(SRCS)
	$(MAKE) -f $(ABUILD)/Makefile -C $(NGINX_SRC) modules
	@cp -f $(BUILD)/ngx_http_rtc_module.so $(MODULE) 2>/dev/null || true
	@test -f $(MODULE)

# Unit tests: each t/unit/test_X.c names the sources it needs in a line
# "unit-deps: src/a.c src/b.c"; they link against nginx headers only.
$(BUILD)/unit/%: t/unit/%.c t/unit/ngx_rtc_unit.h t/unit/ngx_rtc_unit_stubs.c $(SRCS) $(BUILD)/Makefile
	@mkdir -p $(BUILD)/unit
	$(CC) $(UNIT_CFLAGS) -o $@ $< t/unit/ngx_rtc_unit_stubs.c \
	    $$(sed -n 's/.*unit-deps:\(.*\)/\1/p' $< | sed 's,\*/,,') \
	    $$(sed -n 's/.*unit-libs:\(.*\)/\1/p' $< | sed 's,\*/,,')

unit: $(UNIT_TESTS)
	@rc=0; for t in $(UNIT_TESTS); do echo "# $$t"; $$t || rc=1; done; exit $$rc

E2E_TESTS  = $(wildcard t/e2e/*.test.js)

e2e: module
	@if [ -n "$(E2E_TESTS)" ]; then \
	    t/lib/netns.sh node --test --test-concurrency=1 $(E2E_TESTS); \
	else \
	    echo "no end-to-end tests"; \
	fi

test: unit fuzz-replay e2e

# fuzzing

$(BUILD)/fuzz/replay_%: t/fuzz/fuzz_%.c t/fuzz/replay.c $(FUZZ_DEPS)
	@mkdir -p $(BUILD)/fuzz
	$(CC) $(REPLAY_CFLAGS) -o $@ t/fuzz/replay.c $< $(FUZZ_LINK)

$(BUILD)/fuzz/fuzz_%: t/fuzz/fuzz_%.c $(FUZZ_DEPS)
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LINK)

fuzz-replay: $(patsubst %,$(BUILD)/fuzz/replay_%,$(FUZZ_NAMES))
	@rc=0; for n in $(FUZZ_NAMES); do \
	    echo "# fuzz corpus $$n"; \
	    $(FUZZ_UBSAN) $(BUILD)/fuzz/replay_$$n t/fuzz/corpus/$$n || rc=1; \
	done; exit $$rc

fuzz-build: $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))

fuzz: fuzz-build
	$(FUZZ_UBSAN) t/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_TIME) $(FUZZ_JOBS) \
	    $(FUZZ_NAMES)

fuzz-ci:
	$(MAKE) fuzz FUZZ_TIME=20

# end-to-end tests against the sanitizer build

test-asan:
	NGX_RTC_MODULE=$(abspath $(ASAN_BUILD))/ngx_http_rtc_module.so \
	NGX_RTC_ASAN_PRELOAD=$(ASAN_LIB) \
	    $(MAKE) BUILD=$(ASAN_BUILD) \
	    NGX_EXTRA_OPTS="--with-cc-opt='$(ASAN_OPT)' --with-ld-opt='$(ASAN_OPT)'" \
	    E2E_TESTS="$(ASAN_E2E)" e2e

demo: module
	t/demo.sh

clean:
	rm -rf $(BUILD)

# benchmarks, run by hand (not in CI): see bench/README.md
.PHONY: bench bench-fanout
bench:
	$(MAKE) -C bench BUILD=$(abspath $(BUILD)) packet-path
bench-fanout: module
	t/lib/netns.sh node bench/fanout.js
