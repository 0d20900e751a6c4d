/* SPDX-License-Identifier: Apache-2.0 */

/* Benchmark input: writes N Docker-style journal entries in Journal Export Format on stdout, the
 * same bytes for the same N and seed, to be piped into
 *   /lib/systemd/systemd-journal-remote -o DIR/bench.journal -
 * Five containers (Terraform Enterprise names); 90% application lines of about 120 bytes spread
 * over the five, 10% audit lines (every tenth entry) from ptfe_atlas:
 *   2023-11-14 22:13:20 [INFO] [Audit Log] {"resource":...,"action":...,...six keys}
 * Each entry carries the fields Docker's journald driver sets and the trusted fields journald adds
 * for dockerd, so its size and field count are those of production entries.
 *
 * usage: gen-journal [-n ENTRIES] [-s SEED]     (defaults 1000000, 1) */

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define START_REALTIME_USEC UINT64_C(1700000000000000) /* 2023-11-14 22:13:20 UTC */
#define START_MONOTONIC_USEC UINT64_C(86400000000)

typedef struct container {
    const char *name;
    const char *image;
    char id_full[65];
    char epoch[33];
    uint64_t ordinal;
} container;

static container containers[] = {
    {.name = "ptfe_atlas", .image = "hashicorp/ptfe-atlas:v202311-1"},
    {.name = "ptfe_nginx", .image = "hashicorp/ptfe-nginx:v202311-1"},
    {.name = "ptfe_vault", .image = "hashicorp/ptfe-vault:v202311-1"},
    {.name = "ptfe_postgres", .image = "hashicorp/ptfe-postgres:v202311-1"},
    {.name = "ptfe_redis", .image = "hashicorp/ptfe-redis:v202311-1"},
};
#define N_CONTAINERS (sizeof(containers) / sizeof(containers[0]))

static uint64_t rng_state;

/* xorshift64*: reproducible across libcs, unlike rand(). */
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static unsigned rnd_below(unsigned n) {
    return (unsigned)(rnd() % n);
}

static void rnd_hex(char *buf, size_t n) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) buf[i] = hex[rnd() & 15];
    buf[n] = '\0';
}

static void rnd_alnum(char *buf, size_t n) {
    static const char set[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    for (size_t i = 0; i < n; i++) buf[i] = set[rnd() % (sizeof(set) - 1)];
    buf[n] = '\0';
}

/* Random values for one line, drawn in a fixed order before the snprintf() that uses them: the
 * order in which a compiler evaluates arguments is unspecified (gcc and clang differ), and the
 * output must be the same bytes whatever compiled the generator. */
#define N_DRAWS 8
#define R(v, k, n) ((unsigned)((v)[k] % (n)))

static void draw(uint64_t v[N_DRAWS]) {
    for (size_t i = 0; i < N_DRAWS; i++) v[i] = rnd();
}

static const char *const methods[] = {"GET", "GET", "GET", "POST", "PATCH", "DELETE"};
static const char *const paths[] = {
    "/api/v2/organizations/acme/workspaces", "/api/v2/runs", "/api/v2/state-versions", "/api/v2/plans",
    "/api/v2/configuration-versions",        "/api/v2/ping",
};
static const char *const resources[] = {
    "oauth_client", "workspace", "run", "variable", "team", "organization", "policy_set", "state_version",
};
static const char *const actions[] = {"create", "read", "update", "destroy", "lock", "unlock"};
static const char *const actors[] = {"alice", "bob", "carol", "deploy-bot", "admin", "ci-runner"};
static const char *const levels[] = {"INFO", "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"};

/* An application line in the style of the container, without its filler. */
static int app_text(char *buf, size_t size, unsigned c, const struct tm *tm, unsigned usec) {
    char id[33];
    uint64_t v[N_DRAWS];

    draw(v);
    switch (c) {
    case 0: /* atlas: Rails */
        rnd_hex(id, 32);
        return snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d [%s] [%s] Completed %u OK in %ums (Views: %u.%ums)",
                        tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec,
                        levels[R(v, 0, 7)], id, 200 + R(v, 1, 5), R(v, 2, 900), R(v, 3, 90), R(v, 4, 10));
    case 1: /* nginx: access log */
        rnd_alnum(id, 12);
        return snprintf(buf, size, "10.%u.%u.%u - - [%02d/Nov/%04d:%02d:%02d:%02d +0000] \"%s %s/%s HTTP/1.1\" %u %u",
                        R(v, 0, 256), R(v, 1, 256), R(v, 2, 256), tm->tm_mday, tm->tm_year + 1900, tm->tm_hour,
                        tm->tm_min, tm->tm_sec, methods[R(v, 3, 6)], paths[R(v, 4, 6)], id, 200 + R(v, 5, 5),
                        R(v, 6, 65536));
    case 2: /* vault */
        rnd_hex(id, 8);
        return snprintf(buf, size,
                        "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ [%s]  core: successful mount: namespace= path=tf-%s/ "
                        "type=transit",
                        tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, usec,
                        levels[R(v, 0, 7)], id);
    case 3: /* postgres */
        return snprintf(buf, size,
                        "%04d-%02d-%02d %02d:%02d:%02d.%03u UTC [%u] LOG:  duration: %u.%03u ms  statement: SELECT 1",
                        tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec,
                        usec / 1000, 100 + R(v, 0, 30000), R(v, 1, 500), R(v, 2, 1000));
    default: /* redis */
        return snprintf(buf, size, "1:M %02d Nov %04d %02d:%02d:%02d.%03u * %u changes in %u seconds. Saving...",
                        tm->tm_mday, tm->tm_year + 1900, tm->tm_hour, tm->tm_min, tm->tm_sec, usec / 1000,
                        R(v, 0, 10000), R(v, 1, 300));
    }
}

