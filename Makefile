# sg-audit — one build. See README.md.
#
#   make            build ./sg-audit
#   make check      install missing deps, build, run every unit and integration test
#   make demo       scan the bundled demo account on a local AWS-compatible endpoint
#   make asan       unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make valgrind   unit tests under valgrind (leaks are errors)
#   make fuzz       build the libFuzzer targets (clang)
#   make bench      print performance figures
#   make sigv4-standalone   prove sigv4/ builds alone (libc + libcrypto only)
#   make install    PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share/sg-audit
CC        ?= cc
PYTHON    ?= python3
PKG       := libcurl libcrypto libxml-2.0 libcjson zlib
B         := build

SG_ROOT   := $(abspath .)
# shared/ sits beside the clone; from a git worktree, beside the main checkout.
SG_SHARED ?= $(abspath $(firstword $(wildcard ../shared \
               $(shell git rev-parse --git-common-dir 2>/dev/null)/../../shared) ../shared))
# The Python test tooling lives in .venv/ when the machine's Python lacks it
# (scripts/deps.sh); first on PATH so python3, aws and moto_server come from it.
export PATH := $(abspath .venv/bin):$(PATH)
export SG_ROOT SG_SHARED PYTHON

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wconversion -Wcast-qual -Wwrite-strings -Wvla -Wundef \
        -Wimplicit-fallthrough
ifeq ($(WERROR),1)
# snprintf truncating into a fixed buffer is the intended, safe behaviour;
# GCC's guess that it "may" happen stays a visible warning, not an error.
WARN += -Werror -Wno-error=format-truncation
endif
HARDEN    := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
OPT       ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKG) 2>/dev/null)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null)
CFLAGS    ?=
CFLAGS    += -std=c11 -D_GNU_SOURCE -DSG_VERSION='"$(VERSION)"' $(OPT) $(WARN) $(HARDEN) \
             -Iinclude -Isigv4 $(PKG_CFLAGS) -MMD -MP
CFLAGS    += -DSG_POLICY_DATADIR='"$(DATADIR)/policies"' -DSG_POLICY_SRCDIR='"$(SG_ROOT)/policies"'
LDFLAGS   += -Wl,-z,relro,-z,now
LDLIBS    += $(PKG_LIBS) -lpthread -lm

