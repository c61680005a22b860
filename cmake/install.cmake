# cmake --install: the static libraries with their headers, a CMake package
# (find_package(npusim) -> npusim::runtime, npusim::sim, ...), a pkg-config
# file, and the command-line programs. docs/python.md ("Installing") shows
# both ways of building against it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NPUSIM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/npusim)

# npusim::npusim: everything an application needs to run models on the
# simulated device (runtime, device model, vision helpers) in one name.
add_library(npusim_all INTERFACE)
target_link_libraries(npusim_all INTERFACE npusim_runtime npusim_sim npusim_vision)
set_target_properties(npusim_all PROPERTIES EXPORT_NAME npusim)
# sim links SystemC privately; a static library's private links travel with
# it, so the interface target that carries them is installed as well.
set_target_properties(systemc_iface PROPERTIES EXPORT_NAME systemc)

install(TARGETS npusim_common npusim_images npusim_isa npusim_driver npusim_sim npusim_ir npusim_executor
    npusim_onnx npusim_quantizer npusim_compiler npusim_runtime npusim_vision npusim_report
    npusim_all systemc_iface
  EXPORT npusimTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(dir common isa driver sim compiler-backend runtime tools/vision tools/report)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(EXPORT npusimTargets NAMESPACE npusim:: DESTINATION ${NPUSIM_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/npusimConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/npusimConfig.cmake INSTALL_DESTINATION ${NPUSIM_INSTALL_CMAKEDIR})
# 0.x: a minor release may change the API.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/npusimConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/npusimConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/npusimConfigVersion.cmake DESTINATION ${NPUSIM_INSTALL_CMAKEDIR})

# The .pc file finds its prefix from where it lies, so --prefix at install time works.
file(RELATIVE_PATH NPUSIM_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" NPUSIM_PC_TO_PREFIX "${NPUSIM_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/npusim.pc.in ${CMAKE_CURRENT_BINARY_DIR}/npusim.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/npusim.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(TARGETS npusim npusim-facedetect RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