/* An application line of 110 to 130 bytes (mean 120): the text, a space and filler. */
static int app_line(char *buf, size_t size, unsigned c, const struct tm *tm, unsigned usec) {
    size_t target = 110 + rnd_below(21);
    int len = app_text(buf, size, c, tm, usec);

    if (len < 0 || target >= size) return -1;
    if ((size_t)len + 1 < target) {
        buf[len] = ' ';
        rnd_alnum(buf + len + 1, target - (size_t)len - 1);
        len = (int)target;
    }
    return len;
}

/* An audit line: the six keys every audit JSON of that era has. */
static int audit_line(char *buf, size_t size, const struct tm *tm) {
    char id[17];
    uint64_t v[N_DRAWS];
    rnd_alnum(id, 16);
    draw(v);
    return snprintf(buf, size,
                    "%04d-%02d-%02d %02d:%02d:%02d [INFO] [Audit Log] "
                    "{\"resource\":\"%s\",\"action\":\"%s\",\"resource_id\":\"%.3s-%s\",\"actor\":\"%s\","
                    "\"timestamp\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\",\"actor_ip\":\"10.%u.%u.%u\"}",
                    tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec,
                    resources[R(v, 0, 8)], actions[R(v, 1, 6)], resources[R(v, 2, 8)], id, actors[R(v, 3, 6)],
                    tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, R(v, 4, 256),
                    R(v, 5, 256), R(v, 6, 256));
}

int main(int argc, char **argv) {
    uint64_t n = 1000000, seed = 1;
    int opt;

    while ((opt = getopt(argc, argv, "n:s:")) != -1) {
        switch (opt) {
        case 'n':
            n = strtoull(optarg, NULL, 10);
            break;
        case 's':
            seed = strtoull(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr, "usage: %s [-n ENTRIES] [-s SEED]\n", argv[0]);
            return 2;
        }
    }
    rng_state = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;

    char boot_id[33], machine_id[33], invocation_id[33];
    rnd_hex(boot_id, 32);
    rnd_hex(machine_id, 32);
    rnd_hex(invocation_id, 32);
    for (size_t c = 0; c < N_CONTAINERS; c++) {
        rnd_hex(containers[c].id_full, 64);
        rnd_hex(containers[c].epoch, 32);
    }

    static char out[1 << 20];
    setvbuf(stdout, out, _IOFBF, sizeof(out));

    uint64_t realtime = START_REALTIME_USEC, monotonic = START_MONOTONIC_USEC;
    for (uint64_t i = 0; i < n; i++) {
        int audit = i % 10 == 9;
        unsigned c = audit ? 0 : rnd_below(N_CONTAINERS);
        container *ct = &containers[c];
        uint64_t step = 50 + rnd_below(1000);
        realtime += step;
        monotonic += step;

        time_t secs = (time_t)(realtime / 1000000);
        unsigned usec = (unsigned)(realtime % 1000000);
        struct tm tm;
        gmtime_r(&secs, &tm);

        char msg[512];
        int len = audit ? audit_line(msg, sizeof(msg), &tm) : app_line(msg, sizeof(msg), c, &tm, usec);
        if (len < 0 || (size_t)len >= sizeof(msg)) {
            fprintf(stderr, "line too long\n");
            return 1;
        }
        int priority = !audit && rnd_below(20) == 0 ? 3 : 6;

        printf("__REALTIME_TIMESTAMP=%" PRIu64 "\n__MONOTONIC_TIMESTAMP=%" PRIu64 "\n_BOOT_ID=%s\n", realtime,
               monotonic, boot_id);
        printf(
            "_TRANSPORT=journal\n_PID=1187\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\n"
            "_CMDLINE=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n"
            "_CAP_EFFECTIVE=1ffffffffff\n_SYSTEMD_CGROUP=/system.slice/docker.service\n"
            "_SYSTEMD_UNIT=docker.service\n_SYSTEMD_SLICE=system.slice\n_SYSTEMD_INVOCATION_ID=%s\n"
            "_MACHINE_ID=%s\n_HOSTNAME=tfe-prod-01\n",
            invocation_id, machine_id);
        printf(
            "MESSAGE=%s\nCONTAINER_ID=%.12s\nCONTAINER_ID_FULL=%s\nCONTAINER_NAME=%s\nCONTAINER_TAG=%.12s\n"
            "SYSLOG_IDENTIFIER=%.12s\nIMAGE_NAME=%s\nPRIORITY=%d\n"
            "SYSLOG_TIMESTAMP=%04d-%02d-%02dT%02d:%02d:%02d.%06u000Z\n"
            "CONTAINER_LOG_EPOCH=%s\nCONTAINER_LOG_ORDINAL=%" PRIu64 "\n\n",
            msg, ct->id_full, ct->id_full, ct->name, ct->id_full, ct->id_full, ct->image, priority, tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec, ct->epoch, ++ct->ordinal);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "write: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
