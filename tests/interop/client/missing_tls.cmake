# Stands in for chat_client's wss:// tests on CI when chat_client was built
# without OpenSSL, so the run fails and says what to install instead of
# passing without them.
message(FATAL_ERROR "chat_client was built without OpenSSL, so its wss:// tests cannot run "
                    "on CI. Install libssl-dev and openssl (tests/run.sh does).")
