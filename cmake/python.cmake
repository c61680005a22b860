# Decides whether to build the Python package (python/): NPUSIM_PYTHON is
# AUTO (build it when Python 3 with NumPy and pybind11 are found), ON (they
# must be) or OFF. Sets NPUSIM_BUILD_PYTHON and Python3_EXECUTABLE.
set(NPUSIM_PYTHON AUTO CACHE STRING "Build the npusim Python package: AUTO, ON or OFF")
set_property(CACHE NPUSIM_PYTHON PROPERTY STRINGS AUTO ON OFF)
set(NPUSIM_BUILD_PYTHON OFF)

if(NPUSIM_PYTHON STREQUAL "AUTO" AND (NPUSIM_SANITIZE OR NPUSIM_TSAN))
  # The interpreter is not built with the sanitizers: it could load the
  # module only with the sanitizer runtime preloaded.
  message(STATUS "npusim Python package: off in sanitizer builds (NPUSIM_PYTHON=ON forces it)")
  return()
endif()
if(NPUSIM_PYTHON STREQUAL "OFF")
  return()
endif()

# Debian's interpreter sees Debian's numpy; a python3 earlier on PATH (pyenv,
# a venv) may not. -DPython3_EXECUTABLE=... chooses another.
if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 3.9 COMPONENTS Interpreter Development.Module NumPy)
if(Python3_FOUND)
  find_package(pybind11 2.6 CONFIG)
endif()
if(Python3_FOUND AND pybind11_FOUND)
  set(NPUSIM_BUILD_PYTHON ON)
  message(STATUS "npusim Python package: ${Python3_EXECUTABLE} ${Python3_VERSION}, "
    "NumPy ${Python3_NumPy_VERSION}, pybind11 ${pybind11_VERSION}")
elseif(NPUSIM_PYTHON STREQUAL "ON")
  message(FATAL_ERROR "NPUSIM_PYTHON=ON needs Python 3 with NumPy (python3-dev, python3-numpy) "
    "and pybind11 (pybind11-dev); run scripts/install-deps.sh")
else()
  message(STATUS "npusim Python package: off (needs python3-dev, python3-numpy, pybind11-dev)")
endif()
