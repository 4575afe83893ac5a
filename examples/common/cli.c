#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

bool cli_number(const char *prog, const char *flag, const char *arg, uint64_t min, uint64_t max,
                uint64_t *out)
{
    if (arg[0] < '0' || arg[0] > '9') {
        fprintf(stderr, "%s: %s: expected a number, got \"%s\"\n", prog, flag, arg);
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*end != '\0') {
        fprintf(stderr, "%s: %s: expected a number, got \"%s\"\n", prog, flag, arg);
        return false;
    }
    if (errno == ERANGE || v < min || v > max) {
        fprintf(stderr, "%s: %s: %s is out of range (%llu to %llu)\n", prog, flag, arg,
                (unsigned long long)min, (unsigned long long)max);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

bool cli_server_flag(const char *prog, int ch, const char *arg, uint64_t max_message,
                     server_options *opt)
{
    uint64_t v;
    switch (ch) {
    case 'p':
        if (!cli_number(prog, "--port", arg, 0, 65535, &v))
            return false;
        opt->port = (uint16_t)v;
        return true;
    case 'H':
        opt->host = arg;
        return true;
    case 'm':
        if (!cli_number(prog, "--max-message", arg, 1, max_message, &v))
            return false;
        opt->limits.max_message_size = v;
        opt->limits.max_frame_size = v;
        return true;
    case 'P':
        if (!ws_http_is_token(arg, strlen(arg))) {
            fprintf(stderr, "%s: --protocol: \"%s\" is not a token (RFC 9110)\n", prog, arg);
            return false;
        }
        if (opt->num_protocols == SERVER_MAX_PROTOCOLS) {
            fprintf(stderr, "%s: at most %d --protocol flags\n", prog, SERVER_MAX_PROTOCOLS);
            return false;
        }
        opt->protocols[opt->num_protocols++] = arg;
        return true;
    default:
        fprintf(stderr, "%s: cli_server_flag: not a server flag: %d\n", prog, ch);
        return false;
    }
}

bool cli_server_operands(const char *prog, int argc, char **argv, int first, bool port_given,
                         server_options *opt)
{
    if (first == argc)
        return true;
    const char *arg = argv[first];
    const bool numeric = arg[0] != '\0' && strspn(arg, "0123456789") == strlen(arg);
    if (first + 1 < argc || !numeric) {
        fprintf(stderr,
                "%s: unexpected argument '%s' (options start with - or --; a lone number is "
                "the port)\n\n",
                prog, argv[numeric ? first + 1 : first]);
        return false;
    }
    if (port_given) {
        fprintf(stderr, "%s: the port is given twice: by --port and as '%s'\n\n", prog, arg);
        return false;
    }
    return cli_server_flag(prog, 'p', arg, 0, opt);
}

bool cli_standard_fds_open(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        /* open() takes the lowest free number: this one. */
        int got = open("/dev/null", O_RDWR);
        if (got != fd) {
            if (got >= 0)
                close(got);
            return false;
        }
    }
    return true;
}
