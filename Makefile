# IPC Lab: the one entry point.  `make` alone lists the targets.
#
# Inside an exercise folder (exercises/NN-name/), its own Makefile forwards
# `make grade`, `make hint` and `make` (build) here with EX set.

LAB_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
HARNESS  := $(LAB_ROOT)/harness

# What to grade: EX=01-pipe (several: EX="01 02"; none: all of them),
# SRC=exercises|solutions|DIR, FORMAT=text|tap|junit|json.
EX     ?=
SRC    ?= exercises
FORMAT ?= text
# Hint number for `make hint` (default: the next one not yet shown); for
# `make stress`, the number of gradings (default 20); for `make
# valgrind-factor`, the rounds (default 3).
N      ?=
# T=REGEX: `make grade` grades only the tests whose names match (part of a
# name will do: T=SIGINT); ALL=1: it shows every failure's message in full,
# not only the first one's.
T      ?=
ALL    ?=
# LOAD=1: `make stress` keeps the other CPUs busy meanwhile; PROC=1: it
# reads every process's /proc files in a loop meanwhile (races show up).
LOAD   ?=
PROC   ?=

.DEFAULT_GOAL := help
.PHONY: help list status statement build grade grade-batch gradescope watch test stress valgrind-factor bench hint reset clean clean-ipc

help: ## this list
	@echo 'IPC Lab. Start with: make list, then make grade EX=01-pipe'
	@echo
	@awk -F':.*## ' '/^[a-z-]+:.*## / { printf "  make %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo
	@echo 'Variables: EX=NN-name  SRC=exercises|solutions|DIR  FORMAT=text|tap|junit|json  LAB_TIMEOUT_SCALE=2  LAB_LANG=zh|en'

list: ## the exercises, with your last score
	@$(HARNESS)/bin/lab-list

status: ## your progress: best and last score per exercise, and what to do next
	@$(HARNESS)/bin/lab-status

statement: ## read EX's statement (LAB_LANG=zh: in Chinese)
	@$(HARNESS)/bin/lab-statement $(EX)

build: ## build EX (out of tree, into build/) and print where the programs are
	@$(HARNESS)/bin/lab-grade -B -s '$(SRC)' $(EX)

grade: ## grade EX (default: all) from SRC (default: exercises) and write results/; T=REGEX: only those tests; ALL=1: every failure in full
	@$(HARNESS)/bin/lab-grade -s '$(SRC)' -f '$(FORMAT)' $(if $(T),-t '$(subst ','\'',$(T))') $(if $(ALL),-a) $(EX)

grade-batch: ## grade every submission under SUBMISSIONS=DIR (JOBS=n at once, EX=...): one CSV, each isolated
	@$(HARNESS)/bin/lab-grade-batch -j '$(or $(JOBS),1)' $(if $(BATCH_DOCKER),-d '$(BATCH_DOCKER)') '$(SUBMISSIONS)' $(EX)

gradescope: ## build the Gradescope autograder zip for EX (default: all) into results/gradescope/
	@$(HARNESS)/bin/lab-gradescope $(if $(VISIBILITY),-v '$(VISIBILITY)') $(EX)

watch: ## grade EX again every time one of its files is saved (Ctrl-C stops)
	@$(HARNESS)/bin/lab-watch $(EX) '$(SRC)'

hint: ## show the next hint of EX (N=k: hint k)
	@$(HARNESS)/bin/lab-hint $(EX) $(N)

reset: ## put EX's skeleton back (your files are saved in exercises/.lab/saved/)
	@$(HARNESS)/bin/lab-reset $(EX)

test: ## the grader's self-test: solutions pass, skeletons and broken variants fail
	@$(HARNESS)/selftest/run

stress: ## grade SRC (default: solutions) N times (default 20), LOAD=1 with the other CPUs busy, PROC=1 beside a /proc reader; failures per test
	@$(HARNESS)/bin/lab-stress -n '$(or $(N),20)' $(if $(LOAD),-l) $(if $(PROC),-p) -s '$(if $(filter command line,$(origin SRC)),$(SRC),solutions)' $(EX)

valgrind-factor: ## measure how much slower valgrind makes each exercise's valgrind tests (N rounds, default 3)
	@$(HARNESS)/bin/lab-valgrind-factor -n '$(or $(N),3)' $(EX)

bench: ## measure latency and throughput of every IPC mechanism (QUICK=1: under 30 s)
	@$(MAKE) --no-print-directory -C '$(LAB_ROOT)/bench' run QUICK='$(QUICK)' SIZES='$(SIZES)' PLACEMENT='$(PLACEMENT)' OUT='$(LAB_ROOT)/results/bench'

clean: ## remove build/ and results/
	rm -rf -- '$(LAB_ROOT)/build' '$(LAB_ROOT)/results'

clean-ipc: ## remove your leftover lab IPC objects (shm, semaphores, queues, FIFOs), listing each
	@$(HARNESS)/bin/lab-clean-ipc

# The image targets (absent inside the image itself, which has no docker/).
-include $(LAB_ROOT)/docker/docker.mk
