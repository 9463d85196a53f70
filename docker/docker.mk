# Container targets of IPC Lab, included by the top-level Makefile.
# Variables are prefixed DOCKER_ or IMAGE_ (plus DOCKER itself); override on the
# command line, e.g. `make image IMAGE_UID=$$(id -u) IMAGE_GID=$$(id -g)`.

# The repository root, wherever make was started from.
DOCKER_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)

DOCKER ?= docker
# empty: `docker compose` when it works, else docker-compose
DOCKER_COMPOSE ?=
IMAGE_LAB ?= ipc-lab:lab
IMAGE_STUDENT ?= ipc-lab:student
# uid/gid of the student account baked into the image (default 1000/1000)
IMAGE_UID ?=
IMAGE_GID ?=

DOCKER_BUILD_ARGS = --network host \
	$(if $(IMAGE_UID),--build-arg STUDENT_UID=$(IMAGE_UID)) \
	$(if $(IMAGE_GID),--build-arg STUDENT_GID=$(IMAGE_GID))

# The limits of docker/run-limits (the same as the services in
# docker-compose.yml), and an init process to reap what the lab leaves.
DOCKER_RUN_LIMITS = --init $(shell grep -v '^\#' '$(DOCKER_ROOT)/docker/run-limits')
DOCKER_RUN_ENV = -e LAB_LANG -e LAB_TIMEOUT_SCALE -e CI

.PHONY: image image-student shell image-test gradescope-test batch-docker-test

image: ## build the lab image ipc-lab:lab (with solutions; IMAGE_UID/IMAGE_GID set student's ids)
	@DOCKER='$(DOCKER)' '$(DOCKER_ROOT)/docker/make-base-image'
	$(DOCKER) build $(DOCKER_BUILD_ARGS) --target lab -t $(IMAGE_LAB) '$(DOCKER_ROOT)'
	@$(DOCKER) image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' $(IMAGE_LAB)

image-student: ## build ipc-lab:student (no solutions), prove no layer holds solutions/ and that only root can change the grader
	@DOCKER='$(DOCKER)' '$(DOCKER_ROOT)/docker/make-base-image'
	$(DOCKER) build $(DOCKER_BUILD_ARGS) --target student -t $(IMAGE_STUDENT) '$(DOCKER_ROOT)'
	@writable=$$($(DOCKER) run --rm --user 0 --entrypoint find $(IMAGE_STUDENT) /home/student/lab/harness \
	    /home/student/lab/bench /opt/ipc-lab /usr/local/bin/lab-entrypoint /etc/ipc-lab \
	    \( ! -user root -o -perm /022 \) -print) || \
	  { echo "image-student: could not list the grader's files in $(IMAGE_STUDENT) (docker run or find failed, above)" >&2; exit 1; }; \
	[ -z "$$writable" ] || \
	  { echo "image-student: the grader's files must belong to root and be writable by root only:" >&2; \
	    printf '%s\n' "$$writable" | head -n 5 >&2; exit 1; }
	@$(DOCKER) run --rm --entrypoint test $(IMAGE_STUDENT) ! -e /home/student/lab/solutions || \
	  { echo "image-student: /home/student/lab/solutions exists in $(IMAGE_STUDENT)" >&2; exit 1; }
	@set -eu; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  $(DOCKER) save $(IMAGE_STUDENT) | tar -x -C "$$tmp"; \
	  found=0; layers=0; \
	  for f in $$(find "$$tmp" -type f -size +0); do \
	    list=$$(tar -tf "$$f" 2>/dev/null) || continue; \
	    layers=$$((layers + 1)); \
	    if hits=$$(printf '%s\n' "$$list" | grep -E '(^|/)solutions(/|$$)' | grep -Ev '^usr/'); then \
	      echo "image-student: layer $${f#"$$tmp"/} holds solutions:" >&2; \
	      printf '%s\n' "$$hits" | head -n 5 >&2; found=1; \
	    fi; \
	  done; \
	  [ "$$layers" -gt 0 ] || { echo "image-student: no layer found in docker save output" >&2; exit 1; }; \
	  [ "$$found" -eq 0 ] || exit 1; \
	  echo "image-student: no solutions in $$layers layers of $(IMAGE_STUDENT)"
	@$(DOCKER) image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' $(IMAGE_STUDENT)

# CMD='make list': run that in the lab instead of a shell (without a
# terminal, as in CI, compose runs it with -T).  Without compose (neither
# `docker compose` nor docker-compose), plain docker run with the same
# limits and mount.
CMD ?=
shell: ## open a shell in the lab container (exercises/ shared with the host; builds what is missing, base image included; CMD='...' runs that instead)
	@$(DOCKER) image inspect $(IMAGE_LAB) >/dev/null 2>&1 || $(MAKE) --no-print-directory image
	@cd '$(DOCKER_ROOT)' && \
	tty=; [ -t 0 ] && [ -t 1 ] || tty=-T; \
	if [ -n '$(DOCKER_COMPOSE)' ]; then compose='$(DOCKER_COMPOSE)'; \
	elif $(DOCKER) compose version >/dev/null 2>&1; then compose='$(DOCKER) compose'; \
	elif command -v docker-compose >/dev/null 2>&1; then compose=docker-compose; \
	else compose=; fi; \
	if [ -n "$$compose" ]; then \
	  case $$($$compose version --short 2>/dev/null) in 1.*) $$compose build lab;; esac; \
	  $$compose run --rm $$tty lab $(if $(CMD),bash -lc '$(subst ','\'',$(CMD))'); \
	else \
	  $(DOCKER) run --rm $$( [ -z "$$tty" ] && echo -it || echo -i ) $(DOCKER_RUN_LIMITS) $(DOCKER_RUN_ENV) \
	    --user root -v '$(DOCKER_ROOT)/exercises:/home/student/lab/exercises' \
	    $(IMAGE_LAB) $(if $(CMD),bash -lc '$(subst ','\'',$(CMD))'); \
	fi

