# How every exercise is built, out of tree.  The grader (harness/bin/lab-grade)
# copies an exercise's *.c and *.h into STAGE and calls
#
#   make -f harness/build.mk STAGE=... OUT=... PROGRAMS="a b" [LIBRARIES=libp.so]
#        [COMMON="util.c"] [LDLIBS="-pthread"] [WERROR=1] [SANITIZE=1]
#
# Each program P is built from P.c plus the COMMON files; each library
# libX.so from X.c (position-independent, -shared).  What an exercise needs
# is declared in the header of its test file (harness/tests/NN-name.bats).
# Nothing is ever written into the learner's folder.
#
#   make -f harness/build.mk tools TOOLS_OUT=...   builds the grader's own tools

CC ?= gcc
STAGE ?= .
OUT ?= build
PROGRAMS ?=
LIBRARIES ?=
COMMON ?=
LDLIBS ?=
WERROR ?=
SANITIZE ?=

SANITIZE_FLAGS := -fsanitize=address -fsanitize=undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LAB_CFLAGS := -std=gnu17 -O2 -g -Wall -Wextra \
	$(if $(WERROR),-Werror) \
	$(if $(SANITIZE),$(SANITIZE_FLAGS))
HEADERS := $(wildcard $(STAGE)/*.h)
COMMON_SRC := $(addprefix $(STAGE)/,$(COMMON))

.PHONY: all tools FORCE
.DELETE_ON_ERROR:

all: $(addprefix $(OUT)/,$(PROGRAMS) $(LIBRARIES))

# Rebuild everything when the flags change (say, SANITIZE=1 after a plain build).
$(OUT)/.flags: FORCE | $(OUT)
	@echo '$(CC) $(LAB_CFLAGS) $(LDLIBS)' | cmp -s - $@ || echo '$(CC) $(LAB_CFLAGS) $(LDLIBS)' >$@

$(OUT)/lib%.so: $(STAGE)/%.c $(HEADERS) $(OUT)/.flags | $(OUT)
	$(CC) $(LAB_CFLAGS) -fPIC -shared -I$(STAGE) -o $@ $< $(LDLIBS)

$(OUT)/%: $(STAGE)/%.c $(COMMON_SRC) $(HEADERS) $(OUT)/.flags | $(OUT)
	$(CC) $(LAB_CFLAGS) -I$(STAGE) -o $@ $< $(COMMON_SRC) $(LDLIBS)

$(OUT):
	mkdir -p $@

# The grader's own helpers, always warning-free.
TOOLS_OUT ?= build/.tools
TOOLS_DIR := $(dir $(lastword $(MAKEFILE_LIST)))tools
TOOLS := $(patsubst $(TOOLS_DIR)/%.c,$(TOOLS_OUT)/%,$(wildcard $(TOOLS_DIR)/*.c))

tools: $(TOOLS)

# Headers: copies of an exercise's given header (callbacks.h), for a tool
# that plays a part in that exercise's protocol.
$(TOOLS_OUT)/%: $(TOOLS_DIR)/%.c $(wildcard $(TOOLS_DIR)/*.h)
	@mkdir -p $(TOOLS_OUT)
	$(CC) -std=gnu17 -O2 -g -Wall -Wextra -Werror -pthread -o $@ $<
