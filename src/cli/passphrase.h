// Where exile-cli gets the passphrase: --passphrase-file, else $EXILE_PASSPHRASE, else a prompt
// on the terminal with echo off. The passphrase lives in SecureBytes (wiped when freed) and is
// never echoed, printed or logged; error messages never hold it or any part of it.
#pragma once

#include <filesystem>
#include <optional>

#include "common/result.h"
#include "common/secure_buffer.h"

namespace exile::cli {

inline constexpr std::size_t kMaxPassphraseBytes = 4096;
inline constexpr const char* kPassphraseVariable = "EXILE_PASSPHRASE";

enum class PassphraseUse : std::uint8_t {
  Unlock,  // asked once
  Create,  // asked twice at a prompt; refused when empty, from any source
};

// True when some source exists: a file was given, the variable is set, or stdin is a terminal.
[[nodiscard]] bool passphrase_source_exists(const std::optional<std::filesystem::path>& file);

// The first line of `file`, without its "\n" (or "\r\n"). InvalidArgument when the file cannot
// be read or its first line is longer than kMaxPassphraseBytes.
[[nodiscard]] Result<SecureBytes> read_passphrase_file(const std::filesystem::path& file);

// From the first source that exists. InvalidArgument when none does, when the two prompted
// entries differ, or when a new passphrase is empty.
[[nodiscard]] Result<SecureBytes> read_passphrase(const std::optional<std::filesystem::path>& file,
                                                  PassphraseUse use);

}  // namespace exile::cli
