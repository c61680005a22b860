# Script mode (cmake -P), run on every build: writes OUTPUT, the C++ source
# behind npusim::runtime::version(), from TEMPLATE with NPUSIM_VERSION
# and `git describe --always --dirty` of SOURCE_DIR ("unknown" outside a git
# checkout). The file is replaced only when its text changes, so an unchanged
# revision rebuilds nothing.
execute_process(
  COMMAND git -C "${SOURCE_DIR}" describe --always --dirty --abbrev=12
  OUTPUT_VARIABLE NPUSIM_GIT_REVISION
  RESULT_VARIABLE status
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT status EQUAL 0 OR NPUSIM_GIT_REVISION STREQUAL "")
  set(NPUSIM_GIT_REVISION "unknown")
endif()
configure_file("${TEMPLATE}" "${OUTPUT}.new" @ONLY)
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
