#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# rsyslog-live.sh with every rsyslogd under valgrind (a shorter, slower stream: 600 entries at 40
# a second, so that the four restarts still happen mid-stream): exactly once, and no invalid
# access or definite leak in any run; both streams sealed (the MAC code's contexts freed when
# rsyslogd unloads the module), and the sealed files verify.
JB_VALGRIND=1 JB_LIVE_SEAL=1 JB_LIVE_N=${JB_LIVE_N:-600} JB_LIVE_RATE=${JB_LIVE_RATE:-40} exec bash "$(dirname "$0")/rsyslog-live.sh" "$@"
