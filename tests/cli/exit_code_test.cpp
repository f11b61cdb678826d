#include "cli/exit_code.h"

#include <gtest/gtest.h>

namespace exile::cli {
namespace {

TEST(ExitCode, TheDocumentedNumbers) {
  EXPECT_EQ(static_cast<int>(ExitCode::Ok), 0);
  EXPECT_EQ(static_cast<int>(ExitCode::Usage), 1);
  EXPECT_EQ(static_cast<int>(ExitCode::WrongPassphrase), 2);
  EXPECT_EQ(static_cast<int>(ExitCode::ProfileInUse), 3);
  EXPECT_EQ(static_cast<int>(ExitCode::NotFound), 4);
  EXPECT_EQ(static_cast<int>(ExitCode::Network), 5);
  EXPECT_EQ(static_cast<int>(ExitCode::InvalidInput), 6);
  EXPECT_EQ(static_cast<int>(ExitCode::OtherError), 7);
}

TEST(ExitCode, FromErrorCodes) {
  EXPECT_EQ(exit_code_for(ErrorCode::WrongPassphrase), ExitCode::WrongPassphrase);
  EXPECT_EQ(exit_code_for(ErrorCode::ProfileInUse), ExitCode::ProfileInUse);
  EXPECT_EQ(exit_code_for(ErrorCode::DatabaseBusy), ExitCode::ProfileInUse);
  EXPECT_EQ(exit_code_for(ErrorCode::NotFound), ExitCode::NotFound);
  for (auto code :
       {ErrorCode::InvalidArgument, ErrorCode::InvalidEncoding, ErrorCode::PlaintextTooLarge,
        ErrorCode::InvalidInvitation, ErrorCode::InvitationDamaged, ErrorCode::UnsupportedVersion,
        ErrorCode::InvalidContent, ErrorCode::RelayInsecureUrl, ErrorCode::RelayInvalidUrl,
        ErrorCode::RelayTooLarge}) {
    EXPECT_EQ(exit_code_for(code), ExitCode::InvalidInput) << static_cast<int>(code);
  }
  for (auto code :
       {ErrorCode::AddressPending, ErrorCode::RelayMalformed, ErrorCode::RelayAuth,
        ErrorCode::RelayQuota, ErrorCode::RelayRateLimited, ErrorCode::RelayBusy,
        ErrorCode::RelayUnknownError, ErrorCode::RelayTimeout, ErrorCode::RelayConnectionLost,
        ErrorCode::RelayStopped, ErrorCode::RelayConnectFailed, ErrorCode::RelayTlsFailed}) {
    EXPECT_EQ(exit_code_for(code), ExitCode::Network) << static_cast<int>(code);
  }
  for (auto code :
       {ErrorCode::Internal, ErrorCode::OutOfMemory, ErrorCode::DecryptionFailed,
        ErrorCode::DatabaseCorrupt, ErrorCode::StorageIo, ErrorCode::DiskFull,
        ErrorCode::SchemaTooNew, ErrorCode::KeyFileCorrupt, ErrorCode::ProfileLocked,
        ErrorCode::ChatNotReady, ErrorCode::IdentityChanged, ErrorCode::ReplayedFirstMessage}) {
    EXPECT_EQ(exit_code_for(code), ExitCode::OtherError) << static_cast<int>(code);
  }
}

TEST(ExitCode, NeverUsageNorOkFromAnErrorCode) {
  for (unsigned n = 0; n < 1000; ++n) {
    const auto code = exit_code_for(static_cast<ErrorCode>(n));
    EXPECT_NE(code, ExitCode::Usage) << n;
    EXPECT_NE(code, ExitCode::Ok) << n;
  }
}

}  // namespace
}  // namespace exile::cli
