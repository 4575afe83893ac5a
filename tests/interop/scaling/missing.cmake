# Stands in for interop_scaling on CI when a piece it needs is missing, so
# the run fails and says what to install instead of passing without it.
message(FATAL_ERROR "interop_scaling cannot run on CI, missing: ${MISSING}. "
                    "Install libhiredis-dev, redis-server and nginx (docs/scaling.md).")