# The native run has proved every mutant on the same grader: in the image the
# self-test runs every case but the mutants, of which it grades a sample, and
# what differs there (a non-root grader, the container's limits)
# (LAB_SELFTEST_SCOPE=image, see harness/selftest/run; SELFTEST_SCOPE=all
# runs everything there: hostile programs on every test, each solution
# graded twice).
# The cases are shared among IMAGE_TEST_SHARDS containers side by side (one
# per CPU, at most 4; docker/image-test says why containers): as student the
# self-test runs one case at a time, and that run alone cost CI about 950 s.
# The scope all is run whole, in one container.
SELFTEST_SCOPE ?= image
IMAGE_TEST_SHARDS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ "$$n" -gt 4 ] && n=4; echo $$n)
image-test: image ## run `make test` inside the lab image as student: every case but the mutants (a sample) (SELFTEST_SCOPE=all for all), in IMAGE_TEST_SHARDS containers side by side, rebuilding it first (cached)
	@DOCKER='$(DOCKER)' '$(DOCKER_ROOT)/docker/image-test' $(IMAGE_LAB) \
	  $(if $(filter all,$(SELFTEST_SCOPE)),1,$(IMAGE_TEST_SHARDS)) \
	  $(DOCKER_RUN_LIMITS) $(DOCKER_RUN_ENV) -e LAB_SELFTEST_SCOPE=$(SELFTEST_SCOPE)

# The hostile programs (harness/selftest/hostile/NAME.c) that gradescope-test
# grades after the reference: each must score 0, say what its source's
# `expect` line says (as root: in a container without CAP_SYS_PTRACE), and
# change nothing of the autograder.  They are graded at the self-test's hostile time scale (0.2:
# what is proved is that the bounds hold, not how long they are);
# GRADESCOPE_HOSTILE="$$(ls harness/selftest/hostile | sed 's/\.c$$//')"
# grades them all.
GRADESCOPE_HOSTILE ?= forge-stream tamper

# (setup.sh is not run: the image has its packages and its student user.)
gradescope-test: image ## run Gradescope's run_autograder in the image, as root, on the reference 01-pipe laid out as Gradescope lays it out (100), then on hostile submissions (0; GRADESCOPE_HOSTILE names them)
	$(DOCKER) run --rm --user root $(DOCKER_RUN_LIMITS) --entrypoint bash $(IMAGE_LAB) -c '\
	  set -e; cd /home/student/lab; \
	  harness/bin/lab-gradescope -o /tmp/autograder.zip 01-pipe; \
	  mkdir -p /autograder/source /autograder/submission; \
	  python3 -m zipfile -e /tmp/autograder.zip /autograder/source; \
	  cp solutions/01-pipe/*.c /autograder/submission/; \
	  bash /autograder/source/run_autograder | tail -n 3; \
	  jq -e ".score == 100 and .visibility == \"visible\"" /autograder/results/results.json >/dev/null; \
	  echo "gradescope-test: run_autograder scored the reference 100 in the image"; \
	  sum=$$(find /autograder/source -type f -print0 | xargs -0 cksum | sort); \
	  for hostile in $(GRADESCOPE_HOSTILE); do \
	    rm -rf /autograder/results /autograder/submission/*; \
	    cp harness/selftest/hostile/$$hostile.c /autograder/submission/pipe_relay.c; \
	    start=$$SECONDS; LAB_TIMEOUT_SCALE=0.2 bash /autograder/source/run_autograder >/tmp/$$hostile.out 2>&1; \
	    jq -e ".score == 0" /autograder/results/results.json >/dev/null || { tail -n 20 /tmp/$$hostile.out; exit 1; }; \
	    expect=$$(sed -n "s/^ \* expect\(-as-root\)\{0,1\}: *//; T; s/ *\*\/ *$$//; p" harness/selftest/hostile/$$hostile.c | head -n 1); \
	    [ -z "$$expect" ] || jq -r ".output, .tests[].output" /autograder/results/results.json | grep -qF -- "$$expect" || \
	      { echo "gradescope-test: $$hostile: the results do not say \"$$expect\""; tail -n 20 /tmp/$$hostile.out; exit 1; }; \
	    [ "$$(find /autograder/source -type f -print0 | xargs -0 cksum | sort)" = "$$sum" ] || \
	      { echo "gradescope-test: $$hostile changed the autograder"; exit 1; }; \
	    echo "gradescope-test: $$hostile scored 0 in $$((SECONDS - start)) s, the autograder unchanged"; \
	  done'

batch-docker-test: image-student ## grade a sample class with grade-batch in containers of the student image (no network)
	@LAB_SELFTEST_DOCKER=yes '$(DOCKER_ROOT)/harness/selftest/run' 'batch: in containers'
