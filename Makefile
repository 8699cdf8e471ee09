# nginx-rtc: build the module against Debian's nginx (nginx-dev) or an nginx
SHELL     := /bin/bash
# source tree, run the tests, run the demo.
#
#   make                      build/ngx_http_rtc_module.so
#   NGINX_SRC=/path make      against an nginx source tree
#   make test                 unit tests, then end-to-end tests
#   make demo                 a test camera streamed to the built-in player

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
              -I$(ABUILD) -Isrc -It/unit
UNIT_TESTS = $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(wildcard t/unit/test_*.c))

.PHONY: all module configure unit e2e test demo clean FORCE

all: module

# configure again when the list of sources changes (config globs src/)
$(BUILD)/srcs.list: FORCE
	@mkdir -p $(BUILD)
	@echo $(sort $(wildcard src/*.c src/*.h)) | cmp -s - $@ \
	    || echo $(sort $(wildcard src/*.c src/*.h)) > $@

$(BUILD)/Makefile: config $(BUILD)/srcs.list
	@mkdir -p $(BUILD)
	@if [ -f $(NGINX_SRC)/conf_flags ]; then \
	    cd $(NGINX_SRC) && . ./conf_flags && ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --add-dynamic-module=$(CURDIR) --builddir=$(ABUILD) > $(ABUILD)/configure.log; \
	else \
	    cd $(NGINX_SRC) && ./configure --with-compat --with-threads --with-debug \
	        --add-dynamic-module=$(CURDIR) --builddir=$(ABUILD) > $(ABUILD)/configure.log; \
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

test: unit e2e

demo: module
	t/demo.sh

clean:
	rm -rf $(BUILD)