SRC       := $(filter-out src/main.c,$(wildcard src/*.c))
OBJ       := $(SRC:%.c=$(B)/%.o)
SIGV4_SRC := $(wildcard sigv4/*.c)
SIGV4_OBJ := $(SIGV4_SRC:%.c=$(B)/%.o)
TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(B)/tests/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
LIB       := $(B)/libsgaudit.a
SIGV4_LIB := $(B)/libsigv4.a

.PHONY: FORCE all deps check unit integration asan valgrind valgrind-sigv4 fuzz bench demo install clean \
        sigv4-standalone policies-test

all: sg-audit

deps:
	@sh scripts/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/sigv4/%.o: sigv4/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# DATADIR is compiled in (SG_POLICY_DATADIR, where an installed sg-audit finds
# its policies): recompile when it changes, so `make && make install PREFIX=/usr`
# installs a binary that looks in /usr/share/sg-audit, not /usr/local/share.
$(B)/datadir.stamp: FORCE
	@mkdir -p $(B)
	@echo '$(DATADIR)' | cmp -s - $@ 2>/dev/null || echo '$(DATADIR)' > $@
$(B)/src/policy.o: $(B)/datadir.stamp
FORCE:

$(LIB): $(OBJ)
	@mkdir -p $(B)
	rm -f $@
	$(if $(OBJ),ar rcs $@ $(OBJ),ar rcs $@)

$(SIGV4_LIB): $(SIGV4_OBJ)
	@mkdir -p $(B)
	rm -f $@
	$(if $(SIGV4_OBJ),ar rcs $@ $(SIGV4_OBJ),ar rcs $@)

sg-audit: $(B)/src/main.o $(LIB) $(SIGV4_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(SIGV4_LIB) $(LDLIBS)

$(B)/tests/%: tests/%.c $(LIB) $(SIGV4_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CMOCKA_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(SIGV4_LIB) \
		$(LDLIBS) $(CMOCKA_LIBS)

# sigv4/ must stand alone: compile it with nothing but libc and libcrypto,
# with include/ and src/ out of reach, and link a program against it.
sigv4-standalone:
	@mkdir -p $(B)/sigv4-alone
	$(CC) -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Werror $(HARDEN) \
		$(shell pkg-config --cflags libcrypto) -c $(SIGV4_SRC) 
	@mv -f $(notdir $(SIGV4_SRC:.c=.o)) $(B)/sigv4-alone/ 2>/dev/null; true
	printf '#include "sigv4.h"\nint main(void){return 0;}\n' > $(B)/sigv4-alone/main.c
	$(CC) -std=c11 -Isigv4 -o $(B)/sigv4-alone/prog $(B)/sigv4-alone/main.c \
		$(B)/sigv4-alone/*.o $(shell pkg-config --libs libcrypto) -lpthread
	@! grep -nE '#include *"(sg_|\.\./(src|include))' sigv4/*.c sigv4/*.h || \
		{ echo "sigv4/ includes project headers" >&2; exit 1; }
	@echo "sigv4-standalone: ok (libc + libcrypto only)"

unit: $(TEST_BIN)
	@sh scripts/run-unit.sh $(TEST_BIN)

integration: sg-audit
	@SG_AUDIT=$(abspath sg-audit) sh scripts/run-integration.sh

check: deps
	$(MAKE) all $(TEST_BIN)
	$(MAKE) sigv4-standalone
	$(MAKE) unit
	$(MAKE) asan
	$(MAKE) valgrind-sigv4
	$(MAKE) integration

# Sanitizer run of the unit tests, in its own build tree.
asan:
	$(MAKE) B=$(B)/asan OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		HARDEN= LDFLAGS="-fsanitize=address,undefined" unit-asan

unit-asan: $(TEST_BIN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		sh scripts/run-unit.sh $(TEST_BIN)

valgrind: $(TEST_BIN)
	@SG_VALGRIND=1 sh scripts/run-unit.sh $(TEST_BIN)

# The signer handles secrets: its tests run under valgrind in every check.
valgrind-sigv4: $(B)/tests/test_sigv4
	@SG_VALGRIND=1 sh scripts/run-unit.sh $(B)/tests/test_sigv4

FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
               -Iinclude -Isigv4 $(PKG_CFLAGS)
fuzz: $(FUZZ_BIN)
$(B)/fuzz/%: tests/fuzz/%.c $(SRC) $(SIGV4_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -DSG_VERSION='"$(VERSION)"' -o $@ $< $(SRC) $(SIGV4_SRC) $(PKG_LIBS) -lpthread -lm

bench: deps all
	@sh scripts/bench.sh

demo: deps all
	@sh scripts/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/policies
	install -m 0755 sg-audit $(DESTDIR)$(BINDIR)/sg-audit
	if [ -f docs/sg-audit.1 ]; then install -m 0644 docs/sg-audit.1 $(DESTDIR)$(MANDIR)/man1/; fi
	for f in policies/*.json; do [ -f "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(DATADIR)/policies/; done; true
	install -d $(DESTDIR)$(DATADIR)/contrib
	install -m 0755 contrib/sg-audit-nightly.sh $(DESTDIR)$(DATADIR)/contrib/
	install -m 0644 contrib/sg-audit.service contrib/sg-audit.timer contrib/sg-audit.cron \
		contrib/README.md $(DESTDIR)$(DATADIR)/contrib/

clean:
	rm -rf $(B) sg-audit

-include $(OBJ:.o=.d) $(SIGV4_OBJ:.o=.d) $(B)/src/main.d $(TEST_BIN:=.d)
