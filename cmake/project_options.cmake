# Standard, warnings and sanitizer switches for HeatLink's own targets.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

add_library(heatlink_options INTERFACE)
add_library(heatlink::options ALIAS heatlink_options)
target_compile_features(heatlink_options INTERFACE cxx_std_20)

add_library(heatlink_warnings INTERFACE)
add_library(heatlink::warnings ALIAS heatlink_warnings)
target_compile_options(heatlink_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Werror)

set(HEATLINK_SANITIZE "" CACHE STRING "Comma-separated -fsanitize= list for our targets")
if(HEATLINK_SANITIZE)
  # Any finding fails the test that caused it.
  target_compile_options(heatlink_options INTERFACE -fsanitize=${HEATLINK_SANITIZE}
    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(heatlink_options INTERFACE -fsanitize=${HEATLINK_SANITIZE})
endif()
if(HEATLINK_FUZZ)
  # Coverage feedback for libFuzzer in all our code; the fuzz targets link the runtime.
  target_compile_options(heatlink_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
