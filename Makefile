# nginx-rtc: build the module against Debian's nginx (nginx-dev) or an nginx
# source tree, run the tests, run the demo.
#
#   make                      build/ngx_http_rtc_module.so
#   NGINX_SRC=/path make      against an nginx source tree
#   make test                 unit tests, fuzz corpora replay, end-to-end tests
#   make whep-load            build/bench/whep-load, the WHEP load generator
#   make demo                 a test camera streamed to the built-in player
#   make fuzz [FUZZ_TIME=60]  every libFuzzer target (clang) for FUZZ_TIME s
#   make fuzz-ci              the same, 10 s each
#   make test-asan            end-to-end tests, module built with ASan/UBSan
#   make deb                  build/libnginx-mod-http-rtc_VERSION_ARCH.deb
#   make SRTP=debian          link Debian's shared libsrtp2 (built on NSS)
#                             instead of the default, a static libsrtp2 on
#                             OpenSSL from Debian's source: bench/README.md

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
                 go2rtc_hostile.test.js go2rtc_ha.test.js \
                 runtime_streams.test.js \
                 whep_patch.test.js whep_injection.test.js \
                 interop_offers.test.js \
                 play_werift.test.js loss.test.js dtls_release.test.js \
                 rtsp_hostile.test.js rtsp_auth.test.js rtsp_quirks.test.js \
                 transcode_rtsp.test.js whep_source_hostile.test.js \
                 http2.test.js rtsp_field_quirks.test.js \
                 rtsp_client_quirks.test.js pool_lifecycle.test.js)

.PHONY: all module configure unit e2e test demo clean whep-load FORCE
.PHONY: fuzz fuzz-ci fuzz-build fuzz-replay test-asan

all: module

