"""chat_server's page mounted under a sub-path by nginx, as docs/scaling.md
shows: `location /chat/ { proxy_pass http://127.0.0.1:PORT/; ... }`.

usage: browser_subpath.py CHAT_SERVER NGINX SCRIPT

nginx serves only /chat/ (anything else is a 404 of its own), so the page
works only when it finds chat.js, chat.css and its WebSocket relative to
itself: ws://HOST/chat/, not ws://HOST/. Runs `node SCRIPT URL` (headless
Chromium) against http://127.0.0.1:NGINX/chat/.
"""

import os
import shutil
import signal
import sys
import tempfile

import wsharness as h

# The proxy lines of docs/scaling.md ("Mounted under a path"), with every
# path in the test's directory so nginx runs as any user; one process, so
# the parent-death signal takes it down with the test.
NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    server {{
        listen {host}:{port};
        location / {{
            return 404 "the site's root, not the chat\\n";
        }}
        location /chat/ {{
            proxy_pass http://{host}:{upstream}/;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


def main():
    chat_server, nginx_bin, script = sys.argv[1:4]

    def body(checks):
        if not os.path.exists("/usr/bin/chromium"):
            checks.check(False, "/usr/bin/chromium is installed (Debian package chromium)")
            return
        server = h.Server(chat_server, "--ping-interval", "0")
        tmp = tempfile.mkdtemp(prefix="ws-subpath-")
        try:
            port = h.free_port()
            conf = os.path.join(tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(tmp=tmp, host=h.HOST, port=port, upstream=server.port))
            nginx = h.Proc([nginx_bin, "-p", tmp, "-c", conf, "-e", "stderr"], name="nginx")
            if not checks.check(h.wait_port(port, 10) and nginx.alive(),
                                f"nginx listens on {h.HOST}:{port}"):
                nginx.kill()
                return
            h.run_node_peer(checks, "browser", [script, f"http://{h.HOST}:{port}/chat/"], 60,
                            min_ok=5)
            checks.check(server.alive(), "chat_server still running")
            nginx.signal(signal.SIGQUIT)
            nginx.wait(5)
            nginx.kill(dump=False)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    h.run_main("chat page under /chat/ behind nginx", body)


if __name__ == "__main__":
    main()
