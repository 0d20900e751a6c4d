/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Compiler attributes and array helpers every file may use. */

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define JB_ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
