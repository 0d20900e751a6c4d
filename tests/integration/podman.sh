#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real Podman (issue 17): Debian's podman, rootful, with --log-driver=journald (conmon writes the
# entries; lines are cut at 8 KiB with CONTAINER_PARTIAL_MESSAGE only) into the suite's journald
# (private mount namespace), storage under the test's directory, an image made by podman import
# from busybox-static, no network. The containers and the checks: runtime-suite.sh.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/runtime-lib.sh
. "$(dirname "$0")/runtime-lib.sh"
jb_live_setup /usr/bin/podman /bin/busybox -- "$@"

RT_NAME=podman
rt() { jb_podman "$@"; }
rt_start() { jb_on_cleanup jb_stop_podman; }
# this machine refuses podman's default rlimits ("error setting rlimit type 7/6")
RT_RUN=(--network none --log-driver=journald --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
RT_ATLAS_OPTS=(--log-opt "tag=tfe-atlas-tag" --label com.hashicorp.tfe.role=atlas --env TFE_COMPONENT=atlas)
# shellcheck source=tests/integration/runtime-suite.sh
. "$(dirname "$0")/runtime-suite.sh"
