#include "cli/exit_code.h"

namespace exile::cli {

ExitCode exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::WrongPassphrase: return ExitCode::WrongPassphrase;
    case ErrorCode::ProfileInUse:
    case ErrorCode::DatabaseBusy: return ExitCode::ProfileInUse;
    case ErrorCode::NotFound: return ExitCode::NotFound;
    case ErrorCode::InvalidArgument:
    case ErrorCode::InvalidEncoding:
    case ErrorCode::PlaintextTooLarge:
    case ErrorCode::InvalidInvitation:
    case ErrorCode::InvitationDamaged:
    case ErrorCode::UnsupportedVersion:  // a link made by a newer Exile
    case ErrorCode::InvalidContent:
    case ErrorCode::RelayInsecureUrl:  // init --relay ws:// to a host that is not loopback
    case ErrorCode::RelayInvalidUrl:
    case ErrorCode::RelayTooLarge: return ExitCode::InvalidInput;
    // The contact address waits for the home relay to answer.
    case ErrorCode::AddressPending: return ExitCode::Network;
    default: break;
  }
  const auto number = static_cast<unsigned>(code);
  if (number >= 400 && number < 500) return ExitCode::Network;
  return ExitCode::OtherError;
}

}  // namespace exile::cli
