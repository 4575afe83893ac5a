/*
 * echo_server - every message back to its sender, unchanged.
 *
 *   echo_server [--port 9001] [--host ADDR] [--max-message BYTES] [--protocol NAME]...
 *
 * The whole server is the on_message handler below; examples/common/server.c
 * does the rest with libwsframe: the HTTP upgrade, the stream parser (which
 * rejects protocol errors with 1002, invalid UTF-8 with 1007 at the first
 * impossible byte, oversized messages with 1009), pings, and the close
 * handshake (the peer's close code is echoed).
 *
 * Messages are buffered whole, up to --max-message bytes, and echoed as one
 * frame: the echo of a fragmented message is the same message, not the same
 * frames (RFC 6455 section 5.4 lets intermediaries refragment, and nothing
 * may depend on frame boundaries). Buffering is what lets the server refuse
 * a text message that turns out invalid before echoing any of it.
 *
 * This is the reference server of the Autobahn conformance run.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "loop.h"
#include "server.h"
#include "wsframe.h"

/* Autobahn's fuzzingclient targets ws://127.0.0.1:9001 unless told otherwise. */
enum { DEFAULT_PORT = 9001 };

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--port %u] [--host ADDR] [--max-message BYTES] [--protocol NAME]...\n"
            "       %s PORT\n"
            "\n"
            "A WebSocket echo server: every text and binary message comes back unchanged,\n"
            "on any path. Pings are answered with pongs, close frames with the same code\n"
            "and reason.\n"
            "\n"
            "  -p, --port N         TCP port to listen on (default %u, where the Autobahn\n"
            "                       testsuite looks for a server; also a lone number\n"
            "                       after the options); 0 picks a free port\n"
            "  --host ADDR          where to listen: an address or a name, every address it\n"
            "                       resolves to (default localhost: 127.0.0.1 and ::1;\n"
            "                       :: for every interface)\n"
            "  --max-message BYTES  largest message accepted, summed over its fragments\n"
            "                       (default %u); a bigger one is refused with close\n"
            "                       code 1009 before its payload is read\n"
            "  --protocol NAME      a subprotocol to accept (repeatable, preferred first):\n"
            "                       the 101 names the first one the client offered.\n"
            "                       Without it the 101 names the client's first offer,\n"
            "                       as Node's ws server does\n"
            "  -h, --help           this text\n"
            "\n"
            "Once listening, prints \"listening on HOST:PORT\" on stdout for each address,\n"
            "IPv4 first (the real port when --port is 0). Logs go to stderr. SIGINT or SIGTERM closes every client with\n"
            "1001 and exits 0.\n",
            prog, DEFAULT_PORT, prog, DEFAULT_PORT, WS_DEFAULT_MAX_MESSAGE_SIZE);
}

static void echo_message(conn *c, ws_opcode opcode, const uint8_t *data, size_t len, void *arg)
{
    (void)arg;
    conn_send(c, opcode, data, len);
}

static void on_signal(loop *l, int signo, void *arg)
{
    (void)l;
    (void)signo;
    server_shutdown(arg, WS_CLOSE_GOING_AWAY, 2000);
}

int main(int argc, char **argv)
{
    if (!cli_standard_fds_open())
        return 1;
    const char *prog = argv[0];
    server_options opt;
    server_options_default(&opt);
    opt.port = DEFAULT_PORT;
    bool port_given = false;

    static const struct option longopts[] = {
        CLI_SERVER_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, CLI_SERVER_SHORTOPTS, longopts, NULL)) != -1) {
        switch (ch) {
        case 'p':
        case 'H':
        case 'm':
        case 'P':
            if (!cli_server_flag(prog, ch, optarg, (uint64_t)1 << 40, &opt))
                return 2;
            port_given |= ch == 'p';
            break;
        case 'h':
            usage(stdout, prog);
            return 0;
        default:
            usage(stderr, prog);
            return 2;
        }
    }
    if (!cli_server_operands(prog, argc, argv, optind, port_given, &opt)) {
        usage(stderr, prog);
        return 2;
    }
    /* The echo of a message goes to the queue of the client that sent it,
     * so the queue must hold the biggest message with room to spare; the
     * read pause (server.h) keeps a fast sender from queueing more. */
    opt.max_queued_bytes = 2 * (size_t)opt.limits.max_message_size + 1024u * 1024u;
    /* --max-message bounds what a client can make us hold; a fragment count
     * limit on top would only refuse legal messages: the Autobahn suite's
     * 9.3/9.4 cases send 4 MiB in 64-byte frames (65536 fragments), and
     * streaming clients send files in small chunks. An empty fragment costs
     * no more to parse than the empty messages or pings nothing limits. */
    opt.limits.max_fragments = 0;

    loop *l = loop_new();
    if (!l) {
        perror("epoll");
        return 1;
    }
    server_handlers handlers = {.on_message = echo_message};
    char err[256];
    server *s = server_new(l, &opt, &handlers, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s: %s\n", prog, err);
        loop_free(l);
        return 1;
    }
    if (loop_signal(l, SIGINT, on_signal, s) < 0 || loop_signal(l, SIGTERM, on_signal, s) < 0) {
        perror("signalfd");
        return 1;
    }
    /* Tests read this line to learn the port: flush it now, stdout may be a
     * pipe. */
    for (size_t i = 0; server_address(s, i); i++)
        printf("listening on %s\n", server_address(s, i));
    fflush(stdout);

    int rc = loop_run(l);
    server_free(s);
    loop_free(l);
    return rc == 0 ? 0 : 1;
}
