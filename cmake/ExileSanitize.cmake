# EXILE_SANITIZE builds everything (including generated code) with ASan + UBSan.
# Every UBSan report ends the process, whatever UBSAN_OPTIONS says, except the vptr check's:
# with no file descriptor left, that check cannot test an object's memory and reports valid
# objects as invalid, so the one test that runs a relay out of descriptors
# (RelayLimitsTest.FailedAcceptsPauseAndRecover) lets that relay go on after a vptr report with
# UBSAN_OPTIONS=halt_on_error=0. Everywhere else halt_on_error=1 (scripts/test) still stops at
# the first vptr report.
if(EXILE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined -fsanitize-recover=vptr)
  add_link_options(-fsanitize=address,undefined)
endif()
