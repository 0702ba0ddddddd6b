# aiowrite-cli -- the directory is the build: every src/LAYER/*.c is compiled.
#
#   make            build build/aiowrite-cli and build/libiob.a
#   make demo       install missing packages, build, assemble examples/demo
#   make check      the whole test suite (unit, integration, docs)
#   make install    PREFIX=/usr/local DESTDIR=
#   make SAN=address,undefined check   the suite under sanitizers (build/san)
#   make V=1        show the commands

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
PKGS := popt uuid zlib libcrypto libzstd liblzma

ifeq ($(SAN),)
BUILD := build
else
BUILD := build/san
CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_FALLBACK := -lpopt -luuid -lz -lcrypto -lzstd -llzma
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo $(PKG_FALLBACK))
ALL_CPPFLAGS := -std=c17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Isrc $(CPPFLAGS)
LIBS := $(PKG_LIBS) -lrt -lpthread

# The io_batch library reads streams with src/util/io.c and grows its
# entries in 2 MiB pages with src/util/mem.c, so it carries them.
IOB_SRC := $(sort $(wildcard src/iob/*.c)) src/util/io.c src/util/mem.c
APP_SRC := $(sort $(filter-out src/main.c,$(wildcard src/*/*.c)))
APP_SRC := $(filter-out $(IOB_SRC),$(APP_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

IOB_OBJ := $(IOB_SRC:%.c=$(BUILD)/obj/%.o)
APP_OBJ := $(APP_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/main.o
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
TEST_HELPER_BIN := $(TEST_HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)

BIN := $(BUILD)/aiowrite-cli
LIBIOB := $(BUILD)/libiob.a
LIBAPP := $(BUILD)/libapp.a

.PHONY: all demo check check-asan deps install uninstall clean bench fuzz
.DELETE_ON_ERROR:

all: $(BIN) $(LIBIOB)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(ALL_CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

$(LIBIOB): $(IOB_OBJ)
	@$(if $(Q),echo '  AR      $@')
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBAPP): $(APP_OBJ)
	@$(if $(Q),echo '  AR      $@')
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(MAIN_OBJ) $(LIBAPP) $(LIBIOB)
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIBAPP) $(LIBIOB)
	@mkdir -p $(@D)
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(ALL_CPPFLAGS) -Itests/unit $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIBAPP) $(LIBIOB) $(LIBS)

$(BUILD)/tests/%: tests/helpers/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(ALL_CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $<

deps:
	@scripts/deps

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	scripts/demo $(BIN)

check: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BIN) $(TEST_HELPER_BIN)
	$(Q)BUILD=$(BUILD) tests/run

check-asan:
	$(Q)$(MAKE) --no-print-directory SAN=address,undefined CC=$(CC) check

# What `make install` puts under $(DESTDIR)$(PREFIX), and `make uninstall`
# removes again: the program, its man pages, its bash completion, and the
# io_batch library with its header and pkg-config file (iob.pc, made from
# iob.pc.in with PREFIX and the version of src/cli/options.c).
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
PKGCONFIGDIR ?= $(PREFIX)/lib/pkgconfig
MAN_PAGES := $(sort $(wildcard man/*.[135]))

install: all
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/lib" "$(DESTDIR)$(PREFIX)/include" \
		"$(DESTDIR)$(PREFIX)/share/man/man1" "$(DESTDIR)$(PREFIX)/share/man/man3" \
		"$(DESTDIR)$(PREFIX)/share/man/man5" "$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(PKGCONFIGDIR)"
	install -m 755 $(BIN) "$(DESTDIR)$(PREFIX)/bin/aiowrite-cli"
	install -m 644 $(LIBIOB) "$(DESTDIR)$(PREFIX)/lib/libiob.a"
	install -m 644 src/iob.h "$(DESTDIR)$(PREFIX)/include/iob.h"
	install -m 644 $(filter %.1,$(MAN_PAGES)) "$(DESTDIR)$(PREFIX)/share/man/man1/"
	install -m 644 $(filter %.3,$(MAN_PAGES)) "$(DESTDIR)$(PREFIX)/share/man/man3/"
	install -m 644 $(filter %.5,$(MAN_PAGES)) "$(DESTDIR)$(PREFIX)/share/man/man5/"
	install -m 644 completion/aiowrite-cli.bash "$(DESTDIR)$(BASHCOMPDIR)/aiowrite-cli"
	version=$$(sed -n 's/^#define VERSION "\([^"]*\)".*/\1/p' src/cli/options.c) && \
	test -n "$$version" && \
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e "s|@VERSION@|$$version|g" iob.pc.in \
		>"$(DESTDIR)$(PKGCONFIGDIR)/iob.pc" && \
	chmod 644 "$(DESTDIR)$(PKGCONFIGDIR)/iob.pc"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/aiowrite-cli" "$(DESTDIR)$(PREFIX)/lib/libiob.a" \
		"$(DESTDIR)$(PREFIX)/include/iob.h" "$(DESTDIR)$(BASHCOMPDIR)/aiowrite-cli" \
		"$(DESTDIR)$(PKGCONFIGDIR)/iob.pc"
	for page in $(notdir $(MAN_PAGES)); do \
		rm -f "$(DESTDIR)$(PREFIX)/share/man/man$${page##*.}/$$page" || exit 1; \
	done

bench: all
	scripts/bench

# make fuzz FUZZ_SECONDS=60: libFuzzer on the manifest parser (clang).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
