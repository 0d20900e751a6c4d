#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real Docker (issue 17): Debian's dockerd (docker.io) with the journald log driver writes into the
# suite's journald (private mount namespace), without a registry (a busybox-static image made by
# docker import), no network, no iptables, no bridge. The containers and the checks:
# runtime-suite.sh.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/runtime-lib.sh
. "$(dirname "$0")/runtime-lib.sh"
jb_live_setup /usr/sbin/dockerd /bin/busybox -- "$@"

RT_NAME=docker
rt() { jb_docker "$@"; }
rt_start() { jb_start_dockerd; }
RT_RUN=(--network none)
RT_ATLAS_OPTS=(--log-opt "tag={{.Name}}/{{.ImageName}}/{{.ID}}" --label com.hashicorp.tfe.role=atlas
    --log-opt labels=com.hashicorp.tfe.role --env TFE_COMPONENT=atlas --log-opt env=TFE_COMPONENT)
# shellcheck source=tests/integration/runtime-suite.sh
. "$(dirname "$0")/runtime-suite.sh"
