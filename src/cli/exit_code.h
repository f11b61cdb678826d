// exile-cli's exit codes (docs/cli.md, "Exit codes"), and the one mapping from ErrorCode.
#pragma once

#include "common/error.h"

namespace exile::cli {

enum class ExitCode : int {
  Ok = 0,
  Usage = 1,
  WrongPassphrase = 2,
  ProfileInUse = 3,
  NotFound = 4,      // profile, chat, message or request
  Network = 5,       // a relay could not be reached, refused, or did not answer in time
  InvalidInput = 6,  // a bad link, timer, name, URL, or content too long
  OtherError = 7,
};

// Usage errors come from the argument parser, never from an ErrorCode: this never returns Usage.
[[nodiscard]] ExitCode exit_code_for(ErrorCode code);

}  // namespace exile::cli
