/* SPDX-License-Identifier: Apache-2.0 */
/* jb-sdcheck PEN < LINES: checks that every line on standard input is one RFC 5424 record as
 * jbridge and rsyslog (RSYSLOG_SyslogProtocol23Format) write them:
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
 * no control character but the final newline, header fields of printable ASCII within their RFC
 * lengths, structured data that jb_sd_validate() accepts, made only of the elements jbridge
 * writes (container@PEN, jbridge@PEN, audit@PEN, meta), with exactly one jbridge@PEN.
 * Prints "N lines, N bad" and exits 1 when a line is bad (each bad line is named on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd.h"

static const char *check_line(const char *s, size_t n, const char *pen) {
    static char why[160];
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            snprintf(why, sizeof why, "control byte 0x%02x at %zu", (unsigned char)s[i], i);
            return why;
        }
    static const size_t max[] = {8, 40, 255, 48, 128, 32}; /* <PRI>1, TIMESTAMP, HOSTNAME, ... */
    size_t pos = 0;
    for (int f = 0; f < 6; f++) {
        const char *sp = memchr(s + pos, ' ', n - pos);
        if (!sp) return "fewer than 7 fields";
        size_t len = (size_t)(sp - (s + pos));
        if (len == 0 || len > max[f]) return "header field empty or too long";
        for (size_t i = pos; i < pos + len; i++)
            if (s[i] < 33 || s[i] > 126) return "header byte outside printable ASCII";
        pos += len + 1;
    }
    if (s[pos] != '<' && strncmp(s, "<", 1) != 0) return "no PRI";
    /* the extent of the SD: elements up to the first ']' outside a value not followed by '[' */
    size_t start = pos;
    if (pos < n && s[pos] == '-') {
        pos++;
    } else {
        while (pos < n && s[pos] == '[') {
            int quoted = 0;
            for (pos++; pos < n; pos++) {
                if (quoted && s[pos] == '\\' && pos + 1 < n) {
                    pos++;
                } else if (s[pos] == '"') {
                    quoted = !quoted;
                } else if (!quoted && s[pos] == ']') {
                    break;
                }
            }
            if (pos >= n) return "unterminated SD element";
            pos++;
        }
    }
    if (pos < n && s[pos] != ' ') return "no space after the SD";
    const char *sd = s + start;
    size_t sd_len = pos - start;
    if (jb_sd_validate(sd, sd_len) < 0) return "jb_sd_validate rejects the SD";
    /* SD-IDs: only jbridge's, one jbridge@PEN */
    char allowed[4][48];
    snprintf(allowed[0], sizeof allowed[0], "container@%s", pen);
    snprintf(allowed[1], sizeof allowed[1], "jbridge@%s", pen);
    snprintf(allowed[2], sizeof allowed[2], "audit@%s", pen);
    snprintf(allowed[3], sizeof allowed[3], "meta");
    int n_jbridge = 0;
    for (size_t i = 0; i < sd_len; i++) {
        if (sd[i] != '[') continue;
        size_t k = i + 1;
        while (k < sd_len && sd[k] != ' ' && sd[k] != ']') k++;
        int ok = 0;
        for (int a = 0; a < 4; a++)
            if (strlen(allowed[a]) == k - i - 1 && !memcmp(sd + i + 1, allowed[a], k - i - 1)) {
                ok = 1;
                n_jbridge += a == 1;
            }
        if (!ok) {
            snprintf(why, sizeof why, "foreign SD element '%.*s'", (int)(k - i - 1), sd + i + 1);
            return why;
        }
        /* skip the element's parameters: values may hold '[' */
        int quoted = 0;
        for (i = k; i < sd_len; i++) {
            if (quoted && sd[i] == '\\' && i + 1 < sd_len)
                i++;
            else if (sd[i] == '"')
                quoted = !quoted;
            else if (!quoted && sd[i] == ']')
                break;
        }
    }
    if (n_jbridge != 1) return "not exactly one jbridge@PEN element";
    return NULL;
}

int main(int argc, char **argv) {
    const char *pen = argc > 1 ? argv[1] : "32473";
    char *line = NULL;
    size_t cap = 0, lines = 0, bad = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        lines++;
        if (line[n - 1] != '\n') {
            fprintf(stderr, "line %zu: no final newline\n", lines);
            bad++;
            continue;
        }
        const char *why = check_line(line, (size_t)n - 1, pen);
        if (why) {
            fprintf(stderr, "line %zu: %s: %.*s\n", lines, why, (int)(n > 300 ? 300 : n - 1), line);
            bad++;
        }
    }
    free(line);
    printf("%zu lines, %zu bad\n", lines, bad);
    return bad ? 1 : 0;
}
