/* cli.h - strict number parsing for command-line flags. */
#ifndef EXAMPLES_CLI_H
#define EXAMPLES_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Parse a decimal number in [min, max] from arg: digits only, no sign, no
 * trailing junk, no overflow. On failure prints "NAME: FLAG: why" to stderr
 * and returns false. */
bool cli_number(const char *prog, const char *flag, const char *arg, uint64_t min, uint64_t max,
                uint64_t *out);

#endif
