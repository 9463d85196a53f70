# Included by the Makefile of every exercise folder: forwards to the lab's
# top-level Makefile with EX set to this folder, and SRC to the folder that
# holds it (exercises/ itself, or a submission laid out like it).

LAB_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
EXERCISE := $(notdir $(CURDIR))
EXERCISE_SRC := $(if $(filter $(LAB_TOP)/exercises,$(abspath $(CURDIR)/..)),exercises,$(abspath $(CURDIR)/..))

.DEFAULT_GOAL := build
.PHONY: build grade hint watch reset status statement

build grade hint watch reset statement:
	@$(MAKE) --no-print-directory -C '$(LAB_TOP)' $@ EX='$(EXERCISE)' SRC='$(EXERCISE_SRC)'

status:
	@$(MAKE) --no-print-directory -C '$(LAB_TOP)' status
