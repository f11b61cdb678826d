# EXILE_SANITIZE builds everything (including generated code) with ASan + UBSan.
if(EXILE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
