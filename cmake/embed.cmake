# embed.cmake - turn a file into a C array, at build time.
#   cmake -DINPUT=file -DOUTPUT=file.c -DNAME=sym -P embed.cmake
# defines  const unsigned char sym[];  and  const size_t sym_len;
# (the array carries a trailing NUL that sym_len does not count, so text can
# also be used as a C string).
if(NOT INPUT OR NOT OUTPUT OR NOT NAME)
  message(FATAL_ERROR "embed.cmake needs -DINPUT=, -DOUTPUT= and -DNAME=")
endif()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
# Two hex digits per byte, sixteen bytes per line.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
get_filename_component(input_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "/* Generated from ${input_name} by cmake/embed.cmake; do not edit. */\n"
  "#include <stddef.h>\n"
  "const unsigned char ${NAME}[] = {\n    ${bytes}0x00};\n"
  "const size_t ${NAME}_len = ${len};\n")
# Only touch the output when it changed, so an unchanged page does not
# relink the binary.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
