# Warning flags for every Exile target (not for generated protobuf code).
add_library(exile_warnings INTERFACE)
target_compile_options(exile_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference -Wformat=2
  -Wimplicit-fallthrough)
if(EXILE_WERROR)
  target_compile_options(exile_warnings INTERFACE -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  # libstdc++ 12 only enables <expected> when __cpp_concepts >= 202002L. Clang 16
  # implements what <expected> needs (P0848 conditionally trivial special members)
  # but still reports 201907L, so the fuzz build raises the macro.
  add_compile_options(-Wno-builtin-macro-redefined -Wno-macro-redefined -D__cpp_concepts=202002L)
endif()
