# Stands in for interop_scaling on CI when a piece it needs is missing, so
# the run fails and says what to install instead of passing without it.
# -DINSTALL says what to install; without it, what interop_scaling needs.
if(NOT DEFINED INSTALL)
  set(INSTALL "Install libhiredis-dev, redis-server and nginx (docs/scaling.md).")
endif()
if(NOT DEFINED TEST)
  set(TEST interop_scaling)
endif()
message(FATAL_ERROR "${TEST} cannot run on CI, missing: ${MISSING}. ${INSTALL}")
