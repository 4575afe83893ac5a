/* cli.h - strict number parsing for command-line flags, and the flags both
 * example servers take. */
#ifndef EXAMPLES_CLI_H
#define EXAMPLES_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Parse a decimal number in [min, max] from arg: digits only, no sign, no
 * trailing junk, no overflow. On failure prints "NAME: FLAG: why" to stderr
 * and returns false. */
bool cli_number(const char *prog, const char *flag, const char *arg, uint64_t min, uint64_t max,
                uint64_t *out);

/* Make sure descriptors 0, 1 and 2 are open, on /dev/null where they were
 * not: a program started with one of them closed (by a daemon manager, cron,
 * `prog >&-`) would otherwise get it for its first socket, and write its
 * output into the connection or read its own socket as stdin. First thing
 * in main. Returns false (and the program should exit) if /dev/null cannot
 * be opened. */
bool cli_standard_fds_open(void);

struct server_options;

/* The flags echo_server and chat_server share, for their getopt_long table
 * (which needs <getopt.h>), with CLI_SERVER_SHORTOPTS as its short options:
 *   -p, --port N         0 to 65535; 0 picks a free port
 *   --host ADDR          the address to bind
 *   --max-message BYTES  1 to max_message; the limit on a message, summed
 *                        over its fragments, and so on any one frame
 *   --protocol NAME      a subprotocol the server accepts (repeatable, most
 *                        preferred first, up to SERVER_MAX_PROTOCOLS) */
#define CLI_SERVER_LONGOPTS                                                                    \
    {"port", required_argument, NULL, 'p'}, {"host", required_argument, NULL, 'H'},            \
        {"max-message", required_argument, NULL, 'm'}, {"protocol", required_argument, NULL, 'P'}
/* -p for --port and -h for --help, as most servers take them. */
#define CLI_SERVER_SHORTOPTS "p:h"

/* Store the value of one of those flags (ch is what getopt_long returned:
 * 'p', 'H', 'm' or 'P') in opt. On a bad value prints why, as cli_number does,
 * and returns false. */
bool cli_server_flag(const char *prog, int ch, const char *arg, uint64_t max_message,
                     struct server_options *opt);

/* The arguments left after the options, argv[first, argc): none, or one
 * bare port number (`echo_server 9001`, as `python3 -m http.server 8000`
 * takes it), stored in opt unless a -p/--port came first (a port given
 * twice is refused: which one was meant?). port_given says whether one
 * was. Anything else is named on stderr and false returned; the caller
 * prints its usage and exits 2. */
bool cli_server_operands(const char *prog, int argc, char **argv, int first, bool port_given,
                         struct server_options *opt);

#endif
