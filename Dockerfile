# IPC Lab image.
#
#   docker build --target student -t ipc-lab:student .   the lab without reference solutions
#   docker build --target lab     -t ipc-lab:lab .       the lab with solutions/ (the default)
#
# The base tag must exist locally or be pullable: docker/make-base-image makes it
# from Debian's packages when there is no registry (see docker/README.md).
# Keep this file free of a syntax directive and of COPY --from=<image>: both make
# the builder reach for a registry.
FROM debian:trixie AS base

ARG DEBIAN_FRONTEND=noninteractive

# Toolchain, debuggers, the grader (bats + helpers), process and IPC inspection
# tools, man pages (sections 2 and 3 are part of the course), and a few editors.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential gdb valgrind strace \
        bats bats-assert bats-support bats-file \
        procps util-linux psmisc lsof netcat-openbsd iproute2 \
        man-db manpages manpages-dev less \
        inotify-tools jq libxml2-utils shellcheck patch file python3-yaml \
        nano vim-tiny ca-certificates locales gnuplot-nox graphviz libgraph-easy-perl acl \
 && sed -i -E 's/^# *((en_US|zh_CN)\.UTF-8 UTF-8)/\1/' /etc/locale.gen \
 && locale-gen \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

ENV LANG=en_US.UTF-8

# The learner's account. Its uid/gid can be fixed at build time, and the
# entrypoint can also make it follow the owner of a bind-mounted exercises/.
# Its home can be traversed (0711): grade-batch runs each container under a
# uid of its own, which must reach the lab in /home/student/lab.
ARG STUDENT_UID=1000
ARG STUDENT_GID=1000
RUN groupadd --non-unique --gid "$STUDENT_GID" student \
 && useradd --non-unique --uid "$STUDENT_UID" --gid "$STUDENT_GID" \
        --create-home --shell /bin/bash student \
 && install -d -o student -g student /home/student/lab \
 && chmod 0711 /home/student

COPY docker/entrypoint /usr/local/bin/lab-entrypoint
COPY docker/banner /etc/ipc-lab/banner
COPY docker/banner.zh /etc/ipc-lab/banner.zh

# Pristine exercises (root-owned, so read-only for student): the entrypoint seeds
# an empty bind mount of /home/student/lab/exercises from here.
COPY exercises/ /opt/ipc-lab/exercises/
# COPY keeps the build context's file modes: a checkout made under umask 002,
# or opened up with chmod, would leave these writable by everyone.
RUN chmod -R go-w /opt/ipc-lab /usr/local/bin/lab-entrypoint /etc/ipc-lab

WORKDIR /home/student/lab
ENTRYPOINT ["/usr/local/bin/lab-entrypoint"]
CMD ["bash", "-l"]


# ---- the lab without solutions: solutions/ is in no layer of this target ----
FROM base AS student
COPY --chown=student:student Makefile README.md .shellcheckrc ./
COPY --chown=student:student docs/ docs/
COPY bench/ bench/
# The lab's workflows: classroom/ is for instructors to copy; both are checked
# by the self-test.
COPY --chown=student:student .github/ .github/
COPY --chown=student:student classroom/ classroom/
# The grader belongs to root: a tested program, which runs as student, can
# neither edit the tests nor the library to change its score.
COPY harness/ harness/
RUN chmod -R go-w harness bench
COPY --chown=student:student exercises/ exercises/
USER student


# ---- the full lab: adds the reference solutions (last stage = default target) ----
FROM student AS lab
COPY --chown=student:student solutions/ solutions/