# configure again when the list of sources changes (config globs src/)
$(BUILD)/srcs.list: FORCE
	@mkdir -p $(BUILD)
	@echo $(sort $(wildcard src/*.c src/*.h)) | cmp -s - $@ \
	    || echo $(sort $(wildcard src/*.c src/*.h)) > $@

# SRTP=openssl (the default): Debian's libsrtp2 source package (apt-get
# source, with the deb-src entry .ci/deps.sh adds) configured with
# --enable-openssl, built once as a static PIC library in build/srtp and
# linked into the module, instead of Debian's shared libsrtp2, which is
# built on NSS and costs 3-4 times as much per packet (bench/README.md).
# SRTP=debian links Debian's.
SRTP       ?= openssl
SRTP_DIR    = $(CURDIR)/build/srtp
SRTP_LIB    = $(SRTP_DIR)/inst/lib/libsrtp2.a
# our changes to it: patches/libsrtp2-*.patch (see each file)
SRTP_PATCHES = $(sort $(wildcard $(CURDIR)/patches/libsrtp2-*.patch))

ifeq ($(SRTP),openssl)
export NGX_RTC_SRTP_PREFIX = $(SRTP_DIR)/inst
SRTP_DEP    = $(SRTP_LIB)
endif

$(SRTP_LIB): $(SRTP_PATCHES)
	rm -rf $(SRTP_DIR) && mkdir -p $(SRTP_DIR)
	cd $(SRTP_DIR) && apt-get source -qq libsrtp2 > source.log 2>&1 \
	    || { cat source.log; echo "needs a deb-src entry:" \
	         "bash .ci/deps.sh (or make SRTP=debian)"; exit 1; }
	cd $(SRTP_DIR)/libsrtp2-*/ \
	    && for p in $(SRTP_PATCHES); do patch -s -p1 < $$p || exit 1; done
	cd $(SRTP_DIR)/libsrtp2-*/ && ./configure --enable-openssl \
	    --disable-debug-logging --prefix=$(SRTP_DIR)/inst \
	    CFLAGS="-O2 -fPIC" > ../configure.log 2>&1 \
	    && $(MAKE) libsrtp2.a > ../make.log 2>&1 \
	    && $(MAKE) install > ../install.log 2>&1

# NGX_EXTRA_OPTS: more configure options (make test-asan: --with-cc-opt)
$(BUILD)/Makefile: config $(BUILD)/srcs.list $(SRTP_DEP)
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
$(BUILD)/unit/%: t/unit/%.c $(wildcard t/unit/ngx_rtc_unit*.h) t/unit/ngx_rtc_unit_stubs.c $(SRCS) $(BUILD)/Makefile
	@mkdir -p $(BUILD)/unit
	$(CC) $(UNIT_CFLAGS) -o $@ $< t/unit/ngx_rtc_unit_stubs.c \
	    $$(sed -n 's/.*unit-deps:\(.*\)/\1/p' $< | sed 's,\*/,,') \
	    $$(sed -n 's/.*unit-libs:\(.*\)/\1/p' $< | sed 's,\*/,,')

# the player page compiled in (rtc_player): src/player/ -> a C header
PLAYER_ASSETS = src/ngx_rtc_player_assets.h

.PHONY: player-assets player-assets-check
player-assets:
	python3 src/player/embed.py > $(PLAYER_ASSETS).tmp
	mv $(PLAYER_ASSETS).tmp $(PLAYER_ASSETS)

player-assets-check:
	@python3 src/player/embed.py | cmp -s - $(PLAYER_ASSETS) \
	    || { echo "$(PLAYER_ASSETS) is out of date:" \
	              "run make player-assets"; exit 1; }

unit: player-assets-check $(UNIT_TESTS)
	@rc=0; for t in $(UNIT_TESTS); do echo "# $$t"; $$t || rc=1; done; exit $$rc

E2E_TESTS  = $(wildcard t/e2e/*.test.js)

# the load generator of bench/ (t/e2e/load_chromium.test.js runs it)
whep-load:
	$(MAKE) -C bench BUILD=$(ABUILD) whep-load

e2e: module whep-load
	@if [ -n "$(E2E_TESTS)" ]; then \
	    t/lib/netns.sh node --test --test-concurrency=1 $(E2E_TESTS); \
	else \
	    echo "no end-to-end tests"; \
	fi

test: unit fuzz-replay deb e2e

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
	$(MAKE) fuzz FUZZ_TIME=10

# end-to-end tests against the sanitizer build

test-asan:
	NGX_RTC_MODULE=$(abspath $(ASAN_BUILD))/ngx_http_rtc_module.so \
	NGX_RTC_ASAN_PRELOAD=$(ASAN_LIB) \
	    $(MAKE) BUILD=$(ASAN_BUILD) \
	    NGX_EXTRA_OPTS="--with-cc-opt='$(ASAN_OPT)' --with-ld-opt='$(ASAN_OPT)'" \
	    E2E_TESTS="$(ASAN_E2E)" e2e

# Debian package (debian/): dpkg-buildpackage on a copy of the tree in
# build/deb/src, so that nothing is written outside build/
DEB_VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DEB_ARCH    = $(shell dpkg --print-architecture)
DEB         = $(BUILD)/libnginx-mod-http-rtc_$(DEB_VERSION)_$(DEB_ARCH).deb

.PHONY: deb
deb: $(DEB)

$(DEB): config $(SRCS) $(wildcard debian/* debian/source/* docs/* examples/*) \
        $(SRTP_DEP)
	rm -rf $(BUILD)/deb
	mkdir -p $(BUILD)/deb/src
	tar -c --exclude=./build --exclude=./node_modules --exclude=./.git \
	    --exclude='./t' --exclude=./bench . | tar -x -C $(BUILD)/deb/src
	$(if $(SRTP_DEP),cp -a $(SRTP_DIR)/inst $(BUILD)/deb/src/srtp-openssl)
	cd $(BUILD)/deb/src && \
	    $(if $(SRTP_DEP),NGX_RTC_SRTP_PREFIX=$(abspath $(BUILD))/deb/src/srtp-openssl) \
	    dpkg-buildpackage -b -us -uc -j2 \
	    > ../build.log 2>&1 || { tail -30 ../build.log; exit 1; }
	cp $(BUILD)/deb/$(notdir $(DEB)) $(DEB)
	@echo "built $(DEB)"

demo: module
	t/demo.sh

clean:
	rm -rf $(BUILD)

# benchmarks, run by hand (not in CI): see bench/README.md
.PHONY: bench bench-fanout bench-first-frame
bench:
	$(MAKE) -C bench BUILD=$(abspath $(BUILD)) packet-path
bench-fanout: module
	t/lib/netns.sh node bench/fanout.js
bench-first-frame: module
	t/lib/netns.sh node bench/first_frame.js
